// #/users (admins): everyone who can sign in, their role, the guests an
// operator or viewer may see (grants), password resets and deletion.

import { api } from './api.js';
import { h, icon, clear, append, uid, fmtDate, fmtRelative } from './dom.js';
import { field, formDialog, openDialog, passwordInput, randomPassword, FormError } from './forms.js';
import { ROLES, roleLabel, getUser } from './session.js';
import { stateBadge } from './states.js';
import { confirmDialog, showError, toast } from './ui.js';
import { avatar, pageHead } from './widgets.js';
import { checkName } from './names.js';

const MIN_PASSWORD = 8;
const SHOWN_GRANTS = 3;

export function mountUsers(root) {
  let disposed = false;
  let users = [];
  const grants = new Map(); // username -> [{uuid, name}] | Error
  const me = getUser();

  const count = h('span', { class: 'count', testid: 'users-count' });
  const body = h('div', { class: 'card-body card-body-flush' });
  const newButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'user-new', onclick: () => createUser() },
    icon('plus'), 'New user');

  root.append(h('section', { class: 'view view-users', testid: 'view-users' },
    pageHead('users', 'Users', 'People who can sign in to Vireo, what their role lets them do, and which guests operators and viewers can see.', newButton),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Accounts ', count)),
      body),
    h('section', { class: 'role-legend', 'aria-label': 'What each role may do' },
      Object.entries(ROLES).map(([key, r]) => h('div', { class: 'role-card' },
        h('span', { class: `role-badge role-${key}` }, r.label),
        h('p', {}, r.summary))))));

  async function load() {
    try {
      const { data } = await api.users();
      if (disposed) return;
      users = (data.users || []).sort((a, b) => a.username.localeCompare(b.username));
      render();
      await Promise.all(users.filter((u) => u.role !== 'admin').map((u) => loadGrants(u.username, false)));
      if (!disposed) render();
    } catch (e) {
      if (disposed) return;
      clear(body).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
        h('h2', {}, 'Could not load the users'), h('p', {}, e.message),
        h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Try again')));
    }
  }

  async function loadGrants(name, rerender = true) {
    try {
      const { data } = await api.grants(name);
      grants.set(name, data.grants || []);
    } catch (e) {
      grants.set(name, e);
    }
    if (rerender && !disposed) render();
  }

  function render() {
    count.textContent = String(users.length);
    clear(body).append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table users-table', testid: 'users-table' },
      h('caption', { class: 'sr-only' }, 'Users of Vireo'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'User'),
        h('th', { scope: 'col' }, 'Role'),
        h('th', { scope: 'col' }, 'Guest access'),
        h('th', { scope: 'col' }, 'Created'),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, users.map(rowFor)))));
  }

  function rowFor(u) {
    const self = me && u.username === me.username;
    const pam = u.source === 'pam';
    const role = h('select', {
      class: 'input select select-sm', testid: 'user-role-select', 'aria-label': `Role of ${u.username}`,
      disabled: pam, title: pam ? 'Set from the system groups of this account at each sign-in' : null,
      onchange: (e) => changeRole(u, e.target.value, e.target),
    }, Object.entries(ROLES).map(([k, r]) => h('option', { value: k, selected: k === u.role }, r.label)));

    return h('tr', { testid: 'user-row', dataset: { user: u.username, role: u.role } },
      h('td', { 'data-label': 'User' },
        h('div', { class: 'user-cell' }, avatar(u.username),
          h('div', {},
            h('span', { class: 'user-cell-name', testid: 'user-row-name' }, u.username,
              self ? h('span', { class: 'pill' }, 'you') : null),
            h('span', { class: 'user-cell-sub' }, pam ? 'System account (PAM)' : 'Password sign-in')))),
      h('td', { 'data-label': 'Role' }, role),
      h('td', { 'data-label': 'Guest access', testid: 'user-access' }, accessCell(u)),
      h('td', { 'data-label': 'Created', title: fmtDate(u.created_at) }, u.created_at ? fmtRelative(u.created_at) : '—'),
      h('td', { class: 'col-actions' },
        h('div', { class: 'row-actions' },
          pam ? null : h('button', {
            type: 'button', class: 'btn btn-sm', testid: 'user-reset-password', 'aria-label': `Reset the password of ${u.username}`,
            onclick: () => resetPassword(u),
          }, icon('lock'), h('span', { class: 'btn-label' }, 'Reset password')),
          h('button', {
            type: 'button', class: 'btn btn-sm btn-icon btn-danger-outline', testid: 'user-delete',
            'aria-label': self ? 'You cannot delete yourself' : `Delete ${u.username}`,
            title: self ? 'You cannot delete yourself' : `Delete ${u.username}`,
            disabled: self, onclick: () => deleteUser(u),
          }, icon('trash')))));
  }

  function accessCell(u) {
    if (u.role === 'admin') {
      return h('span', { class: 'access-all' }, icon('shield'), 'All guests');
    }
    const list = grants.get(u.username);
    const manage = h('button', {
      type: 'button', class: 'btn btn-sm btn-ghost access-manage', testid: 'user-grants',
      'aria-label': `Choose the guests ${u.username} can see`, onclick: () => manageGrants(u),
    }, icon('edit'), h('span', { class: 'btn-label' }, 'Manage'));
    if (list === undefined) return h('span', { class: 'access' }, h('span', { class: 'muted' }, 'Loading…'), manage);
    if (list instanceof Error) return h('span', { class: 'access' }, h('span', { class: 'field-error', title: list.message }, 'Could not load'), manage);
    const chips = list.slice(0, SHOWN_GRANTS).map((g) => h('span', { class: 'tag', testid: 'user-grant', title: g.name ? `${g.name} (${g.uuid})` : g.uuid }, g.name || 'deleted guest'));
    const more = list.length > SHOWN_GRANTS ? h('span', { class: 'muted' }, `+${list.length - SHOWN_GRANTS} more`) : null;
    return h('span', { class: 'access' },
      list.length ? h('span', { class: 'tags' }, chips, more) : h('span', { class: 'muted' }, 'No guests'),
      manage);
  }

  async function changeRole(u, role, select) {
    const self = me && u.username === me.username;
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
    load();
  }

  async function createUser() {
    const name = h('input', {
      class: 'input', type: 'text', testid: 'new-user-name', autocomplete: 'off', autocapitalize: 'none',
      spellcheck: 'false', maxlength: '64', required: true, placeholder: 'e.g. vera',
    });
    const pw = passwordInput({ testid: 'new-user-password', minlength: MIN_PASSWORD });
    const gen = h('button', {
      type: 'button', class: 'btn btn-sm', testid: 'new-user-generate',
      onclick: () => { pw.input.value = randomPassword(); if (pw.input.type === 'password') pw.el.querySelector('.pw-toggle').click(); pw.input.focus(); },
    }, icon('dice'), 'Generate');
    const group = uid('role');
    const roles = h('fieldset', { class: 'role-picker', testid: 'new-user-role' },
      h('legend', {}, 'Role'),
      Object.entries(ROLES).map(([k, r]) => h('label', { class: 'role-option' },
        h('input', { type: 'radio', name: group, value: k, checked: k === 'viewer', testid: `new-user-role-${k}` }),
        h('span', { class: 'role-option-body' },
          h('span', { class: `role-badge role-${k}` }, r.label),
          h('span', { class: 'role-option-text' }, r.summary)))));

    const created = await formDialog({
      title: 'New user',
      testid: 'new-user-dialog',
      submitLabel: 'Create user',
      wide: true,
      content: [
        field({ label: 'Username', control: name, hint: 'Lowercase letters, digits, _ . - ; starts with a letter or _.' }),
        roles,
        field({
          label: 'Password', control: pw.input,
          box: h('div', { class: 'pw-row' }, pw.el, gen),
          hint: `At least ${MIN_PASSWORD} characters. Give it to them safely; they can change it from their account menu.`,
        }),
      ],
      submit: async () => {
        const username = checkName('user', name.value);
        const role = roles.querySelector('input:checked').value;
        if ([...pw.input.value].length < MIN_PASSWORD) throw new FormError(`The password needs at least ${MIN_PASSWORD} characters.`);
        const { data } = await api.createUser({ username, role, password: pw.input.value });
        return data;
      },
    });
    if (!created) return;
    toast(created.role === 'admin'
      ? `${created.username} was created as admin`
      : `${created.username} was created; choose the guests they may see`);
    await load();
    if (created.role !== 'admin' && !disposed) {
      const btn = body.querySelector(`[data-testid="user-row"][data-user="${CSS.escape(created.username)}"] [data-testid="user-grants"]`);
      if (btn) btn.focus();
    }
  }

  async function resetPassword(u) {
    const pw = passwordInput({ testid: 'reset-password', minlength: MIN_PASSWORD });
    const gen = h('button', {
      type: 'button', class: 'btn btn-sm', onclick: () => { pw.input.value = randomPassword(); if (pw.input.type === 'password') pw.el.querySelector('.pw-toggle').click(); },
    }, icon('dice'), 'Generate');
    const ok = await formDialog({
      title: `Reset the password of ${u.username}`,
      intro: 'Every session of theirs ends at once; their API tokens keep working.',
      testid: 'reset-password-dialog',
      submitLabel: 'Set password',
      content: [field({ label: 'New password', control: pw.input, box: h('div', { class: 'pw-row' }, pw.el, gen), hint: `At least ${MIN_PASSWORD} characters.` })],
      submit: async () => {
        if ([...pw.input.value].length < MIN_PASSWORD) throw new FormError(`The password needs at least ${MIN_PASSWORD} characters.`);
        await api.patchUser(u.username, { password: pw.input.value });
        return true;
      },
    });
    if (ok) toast(`The password of ${u.username} was reset`);
  }

  async function deleteUser(u) {
    const { ok } = await confirmDialog({
      title: `Delete ${u.username}?`,
      body: ['Their sessions and API tokens end at once and their guest grants are removed. The guests themselves are not touched.'],
      confirmLabel: 'Delete user',
    });
    if (!ok) return;
    try {
      await api.deleteUser(u.username);
      toast(`${u.username} was deleted`);
    } catch (e) {
      showError(e, `Could not delete ${u.username}`);
    }
    load();
  }

  async function manageGrants(u) {
    let current = [];
    let vms = [];
    const list = h('ul', { class: 'grant-list', testid: 'grant-list', 'aria-live': 'polite' });
    const select = h('select', { class: 'input select', testid: 'grant-vm-select', 'aria-label': 'Guest to grant' });
    const add = h('button', { type: 'button', class: 'btn btn-primary', testid: 'grant-add', onclick: () => grant() }, icon('plus'), 'Grant access');
    const status = h('div', { class: 'form-alert', role: 'alert', hidden: true });
    const what = u.role === 'operator' ? 'see, start, stop, edit and delete' : 'see (but not change)';
    const done = h('button', { type: 'submit', value: 'ok', class: 'btn btn-primary', testid: 'grants-done' }, 'Done');
    const dlg = openDialog({
      title: `Guest access for ${u.username}`,
      intro: `${u.username} is ${roleLabel(u.role).toLowerCase()}: they can ${what} the guests listed here, and no others.`,
      testid: 'grants-dialog',
      wide: true,
      content: [
        h('div', { class: 'grant-add' }, select, add),
        status,
        list,
      ],
      actions: [done],
    });

    function fail(e, text) {
      status.replaceChildren(icon('alert'), h('span', {}, `${text}: ${e.message}`));
      status.hidden = false;
    }

    function render() {
      const granted = new Set(current.map((g) => g.uuid));
      const free = vms.filter((v) => !granted.has(v.uuid));
      append(clear(select), [free.length
        ? free.map((v) => h('option', { value: v.name }, v.name))
        : h('option', { value: '' }, vms.length ? 'Every guest is granted' : 'No guests on this host')]);
      select.disabled = add.disabled = free.length === 0;
      append(clear(list), [current.length
        ? current.map((g) => {
          const vm = vms.find((v) => v.uuid === g.uuid);
          return h('li', { class: 'grant-item', testid: 'grant-item', dataset: { vm: g.name || g.uuid } },
            icon('server'),
            h('span', { class: 'grant-name' }, g.name || h('span', { class: 'muted' }, 'Deleted guest'), h('code', { class: 'mono grant-uuid' }, g.uuid)),
            vm ? stateBadge(vm.state, 'grant-state') : null,
            h('button', {
              type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'grant-remove',
              'aria-label': `Take away access to ${g.name || g.uuid}`, onclick: () => revoke(g),
            }, 'Remove'));
        })
        : h('li', { class: 'grant-empty muted', testid: 'grant-empty' }, `${u.username} cannot see any guest yet.`)]);
    }

    async function refresh() {
      try {
        const [g, all] = await Promise.all([api.grants(u.username), api.listVms()]);
        current = g.data.grants || [];
        vms = all;
        status.hidden = true;
        render();
      } catch (e) {
        fail(e, 'Could not load the guests');
      }
    }

    async function grant() {
      if (!select.value) return;
      add.disabled = true;
      try {
        await api.addGrant(u.username, select.value);
        toast(`${u.username} can now ${u.role === 'operator' ? 'manage' : 'see'} “${select.value}”`);
      } catch (e) {
        fail(e, `Could not grant “${select.value}”`);
      }
      await refresh();
      select.focus();
    }

    async function revoke(g) {
      try {
        await api.removeGrant(u.username, g.uuid);
        toast(`${u.username} no longer has access to “${g.name || g.uuid}”`);
      } catch (e) {
        fail(e, 'Could not remove the grant');
      }
      await refresh();
    }

    clear(list).append(h('li', { class: 'grant-empty muted' }, 'Loading…'));
    select.disabled = add.disabled = true;
    refresh().then(() => select.focus());
    await dlg.done;
    if (!disposed) loadGrants(u.username);
  }

  clear(body).append(h('div', { class: 'skeleton' }, h('span'), h('span'), h('span')));
  load();
  return () => { disposed = true; };
}
