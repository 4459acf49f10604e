// The "New storage pool" dialog: a pool type, then only the fields that type
// takes (the same rules vireod checks, PoolCreate in openapi.json). vireod
// answers the final word; its 400s show in the dialog.

import { api } from './api.js';
import { h } from './dom.js';
import { field, formDialog, selectInput, switchInput, textInput, FormError } from './forms.js';
import { checkName } from './names.js';

const PATH_RE = /^(\/[^/\u0000]+)+$/;

const TYPES = {
  dir: { label: 'Directory', intro: 'Each volume is a file in one directory of this host.' },
  fs: { label: 'Local file system', intro: 'A block device with a file system, mounted on a directory of this host; volumes are files on it.' },
  netfs: { label: 'Network file system', intro: 'An NFS, CIFS or GlusterFS export mounted on a directory of this host.' },
  logical: { label: 'LVM volume group', intro: 'Volumes are logical volumes of an LVM volume group: an existing one, or a new one made from the devices you list.' },
  iscsi: { label: 'iSCSI target', intro: 'The LUNs of an iSCSI target become the volumes. They cannot be created or deleted here.' },
};

const input = (testid, placeholder, extra = {}) => textInput({ testid, placeholder, ...extra });
const select = (testid, options) => selectInput({ testid, options });
const trimPath = (s) => s.trim().replace(/(.)\/+$/, '$1');
const normalPath = (p) => PATH_RE.test(p) && !p.split('/').some((s) => s === '.' || s === '..');

function requirePath(value, what, example) {
  const p = trimPath(value);
  if (!normalPath(p)) throw new FormError(`${what} must be an absolute path such as ${example}, without “.” or “..” parts.`);
  return p;
}

// Resolves to the created pool, or null when the dialog was cancelled.
export function createPoolDialog() {
  const c = controls();
  const intro = h('p', { class: 'muted', testid: 'new-pool-intro' });
  const fields = typeFields(c);
  const show = () => {
    const t = c.type.value;
    intro.textContent = TYPES[t].intro;
    for (const [types, el] of fields) el.hidden = !types.includes(t);
  };
  c.type.addEventListener('change', show);
  show();
  return formDialog({
    title: 'New storage pool',
    testid: 'new-pool-dialog',
    submitLabel: 'Create pool',
    content: [
      field({ label: 'Name', control: c.name }),
      field({ label: 'Type', control: c.type }),
      intro,
      fields.map(([, el]) => el),
      h('div', { class: 'field' }, c.autostart.el),
    ],
    submit: async () => (await api.createPool(poolBody(c))).data,
  });
}

// Every control of the dialog, whichever type shows it.
function controls() {
  return {
    name: input('new-pool-name', 'e.g. images2', { maxlength: '255', required: true }),
    type: selectInput({ testid: 'new-pool-type', options: Object.entries(TYPES).map(([v, t]) => [v, t.label]) }),
    path: input('new-pool-path', '/var/lib/libvirt/images2', { maxlength: '4096' }),
    device: input('new-pool-device', '/dev/sdb1'),
    fsFormat: select('new-pool-fs-format', ['auto', 'ext4', 'xfs', 'btrfs', 'ext3', 'ext2', 'vfat']),
    host: input('new-pool-host', 'nas.example.org', { maxlength: '253' }),
    dir: input('new-pool-dir', '/export/vms'),
    netFormat: select('new-pool-net-format', ['nfs', 'cifs', 'glusterfs']),
    vg: input('new-pool-vg', 'the pool name', { maxlength: '127' }),
    devices: input('new-pool-devices', '/dev/sdb /dev/sdc'),
    port: h('input', { class: 'input', type: 'number', testid: 'new-pool-port', min: '1', max: '65535', placeholder: '3260' }),
    iqn: input('new-pool-iqn', 'iqn.2024-01.com.example:storage', { maxlength: '223' }),
    initiator: input('new-pool-initiator', 'optional', { maxlength: '223' }),
    autostart: switchInput({ testid: 'new-pool-autostart', label: 'Start with libvirtd (autostart)', checked: true }),
  };
}

// The type-dependent fields, each with the types it belongs to.
function typeFields(c) {
  return [
    [['dir', 'fs', 'netfs'], field({ label: 'Directory', control: c.path, hint: 'An absolute path on this host; made if it does not exist.' })],
    [['fs'], field({ label: 'Block device', control: c.device, hint: 'Under /dev/, holding the file system.' })],
    [['fs'], field({ label: 'File system', control: c.fsFormat })],
    [['netfs', 'iscsi'], field({ label: 'Server', control: c.host, hint: 'A host name or IP address.' })],
    [['netfs'], field({ label: 'Exported directory', control: c.dir })],
    [['netfs'], field({ label: 'Protocol', control: c.netFormat })],
    [['logical'], field({ label: 'Volume group', control: c.vg, hint: 'Leave empty to use the pool name.' })],
    [['logical'], field({ label: 'Physical volumes', control: c.devices, hint: 'Devices under /dev/, separated by spaces, to make a new volume group from. Leave empty to use an existing one.' })],
    [['iscsi'], field({ label: 'Port', control: c.port })],
    [['iscsi'], field({ label: 'Target IQN', control: c.iqn })],
    [['iscsi'], field({ label: 'Initiator IQN', control: c.initiator })],
  ];
}

// The POST /api/pools body the controls describe; throws a FormError on what
// the form can tell is wrong.
function poolBody(c) {
  const name = checkName('storage', c.name.value);
  const type = c.type.value;
  const body = { name, type, autostart: c.autostart.input.checked };
  if (['dir', 'fs', 'netfs'].includes(type)) body.path = requirePath(c.path.value, 'The directory', '/srv/images');
  if (type !== 'dir') body.source = poolSource(c, type);
  return body;
}

function poolSource(c, type) {
  const source = {};
  if (type === 'fs') {
    source.devices = [requirePath(c.device.value, 'The block device', '/dev/sdb1')];
    source.format = c.fsFormat.value;
  }
  if (type === 'netfs' || type === 'iscsi') {
    source.host = c.host.value.trim();
    if (!source.host) throw new FormError('Enter the server’s name or address.');
  }
  if (type === 'netfs') {
    source.dir = requirePath(c.dir.value, 'The exported directory', '/export/vms');
    source.format = c.netFormat.value;
  }
  if (type === 'logical') {
    if (c.vg.value.trim()) source.name = c.vg.value.trim();
    const devs = c.devices.value.trim().split(/\s+/).filter(Boolean);
    if (devs.length) source.devices = devs.map((d) => requirePath(d, 'Each physical volume', '/dev/sdb'));
  }
  if (type === 'iscsi') {
    if (c.port.value) source.port = Number(c.port.value);
    source.iqn = c.iqn.value.trim();
    if (!source.iqn) throw new FormError('Enter the target’s IQN.');
    if (c.initiator.value.trim()) source.initiator = c.initiator.value.trim();
  }
  return source;
}
