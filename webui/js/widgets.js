// The pieces pages are built from, shared by every page: page title, state
// badge, avatar, progress bar, and keeping focus in a list that re-renders.
// Each widget takes plain values and returns DOM nodes (a few also return a
// handle to update them). Pages import widgets from here, never from each
// other. Form controls and dialogs are in forms.js; banners, toasts and the
// confirmation dialog in ui.js; h, icon and the formatters in dom.js.

import { h, icon } from './dom.js';

// The title block at the top of a page: an icon, the title, a line of text
// and, on the right, the page's main buttons.
export function pageHead(ic, title, text, ...extra) {
  return h('header', { class: 'page-head' },
    h('div', { class: 'page-head-icon', 'aria-hidden': 'true' }, icon(ic)),
    h('div', { class: 'page-head-text' }, h('h1', { class: 'page-title' }, title), text ? h('p', { class: 'page-sub' }, text) : null),
    extra.length ? h('div', { class: 'page-head-extra' }, extra) : null);
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
