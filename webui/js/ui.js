// Page-wide feedback: dismissable error banners, short toasts, and the
// confirmation dialog used before anything destructive.

import { h, icon, clear } from './dom.js';

let bannerSeq = 0;

// Shows an error banner. `err` is an ApiError or any Error; `context` says what
// the user was doing ("Could not start web1"). Returns a function that removes it.
export function showError(err, context, { key } = {}) {
  // A 401 is not a problem to report: the login screen takes over.
  if (err && err.status === 401) return () => {};
  const box = document.getElementById('banners');
  const title = context || (err && err.title) || 'Something went wrong';
  const message = (err && err.message) || String(err);
  const bannerKey = key || `${title}\n${message}`;

  // The same problem twice is one banner, brought back to attention.
  for (const el of box.children) {
    if (el.dataset.key === bannerKey) {
      el.classList.remove('flash');
      void el.offsetWidth;
      el.classList.add('flash');
      return () => el.remove();
    }
  }

  const id = `banner-${++bannerSeq}`;
  const el = h('div', { class: 'banner banner-error', role: 'alert', id, testid: 'error-banner', dataset: { key: bannerKey, code: (err && err.code) || '' } },
    icon('alert', 'icon banner-icon'),
    h('div', { class: 'banner-text' },
      h('strong', { class: 'banner-title' }, title),
      h('span', { class: 'banner-message', testid: 'error-message' }, message),
      err && err.detail ? h('code', { class: 'banner-code' }, err.detail) : null),
    h('button', {
      type: 'button', class: 'btn btn-ghost btn-icon banner-close', testid: 'error-dismiss',
      'aria-label': 'Dismiss this message', title: 'Dismiss',
      onclick: () => el.remove(),
    }, icon('close')));
  box.append(el);
  return () => el.remove();
}

export function clearError(key) {
  const box = document.getElementById('banners');
  for (const el of [...box.children]) if (el.dataset.key === key) el.remove();
}

export function clearAllErrors() {
  clear(document.getElementById('banners'));
}

export function toast(message, { tone = 'ok', ms = 4000 } = {}) {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast toast-${tone}`, testid: 'toast' }, icon(tone === 'ok' ? 'check' : 'alert'), h('span', {}, message));
  box.append(el);
  // The box is a popover so toasts show above an open modal dialog too;
  // showing it again puts it on top of a dialog opened since.
  if (box.showPopover) {
    try {
      if (box.matches(':popover-open')) box.hidePopover();
      box.showPopover();
    } catch { /* not in the document yet */ }
  }
  setTimeout(() => {
    el.classList.add('leaving');
    setTimeout(() => el.remove(), 250);
  }, ms);
}

// Runs one change the person asked for (`work`, a function returning a
// promise): a toast saying `done` when it worked (or done(result) when done
// is a function), an error banner titled `failed` when not. Resolves to
// whether it worked.
export async function attempt(work, done, failed) {
  try {
    const result = await work();
    toast(typeof done === 'function' ? done(result) : done);
    return true;
  } catch (e) {
    showError(e, failed);
    return false;
  }
}

// What `work()` (a function returning a promise) resolves to, or null after
// an error banner titled `failed`: for what a dialog must read before it opens.
export async function readOrSay(work, failed) {
  try {
    return await work();
  } catch (e) {
    showError(e, failed);
    return null;
  }
}

// Resolves to {ok, checked}. `body` is text or nodes; `checkbox` a label to
// show an extra option (its value comes back as `checked`).
export function confirmDialog({ title, body, confirmLabel = 'Confirm', danger = true, checkbox = null }) {
  const dlg = document.getElementById('confirm-dialog');
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  const checkRow = document.getElementById('confirm-check-row');
  const check = document.getElementById('confirm-check');

  document.getElementById('confirm-title').textContent = title;
  const bodyEl = clear(document.getElementById('confirm-body'));
  for (const part of [].concat(body)) bodyEl.append(typeof part === 'string' ? h('p', {}, part) : part);
  ok.textContent = confirmLabel;
  ok.className = `btn ${danger ? 'btn-danger' : 'btn-primary'}`;
  checkRow.hidden = !checkbox;
  check.checked = false;
  if (checkbox) document.getElementById('confirm-check-label').textContent = checkbox;

  return new Promise((resolve) => {
    const onClose = () => {
      dlg.removeEventListener('close', onClose);
      resolve({ ok: dlg.returnValue === 'ok', checked: !!checkbox && check.checked });
    };
    dlg.returnValue = 'cancel';
    dlg.addEventListener('close', onClose);
    dlg.showModal();
    // Safe choice first: Enter on an untouched dialog cancels.
    cancel.focus();
  });
}
