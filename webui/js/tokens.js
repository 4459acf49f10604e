// #/tokens: API tokens for scripts. A token is created with a name and an
// optional expiry; its secret is shown once, right then, with a copy button;
// the list shows when each was last used and when it expires, and revokes.
// Admins see and may revoke everyone's tokens.

import { api } from './api.js';
import { h, icon, clear, uid, fmtDate, fmtRelative, fmtFuture } from './dom.js';
import { copyText } from './forms.js';
import { getUser, isAdmin, roleLabel } from './session.js';
import { confirmDialog, showError, toast } from './ui.js';
import { pageHead } from './widgets.js';

const EXPIRY = [
  ['30', '30 days'], ['7', '7 days'], ['90', '90 days'], ['365', '1 year'], ['', 'Never'],
];

export function mountTokens(root) {
  let disposed = false;
  let tokens = [];
  const me = getUser();
  const admin = isAdmin();

  const nameId = uid('token-name');
  const expId = uid('token-expiry');
  const name = h('input', {
    class: 'input', id: nameId, type: 'text', testid: 'token-name', maxlength: '64', autocomplete: 'off',
    placeholder: 'e.g. backup-script', required: true, spellcheck: 'false',
  });
  const expiry = h('select', { class: 'input select', id: expId, testid: 'token-expiry' },
    EXPIRY.map(([v, label]) => h('option', { value: v }, label)));
  const create = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'token-create' }, icon('plus'), 'Create token');
  const formError = h('p', { class: 'field-error', role: 'alert', testid: 'token-form-error', hidden: true });
  const secretSlot = h('div', { class: 'secret-slot' });
  const count = h('span', { class: 'count', testid: 'tokens-count' });
  const body = h('div', { class: 'card-body card-body-flush' });

  const form = h('form', { class: 'token-form', testid: 'token-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); createToken(); } },
    h('div', { class: 'field token-form-name' }, h('label', { for: nameId }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: expId }, 'Expires after'), expiry),
    h('div', { class: 'field field-button' }, create));

  root.append(h('section', { class: 'view view-tokens', testid: 'view-tokens' },
    pageHead('key', 'API tokens',
      'Scripts and tools sign in with a token instead of a password: send it as “Authorization: Bearer TOKEN”. A token acts with its owner’s role, never more.'),
    h('section', { class: 'card' },
      h('div', { class: 'card-head' },
        h('h2', { class: 'card-title' }, icon('plus'), 'Create a token'),
        h('span', { class: 'muted small' }, `Tokens you create act as ${me.username}, with the ${roleLabel(me.role).toLowerCase()} role.`)),
      h('div', { class: 'card-body' }, form, formError, secretSlot)),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, admin ? 'All tokens ' : 'Your tokens ', count)),
      body)));

  async function load() {
    try {
      const { data } = await api.tokens();
      if (disposed) return;
      tokens = (data.tokens || []).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || b.id - a.id);
      render();
    } catch (e) {
      if (disposed) return;
      clear(body).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'), h('h2', {}, 'Could not load the tokens'), h('p', {}, e.message)));
    }
  }

  function expiryCell(t) {
    if (!t.expires_at) return h('span', { class: 'muted' }, 'Never');
    const past = new Date(t.expires_at).getTime() <= Date.now();
    return h('span', { title: fmtDate(t.expires_at) },
      past ? h('span', { class: 'pill pill-bad', testid: 'token-expired' }, 'Expired') : fmtFuture(t.expires_at),
      past ? ` ${fmtRelative(t.expires_at)}` : null);
  }

  function render() {
    count.textContent = String(tokens.length);
    if (!tokens.length) {
      clear(body).append(h('div', { class: 'empty', testid: 'tokens-empty' }, icon('key', 'icon empty-icon'),
        h('h2', {}, 'No API tokens yet'),
        h('p', {}, 'Create one above for each script or tool, so each can be revoked on its own.')));
      return;
    }
    clear(body).append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', testid: 'tokens-table' },
      h('caption', { class: 'sr-only' }, 'API tokens'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Name'),
        admin ? h('th', { scope: 'col' }, 'Owner') : null,
        h('th', { scope: 'col' }, 'Created'),
        h('th', { scope: 'col' }, 'Last used'),
        h('th', { scope: 'col' }, 'Expires'),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, tokens.map((t) => h('tr', { testid: 'token-row', dataset: { token: t.name, id: String(t.id) } },
        h('td', { 'data-label': 'Name' }, h('span', { class: 'cell-main' }, icon('key'), h('strong', { testid: 'token-row-name' }, t.name))),
        admin ? h('td', { 'data-label': 'Owner', testid: 'token-owner' }, t.owner || '—', t.owner === me.username ? h('span', { class: 'pill' }, 'you') : null) : null,
        h('td', { 'data-label': 'Created', title: fmtDate(t.created_at) }, fmtRelative(t.created_at)),
        h('td', { 'data-label': 'Last used', testid: 'token-last-used', title: t.last_used ? fmtDate(t.last_used) : '' },
          t.last_used ? fmtRelative(t.last_used) : h('span', { class: 'muted' }, 'Never used')),
        h('td', { 'data-label': 'Expires', testid: 'token-expires' }, expiryCell(t)),
        h('td', { class: 'col-actions' }, h('button', {
          type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'token-revoke', 'aria-label': `Revoke the token ${t.name}`,
          onclick: () => revoke(t),
        }, icon('trash'), h('span', { class: 'btn-label' }, 'Revoke')))))))));
  }

  async function createToken() {
    const n = name.value.trim();
    formError.hidden = true;
    if (!n) {
      formError.textContent = 'Give the token a name, such as the script that will use it.';
      formError.hidden = false;
      name.focus();
      return;
    }
    let expires = null;
    if (expiry.value) expires = Math.floor(Date.now() / 1000) + Number(expiry.value) * 86400;
    create.disabled = true;
    try {
      const { data } = await api.createToken(n, expires);
      name.value = '';
      showSecret(data);
      load();
    } catch (e) {
      formError.textContent = e.status === 409 ? `You already have a token named “${n}”. Pick another name.` : e.message;
      formError.hidden = false;
    } finally {
      create.disabled = false;
    }
  }

  // The one time the secret exists outside vireod's hash of it.
  function showSecret(t) {
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
          onclick: () => { clear(secretSlot); name.focus(); },
        }, 'I have copied it')));
    clear(secretSlot).append(panel);
    value.focus();
  }

  async function revoke(t) {
    const { ok } = await confirmDialog({
      title: `Revoke the token “${t.name}”?`,
      body: [`Anything that uses it${t.owner && t.owner !== me.username ? ` (it belongs to ${t.owner})` : ''} is refused from now on. This cannot be undone.`],
      confirmLabel: 'Revoke token',
    });
    if (!ok) return;
    try {
      await api.revokeToken(t.id);
      toast(`Token “${t.name}” revoked`);
    } catch (e) {
      showError(e, `Could not revoke “${t.name}”`);
    }
    load();
  }

  clear(body).append(h('div', { class: 'skeleton' }, h('span'), h('span')));
  load();
  return () => { disposed = true; };
}
