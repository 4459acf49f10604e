// The parts of a VM spec as form fields, shared by the Templates page (all
// in one dialog) and the create-VM wizard (one part per step): the OS picked
// from the catalogue, vCPUs and memory, one disk, one network, and specForm
// joining the four. Each part is {box, value(), set(spec)}; value() throws
// FormError on what the form can tell is wrong, and vireod's own 400 names
// the field for the rest.

import { api } from './api.js';
import { h, icon, clear, uid, fmtMiB, fmtBytes } from './dom.js';
import { field, FormError } from './forms.js';

const GIB = 1024 ** 3;

// The catalogue is large (hundreds of OSes) and never changes while the
// page lives: load it once.
let osCache = null;
export function loadOsList() {
  if (!osCache) osCache = api.osList().then(({ data }) => data.os || []).catch((e) => { osCache = null; throw e; });
  return osCache;
}

// Pools, their volumes and networks, for the disk and network choices.
export async function loadStorageAndNetworks() {
  const [{ data: p }, { data: n }] = await Promise.all([api.pools(), api.networks()]);
  const pools = (p.pools || []).filter((x) => x.state === 'running');
  const volumes = {};
  await Promise.all(pools.map(async (pool) => {
    try { volumes[pool.name] = (await api.volumes(pool.name)).data.volumes || []; } catch { volumes[pool.name] = []; }
  }));
  return { pools, volumes, networks: n.networks || [] };
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
    chosen: () => chosen,
    value: () => (chosen ? { os: chosen.id } : {}),
    async set(spec) {
      await ready;
      chosen = spec.os ? all.find((o) => o.id === spec.os) || { id: spec.os, name: spec.os } : null;
      render();
    },
  };
}

// vCPUs and memory (MiB), with the OS's recommendation as a hint.
export function resourcesPart() {
  const vcpus = h('input', { class: 'input', type: 'number', min: '1', max: '4096', step: '1', testid: 'spec-vcpus', required: true, value: '1' });
  const memory = h('input', { class: 'input', type: 'number', min: '16', step: '16', testid: 'spec-memory', required: true, value: '1024' });
  const hint = h('span', { class: 'field-hint', testid: 'spec-recommended' });
  const box = h('div', { class: 'spec-part spec-grid' },
    field({ label: 'vCPUs', control: vcpus }),
    field({ label: 'Memory (MiB)', control: memory, hint }));
  return {
    box,
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
      if (!Number.isInteger(v) || v < 1) throw new FormError('vCPUs must be a whole number of at least 1.');
      if (!Number.isInteger(m) || m < 16) throw new FormError('Memory must be a whole number of MiB, at least 16.');
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
export function diskPart(inventory) {
  const d = diskControls(inventory);
  const sync = () => {
    d.newBox.hidden = d.mode !== 'new';
    d.srcBox.hidden = d.mode !== 'clone' && d.mode !== 'existing';
    d.targetBox.hidden = d.mode !== 'clone';
  };
  const modeName = uid('disk-mode');
  const radios = Object.entries(DISK_MODES).map(([k, label]) => {
    const id = uid('dm');
    return h('label', { class: 'radio', for: id, testid: `disk-mode-${k}` },
      h('input', { type: 'radio', name: modeName, id, value: k, checked: k === d.mode, onchange: () => { d.mode = k; sync(); } }),
      h('span', {}, label));
  });
  const empty = h('p', { class: 'field-hint', testid: 'disk-no-pools' }, inventory.pools.length ? '' : 'There is no active storage pool: an admin makes one on the Storage page.');
  const box = h('div', { class: 'spec-part' },
    h('fieldset', { class: 'radios' }, h('legend', {}, 'Disk'), radios), d.newBox, d.srcBox, d.targetBox, empty);
  sync();
  return {
    box,
    recommend(os) {
      const r = os && os.recommended && os.recommended.disk;
      if (r) d.size.value = String(Math.max(1, Math.ceil(r / GIB)));
    },
    value: () => diskValue(d),
    set(spec) {
      setDisk(d, (spec.disks || [])[0]);
      for (const r of box.querySelectorAll(`input[name="${modeName}"]`)) r.checked = r.value === d.mode;
      sync();
    },
  };
}

// The disk part's state: the chosen mode and every control of every mode.
function diskControls(inventory) {
  const poolOptions = () => inventory.pools.map((p) => h('option', { value: p.name }, `${p.name} (${fmtBytes(p.available)} free)`));
  const volumeOptions = () => inventory.pools.flatMap((p) => (inventory.volumes[p.name] || [])
    .filter((v) => v.type === 'file')
    .map((v) => h('option', { value: `${p.name}/${v.name}` }, `${p.name} / ${v.name} (${fmtBytes(v.capacity)})`)));
  const d = {
    mode: 'new',
    pool: h('select', { class: 'input select', testid: 'disk-pool' }, poolOptions()),
    size: h('input', { class: 'input', type: 'number', min: '1', step: '1', testid: 'disk-size', value: '20' }),
    format: h('select', { class: 'input select', testid: 'disk-format' }, ['qcow2', 'raw'].map((f) => h('option', { value: f }, f))),
    source: h('select', { class: 'input select', testid: 'disk-source' }, volumeOptions()),
    targetPool: h('select', { class: 'input select', testid: 'disk-target-pool' },
      h('option', { value: '' }, 'The same pool as the source'), poolOptions()),
  };
  d.newBox = h('div', { class: 'spec-grid' },
    field({ label: 'Pool', control: d.pool }),
    field({ label: 'Size (GiB)', control: d.size }),
    field({ label: 'Format', control: d.format, hint: 'qcow2 grows as it fills; raw is a plain file.' }));
  d.srcBox = field({ label: 'Volume', control: d.source });
  d.targetBox = field({ label: 'Copy into', control: d.targetPool });
  return d;
}

function diskValue(d) {
  if (d.mode === 'none') return { disks: [] };
  if (d.mode === 'new') {
    const gib = Number(d.size.value);
    if (!d.pool.value) throw new FormError('Choose a storage pool for the new disk.');
    if (!Number.isInteger(gib) || gib < 1) throw new FormError('The disk size must be a whole number of GiB, at least 1.');
    return { disks: [{ pool: d.pool.value, size: gib * GIB, format: d.format.value }] };
  }
  if (!d.source.value) throw new FormError('Choose a volume.');
  if (d.mode === 'existing') return { disks: [{ volume: d.source.value }] };
  const disk = { clone: d.source.value };
  if (d.targetPool.value) disk.pool = d.targetPool.value;
  return { disks: [disk] };
}

// Shows `disk` (a spec's first disk, or none) in the controls.
function setDisk(d, disk) {
  d.mode = !disk ? 'none' : disk.volume ? 'existing' : disk.clone ? 'clone' : 'new';
  if (!disk) return;
  if (disk.pool) { d.pool.value = disk.pool; d.targetPool.value = disk.pool; }
  if (disk.size) d.size.value = String(Math.max(1, Math.round(disk.size / GIB)));
  if (disk.format) d.format.value = disk.format;
  if (disk.volume || disk.clone) d.source.value = disk.volume || disk.clone;
}

// One NIC on a libvirt network, or none.
export function networkPart(inventory) {
  const net = h('select', { class: 'input select', testid: 'spec-network' },
    h('option', { value: '' }, 'No network'),
    inventory.networks.map((n) => h('option', { value: n.name }, `${n.name} (${n.mode || 'network'}${n.active ? '' : ', inactive'})`)));
  const box = h('div', { class: 'spec-part' }, field({ label: 'Network', control: net, hint: 'The guest gets one virtual network card on it.' }));
  return {
    box,
    value: () => ({ nics: net.value ? [{ network: net.value }] : [] }),
    set(spec) {
      const n = (spec.nics || [])[0];
      net.value = n && n.network ? n.network : '';
    },
  };
}

// The four parts as one form, as the Templates dialog and the create-VM
// wizard use them: picking an OS fills in its recommended resources and disk
// size. value() is the spec; set(spec) shows one and resolves once the OS is
// shown too (that waits for the catalogue).
export function specForm(inventory) {
  const res = resourcesPart();
  const disk = diskPart(inventory);
  const net = networkPart(inventory);
  const os = osPart({ onPick: (o) => { res.recommend(o); disk.recommend(o); } });
  return {
    os, res, disk, net,
    value: () => ({ ...os.value(), ...res.value(), ...disk.value(), ...net.value() }),
    set(spec) {
      const osShown = os.set(spec);
      res.set(spec);
      disk.set(spec);
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
  for (const n of spec.nics || []) parts.push(`on ${n.network || n.bridge}`);
  return parts.join(' · ') || 'empty spec';
}
