// The guest list: totals, search and state filter, and one row per guest with
// its lifecycle buttons. Rows are updated in place so polling never steals
// keyboard focus.

import { h, icon, clear, fmtMiB } from './dom.js';
import * as live from './live.js';
import { onHost } from './host.js';
import { actionButton } from './actions.js';
import { vmHref } from './router.js';
import { stateBadge, stateInfo } from './states.js';
import { canOperate, isAdmin, getUser } from './session.js';

const FILTERS = {
  all: { label: 'All states', match: () => true },
  running: { label: 'Running', match: (s) => s === 'running' || s === 'blocked' },
  paused: { label: 'Paused / suspended', match: (s) => s === 'paused' || s === 'pmsuspended' },
  stopped: { label: 'Stopped', match: (s) => !stateInfo(s).active },
  attention: { label: 'Needs attention', match: (s) => s === 'crashed' || s === 'shutdown' || s === 'nostate' },
};

const LIST_ACTIONS = ['start', 'shutdown', 'poweroff', 'reboot'];

export function mountList(root) {
  let query = '';
  let filter = 'all';
  let snap = null;
  let host = null;
  const rows = new Map(); // name -> {sig, el}
  // Viewers get no lifecycle buttons at all: the daemon would refuse them.
  const operate = canOperate();
  const admin = isAdmin();

  const stats = h('section', { class: 'stats', testid: 'stats', 'aria-label': 'Totals' });
  const count = h('span', { class: 'count', testid: 'vm-count' });
  const search = h('input', {
    type: 'search', class: 'input search-input', placeholder: 'Search name, tag or description', testid: 'vm-search',
    'aria-label': 'Search guests', autocomplete: 'off', spellcheck: 'false',
    oninput: (e) => { query = e.target.value.trim().toLowerCase(); render(); },
  });
  const select = h('select', {
    class: 'input select', testid: 'vm-filter', 'aria-label': 'Filter by state',
    onchange: (e) => { filter = e.target.value; render(); },
  }, Object.entries(FILTERS).map(([k, f]) => h('option', { value: k }, f.label)));
  const refresh = h('button', {
    type: 'button', class: 'btn btn-ghost btn-icon', testid: 'vm-refresh', 'aria-label': 'Refresh now', title: 'Refresh now',
    onclick: () => live.refreshNow(),
  }, icon('refresh'));

  const tbody = h('tbody', { testid: 'vm-rows' });
  const table = h('table', { class: 'data-table vm-table', testid: 'vm-list' },
    h('caption', { class: 'sr-only' }, 'Virtual machines on this host'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col', class: 'num' }, 'vCPUs'),
      h('th', { scope: 'col', class: 'num' }, 'Memory'),
      h('th', { scope: 'col' }, 'Autostart'),
      h('th', { scope: 'col' }, 'Tags'),
      operate ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
    tbody);
  const placeholder = h('div', { class: 'placeholder', testid: 'vm-list-placeholder' });

  root.append(
    h('section', { class: 'view view-list', testid: 'view-list' },
      stats,
      h('section', { class: 'card card-flush' },
        h('div', { class: 'card-head' },
          h('h1', { class: 'card-title' }, 'Guests ', count,
            operate ? null : h('span', {
              class: 'pill pill-info', testid: 'view-only',
              title: `Your role (${getUser()?.role || 'viewer'}) can see these guests but not change them`,
            }, icon('eye'), 'View only')),
          h('div', { class: 'toolbar' }, h('label', { class: 'search' }, icon('search'), search), select, refresh,
            operate ? h('a', { class: 'btn btn-primary', href: '#/new', testid: 'vm-new' }, icon('plus'), 'New VM') : null)),
        h('div', { class: 'table-wrap' }, table),
        placeholder)));

  function renderStats() {
    const vms = snap ? snap.vms : [];
    const active = vms.filter((v) => stateInfo(v.state).active);
    const running = vms.filter((v) => v.state === 'running' || v.state === 'blocked').length;
    const paused = vms.filter((v) => v.state === 'paused' || v.state === 'pmsuspended').length;
    const vcpus = active.reduce((n, v) => n + (v.vcpus || 0), 0);
    const mem = active.reduce((n, v) => n + (v.memory || 0), 0);
    const tile = (testid, label, value, sub, tone) => h('div', { class: `stat${tone ? ` stat-${tone}` : ''}`, testid },
      h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-sub' }, sub));
    clear(stats).append(
      tile('stat-guests', 'Guests', String(vms.length), `${vms.length - active.length} stopped`),
      tile('stat-running', 'Running', String(running), paused ? `${paused} paused` : 'none paused', running ? 'ok' : ''),
      tile('stat-vcpus', 'vCPUs in use', String(vcpus), host && host.cpu ? `of ${host.cpu.cpus} host CPUs` : 'host CPUs: …'),
      tile('stat-memory', 'Memory in use', fmtMiB(mem), host && host.memory ? `of ${fmtMiB(host.memory.total)} on the host` : 'host memory: …'));
  }

  function rowFor(vm, pending) {
    const info = stateInfo(vm.state);
    const hint = pending && pending.label;
    const toggle = vm.state === 'paused' ? 'resume' : 'suspend';
    const tags = (vm.tags || []);
    return h('tr', { class: `vm-row tone-${info.tone}`, testid: 'vm-row', dataset: { vm: vm.name, state: vm.state } },
      h('td', { class: 'cell-name', 'data-label': 'Name' },
        h('a', { class: 'vm-link', href: vmHref(vm.name), testid: 'vm-link' }, vm.name),
        vm.description ? h('span', { class: 'vm-desc', title: vm.description }, vm.description) : null),
      h('td', { class: 'cell-state', 'data-label': 'State' },
        stateBadge(vm.state),
        hint ? h('span', { class: 'pending', testid: 'vm-pending' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), hint) : null),
      h('td', { class: 'num', 'data-label': 'vCPUs', testid: 'vm-vcpus' }, String(vm.vcpus ?? '—')),
      h('td', { class: 'num', 'data-label': 'Memory', testid: 'vm-memory' }, fmtMiB(vm.memory)),
      h('td', { 'data-label': 'Autostart', testid: 'vm-autostart' },
        vm.autostart ? h('span', { class: 'flag flag-on' }, icon('check'), 'On') : h('span', { class: 'flag' }, 'Off')),
      h('td', { 'data-label': 'Tags', testid: 'vm-tags' },
        tags.length ? h('span', { class: 'tags' }, tags.map((t) => h('span', { class: 'tag' }, t))) : h('span', { class: 'muted' }, '—')),
      operate ? h('td', { class: 'col-actions', 'data-label': 'Actions' },
        h('div', { class: 'actions actions-seg', role: 'group', 'aria-label': `Actions for ${vm.name}` },
          [...LIST_ACTIONS, toggle].map((a) => actionButton(vm, a, { pending, compact: true })))) : null);
  }

  function visible(vm) {
    if (!FILTERS[filter].match(vm.state)) return false;
    if (!query) return true;
    return vm.name.toLowerCase().includes(query)
      || (vm.description || '').toLowerCase().includes(query)
      || (vm.tags || []).some((t) => t.toLowerCase().includes(query));
  }

  function render() {
    renderStats();
    if (!snap || (!snap.loaded && !snap.error)) {
      count.textContent = '';
      clear(placeholder).append(h('div', { class: 'skeleton' }, h('span'), h('span'), h('span')));
      placeholder.hidden = false;
      table.hidden = true;
      return;
    }
    const all = snap.vms;
    const shown = all.filter(visible);
    count.textContent = shown.length === all.length ? String(all.length) : `${shown.length} of ${all.length}`;

    const active = document.activeElement;
    const focusKey = active && tbody.contains(active)
      ? { vm: active.closest('tr')?.dataset.vm, testid: active.dataset.testid } : null;

    const order = [];
    for (const vm of shown) {
      const p = snap.pending.get(vm.name) || null;
      const sig = JSON.stringify([vm, p && { a: p.action, l: p.label, i: p.inflight }]);
      let r = rows.get(vm.name);
      if (!r || r.sig !== sig) {
        const el = rowFor(vm, p);
        if (r) r.el.replaceWith(el);
        r = { sig, el };
        rows.set(vm.name, r);
      }
      order.push(r.el);
    }
    for (const name of [...rows.keys()]) {
      if (!shown.some((v) => v.name === name)) {
        rows.get(name).el.remove();
        rows.delete(name);
      }
    }
    const current = [...tbody.children];
    if (current.length !== order.length || current.some((el, i) => el !== order[i])) tbody.replaceChildren(...order);

    if (focusKey && focusKey.vm && !tbody.contains(document.activeElement)) {
      const row = rows.get(focusKey.vm);
      const target = row && (focusKey.testid ? row.el.querySelector(`[data-testid="${focusKey.testid}"]`) : null);
      if (target) {
        if (target.disabled) row.el.querySelector('.vm-link').focus();
        else target.focus();
      }
    }

    table.hidden = shown.length === 0;
    placeholder.hidden = shown.length !== 0;
    if (shown.length === 0) {
      clear(placeholder);
      if (snap.error && !snap.loaded) {
        placeholder.append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
          h('h2', {}, 'Guests are not available'), h('p', {}, snap.error.message)));
      } else if (all.length === 0 && !admin) {
        placeholder.append(h('div', { class: 'empty', testid: 'vm-empty' }, icon('lock', 'icon empty-icon'),
          h('h2', {}, 'No guests are shared with you yet'),
          h('p', {}, 'An admin chooses which guests each user can see, on the Users page. Ask them to grant you access.')));
      } else if (all.length === 0) {
        placeholder.append(h('div', { class: 'empty', testid: 'vm-empty' }, icon('empty', 'icon empty-icon'),
          h('h2', {}, 'No guests yet'),
          h('p', {}, 'Virtual machines defined in libvirt on this host appear here by themselves, including ones made with virsh.')));
      } else {
        placeholder.append(h('div', { class: 'empty' }, icon('search', 'icon empty-icon'),
          h('h2', {}, 'No guest matches'),
          h('p', {}, 'Try another search or state filter.'),
          h('button', { type: 'button', class: 'btn', onclick: () => { search.value = ''; select.value = 'all'; query = ''; filter = 'all'; render(); } }, 'Clear filters')));
      }
    }
  }

  render();
  const offLive = live.subscribe((s) => { snap = s; render(); });
  const offHost = onHost((hi) => { host = hi; renderStats(); });
  return () => { offLive(); offHost(); };
}
