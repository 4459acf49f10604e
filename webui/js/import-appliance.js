// "An appliance or disk image from this computer", a way of the New VM
// wizard's first step: an OVA exported by VirtualBox or VMware, or one disk
// image (vmdk, vdi, qcow2, raw), streamed to POST /api/vms/import. vireod
// takes vCPUs, memory, firmware, disks, NICs and the guest OS from the OVA's
// descriptor (a disk image gets 1 vCPU and 1 GiB); here one picks the file,
// the VM's name, the pool for its disks, their format and the network.
// Progress: the upload's bytes as the browser sends them, then the import
// task's conversion; at the end, a link to the new VM and what was left out.

import { api } from './api.js';
import { h, icon, fmtBytes } from './dom.js';
import { field, selectInput, textInput, showFieldError, clearFieldError } from './forms.js';
import { followTask } from './live.js';
import { NAMES } from './names.js';
import { vmHref } from './router.js';
import { progressBar, spinner } from './widgets.js';

const ACCEPT = '.ova,.vmdk,.vdi,.qcow2,.img,.raw';

// A VM name from a file name: "Debian 12 (web).ova" -> "Debian-12-web".
export function nameFromFile(fileName) {
  const base = fileName.replace(/\.(ova|vmdk|vdi|qcow2|img|raw)$/i, '');
  const name = base.replace(/[^A-Za-z0-9_.+-]+/g, '-').replace(/^[.-]+|-+$/g, '').slice(0, 64);
  return NAMES.vm.re.test(name) ? name : '';
}

// The part: {box, button, stop()}. `button` belongs with the wizard's
// actions; stop() gives up following (the import goes on in vireod).
export function appliancePart(inventory) {
  const pools = inventory.admin ? inventory.pools : inventory.diskPools;
  const file = h('input', { class: 'input', type: 'file', accept: ACCEPT, testid: 'appliance-file' });
  const name = textInput({ testid: 'appliance-name', maxlength: '64', placeholder: 'e.g. web1' });
  const pool = selectInput({ testid: 'appliance-pool', options: pools.map((p) => p.name) });
  const format = selectInput({
    testid: 'appliance-format',
    options: [['qcow2', 'qcow2 (thin, snapshots)'], ['raw', 'raw (fastest)']],
    value: 'qcow2',
  });
  const network = selectInput({
    testid: 'appliance-network',
    options: [['', 'The network “default”, if it runs and you may use it'],
      ...inventory.networks.map((n) => [n.name, `${n.name}${n.active ? '' : ' (not running)'}`]), ['none', 'No network']],
    value: '',
  });
  file.addEventListener('change', () => {
    const f = file.files[0];
    if (f && !name.value.trim()) name.value = nameFromFile(f.name);
  });
  const bar = progressBar({ testid: 'appliance-progress', label: 'Import progress' });
  const text = h('span', { class: 'muted', testid: 'appliance-progress-text' }, '');
  const progress = h('div', { class: 'upload-progress', hidden: true }, bar.el, text);
  const result = h('div', { testid: 'appliance-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'btn btn-primary', testid: 'appliance-import', hidden: true, onclick: () => run() },
    icon('upload'), 'Import');
  const box = h('div', { class: 'spec-part', testid: 'appliance-part', hidden: true },
    h('p', { class: 'form-note' }, icon('info'), h('span', {},
      'An OVA from VirtualBox or VMware brings its own vCPUs, memory, disks, network cards and guest OS; a single disk image (vmdk, vdi, qcow2, raw) becomes a guest with 1 vCPU and 1 GiB. The disks are converted into the pool you choose.')),
    field({ label: 'File', control: file, hint: 'The file is streamed to vireod and checked as it arrives (names, sizes, digests).' }),
    field({ label: 'Name', control: name, hint: 'Letters, digits, “_”, “.”, “+” and “-”.' }),
    field({ label: 'Storage pool for the disks', control: pool }),
    field({ label: 'Disk format', control: format }),
    field({ label: 'Network', control: network }),
    progress, result);
  let following = null;
  let controller = null;

  function busy(on) {
    for (const c of [file, name, pool, format, network, button]) c.disabled = on;
  }

  function problem(message, control) {
    if (control) {
      showFieldError(control, message);
      control.focus();
    } else {
      result.replaceChildren(h('div', { class: 'form-alert', role: 'alert', testid: 'appliance-error' }, icon('alert'), h('span', {}, message)));
    }
  }

  // The upload: the browser's own progress (the task's answer comes once
  // the body is in), shown as bytes.
  async function send(f, query) {
    controller = new AbortController();
    const onProgress = (sent, total) => {
      const pct = total ? Math.floor((sent / total) * 100) : 0;
      bar.set(pct);
      text.textContent = `Uploading ${fmtBytes(sent)} of ${fmtBytes(total)} (${pct}%)`;
    };
    try {
      return (await api.importVm(query, f, { signal: controller.signal, onProgress })).data;
    } finally {
      controller = null;
    }
  }

  // The task's conversion and definition, to its end.
  async function follow(task) {
    bar.set(task.progress);
    following = followTask(task.id, (t) => {
      bar.set(t.progress);
      text.textContent = `${t.progress}% · ${t.message || t.state}`;
    });
    try {
      return await following.done;
    } finally {
      following = null;
    }
  }

  function done(vm, task) {
    // The task's last message: "imported as VM 'x'; what was left out; ...".
    const notes = (task.message || '').split('; ').slice(1);
    result.replaceChildren(h('p', { class: 'form-note', testid: 'appliance-done' }, icon('check'),
      h('span', {}, 'Imported as ', h('a', { href: vmHref(vm), testid: 'appliance-vm-link' }, vm), '. Start it from its page.')));
    if (notes.length) result.append(h('ul', { class: 'field-hint', testid: 'appliance-notes' }, notes.map((n) => h('li', {}, n))));
  }

  async function run() {
    result.replaceChildren();
    clearFieldError(file);
    clearFieldError(name);
    const f = file.files[0];
    if (!f) { problem('Choose the OVA or disk image to import.', file); return; }
    if (!f.size) { problem('That file is empty.', file); return; }
    const n = name.value.trim();
    if (!NAMES.vm.re.test(n)) { problem(NAMES.vm.message, name); return; }
    if (!pool.value) { problem('There is no storage pool you may put new disks in.', pool); return; }
    const query = { name: n, pool: pool.value, format: format.value };
    if (network.value) query.network = network.value;
    busy(true);
    progress.hidden = false;
    bar.set(0);
    const spin = spinner();
    button.prepend(spin);
    try {
      const task = await send(f, query);
      const end = await follow(task);
      if (end.state === 'succeeded') done(n, end);
      else problem(`The import ${end.state === 'cancelled' ? 'was cancelled' : 'failed'}: ${end.error ? end.error.message : end.state}`);
    } catch (e) {
      const where = /^query 'name'|^invalid VM name|^a VM named/.test(e.message || '') ? name : null;
      problem(e.message, where);
    } finally {
      busy(false);
      spin.remove();
      progress.hidden = true;
    }
  }

  return {
    box,
    button,
    stop() {
      if (controller) controller.abort();
      if (following) following.stop();
    },
  };
}
