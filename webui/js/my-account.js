// #/account: the signed-in person's usage and limits (quotas, set by an
// admin; docs/quotas.md), with the way to their sessions and API tokens.

import { h, icon, clear } from './dom.js';
import { loadMyQuota, quotaSummary } from './quota.js';
import { getUser, roleLabel } from './session.js';
import { card, loadError, pageHead, reloadButton, skeleton } from './widgets.js';

export function mountAccount(root) {
  const page = { disposed: false, body: h('div', { class: 'card-body' }, skeleton(2)) };
  const me = getUser();
  root.append(h('section', { class: 'view view-account', testid: 'view-account' },
    pageHead('user', 'My account', `${me ? `${me.username}, ${roleLabel(me.role).toLowerCase()}. ` : ''}What your guests and volumes take of this host, against the limits an admin set for you.`),
    card({
      title: 'Usage and limits', ic: 'gauge', body: page.body, testid: 'my-quota',
      actions: reloadButton({ testid: 'my-quota-reload', label: 'Read usage again', onclick: () => load(page) }),
    }),
    h('p', { class: 'account-links' },
      h('a', { class: 'btn btn-ghost', href: '#/sessions', testid: 'account-sessions' }, icon('device'), 'My sessions'),
      h('a', { class: 'btn btn-ghost', href: '#/tokens', testid: 'account-tokens' }, icon('key'), 'My API tokens'))));
  load(page);
  return () => { page.disposed = true; };
}

async function load(page) {
  try {
    const q = await loadMyQuota();
    if (page.disposed) return;
    clear(page.body).append(quotaSummary(q, { testid: 'my-quota-summary' }),
      q.limited ? h('p', { class: 'muted quota-explain' },
        'VMs and vCPUs count the guests you own; memory counts each one’s maximum; disk counts the sizes of the volumes you made. Creates, clones and edits that would pass a limit are refused.') : null);
  } catch (e) {
    if (page.disposed) return;
    clear(page.body).append(loadError('Could not read your usage', e, () => load(page)));
  }
}
