// The Storage page's volume dialogs: a new volume (optionally over a backing
// volume), an upload from this computer, a clone (a task), a resize. Each
// resolves to true when the pool's volumes changed, so the page reloads them;
// vireod's answers (400, 409, 507) show in the dialog.

import { api } from './api.js';
import { h, uid, fmtBytes } from './dom.js';
import { field, formDialog, selectInput, sizeInput, textInput, FormError } from './forms.js';
import { checkName } from './names.js';
import { toast } from './ui.js';
import { progressBar } from './widgets.js';

export const FORMATS = ['qcow2', 'raw', 'vdi', 'vmdk'];
const FORMAT_LABELS = { qcow2: 'qcow2 (copy-on-write, snapshots)', raw: 'raw (plain image)' };

const nameInput = (testid, props) => textInput({ testid, maxlength: '255', required: true, ...props });

// New volume in `pool`; `volumes` (the pool's) are the backing choices.
export async function createVolume(pool, volumes) {
  const name = nameInput('new-volume-name', { placeholder: 'e.g. web1-disk.qcow2' });
  const size = sizeInput({ testid: 'new-volume-size', value: 10, unit: 'GiB', label: 'Size' });
  const format = selectInput({ testid: 'new-volume-format', options: FORMATS.map((f) => [f, FORMAT_LABELS[f] || f]) });
  const backing = h('select', { class: 'input select', testid: 'new-volume-backing' },
    h('option', { value: '' }, 'None'),
    volumes.map((v) => h('option', { value: `${pool.name}/${v.name}`, dataset: { capacity: String(v.capacity) } },
      `${v.name} (${v.format || 'unknown'}, ${fmtBytes(v.capacity)})`)));
  const backingField = field({
    label: 'Backing volume', control: backing,
    hint: 'Optional: the new volume starts as a copy-on-write layer over this one, which must then stay unchanged.',
  });
  const sync = () => { backingField.hidden = format.value !== 'qcow2'; };
  format.addEventListener('change', sync);
  // A layer is usually as big as what it is over.
  backing.addEventListener('change', () => {
    const opt = backing.selectedOptions[0];
    if (opt && opt.dataset.capacity) size.set(Number(opt.dataset.capacity));
  });
  sync();
  const created = await formDialog({
    title: `New volume in ${pool.name}`,
    testid: 'new-volume-dialog',
    submitLabel: 'Create volume',
    content: [
      field({ label: 'Name', control: name }),
      field({ label: 'Size', control: size.input, box: size.el, hint: 'Space is taken as data is written (sparse).' }),
      field({ label: 'Format', control: format }),
      backingField,
    ],
    submit: async () => {
      const body = { name: checkName('storage', name.value), capacity: size.bytes(), format: format.value };
      if (format.value === 'qcow2' && backing.value) body.backing = backing.value;
      return (await api.createVolume(pool.name, body)).data;
    },
  });
  if (created) toast(`Volume ${created.name} created (${fmtBytes(created.capacity)})`);
  return !!created;
}

// A file from this computer streamed into a new volume of `pool`, with a
// progress bar. Closing the dialog while it runs stops the upload (vireod
// removes the half-made volume).
export async function uploadVolume(pool) {
  const file = h('input', { class: 'input', type: 'file', testid: 'upload-file', required: true });
  const name = nameInput('upload-name', { placeholder: 'e.g. debian-12.iso' });
  file.addEventListener('change', () => {
    if (file.files[0] && !name.value.trim()) name.value = file.files[0].name;
  });
  const bar = progressBar({ testid: 'upload-progress', label: 'Upload progress' });
  const text = h('span', { testid: 'upload-progress-text' }, '');
  const progress = h('div', { class: 'upload-progress', hidden: true }, bar.el, text);
  const controller = new AbortController();
  const onProgress = (sent, total) => {
    const pct = total ? Math.floor((sent / total) * 100) : 0;
    bar.set(pct);
    text.textContent = `${fmtBytes(sent)} of ${fmtBytes(total)} (${pct}%)`;
  };
  const done = await formDialog({
    title: `Upload to ${pool.name}`,
    intro: 'A disk image or ISO file from this computer becomes a new volume of the same size. vireod streams it into the pool; libvirt then tells its format (raw, qcow2, iso ...).',
    testid: 'upload-dialog',
    submitLabel: 'Upload',
    content: [field({ label: 'File', control: file }), field({ label: 'Volume name', control: name }), progress],
    submit: async () => {
      const f = file.files[0];
      if (!f) throw new FormError('Choose a file to upload.');
      if (!f.size) throw new FormError('That file is empty.');
      const n = checkName('storage', name.value);
      progress.hidden = false;
      file.disabled = name.disabled = true;
      try {
        return (await api.uploadVolume(pool.name, n, f, { signal: controller.signal, onProgress })).data;
      } finally {
        file.disabled = name.disabled = false;
      }
    },
  });
  controller.abort();
  if (done) toast(`${done.name} uploaded (${fmtBytes(done.capacity)}${done.format ? `, ${done.format}` : ''})`);
  return !!done;
}

// A full copy of volume `v` of `pool`, into any running pool of `pools`, in
// the same or another format. It runs as a task the Tasks card follows, so
// nothing has changed yet when the dialog closes.
export async function cloneVolume(pool, v, pools) {
  const base = v.name.replace(/(\.[^.]*)?$/, '');
  const name = nameInput('clone-name', { value: `${base}-copy${v.name.slice(base.length)}` });
  const target = selectInput({ testid: 'clone-pool', options: pools.filter((p) => p.state === 'running').map((p) => p.name), value: pool.name });
  const format = selectInput({
    testid: 'clone-format',
    options: [['', `Same as the source (${v.format || 'unknown'})`], ...FORMATS.filter((f) => f !== v.format).map((f) => [f, `Convert to ${f}`])],
  });
  const task = await formDialog({
    title: `Clone ${v.name}`,
    intro: `A full copy of ${v.name} (${fmtBytes(v.capacity)}). It runs as a task: follow it under Tasks below, and cancel it there.`,
    testid: 'clone-dialog',
    submitLabel: 'Clone',
    content: [field({ label: 'New name', control: name }), field({ label: 'Pool', control: target }), field({ label: 'Format', control: format })],
    submit: async () => {
      const body = { name: checkName('storage', name.value) };
      if (target.value && target.value !== pool.name) body.pool = target.value;
      if (format.value) body.format = format.value;
      return (await api.cloneVolume(pool.name, v.name, body)).data;
    },
  });
  if (task) toast(`Cloning ${v.name} to ${name.value.trim()} (task ${task.id})`);
  return false;
}

// A new size for volume `v`; shrinking only when ticked.
export async function resizeVolume(pool, v) {
  const size = sizeInput({ testid: 'resize-size', bytes: v.capacity, label: 'New size' });
  const shrinkId = uid('shrink');
  const shrink = h('input', { type: 'checkbox', id: shrinkId, testid: 'resize-shrink' });
  const done = await formDialog({
    title: `Resize ${v.name}`,
    intro: `It is ${fmtBytes(v.capacity)} now. The guest using it may need to grow its partitions and file systems afterwards.`,
    testid: 'resize-dialog',
    submitLabel: 'Resize',
    content: [
      field({ label: 'New size', control: size.input, box: size.el }),
      h('label', { class: 'check dialog-check', for: shrinkId }, shrink,
        h('span', {}, 'Allow shrinking (data at the end of the volume is lost)')),
    ],
    submit: async () => {
      const bytes = size.bytes();
      if (bytes < v.capacity && !shrink.checked) throw new FormError(`That is smaller than ${fmtBytes(v.capacity)}: tick “Allow shrinking” to shrink it.`);
      const { data } = await api.resizeVolume(pool.name, v.name, bytes, { shrink: bytes < v.capacity });
      return data || { capacity: bytes };
    },
  });
  if (done) toast(`${v.name} is now ${fmtBytes(done.capacity)}`);
  return !!done;
}
