// "A cloud image", one of the New VM wizard's ways to install: a qcow2 (or
// raw) cloud image under a new overlay, or copied whole, grown to the size
// asked, and what cloud-init is told at first boot (host name, a user with
// a password and/or SSH keys; advanced: your own user-data and
// network-config). vireod builds the NoCloud seed (docs/cloud-init.md).
// value() is the part of the spec it decides: {disks, cloud_init}; its
// checks mirror vireod's, so mistakes show on their field before anything
// is sent, and fieldOf() puts vireod's own 400s on the field they name.

import { h, fmtBytes } from './dom.js';
import { field, FormError, passwordInput, selectInput, sizeInput, textInput } from './forms.js';
import { isIso } from './spec-fields.js';

const GIB = 1024 ** 3;
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const KEY = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}( [^\x00-\x1f\x7f]*)?$/;
const MAX_TEXT = 64 * 1024;

export const validHostname = (s) => s.length <= 253 && s.split('.').every((l) => HOST_LABEL.test(l));

// Images a disk may be made from: file volumes of a disk format that no VM
// writes (admins: every pool; others: pools granted for new disks or for
// media), as {id: "pool/name", pool, capacity, label}.
export function cloudImages(inventory) {
  const pools = inventory.admin ? inventory.pools
    : [...inventory.diskPools, ...inventory.mediaPools.filter((p) => !inventory.diskPools.includes(p))];
  return pools.flatMap((p) => (inventory.volumes[p.name] || [])
    .filter((v) => v.type === 'file' && !isIso(v) && ['qcow2', 'raw'].includes(v.format)
      && !(v.used_by || []).some((u) => u.writes))
    .map((v) => ({
      id: `${p.name}/${v.name}`, pool: p.name, capacity: v.capacity,
      label: `${p.name} / ${v.name} (${v.format}, ${fmtBytes(v.capacity)})`,
    })));
}

function textArea(testid, rows, placeholder) {
  return h('textarea', { class: 'input textarea mono', testid, rows: String(rows), spellcheck: 'false', autocomplete: 'off', placeholder });
}

export function cloudImagePart(inventory) {
  const images = cloudImages(inventory);
  const c = {
    image: h('select', { class: 'input select', testid: 'cloud-image' },
      images.length ? images.map((i) => h('option', { value: i.id }, i.label)) : h('option', { value: '' }, 'No cloud image to choose')),
    how: selectInput({
      testid: 'cloud-how',
      options: [['backing', 'An overlay on the image (fast; the image is shared)'], ['clone', 'A full copy of the image']],
    }),
    size: sizeInput({ testid: 'cloud-size', label: 'Disk size', value: 10 }),
    hostname: textInput({ testid: 'cloud-hostname', maxlength: '253', placeholder: 'the VM’s name' }),
    user: textInput({ testid: 'cloud-user', maxlength: '32', value: 'vireo' }),
    password: passwordInput({ testid: 'cloud-password', required: false, placeholder: 'optional with SSH keys' }),
    keys: textArea('cloud-keys', 3, 'ssh-ed25519 AAAA… you@laptop'),
    userData: textArea('cloud-user-data', 6, '#cloud-config'),
    network: textArea('cloud-network-config', 4, 'version: 2'),
  };
  // A pool the caller may not make disks in (media only) cannot hold the
  // new disk: it goes into their first pool for new disks.
  const targetPool = (ref) => {
    const pool = ref.split('/')[0];
    if (inventory.admin || inventory.diskPools.some((p) => p.name === pool)) return null;
    return inventory.diskPools.length ? inventory.diskPools[0].name : null;
  };
  const fitSize = () => {
    const img = images.find((i) => i.id === c.image.value);
    if (img) c.size.set(Math.max(img.capacity, 10 * GIB));
  };
  c.image.addEventListener('change', fitSize);
  fitSize();
  const advanced = h('details', { class: 'advanced', testid: 'cloud-advanced' }, h('summary', {}, 'Advanced: user-data and network-config'),
    field({ label: 'User-data', control: c.userData, hint: 'Your own, used as it is instead of the user above: starts with #cloud-config or #!.' }),
    field({ label: 'Network-config', control: c.network, hint: 'cloud-init network-config, version 1 or 2. Empty: DHCP on the first network card.' }));
  const box = h('div', { class: 'spec-part cloud-part', testid: 'cloud-part' },
    field({ label: 'Cloud image', control: c.image, hint: 'A qcow2 or raw cloud image (e.g. Debian genericcloud) uploaded on the Storage page.' }),
    h('div', { class: 'spec-grid' },
      field({ label: 'Disk', control: c.how }),
      field({ label: 'Disk size', control: c.size.input, box: c.size.el, hint: 'Grown from the image’s size; cloud-init grows the guest’s file system.' })),
    h('div', { class: 'spec-grid' },
      field({ label: 'Host name', control: c.hostname, hint: 'Letters, digits and “-”; empty: the VM’s name.' }),
      field({ label: 'User', control: c.user, hint: 'Made at first boot, with sudo.' }),
      field({ label: 'Password', control: c.password.input, box: c.password.el, hint: 'Sent once, stored only as a hash in the seed.' })),
    field({ label: 'SSH public keys', control: c.keys, hint: 'One per line, as in authorized_keys.' }),
    advanced);

  const keyLines = () => c.keys.value.split('\n').map((l) => l.trim()).filter(Boolean);

  // The cloud_init member, checked as vireod checks it.
  function cloudInit(vmName) {
    const ci = {};
    const hostname = c.hostname.value.trim();
    if (hostname && !validHostname(hostname)) throw new FormError('A host name is letters, digits and “-” (not first or last), in labels joined by “.”.', c.hostname);
    if (!hostname && vmName && !validHostname(vmName)) throw new FormError('The VM’s name is not a host name: give one here.', c.hostname);
    if (hostname) ci.hostname = hostname;
    const userData = c.userData.value;
    if (userData.trim()) {
      if (!/^(#cloud-config(\s|$)|#!)/.test(userData)) throw new FormError('User-data must start with #cloud-config or #!.', c.userData);
      if (userData.length > MAX_TEXT) throw new FormError('User-data: at most 64 KiB.', c.userData);
      ci.user_data = userData;
    } else {
      const user = c.user.value.trim();
      if (!USER.test(user) || user === 'root') throw new FormError('A user name is a lower-case letter or “_”, then up to 31 lower-case letters, digits, “_” or “-”; not root.', c.user);
      ci.user = user;
      const keys = keyLines();
      const bad = keys.findIndex((k) => !KEY.test(k));
      if (bad >= 0) throw new FormError(`Line ${bad + 1} is not an SSH public key (type, key, optional comment).`, c.keys);
      if (keys.length > 32) throw new FormError('At most 32 SSH keys.', c.keys);
      if (keys.length) ci.ssh_authorized_keys = keys;
      if (c.password.input.value) ci.password = c.password.input.value;
      if (!ci.password && !keys.length) throw new FormError('Give the user a password or an SSH key, else nobody can log in.', c.password.input);
    }
    const net = c.network.value;
    if (net.trim()) {
      if (!/version/.test(net)) throw new FormError('Network-config needs its version (version: 1 or 2).', c.network);
      if (net.length > MAX_TEXT) throw new FormError('Network-config: at most 64 KiB.', c.network);
      ci.network_config = net;
    }
    return ci;
  }

  return {
    box,
    controls: c,
    available: images.length > 0,
    image: () => c.image.value,
    // The disk and the cloud_init member. `vmName` may be empty before the
    // summary step (the host name check waits for it then).
    value(vmName = '') {
      if (!c.image.value) throw new FormError('Choose a cloud image.', c.image);
      let size;
      try { size = c.size.bytes(); } catch (e) { throw new FormError(e.message, c.size.input); }
      const disk = { [c.how.value]: c.image.value, size };
      const pool = targetPool(c.image.value);
      if (pool) disk.pool = pool;
      return { disks: [disk], cloud_init: cloudInit(vmName) };
    },
    // Where one of vireod's messages about cloud_init belongs.
    controlFor(message) {
      const m = /^cloud_init(?:: field '|\.)(\w+)/.exec(message || '');
      const map = {
        hostname: c.hostname, user: c.user, password: c.password.input, password_hash: c.password.input,
        ssh_authorized_keys: c.keys, user_data: c.userData, network_config: c.network,
      };
      return (m && map[m[1]]) || (/^(field ')?(cloud_init|disks)/.test(message || '') ? c.image : null);
    },
    summary(spec) {
      const d = spec.disks[0];
      const how = d.backing ? 'overlay on' : 'copy of';
      const who = spec.cloud_init.user ? `user ${spec.cloud_init.user}` : 'your user-data';
      return `Cloud image: ${how} ${d.backing || d.clone}, ${fmtBytes(d.size)}; cloud-init: ${who}`;
    },
  };
}
