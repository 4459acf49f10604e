// #/audit (admins): every state-changing request, refused or not, newest
// first; filters by user and time; "Older entries" pages with ?before=.

import { api } from './api.js';
import { h, icon, clear, uid, fmtRelative } from './dom.js';
import { pageHead } from './widgets.js';

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

export function mountAudit(root) {
  let disposed = false;
  let entries = [];
  let next = null;
  let filters = {};
  let loading = false;

  const ids = { user: uid('audit-user'), since: uid('audit-since'), until: uid('audit-until'), size: uid('audit-size'), users: uid('audit-users') };
  const user = h('input', { class: 'input', id: ids.user, type: 'search', testid: 'audit-user', list: ids.users, autocomplete: 'off', spellcheck: 'false', placeholder: 'Anyone' });
  const users = h('datalist', { id: ids.users });
  const since = h('input', { class: 'input', id: ids.since, type: 'datetime-local', testid: 'audit-since' });
  const until = h('input', { class: 'input', id: ids.until, type: 'datetime-local', testid: 'audit-until' });
  const size = h('select', { class: 'input select', id: ids.size, testid: 'audit-page-size' },
    PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === 50 }, `${n} per page`)));
  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'audit-apply' }, icon('filter'), 'Apply');
  const reset = h('button', {
    type: 'button', class: 'btn', testid: 'audit-reset',
    onclick: () => { user.value = ''; since.value = ''; until.value = ''; size.value = '50'; search(); },
  }, 'Reset');
  const summary = h('span', { class: 'muted', testid: 'audit-summary', 'aria-live': 'polite' });
  const older = h('button', { type: 'button', class: 'btn', testid: 'audit-older', hidden: true, onclick: () => fetchPage(true) },
    'Older entries', icon('chevron'));
  const tbody = h('tbody', { testid: 'audit-rows' });
  const table = h('table', { class: 'data-table audit-table', testid: 'audit-table' },
    h('caption', { class: 'sr-only' }, 'Audit log, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col' }, 'User'),
      h('th', { scope: 'col' }, 'Action'),
      h('th', { scope: 'col' }, 'Target'),
      h('th', { scope: 'col' }, 'Result'),
      h('th', { scope: 'col' }, 'Address'))),
    tbody);
  const placeholder = h('div', { class: 'placeholder' });
  const foot = h('div', { class: 'card-foot', hidden: true }, summary, older);
  const filterForm = h('form', { class: 'filters', testid: 'audit-filters', role: 'search', 'aria-label': 'Filter the audit log', novalidate: true, onsubmit: (e) => { e.preventDefault(); search(); } },
    h('div', { class: 'field' }, h('label', { for: ids.user }, 'User'), user, users),
    h('div', { class: 'field' }, h('label', { for: ids.since }, 'From'), since),
    h('div', { class: 'field' }, h('label', { for: ids.until }, 'Until'), until),
    h('div', { class: 'field' }, h('label', { for: ids.size }, 'Show'), size),
    h('div', { class: 'field field-button' }, h('div', { class: 'toolbar' }, apply, reset)));

  root.append(h('section', { class: 'view view-audit', testid: 'view-audit' },
    pageHead('audit', 'Audit log', 'Every change made through Vireo, by whom, from where, and whether it was allowed. Reads are not recorded; request bodies (with their passwords) never are.'),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head card-head-filters' }, filterForm),
      h('div', { class: 'table-wrap' }, table),
      placeholder,
      foot)));

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

  function render() {
    tbody.replaceChildren(...entries.map(rowFor));
    table.hidden = entries.length === 0;
    placeholder.hidden = entries.length !== 0;
    if (!entries.length) {
      const filtered = Object.values(filters).some((v) => v !== '' && v !== undefined);
      clear(placeholder).append(h('div', { class: 'empty', testid: 'audit-empty' }, icon(filtered ? 'search' : 'audit', 'icon empty-icon'),
        h('h2', {}, filtered ? 'No entry matches these filters' : 'The audit log is empty'),
        h('p', {}, filtered ? 'Try another user or a wider time range.' : 'Changes made through Vireo appear here.')));
    }
    older.hidden = !next;
    foot.hidden = entries.length === 0;
    summary.textContent = entries.length
      ? `Showing the ${entries.length} newest matching entr${entries.length === 1 ? 'y' : 'ies'}${next ? '; older ones exist' : ''}.`
      : '';
  }

  function search() {
    const s = toUnix(since.value);
    const u = toUnix(until.value);
    filters = { user: user.value.trim(), since: s, until: u };
    entries = [];
    next = null;
    fetchPage(false);
  }

  async function fetchPage(more) {
    if (loading) return;
    loading = true;
    older.disabled = apply.disabled = true;
    if (!more) clear(placeholder).append(h('div', { class: 'skeleton' }, h('span'), h('span'), h('span')));
    try {
      const { data } = await api.audit({ ...filters, limit: size.value, before: more ? next : '' });
      if (disposed) return;
      entries = more ? entries.concat(data.entries || []) : (data.entries || []);
      next = data.next_before || null;
      render();
    } catch (e) {
      if (disposed) return;
      table.hidden = true;
      placeholder.hidden = false;
      clear(placeholder).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
        h('h2', {}, 'Could not read the audit log'), h('p', {}, e.message)));
    } finally {
      loading = false;
      older.disabled = apply.disabled = false;
    }
  }

  api.users().then(({ data }) => {
    if (!disposed) users.replaceChildren(...(data.users || []).map((x) => h('option', { value: x.username })));
  }).catch(() => {});
  search();
  return () => { disposed = true; };
}
