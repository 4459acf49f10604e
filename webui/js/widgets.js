// The pieces pages are built from, shared by every page: page title, card,
// table, empty and loading states, buttons, state badge, avatar, progress
// bar, the autostart switch of a list row, and keeping focus in a list that
// re-renders.
// Each widget takes plain values and returns DOM nodes (a few also return a
// handle to update them). Pages import widgets from here, never from each
// other. Form controls and dialogs are in forms.js; banners, toasts and the
// confirmation dialog in ui.js; h, icon and the formatters in dom.js.

import { h, icon, uid } from './dom.js';
import { showError, toast } from './ui.js';

// The title block at the top of a page: an icon, the title, a line of text
// and, on the right, the page's main buttons.
export function pageHead(ic, title, text, ...extra) {
  return h('header', { class: 'page-head' },
    h('div', { class: 'page-head-icon', 'aria-hidden': 'true' }, icon(ic)),
    h('div', { class: 'page-head-text' }, h('h1', { class: 'page-title' }, title), text ? h('p', { class: 'page-sub' }, text) : null),
    extra.length ? h('div', { class: 'page-head-extra' }, extra) : null);
}

// A card: a head with a title (an icon, words, a count ...) and actions on
// the right, then its body (usually a .card-body the page keeps to refill).
// `label` or `titleId` name the section for screen readers.
export function card({ title, ic = null, actions = null, body = null, cls = '', testid = null, label = null, titleId = null }) {
  return h('section', { class: `card ${cls}`.trim(), testid, 'aria-label': label, 'aria-labelledby': titleId },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title', id: titleId }, ic ? icon(ic) : null, title), actions),
    body);
}

// The number beside a card's title ("Pools 3"); the page sets its text.
export const countBadge = (testid) => h('span', { class: 'count', testid });

// What a card shows instead of a list: nothing there yet, nothing found, a
// failure. `extra` is a button or link to go on from there.
export function emptyState({ ic, title, text = null, testid = null, cls = '', extra = null }) {
  return h('div', { class: `${cls} empty`.trim(), testid }, icon(ic, 'icon empty-icon'),
    h('h2', {}, title), text !== null ? h('p', {}, text) : null, extra);
}

// A list that did not load: the error, and a retry button when `retry` is given.
export function loadError(title, err, retry = null) {
  return emptyState({
    ic: 'alert', title, text: err.message,
    extra: retry ? h('button', { type: 'button', class: 'btn', onclick: () => retry() }, 'Try again') : null,
  });
}

// Grey placeholder lines while a list loads.
export function skeleton(lines = 2) {
  return h('div', { class: 'skeleton' }, Array.from({ length: lines }, () => h('span')));
}

// The column of a row's buttons: its title is for screen readers only.
export const ACTIONS = { label: 'Actions', cls: 'col-actions', hidden: true };

// A list as a table in the house style (.data-table), in its scroll box,
// which is what it returns (hide that to hide the table). columns: a title, {label, cls} (cls 'num' right-aligns a column of
// numbers), ACTIONS, or null (left out, e.g. a column only admins get).
// rows: the <tr>s, or a <tbody> the page keeps to update.
export function dataTable({ cls = '', testid, caption = null, columns, rows }) {
  const th = (c) => {
    const { label, cls: thCls = null, hidden = false } = typeof c === 'string' ? { label: c } : c;
    return h('th', { scope: 'col', class: thCls }, hidden ? h('span', { class: 'sr-only' }, label) : label);
  };
  return h('div', { class: 'table-wrap' }, h('table', { class: `data-table ${cls}`.trim(), testid },
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.filter((c) => c !== null).map(th))),
    rows instanceof Node ? rows : h('tbody', {}, rows)));
}

// A spinning ring: something is on its way.
export const spinner = () => h('span', { class: 'spinner', 'aria-hidden': 'true' });

// "Starting…" beside a spinner: an action sent whose effect is not visible yet.
export const pendingMark = (label, testid) => h('span', { class: 'pending', testid }, spinner(), label);

// The page's main button that makes a new thing ("New pool").
export function newButton({ testid, label, onclick }) {
  return h('button', { type: 'button', class: 'btn btn-primary', testid, onclick }, icon('plus'), label);
}

// The round arrow in a card head that reads the list again.
export function reloadButton({ testid, label, title = 'Reload', onclick }) {
  return h('button', { type: 'button', class: 'btn btn-ghost btn-icon', testid, 'aria-label': label, title, onclick }, icon('refresh'));
}

// A small button in a table row or a card head: an icon and a label that
// narrow screens may hide (so `aria` and `title` name what it acts on).
export function rowButton({ ic, label, testid, cls = '', aria = null, title = null, disabled = false, onclick }) {
  return h('button', { type: 'button', class: `btn btn-sm ${cls}`.trim(), testid, 'aria-label': aria, title, disabled, onclick },
    icon(ic), h('span', { class: 'btn-label' }, label));
}

// The red trash-can button of a row; `label` names what it removes, and
// `word` ("Delete", "Detach") stands beside the can on phones.
export function deleteButton({ testid, label, title = label, disabled = false, word = 'Delete', onclick }) {
  return h('button', {
    type: 'button', class: 'btn btn-sm btn-icon btn-danger-outline btn-delete', testid, 'aria-label': label, title, disabled, onclick,
  }, icon('trash'), h('span', { class: 'btn-delete-word' }, word));
}

// The Autostart cell of a pool or network row. Admins get a switch that
// saves at once: save(on) sends it, then after(box) reloads the list
// (keeping focus on the switch); a failure flips it back. Others read On/Off.
export function autostartCell({ admin, name, on, testid, disabled = false, title, save, after }) {
  if (!admin) return h('span', { class: on ? 'flag flag-on' : 'muted', testid: `${testid}-text` }, on ? 'On' : 'Off');
  const id = uid(testid);
  const box = h('input', {
    type: 'checkbox', class: 'switch-input', id, testid, checked: on, disabled,
    onchange: async () => {
      box.disabled = true;
      try {
        await save(box.checked);
        toast(box.checked ? `${name} now starts with libvirtd` : `${name} no longer starts with libvirtd`);
      } catch (e) {
        box.checked = !box.checked;
        showError(e, `Could not change the autostart of ${name}`);
      }
      after(box);
    },
  });
  return h('label', { class: 'switch switch-quiet', for: id, title },
    box, h('span', { class: 'switch-track', 'aria-hidden': 'true' }),
    h('span', { class: 'sr-only' }, `Autostart ${name}`),
    h('span', { class: 'switch-text', 'aria-hidden': 'true' }, on ? 'On' : 'Off'));
}

// A state as a coloured dot and a word ("active", "running", "failed").
// tone: ok, warn, bad, busy, off or sleep; `state` lands in data-state for tests.
export function badge({ tone, label, state, testid }) {
  return h('span', { class: `badge badge-${tone}`, testid, dataset: { state } },
    h('span', { class: 'badge-dot', 'aria-hidden': 'true' }),
    h('span', { class: 'badge-label' }, label));
}

function initials(name) {
  return (name || '?').replace(/[^a-z0-9]/gi, '').slice(0, 2).toUpperCase() || '?';
}

// A person's initials in a circle, in a hue that stays the same for a name,
// so people can be told apart at a glance (user menu, Users page).
export function avatar(name, cls = 'avatar') {
  let hash = 0;
  for (const c of name || '') hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return h('span', { class: cls, 'aria-hidden': 'true', dataset: { hue: String(hash % 6) } }, initials(name));
}

// A progress bar (0-100) for uploads, clones and creates. Returns {el, set};
// set(percent) moves it.
export function progressBar({ testid, label, percent = 0, cls = '' }) {
  const fill = h('span', { class: 'usage-fill' });
  const el = h('div', {
    class: `usage-bar ${cls}`.trim(), role: 'progressbar', testid, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': label,
  }, fill);
  const set = (pct) => {
    fill.style.width = `${pct}%`;
    el.setAttribute('aria-valuenow', String(pct));
  };
  set(percent);
  return { el, set };
}

// A start button turns into a stop button (and back) when its row re-renders.
const swapStartStop = (testid) => testid && testid.replace(/-(start|stop)$/, (m, w) => (w === 'start' ? '-stop' : '-start'));

// Runs render(), which replaces the rows of `container` (each row carries the
// attribute `rowAttr`, e.g. data-pool, naming it), and keeps keyboard focus
// on the same button of the same row, or that row's first control. A button
// that was busy (so disabled, which drops focus) is passed as `busy`.
export function keepFocus(container, rowAttr, render, busy = null) {
  const active = busy || document.activeElement;
  let where = null;
  // A busy button may already be detached (an event re-rendered the list
  // while its action ran): its old row still tells where it was.
  if (active && (busy || container.contains(active))) {
    const row = active.closest(`[${rowAttr}]`);
    if (row) where = { key: row.getAttribute(rowAttr), testid: active.dataset.testid };
  }
  render();
  if (!where) return;
  const row = [...container.querySelectorAll(`[${rowAttr}]`)].find((r) => r.getAttribute(rowAttr) === where.key);
  if (!row) return;
  const find = (id) => id && row.querySelector(`[data-testid="${CSS.escape(id)}"]:not(:disabled)`);
  const target = find(where.testid) || find(swapStartStop(where.testid)) || row.querySelector('a, button:not(:disabled), input:not(:disabled)');
  if (target) target.focus();
}
