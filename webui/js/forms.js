// Building blocks for the account and administration pages: labelled
// fields, a password box with a show/hide toggle, modal dialogs built on
// <dialog>, and a copy-to-clipboard button.

import { h, icon } from './dom.js';
import { toast } from './ui.js';

let seq = 0;
export const uid = (prefix) => `${prefix}-${++seq}`;

// A label, its control and an optional hint, tied together for screen
// readers. `box` is what is shown when the control sits in a wrapper.
export function field({ label, control, box = control, hint = null, testid = null, cls = '' }) {
  const id = control.id || uid('f');
  control.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = hint instanceof Node ? hint : h('span', { class: 'field-hint' }, hint);
    hintEl.id = hintEl.id || `${id}-hint`;
    control.setAttribute('aria-describedby', hintEl.id);
  }
  return h('div', { class: `field ${cls}`.trim(), testid }, h('label', { for: id }, label), box, hintEl);
}

// A password input with a show/hide button. Returns {el, input}.
export function passwordInput({ testid, autocomplete = 'new-password', placeholder = '', required = true, minlength = null } = {}) {
  const input = h('input', {
    class: 'input', type: 'password', id: uid('pw'), testid, autocomplete, placeholder, required, spellcheck: 'false',
    minlength: minlength ? String(minlength) : null,
  });
  const toggle = h('button', {
    type: 'button', class: 'btn btn-ghost btn-icon btn-xs pw-toggle', 'aria-label': 'Show password', title: 'Show password',
    'aria-pressed': 'false',
    onclick: () => {
      const show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      toggle.setAttribute('aria-pressed', String(show));
      toggle.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
      toggle.title = show ? 'Hide password' : 'Show password';
      toggle.replaceChildren(icon(show ? 'eye-off' : 'eye'));
    },
  }, icon('eye'));
  return { el: h('div', { class: 'pw-box' }, input, toggle), input };
}

// A random password that is easy to read out: no 0/O, 1/l/I.
export function randomPassword(length = 16) {
  const chars = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += chars[b % chars.length];
  return out.replace(/(.{4})(?!$)/g, '$1-');
}

// Closes every open dialog (used when the session ends under them).
export function closeAllDialogs() {
  for (const d of document.querySelectorAll('dialog[open]')) d.close('cancel');
}

// A modal dialog. `content` is a node or list of nodes; `actions` the footer
// buttons. Resolves with the dialog's returnValue once closed; the element
// is removed then. Returns {el, close, done}.
export function openDialog({ title, intro = null, content = [], actions = [], testid = null, wide = false, onClose = null }) {
  const titleId = uid('dlg-title');
  const form = h('form', { method: 'dialog', class: 'dialog-form', novalidate: true },
    h('div', { class: 'dialog-head' },
      h('h2', { class: 'dialog-title', id: titleId }, title),
      h('button', { type: 'button', class: 'btn btn-ghost btn-icon btn-xs dialog-x', 'aria-label': 'Close', title: 'Close', onclick: () => el.close('cancel') }, icon('close'))),
    intro ? h('p', { class: 'dialog-intro' }, intro) : null,
    content,
    actions.length ? h('div', { class: 'dialog-actions' }, actions) : null);
  const el = h('dialog', { class: `dialog${wide ? ' dialog-wide' : ''}`, testid, 'aria-labelledby': titleId }, form);
  document.body.append(el);
  const done = new Promise((resolve) => {
    el.addEventListener('close', () => {
      el.remove();
      if (onClose) onClose(el.returnValue);
      resolve(el.returnValue);
    }, { once: true });
  });
  el.returnValue = '';
  el.showModal();
  return { el, form, close: (v = 'cancel') => el.close(v), done };
}

// A dialog around a form: `submit()` runs on the primary button or Enter; it
// may throw (an ApiError or an Error with a message for the person), which is
// shown in the dialog; when it resolves the dialog closes and `formDialog`
// resolves to its value (null when cancelled).
export function formDialog({ title, intro = null, content = [], submitLabel = 'Save', tone = 'primary', testid, submit, focus = null, wide = false }) {
  const error = h('div', { class: 'form-alert', role: 'alert', testid: testid ? `${testid}-error` : null, hidden: true });
  const ok = h('button', { type: 'submit', value: 'ok', class: `btn btn-${tone}`, testid: testid ? `${testid}-submit` : null }, submitLabel);
  const cancel = h('button', { type: 'button', class: 'btn', testid: testid ? `${testid}-cancel` : null, onclick: () => dlg.close('cancel') }, 'Cancel');
  const dlg = openDialog({ title, intro, content: [content, error], actions: [cancel, ok], testid, wide });
  let result = null;
  let busy = false;
  dlg.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    ok.disabled = true;
    error.hidden = true;
    const spin = h('span', { class: 'spinner', 'aria-hidden': 'true' });
    ok.prepend(spin);
    try {
      result = await submit();
      dlg.close('ok');
    } catch (err) {
      error.replaceChildren(icon('alert'), h('span', {}, err && err.message ? err.message : String(err)));
      error.hidden = false;
    } finally {
      busy = false;
      ok.disabled = false;
      spin.remove();
    }
  });
  const first = focus || dlg.form.querySelector('.dialog-form input:not([type=hidden]):not([disabled]), .dialog-form select, .dialog-form textarea');
  if (first) first.focus();
  return dlg.done.then((v) => (v === 'ok' ? result : null));
}

// Validation failure shown in a form dialog.
export class FormError extends Error {}

export function copyText(text, what) {
  const done = () => toast(`${what} copied to the clipboard`);
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, what));
  }
  return Promise.resolve(fallbackCopy(text, what));
}

// Plain HTTP on another machine is not a secure context: no clipboard API.
function fallbackCopy(text, what) {
  const ta = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  if (ok) toast(`${what} copied to the clipboard`);
  else toast(`Could not copy the ${what}: select it and copy by hand`, { tone: 'warn' });
}

// "Chromium 120 on Linux" from a User-Agent string, good enough for a list
// of one's own sessions; the full string stays in the title.
export function describeAgent(ua) {
  if (!ua) return 'Unknown client';
  const browsers = [
    [/Edg\/(\d+)/, 'Edge'], [/OPR\/(\d+)/, 'Opera'], [/Firefox\/(\d+)/, 'Firefox'],
    [/Chromium\/(\d+)/, 'Chromium'], [/HeadlessChrome\/(\d+)/, 'Headless Chrome'], [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+).*Safari/, 'Safari'], [/curl\/([\d.]+)/, 'curl'], [/python-requests\/([\d.]+)/, 'Python requests'],
    [/node|undici/i, 'Node.js'],
  ];
  const systems = [[/Android/, 'Android'], [/iPhone|iPad/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X/, 'macOS'], [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']];
  let name = null;
  for (const [re, label] of browsers) {
    const m = re.exec(ua);
    if (m) { name = m[1] ? `${label} ${m[1]}` : label; break; }
  }
  const os = systems.find(([re]) => re.test(ua));
  if (!name) name = ua.split(/[\s/]/)[0] || 'Unknown client';
  return os ? `${name} on ${os[1]}` : name;
}
