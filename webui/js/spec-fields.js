// The parts of a VM spec as form fields, shared by the Templates page (all
// in one dialog) and the create-VM wizard (one part per step): the OS picked
// from the catalogue, vCPUs and memory, one disk, a CD-ROM, one network,
// and specForm joining them. Each part is {box, controls, value(), set(spec)};
// value() throws FormError (naming the control at fault) on what the form
// can tell is wrong, and vireod's own 400 names the field for the rest. The choices are what the caller may use
// (scope.js): pools granted for new disks, ISO images of pools granted for
// media, granted networks and bridges; admins get everything.

import { api } from './api.js';
import { h, icon, clear, uid, fmtMiB, fmtBytes } from './dom.js';
import { toast } from './ui.js';
import { field, textInput, FormError } from './forms.js';
import { loadScope, NO_DISK_POOL, NO_MEDIA_POOL } from './scope.js';

const GIB = 1024 ** 3;

// The catalogue is large (hundreds of OSes) and never changes while the
// page lives: load it once.
let osCache = null;
export function loadOsList() {
  if (!osCache) osCache = api.osList().then(({ data }) => data.os || []).catch((e) => { osCache = null; throw e; });
  return osCache;
}

export const isIso = (v) => !!v.iso || v.format === 'iso';

// What the disk, CD-ROM and network choices offer: the running pools the
// caller sees (vireod lists only granted ones to non-admins) and their
// volumes, those granted for new disks (diskPools) and for media
// (mediaPools), the networks, and the host bridges granted (null for
// admins, who may type any). `anyPool` says whether the caller sees a pool
// at all, running or not (none: a host's first run, or nothing granted).
export async function loadStorageAndNetworks() {
  const [{ data: p }, { data: n }, scope] = await Promise.all([api.pools(), api.networks(), loadScope()]);
  const pools = (p.pools || []).filter((x) => x.state === 'running');
  const volumes = {};
  await Promise.all(pools.map(async (pool) => {
    try { volumes[pool.name] = (await api.volumes(pool.name)).data.volumes || []; } catch { volumes[pool.name] = []; }
  }));
  return {
    admin: scope.admin,
    anyPool: (p.pools || []).length > 0,
    pools,
    diskPools: pools.filter((x) => scope.mayUsePool(x.name, 'disks')),
    mediaPools: pools.filter((x) => scope.mayUsePool(x.name, 'media')),
    volumes,
    networks: n.networks || [],
    bridges: scope.bridges,
  };
}

// OS: a search box over the catalogue and a short list of matches to pick
// from. `onPick(os or null)` runs when the choice changes.
export function osPart({ onPick = null } = {}) {
  let all = [];
  let chosen = null;
  const search = h('input', {
    class: 'input', type: 'search', testid: 'os-search', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Search, e.g. debian, fedora, windows', 'aria-label': 'Search operating systems',
  });
  const results = h('div', { class: 'os-results', role: 'radiogroup', 'aria-label': 'Operating systems', testid: 'os-results' });
  const picked = h('p', { class: 'field-hint', testid: 'os-picked', 'aria-live': 'polite' });
  const box = h('div', { class: 'spec-part' },
    field({ label: 'Operating system', control: search, hint: 'From libosinfo; it sets the recommended resources and whether the guest gets virtio devices.' }),
    results, picked);
  const name = 'os-' + uid('r');

  function option(os) {
    const id = uid('os');
    const input = h('input', {
      type: 'radio', name, id, value: os ? os.id : '', checked: (chosen ? chosen.id : '') === (os ? os.id : ''),
      onchange: () => pick(os),
    });
    const sub = os ? [os.vendor, os.release_date ? `released ${os.release_date}` : null].filter(Boolean).join(' · ') : 'No OS defaults: give every value yourself';
    return h('label', { class: 'os-option', for: id, testid: 'os-option', dataset: { os: os ? os.id : '' } },
      input, h('span', { class: 'os-option-text' }, h('strong', {}, os ? os.name || os.id : 'Generic'),
        h('span', { class: 'cell-sub' }, os ? `${os.id}${sub ? ' · ' + sub : ''}` : sub)));
  }

  function render() {
    const q = search.value.trim().toLowerCase();
    const hits = (q ? all.filter((o) => [o.id, o.name, o.vendor, o.distro].some((v) => v && v.toLowerCase().includes(q))) : all).slice(0, 12);
    clear(results).append(option(null), ...hits.map(option));
    if (chosen && !hits.some((o) => o.id === chosen.id)) results.append(option(chosen));
    picked.textContent = chosen ? `Chosen: ${chosen.name || chosen.id}` : 'No operating system chosen.';
  }

  function pick(os) {
    chosen = os;
    render();
    if (onPick) onPick(os);
  }

  search.addEventListener('input', render);
  clear(results).append(h('span', { class: 'muted' }, 'Loading the OS catalogue…'));
  const ready = loadOsList().then((list) => { all = list; render(); }).catch((e) => {
    clear(results).append(h('span', { class: 'form-alert' }, icon('alert'), `The OS catalogue is unavailable: ${e.message}`));
  });
  return {
    box, ready,
    controls: { search },
    chosen: () => chosen,
    value: () => (chosen ? { os: chosen.id } : {}),
    async set(spec) {
      await ready;
      chosen = spec.os ? all.find((o) => o.id === spec.os) || { id: spec.os, name: spec.os } : null;
      render();
    },
  };
}

// vCPUs and memory (MiB), with the OS's recommendation as a hint. With
// the host's limits (setLimits(GET /api/host)), more than the host has is
// refused before anything is sent.
export function resourcesPart() {
  let limits = null;
  const vcpus = h('input', { class: 'input', type: 'number', min: '1', max: '4096', step: '1', testid: 'spec-vcpus', required: true, value: '1' });
  const memory = h('input', { class: 'input', type: 'number', min: '16', step: '16', testid: 'spec-memory', required: true, value: '1024' });
  const hint = h('span', { class: 'field-hint', testid: 'spec-recommended' });
  const box = h('div', { class: 'spec-part spec-grid' },
    field({ label: 'vCPUs', control: vcpus }),
    field({ label: 'Memory (MiB)', control: memory, hint }));
  return {
    box,
    controls: { vcpus, memory },
    setLimits(host) {
      limits = host && host.cpu && host.memory ? { cpus: host.cpu.cpus, memory: host.memory.total } : null;
      if (limits) {
        vcpus.max = String(limits.cpus);
        memory.max = String(limits.memory);
      }
    },
    recommend(os, { fill = true } = {}) {
      const r = os && os.recommended;
      hint.textContent = r ? `Recommended for ${os.name || os.id}: ${r.vcpus || 1} vCPU, ${fmtMiB(r.memory)}.` : '';
      if (fill && r) {
        if (r.vcpus) vcpus.value = String(r.vcpus);
        if (r.memory) memory.value = String(r.memory);
      }
    },
    value() {
      const v = Number(vcpus.value);
      const m = Number(memory.value);
      if (!Number.isInteger(v) || v < 1) throw new FormError('vCPUs must be a whole number of at least 1.', vcpus);
      if (limits && v > limits.cpus) throw new FormError(`This host has ${limits.cpus} CPU${limits.cpus === 1 ? '' : 's'}: give the guest at most ${limits.cpus} vCPU${limits.cpus === 1 ? '' : 's'}.`, vcpus);
      if (!Number.isInteger(m) || m < 16) throw new FormError('Memory must be a whole number of MiB, at least 16.', memory);
      if (limits && m > limits.memory) throw new FormError(`This host has ${fmtMiB(limits.memory)} of memory: give the guest at most ${limits.memory} MiB.`, memory);
      return { vcpus: v, memory: m };
    },
    set(spec) {
      if (spec.vcpus) vcpus.value = String(spec.vcpus);
      if (spec.memory) memory.value = String(spec.memory);
    },
  };
}

const DISK_MODES = {
  new: 'A new empty volume',
  clone: 'A copy of a volume (e.g. a base image)',
  existing: 'An existing volume, as it is',
  none: 'No disk',
};

// One disk: new (pool, size, format), a copy of a volume, an existing volume, or none.
// Without a pool granted for new disks, neither a new disk nor a copy can be
// made: those choices are off, and the part says whom to ask. A choice with
// no volume to pick is off too.
export function diskPart(inventory) {
  const d = diskControls(inventory);
  const modeName = uid('disk-mode');
  const canMake = inventory.diskPools.length > 0;
  const offered = {
    new: canMake,
    clone: canMake && sourceChoices({ mode: 'clone' }, inventory).length > 0,
    existing: sourceChoices({ mode: 'existing' }, inventory).length > 0,
    none: true,
  };
  const radios = Object.entries(DISK_MODES).map(([k, label]) => {
    const id = uid('dm');
    const off = !offered[k];
    return h('label', { class: `radio${off ? ' is-disabled' : ''}`, for: id, testid: `disk-mode-${k}` },
      h('input', { type: 'radio', name: modeName, id, value: k, checked: k === d.mode, disabled: off, onchange: () => { d.mode = k; sync(); } }),
      h('span', {}, label));
  });
  const sync = () => {
    d.newBox.hidden = d.mode !== 'new';
    d.srcBox.hidden = d.mode !== 'clone' && d.mode !== 'existing';
    d.targetBox.hidden = d.mode !== 'clone';
    fillSources(d, inventory);
  };
  const notice = canMake ? '' : inventory.admin ? 'There is no active storage pool: make one on the Storage page.' : NO_DISK_POOL;
  const empty = h('p', { class: notice ? 'form-note' : 'field-hint', testid: 'disk-no-pools', hidden: !notice }, notice ? icon('info') : null, notice);
  const box = h('div', { class: 'spec-part' },
    h('fieldset', { class: 'radios' }, h('legend', {}, 'Disk'), radios), empty, d.newBox, d.srcBox, d.targetBox);
  sync();
  return {
    box,
    controls: { pool: d.pool, size: d.size, source: d.source },
    // The control an error about this disk belongs to: the pool of a new
    // disk, else the volume chosen.
    mainControl: () => (d.mode === 'new' ? d.pool : d.source),
    recommend(os) {
      const r = os && os.recommended && os.recommended.disk;
      if (r) d.size.value = String(Math.max(1, Math.ceil(r / GIB)));
    },
    value: () => diskValue(d, inventory),
    set(spec) {
      setDisk(d, (spec.disks || [])[0], inventory);
      for (const r of box.querySelectorAll(`input[name="${modeName}"]`)) r.checked = r.value === d.mode;
      sync();
      if (d.wanted) d.source.value = d.wanted;
    },
  };
}

// The part's state: the chosen mode and every control of every mode. A
// copy's source may be any volume the caller sees (vireod checks it may be
// read); an existing volume as it is must be in a pool granted for new
// disks (admins: any) and used by no other guest.
function diskControls(inventory) {
  const poolOptions = () => inventory.diskPools.map((p) => h('option', { value: p.name }, `${p.name} (${fmtBytes(p.available)} free)`));
  const d = {
    mode: inventory.diskPools.length ? 'new' : 'none',
    wanted: null,
    pool: h('select', { class: 'input select', testid: 'disk-pool' }, poolOptions()),
    size: h('input', { class: 'input', type: 'number', min: '1', step: '1', testid: 'disk-size', value: '20' }),
    format: h('select', { class: 'input select', testid: 'disk-format' }, ['qcow2', 'raw'].map((f) => h('option', { value: f }, f))),
    source: h('select', { class: 'input select', testid: 'disk-source' }),
    // Admins may copy into the source's own pool; others into a pool granted for new disks.
    targetPool: h('select', { class: 'input select', testid: 'disk-target-pool' },
      inventory.admin ? h('option', { value: '' }, 'The same pool as the source') : null, poolOptions()),
  };
  d.newBox = h('div', { class: 'spec-grid' },
    field({ label: 'Pool', control: d.pool, hint: inventory.admin ? null : 'The pools granted to you for new disks.' }),
    field({ label: 'Size (GiB)', control: d.size }),
    field({ label: 'Format', control: d.format, hint: 'qcow2 grows as it fills; raw is a plain file.' }));
  d.srcHint = h('span', { class: 'field-hint' });
  d.srcBox = field({ label: 'Volume', control: d.source, hint: d.srcHint });
  d.targetBox = field({ label: 'Copy into', control: d.targetPool });
  return d;
}

// The volumes the source list offers in mode `d.mode`.
function sourceChoices(d, inventory) {
  const forDisk = d.mode === 'existing';
  const pools = forDisk ? (inventory.admin ? inventory.pools : inventory.diskPools) : inventory.pools;
  return pools.flatMap((p) => (inventory.volumes[p.name] || [])
    .filter((v) => v.type === 'file' && !isIso(v) && (!forDisk || !(v.used_by || []).length))
    .map((v) => ({ id: `${p.name}/${v.name}`, label: `${p.name} / ${v.name} (${fmtBytes(v.capacity)})` })));
}

function fillSources(d, inventory) {
  if (d.mode !== 'clone' && d.mode !== 'existing') return;
  const keep = d.source.value;
  const list = sourceChoices(d, inventory);
  clear(d.source).append(...(list.length ? list.map((c) => h('option', { value: c.id }, c.label))
    : [h('option', { value: '' }, 'No volume to choose')]));
  if (list.some((c) => c.id === keep)) d.source.value = keep;
  d.srcHint.textContent = d.mode === 'existing'
    ? `The guest writes to it; volumes another guest uses are left out${inventory.admin ? '' : ', and only pools granted to you for new disks are listed'}.`
    : 'The new disk starts as a full copy of it.';
}

function diskValue(d, inventory) {
  if (d.mode === 'none') return { disks: [] };
  if ((d.mode === 'new' || d.mode === 'clone') && !inventory.diskPools.length) {
    throw new FormError(inventory.admin ? 'There is no active storage pool for a new disk.' : NO_DISK_POOL);
  }
  if (d.mode === 'new') {
    const gib = Number(d.size.value);
    if (!d.pool.value) throw new FormError('Choose a storage pool for the new disk.', d.pool);
    if (!Number.isInteger(gib) || gib < 1) throw new FormError('The disk size must be a whole number of GiB, at least 1.', d.size);
    return { disks: [{ pool: d.pool.value, size: gib * GIB, format: d.format.value }] };
  }
  if (!d.source.value) throw new FormError('Choose a volume.', d.source);
  if (d.mode === 'existing') return { disks: [{ volume: d.source.value }] };
  const disk = { clone: d.source.value };
  if (d.targetPool.value) disk.pool = d.targetPool.value;
  return { disks: [disk] };
}

// Shows `disk` (a spec's first disk, or none) in the controls; the source
// is chosen once its list is filled (d.wanted).
function setDisk(d, disk, inventory) {
  d.mode = !disk ? 'none' : disk.volume ? 'existing' : disk.clone ? 'clone' : 'new';
  d.wanted = disk ? disk.volume || disk.clone || null : null;
  if (!disk) return;
  if (disk.pool) { d.pool.value = disk.pool; d.targetPool.value = disk.pool; }
  if (disk.size) d.size.value = String(Math.max(1, Math.round(disk.size / GIB)));
  if (disk.format) d.format.value = disk.format;
  if (d.wanted && !sourceChoices(d, inventory).some((c) => c.id === d.wanted)) d.wanted = null;
}

// A CD-ROM drive with an ISO image: from the pools granted for media
// (admins: any pool), or none.
export function cdromPart(inventory) {
  const isos = inventory.mediaPools.flatMap((p) => (inventory.volumes[p.name] || []).filter(isIso).map((v) => `${p.name}/${v.name}`));
  const select = h('select', { class: 'input select', testid: 'spec-cdrom' },
    h('option', { value: '' }, 'No CD-ROM'), isos.map((id) => h('option', { value: id }, id)));
  let hint = 'An installer or live image; the guest boots from it first, then from its disk.';
  if (!isos.length) {
    if (inventory.admin) hint = 'There is no ISO image in an active pool: upload one on the Storage page.';
    else hint = inventory.mediaPools.length ? 'The pools granted to you for media hold no ISO image.' : NO_MEDIA_POOL;
  }
  const box = h('div', { class: 'spec-part' }, field({ label: 'CD-ROM', control: select, hint: h('span', { class: 'field-hint', testid: 'spec-cdrom-hint' }, hint) }));
  return {
    box,
    value: () => (select.value ? { cdrom: select.value } : {}),
    set(spec) {
      const want = spec.cdrom || '';
      // A template may name an image this list lacks: show it; vireod says whether it may be used.
      if (want && !isos.includes(want)) select.append(h('option', { value: want }, want));
      select.value = want;
    },
  };
}

// One NIC, on a virtual network or a host bridge, or none. Non-admins pick
// from the networks (vireod lists only granted ones) and bridges granted to
// them; admins may type any host bridge. With `preferActive` (the wizard)
// the first active network is chosen to start with; with `offerStart` an
// inactive network chosen is offered to be started (admins; others are told
// to ask an admin), since a guest on it cannot start.
export function networkPart(inventory, { preferActive = false, offerStart = false } = {}) {
  const bridges = inventory.bridges || [];
  const label = (n) => `${n.name} (${n.mode || 'network'}${n.active ? '' : ', inactive'})`;
  const net = h('select', { class: 'input select', testid: 'spec-network' },
    h('option', { value: '' }, 'No network'),
    inventory.networks.length ? h('optgroup', { label: 'Virtual networks' },
      inventory.networks.map((n) => h('option', { value: n.name }, label(n)))) : null,
    bridges.length ? h('optgroup', { label: 'Host bridges' }, bridges.map((b) => h('option', { value: `bridge:${b}` }, `${b} (host bridge)`))) : null,
    inventory.admin ? h('optgroup', { label: 'Host bridge' }, h('option', { value: 'bridge:' }, 'A host bridge, by name…')) : null);
  const bridgeName = textInput({ testid: 'spec-bridge', placeholder: 'e.g. br0', maxlength: '15' });
  const bridgeField = field({ label: 'Host bridge', control: bridgeName, hint: 'The guest joins the host’s own network through this bridge.' });
  const none = !inventory.admin && !inventory.networks.length && !bridges.length;
  const hint = none ? 'No network or host bridge is granted to you: ask an admin to grant you one.' : 'The guest gets one virtual network card on it.';
  const inactive = h('div', { class: 'form-note', testid: 'spec-network-inactive', hidden: true });
  const chosenNetwork = () => inventory.networks.find((n) => n.name === net.value) || null;
  const sync = () => {
    bridgeField.hidden = net.value !== 'bridge:';
    const n = chosenNetwork();
    inactive.hidden = !offerStart || !n || n.active;
    if (!inactive.hidden) clear(inactive).append(icon('info'), inactiveNote(n));
  };
  // An inactive network: the guest would not start on it.
  const inactiveNote = (n) => {
    const text = h('span', {}, `The network “${n.name}” is not active: a guest on it cannot start.`);
    if (!inventory.admin) return h('span', {}, text, ' Ask an admin to start it, or choose another.');
    const start = h('button', {
      type: 'button', class: 'btn btn-sm', testid: 'spec-network-start',
      onclick: async () => {
        start.disabled = true;
        try {
          await api.networkAction(n.name, 'start');
          n.active = true;
          const opt = [...net.options].find((o) => o.value === n.name);
          if (opt) opt.textContent = label(n);
          toast(`Network ${n.name} started`);
          sync();
        } catch (e) {
          start.disabled = false;
          clear(inactive).append(icon('alert'), h('span', { testid: 'spec-network-start-error' }, `Could not start ${n.name}: ${e.message}`));
        }
      },
    }, icon('play'), `Start ${n.name}`);
    return h('span', { class: 'note-with-action' }, text, start);
  };
  net.addEventListener('change', sync);
  const firstActive = preferActive ? inventory.networks.find((n) => n.active) : null;
  if (firstActive) net.value = firstActive.name;
  const box = h('div', { class: 'spec-part' }, field({ label: 'Network', control: net, hint: h('span', { class: 'field-hint', testid: 'spec-network-hint' }, hint) }), inactive, bridgeField);
  sync();
  return {
    box,
    controls: { net, bridge: bridgeName },
    value() {
      if (!net.value) return { nics: [] };
      if (!net.value.startsWith('bridge:')) return { nics: [{ network: net.value }] };
      const name = net.value.slice('bridge:'.length) || bridgeName.value.trim();
      if (!name) throw new FormError('Name the host bridge, e.g. br0.', bridgeName);
      return { nics: [{ bridge: name }] };
    },
    set(spec) {
      const n = (spec.nics || [])[0];
      let v = '';
      if (n && n.network) v = n.network;
      else if (n && n.bridge) {
        v = bridges.includes(n.bridge) ? `bridge:${n.bridge}` : inventory.admin ? 'bridge:' : `bridge:${n.bridge}`;
        if (v === 'bridge:') bridgeName.value = n.bridge;
      }
      if (v && ![...net.options].some((o) => o.value === v)) net.append(h('option', { value: v }, n.network || `${n.bridge} (host bridge)`));
      net.value = v;
      sync();
    },
  };
}

// The parts as one form, as the Templates dialog and the create-VM wizard
// use them: picking an OS fills in its recommended resources and disk size.
// `network` holds networkPart's options.
// value() is the spec; set(spec) shows one and resolves once the OS is
// shown too (that waits for the catalogue).
export function specForm(inventory, { network = {} } = {}) {
  const res = resourcesPart();
  const disk = diskPart(inventory);
  const cdrom = cdromPart(inventory);
  const net = networkPart(inventory, network);
  const os = osPart({ onPick: (o) => { res.recommend(o); disk.recommend(o); } });
  return {
    os, res, disk, cdrom, net,
    value: () => ({ ...os.value(), ...res.value(), ...disk.value(), ...cdrom.value(), ...net.value() }),
    set(spec) {
      const osShown = os.set(spec);
      res.set(spec);
      disk.set(spec);
      cdrom.set(spec);
      net.set(spec);
      return osShown;
    },
  };
}

// One line about a spec, for lists and the wizard's summary.
export function describeSpec(spec) {
  const parts = [];
  if (spec.os) parts.push(spec.os);
  if (spec.vcpus) parts.push(`${spec.vcpus} vCPU`);
  if (spec.memory) parts.push(fmtMiB(spec.memory));
  for (const d of spec.disks || []) {
    if (d.volume) parts.push(`disk ${d.volume}`);
    else if (d.clone) parts.push(`copy of ${d.clone}`);
    else if (d.backing) parts.push(`overlay on ${d.backing}`);
    else parts.push(`${fmtBytes(d.size)} ${d.format || 'qcow2'} in ${d.pool}`);
  }
  if (spec.cdrom) parts.push(`CD-ROM ${spec.cdrom}`);
  for (const n of spec.nics || []) parts.push(n.network ? `on ${n.network}` : `on host bridge ${n.bridge}`);
  return parts.join(' · ') || 'empty spec';
}
