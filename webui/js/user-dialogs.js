// The Users page's dialogs: a new user, a password reset, and what a user
// may use (grants of guests, storage pools, networks and host bridges).
// vireod's answers show in the dialog.

import { api } from './api.js';
import { h, icon, clear, append, uid } from './dom.js';
import { checkInput, field, formDialog, openDialog, passwordInput, randomPassword, FormError, MIN_PASSWORD } from './forms.js';
import { checkName } from './names.js';
import { POOL_USES, usesText } from './scope.js';
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

// A new password for `u`; toasts when set. vireod revokes their API tokens
// too unless "Keep their API tokens" is ticked.
export async function resetPasswordDialog(u) {
  const pw = passwordInput({ testid: 'reset-password', minlength: MIN_PASSWORD });
  const keep = checkInput({
    testid: 'reset-keep-tokens', label: 'Keep their API tokens',
    hint: 'Otherwise every API token of theirs is revoked too (right if the password leaked); scripts using one stop working.',
  });
  const done = await formDialog({
    title: `Reset the password of ${u.username}`,
    intro: 'Every session of theirs ends at once.',
    testid: 'reset-password-dialog',
    submitLabel: 'Set password',
    content: [
      field({ label: 'New password', control: pw.input, box: h('div', { class: 'pw-row' }, pw.el, generateButton(pw)), hint: `At least ${MIN_PASSWORD} characters.` }),
      keep.el,
    ],
    submit: async () => {
      if ([...pw.input.value].length < MIN_PASSWORD) throw new FormError(`The password needs at least ${MIN_PASSWORD} characters.`);
      const body = { password: pw.input.value };
      if (keep.input.checked) body.keep_tokens = true;
      await api.patchUser(u.username, body);
      return { kept: keep.input.checked };
    },
  });
  if (done) toast(done.kept ? `The password of ${u.username} was reset; their API tokens still work` : `The password of ${u.username} was reset and their API tokens revoked`);
}

// ---- grants ----

// The kinds of things a user may be granted, one tab each in the dialog.
const KINDS = [
  { key: 'vms', label: 'Guests', ic: 'server' },
  { key: 'pools', label: 'Storage pools', ic: 'disk' },
  { key: 'networks', label: 'Networks', ic: 'net' },
  { key: 'bridges', label: 'Host bridges', ic: 'bridge' },
];

// What a grant of each kind lets `u` do, in one sentence.
function kindText(u, key) {
  const op = u.role === 'operator';
  return {
    vms: op ? 'They can see, start, stop, edit and delete these guests, besides the ones they create.'
      : 'They can see these guests and follow their state, but not change them.',
    pools: op ? 'They can use these pools for their guests, in the ways ticked:'
      : 'They can see these pools; with “Media” ticked, every volume in them too. Viewers make nothing.',
    networks: op ? 'They can put their guests’ network cards on these virtual networks.'
      : 'They can see these networks and who got an address on them.',
    bridges: op ? 'They can put their guests’ network cards straight on these host bridges, on the host’s own network. Without a grant only admins can.'
      : 'Host bridges matter to operators: a viewer connects nothing.',
  }[key];
}

// What `u` (an operator or viewer) may use: guests, storage pools (for new
// disks and/or media), virtual networks and host bridges, one tab each, with
// Remove buttons and a way to grant one more. Every change is sent at once.
// `tab` is the one shown first. Resolves when the dialog closes.
export async function grantsDialog(u, tab = 'vms') {
  const g = {
    u,
    current: { grants: [], pools: [], networks: [], bridges: [] }, // GET /api/users/{user}/grants
    vms: [], pools: [], networks: [],                              // everything there is, to pick from
    status: h('div', { class: 'form-alert', role: 'alert', hidden: true }),
    tabs: {},
    panels: {},
  };
  const strip = tabStrip(g);
  const dlg = openDialog({
    title: `Access for ${u.username}`,
    intro: u.role === 'operator'
      ? `${u.username} is operator: besides the guests they create, they may use what is granted here, and nothing else.`
      : `${u.username} is viewer: they see what is granted here, and change nothing.`,
    testid: 'grants-dialog',
    wide: true,
    content: [strip, g.status, KINDS.map((k) => g.panels[k.key].el)],
    actions: [h('button', { type: 'submit', value: 'ok', class: 'btn btn-primary', testid: 'grants-done' }, 'Done')],
  });
  showTab(g, tab, false);
  refresh(g).then(() => g.panels[g.shown].focus());
  await dlg.done;
}

// The row of tabs, and one panel per kind (built here, filled by render).
function tabStrip(g) {
  const builders = { vms: vmPanel, pools: poolPanel, networks: networkPanel, bridges: bridgePanel };
  const strip = h('div', { class: 'seg', role: 'tablist', 'aria-label': 'Kinds of access', testid: 'grants-tabs' });
  for (const k of KINDS) {
    const count = h('span', { class: 'count', testid: `grants-count-${k.key}` });
    const tab = h('button', {
      type: 'button', role: 'tab', class: 'seg-tab', id: uid('grants-tab'), testid: `grants-tab-${k.key}`,
      'aria-selected': 'false', tabindex: '-1', onclick: () => showTab(g, k.key, true),
    }, icon(k.ic), h('span', {}, k.label), count);
    const panel = builders[k.key](g);
    panel.el.setAttribute('role', 'tabpanel');
    panel.el.setAttribute('aria-labelledby', tab.id);
    tab.setAttribute('aria-controls', panel.el.id = uid('grants-panel'));
    g.tabs[k.key] = { tab, count };
    g.panels[k.key] = panel;
    strip.append(tab);
  }
  // Arrow keys move between tabs, as in any tab list.
  strip.addEventListener('keydown', (e) => {
    const keys = KINDS.map((k) => k.key);
    const i = keys.indexOf(g.shown);
    const to = { ArrowRight: (i + 1) % keys.length, ArrowLeft: (i - 1 + keys.length) % keys.length, Home: 0, End: keys.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    showTab(g, keys[to], true);
  });
  return strip;
}

function showTab(g, key, focusTab) {
  g.shown = key;
  for (const k of KINDS) {
    const on = k.key === key;
    g.tabs[k.key].tab.setAttribute('aria-selected', String(on));
    g.tabs[k.key].tab.tabIndex = on ? 0 : -1;
    g.panels[k.key].el.hidden = !on;
  }
  if (focusTab) g.tabs[key].tab.focus();
}

function fail(g, e, text) {
  g.status.replaceChildren(icon('alert'), h('span', {}, `${text}: ${e.message}`));
  g.status.hidden = false;
}

async function refresh(g) {
  try {
    const [grants, vms, pools, networks] = await Promise.all([
      api.grants(g.u.username), api.listVms(), api.pools(), api.networks()]);
    g.current = grants.data;
    g.vms = vms;
    g.pools = pools.data.pools || [];
    g.networks = networks.data.networks || [];
  } catch (e) {
    fail(g, e, 'Could not load what can be granted');
  }
  for (const k of KINDS) {
    g.panels[k.key].render();
    const n = (g.current[k.key === 'vms' ? 'grants' : k.key] || []).length;
    g.tabs[k.key].count.textContent = n ? String(n) : '';
  }
}

// Sends one change, then reads everything again; `done` is the toast, and
// a refusal stays in the dialog until the next change. Resolves to whether
// it worked.
async function change(g, work, done, failed) {
  g.status.hidden = true;
  let ok = false;
  try {
    await work();
    toast(done);
    ok = true;
  } catch (e) {
    fail(g, e, failed);
  }
  await refresh(g);
  return ok;
}

// A panel: its sentence, the row that grants one more, and the list.
function panelBox(g, key, addRow, list) {
  return h('div', { class: 'grant-panel', testid: `grants-panel-${key}` }, h('p', { class: 'grant-text' }, kindText(g.u, key)), addRow, list);
}

function emptyItem(testid, text) {
  return h('li', { class: 'grant-empty muted', testid }, text);
}

function removeButton(testid, label, onclick) {
  return h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', testid, 'aria-label': label, title: label, onclick }, 'Remove');
}

// ---- guests ----

function vmPanel(g) {
  const select = h('select', { class: 'input select', testid: 'grant-vm-select', 'aria-label': 'Guest to grant' });
  const add = h('button', { type: 'button', class: 'btn btn-primary', testid: 'grant-add', onclick: () => grantVm(g, select) }, icon('plus'), 'Grant access');
  const list = h('ul', { class: 'grant-list', testid: 'grant-list', 'aria-live': 'polite' }, emptyItem(null, 'Loading…'));
  return {
    el: panelBox(g, 'vms', h('div', { class: 'grant-add' }, select, add), list),
    focus: () => (select.disabled ? add : select).focus(),
    render() {
      const granted = new Set(g.current.grants.map((x) => x.uuid));
      const free = g.vms.filter((v) => !granted.has(v.uuid));
      // Guests of several hosts: each option says its host, and the grant
      // names it (a name may be on two hosts).
      const hosts = new Set(g.vms.map((v) => v.host && v.host.id));
      g.freeVms = free;
      append(clear(select), [free.length
        ? free.map((v) => h('option', { value: v.name }, hosts.size > 1 && v.host ? `${v.name} (${v.host.name})` : v.name))
        : h('option', { value: '' }, g.vms.length ? 'Every guest is granted' : 'No guests on this host')]);
      select.disabled = add.disabled = free.length === 0;
      append(clear(list), [g.current.grants.length
        ? g.current.grants.map((x) => vmItem(g, x))
        : emptyItem('grant-empty', `${g.u.username} cannot see any guest yet.`)]);
    },
  };
}

function vmItem(g, x) {
  const vm = g.vms.find((v) => v.uuid === x.uuid);
  const name = x.name || x.uuid;
  return h('li', { class: 'grant-item', testid: 'grant-item', dataset: { vm: name } },
    icon('server'),
    h('span', { class: 'grant-name' }, x.name || h('span', { class: 'muted' }, 'Deleted guest'),
      x.host && new Set(g.vms.map((v) => v.host && v.host.id)).size > 1 ? h('span', { class: 'muted small', testid: 'grant-host' }, ` on ${x.host.name}`) : null,
      h('code', { class: 'mono grant-uuid' }, x.uuid)),
    vm ? stateBadge(vm.state, 'grant-state') : null,
    removeButton('grant-remove', `Take away access to ${name}`, () => change(g,
      () => api.removeGrant(g.u.username, x.uuid), `${g.u.username} no longer has access to “${name}”`, 'Could not remove the grant')));
}

function grantVm(g, select) {
  const name = select.value;
  if (!name) return null;
  const vm = (g.freeVms || [])[select.selectedIndex];
  const host = vm && vm.name === name && vm.host ? vm.host.name : null;
  return change(g, () => api.addGrant(g.u.username, { vm: name }, host),
    `${g.u.username} can now ${g.u.role === 'operator' ? 'manage' : 'see'} “${name}”`, `Could not grant “${name}”`)
    .then(() => select.focus());
}

// ---- storage pools ----

// A "New disks" / "Media" checkbox with what it means below it.
function useBox(use, { testid, checked, onchange = null, compact = false }) {
  const id = uid(`use-${use}`);
  const input = h('input', { type: 'checkbox', id, testid, checked, onchange });
  const u = POOL_USES[use];
  return {
    input,
    el: h('label', { class: `check check-accent${compact ? ' check-compact' : ' use-option'}`, for: id, title: compact ? u.text : null },
      input, h('span', {}, h('span', { class: 'use-label' }, u.label), compact ? null : h('span', { class: 'field-hint' }, u.text))),
  };
}

function poolPanel(g) {
  const select = h('select', { class: 'input select', testid: 'grant-pool-select', 'aria-label': 'Storage pool to grant' });
  const disks = useBox('disks', { testid: 'grant-pool-disks', checked: true });
  const media = useBox('media', { testid: 'grant-pool-media', checked: false });
  const add = h('button', { type: 'button', class: 'btn btn-primary', testid: 'grant-pool-add', onclick: () => grantPool(g, select, disks.input, media.input) }, icon('plus'), 'Grant');
  const list = h('ul', { class: 'grant-list', testid: 'grant-pool-list', 'aria-live': 'polite' });
  const uses = h('div', { class: 'use-options', role: 'group', 'aria-label': 'What the pool may be used for' }, disks.el, media.el);
  return {
    el: panelBox(g, 'pools', h('div', { class: 'grant-add-box' }, h('div', { class: 'grant-add' }, select, add), uses), list),
    focus: () => (select.disabled ? add : select).focus(),
    render() {
      const granted = new Set(g.current.pools.map((p) => p.name));
      const free = g.pools.filter((p) => !granted.has(p.name));
      append(clear(select), [free.length
        ? free.map((p) => h('option', { value: p.name }, `${p.name} (${p.type}${p.state === 'running' ? '' : `, ${p.state}`})`))
        : h('option', { value: '' }, g.pools.length ? 'Every pool is granted' : 'No storage pools on this host')]);
      select.disabled = add.disabled = disks.input.disabled = media.input.disabled = free.length === 0;
      append(clear(list), [g.current.pools.length
        ? g.current.pools.map((p) => poolItem(g, p))
        : emptyItem('grant-pool-empty', `${g.u.username} has no storage pool.`)]);
    },
  };
}

function poolItem(g, p) {
  const pool = g.pools.find((x) => x.name === p.name);
  // A grant is for at least one use: the last ticked box cannot be cleared (Remove does that).
  const only = p.use.length === 1;
  const box = (use) => {
    const on = p.use.includes(use);
    const b = useBox(use, {
      testid: `grant-pool-use-${use}`, checked: on, compact: true,
      onchange: (e) => setUses(g, p, use, e.target.checked),
    });
    if (on && only) {
      b.input.disabled = true;
      b.el.title = `${POOL_USES[use].text} A pool is granted for at least one use; Remove takes it away.`;
    }
    return b.el;
  };
  return h('li', { class: 'grant-item', testid: 'grant-pool-item', dataset: { pool: p.name, use: p.use.join(',') } },
    icon('disk'),
    h('span', { class: 'grant-name' }, p.name,
      h('span', { class: 'grant-sub' }, pool ? `${pool.type}${pool.state === 'running' ? '' : ` · ${pool.state}`}` : 'not on this host')),
    h('span', { class: 'grant-uses', role: 'group', 'aria-label': `Uses of ${p.name}` }, Object.keys(POOL_USES).map(box)),
    removeButton('grant-pool-remove', `Take away the pool ${p.name}`, () => change(g,
      () => api.removeResourceGrant(g.u.username, 'pool', p.name), `${g.u.username} can no longer use the pool ${p.name}`, `Could not remove ${p.name}`)));
}

function grantPool(g, select, disks, media) {
  const name = select.value;
  if (!name) return null;
  const use = [disks.checked && 'disks', media.checked && 'media'].filter(Boolean);
  if (!use.length) {
    fail(g, new Error('tick “New disks”, “Media” or both'), `Nothing to grant of ${name}`);
    return null;
  }
  return change(g, () => api.addGrant(g.u.username, { pool: name, use }),
    `${g.u.username} can now use ${name} for ${usesText(use)}`, `Could not grant ${name}`).then(() => select.focus());
}

// Re-posting a pool grant replaces its uses.
function setUses(g, p, use, on) {
  const uses = Object.keys(POOL_USES).filter((u) => (u === use ? on : p.use.includes(u)));
  return change(g, () => api.addGrant(g.u.username, { pool: p.name, use: uses }),
    `${g.u.username} can now use ${p.name} for ${usesText(uses)}`, `Could not change ${p.name}`);
}

// ---- networks ----

function networkPanel(g) {
  const select = h('select', { class: 'input select', testid: 'grant-network-select', 'aria-label': 'Network to grant' });
  const add = h('button', {
    type: 'button', class: 'btn btn-primary', testid: 'grant-network-add',
    onclick: () => {
      const name = select.value;
      if (!name) return;
      change(g, () => api.addGrant(g.u.username, { network: name }), `${g.u.username} can now use the network ${name}`, `Could not grant ${name}`)
        .then(() => select.focus());
    },
  }, icon('plus'), 'Grant');
  const list = h('ul', { class: 'grant-list', testid: 'grant-network-list', 'aria-live': 'polite' });
  return {
    el: panelBox(g, 'networks', h('div', { class: 'grant-add' }, select, add), list),
    focus: () => (select.disabled ? add : select).focus(),
    render() {
      const granted = new Set(g.current.networks.map((n) => n.name));
      const free = g.networks.filter((n) => !granted.has(n.name));
      append(clear(select), [free.length
        ? free.map((n) => h('option', { value: n.name }, `${n.name} (${n.mode || 'network'}${n.active ? '' : ', inactive'})`))
        : h('option', { value: '' }, g.networks.length ? 'Every network is granted' : 'No networks on this host')]);
      select.disabled = add.disabled = free.length === 0;
      append(clear(list), [g.current.networks.length
        ? g.current.networks.map((n) => {
          const net = g.networks.find((x) => x.name === n.name);
          return h('li', { class: 'grant-item', testid: 'grant-network-item', dataset: { network: n.name } },
            icon('net'),
            h('span', { class: 'grant-name' }, n.name,
              h('span', { class: 'grant-sub' }, net ? `${net.mode || 'network'}${net.bridge ? ` · bridge ${net.bridge}` : ''}` : 'not on this host')),
            removeButton('grant-network-remove', `Take away the network ${n.name}`, () => change(g,
              () => api.removeResourceGrant(g.u.username, 'network', n.name), `${g.u.username} can no longer use the network ${n.name}`, `Could not remove ${n.name}`)));
        })
        : emptyItem('grant-network-empty', `${g.u.username} has no network.`)]);
    },
  };
}

// ---- host bridges ----

// The API lists no host bridges: the admin types the name, and vireod
// says when there is no such bridge.
function bridgePanel(g) {
  const input = h('input', {
    class: 'input', type: 'text', testid: 'grant-bridge-name', 'aria-label': 'Host bridge to grant', placeholder: 'Host bridge, e.g. br0',
    autocomplete: 'off', spellcheck: 'false', maxlength: '15',
  });
  const grant = () => {
    const name = input.value.trim();
    if (!name) { input.focus(); return; }
    change(g, () => api.addGrant(g.u.username, { bridge: name }), `${g.u.username} can now use the host bridge ${name}`, `Could not grant ${name}`)
      .then((ok) => { if (ok) input.value = ''; input.focus(); });
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); grant(); } });
  const add = h('button', { type: 'button', class: 'btn btn-primary', testid: 'grant-bridge-add', onclick: grant }, icon('plus'), 'Grant');
  const list = h('ul', { class: 'grant-list', testid: 'grant-bridge-list', 'aria-live': 'polite' });
  return {
    el: panelBox(g, 'bridges', h('div', { class: 'grant-add' }, input, add), list),
    focus: () => input.focus(),
    render() {
      append(clear(list), [g.current.bridges.length
        ? g.current.bridges.map((b) => h('li', { class: 'grant-item', testid: 'grant-bridge-item', dataset: { bridge: b.name } },
          icon('bridge'),
          h('span', { class: 'grant-name' }, b.name, h('span', { class: 'grant-sub' }, 'host bridge')),
          removeButton('grant-bridge-remove', `Take away the bridge ${b.name}`, () => change(g,
            () => api.removeResourceGrant(g.u.username, 'bridge', b.name), `${g.u.username} can no longer use the bridge ${b.name}`, `Could not remove ${b.name}`))))
        : emptyItem('grant-bridge-empty', `${g.u.username} has no host bridge.`)]);
    },
  };
}
