// The Snapshots card of a guest's page: its internal snapshots as a tree
// (GET /api/vms/NAME/snapshots), with Take snapshot (name, description,
// whether to keep the memory), Revert and Delete for operators and admins;
// viewers see the list. Long work (a memory snapshot, a revert) is a task:
// the buttons wait for it. Other people's changes come in as 'edited'
// events of the guest.

import { request } from './api.js';
import { h, icon, clear, fmtDate, fmtRelative } from './dom.js';
import { FormError, checkInput, field, formDialog, showFieldError, textInput } from './forms.js';
import { followTask, onObjectEvent } from './live.js';
import { confirmDialog, showError, toast } from './ui.js';
import { card, deleteButton, emptyState, loadError, rowButton, skeleton } from './widgets.js';

const NAME_RE = /^[A-Za-z0-9_+][A-Za-z0-9_.+-]{0,63}$/;
const ACTIVE = new Set(['running', 'paused', 'blocked']);
const path = (vm, rest = '') => `/api/vms/${encodeURIComponent(vm)}/snapshots${rest}`;

// Waits for a task an answer started (202); throws its error.
async function finished(task, what) {
  const end = await followTask(task.id, () => {}).done;
  if (end.state !== 'succeeded') throw new Error(`${what}: ${end.error ? end.error.message : end.state}`);
  return end;
}

// Mounts nothing by itself: returns {el, update(vm), dispose()}. `vm` is
// the page's latest detail (its state decides the memory default).
export function snapshotsCard(name, { operate }) {
  const s = { name, operate, vm: null, list: null, disposed: false, timer: null };
  s.body = h('div', { class: 'card-body card-body-flush' }, skeleton(2));
  s.el = card({
    title: 'Snapshots', ic: 'clock', testid: 'vm-snapshots', cls: 'span-full', label: 'Snapshots',
    actions: operate ? h('button', { type: 'button', class: 'btn btn-sm', testid: 'snapshot-take', onclick: () => takeSnapshot(s) },
      icon('plus'), h('span', { class: 'btn-label' }, 'Take snapshot')) : null,
    body: s.body,
  });
  const off = onObjectEvent('vm', (d) => {
    if (d.name !== s.name || s.disposed) return;
    clearTimeout(s.timer);
    s.timer = setTimeout(() => load(s), 200);
  });
  load(s);
  return {
    el: s.el,
    update: (vm) => { s.vm = vm; },
    dispose: () => { s.disposed = true; clearTimeout(s.timer); off(); },
  };
}

async function load(s) {
  try {
    const { data } = await request('GET', path(s.name));
    if (s.disposed) return;
    s.list = data.snapshots || [];
    render(s);
  } catch (e) {
    if (!s.disposed && e.status !== 404) clear(s.body).append(loadError('Could not load the snapshots', e, () => load(s)));
  }
}

function render(s) {
  if (!s.list.length) {
    clear(s.body).append(emptyState({
      ic: 'clock', title: 'No snapshots yet', testid: 'snapshots-empty',
      text: s.operate ? 'A snapshot keeps the guest’s disks (and, while it runs, its memory) so you can come back to this moment.'
        : 'Nobody has taken a snapshot of this guest.',
    }));
    return;
  }
  const rows = s.list.map((snap) => h('tr', { testid: 'snapshot-row', dataset: { snapshot: snap.name, depth: String(snap.depth) } },
    h('td', { 'data-label': 'Name' }, nameCell(snap)),
    h('td', { 'data-label': 'Taken' }, snap.created_at
      ? h('span', { title: fmtDate(snap.created_at) }, fmtRelative(snap.created_at)) : '—'),
    h('td', { 'data-label': 'Holds', testid: 'snapshot-holds' }, snap.memory ? `Memory and disks (${snap.state})` : 'Disks (shut off)'),
    h('td', { 'data-label': 'Description' }, snap.description || h('span', { class: 'muted' }, '—')),
    s.operate ? h('td', { 'data-label': 'Actions' }, h('div', { class: 'actions' },
      rowButton({ ic: 'back', label: 'Revert', testid: 'snapshot-revert', aria: `Revert ${s.name} to ${snap.name}`, onclick: (e) => revert(s, snap, e.currentTarget) }),
      deleteButton({ testid: 'snapshot-delete', label: `Delete snapshot ${snap.name}`, onclick: (e) => remove(s, snap, e.currentTarget) }))) : null));
  clear(s.body).append(h('div', { class: 'table-wrap' }, h('table', { class: 'mini-table', testid: 'snapshots-table' },
    h('caption', { class: 'sr-only' }, `Snapshots of ${s.name}, each under the one it was taken after`),
    h('thead', {}, h('tr', {}, ['Name', 'Taken', 'Holds', 'Description', s.operate ? 'Actions' : null]
      .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows))));
}

// The name, indented by its depth in the tree, and "current" on the one
// the guest's state now derives from.
function nameCell(snap) {
  const cell = h('span', { class: 'snapshot-name', testid: 'snapshot-name' },
    snap.depth ? h('span', { class: 'muted', 'aria-hidden': 'true' }, '└ ') : null,
    h('strong', {}, snap.name),
    snap.current ? ' ' : null,
    snap.current ? h('span', { class: 'chip', testid: 'snapshot-current', title: 'The guest’s state derives from this snapshot' }, 'current') : null);
  cell.style.paddingInlineStart = `${snap.depth * 1.25}rem`;
  if (snap.parent) cell.title = `Taken after ${snap.parent}`;
  return cell;
}

async function takeSnapshot(s) {
  const running = !!s.vm && ACTIVE.has(s.vm.state);
  const nameBox = textInput({ testid: 'snapshot-name-input', maxlength: 64, placeholder: 'before-upgrade' });
  const descBox = textInput({ testid: 'snapshot-description-input', maxlength: 4096 });
  const memory = checkInput({
    testid: 'snapshot-memory', label: 'Include memory', checked: running,
    hint: running ? 'Keeps the running guest as it is now; reverting resumes it. The guest pauses while its memory is saved.'
      : 'Only for a running guest: this one is shut off, so the snapshot keeps its disks.',
  });
  memory.input.disabled = true; // a running guest's internal snapshot always holds its memory
  const made = await formDialog({
    title: `Take a snapshot of ${s.name}`,
    intro: 'Snapshots are kept inside the guest’s qcow2 disks.',
    submitLabel: 'Take snapshot',
    testid: 'snapshot-dialog',
    content: [
      field({ label: 'Name', control: nameBox, hint: 'Letters, digits and _ . + -', testid: 'snapshot-name-field' }),
      field({ label: 'Description (optional)', control: descBox }),
      memory.el,
    ],
    submit: async () => {
      const name = nameBox.value.trim();
      if (!NAME_RE.test(name)) {
        showFieldError(nameBox, 'Use 1-64 letters, digits and _ . + -, not starting with . or -');
        throw new FormError('Check the name.', nameBox);
      }
      const body = { name, memory: memory.input.checked };
      if (descBox.value.trim()) body.description = descBox.value.trim();
      const res = await request('POST', path(s.name), { body });
      if (res.status === 202) await finished(res.data, 'The snapshot was not taken');
      return name;
    },
  });
  if (made) { toast(`Snapshot “${made}” taken`); load(s); }
}

async function revert(s, snap, button) {
  const ends = snap.memory ? `running, as it was at ${fmtDate(snap.created_at)}` : 'shut off';
  const { ok } = await confirmDialog({
    title: `Revert ${s.name} to “${snap.name}”?`,
    body: [`The guest’s disks, settings and state go back to the snapshot; it ends ${ends}.`, 'Everything that changed since is lost, unless another snapshot keeps it.'],
    confirmLabel: 'Revert',
  });
  if (!ok) return;
  button.disabled = true;
  try {
    const res = await request('POST', path(s.name, `/${encodeURIComponent(snap.name)}/revert`));
    await finished(res.data, 'The revert failed');
    toast(`${s.name} reverted to “${snap.name}”`);
  } catch (e) {
    showError(e, `Could not revert ${s.name}`);
  } finally {
    button.disabled = false;
    load(s);
  }
}

async function remove(s, snap, button) {
  const kids = snap.children || [];
  const { ok } = await confirmDialog({
    title: `Delete snapshot “${snap.name}”?`,
    body: [kids.length ? `Its ${kids.length === 1 ? 'child' : 'children'} (${kids.join(', ')}) stay, under ${snap.parent ? `“${snap.parent}”` : 'no parent'}.` : 'The guest itself does not change.',
      'You can no longer revert to it.'],
    confirmLabel: 'Delete snapshot',
  });
  if (!ok) return;
  button.disabled = true;
  try {
    await request('DELETE', path(s.name, `/${encodeURIComponent(snap.name)}`));
    toast(`Snapshot “${snap.name}” deleted`);
  } catch (e) {
    button.disabled = false;
    showError(e, `Could not delete snapshot “${snap.name}”`);
  }
  load(s);
}
