// The guest list: totals, then one row per guest with its state, size and
// live figures (CPU, memory in use, uptime: refreshed in place from the
// event stream's samples), sortable by any of them, searchable and
// filterable by state (all kept in the address, so Back restores them),
// with checkboxes for acting on many guests at once, and a compact density
// for long lists. Rows are updated in place so nothing steals keyboard focus.

import { api } from './api.js';
import { h, icon, clear, fmtMiB } from './dom.js';
import * as live from './live.js';
import { onHost } from './host.js';
import { bulkBar } from './bulk-actions.js';
import { COLUMNS, liveCells, nextSort, sortHeader, sortVms } from './list-columns.js';
import { STATE_FILTERS, filterFor, matches, readQuery, writeQuery } from './list-query.js';
import { rowActions } from './row-actions.js';
import { thumbnail } from './thumbnails.js';
import { vmHref } from './router.js';
import { nextBootMark, stateBadge, stateInfo } from './states.js';
import { canOperate, isAdmin, getUser } from './session.js';
import { emptyState, pendingMark, reloadButton, skeleton } from './widgets.js';
import { figureStore } from './vm-figures.js';

const DENSITY_KEY = 'vireo.list.density';
// A long list builds a screenful of rows at once, then, once that is
// painted, the rest four screenfuls a frame: a screenful is as many rows as
// the window's height holds at the compact density's row height (33 px), so
// 28 on a 900 px screen, where 12 comfortable rows show (at least 10: a
// frame costs more than a few rows), and every frame restyles and lays out
// the page again.
const MIN_ROW_PX = 32;
const rowsPerFrame = () => Math.max(10, Math.ceil(window.innerHeight / MIN_ROW_PX));

// The list's state, passed to every function below: what it shows (the
// address's query), the last snapshot from live.js, the live figures, the
// selection, the host facts, the rows on screen (kept to update them in
// place) and the nodes.
export function mountList(root, query = {}) {
  const page = {
    view: readQuery(query),
    snap: null,
    figures: figureStore(),
    selected: new Set(),
    shown: [],
    host: null,
    hosts: [],         // the libvirt hosts (GET /api/hosts), for the switcher and the Host column
    rows: new Map(), // rowKey -> {sig, el, check, live}
    compact: readDensity() === 'compact',
    // Viewers get no lifecycle buttons or checkboxes: the daemon would refuse them.
    operate: canOperate(),
    admin: isAdmin(),
    el: {
      stats: h('section', { class: 'stats', testid: 'stats', 'aria-label': 'Totals' }),
      count: h('span', { class: 'count', testid: 'vm-count' }),
      tbody: h('tbody', { testid: 'vm-rows' }),
      thead: h('thead'),
      placeholder: h('div', { class: 'placeholder', testid: 'vm-list-placeholder' }),
    },
  };
  page.bulk = page.operate ? bulkBar({
    selected: () => page.shown.filter((vm) => page.selected.has(vm.name)),
    // Those that failed stay selected, to try again or look at.
    after: (failed) => { page.selected = new Set(failed); render(page); },
    clearSelection: () => { page.selected.clear(); render(page); },
  }) : null;
  root.append(layout(page));
  renderHead(page);
  render(page);
  const offLive = live.subscribe((s) => {
    if (s.vms !== page.snap?.vms) page.figures.set(s.vms);
    page.snap = s;
    render(page);
  });
  const offStats = live.onObjectEvent('stats', (frame) => { page.figures.sample(frame); refreshFigures(page); });
  const offHost = onHost((hi) => { page.host = hi; renderStats(page); });
  return () => { page.disposed = true; offLive(); offStats(); offHost(); if (page.frame) page.frame(); };
}

// Runs fn once the next frame is painted; returns what cancels it. The rest
// of a long list is built then, not in that frame's animation callbacks:
// those run before the frame is styled, laid out and painted, so the first
// screenful would show only together with every other row.
function afterPaint(fn) {
  let timer = 0;
  const frame = requestAnimationFrame(() => { timer = setTimeout(fn); });
  return () => { cancelAnimationFrame(frame); clearTimeout(timer); };
}

function readDensity() {
  try { return localStorage.getItem(DENSITY_KEY) || 'comfortable'; } catch { return 'comfortable'; }
}

function setView(page, changes) {
  page.view = { ...page.view, ...changes };
  writeQuery(page.view);
  renderHead(page);
  render(page);
}

function layout(page) {
  const { el, operate, view } = page;
  el.search = h('input', {
    type: 'search', class: 'input search-input', placeholder: 'Search name, tag or description', testid: 'vm-search',
    'aria-label': 'Search guests', autocomplete: 'off', spellcheck: 'false', value: view.q,
    oninput: (e) => setView(page, { q: e.target.value }),
  });
  el.select = h('select', {
    class: 'input select', testid: 'vm-filter', 'aria-label': 'Filter by state',
    onchange: (e) => setView(page, { states: readQuery({ state: e.target.value }).states }),
  });
  fillFilter(page);
  el.hostSelect = h('select', {
    class: 'input select', testid: 'vm-host-filter', 'aria-label': 'Show the guests of', hidden: true,
    onchange: (e) => setView(page, { host: e.target.value }),
  });
  fillHosts(page);
  el.sortSelect = h('select', {
    class: 'input select sort-select', testid: 'vm-sort', 'aria-label': 'Sort by',
    onchange: (e) => { const [sort, dir] = e.target.value.split(':'); setView(page, { sort, dir }); },
  }, Object.entries(COLUMNS).flatMap(([key, [label]]) => [
    h('option', { value: `${key}:asc` }, `${label} ↑`), h('option', { value: `${key}:desc` }, `${label} ↓`)]));
  el.density = h('button', {
    type: 'button', class: 'btn btn-ghost btn-sm', testid: 'vm-density', 'aria-pressed': String(page.compact),
    title: 'Show more guests on a screen: smaller rows, no screen pictures',
    onclick: () => toggleDensity(page),
  }, icon('tasks'), h('span', {}, 'Compact'));
  el.selectAll = operate ? h('input', {
    type: 'checkbox', class: 'row-check', testid: 'vm-select-all', 'aria-label': 'Select all guests shown',
    onchange: (e) => selectAll(page, e.target.checked),
  }) : null;
  el.table = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table vm-table', testid: 'vm-list' },
    h('caption', { class: 'sr-only' }, 'Virtual machines on this host'), el.thead, el.tbody));
  el.view = h('section', { class: `view view-list${page.compact ? ' density-compact' : ''}`, testid: 'view-list' },
    el.stats,
    h('section', { class: 'card card-flush vm-card' },
      h('div', { class: 'card-head' },
        h('h1', { class: 'card-title' }, 'Guests ', el.count,
          operate ? null : h('span', {
            class: 'pill pill-info', testid: 'view-only',
            title: `Your role (${getUser()?.role || 'viewer'}) can see these guests but not change them`,
          }, icon('eye'), 'View only')),
        h('div', { class: 'toolbar' }, h('label', { class: 'search' }, icon('search'), el.search), el.select, el.hostSelect, el.sortSelect, el.density,
          reloadButton({ testid: 'vm-refresh', label: 'Refresh now', title: 'Refresh now', onclick: () => live.refreshNow() }),
          operate ? h('a', { class: 'btn btn-primary', href: '#/new', testid: 'vm-new' }, icon('plus'), 'New VM') : null)),
      el.table,
      el.placeholder,
      // After the table, so it sticks to the bottom of the screen while the rows scroll.
      page.bulk ? page.bulk.el : null));
  return el.view;
}

// The state filter's choices, and one for a list of states a link asked
// for that none of them is.
// The host switcher, shown when Vireo drives more than one host
// (docs/hosts.md): all hosts, or one host's guests.
async function fillHosts(page) {
  try {
    const { data } = await api.hosts();
    page.hosts = data.hosts || [];
  } catch {
    return;
  }
  if (page.disposed) return;
  const sel = page.el.hostSelect;
  clear(sel).append(h('option', { value: '' }, 'All hosts'),
    ...page.hosts.map((x) => h('option', { value: x.name }, x.name)));
  sel.value = page.view.host || '';
  sel.hidden = page.hosts.length < 2;
  renderHead(page);
  // Rows gain a Host cell: build them again.
  for (const r of page.rows.values()) r.sig = '';
  if (page.snap) render(page);
}

function fillFilter(page) {
  const { states } = page.view;
  const match = filterFor(states);
  const options = STATE_FILTERS.map((f) => h('option', { value: f.key, selected: f === match }, f.label));
  if (!match) options.push(h('option', { value: states.join(','), selected: true }, `State: ${states.join(', ')}`));
  clear(page.el.select).append(...options);
}

function toggleDensity(page) {
  page.compact = !page.compact;
  try { localStorage.setItem(DENSITY_KEY, page.compact ? 'compact' : 'comfortable'); } catch { /* private mode */ }
  page.el.density.setAttribute('aria-pressed', String(page.compact));
  page.el.view.classList.toggle('density-compact', page.compact);
  // Rows differ (no screen pictures when compact): build them again.
  for (const r of page.rows.values()) r.sig = '';
  render(page);
}

function renderHead(page) {
  const { view, operate, el } = page;
  const sortBy = (key) => setView(page, nextSort(view, key));
  const focused = el.thead.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
  clear(el.thead).append(h('tr', {},
    operate ? h('th', { scope: 'col', class: 'col-check' }, el.selectAll) : null,
    Object.keys(COLUMNS).map((key) => sortHeader(key, view, sortBy)),
    page.hosts.length > 1 ? h('th', { scope: 'col', class: 'col-host' }, 'Host') : null,
    h('th', { scope: 'col', class: 'col-tags' }, 'Tags'),
    operate ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')) : null));
  el.sortSelect.value = `${view.sort}:${view.dir}`;
  if (focused) el.thead.querySelector(`[data-testid="${focused}"]`)?.focus();
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
// across re-renders (one per guest) and dropped when the guest stops; none
// in the compact density.
function rowThumbnail(page, vm) {
  page.thumbs = page.thumbs || new Map();
  if (page.compact || !stateInfo(vm.state).active || vm.state === 'shutdown') {
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

// What the row shows besides the live figures: a change of any of it
// builds the row again.
function signature(page, vm, p) {
  return JSON.stringify([vm.name, vm.state, vm.vcpus, vm.memory, vm.autostart, vm.description, vm.tags, vm.next_boot || null,
    p && { a: p.action, l: p.label, i: p.inflight }, page.compact]);
}

function rowFor(page, vm, pending) {
  const info = stateInfo(vm.state);
  const hint = pending && pending.label;
  const tags = vm.tags || [];
  const figs = liveCells();
  const check = page.operate ? h('input', {
    type: 'checkbox', class: 'row-check', testid: 'vm-select', 'aria-label': `Select ${vm.name}`,
    onchange: (e) => { if (e.target.checked) page.selected.add(vm.name); else page.selected.delete(vm.name); renderSelection(page); },
  }) : null;
  const el = h('tr', { class: `vm-row tone-${info.tone}${info.active ? '' : ' is-off'}`, testid: 'vm-row', dataset: { vm: vm.name, key: rowKey(page, vm), state: vm.state } },
    check ? h('td', { class: 'col-check' }, check) : null,
    h('td', { class: 'cell-name col-name', 'data-label': 'Name' },
      rowThumbnail(page, vm),
      h('span', { class: 'cell-name-text' },
        h('a', { class: 'vm-link', href: vmHref(vm.name, page.hosts.length > 1 && vm.host ? vm.host.name : null), testid: 'vm-link' }, vm.name),
        vm.description || vm.autostart ? h('span', { class: 'vm-desc', title: vm.description || null },
          vm.autostart ? h('span', { class: 'vm-autostart', testid: 'vm-autostart', title: 'Starts when the host boots' }, 'autostart') : null,
          vm.description || null) : null)),
    h('td', { class: 'cell-state col-state', 'data-label': 'State' },
      stateBadge(vm.state),
      hint ? pendingMark(hint, 'vm-pending') : null,
      nextBootMark(vm, 'vm-next-boot')),
    h('td', { class: COLUMNS.vcpus[1], 'data-label': 'vCPUs', testid: 'vm-vcpus' }, String(vm.vcpus ?? '—')),
    h('td', { class: COLUMNS.memory[1], 'data-label': 'Memory', testid: 'vm-memory' }, fmtMiB(vm.memory)),
    figs.cells.cpu, figs.cells.memused, figs.cells.uptime,
    page.hosts.length > 1 ? h('td', { class: 'col-host', 'data-label': 'Host', testid: 'vm-host' },
      vm.state === 'unreachable' ? h('span', { class: 'pill pill-bad', title: 'Its host does not answer: the last known state' }, vm.host?.name || '?') : (vm.host?.name || '—')) : null,
    h('td', { class: 'col-tags', 'data-label': 'Tags', testid: 'vm-tags' },
      tags.length ? h('span', { class: 'tags' }, tags.map((t) => h('span', { class: 'tag' }, t))) : h('span', { class: 'muted' }, '—')),
    page.operate ? h('td', { class: 'col-actions', 'data-label': 'Actions' }, rowActions(vm, pending)) : null);
  figs.update(page.figures.get(vm));
  return { el, check, live: figs };
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
  const figOf = (vm) => page.figures.get(vm);
  page.shown = sortVms(all.filter((vm) => matches(page.view, vm)), page.view, figOf);
  el.count.textContent = page.shown.length === all.length ? String(all.length) : `${page.shown.length} of ${all.length}`;
  updateRows(page, page.shown);
  if (page.unbuilt && !page.frame) page.frame = afterPaint(() => { page.frame = null; render(page); });
  renderSelection(page);
  el.table.hidden = page.shown.length === 0;
  el.placeholder.hidden = page.shown.length !== 0;
  if (page.shown.length === 0) renderPlaceholder(page, all);
}

// A sample came: new figures in place; the order too when sorted by one.
function refreshFigures(page) {
  if (!page.snap || !page.snap.loaded) return;
  if (COLUMNS[page.view.sort][1].includes('col-live')) { render(page); return; }
  for (const vm of page.shown) page.rows.get(rowKey(page, vm))?.live.update(page.figures.get(vm));
}

// A row is its guest's name, and its host's when there are two hosts (a
// name may be on both; each host's samples update its own guest's row).
const rowKey = (page, vm) => (page.hosts.length > 1 && vm.host ? `${vm.name}\n${vm.host.id}` : vm.name);

// Only guests on screen stay selected; the header box says all, some or none.
function renderSelection(page) {
  if (!page.operate) return;
  const names = new Set(page.shown.map((vm) => vm.name));
  for (const n of [...page.selected]) if (!names.has(n)) page.selected.delete(n);
  for (const [name, r] of page.rows) r.check.checked = page.selected.has(name);
  const n = page.selected.size;
  page.el.selectAll.checked = n > 0 && n === page.shown.length;
  page.el.selectAll.indeterminate = n > 0 && n < page.shown.length;
  page.bulk.update(page.shown.filter((vm) => page.selected.has(vm.name)));
}

function selectAll(page, on) {
  page.selected = new Set(on ? page.shown.map((vm) => vm.name) : []);
  renderSelection(page);
}

// Puts the rows of `shown` in the table, rebuilding only the rows whose guest
// or pending action changed, so updates never steal keyboard focus; a
// focused button that was rebuilt gets focus back.
function updateRows(page, shown) {
  const { snap, rows, el: { tbody } } = page;
  const active = document.activeElement;
  const focusKey = active && tbody.contains(active)
    ? { key: active.closest('tr')?.dataset.key, testid: active.dataset.testid } : null;

  const order = [];
  let built = 0;
  const perFrame = rowsPerFrame() * (rows.size ? 4 : 1);
  page.unbuilt = false;
  for (const vm of shown) {
    const p = snap.pending.get(vm.name) || null;
    const sig = signature(page, vm, p);
    const key = rowKey(page, vm);
    let r = rows.get(key);
    if (!r && built >= perFrame) {
      // A long list shows its first screen at once and the rest a frame later.
      page.unbuilt = true;
      continue;
    }
    if (!r || r.sig !== sig) {
      built += 1;
      const fresh = rowFor(page, vm, p);
      if (r) r.el.replaceWith(fresh.el);
      r = { sig, ...fresh };
      rows.set(key, r);
    } else {
      r.live.update(page.figures.get(vm));
    }
    order.push(r.el);
  }
  const keys = new Set(shown.map((v) => rowKey(page, v)));
  for (const key of [...rows.keys()]) {
    if (!keys.has(key)) {
      rows.get(key).el.remove();
      rows.delete(key);
    }
  }
  // Rows already in place stay put (a moved row would lose focus and close
  // its open menu): only new or reordered rows are inserted.
  let ref = tbody.firstChild;
  for (const el of order) {
    if (el === ref) ref = ref.nextSibling;
    else tbody.insertBefore(el, ref);
  }

  if (focusKey && focusKey.key && !tbody.contains(document.activeElement)) {
    const row = rows.get(focusKey.key);
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
      ic: 'search', title: 'No guest matches', text: 'Try another search or state filter.', testid: 'vm-no-match',
      extra: h('button', { type: 'button', class: 'btn', testid: 'vm-clear-filters', onclick: () => clearFilters(page) }, 'Clear filters'),
    });
  }
  clear(el.placeholder).append(content);
}

function clearFilters(page) {
  page.el.search.value = '';
  setView(page, { q: '', states: [] });
  fillFilter(page);
}
