// The Tasks button in the header, on every page: how many tasks run, and a
// drawer (a disclosure: the button says whether it is open, Escape or a
// click elsewhere closes it and focus returns to the button; it closes when
// the page changes too) listing the
// recent tasks with their progress, Cancel, and links to what they made.
// A task that ends while the drawer is closed is told in a toast.

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { onTaskFinished, subscribeTasks } from './task-store.js';
import { taskList } from './tasks.js';
import { toast } from './ui.js';
import { keepFocus } from './widgets.js';

const PANEL_ID = 'task-drawer';
const TICK_MS = 30000; // "done 2 min ago" stays true while it is open

// Mounts the button and its drawer into `root`. Returns the unmount function.
export function mountTaskCenter(root) {
  const c = {
    count: h('span', { class: 'task-count', testid: 'task-count', hidden: true }),
    countWords: h('span', { class: 'sr-only' }),
    body: h('div', { class: 'task-drawer-body' }),
    snap: null,
    timer: null,
    manyHosts: false, // two libvirt hosts or more: each task names its host
  };
  c.button = h('button', {
    type: 'button', class: 'btn btn-ghost task-button', testid: 'task-button',
    'aria-expanded': 'false', 'aria-controls': PANEL_ID,
    onclick: () => (isOpen(c) ? close(c) : open(c)),
  }, icon('tasks'), h('span', { class: 'task-button-label' }, 'Tasks'), ' ', c.count, c.countWords);
  c.panel = h('section', {
    class: 'task-drawer', id: PANEL_ID, testid: 'task-drawer', hidden: true, 'aria-labelledby': `${PANEL_ID}-title`,
  },
  h('div', { class: 'task-drawer-head' },
    h('h2', { class: 'task-drawer-title', id: `${PANEL_ID}-title` }, icon('tasks'), 'Tasks'),
    h('button', {
      type: 'button', class: 'btn btn-ghost btn-icon btn-xs', testid: 'task-drawer-close', 'aria-label': 'Close tasks', title: 'Close',
      onclick: () => close(c),
    }, icon('close'))),
  c.body);
  c.outside = (e) => { if (!root.contains(e.target)) close(c, false); };
  // Escape wherever focus is (a Cancel button that went away leaves it on the page).
  c.escape = (e) => { if (e.key === 'Escape' && !document.querySelector('dialog[open]')) close(c); };
  clear(root).append(c.button, c.panel);

  const offTasks = subscribeTasks((snap) => { c.snap = snap; render(c); });
  const offDone = onTaskFinished((t) => { if (!isOpen(c)) toast(finishedText(t), { tone: t.state === 'succeeded' ? 'ok' : 'warn' }); });
  // Another page (a result link was followed): the drawer has done its job.
  const onRoute = () => close(c, false);
  window.addEventListener('hashchange', onRoute);
  return () => { close(c, false); offTasks(); offDone(); window.removeEventListener('hashchange', onRoute); clear(root); };
}

function finishedText(t) {
  if (t.state === 'succeeded') return `Task finished: ${t.kind} ${t.target}`;
  return `Task ${t.state}: ${t.kind} ${t.target}${t.error ? ` (${t.error.message})` : ''}`;
}

const isOpen = (c) => !c.panel.hidden;

function render(c) {
  const { running } = c.snap;
  c.count.hidden = running === 0;
  c.count.textContent = running ? String(running) : '';
  c.button.dataset.running = String(running);
  // The name says what the number means: "Tasks 2 running".
  c.countWords.textContent = running ? ' running' : '';
  c.button.title = running ? `${running} task${running === 1 ? '' : 's'} running` : 'Recent tasks';
  if (isOpen(c)) fill(c);
}

// Rows are drawn again on every change; focus stays on the same button of the same task.
function fill(c) {
  keepFocus(c.body, 'data-task', () => clear(c.body).append(taskList(c.snap, {
    max: 20, empty: 'No recent tasks. Copies, uploads and new VMs that copy a disk show their progress here.',
    showHost: c.manyHosts,
  })));
}

// Asked when the drawer opens, never for the first screen; hosts are few
// and added rarely, so once a page load is enough.
function askHosts(c) {
  if (c.hostsAsked) return;
  c.hostsAsked = true;
  api.hosts().then(({ data }) => {
    c.manyHosts = (data.hosts || []).length > 1;
    if (c.manyHosts && isOpen(c)) fill(c);
  }).catch(() => { c.hostsAsked = false; });
}

function open(c) {
  askHosts(c);
  fill(c);
  c.panel.hidden = false;
  c.button.setAttribute('aria-expanded', 'true');
  document.addEventListener('pointerdown', c.outside, true);
  document.addEventListener('keydown', c.escape);
  c.timer = setInterval(() => fill(c), TICK_MS);
  c.panel.querySelector('[data-testid="task-drawer-close"]').focus();
}

function close(c, refocus = true) {
  if (!isOpen(c)) return;
  c.panel.hidden = true;
  c.button.setAttribute('aria-expanded', 'false');
  document.removeEventListener('pointerdown', c.outside, true);
  document.removeEventListener('keydown', c.escape);
  clearInterval(c.timer);
  if (refocus) c.button.focus();
}
