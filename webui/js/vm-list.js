// The guest list: totals, search and state filter, and one row per guest with
// its lifecycle buttons. Rows are updated in place so polling never steals
// keyboard focus.

import { h, icon, clear, fmtMiB } from './dom.js';
import * as live from './live.js';
import { onHost } from './host.js';
import { actionButton } from './actions.js';
import { consoleLink } from './console-links.js';
import { thumbnail } from './thumbnails.js';
import { vmHref } from './router.js';
import { stateBadge, stateInfo } from './states.js';
import { canOperate, isAdmin, getUser } from './session.js';
import { ACTIONS, dataTable, emptyState, pendingMark, reloadButton, skeleton } from './widgets.js';

const FILTERS = {
  all: { label: 'All states', match: () => true },
  running: { label: 'Running', match: (s) => s === 'running' || s === 'blocked' },
  paused: { label: 'Paused / suspended', match: (s) => s === 'paused' || s === 'pmsuspended' },
  stopped: { label: 'Stopped', match: (s) => !stateInfo(s).active },
  attention: { label: 'Needs attention', match: (s) => s === 'crashed' || s === 'shutdown' || s === 'nostate' },
};

const LIST_ACTIONS = ['start', 'shutdown', 'poweroff', 'reboot'];

// The list's state, passed to every function below: the search and filter,
// the last snapshot from live.js, the host facts, the rows on screen (kept
// to update them in place) and the nodes.
export function mountList(root) {
  const page = {
    query: '',
    filter: 'all',
    snap: null,
    host: null,
    rows: new Map(), // name -> {sig, el}
    // Viewers get no lifecycle buttons at all: the daemon would refuse them.
    operate: canOperate(),
    admin: isAdmin(),
    el: {
      stats: h('section', { class: 'stats', testid: 'stats', 'aria-label': 'Totals' }),
      count: h('span', { class: 'count', testid: 'vm-count' }),
      tbody: h('tbody', { testid: 'vm-rows' }),
      placeholder: h('div', { class: 'placeholder', testid: 'vm-list-placeholder' }),
    },
  };
  root.append(layout(page));
  render(page);
  const offLive = live.subscribe((s) => { page.snap = s; render(page); });
  const offHost = onHost((hi) => { page.host = hi; renderStats(page); });
  return () => { offLive(); offHost(); };
}

function layout(page) {
  const { el, operate } = page;
  el.search = h('input', {
    type: 'search', class: 'input search-input', placeholder: 'Search name, tag or description', testid: 'vm-search',
    'aria-label': 'Search guests', autocomplete: 'off', spellcheck: 'false',
    oninput: (e) => { page.query = e.target.value.trim().toLowerCase(); render(page); },
  });
  el.select = h('select', {
    class: 'input select', testid: 'vm-filter', 'aria-label': 'Filter by state',
    onchange: (e) => { page.filter = e.target.value; render(page); },
  }, Object.entries(FILTERS).map(([k, f]) => h('option', { value: k }, f.label)));
  el.table = dataTable({
    cls: 'vm-table', testid: 'vm-list', caption: 'Virtual machines on this host',
    columns: ['Name', 'State', { label: 'vCPUs', cls: 'num' }, { label: 'Memory', cls: 'num' }, 'Autostart', 'Tags', operate ? ACTIONS : null],
    rows: el.tbody,
  });
  return h('section', { class: 'view view-list', testid: 'view-list' },
    el.stats,
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' },
        h('h1', { class: 'card-title' }, 'Guests ', el.count,
          operate ? null : h('span', {
            class: 'pill pill-info', testid: 'view-only',
            title: `Your role (${getUser()?.role || 'viewer'}) can see these guests but not change them`,
          }, icon('eye'), 'View only')),
        h('div', { class: 'toolbar' }, h('label', { class: 'search' }, icon('search'), el.search), el.select,
          reloadButton({ testid: 'vm-refresh', label: 'Refresh now', title: 'Refresh now', onclick: () => live.refreshNow() }),
          operate ? h('a', { class: 'btn btn-primary', href: '#/new', testid: 'vm-new' }, icon('plus'), 'New VM') : null)),
      el.table,
      el.placeholder));
}

function renderStats(page) {
  const { snap, host } = page;
  const vms = snap ? snap.vms : [];
  const active = vms.filter((v) => stateInfo(v.state).active);
  const running = vms.filter((v) => v.state === 'running' || v.state === 'blocked').length;
  const paused = vms.filter((v) => v.state === 'paused' || v.state === 'pmsuspended').length;
  const vcpus = active.reduce((n, v) => n + (v.vcpus || 0), 0);
  const mem = active.reduce((n, v) => n + (v.memory || 0), 0);
  const tile = (testid, label, value, sub, tone) => h('div', { class: `stat${tone ? ` stat-${tone}` : ''}`, testid },
    h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-sub' }, sub));
  clear(page.el.stats).append(
    tile('stat-guests', 'Guests', String(vms.length), `${vms.length - active.length} stopped`),
    tile('stat-running', 'Running', String(running), paused ? `${paused} paused` : 'none paused', running ? 'ok' : ''),
    tile('stat-vcpus', 'vCPUs in use', String(vcpus), host && host.cpu ? `of ${host.cpu.cpus} host CPUs` : 'host CPUs: …'),
    tile('stat-memory', 'Memory in use', fmtMiB(mem), host && host.memory ? `of ${fmtMiB(host.memory.total)} on the host` : 'host memory: …'));
}

// A small live picture of a running guest's screen beside its name, kept
// across re-renders (one per guest) and dropped when the guest stops.
function rowThumbnail(page, vm) {
  page.thumbs = page.thumbs || new Map();
  if (!stateInfo(vm.state).active || vm.state === 'shutdown') {
    page.thumbs.delete(vm.name);
    return null;
  }
  if (!page.thumbs.has(vm.name)) {
    const img = thumbnail(vm.name, { width: 96, cls: 'thumb thumb-row', alt: '' });
    img.dataset.testid = 'vm-thumbnail';
    page.thumbs.set(vm.name, img);
  }
  return page.thumbs.get(vm.name);
}

function rowFor(page, vm, pending) {
  const info = stateInfo(vm.state);
  const hint = pending && pending.label;
  const toggle = vm.state === 'paused' ? 'resume' : 'suspend';
  const tags = (vm.tags || []);
  return h('tr', { class: `vm-row tone-${info.tone}`, testid: 'vm-row', dataset: { vm: vm.name, state: vm.state } },
    h('td', { class: 'cell-name', 'data-label': 'Name' },
      rowThumbnail(page, vm),
      h('a', { class: 'vm-link', href: vmHref(vm.name), testid: 'vm-link' }, vm.name),
      vm.description ? h('span', { class: 'vm-desc', title: vm.description }, vm.description) : null),
    h('td', { class: 'cell-state', 'data-label': 'State' },
      stateBadge(vm.state),
      hint ? pendingMark(hint, 'vm-pending') : null),
    h('td', { class: 'num', 'data-label': 'vCPUs', testid: 'vm-vcpus' }, String(vm.vcpus ?? '—')),
    h('td', { class: 'num', 'data-label': 'Memory', testid: 'vm-memory' }, fmtMiB(vm.memory)),
    h('td', { 'data-label': 'Autostart', testid: 'vm-autostart' },
      vm.autostart ? h('span', { class: 'flag flag-on' }, icon('check'), 'On') : h('span', { class: 'flag' }, 'Off')),
    h('td', { 'data-label': 'Tags', testid: 'vm-tags' },
      tags.length ? h('span', { class: 'tags' }, tags.map((t) => h('span', { class: 'tag' }, t))) : h('span', { class: 'muted' }, '—')),
    page.operate ? h('td', { class: 'col-actions', 'data-label': 'Actions' },
      h('div', { class: 'actions actions-seg', role: 'group', 'aria-label': `Actions for ${vm.name}` },
        [...LIST_ACTIONS, toggle].map((a) => actionButton(vm, a, { pending, compact: true })),
        consoleLink(vm, 'vnc', { label: 'Console', cls: 'btn btn-sm btn-compact btn-action', testid: 'vm-console' }))) : null);
}

function visible(page, vm) {
  const { query } = page;
  if (!FILTERS[page.filter].match(vm.state)) return false;
  if (!query) return true;
  return vm.name.toLowerCase().includes(query)
    || (vm.description || '').toLowerCase().includes(query)
    || (vm.tags || []).some((t) => t.toLowerCase().includes(query));
}

function render(page) {
  const { snap, el } = page;
  renderStats(page);
  if (!snap || (!snap.loaded && !snap.error)) {
    el.count.textContent = '';
    clear(el.placeholder).append(skeleton(3));
    el.placeholder.hidden = false;
    el.table.hidden = true;
    return;
  }
  const all = snap.vms;
  const shown = all.filter((vm) => visible(page, vm));
  el.count.textContent = shown.length === all.length ? String(all.length) : `${shown.length} of ${all.length}`;
  updateRows(page, shown);
  el.table.hidden = shown.length === 0;
  el.placeholder.hidden = shown.length !== 0;
  if (shown.length === 0) renderPlaceholder(page, all);
}

// Puts the rows of `shown` in the table, rebuilding only the rows whose guest
// or pending action changed, so polling never steals keyboard focus; a
// focused button that was rebuilt gets focus back.
function updateRows(page, shown) {
  const { snap, rows, el: { tbody } } = page;
  const active = document.activeElement;
  const focusKey = active && tbody.contains(active)
    ? { vm: active.closest('tr')?.dataset.vm, testid: active.dataset.testid } : null;

  const order = [];
  for (const vm of shown) {
    const p = snap.pending.get(vm.name) || null;
    const sig = JSON.stringify([vm, p && { a: p.action, l: p.label, i: p.inflight }]);
    let r = rows.get(vm.name);
    if (!r || r.sig !== sig) {
      const el = rowFor(page, vm, p);
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
}

// What stands in for an empty table: an error, no guests (shared with
// nobody, or none at all), or none matching the search.
function renderPlaceholder(page, all) {
  const { snap, el } = page;
  let content;
  if (snap.error && !snap.loaded) {
    content = emptyState({ ic: 'alert', title: 'Guests are not available', text: snap.error.message });
  } else if (all.length === 0 && !page.admin) {
    content = emptyState({
      ic: 'lock', title: 'No guests are shared with you yet', testid: 'vm-empty',
      text: 'An admin chooses which guests each user can see, on the Users page. Ask them to grant you access.',
    });
  } else if (all.length === 0) {
    content = emptyState({
      ic: 'empty', title: 'No guests yet', testid: 'vm-empty',
      text: 'Virtual machines defined in libvirt on this host appear here by themselves, including ones made with virsh.',
    });
  } else {
    content = emptyState({
      ic: 'search', title: 'No guest matches', text: 'Try another search or state filter.',
      extra: h('button', { type: 'button', class: 'btn', onclick: () => clearFilters(page) }, 'Clear filters'),
    });
  }
  clear(el.placeholder).append(content);
}

function clearFilters(page) {
  page.el.search.value = '';
  page.el.select.value = 'all';
  page.query = '';
  page.filter = 'all';
  render(page);
}
