// #/audit (admins): every change made through Vireo and every sign-in
// attempt, newest first, each action in words; identical failures within a
// minute are one entry with a count. Filters by user, action, object (the
// entry's target), result and time are kept in the address
// (#/audit?action=vm.&result=failure), so a reload or a shared link shows
// the same; "Older entries" pages with ?before=.

import { api } from './api.js';
import { h, icon, clear, uid, fmtRelative } from './dom.js';
import { dataTable, emptyState, loadError, pageHead, skeleton, spinner } from './widgets.js';

const PAGE_SIZES = [25, 50, 100, 200];
const DEFAULT_SIZE = 50;

// Every action vireod records (the .action of the routes in
// api/core/api_routes.c), in words, grouped by the kind of object for the
// filter. `any` are the prefixes ("vm.") that match a whole kind.
const GROUPS = [
  {
    label: 'Guests',
    any: [['vm.', 'Any guest action']],
    actions: [
      ['vm.create', 'Created a guest'], ['vm.import', 'Imported a guest'], ['vm.update', 'Edited a guest'], ['vm.delete', 'Deleted a guest'],
      ['vm.start', 'Started a guest'], ['vm.shutdown', 'Asked a guest to shut down'], ['vm.poweroff', 'Powered off a guest'],
      ['vm.reboot', 'Asked a guest to reboot'], ['vm.reset', 'Reset a guest'], ['vm.suspend', 'Suspended a guest'],
      ['vm.resume', 'Resumed a guest'],
      ['vm.disk.attach', 'Attached a disk'], ['vm.disk.update', 'Changed a CD-ROM medium'], ['vm.disk.detach', 'Detached a disk'],
      ['vm.eject_installer', 'Ejected the installer (boots from disk)'],
      ['vm.console.ticket', 'Asked for a console'], ['vm.console', 'Used a console'], ['vm.keys', 'Pressed keys on a guest'],
      ['vm.nic.attach', 'Attached a network interface'], ['vm.nic.update', 'Changed a network interface'],
      ['vm.nic.detach', 'Detached a network interface'],
      ['vm.clone', 'Cloned a guest'], ['vm.migrate', 'Moved a guest to another host'], ['vm.snapshot.create', 'Took a snapshot'],
      ['vm.snapshot.revert', 'Reverted a guest to a snapshot'], ['vm.snapshot.delete', 'Deleted a snapshot'],
      ['vm.export', 'Exported a guest'], ['vm.import_archive', 'Imported a guest’s archive'],
    ],
  },
  {
    label: 'Storage',
    any: [['pool.', 'Any storage pool action'], ['volume.', 'Any volume action']],
    actions: [
      ['pool.create', 'Created a storage pool'], ['pool.update', 'Changed a storage pool'], ['pool.delete', 'Deleted a storage pool'],
      ['pool.start', 'Started a storage pool'], ['pool.stop', 'Stopped a storage pool'], ['pool.refresh', 'Refreshed a storage pool'],
      ['volume.create', 'Created a volume'], ['volume.delete', 'Deleted a volume'], ['volume.resize', 'Resized a volume'],
      ['volume.wipe', 'Wiped a volume'], ['volume.clone', 'Cloned a volume'], ['volume.upload', 'Uploaded a volume'],
    ],
  },
  {
    label: 'Networks',
    any: [['network.', 'Any network action']],
    actions: [
      ['network.create', 'Created a network'], ['network.update', 'Changed a network'], ['network.delete', 'Deleted a network'],
      ['network.start', 'Started a network'], ['network.stop', 'Stopped a network'],
    ],
  },
  {
    label: 'Hosts',
    any: [['host.', 'Any host action']],
    actions: [
      ['host.create', 'Added a host'], ['host.update', 'Changed a host'], ['host.delete', 'Removed a host'],
    ],
  },
  {
    label: 'Users & access',
    any: [['user.', 'Any user action'], ['grant.', 'Any grant']],
    actions: [
      ['user.create', 'Created a user'], ['user.update', 'Changed a user'], ['user.delete', 'Deleted a user'],
      ['grant.add', 'Granted access'], ['grant.remove', 'Took away access'],
    ],
  },
  {
    label: 'Sessions & tokens',
    any: [['session.', 'Any session action'], ['token.', 'Any API token action']],
    actions: [
      ['session.login', 'Signed in'], ['session.logout', 'Signed out'], ['session.password', 'Changed own password'],
      ['session.revoke', 'Ended a session'], ['token.create', 'Created an API token'], ['token.revoke', 'Revoked an API token'],
    ],
  },
  {
    label: 'Templates',
    any: [['template.', 'Any template action']],
    actions: [['template.create', 'Created a template'], ['template.update', 'Edited a template'], ['template.delete', 'Deleted a template']],
  },
  {
    label: 'Backups',
    any: [['backup.', 'Any backup action']],
    actions: [
      ['backup.job.create', 'Created a backup job'], ['backup.job.update', 'Edited a backup job'],
      ['backup.job.delete', 'Deleted a backup job'], ['backup.job.run', 'Ran a backup job'],
      ['backup.restore', 'Restored a backup'], ['backup.delete', 'Deleted a backup'],
    ],
  },
  {
    label: 'Tasks',
    any: [],
    actions: [['task.cancel', 'Cancelled a task']],
  },
];
const WORDS = Object.fromEntries(GROUPS.flatMap((g) => g.actions));
const FILTER_VALUES = new Set(GROUPS.flatMap((g) => [...g.any, ...g.actions].map(([v]) => v)));

// For an id this table does not know yet ("vm.snapshot.create"): the kind
// and the verb, readable enough ("Guest snapshot: create").
const KINDS = { vm: 'Guest', pool: 'Storage pool', volume: 'Volume', network: 'Network', user: 'User', grant: 'Access', session: 'Session', token: 'API token', template: 'Template', task: 'Task' };
function fallback(action) {
  const parts = action.split('.');
  if (parts.length < 2) return action;
  const verb = parts.pop();
  const [kind, ...rest] = parts;
  return `${[KINDS[kind] || kind, ...rest].join(' ')}: ${verb.replace(/_/g, ' ')}`;
}

// What an entry did, in words. The method and path stay visible beside it.
function describe(e) {
  if (e.action === 'session.login' && e.result === 'failure') return e.status === 429 ? 'Sign-in refused (throttled)' : 'Failed sign-in';
  if (!e.action) return `${e.method} ${e.path}`;
  return WORDS[e.action] || fallback(e.action);
}

// Session ids are 64 hex digits: show the start, keep the rest in a tooltip.
const shorten = (text) => text.replace(/\b[0-9a-f]{24,}\b/gi, (m) => `${m.slice(0, 10)}…`);

// The Result cell: the HTTP status coloured by how it ended, or "running"
// for a change vireod has recorded and not finished yet.
function resultPill(e) {
  if (e.result === 'running' || e.status === 0) {
    return h('span', { class: 'pill pill-info status-pill', testid: 'audit-status', title: 'Still running: the change was recorded before it started' }, spinner(), 'running');
  }
  const s = e.status;
  const tone = s < 300 ? 'ok' : s < 400 ? 'off' : s === 401 || s === 403 || s === 429 ? 'warn' : 'bad';
  const title = e.result === 'success' ? 'Done' : s >= 500 ? 'Failed in vireod or libvirt' : 'Refused';
  return h('span', { class: `pill pill-${tone} status-pill`, testid: 'audit-status', title }, String(s));
}

// "×14, last at 8:41:40 PM": identical failures within a minute of each other.
function repeatsLine(e) {
  if (!(e.repeats > 1)) return null;
  const first = new Date(e.time);
  const last = new Date(e.last_time || e.time);
  const sameDay = first.toDateString() === last.toDateString();
  const at = last.toLocaleString(undefined, sameDay ? { timeStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'medium' });
  return h('span', {
    class: 'audit-repeat', testid: 'audit-repeats', title: `${e.repeats} identical failures, each within a minute of the one before, folded into this entry`,
  }, h('strong', {}, `×${e.repeats}`), `, last at ${at}`);
}

// datetime-local value (local time) <-> ISO 8601 in UTC, as the address and vireod take it.
function toIso(local) {
  if (!local) return '';
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function toLocal(iso) {
  const t = new Date(iso || '');
  if (!iso || Number.isNaN(t.getTime())) return '';
  return new Date(t.getTime() - t.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
}

// The page's state, passed to every function below: the filters in force,
// the entries shown, where the next page starts, and the nodes. `query` is
// the address's (#/audit?user=vera&action=vm.): the filters to start with.
export function mountAudit(root, query = {}) {
  const page = { disposed: false, entries: [], next: null, filters: {}, loading: false, el: {} };
  const form = filterForm(page);
  Object.assign(page.el, {
    summary: h('span', { class: 'muted', testid: 'audit-summary', 'aria-live': 'polite' }),
    older: h('button', { type: 'button', class: 'btn', testid: 'audit-older', hidden: true, onclick: () => fetchPage(page, true) },
      'Older entries', icon('chevron')),
    tbody: h('tbody', { testid: 'audit-rows' }),
    placeholder: h('div', { class: 'placeholder' }),
  });
  page.el.table = dataTable({
    cls: 'audit-table', testid: 'audit-table', caption: 'Audit log, newest first',
    columns: ['Time', 'User', 'Action', 'Target', 'Result', 'Address'], rows: page.el.tbody,
  });
  page.el.foot = h('div', { class: 'card-foot', hidden: true }, page.el.summary, page.el.older);
  root.append(h('section', { class: 'view view-audit', testid: 'view-audit' },
    pageHead('audit', 'Audit log', 'Every change made through Vireo and every sign-in attempt: by whom, from where, and whether it was allowed. Reads are not recorded; request bodies (with their passwords) never are.'),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head card-head-filters' }, form),
      page.el.table,
      page.el.placeholder,
      page.el.foot)));
  showFilters(page, query);
  loadUserNames(page);
  search(page, { remember: false });
  return () => { page.disposed = true; };
}

// The action filter: any, a whole kind ("Any guest action"), or one action.
// A value the table does not know (from an address) is kept as it is.
function actionSelect(id) {
  return h('select', { class: 'input select', id, testid: 'audit-action-filter' },
    h('option', { value: '' }, 'Any action'),
    GROUPS.map((g) => h('optgroup', { label: g.label },
      g.any.map(([v, label]) => h('option', { value: v }, label)),
      g.actions.map(([v, label]) => h('option', { value: v }, label)))));
}

// User, action, object, result, time range and page size; Apply searches,
// Reset clears them.
function filterForm(page) {
  const ids = {
    user: uid('audit-user'), users: uid('audit-users'), action: uid('audit-action'), object: uid('audit-object'),
    result: uid('audit-result'), since: uid('audit-since'), until: uid('audit-until'), size: uid('audit-size'),
  };
  const el = page.el;
  el.user = h('input', { class: 'input', id: ids.user, type: 'search', testid: 'audit-user', list: ids.users, autocomplete: 'off', spellcheck: 'false', placeholder: 'Anyone' });
  el.users = h('datalist', { id: ids.users });
  el.action = actionSelect(ids.action);
  el.object = h('input', {
    class: 'input', id: ids.object, type: 'search', testid: 'audit-object', autocomplete: 'off', spellcheck: 'false', placeholder: 'Anything',
    title: 'The name an entry is about: a guest, pool, network, user, template…',
  });
  el.result = h('select', { class: 'input select', id: ids.result, testid: 'audit-result' },
    h('option', { value: '' }, 'Any result'), h('option', { value: 'success' }, 'Succeeded'), h('option', { value: 'failure' }, 'Failed or refused'));
  el.since = h('input', { class: 'input', id: ids.since, type: 'datetime-local', testid: 'audit-since' });
  el.until = h('input', { class: 'input', id: ids.until, type: 'datetime-local', testid: 'audit-until' });
  el.size = h('select', { class: 'input select', id: ids.size, testid: 'audit-page-size' },
    PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === DEFAULT_SIZE }, `${n} per page`)));
  el.apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'audit-apply' }, icon('filter'), 'Apply');
  const reset = h('button', {
    type: 'button', class: 'btn', testid: 'audit-reset',
    onclick: () => { showFilters(page, {}); search(page); },
  }, 'Reset');
  const f = (label, id, control, cls = '') => h('div', { class: `field ${cls}`.trim() }, h('label', { for: id }, label), control);
  return h('form', { class: 'filters filters-grid', testid: 'audit-filters', role: 'search', 'aria-label': 'Filter the audit log', novalidate: true, onsubmit: (e) => { e.preventDefault(); search(page); } },
    f('User', ids.user, [el.user, el.users]),
    f('Action', ids.action, el.action, 'field-action'),
    f('Object', ids.object, el.object),
    f('Result', ids.result, el.result),
    f('From', ids.since, el.since),
    f('Until', ids.until, el.until),
    f('Show', ids.size, el.size),
    h('div', { class: 'field field-button' }, h('div', { class: 'toolbar' }, el.apply, reset)));
}

// Puts filters (as the address holds them) into the form.
function showFilters(page, q) {
  const { el } = page;
  el.user.value = q.user || '';
  const action = q.action || '';
  if (action && !FILTER_VALUES.has(action) && ![...el.action.options].some((o) => o.value === action)) {
    el.action.append(h('option', { value: action }, fallback(action.replace(/\.$/, '.any'))));
  }
  el.action.value = action;
  el.object.value = q.object || '';
  el.result.value = q.result === 'success' || q.result === 'failure' ? q.result : '';
  el.since.value = toLocal(q.since);
  el.until.value = toLocal(q.until);
  const size = Number(q.limit);
  el.size.value = String(PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE);
}

// The user names for the User box's suggestions.
function loadUserNames(page) {
  api.users().then(({ data }) => {
    if (!page.disposed) page.el.users.replaceChildren(...(data.users || []).map((x) => h('option', { value: x.username })));
  }).catch(() => {});
}

// A new search from the filters: the newest page of what matches. The
// filters go into the address (replacing it: Back leaves the page, it does
// not step through searches).
function search(page, { remember = true } = {}) {
  const { el } = page;
  page.filters = {
    user: el.user.value.trim(), action: el.action.value, object: el.object.value.trim(), result: el.result.value,
    since: toIso(el.since.value), until: toIso(el.until.value),
  };
  if (remember) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(page.filters)) if (v) q.set(k, v);
    if (el.size.value !== String(DEFAULT_SIZE)) q.set('limit', el.size.value);
    const qs = q.toString();
    history.replaceState(history.state, '', `#/audit${qs ? `?${qs}` : ''}`);
  }
  page.entries = [];
  page.next = null;
  fetchPage(page, false);
}

// The first page of a search, or (more) the page of older entries after it.
async function fetchPage(page, more) {
  const { el } = page;
  if (page.loading) return;
  page.loading = true;
  el.older.disabled = el.apply.disabled = true;
  if (!more) clear(el.placeholder).append(skeleton(3));
  try {
    const { data } = await api.audit({ ...page.filters, limit: el.size.value, before: more ? page.next : '' });
    if (page.disposed) return;
    page.entries = more ? page.entries.concat(data.entries || []) : (data.entries || []);
    page.next = data.next_before || null;
    render(page);
  } catch (e) {
    if (page.disposed) return;
    el.table.hidden = true;
    el.placeholder.hidden = false;
    clear(el.placeholder).append(loadError('Could not read the audit log', e));
  } finally {
    page.loading = false;
    el.older.disabled = el.apply.disabled = false;
  }
}

function render(page) {
  const { entries, next, el } = page;
  el.tbody.replaceChildren(...entries.map(rowFor));
  el.table.hidden = entries.length === 0;
  el.placeholder.hidden = entries.length !== 0;
  if (!entries.length) {
    const filtered = Object.values(page.filters).some((v) => v !== '' && v !== undefined);
    clear(el.placeholder).append(emptyState({
      ic: filtered ? 'search' : 'audit', testid: 'audit-empty',
      title: filtered ? 'No entry matches these filters' : 'The audit log is empty',
      text: filtered ? 'Try another user, action, object or result, or a wider time range.' : 'Changes made through Vireo appear here.',
    }));
  }
  el.older.hidden = !next;
  el.foot.hidden = entries.length === 0;
  el.summary.textContent = entries.length
    ? `Showing the ${entries.length} newest matching entr${entries.length === 1 ? 'y' : 'ies'}${next ? '; older ones exist' : ''}.`
    : '';
}

function rowFor(e) {
  const when = new Date(e.time);
  // "login" and "login failed" only repeat what the action column says.
  const detail = e.detail && e.detail !== e.target && !/^login( failed)?$/.test(e.detail) ? e.detail : '';
  return h('tr', {
    testid: 'audit-row',
    dataset: {
      id: String(e.id), user: e.user, method: e.method, path: e.path, status: String(e.status),
      action: e.action || '', result: e.result || '', repeats: String(e.repeats || 1),
    },
  },
  h('td', { 'data-label': 'Time', class: 'nowrap', title: e.time },
    h('span', { class: 'cell-main' }, when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })),
    h('span', { class: 'cell-sub' }, fmtRelative(e.time)),
    repeatsLine(e)),
  h('td', { 'data-label': 'User', testid: 'audit-user-cell' }, e.user ? h('strong', {}, e.user) : h('span', { class: 'muted' }, 'anonymous')),
  h('td', { 'data-label': 'Action' },
    h('span', { class: 'cell-main', testid: 'audit-action', title: e.action || null }, describe(e)),
    h('code', { class: 'cell-sub mono', testid: 'audit-request', title: `${e.method} ${e.path}` }, shorten(`${e.method} ${e.path}`))),
  h('td', { 'data-label': 'Target', class: 'audit-target', testid: 'audit-target' },
    e.target ? h('span', { title: e.target }, shorten(e.target)) : null,
    detail ? h('span', { class: e.target ? 'cell-sub' : '', testid: 'audit-detail' }, detail) : null,
    !e.target && !detail ? h('span', { class: 'muted' }, '—') : null),
  h('td', { 'data-label': 'Result' }, resultPill(e)),
  h('td', { 'data-label': 'Address' }, h('code', { class: 'mono' }, e.address || '—')));
}
