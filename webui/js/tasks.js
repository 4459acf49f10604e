// Recent tasks (volume clones, uploads ...) with live progress: the list is
// read once, then kept up to date from the event stream ('task' events carry
// the whole task). Admins see everyone's tasks, others their own.

import { api } from './api.js';
import { onObjectEvent } from './live.js';
import { h, icon, clear, fmtRelative } from './dom.js';
import { showError, toast } from './ui.js';
import { badge, card, countBadge, progressBar, rowButton, skeleton } from './widgets.js';

const SHOWN = 8;
const STATES = {
  queued: { label: 'queued', tone: 'off' },
  running: { label: 'running', tone: 'busy' },
  succeeded: { label: 'done', tone: 'ok' },
  failed: { label: 'failed', tone: 'bad' },
  cancelled: { label: 'cancelled', tone: 'warn' },
};
const KINDS = {
  clone: ['clone', 'Clone of'], upload: ['upload', 'Upload to'], create: ['plus', 'New VM'],
  'vm-clone': ['clone', 'New VM (clone)'], snapshot: ['clock', 'Snapshot'], revert: ['back', 'Revert to'],
  backup: ['clock', 'Backup job'], restore: ['reset', 'Restore as'], 'import-archive': ['upload', 'Import of'],
};
const isLive = (t) => t.state === 'queued' || t.state === 'running';

function taskBadge(state) {
  const s = STATES[state] || { label: state, tone: 'off' };
  return badge({ tone: s.tone, label: s.label, state, testid: 'task-state' });
}

// Mounts the tasks card into `root`. onFinished(task) runs when a task the
// card shows ends (e.g. to reload the volumes). Returns the dispose function.
export function mountTasks(root, { onFinished = null } = {}) {
  const list = {
    tasks: [],
    disposed: false,
    onFinished,
    count: countBadge('tasks-count'),
    body: h('div', { class: 'card-body card-body-flush' }, skeleton(1)),
  };
  root.append(card({
    title: ['Tasks ', list.count], ic: 'tasks', titleId: 'tasks-title', cls: 'card-flush tasks-card', testid: 'tasks-card', body: list.body,
  }));
  load(list);
  const off = onObjectEvent('task', (t) => { if (!list.disposed && t && t.id) merge(list, t); });
  return () => { list.disposed = true; off(); };
}

async function load(list) {
  try {
    const { data } = await api.tasks({ limit: 20 });
    if (list.disposed) return;
    list.tasks = data.tasks || [];
    render(list);
  } catch (e) {
    if (list.disposed) return;
    clear(list.body).append(h('p', { class: 'tasks-empty muted' }, `Could not load the tasks: ${e.message}`));
  }
}

// A task from the event stream: new, or a newer state of one in the list.
function merge(list, t) {
  const before = list.tasks.find((x) => x.id === t.id);
  list.tasks = [t, ...list.tasks.filter((x) => x.id !== t.id)].sort((a, b) => b.id - a.id);
  render(list);
  if (list.onFinished && !isLive(t) && (!before || isLive(before))) list.onFinished(t);
}

function render(list) {
  const { tasks } = list;
  const running = tasks.filter(isLive).length;
  list.count.textContent = running ? `${running} running` : String(tasks.length);
  if (!tasks.length) {
    clear(list.body).append(h('p', { class: 'tasks-empty muted', testid: 'tasks-empty' },
      'No recent tasks. Clones and uploads show their progress here.'));
    return;
  }
  clear(list.body).append(h('ul', { class: 'task-list', testid: 'task-list' }, tasks.slice(0, SHOWN).map(row)));
}

function row(t) {
  const [ic, verb] = KINDS[t.kind] || ['tasks', t.kind];
  const when = t.finished_at || t.started_at || t.created_at;
  const detail = t.error ? t.error.message : t.message;
  return h('li', { class: 'task-row', testid: 'task-row', dataset: { task: String(t.id), kind: t.kind, state: t.state } },
    h('div', { class: 'task-main' },
      h('span', { class: 'cell-main' }, icon(ic), h('span', { testid: 'task-title' }, `${verb} `, h('span', { class: 'mono' }, t.target))),
      taskBadge(t.state),
      h('span', { class: 'task-pct', testid: 'task-percent' }, `${t.progress}%`),
      t.cancellable && isLive(t) ? rowButton({
        ic: 'close', label: t.cancel_requested ? 'Cancelling' : 'Cancel', testid: 'task-cancel', disabled: t.cancel_requested,
        aria: `Cancel task ${t.id}`, onclick: (e) => cancel(t, e.currentTarget),
      }) : null),
    progressBar({ testid: 'task-progress', label: `${t.kind} ${t.target}: ${t.progress}%`, percent: t.progress, cls: `task-bar task-bar-${t.state}` }).el,
    h('div', { class: 'task-sub muted' },
      detail ? h('span', { testid: 'task-message' }, detail) : null,
      h('span', {}, `${t.owner ? `${t.owner} · ` : ''}${fmtRelative(when)}`)));
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
