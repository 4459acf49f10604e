// #/tokens: API tokens for scripts. A token is created with a name and an
// optional expiry; its secret is shown once, right then, with a copy button;
// the list shows when each was last used and when it expires, and revokes.
// Admins see and may revoke everyone's tokens.

import { api } from './api.js';
import { h, icon, clear, uid, fmtDate, fmtRelative, fmtFuture } from './dom.js';
import { copyText } from './forms.js';
import { getUser, isAdmin, roleLabel } from './session.js';
import { attempt, confirmDialog } from './ui.js';
import { ACTIONS, card, countBadge, dataTable, emptyState, loadError, pageHead, rowButton, skeleton } from './widgets.js';

const EXPIRY = [
  ['30', '30 days'], ['7', '7 days'], ['90', '90 days'], ['365', '1 year'], ['', 'Never'],
];

// The page's state, passed to every function below.
export function mountTokens(root) {
  const page = {
    me: getUser(),
    admin: isAdmin(),
    disposed: false,
    tokens: [],
    el: {
      count: countBadge('tokens-count'),
      body: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
      secretSlot: h('div', { class: 'secret-slot' }),
    },
  };
  page.form = createForm(page);
  root.append(h('section', { class: 'view view-tokens', testid: 'view-tokens' },
    pageHead('key', 'API tokens',
      'Scripts and tools sign in with a token instead of a password: send it as “Authorization: Bearer TOKEN”. A token acts with its owner’s role, never more.'),
    card({
      title: 'Create a token', ic: 'plus',
      actions: h('span', { class: 'muted small' }, `Tokens you create act as ${page.me.username}, with the ${roleLabel(page.me.role).toLowerCase()} role.`),
      body: h('div', { class: 'card-body' }, page.form.el, page.form.error, page.el.secretSlot),
    }),
    card({ title: [page.admin ? 'All tokens ' : 'Your tokens ', page.el.count], cls: 'card-flush', body: page.el.body })));
  load(page);
  return () => { page.disposed = true; };
}

// The name + expiry form. Returns {el, error, name, expiry, create}.
function createForm(page) {
  const nameId = uid('token-name');
  const expId = uid('token-expiry');
  const f = {
    name: h('input', {
      class: 'input', id: nameId, type: 'text', testid: 'token-name', maxlength: '64', autocomplete: 'off',
      placeholder: 'e.g. backup-script', required: true, spellcheck: 'false',
    }),
    expiry: h('select', { class: 'input select', id: expId, testid: 'token-expiry' },
      EXPIRY.map(([v, label]) => h('option', { value: v }, label))),
    create: h('button', { type: 'submit', class: 'btn btn-primary', testid: 'token-create' }, icon('plus'), 'Create token'),
    error: h('p', { class: 'field-error', role: 'alert', testid: 'token-form-error', hidden: true }),
  };
  f.el = h('form', { class: 'token-form', testid: 'token-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); createToken(page); } },
    h('div', { class: 'field token-form-name' }, h('label', { for: nameId }, 'Name'), f.name),
    h('div', { class: 'field' }, h('label', { for: expId }, 'Expires after'), f.expiry),
    h('div', { class: 'field field-button' }, f.create));
  return f;
}

async function load(page) {
  try {
    const { data } = await api.tokens();
    if (page.disposed) return;
    page.tokens = (data.tokens || []).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || b.id - a.id);
    render(page);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.body).append(loadError('Could not load the tokens', e));
  }
}

function render(page) {
  const { tokens, admin, el } = page;
  el.count.textContent = String(tokens.length);
  if (!tokens.length) {
    clear(el.body).append(emptyState({
      ic: 'key', title: 'No API tokens yet', testid: 'tokens-empty',
      text: 'Create one above for each script or tool, so each can be revoked on its own.',
    }));
    return;
  }
  clear(el.body).append(dataTable({
    testid: 'tokens-table', caption: 'API tokens',
    columns: ['Name', admin ? 'Owner' : null, 'Created', 'Last used', 'Expires', ACTIONS],
    rows: tokens.map((t) => tokenRow(page, t)),
  }));
}

function tokenRow(page, t) {
  const { me } = page;
  return h('tr', { testid: 'token-row', dataset: { token: t.name, id: String(t.id) } },
    h('td', { 'data-label': 'Name' }, h('span', { class: 'cell-main' }, icon('key'), h('strong', { testid: 'token-row-name' }, t.name))),
    page.admin ? h('td', { 'data-label': 'Owner', testid: 'token-owner' }, t.owner || '—', t.owner === me.username ? h('span', { class: 'pill' }, 'you') : null) : null,
    h('td', { 'data-label': 'Created', title: fmtDate(t.created_at) }, fmtRelative(t.created_at)),
    h('td', { 'data-label': 'Last used', testid: 'token-last-used', title: t.last_used ? fmtDate(t.last_used) : '' },
      t.last_used ? fmtRelative(t.last_used) : h('span', { class: 'muted' }, 'Never used')),
    h('td', { 'data-label': 'Expires', testid: 'token-expires' }, expiryCell(t)),
    h('td', { class: 'col-actions' }, rowButton({
      ic: 'trash', label: 'Revoke', testid: 'token-revoke', cls: 'btn-danger-outline', aria: `Revoke the token ${t.name}`,
      onclick: () => revoke(page, t),
    })));
}

function expiryCell(t) {
  if (!t.expires_at) return h('span', { class: 'muted' }, 'Never');
  const past = new Date(t.expires_at).getTime() <= Date.now();
  return h('span', { title: fmtDate(t.expires_at) },
    past ? h('span', { class: 'pill pill-bad', testid: 'token-expired' }, 'Expired') : fmtFuture(t.expires_at),
    past ? ` ${fmtRelative(t.expires_at)}` : null);
}

async function createToken(page) {
  const { name, expiry, create, error } = page.form;
  const n = name.value.trim();
  error.hidden = true;
  if (!n) {
    error.textContent = 'Give the token a name, such as the script that will use it.';
    error.hidden = false;
    name.focus();
    return;
  }
  const expires = expiry.value ? Math.floor(Date.now() / 1000) + Number(expiry.value) * 86400 : null;
  create.disabled = true;
  try {
    const { data } = await api.createToken(n, expires);
    name.value = '';
    showSecret(page, data);
    load(page);
  } catch (e) {
    error.textContent = e.status === 409 ? `You already have a token named “${n}”. Pick another name.` : e.message;
    error.hidden = false;
  } finally {
    create.disabled = false;
  }
}

// The one time the secret exists outside vireod's hash of it.
function showSecret(page, t) {
  const value = h('input', {
    class: 'input mono secret-value', type: 'text', readonly: true, testid: 'token-secret', 'aria-label': `Secret of the token ${t.name}`,
    spellcheck: 'false', onfocus: (e) => e.target.select(),
  });
  value.value = t.token;
  const example = `curl -H "Authorization: Bearer ${t.token}" ${location.origin}/api/vms`;
  const panel = h('div', { class: 'secret', testid: 'token-secret-panel', role: 'region', 'aria-label': 'New token secret' },
    h('div', { class: 'secret-head' }, icon('check', 'icon secret-ok'),
      h('strong', {}, `Token “${t.name}” created`),
      t.expires_at ? h('span', { class: 'muted' }, `· expires ${fmtDate(t.expires_at)}`) : h('span', { class: 'muted' }, '· never expires')),
    h('p', { class: 'secret-warn', testid: 'token-secret-warning' }, icon('alert'),
      h('span', {}, h('strong', {}, 'Copy it now. '), 'This is the only time the token is shown: Vireo keeps only a hash of it. If it is lost, revoke it and create another.')),
    h('div', { class: 'secret-row' }, value,
      h('button', { type: 'button', class: 'btn btn-primary', testid: 'token-copy', onclick: () => copyText(t.token, 'Token') }, icon('copy'), 'Copy')),
    h('details', { class: 'secret-example' }, h('summary', {}, 'Example'), h('code', { class: 'mono wrap' }, example)),
    h('div', { class: 'secret-actions' },
      h('button', {
        type: 'button', class: 'btn btn-sm', testid: 'token-secret-done',
        onclick: () => { clear(page.el.secretSlot); page.form.name.focus(); },
      }, 'I have copied it')));
  clear(page.el.secretSlot).append(panel);
  value.focus();
}

async function revoke(page, t) {
  const { me } = page;
  const { ok } = await confirmDialog({
    title: `Revoke the token “${t.name}”?`,
    body: [`Anything that uses it${t.owner && t.owner !== me.username ? ` (it belongs to ${t.owner})` : ''} is refused from now on. This cannot be undone.`],
    confirmLabel: 'Revoke token',
  });
  if (!ok) return;
  await attempt(() => api.revokeToken(t.id), `Token “${t.name}” revoked`, `Could not revoke “${t.name}”`);
  load(page);
}
