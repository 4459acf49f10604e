// #/users (admins): everyone who can sign in, their role, what an operator
// or viewer may use (grants of guests, storage pools, networks and host
// bridges), their quota and usage, password resets and deletion. The dialogs
// are in user-dialogs.js and quota-dialog.js.

import { api } from './api.js';
import { h, icon, clear, fmtDate, fmtRelative } from './dom.js';
import { usesText } from './scope.js';
import { ROLES, roleLabel, getUser } from './session.js';
import { attempt, confirmDialog, showError, toast } from './ui.js';
import { createUserDialog, grantsDialog, resetPasswordDialog } from './user-dialogs.js';
import { quotaDialog } from './quota-dialog.js';
import { quotaSummary } from './quota.js';
import {
  ACTIONS, avatar, card, countBadge, dataTable, deleteButton, loadError, newButton, pageHead, rowButton, skeleton,
} from './widgets.js';

const SHOWN_GRANTS = 3;

// The page's state, passed to every function below.
export function mountUsers(root) {
  const page = {
    me: getUser(),
    disposed: false,
    users: [],
    grants: new Map(), // username -> GET .../grants ({grants, pools, networks, bridges}) | Error
    el: {
      count: countBadge('users-count'),
      body: h('div', { class: 'card-body card-body-flush' }, skeleton(3)),
    },
  };
  root.append(layout(page));
  load(page);
  return () => { page.disposed = true; };
}

function layout(page) {
  return h('section', { class: 'view view-users', testid: 'view-users' },
    pageHead('users', 'Users', 'People who can sign in to Vireo, what their role lets them do, and which guests, storage pools and networks operators and viewers may use.',
      newButton({ testid: 'user-new', label: 'New user', onclick: () => createUser(page) })),
    card({ title: ['Accounts ', page.el.count], cls: 'card-flush', body: page.el.body }),
    h('section', { class: 'role-legend', 'aria-label': 'What each role may do' },
      Object.entries(ROLES).map(([key, r]) => h('div', { class: 'role-card' },
        h('span', { class: `role-badge role-${key}` }, r.label),
        h('p', {}, r.summary)))));
}

// Reads the users, shows them, then fills in each one's grants.
async function load(page) {
  try {
    const { data } = await api.users();
    if (page.disposed) return;
    page.users = (data.users || []).sort((a, b) => a.username.localeCompare(b.username));
    render(page);
    await Promise.all(page.users.filter((u) => u.role !== 'admin').map((u) => loadGrants(page, u.username, false)));
    if (!page.disposed) render(page);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.body).append(loadError('Could not load the users', e, () => load(page)));
  }
}

async function loadGrants(page, name, rerender = true) {
  try {
    const { data } = await api.grants(name);
    page.grants.set(name, data);
  } catch (e) {
    page.grants.set(name, e);
  }
  if (rerender && !page.disposed) render(page);
}

function render(page) {
  page.el.count.textContent = String(page.users.length);
  clear(page.el.body).append(dataTable({
    cls: 'users-table', testid: 'users-table', caption: 'Users of Vireo',
    columns: ['User', 'Role', 'Access', 'Quota', 'Created', ACTIONS],
    rows: page.users.map((u) => rowFor(page, u)),
  }));
}

function rowFor(page, u) {
  const self = page.me && u.username === page.me.username;
  const pam = u.source === 'pam';
  const role = h('select', {
    class: 'input select select-sm', testid: 'user-role-select', 'aria-label': `Role of ${u.username}`,
    disabled: pam, title: pam ? 'Set from the system groups of this account at each sign-in' : null,
    onchange: (e) => changeRole(page, u, e.target.value, e.target),
  }, Object.entries(ROLES).map(([k, r]) => h('option', { value: k, selected: k === u.role }, r.label)));
  return h('tr', { testid: 'user-row', dataset: { user: u.username, role: u.role } },
    h('td', { 'data-label': 'User' },
      h('div', { class: 'user-cell' }, avatar(u.username),
        h('div', {},
          h('span', { class: 'user-cell-name', testid: 'user-row-name' }, u.username,
            self ? h('span', { class: 'pill' }, 'you') : null),
          h('span', { class: 'user-cell-sub' }, pam ? 'System account (PAM)' : 'Password sign-in')))),
    h('td', { 'data-label': 'Role' }, role),
    h('td', { 'data-label': 'Access', testid: 'user-access' }, accessCell(page, u)),
    h('td', { 'data-label': 'Quota', testid: 'user-quota' }, quotaCell(page, u)),
    h('td', { 'data-label': 'Created', title: fmtDate(u.created_at) }, u.created_at ? fmtRelative(u.created_at) : '—'),
    h('td', { class: 'col-actions' },
      h('div', { class: 'row-actions' },
        pam ? null : rowButton({
          ic: 'lock', label: 'Reset password', testid: 'user-reset-password', aria: `Reset password of ${u.username}`,
          onclick: () => resetPasswordDialog(u),
        }),
        deleteButton({
          testid: 'user-delete', label: self ? 'You cannot delete yourself' : `Delete ${u.username}`,
          disabled: self, onclick: () => deleteUser(page, u),
        }))));
}

// What a user may use: "Everything" for admins; else a few guests on one
// line, the pools, networks and bridges granted on the next, and a button
// to manage them.
function accessCell(page, u) {
  if (u.role === 'admin') {
    return h('span', { class: 'access-all', title: 'Admins may use every guest, storage pool, network and host bridge' }, icon('shield'), 'Everything');
  }
  const g = page.grants.get(u.username);
  const manage = rowButton({
    ic: 'edit', label: 'Manage', testid: 'user-grants', cls: 'btn-ghost access-manage',
    aria: `Manage what ${u.username} may use`, onclick: () => manageGrants(page, u),
  });
  if (g === undefined) return h('span', { class: 'access' }, h('span', { class: 'muted' }, 'Loading…'), manage);
  if (g instanceof Error) return h('span', { class: 'access' }, h('span', { class: 'field-error', title: g.message }, 'Could not load'), manage);
  const vms = g.grants || [];
  const chips = vms.slice(0, SHOWN_GRANTS).map((x) => h('span', { class: 'tag', testid: 'user-grant', title: x.name ? `${x.name} (${x.uuid})` : x.uuid }, x.name || 'deleted guest'));
  const more = vms.length > SHOWN_GRANTS ? h('span', { class: 'muted' }, `+${vms.length - SHOWN_GRANTS} more`) : null;
  const resources = [
    ...(g.pools || []).map((p) => h('span', {
      class: 'chip chip-grant', testid: 'user-grant-pool', dataset: { pool: p.name, use: p.use.join(',') },
      title: `Storage pool ${p.name}, for ${usesText(p.use)}`,
    }, icon('disk'), h('span', { class: 'chip-name' }, p.name), h('span', { class: 'chip-sub' }, usesText(p.use)))),
    ...(g.networks || []).map((n) => h('span', {
      class: 'chip chip-grant', testid: 'user-grant-network', dataset: { network: n.name }, title: `Virtual network ${n.name}`,
    }, icon('net'), h('span', { class: 'chip-name' }, n.name))),
    ...(g.bridges || []).map((b) => h('span', {
      class: 'chip chip-grant', testid: 'user-grant-bridge', dataset: { bridge: b.name }, title: `Host bridge ${b.name}`,
    }, icon('bridge'), h('span', { class: 'chip-name' }, b.name))),
  ];
  return h('span', { class: 'access' },
    h('span', { class: 'access-lines' },
      vms.length ? h('span', { class: 'tags' }, chips, more) : h('span', { class: 'muted' }, 'No guests'),
      resources.length ? h('span', { class: 'tags' }, resources) : null),
    manage);
}

// What the user's things take against their limits, and a button to
// change the limits.
function quotaCell(page, u) {
  const edit = rowButton({
    ic: 'gauge', label: 'Quota', testid: 'user-quota-edit', cls: 'btn-ghost access-manage',
    aria: `Change the quota of ${u.username}`, onclick: () => editQuota(page, u),
  });
  return h('span', { class: 'access' },
    quotaSummary({ quota: u.quota, usage: u.usage, limited: u.role !== 'admin' }, { testid: 'user-quota-summary', compact: true }), edit);
}

// ---- changes ----

async function changeRole(page, u, role, select) {
  const self = page.me && u.username === page.me.username;
  if (self && role !== 'admin') {
    const { ok } = await confirmDialog({
      title: 'Give up your admin role?',
      body: [`You will become ${roleLabel(role).toLowerCase()} at once and lose access to this page.`],
      confirmLabel: `Become ${roleLabel(role).toLowerCase()}`,
    });
    if (!ok) { select.value = u.role; return; }
  }
  select.disabled = true;
  try {
    await api.patchUser(u.username, { role });
    toast(`${u.username} is now ${roleLabel(role).toLowerCase()}`);
    if (self) { location.reload(); return; }
  } catch (e) {
    select.value = u.role;
    showError(e, `Could not change the role of ${u.username}`);
  }
  select.disabled = false;
  load(page);
}

async function createUser(page) {
  const created = await createUserDialog();
  if (!created) return;
  toast(created.role === 'admin'
    ? `${created.username} was created as admin`
    : `${created.username} was created; choose what they may use`);
  await load(page);
  if (created.role !== 'admin' && !page.disposed) {
    const btn = page.el.body.querySelector(`[data-testid="user-row"][data-user="${CSS.escape(created.username)}"] [data-testid="user-grants"]`);
    if (btn) btn.focus();
  }
}

async function deleteUser(page, u) {
  const { ok } = await confirmDialog({
    title: `Delete ${u.username}?`,
    body: ['Their sessions and API tokens end at once and their grants are removed. The guests, pools and networks themselves are not touched.'],
    confirmLabel: 'Delete user',
  });
  if (!ok) return;
  await attempt(() => api.deleteUser(u.username), `${u.username} was deleted`, `Could not delete ${u.username}`);
  load(page);
}

async function editQuota(page, u) {
  const changed = await quotaDialog(u);
  if (!changed) return;
  toast(`The quota of ${u.username} was saved`);
  await load(page);
  if (page.disposed) return;
  const btn = page.el.body.querySelector(`[data-testid="user-row"][data-user="${CSS.escape(u.username)}"] [data-testid="user-quota-edit"]`);
  if (btn) btn.focus();
}

async function manageGrants(page, u) {
  await grantsDialog(u);
  if (!page.disposed) loadGrants(page, u.username);
}
