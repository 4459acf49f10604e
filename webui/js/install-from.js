// "Install from", the New VM wizard's first choice: an installer ISO image
// (only ISO volumes, from the pools the caller may use for media; admins:
// any pool), network boot (PXE), an existing disk image imported as the
// guest's disk, a cloud image with cloud-init (cloud-image.js), or nothing.
// value() is the part of the spec it decides: {cdrom} (vireod adds the
// drive and boots it first, then the disk), {boot: ['network', 'hd']},
// {disks: [{volume}]}, {disks: [{backing | clone, size}], cloud_init} or {}. When an ISO is
// chosen, vireod is asked which OS libosinfo finds on it (GET of the one
// volume) and onOs(os or null) is told, so the wizard can preselect it.
// "An appliance from this computer" is offered here (when there is a pool
// for its disks) but done by import-appliance.js: its value() is {}.

import { api } from './api.js';
import { hostFeatures } from './host.js';
import { cloudImagePart } from './cloud-image.js';
import { h, icon, uid, fmtBytes } from './dom.js';
import { field, FormError } from './forms.js';
import { NO_DISK_POOL, NO_MEDIA_POOL } from './scope.js';
import { isIso } from './spec-fields.js';

export const INSTALL_MODES = {
  iso: { label: 'An installer ISO image', text: 'A CD-ROM drive holds the image; the guest boots from it first, then from its disk.' },
  pxe: { label: 'The network (PXE boot)', text: 'The guest boots from its network card first (a PXE server on that network answers), then from its disk. It needs a network.' },
  import: { label: 'An existing disk image (import)', text: 'The image becomes the guest’s disk, used as it is (not copied), and the guest boots from it.' },
  cloud: { label: 'A cloud image (cloud-init)', text: 'A ready-made cloud image under a new disk of its own; at first boot cloud-init sets the host name and makes your user with a password and SSH keys.' },
  appliance: { label: 'Import an appliance from this computer', text: 'An OVA from VirtualBox or VMware, or a vmdk, vdi, qcow2 or raw disk image, uploaded and converted; the guest takes its settings from it.' },
  none: { label: 'Nothing for now', text: 'An empty guest: add media or change the boot order later on its page.' },
};

// The ISO images the caller may put in a drive, and the disk images they
// may import (unused, not ISO; admins: any pool, others: pools granted for
// new disks), as {id: "pool/name", label}.
function choices(inventory) {
  const isos = inventory.mediaPools.flatMap((p) => (inventory.volumes[p.name] || []).filter(isIso)
    .map((v) => ({ id: `${p.name}/${v.name}`, label: `${p.name} / ${v.name} (${fmtBytes(v.capacity)})` })));
  const pools = inventory.admin ? inventory.pools : inventory.diskPools;
  const images = pools.flatMap((p) => (inventory.volumes[p.name] || [])
    .filter((v) => v.type === 'file' && !isIso(v) && !(v.used_by || []).length)
    .map((v) => ({ id: `${p.name}/${v.name}`, label: `${p.name} / ${v.name} (${v.format || '?'}, ${fmtBytes(v.capacity)})` })));
  return { isos, images };
}

function why(inventory, mode) {
  if (mode === 'iso') {
    if (inventory.admin) return 'There is no ISO image in an active pool: upload one on the Storage page.';
    return inventory.mediaPools.length ? 'The pools granted to you for media hold no ISO image.' : NO_MEDIA_POOL;
  }
  if (mode === 'import') {
    if (inventory.admin) return 'There is no unused disk image in an active pool.';
    return inventory.diskPools.length ? 'The pools granted to you for new disks hold no unused disk image.' : NO_DISK_POOL;
  }
  if (mode === 'cloud') {
    if (!inventory.admin && !inventory.diskPools.length) return NO_DISK_POOL;
    return 'There is no qcow2 or raw image to start from: upload a cloud image on the Storage page.';
  }
  if (mode === 'appliance') return inventory.admin ? 'There is no active storage pool for its disks.' : NO_DISK_POOL;
  return '';
}

export function installPart(inventory, { onOs = null, onChange = null } = {}) {
  const { isos, images } = choices(inventory);
  const cloud = cloudImagePart(inventory);
  const appliancePools = inventory.admin ? inventory.pools : inventory.diskPools;
  const offered = {
    iso: isos.length > 0, pxe: true, import: images.length > 0, cloud: cloud.available && hostFeatures().cloud_init && (inventory.admin || inventory.diskPools.length > 0),
    appliance: appliancePools.length > 0, none: true,
  };
  let mode = offered.iso ? 'iso' : 'none';
  let asked = 0;
  const name = uid('install');
  const option = (list, none) => (list.length ? list.map((c) => h('option', { value: c.id }, c.label)) : [h('option', { value: '' }, none)]);
  const iso = h('select', { class: 'input select', testid: 'install-iso' }, option(isos, 'No ISO image to choose'));
  const image = h('select', { class: 'input select', testid: 'install-image' }, option(images, 'No disk image to choose'));
  const osHint = h('span', { class: 'field-hint', testid: 'install-iso-os', 'aria-live': 'polite' });
  const isoBox = field({ label: 'ISO image', control: iso, hint: osHint });
  const imageBox = field({ label: 'Disk image', control: image, hint: 'Guests already using an image are left out: a disk is one guest’s own.' });
  // One card per way, saying what it does (or why it cannot be chosen).
  const radios = Object.entries(INSTALL_MODES).map(([k, m]) => {
    const id = uid('im');
    const off = !offered[k];
    return h('label', { class: `install-option${off ? ' is-disabled' : ''}`, for: id, testid: `install-mode-${k}` },
      h('input', { type: 'radio', name, id, value: k, checked: k === mode, disabled: off, onchange: () => choose(k) }),
      h('span', { class: 'install-option-text' }, h('span', { class: 'install-option-label' }, m.label),
        h('span', { class: 'field-hint', testid: off ? `install-mode-${k}-why` : null }, off ? why(inventory, k) : m.text)));
  });
  const fieldset = h('fieldset', { class: 'install-options', testid: 'install-modes' }, h('legend', { class: 'sr-only' }, 'Install from'), radios);

  // Which OS libosinfo finds on the chosen image; a later choice wins.
  async function lookAtIso() {
    const ref = iso.value;
    const mine = ++asked;
    if (!ref) { osHint.textContent = ''; return; }
    osHint.textContent = 'Looking at the image…';
    const [pool, ...rest] = ref.split('/');
    let os = null;
    try {
      os = (await api.volume(pool, rest.join('/'))).data.os || null;
    } catch { /* the OS step lets the person choose */ }
    if (mine !== asked) return;
    osHint.textContent = os ? `libosinfo recognises ${os.name} on this image: it is chosen on the next step.`
      : 'libosinfo does not recognise this image: choose its operating system on the next step.';
    if (onOs) onOs(os);
  }

  function sync() {
    isoBox.hidden = mode !== 'iso';
    imageBox.hidden = mode !== 'import';
    cloud.box.hidden = mode !== 'cloud';
    for (const r of fieldset.querySelectorAll('input')) r.checked = r.value === mode;
  }

  function choose(k) {
    mode = k;
    sync();
    if (k === 'iso') lookAtIso();
    if (onChange) onChange(k);
  }

  iso.addEventListener('change', lookAtIso);
  image.addEventListener('change', () => onChange && onChange(mode));
  cloud.controls.image.addEventListener('change', () => onChange && onChange(mode));
  sync();
  return {
    box: h('div', { class: 'spec-part install-part' }, fieldset, isoBox, imageBox, cloud.box),
    controls: { iso, image, mode: fieldset.querySelector('input') },
    cloud,
    mode: () => mode,
    image: () => (mode === 'cloud' ? cloud.image() : image.value),
    // The first look at the preselected image, once the wizard is shown.
    start() { if (mode === 'iso') lookAtIso(); },
    // `vmName`: the VM's name once known (a cloud image's default host name).
    value(vmName = '') {
      if (mode === 'cloud') return cloud.value(vmName);
      if (mode === 'iso') {
        if (!iso.value) throw new FormError('Choose an ISO image.', iso);
        return { cdrom: iso.value };
      }
      if (mode === 'pxe') return { boot: ['network', 'hd'] };
      if (mode === 'import') {
        if (!image.value) throw new FormError('Choose a disk image.', image);
        return { disks: [{ volume: image.value }] };
      }
      return {};
    },
    // A template's spec: its CD-ROM image, or network boot, or nothing.
    set(spec) {
      if (spec.cdrom) {
        if (![...iso.options].some((o) => o.value === spec.cdrom)) iso.append(h('option', { value: spec.cdrom }, spec.cdrom));
        iso.value = spec.cdrom;
        mode = 'iso';
        const r = fieldset.querySelector('input[value="iso"]');
        r.disabled = false;
        r.closest('label').classList.remove('is-disabled');
      } else {
        mode = (spec.boot || [])[0] === 'network' ? 'pxe' : 'none';
      }
      sync();
      if (onChange) onChange(mode);
    },
  };
}

// What the disk step shows instead of its choices when an image is imported.
export function importedNote(ref) {
  return h('p', { class: 'form-note', testid: 'disk-imported' }, icon('info'),
    h('span', {}, 'The guest’s disk is the imported image ', h('code', { class: 'mono' }, ref), ', used as it is. Change it on the first step.'));
}

// What the disk step shows instead of its choices for a cloud image.
export function cloudNote(ref) {
  return h('p', { class: 'form-note', testid: 'disk-cloud' }, icon('info'),
    h('span', {}, 'The guest’s disk is made from the cloud image ', h('code', { class: 'mono' }, ref), ', with the size chosen on the first step.'));
}
