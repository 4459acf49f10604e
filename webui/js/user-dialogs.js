// The Users page's dialogs: a new user, a password reset, and the guests a
// user may see (grants). vireod's answers show in the dialog.

import { api } from './api.js';
import { h, icon, clear, append, uid } from './dom.js';
import { field, formDialog, openDialog, passwordInput, randomPassword, FormError, MIN_PASSWORD } from './forms.js';
import { checkName } from './names.js';
import { ROLES, roleLabel } from './session.js';
import { stateBadge } from './states.js';
import { toast } from './ui.js';

// "Generate" beside a password box: fills in a random password and shows it.
function generateButton(pw, { testid = null, focus = false } = {}) {
  return h('button', {
    type: 'button', class: 'btn btn-sm', testid,
    onclick: () => {
      pw.input.value = randomPassword();
      if (pw.input.type === 'password') pw.el.querySelector('.pw-toggle').click();
      if (focus) pw.input.focus();
    },
  }, icon('dice'), 'Generate');
}

// Resolves to the created user, or null when cancelled.
export function createUserDialog() {
  const name = h('input', {
    class: 'input', type: 'text', testid: 'new-user-name', autocomplete: 'off', autocapitalize: 'none',
    spellcheck: 'false', maxlength: '64', required: true, placeholder: 'e.g. vera',
  });
  const pw = passwordInput({ testid: 'new-user-password', minlength: MIN_PASSWORD });
  const group = uid('role');
  const roles = h('fieldset', { class: 'role-picker', testid: 'new-user-role' },
    h('legend', {}, 'Role'),
    Object.entries(ROLES).map(([k, r]) => h('label', { class: 'role-option' },
      h('input', { type: 'radio', name: group, value: k, checked: k === 'viewer', testid: `new-user-role-${k}` }),
      h('span', { class: 'role-option-body' },
        h('span', { class: `role-badge role-${k}` }, r.label),
        h('span', { class: 'role-option-text' }, r.summary)))));
  return formDialog({
    title: 'New user',
    testid: 'new-user-dialog',
    submitLabel: 'Create user',
    wide: true,
    content: [
      field({ label: 'Username', control: name, hint: 'Lowercase letters, digits, _ . - ; starts with a letter or _.' }),
      roles,
      field({
        label: 'Password', control: pw.input,
        box: h('div', { class: 'pw-row' }, pw.el, generateButton(pw, { testid: 'new-user-generate', focus: true })),
        hint: `At least ${MIN_PASSWORD} characters. Give it to them safely; they can change it from their account menu.`,
      }),
    ],
    submit: async () => {
      const username = checkName('user', name.value);
      const role = roles.querySelector('input:checked').value;
      if ([...pw.input.value].length < MIN_PASSWORD) throw new FormError(`The password needs at least ${MIN_PASSWORD} characters.`);
      return (await api.createUser({ username, role, password: pw.input.value })).data;
    },
  });
}

// A new password for `u`; toasts when set.
export async function resetPasswordDialog(u) {
  const pw = passwordInput({ testid: 'reset-password', minlength: MIN_PASSWORD });
  const ok = await formDialog({
    title: `Reset the password of ${u.username}`,
    intro: 'Every session of theirs ends at once; their API tokens keep working.',
    testid: 'reset-password-dialog',
    submitLabel: 'Set password',
    content: [field({ label: 'New password', control: pw.input, box: h('div', { class: 'pw-row' }, pw.el, generateButton(pw)), hint: `At least ${MIN_PASSWORD} characters.` })],
    submit: async () => {
      if ([...pw.input.value].length < MIN_PASSWORD) throw new FormError(`The password needs at least ${MIN_PASSWORD} characters.`);
      await api.patchUser(u.username, { password: pw.input.value });
      return true;
    },
  });
  if (ok) toast(`The password of ${u.username} was reset`);
}

// ---- grants ----

// The guests `u` (an operator or viewer) may see: a list with Remove buttons
// and a picker to grant one more. Every change is sent at once. Resolves
// when the dialog closes.
export async function grantsDialog(u) {
  const g = {
    u,
    current: [],   // GET /api/users/{user}/grants
    vms: [],       // every guest, to pick from
    list: h('ul', { class: 'grant-list', testid: 'grant-list', 'aria-live': 'polite' }, h('li', { class: 'grant-empty muted' }, 'Loading…')),
    select: h('select', { class: 'input select', testid: 'grant-vm-select', 'aria-label': 'Guest to grant' }),
    status: h('div', { class: 'form-alert', role: 'alert', hidden: true }),
  };
  g.add = h('button', { type: 'button', class: 'btn btn-primary', testid: 'grant-add', onclick: () => grant(g) }, icon('plus'), 'Grant access');
  const what = u.role === 'operator' ? 'see, start, stop, edit and delete' : 'see (but not change)';
  const dlg = openDialog({
    title: `Guest access for ${u.username}`,
    intro: `${u.username} is ${roleLabel(u.role).toLowerCase()}: they can ${what} the guests listed here, and no others.`,
    testid: 'grants-dialog',
    wide: true,
    content: [h('div', { class: 'grant-add' }, g.select, g.add), g.status, g.list],
    actions: [h('button', { type: 'submit', value: 'ok', class: 'btn btn-primary', testid: 'grants-done' }, 'Done')],
  });
  g.select.disabled = g.add.disabled = true;
  refresh(g).then(() => g.select.focus());
  await dlg.done;
}

function fail(g, e, text) {
  g.status.replaceChildren(icon('alert'), h('span', {}, `${text}: ${e.message}`));
  g.status.hidden = false;
}

async function refresh(g) {
  try {
    const [grants, all] = await Promise.all([api.grants(g.u.username), api.listVms()]);
    g.current = grants.data.grants || [];
    g.vms = all;
    g.status.hidden = true;
    render(g);
  } catch (e) {
    fail(g, e, 'Could not load the guests');
  }
}

function render(g) {
  const granted = new Set(g.current.map((x) => x.uuid));
  const free = g.vms.filter((v) => !granted.has(v.uuid));
  append(clear(g.select), [free.length
    ? free.map((v) => h('option', { value: v.name }, v.name))
    : h('option', { value: '' }, g.vms.length ? 'Every guest is granted' : 'No guests on this host')]);
  g.select.disabled = g.add.disabled = free.length === 0;
  append(clear(g.list), [g.current.length
    ? g.current.map((x) => grantItem(g, x))
    : h('li', { class: 'grant-empty muted', testid: 'grant-empty' }, `${g.u.username} cannot see any guest yet.`)]);
}

function grantItem(g, x) {
  const vm = g.vms.find((v) => v.uuid === x.uuid);
  return h('li', { class: 'grant-item', testid: 'grant-item', dataset: { vm: x.name || x.uuid } },
    icon('server'),
    h('span', { class: 'grant-name' }, x.name || h('span', { class: 'muted' }, 'Deleted guest'), h('code', { class: 'mono grant-uuid' }, x.uuid)),
    vm ? stateBadge(vm.state, 'grant-state') : null,
    h('button', {
      type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'grant-remove',
      'aria-label': `Take away access to ${x.name || x.uuid}`, onclick: () => revoke(g, x),
    }, 'Remove'));
}

async function grant(g) {
  const name = g.select.value;
  if (!name) return;
  g.add.disabled = true;
  try {
    await api.addGrant(g.u.username, name);
    toast(`${g.u.username} can now ${g.u.role === 'operator' ? 'manage' : 'see'} “${name}”`);
  } catch (e) {
    fail(g, e, `Could not grant “${name}”`);
  }
  await refresh(g);
  g.select.focus();
}

async function revoke(g, x) {
  try {
    await api.removeGrant(g.u.username, x.uuid);
    toast(`${g.u.username} no longer has access to “${x.name || x.uuid}”`);
  } catch (e) {
    fail(g, e, 'Could not remove the grant');
  }
  await refresh(g);
}
