// #/audit (admins): every state-changing request, refused or not, newest
// first; filters by user and time; "Older entries" pages with ?before=.

import { api } from './api.js';
import { h, icon, clear, uid, fmtRelative } from './dom.js';
import { dataTable, emptyState, loadError, pageHead, skeleton } from './widgets.js';

const PAGE_SIZES = [25, 50, 100, 200];
const VM_ACTIONS = {
  start: 'Started', shutdown: 'Asked to shut down', poweroff: 'Powered off', reboot: 'Asked to reboot',
  reset: 'Reset', suspend: 'Suspended', resume: 'Resumed',
};

// What a request did, in words. The method and path stay visible beside it.
export function describe(e) {
  const p = e.path.split('/').filter(Boolean); // ['api', 'vms', 'x', 'start']
  const ok = e.status < 400;
  const [, what, , sub, subId] = p;
  const m = e.method;
  let text = `${m} ${e.path}`;
  if (what === 'session' && p.length === 2) {
    if (m === 'POST') text = ok ? 'Signed in' : e.status === 429 ? 'Sign-in refused (throttled)' : 'Failed sign-in';
    else if (m === 'DELETE') text = 'Signed out';
  } else if (what === 'session' && sub === undefined && p[2] === 'password') {
    text = 'Changed own password';
  } else if (what === 'sessions') {
    text = 'Ended a session';
  } else if (what === 'tokens') {
    text = m === 'POST' ? 'Created an API token' : 'Revoked an API token';
  } else if (what === 'users' && !sub) {
    if (m === 'POST' && p.length === 2) text = 'Created a user';
    else if (m === 'PATCH') text = 'Changed a user';
    else if (m === 'DELETE') text = 'Deleted a user';
  } else if (what === 'users' && sub === 'grants') {
    text = m === 'POST' ? 'Granted access to a guest' : subId ? 'Removed access to a guest' : text;
  } else if (what === 'vms') {
    if (sub && VM_ACTIONS[sub]) text = VM_ACTIONS[sub];
    else if (m === 'PATCH') text = 'Edited guest details';
    else if (m === 'DELETE') text = 'Deleted a guest';
    else if (m === 'POST' && p.length === 2) text = 'Created a guest';
  }
  return ok ? text : (/^(Failed|Sign-in refused)/.test(text) ? text : `${text} (refused)`);
}

// Session ids are 64 hex digits: show the start, keep the rest in a tooltip.
const shorten = (text) => text.replace(/\b[0-9a-f]{24,}\b/gi, (m) => `${m.slice(0, 10)}…`);

function statusPill(status) {
  const tone = status < 300 ? 'ok' : status < 400 ? 'off' : status === 401 || status === 403 || status === 429 ? 'warn' : 'bad';
  return h('span', { class: `pill pill-${tone} status-pill`, testid: 'audit-status' }, String(status));
}

// datetime-local value (local time) -> unix seconds, or '' when empty.
function toUnix(v) {
  if (!v) return '';
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? '' : Math.floor(t / 1000);
}

// The page's state, passed to every function below: the filters in force,
// the entries shown, where the next page starts, and the nodes.
export function mountAudit(root) {
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
    pageHead('audit', 'Audit log', 'Every change made through Vireo, by whom, from where, and whether it was allowed. Reads are not recorded; request bodies (with their passwords) never are.'),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head card-head-filters' }, form),
      page.el.table,
      page.el.placeholder,
      page.el.foot)));
  loadUserNames(page);
  search(page);
  return () => { page.disposed = true; };
}

// User, time range and page size; Apply searches, Reset clears them.
function filterForm(page) {
  const ids = { user: uid('audit-user'), since: uid('audit-since'), until: uid('audit-until'), size: uid('audit-size'), users: uid('audit-users') };
  const el = page.el;
  el.user = h('input', { class: 'input', id: ids.user, type: 'search', testid: 'audit-user', list: ids.users, autocomplete: 'off', spellcheck: 'false', placeholder: 'Anyone' });
  el.users = h('datalist', { id: ids.users });
  el.since = h('input', { class: 'input', id: ids.since, type: 'datetime-local', testid: 'audit-since' });
  el.until = h('input', { class: 'input', id: ids.until, type: 'datetime-local', testid: 'audit-until' });
  el.size = h('select', { class: 'input select', id: ids.size, testid: 'audit-page-size' },
    PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === 50 }, `${n} per page`)));
  el.apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'audit-apply' }, icon('filter'), 'Apply');
  const reset = h('button', {
    type: 'button', class: 'btn', testid: 'audit-reset',
    onclick: () => { el.user.value = ''; el.since.value = ''; el.until.value = ''; el.size.value = '50'; search(page); },
  }, 'Reset');
  return h('form', { class: 'filters', testid: 'audit-filters', role: 'search', 'aria-label': 'Filter the audit log', novalidate: true, onsubmit: (e) => { e.preventDefault(); search(page); } },
    h('div', { class: 'field' }, h('label', { for: ids.user }, 'User'), el.user, el.users),
    h('div', { class: 'field' }, h('label', { for: ids.since }, 'From'), el.since),
    h('div', { class: 'field' }, h('label', { for: ids.until }, 'Until'), el.until),
    h('div', { class: 'field' }, h('label', { for: ids.size }, 'Show'), el.size),
    h('div', { class: 'field field-button' }, h('div', { class: 'toolbar' }, el.apply, reset)));
}

// The user names for the User box's suggestions.
function loadUserNames(page) {
  api.users().then(({ data }) => {
    if (!page.disposed) page.el.users.replaceChildren(...(data.users || []).map((x) => h('option', { value: x.username })));
  }).catch(() => {});
}

// A new search from the filters: the newest page of what matches.
function search(page) {
  const { el } = page;
  page.filters = { user: el.user.value.trim(), since: toUnix(el.since.value), until: toUnix(el.until.value) };
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
      text: filtered ? 'Try another user or a wider time range.' : 'Changes made through Vireo appear here.',
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
  return h('tr', { testid: 'audit-row', dataset: { id: String(e.id), user: e.user, method: e.method, path: e.path, status: String(e.status) } },
    h('td', { 'data-label': 'Time', class: 'nowrap', title: e.time },
      h('span', { class: 'cell-main' }, when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })),
      h('span', { class: 'cell-sub' }, fmtRelative(e.time))),
    h('td', { 'data-label': 'User', testid: 'audit-user-cell' }, e.user ? h('strong', {}, e.user) : h('span', { class: 'muted' }, 'anonymous')),
    h('td', { 'data-label': 'Action' },
      h('span', { class: 'cell-main', testid: 'audit-action' }, describe(e)),
      h('code', { class: 'cell-sub mono', testid: 'audit-request', title: `${e.method} ${e.path}` }, shorten(`${e.method} ${e.path}`))),
    h('td', { 'data-label': 'Target', class: 'audit-target', testid: 'audit-target' },
      e.target ? h('span', { title: e.target }, shorten(e.target)) : null,
      detail ? h('span', { class: e.target ? 'cell-sub' : '', testid: 'audit-detail' }, detail) : null,
      !e.target && !detail ? h('span', { class: 'muted' }, '—') : null),
    h('td', { 'data-label': 'Result' }, statusPill(e.status)),
    h('td', { 'data-label': 'Address' }, h('code', { class: 'mono' }, e.address || '—')));
}
