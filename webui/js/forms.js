// Form controls and dialogs shared by the pages: labelled fields, text boxes,
// drop-downs and switches, a password box with a show/hide toggle, a size box
// with its unit, modal dialogs built on <dialog>, and copying to the clipboard.

import { h, icon, uid } from './dom.js';
import { toast } from './ui.js';
import { spinner } from './widgets.js';

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

// A one-line text box for a name, a path or an address: no autocomplete, no
// spell-check. props go on the <input> (testid, placeholder, maxlength ...).
export function textInput(props) {
  return h('input', { class: 'input', type: 'text', autocomplete: 'off', spellcheck: 'false', ...props });
}

// A drop-down. options: values, or [value, label] pairs; `value` starts chosen.
// props go on the <select> (testid, aria-label ...).
export function selectInput({ options, value = null, ...props }) {
  return h('select', { class: 'input select', ...props }, options.map((o) => {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: value !== null && v === value }, label);
  }));
}

// An on/off switch with its words beside it. Returns {el, input}.
export function switchInput({ testid, label, checked = false, id = uid('switch') }) {
  const input = h('input', { type: 'checkbox', class: 'switch-input', id, testid, checked });
  return {
    el: h('label', { class: 'switch', for: id }, input, h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, label)),
    input,
  };
}

// A checkbox with its words and, below them, a hint. Returns {el, input}.
export function checkInput({ testid, label, hint = null, checked = false }) {
  const id = uid('check');
  const input = h('input', { type: 'checkbox', id, testid, checked });
  return {
    input,
    el: h('label', { class: 'check check-accent check-option', for: id }, input,
      h('span', {}, h('span', { class: 'check-option-label' }, label), hint ? h('span', { class: 'field-hint', testid: testid ? `${testid}-hint` : null }, hint) : null)),
  };
}

// The fewest characters vireod takes in a password.
export const MIN_PASSWORD = 8;

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

const UNITS = { GiB: 1024 ** 3, MiB: 1024 ** 2 };
const MAX_BYTES = 64 * 1024 ** 4;

// Picks the unit a size reads best in: whole GiB when it is one, else MiB.
function splitSize(bytes) {
  if (bytes >= UNITS.GiB && bytes % UNITS.GiB === 0) return { value: bytes / UNITS.GiB, unit: 'GiB' };
  return { value: Math.round((bytes / UNITS.MiB) * 100) / 100, unit: 'MiB' };
}

// A size: a number and a unit (GiB/MiB), for volumes and disks. Starts at
// `bytes` when given, else at `value` `unit`. Returns {el, input, unit,
// bytes(), set(bytes)}; bytes() throws a FormError naming `label` when the
// size is not one (0, negative, over 64 TiB).
export function sizeInput({ testid, label, bytes: start = null, value = '', unit = 'GiB' }) {
  const input = h('input', {
    class: 'input size-number', type: 'number', min: '1', step: 'any', inputmode: 'decimal', required: true,
    id: uid('size'), testid, value: String(value),
  });
  const unitSel = h('select', { class: 'input select size-unit', testid: `${testid}-unit`, 'aria-label': `${label}: unit` },
    Object.keys(UNITS).map((u) => h('option', { value: u, selected: u === unit }, u)));
  const bytes = () => {
    const n = Number(input.value);
    if (!input.value.trim() || !Number.isFinite(n) || n <= 0) throw new FormError(`${label}: give a size greater than 0.`);
    const b = Math.round(n * UNITS[unitSel.value]);
    if (b > MAX_BYTES) throw new FormError(`${label}: at most 64 TiB.`);
    return b;
  };
  const set = (b) => {
    const s = splitSize(b);
    input.value = String(s.value);
    unitSel.value = s.unit;
  };
  if (start !== null) set(start);
  return { el: h('div', { class: 'size-row' }, input, unitSel), input, unit: unitSel, bytes, set };
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
    const spin = spinner();
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

// Validation failure shown in a form dialog; `control` (optional) is the
// input it is about, for showFieldError.
export class FormError extends Error {
  constructor(message, control = null) {
    super(message);
    this.control = control;
  }
}

// A message under the control it is about (at the end of its .field),
// tied to it for screen readers (aria-invalid, aria-describedby). It goes
// away once the control is changed. Its testid is the control's plus
// "-error".
export function showFieldError(control, message) {
  clearFieldError(control);
  const box = control.closest('.field') || control.parentNode;
  const id = `${control.id || uid('ctl')}-error`;
  const el = h('p', { class: 'field-error', id, role: 'alert', testid: control.dataset.testid ? `${control.dataset.testid}-error` : null, dataset: { for: control.id } },
    icon('alert'), h('span', {}, message));
  box.append(el);
  control.setAttribute('aria-invalid', 'true');
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  control.setAttribute('aria-describedby', [...described, id].join(' '));
  const clearOnEdit = () => clearFieldError(control);
  control.addEventListener('input', clearOnEdit, { once: true });
  control.addEventListener('change', clearOnEdit, { once: true });
}

export function clearFieldError(control) {
  const box = control.closest('.field') || control.parentNode;
  const old = box && [...box.querySelectorAll('.field-error')].find((e) => e.dataset.for === control.id);
  if (!old) return;
  old.remove();
  control.removeAttribute('aria-invalid');
  const rest = (control.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== old.id);
  if (rest.length) control.setAttribute('aria-describedby', rest.join(' '));
  else control.removeAttribute('aria-describedby');
}

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
