// How a task looks wherever it is shown (the header's task drawer, the
// Storage page's Tasks card): its words ("Copying images/a.img", "Copied
// images/a.img — done 2 min ago", "Copy of images/a.img failed: ..."), its
// progress, Cancel while it may be cancelled, and a link to what it made.
// The tasks themselves come from task-store.js.

import { api } from './api.js';
import { h, icon, clear, fmtRelative } from './dom.js';
import { poolHref, vmHref } from './router.js';
import { isLive, onTaskFinished, reloadTasks, subscribeTasks } from './task-store.js';
import { showError, toast } from './ui.js';
import { badge, card, countBadge, progressBar, rowButton, skeleton } from './widgets.js';

const STATES = {
  queued: { label: 'queued', tone: 'off' },
  running: { label: 'running', tone: 'busy' },
  succeeded: { label: 'done', tone: 'ok' },
  failed: { label: 'failed', tone: 'bad' },
  cancelled: { label: 'cancelled', tone: 'warn' },
};

// Words of each kind of task: [icon, while queued, while running, once
// done, the noun for "... failed" / "... cancelled"].
const KINDS = {
  clone: ['clone', 'Waiting to copy', 'Copying', 'Copied', 'Copy of'],
  upload: ['upload', 'Waiting to upload to', 'Uploading to', 'Uploaded', 'Upload to'],
  create: ['plus', 'Waiting to create VM', 'Creating VM', 'Created VM', 'New VM'],
  'vm-clone': ['clone', 'Waiting to clone into VM', 'Cloning into VM', 'Cloned into VM', 'Clone into VM'],
  snapshot: ['clock', 'Waiting to take snapshot', 'Taking snapshot', 'Took snapshot', 'Snapshot'],
  revert: ['back', 'Waiting to revert to', 'Reverting to', 'Reverted to', 'Revert to'],
  import: ['upload', 'Waiting to import', 'Importing', 'Imported', 'Import of'],
  backup: ['clock', 'Waiting to back up', 'Backing up', 'Backed up', 'Backup job'],
  restore: ['reset', 'Waiting to restore as', 'Restoring as', 'Restored as', 'Restore as'],
  'import-archive': ['upload', 'Waiting to import', 'Importing', 'Imported', 'Import of'],
};

function words(t) {
  const [ic, queued, running, done, noun] = KINDS[t.kind] || ['tasks', `${t.kind}:`, `${t.kind}:`, `${t.kind}:`, t.kind];
  const lead = { queued, running, succeeded: done }[t.state] || noun;
  const tail = { failed: ' failed', cancelled: ' cancelled' }[t.state] || '';
  return { ic, lead, tail };
}

// "— done 2 min ago", "— failed 5 s ago", "started 1 min ago".
function whenText(t) {
  if (t.state === 'succeeded') return `done ${fmtRelative(t.finished_at)}`;
  if (t.state === 'failed' || t.state === 'cancelled') return `${STATES[t.state].label} ${fmtRelative(t.finished_at)}`;
  if (t.state === 'running') return `started ${fmtRelative(t.started_at || t.created_at)}`;
  return `asked ${fmtRelative(t.created_at)}`;
}

// Where the page of what a finished task made is: its result is an API path
// (with "?host=ID" on another host; the pages find a VM by its name).
export function resultLink(t) {
  if (t.state !== 'succeeded' || !t.result) return null;
  const path = t.result.replace(/\?host=\d+$/, '');
  const vol = /^\/api\/pools\/([^/]+)\/volumes\/([^/]+)$/.exec(path);
  // A VM, or one of its snapshots: the VM's page.
  const vm = /^\/api\/vms\/([^/]+)(?:\/snapshots\/[^/]+)?$/.exec(path);
  let href = null;
  let text = null;
  try {
    if (vol) { href = poolHref(decodeURIComponent(vol[1])); text = `${decodeURIComponent(vol[1])}/${decodeURIComponent(vol[2])}`; }
    if (vm) { href = vmHref(decodeURIComponent(vm[1])); text = decodeURIComponent(vm[1]); }
  } catch { return null; }
  if (!href) return null;
  return h('a', { class: 'task-result', href, testid: 'task-result' }, icon('back', 'icon icon-flip'), `Open ${text}`);
}

// One task as a list item; `showHost` names the libvirt host it runs on
// (once there are two hosts).
export function taskRow(t, { showHost = false } = {}) {
  const { ic, lead, tail } = words(t);
  const s = STATES[t.state] || { label: t.state, tone: 'off' };
  const live = isLive(t);
  const detail = t.error ? t.error.message : (live ? t.message : null);
  return h('li', { class: `task-row task-row-${t.state}`, testid: 'task-row', dataset: { task: String(t.id), kind: t.kind, state: t.state } },
    h('div', { class: 'task-main' },
      h('span', { class: 'cell-main' }, icon(ic),
        h('span', { testid: 'task-title' }, `${lead} `, h('span', { class: 'mono' }, t.target), tail)),
      badge({ tone: s.tone, label: s.label, state: t.state, testid: 'task-state' }),
      h('span', { class: 'task-pct', testid: 'task-percent' }, `${t.progress}%`),
      t.cancellable && live ? rowButton({
        ic: 'close', label: t.cancel_requested ? 'Cancelling' : 'Cancel', testid: 'task-cancel', disabled: t.cancel_requested,
        aria: `Cancel: ${lead} ${t.target}`, onclick: (e) => cancel(t, e.currentTarget),
      }) : null),
    live ? progressBar({ testid: 'task-progress', label: `${lead} ${t.target}: ${t.progress}%`, percent: t.progress, cls: `task-bar task-bar-${t.state}` }).el : null,
    h('div', { class: 'task-sub' },
      detail ? h('span', { class: t.error ? 'task-error' : 'muted', testid: 'task-message' }, detail) : null,
      resultLink(t),
      showHost && t.host ? h('span', { class: 'muted task-host', testid: 'task-host' }, `on ${t.host.name}`) : null,
      h('span', { class: 'muted task-when', testid: 'task-when' }, `${t.owner ? `${t.owner} · ` : ''}${whenText(t)}`)));
}

// The list of `tasks` (newest first, at most `max`), or words for none.
export function taskList(snap, { max, empty, showHost = false }) {
  if (snap.error && !snap.tasks.length) {
    return h('div', { class: 'tasks-empty' }, h('p', { class: 'muted' }, `Could not load the tasks: ${snap.error.message}`),
      h('button', { type: 'button', class: 'btn btn-sm', onclick: () => reloadTasks() }, 'Try again'));
  }
  if (!snap.loaded) return skeleton(1);
  if (!snap.tasks.length) return h('p', { class: 'tasks-empty muted', testid: 'tasks-empty' }, empty);
  return h('ul', { class: 'task-list', testid: 'task-list' }, snap.tasks.slice(0, max).map((t) => taskRow(t, { showHost })));
}

async function cancel(t, btn) {
  btn.disabled = true;
  try {
    await api.cancelTask(t.id);
    toast(`Cancelling task ${t.id}`);
  } catch (e) {
    btn.disabled = false;
    showError(e, `Could not cancel task ${t.id}`);
  }
}

// The Tasks card of a page (Storage). onFinished(task) runs when a task
// ends while the card is shown (e.g. to reload the volumes). Returns the
// dispose function.
export function mountTasks(root, { onFinished = null } = {}) {
  const count = countBadge('tasks-count');
  const body = h('div', { class: 'card-body card-body-flush' });
  root.append(card({
    title: ['Tasks ', count], ic: 'tasks', titleId: 'tasks-title', cls: 'card-flush tasks-card', testid: 'tasks-card', body,
  }));
  const off = subscribeTasks((snap) => {
    count.textContent = snap.running ? `${snap.running} running` : String(snap.tasks.length);
    clear(body).append(taskList(snap, { max: 8, empty: 'No recent tasks. Clones and uploads show their progress here.' }));
  });
  const offDone = onFinished ? onTaskFinished(onFinished) : () => {};
  return () => { off(); offDone(); };
}
