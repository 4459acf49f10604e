// Device editing on a guest's page: the Resources card (name, vCPUs, memory,
// boot order; the answer says whether each applied live or at the next boot)
// and the actions of the Storage and Network cards (attach a new or existing
// disk, add a CD-ROM drive, insert/eject media, detach; attach a NIC, link
// up/down, change network, detach). Only operators and admins get these:
// viewers see the plain tables. The dialogs offer what the caller may use
// (scope.js): pools granted for new disks, media pools' ISO images, granted
// networks and host bridges; admins get everything.

import { api } from './api.js';
import { h, icon, clear, fmtBytes } from './dom.js';
import { field, formDialog, sizeInput, FormError } from './forms.js';
import { confirmDialog, readOrSay, showError, toast } from './ui.js';
import { nameProblem } from './names.js';
import { loadScope, NO_DISK_POOL, NO_MEDIA_POOL } from './scope.js';
import { deleteButton, rowButton } from './widgets.js';

const BOOT_DEVS = [['hd', 'Disk'], ['cdrom', 'CD-ROM'], ['network', 'Network (PXE)'], ['fd', 'Floppy']];
const BUSES = ['virtio', 'sata', 'scsi', 'ide', 'usb'];
const HOT_BUSES = new Set(['virtio', 'scsi', 'usb']);
const MODELS = ['virtio', 'e1000e', 'e1000', 'rtl8139'];
const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

const running = (vm) => vm && vm.state !== 'shutoff' && vm.state !== 'crashed' && vm.state !== 'nostate';
const appliedText = { live: 'now', next_boot: 'at the next boot' };

// "vCPUs applied now, memory at the next boot".
function describeApplied(applied) {
  const names = { vcpus: 'vCPUs', memory: 'memory', boot: 'boot order' };
  return Object.entries(applied || {}).map(([k, v]) => `${names[k] || k} ${appliedText[v] || v}`).join(', ');
}

// ---- Resources card ----

export class ResourcesCard {
  // ctx: {name, getCurrent() -> {vm, etag}, onSaved(vm, etag)}
  constructor(ctx) {
    this.ctx = ctx;
    this.base = null;
    this.saving = false;
    const changed = () => this.changed();
    this.nameInput = h('input', { class: 'input', type: 'text', testid: 'res-name', maxlength: '255', spellcheck: 'false', autocomplete: 'off', oninput: changed });
    this.nameHint = h('span', { class: 'field-hint', testid: 'res-name-hint' });
    this.vcpus = h('input', { class: 'input input-num', type: 'number', min: '1', step: '1', testid: 'res-vcpus', oninput: changed });
    this.memory = h('input', { class: 'input input-num', type: 'number', min: '16', step: '1', testid: 'res-memory', oninput: changed });
    this.boot = [0, 1, 2].map((i) => h('select', { class: 'input select', testid: `res-boot-${i}`, 'aria-label': `Boot device ${i + 1}`, onchange: changed },
      h('option', { value: '' }, i === 0 ? 'Default (disk)' : '—'),
      BOOT_DEVS.map(([v, label]) => h('option', { value: v }, label))));
    this.pendingEl = h('p', { class: 'field-hint', testid: 'res-next-boot', hidden: true });
    this.status = h('div', { class: 'form-status', testid: 'res-status', 'aria-live': 'polite' });
    this.save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'res-save', disabled: true }, 'Apply');
    this.revert = h('button', { type: 'button', class: 'btn', testid: 'res-revert', disabled: true, onclick: () => this.fill() }, 'Revert');
    const form = h('form', { class: 'form', testid: 'vm-resources-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      field({ label: 'Name', control: this.nameInput, hint: this.nameHint }),
      h('div', { class: 'field-pair' },
        field({ label: 'vCPUs', control: this.vcpus }),
        field({ label: 'Memory (MiB)', control: this.memory })),
      h('div', { class: 'field' }, h('span', { class: 'field-label' }, 'Boot order'), h('div', { class: 'boot-selects' }, this.boot)),
      this.pendingEl,
      h('p', { class: 'field-hint' }, 'vCPUs and memory change at once where the guest allows it (hot-plug, balloon), otherwise at its next boot.'),
      this.status,
      h('div', { class: 'form-actions' }, this.revert, this.save));
    this.el = h('section', { class: 'card card-form', testid: 'detail-resources', 'aria-label': 'Resources' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, icon('memory'), 'Resources')),
      h('div', { class: 'card-body' }, form));
  }

  values() {
    return {
      name: this.nameInput.value.trim(),
      vcpus: Number(this.vcpus.value),
      memory: Number(this.memory.value),
      boot: this.boot.map((s) => s.value).filter(Boolean),
    };
  }

  // What the definition will boot with: pending values when there are any.
  static fromVm(vm) {
    const nb = vm.next_boot || {};
    return {
      name: vm.name,
      vcpus: nb.vcpus ?? vm.vcpus,
      memory: nb.memory ?? vm.memory,
      boot: [...(nb.boot ?? (vm.os && vm.os.boot) ?? [])],
    };
  }

  dirty() {
    if (!this.base) return false;
    const v = this.values();
    return v.name !== this.base.name || v.vcpus !== this.base.vcpus || v.memory !== this.base.memory
      || v.boot.join(',') !== this.base.boot.join(',');
  }

  update(vm, etag, { force }) {
    this.vm = vm;
    const off = !running(vm);
    this.nameInput.disabled = !off || vm.persistent === false;
    this.nameHint.textContent = off ? 'Renaming keeps the UUID, description, tags and grants.' : 'Shut the guest down to rename it.';
    const nb = vm.next_boot;
    this.pendingEl.hidden = !nb;
    if (nb) {
      const parts = [];
      if (nb.vcpus !== undefined) parts.push(`${nb.vcpus} vCPUs`);
      if (nb.memory !== undefined) parts.push(`${nb.memory} MiB`);
      if (nb.boot) parts.push(`boot ${nb.boot.join(' → ') || 'default'}`);
      this.pendingEl.textContent = `At the next boot: ${parts.join(', ')} (the running guest has ${vm.vcpus} vCPUs, ${vm.memory} MiB).`;
    }
    if (!force && this.dirty()) return;
    this.etag = etag;
    this.fill();
  }

  fill() {
    if (!this.vm) return;
    this.base = ResourcesCard.fromVm(this.vm);
    this.nameInput.value = this.base.name;
    this.vcpus.value = String(this.base.vcpus);
    this.memory.value = String(this.base.memory);
    this.boot.forEach((s, i) => { s.value = this.base.boot[i] || ''; });
    this.changed();
  }

  changed() {
    const d = this.dirty();
    this.save.disabled = !d || this.saving;
    this.revert.disabled = !d || this.saving;
  }

  async submit() {
    if (this.saving || !this.dirty()) return;
    const v = this.values();
    const changes = {};
    clear(this.status);
    const fail = (msg) => this.status.append(h('p', { class: 'field-error', testid: 'res-error' }, msg));
    if (v.name !== this.base.name) {
      const problem = nameProblem('storage', v.name);
      if (problem) return fail(problem);
      changes.name = v.name;
    }
    if (v.vcpus !== this.base.vcpus) {
      if (!Number.isInteger(v.vcpus) || v.vcpus < 1) return fail('vCPUs: a whole number from 1.');
      changes.vcpus = v.vcpus;
    }
    if (v.memory !== this.base.memory) {
      if (!Number.isInteger(v.memory) || v.memory < 16) return fail('Memory: a whole number of MiB from 16.');
      changes.memory = v.memory;
    }
    if (v.boot.join(',') !== this.base.boot.join(',')) {
      if (new Set(v.boot).size !== v.boot.length) return fail('Boot order: name each device once.');
      changes.boot = v.boot;
    }
    this.saving = true;
    this.changed();
    try {
      const { data, etag } = await api.patchVm(this.ctx.name, changes, this.etag);
      const how = describeApplied(data.applied);
      this.status.append(h('p', { class: 'muted', testid: 'res-applied' }, how ? `Applied: ${how}.` : 'Saved.'));
      delete data.applied;
      this.saving = false;
      this.ctx.onSaved(data, etag, changes.name);
      toast(how ? `Saved: ${how}` : 'Saved');
    } catch (e) {
      this.saving = false;
      if (e.status === 412) {
        fail('Someone changed this guest meanwhile: the form now shows its current values. Check them and apply again.');
        this.ctx.reload().then(() => this.fill());
      } else {
        fail(e.message);
      }
      this.changed();
    }
  }
}

// ---- Storage ----

// Buttons for a Storage card's head.
export function diskHeadActions(ctx) {
  return h('div', { class: 'row-actions' },
    rowButton({ ic: 'plus', label: 'Attach disk', testid: 'disk-attach', cls: 'btn-primary', onclick: () => attachDisk(ctx) }),
    rowButton({
      ic: 'disk', label: 'Add CD-ROM drive', testid: 'cdrom-add', onclick: () => addCdrom(ctx),
      title: 'Adds an empty CD-ROM drive (while the guest is shut off)',
    }));
}

// The action cell of one disk row.
export function diskActions(ctx, d) {
  const vm = ctx.getCurrent().vm;
  const buttons = [];
  if (d.device === 'cdrom') {
    buttons.push(rowButton({ ic: 'disk', label: d.source ? 'Change' : 'Insert', testid: 'cdrom-insert', onclick: () => insertMedia(ctx, d) }));
    if (d.source) buttons.push(rowButton({ ic: 'back', label: 'Eject', testid: 'cdrom-eject', onclick: () => ejectMedia(ctx, d) }));
  }
  const hotOk = !running(vm) || HOT_BUSES.has(d.bus);
  buttons.push(deleteButton({
    testid: 'disk-detach', disabled: !hotOk, label: `Detach ${d.target}`, word: 'Detach',
    title: hotOk ? `Detach ${d.target}` : `A ${d.bus} device can only be removed while the guest is shut off`,
    onclick: () => detachDisk(ctx, d),
  }));
  return h('div', { class: 'row-actions' }, buttons);
}

async function run(ctx, what, fn) {
  try {
    const r = await fn();
    await ctx.reload();
    return r;
  } catch (e) {
    showError(e, what);
    return null;
  }
}

const isIso = (v) => !!v.iso || v.format === 'iso';

// The running pools the caller may use for `use` ('disks' or 'media'; admins:
// all) and the volumes in them that `filter` keeps, for the pickers.
async function volumeChoices(use, filter) {
  const [{ data }, scope] = await Promise.all([api.pools(), loadScope()]);
  const pools = (data.pools || []).filter((p) => p.state === 'running' && scope.mayUsePool(p.name, use));
  const out = [];
  for (const p of pools) {
    const { data: vd } = await api.volumes(p.name);
    for (const v of vd.volumes || []) if (filter(v)) out.push({ id: `${p.name}/${v.name}`, v });
  }
  return { admin: scope.admin, pools, volumes: out };
}

// A disk is a new volume in a pool granted for new disks, or an existing
// volume there that no other guest uses (vireod refuses the rest).
async function attachDisk(ctx) {
  const { vm } = ctx.getCurrent();
  const unused = (v) => v.type === 'file' && !isIso(v) && !(v.used_by || []).length;
  const choices = await readOrSay(() => volumeChoices('disks', unused), 'Could not list the storage pools');
  if (!choices) return;
  if (!choices.pools.length) {
    toast(choices.admin ? 'No active storage pool: make one on the Storage page first.' : NO_DISK_POOL, { tone: 'warn', ms: 8000 });
    return;
  }
  const mode = h('select', { class: 'input select', testid: 'disk-mode' },
    h('option', { value: 'new' }, 'A new volume'),
    h('option', { value: 'existing', disabled: !choices.volumes.length }, choices.volumes.length ? 'An existing volume' : 'An existing volume (none unused)'));
  const pool = h('select', { class: 'input select', testid: 'disk-pool' }, choices.pools.map((p) => h('option', { value: p.name }, `${p.name} (${fmtBytes(p.available)} free)`)));
  const size = sizeInput({ testid: 'disk-size', value: 10, unit: 'GiB', label: 'Size' });
  const format = h('select', { class: 'input select', testid: 'disk-format' }, ['qcow2', 'raw'].map((f) => h('option', { value: f }, f)));
  const volume = h('select', { class: 'input select', testid: 'disk-volume' }, choices.volumes.map((c) => h('option', { value: c.id }, `${c.id} (${c.v.format || '?'}, ${fmtBytes(c.v.capacity)})`)));
  const isRunning = running(vm);
  const bus = h('select', { class: 'input select', testid: 'disk-bus' }, BUSES.map((b) => h('option', { value: b, disabled: isRunning && !HOT_BUSES.has(b) }, b)));
  const newFields = h('div', {},
    field({ label: 'Pool', control: pool, hint: choices.admin ? null : 'The pools granted to you for new disks.' }),
    field({ label: 'Size', control: size.input, box: size.el }), field({ label: 'Format', control: format }));
  const oldFields = h('div', { hidden: true }, field({ label: 'Volume', control: volume, hint: 'Volumes another guest uses are left out: a guest’s disk is its own.' }));
  mode.addEventListener('change', () => { newFields.hidden = mode.value !== 'new'; oldFields.hidden = mode.value === 'new'; });
  const done = await formDialog({
    title: `Attach a disk to ${vm.name}`,
    intro: isRunning ? 'The guest is running: the disk is hot-plugged and stays attached after a restart.' : 'The disk is added to the guest’s definition.',
    testid: 'attach-disk-dialog',
    submitLabel: 'Attach',
    content: [field({ label: 'Source', control: mode }), newFields, oldFields, field({ label: 'Bus', control: bus, hint: isRunning ? 'A running guest takes only virtio, scsi and usb disks.' : null })],
    submit: async () => {
      const body = { bus: bus.value };
      if (mode.value === 'new') Object.assign(body, { pool: pool.value, size: size.bytes(), format: format.value });
      else {
        if (!volume.value) throw new FormError('Pick a volume.');
        body.volume = volume.value;
      }
      const { data } = await api.attachDisk(ctx.name, body);
      return data;
    },
  });
  if (!done) return;
  toast(`Disk ${done.target} attached${isRunning ? ' (hot-plugged)' : ''}`);
  await ctx.reload();
}

async function addCdrom(ctx) {
  const { vm } = ctx.getCurrent();
  if (running(vm)) {
    toast('Shut the guest down first: CD-ROM drives (IDE/SATA) cannot be hot-plugged.', { tone: 'warn' });
    return;
  }
  const bus = h('select', { class: 'input select', testid: 'cdrom-bus' }, ['sata', 'ide', 'scsi'].map((b) => h('option', { value: b }, b)));
  const done = await formDialog({
    title: `Add a CD-ROM drive to ${vm.name}`,
    testid: 'add-cdrom-dialog',
    submitLabel: 'Add drive',
    content: [field({ label: 'Bus', control: bus, hint: 'IDE suits old machine types (pc); SATA needs a guest with AHCI drivers.' })],
    submit: async () => (await api.attachDisk(ctx.name, { device: 'cdrom', bus: bus.value })).data,
  });
  if (!done) return;
  toast(`CD-ROM drive ${done.target} added`);
  await ctx.reload();
}

// A medium comes from a pool granted for media (admins: any): its ISO
// images, or all its volumes when it holds none.
async function insertMedia(ctx, d) {
  const choices = await readOrSay(() => volumeChoices('media', (v) => v.type === 'file'), 'Could not list the volumes');
  if (!choices) return;
  if (!choices.volumes.length) {
    const why = choices.admin || choices.pools.length ? 'No volumes found: upload or create an ISO volume on the Storage page.' : NO_MEDIA_POOL;
    toast(why, { tone: 'warn', ms: 8000 });
    return;
  }
  const isos = choices.volumes.filter((c) => isIso(c.v));
  const list = isos.length ? isos : choices.volumes;
  const media = h('select', { class: 'input select', testid: 'cdrom-media' }, list.map((c) => h('option', { value: c.id }, c.id)));
  const done = await formDialog({
    title: `Insert a medium into ${d.target}`,
    testid: 'insert-media-dialog',
    submitLabel: 'Insert',
    content: [field({ label: 'ISO volume', control: media, hint: choices.admin ? null : 'From the pools granted to you for media.' })],
    submit: async () => (await api.setMedia(ctx.name, d.target, media.value)).data,
  });
  if (!done) return;
  toast(`${done.volume || media.value} inserted into ${d.target}`);
  await ctx.reload();
}

async function ejectMedia(ctx, d) {
  const r = await run(ctx, `Could not eject ${d.target}`, () => api.setMedia(ctx.name, d.target, null));
  if (r) toast(`${d.target} ejected`);
}

async function detachDisk(ctx, d) {
  const { vm } = ctx.getCurrent();
  // vireod refuses (and explains) a file no pool knows or another guest uses.
  const volume = d.device === 'disk' && d.source;
  const file = volume ? d.source.split('/').pop() : '';
  const { ok, checked } = await confirmDialog({
    title: `Detach ${d.target} from ${vm.name}?`,
    body: [running(vm) ? 'The guest is running: it is asked to release the disk first.' : 'The disk is removed from the guest’s definition.',
      volume ? `Its volume ${file} is kept unless you tick the box.` : 'The file itself is kept.'],
    confirmLabel: 'Detach',
    checkbox: volume ? `Also delete the volume ${file}` : null,
  });
  if (!ok) return;
  const r = await run(ctx, `Could not detach ${d.target}`, () => api.detachDisk(ctx.name, d.target, { volume: checked }));
  if (r) toast(`${d.target} detached${checked ? ' and its volume deleted' : ''}`);
}

// ---- NICs ----

export function nicHeadActions(ctx) {
  return rowButton({ ic: 'plus', label: 'Attach NIC', testid: 'nic-attach', cls: 'btn-primary', onclick: () => attachNic(ctx) });
}

export function nicActions(ctx, n) {
  const changeable = n.type === 'network' || n.type === 'bridge';
  const down = n.link === 'down';
  return h('div', { class: 'row-actions' },
    changeable ? h('button', {
      type: 'button', class: 'btn btn-sm', testid: 'nic-link', 'aria-pressed': String(!down),
      title: down ? 'Plug the cable back in' : 'Unplug the cable (the guest sees the link go down)',
      onclick: () => setLink(ctx, n, down ? 'up' : 'down'),
    }, icon(down ? 'play' : 'pause'), h('span', { class: 'btn-label' }, down ? 'Link up' : 'Link down')) : null,
    n.type === 'network' ? rowButton({ ic: 'net', label: 'Network…', testid: 'nic-move', onclick: () => moveNic(ctx, n) }) : null,
    deleteButton({ testid: 'nic-detach', label: `Detach ${n.mac}`, word: 'Detach', onclick: () => detachNic(ctx, n) }));
}

// The networks the caller may use (vireod lists only granted ones to non-admins).
async function networkOptions() {
  const { data } = await api.networks();
  return (data.networks || []).map((n) => n.name);
}

// A NIC goes on a network or a host bridge: the granted ones for
// non-admins (a list), any bridge for admins (typed).
async function attachNic(ctx) {
  const { vm } = ctx.getCurrent();
  const got = await readOrSay(() => Promise.all([networkOptions(), loadScope()]), 'Could not list the networks');
  if (!got) return;
  const [nets, scope] = got;
  const bridges = scope.bridges; // null: any (admins)
  if (!nets.length && bridges && !bridges.length) {
    toast('No network or host bridge is granted to you: ask an admin to grant you one.', { tone: 'warn', ms: 8000 });
    return;
  }
  const kind = h('select', { class: 'input select', testid: 'nic-kind' },
    h('option', { value: 'network', disabled: !nets.length }, nets.length ? 'Virtual network' : 'Virtual network (none granted to you)'),
    h('option', { value: 'bridge', disabled: !!bridges && !bridges.length, selected: !nets.length }, bridges && !bridges.length ? 'Host bridge (none granted to you)' : 'Host bridge'));
  const network = h('select', { class: 'input select', testid: 'nic-network' }, nets.map((n) => h('option', { value: n }, n)));
  const bridge = bridges
    ? h('select', { class: 'input select', testid: 'nic-bridge' }, bridges.map((b) => h('option', { value: b }, b)))
    : h('input', { class: 'input', type: 'text', testid: 'nic-bridge', placeholder: 'e.g. br0', spellcheck: 'false' });
  const model = h('select', { class: 'input select', testid: 'nic-model' }, MODELS.map((m) => h('option', { value: m }, m)));
  const mac = h('input', { class: 'input mono', type: 'text', testid: 'nic-mac', placeholder: 'automatic (52:54:00:…)', spellcheck: 'false' });
  const netField = field({ label: 'Network', control: network });
  const brField = field({ label: 'Bridge', control: bridge, hint: bridges ? 'The host bridges granted to you.' : null });
  const sync = () => { netField.hidden = kind.value !== 'network'; brField.hidden = kind.value !== 'bridge'; };
  kind.addEventListener('change', sync);
  sync();
  const done = await formDialog({
    title: `Attach a network interface to ${vm.name}`,
    intro: running(vm) ? 'The guest is running: the NIC is hot-plugged and stays after a restart.' : null,
    testid: 'attach-nic-dialog',
    submitLabel: 'Attach',
    content: [field({ label: 'Connect to', control: kind }), netField, brField, field({ label: 'Model', control: model }), field({ label: 'MAC address', control: mac, hint: 'Leave empty for a free random one.' })],
    submit: async () => {
      const body = { model: model.value };
      if (kind.value === 'network') {
        if (!network.value) throw new FormError('There is no network: make one on the Networks page.');
        body.network = network.value;
      } else {
        if (!bridge.value.trim()) throw new FormError('Name the host bridge.');
        body.bridge = bridge.value.trim();
      }
      if (mac.value.trim()) {
        if (!MAC_RE.test(mac.value.trim())) throw new FormError('A MAC address looks like 52:54:00:12:34:56.');
        body.mac = mac.value.trim();
      }
      return (await api.attachNic(ctx.name, body)).data;
    },
  });
  if (!done) return;
  toast(`NIC ${done.mac} attached`);
  await ctx.reload();
}

async function setLink(ctx, n, link) {
  const r = await run(ctx, `Could not change the link of ${n.mac}`, () => api.patchNic(ctx.name, n.mac, { link }));
  if (r) toast(`${n.mac}: link ${link}`);
}

async function moveNic(ctx, n) {
  const nets = await readOrSay(networkOptions, 'Could not list the networks');
  if (!nets) return;
  const network = h('select', { class: 'input select', testid: 'nic-move-network' }, nets.map((x) => h('option', { value: x, selected: x === n.source }, x)));
  const done = await formDialog({
    title: `Move ${n.mac} to another network`,
    testid: 'move-nic-dialog',
    submitLabel: 'Move',
    content: [field({ label: 'Network', control: network })],
    submit: async () => (await api.patchNic(ctx.name, n.mac, { network: network.value })).data,
  });
  if (!done) return;
  toast(`${n.mac} now on ${done.source}`);
  await ctx.reload();
}

async function detachNic(ctx, n) {
  const { vm } = ctx.getCurrent();
  const { ok } = await confirmDialog({
    title: `Detach ${n.mac} from ${vm.name}?`,
    body: running(vm) ? 'The guest is running: the interface is unplugged now and removed from its definition.' : 'The interface is removed from the guest’s definition.',
    confirmLabel: 'Detach',
  });
  if (!ok) return;
  const r = await run(ctx, `Could not detach ${n.mac}`, () => api.detachNic(ctx.name, n.mac));
  if (r) toast(`${n.mac} detached`);
}
