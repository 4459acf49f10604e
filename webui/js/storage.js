// #/storage: libvirt's storage pools (type, state, directory, how full, autostart)
// and, for the pool in the address (#/storage/POOL), its volumes. Everyone
// signed in may look; only admins get the buttons that change anything
// (vireod answers 403 to anyone else anyway).

import { api } from './api.js';
import { onObjectEvent } from './live.js';
import { h, icon, clear, uid, fmtBytes } from './dom.js';
import { field, formDialog, sizeInput, FormError } from './forms.js';
import { checkName } from './names.js';
import { createPoolDialog } from './pool-create.js';
import { navigate, poolHref } from './router.js';
import { isAdmin } from './session.js';
import { mountTasks } from './tasks.js';
import { confirmDialog, showError, toast } from './ui.js';
import { badge, keepFocus, pageHead, progressBar } from './widgets.js';

const POOL_STATES = {
  running: { label: 'active', tone: 'ok' },
  inactive: { label: 'inactive', tone: 'off' },
  building: { label: 'building', tone: 'busy' },
  degraded: { label: 'degraded', tone: 'warn' },
  inaccessible: { label: 'inaccessible', tone: 'bad' },
};
const FORMATS = ['qcow2', 'raw', 'vdi', 'vmdk'];

// Where a pool's storage comes from, in one line ("" for dir pools).
function sourceText(p) {
  const s = p.source || {};
  if (p.type === 'netfs' && s.host) return `${s.format || 'nfs'} ${s.host}:${s.dir || ''}`;
  if (p.type === 'iscsi' && s.host) return `${s.host}${s.port ? `:${s.port}` : ''} ${s.iqn || ''}`;
  if (p.type === 'logical') return `VG ${s.name || p.name}${s.devices ? ` on ${s.devices.join(', ')}` : ''}`;
  if (s.devices) return `${s.devices.join(', ')}${s.format ? ` (${s.format})` : ''}`;
  return '';
}

function poolBadge(state) {
  const s = POOL_STATES[state] || { label: state || 'unknown', tone: 'off' };
  return badge({ tone: s.tone, label: s.label, state: state || 'unknown', testid: 'pool-state' });
}

// How full a pool is: a bar and "X used of Y · Z free".
function usage(p, testid = 'pool-usage') {
  if (!p.capacity) return h('span', { class: 'muted', testid }, p.state === 'running' ? 'Size unknown' : 'Not measured');
  const pct = Math.min(100, Math.max(0, (p.allocation / p.capacity) * 100));
  const fill = h('span', { class: 'usage-fill' });
  fill.style.width = `${pct.toFixed(1)}%`;
  return h('div', { class: `usage${pct >= 90 ? ' usage-hot' : ''}`, testid },
    h('div', { class: 'usage-text' },
      h('span', { testid: 'pool-allocation' }, fmtBytes(p.allocation)),
      h('span', { class: 'muted' }, ' of '),
      h('span', { testid: 'pool-capacity' }, fmtBytes(p.capacity))),
    h('div', {
      class: 'usage-bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': pct.toFixed(0),
      'aria-label': `${p.name}: ${pct.toFixed(0)}% used`,
    }, fill),
    h('div', { class: 'usage-sub muted', testid: 'pool-available' }, `${fmtBytes(p.available)} free`));
}

export function mountStorage(root, selected) {
  let disposed = false;
  let pools = [];
  let volumes = [];
  const admin = isAdmin();

  const poolCount = h('span', { class: 'count', testid: 'pools-count' });
  const poolBody = h('div', { class: 'card-body card-body-flush' });
  const volSection = h('div', { class: 'vol-slot' });
  const taskSlot = h('div', { class: 'task-slot' });
  const newPool = admin ? h('button', { type: 'button', class: 'btn btn-primary', testid: 'pool-new', onclick: () => createPool() },
    icon('plus'), 'New pool') : null;
  const reload = h('button', {
    type: 'button', class: 'btn btn-ghost btn-icon', testid: 'storage-reload', 'aria-label': 'Reload the pools', title: 'Reload',
    onclick: () => load(),
  }, icon('refresh'));

  root.append(h('section', { class: 'view view-storage', testid: 'view-storage' },
    pageHead('disk', 'Storage',
      admin ? 'Storage pools hold the disk images of the guests. Make a pool (a directory, a disk, NFS, LVM or iSCSI), then create, grow and remove its volumes.'
        : 'Storage pools hold the disk images of the guests. You can look; only admins can change them.',
      newPool),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Pools ', poolCount), reload),
      poolBody),
    volSection,
    taskSlot));

  async function load(busy = null) {
    try {
      const { data } = await api.pools();
      if (disposed) return;
      pools = data.pools || [];
      keepFocus(poolBody, 'data-pool', renderPools, busy);
    } catch (e) {
      if (disposed) return;
      clear(poolBody).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
        h('h2', {}, 'Could not load the storage pools'), h('p', {}, e.message),
        h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Try again')));
      return;
    }
    await loadVolumes();
  }

  async function loadVolumes() {
    const pool = pools.find((p) => p.name === selected);
    if (!selected) {
      clear(volSection);
      if (pools.length) volSection.append(h('p', { class: 'storage-hint muted', testid: 'volumes-hint' }, icon('info'), 'Choose a pool to see its volumes.'));
      return;
    }
    if (!pool) {
      clear(volSection).append(h('section', { class: 'card' }, h('div', { class: 'empty', testid: 'pool-missing' },
        icon('search', 'icon empty-icon'), h('h2', {}, `There is no pool “${selected}”`),
        h('p', {}, 'It may have been deleted.'), h('a', { class: 'btn', href: poolHref(null) }, 'All pools'))));
      return;
    }
    if (pool.state !== 'running') {
      volumes = [];
      renderVolumes(pool, h('div', { class: 'empty', testid: 'volumes-inactive' }, icon('disk', 'icon empty-icon'),
        h('h2', {}, 'This pool is not active'),
        h('p', {}, admin ? 'Start it to see and manage its volumes.' : 'Its volumes can be listed once an admin starts it.')));
      return;
    }
    try {
      const { data } = await api.volumes(pool.name);
      if (disposed) return;
      volumes = data.volumes || [];
      keepFocus(volSection, 'data-volume', () => renderVolumes(pool));
    } catch (e) {
      if (disposed) return;
      volumes = [];
      renderVolumes(pool, h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
        h('h2', {}, 'Could not load the volumes'), h('p', {}, e.message)));
    }
  }

  function renderPools() {
    poolCount.textContent = String(pools.length);
    if (!pools.length) {
      clear(poolBody).append(h('div', { class: 'empty', testid: 'pools-empty' }, icon('disk', 'icon empty-icon'),
        h('h2', {}, 'No storage pools'),
        h('p', {}, admin ? 'Create a directory pool to keep disk images in.' : 'An admin has not set up any storage yet.')));
      return;
    }
    clear(poolBody).append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table pools-table', testid: 'pools-table' },
      h('caption', { class: 'sr-only' }, 'Storage pools'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Pool'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Location'),
        h('th', { scope: 'col', class: 'col-usage' }, 'Usage'),
        h('th', { scope: 'col' }, 'Autostart'),
        admin ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
      h('tbody', {}, pools.map(poolRow)))));
  }

  function poolRow(p) {
    const current = p.name === selected;
    const running = p.state === 'running';
    let auto;
    if (admin) {
      const id = uid('pool-auto');
      const box = h('input', {
        type: 'checkbox', class: 'switch-input', id, testid: 'pool-autostart', checked: p.autostart,
        onchange: () => setAutostart(p, box),
      });
      auto = h('label', { class: 'switch switch-quiet', for: id, title: `Start ${p.name} when libvirtd starts` },
        box, h('span', { class: 'switch-track', 'aria-hidden': 'true' }),
        h('span', { class: 'sr-only' }, `Autostart ${p.name}`),
        h('span', { class: 'switch-text', 'aria-hidden': 'true' }, p.autostart ? 'On' : 'Off'));
    } else {
      auto = h('span', { class: p.autostart ? 'flag flag-on' : 'muted', testid: 'pool-autostart-text' }, p.autostart ? 'On' : 'Off');
    }
    const act = (action, ic, label, extra = {}) => h('button', {
      type: 'button', class: 'btn btn-sm', testid: `pool-${action}`, 'aria-label': `${label} ${p.name}`, title: `${label} ${p.name}`,
      onclick: (e) => poolAction(p, action, e.currentTarget), ...extra,
    }, icon(ic), h('span', { class: 'btn-label' }, label));

    return h('tr', { class: current ? 'is-selected' : null, testid: 'pool-row', dataset: { pool: p.name, state: p.state } },
      h('td', { 'data-label': 'Pool' },
        h('a', { class: 'pool-link', href: poolHref(p.name), testid: 'pool-link', 'aria-current': current ? 'true' : null },
          icon('disk'), h('span', { testid: 'pool-name' }, p.name)),
        h('span', { class: 'cell-sub', testid: 'pool-type' }, `${p.type}${p.persistent ? '' : ' · transient'}`)),
      h('td', { 'data-label': 'State' }, poolBadge(p.state)),
      h('td', { 'data-label': 'Location' }, p.path ? h('code', { class: 'mono path', testid: 'pool-path' }, p.path) : h('span', { class: 'muted' }, '—'),
        sourceText(p) ? h('span', { class: 'cell-sub mono', testid: 'pool-source' }, sourceText(p)) : null),
      h('td', { 'data-label': 'Usage', class: 'col-usage' }, usage(p)),
      h('td', { 'data-label': 'Autostart' }, auto),
      admin ? h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' },
        running ? act('stop', 'stop', 'Stop') : act('start', 'play', 'Start'),
        act('refresh', 'refresh', 'Refresh', { disabled: !running, title: running ? `Rescan ${p.name} for volumes and sizes` : 'Start the pool first' }),
        h('button', {
          type: 'button', class: 'btn btn-sm btn-icon btn-danger-outline', testid: 'pool-delete',
          'aria-label': `Delete the pool ${p.name}`, title: `Delete the pool ${p.name}`, onclick: () => deletePool(p),
        }, icon('trash')))) : null);
  }

  function renderVolumes(pool, message = null) {
    const canChange = admin && pool.state === 'running';
    const newVol = canChange
      ? h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn btn-sm', testid: 'volume-upload', onclick: () => uploadVolume(pool) }, icon('upload'), 'Upload'),
        h('button', { type: 'button', class: 'btn btn-primary btn-sm', testid: 'volume-new', onclick: () => createVolume(pool) }, icon('plus'), 'New volume'))
      : null;
    let body;
    if (message) body = message;
    else if (!volumes.length) {
      body = h('div', { class: 'empty', testid: 'volumes-empty' }, icon('empty', 'icon empty-icon'),
        h('h2', {}, 'No volumes yet'),
        h('p', {}, admin ? 'Create one for a guest’s disk.' : 'This pool holds no disk images.'));
    } else {
      body = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table volumes-table', testid: 'volumes-table' },
        h('caption', { class: 'sr-only' }, `Volumes in the pool ${pool.name}`),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Volume'),
          h('th', { scope: 'col' }, 'Format'),
          h('th', { scope: 'col', class: 'num' }, 'Capacity'),
          h('th', { scope: 'col', class: 'num' }, 'Allocation'),
          h('th', { scope: 'col' }, 'Path'),
          admin ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
        h('tbody', {}, volumes.map((v) => volumeRow(pool, v)))));
    }
    clear(volSection).append(h('section', { class: 'card card-flush', testid: 'volumes-card', 'aria-labelledby': 'volumes-title' },
      h('div', { class: 'card-head' },
        h('h2', { class: 'card-title', id: 'volumes-title' }, icon('disk'),
          h('span', { class: 'volumes-title-text' }, 'Volumes in ', h('span', { class: 'mono', testid: 'volumes-pool' }, pool.name)),
          h('span', { class: 'count', testid: 'volumes-count' }, message ? '' : String(volumes.length))),
        newVol),
      h('div', { class: 'card-body card-body-flush' }, body)));
  }

  function volumeRow(pool, v) {
    const fmt = v.format || 'unknown';
    const backing = v.backing ? v.backing.split('/').pop() : null;
    return h('tr', { testid: 'volume-row', dataset: { volume: v.name, format: fmt } },
      h('td', { 'data-label': 'Volume' },
        h('span', { class: 'cell-main' }, icon('disk'), h('span', { testid: 'volume-name' }, v.name),
          v.iso ? h('span', { class: 'iso-flag', testid: 'volume-iso', title: 'An ISO 9660 (CD/DVD) image' }, 'ISO') : null),
        backing ? h('span', { class: 'cell-sub', testid: 'volume-backing', title: v.backing }, `backed by ${backing}`) : null),
      h('td', { 'data-label': 'Format' }, h('span', { class: `fmt fmt-${fmt}`, testid: 'volume-format' }, fmt)),
      h('td', { 'data-label': 'Capacity', class: 'num', testid: 'volume-capacity', title: `${v.capacity} bytes` }, fmtBytes(v.capacity)),
      h('td', { 'data-label': 'Allocation', class: 'num', testid: 'volume-allocation', title: `${v.allocation} bytes` }, fmtBytes(v.allocation)),
      h('td', { 'data-label': 'Path' }, h('code', { class: 'mono path', testid: 'volume-path' }, v.path)),
      // A directory in a pool (an fs pool's lost+found) has no bytes to move.
      admin && v.type === 'dir' ? h('td', { class: 'col-actions' }) : null,
      admin && v.type !== 'dir' ? h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' },
        h('a', {
          class: 'btn btn-sm btn-icon', testid: 'volume-download', href: api.contentHref(pool.name, v.name), download: v.name,
          'aria-label': `Download ${v.name}`, title: `Download ${v.name}`,
        }, icon('download')),
        h('button', {
          type: 'button', class: 'btn btn-sm', testid: 'volume-clone', 'aria-label': `Clone ${v.name}`, title: `Copy ${v.name} as a new volume`,
          onclick: () => cloneVolume(pool, v),
        }, icon('clone'), h('span', { class: 'btn-label' }, 'Clone')),
        h('button', {
          type: 'button', class: 'btn btn-sm', testid: 'volume-resize', 'aria-label': `Resize ${v.name}`, title: `Resize ${v.name}`,
          onclick: () => resizeVolume(pool, v),
        }, icon('edit'), h('span', { class: 'btn-label' }, 'Resize')),
        fmt === 'raw' ? h('button', {
          type: 'button', class: 'btn btn-sm', testid: 'volume-wipe', 'aria-label': `Wipe ${v.name}`, title: `Overwrite ${v.name} with zeros`,
          onclick: () => wipeVolume(pool, v),
        }, icon('reset'), h('span', { class: 'btn-label' }, 'Wipe')) : null,
        h('button', {
          type: 'button', class: 'btn btn-sm btn-icon btn-danger-outline', testid: 'volume-delete',
          'aria-label': `Delete ${v.name}`, title: `Delete ${v.name}`, onclick: () => deleteVolume(pool, v),
        }, icon('trash')))) : null);
  }

  // ---- pool changes ----

  async function setAutostart(p, box) {
    box.disabled = true;
    try {
      await api.patchPool(p.name, { autostart: box.checked });
      toast(box.checked ? `${p.name} now starts with libvirtd` : `${p.name} no longer starts with libvirtd`);
    } catch (e) {
      box.checked = !box.checked;
      showError(e, `Could not change the autostart of ${p.name}`);
    }
    if (!disposed) load(box);
  }

  async function poolAction(p, action, btn) {
    const done = { start: 'started', stop: 'stopped', refresh: 'refreshed' }[action];
    btn.disabled = true;
    btn.classList.add('is-busy');
    try {
      await api.poolAction(p.name, action);
      toast(`${p.name} ${done}`);
    } catch (e) {
      showError(e, `Could not ${action} ${p.name}`);
    }
    if (!disposed) load(btn);
  }

  async function createPool() {
    const created = await createPoolDialog();
    if (!created) return;
    toast(`Pool ${created.name} created`);
    navigate(poolHref(created.name));
  }

  async function deletePool(p) {
    const dir = ['dir', 'fs', 'netfs'].includes(p.type) && p.path;
    const { ok, checked } = await confirmDialog({
      title: `Delete the pool ${p.name}?`,
      body: [
        p.state === 'running' ? 'The pool is stopped and libvirt forgets it.' : 'libvirt forgets the pool.',
        'Its volumes stay on disk unless you delete them first; guests using them are not changed.',
      ],
      confirmLabel: 'Delete pool',
      checkbox: dir ? `Also remove the directory ${p.path} (only when it is empty)` : null,
    });
    if (!ok) return;
    try {
      await api.deletePool(p.name, { storage: checked });
      toast(checked ? `Pool ${p.name} and its directory were deleted` : `Pool ${p.name} was deleted`);
      if (selected === p.name) { navigate(poolHref(null)); return; }
    } catch (e) {
      showError(e, `Could not delete the pool ${p.name}`);
    }
    if (!disposed) load();
  }

  // ---- volume changes ----

  async function createVolume(pool) {
    const name = h('input', {
      class: 'input', type: 'text', testid: 'new-volume-name', autocomplete: 'off', spellcheck: 'false', maxlength: '255',
      required: true, placeholder: 'e.g. web1-disk.qcow2',
    });
    const size = sizeInput({ testid: 'new-volume-size', value: 10, unit: 'GiB', label: 'Size' });
    const format = h('select', { class: 'input select', testid: 'new-volume-format' },
      FORMATS.map((f) => h('option', { value: f }, f === 'qcow2' ? 'qcow2 (copy-on-write, snapshots)' : f === 'raw' ? 'raw (plain image)' : f)));
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
        const n = checkName('storage', name.value);
        const body = { name: n, capacity: size.bytes(), format: format.value };
        if (format.value === 'qcow2' && backing.value) body.backing = backing.value;
        const { data } = await api.createVolume(pool.name, body);
        return data;
      },
    });
    if (!created) return;
    toast(`Volume ${created.name} created (${fmtBytes(created.capacity)})`);
    if (!disposed) load();
  }

  async function uploadVolume(pool) {
    const file = h('input', { class: 'input', type: 'file', testid: 'upload-file', required: true });
    const name = h('input', {
      class: 'input', type: 'text', testid: 'upload-name', autocomplete: 'off', spellcheck: 'false', maxlength: '255',
      required: true, placeholder: 'e.g. debian-12.iso',
    });
    file.addEventListener('change', () => {
      if (file.files[0] && !name.value.trim()) name.value = file.files[0].name;
    });
    const bar = progressBar({ testid: 'upload-progress', label: 'Upload progress' });
    const text = h('span', { testid: 'upload-progress-text' }, '');
    const progress = h('div', { class: 'upload-progress', hidden: true }, bar.el, text);
    const controller = new AbortController();
    const done = await formDialog({
      title: `Upload to ${pool.name}`,
      intro: 'A disk image or ISO file from this computer becomes a new volume of the same size. vireod streams it into the pool; libvirt then tells its format (raw, qcow2, iso ...).',
      testid: 'upload-dialog',
      submitLabel: 'Upload',
      content: [
        field({ label: 'File', control: file }),
        field({ label: 'Volume name', control: name }),
        progress,
      ],
      submit: async () => {
        const f = file.files[0];
        if (!f) throw new FormError('Choose a file to upload.');
        if (!f.size) throw new FormError('That file is empty.');
        const n = checkName('storage', name.value);
        progress.hidden = false;
        file.disabled = true;
        name.disabled = true;
        try {
          const { data } = await api.uploadVolume(pool.name, n, f, {
            signal: controller.signal,
            onProgress: (sent, total) => {
              const pct = total ? Math.floor((sent / total) * 100) : 0;
              bar.set(pct);
              text.textContent = `${fmtBytes(sent)} of ${fmtBytes(total)} (${pct}%)`;
            },
          });
          return data;
        } finally {
          file.disabled = false;
          name.disabled = false;
        }
      },
    });
    // Closing the dialog while it runs stops the upload (vireod removes the half-made volume).
    controller.abort();
    if (!done) return;
    toast(`${done.name} uploaded (${fmtBytes(done.capacity)}${done.format ? `, ${done.format}` : ''})`);
    if (!disposed) load();
  }

  async function cloneVolume(pool, v) {
    const base = v.name.replace(/(\.[^.]*)?$/, '');
    const ext = v.name.slice(base.length);
    const name = h('input', {
      class: 'input', type: 'text', testid: 'clone-name', autocomplete: 'off', spellcheck: 'false', maxlength: '255',
      required: true, value: `${base}-copy${ext}`,
    });
    const target = h('select', { class: 'input select', testid: 'clone-pool' },
      pools.filter((p) => p.state === 'running').map((p) => h('option', { value: p.name, selected: p.name === pool.name }, p.name)));
    const format = h('select', { class: 'input select', testid: 'clone-format' },
      h('option', { value: '' }, `Same as the source (${v.format || 'unknown'})`),
      FORMATS.filter((f) => f !== v.format).map((f) => h('option', { value: f }, `Convert to ${f}`)));
    const task = await formDialog({
      title: `Clone ${v.name}`,
      intro: `A full copy of ${v.name} (${fmtBytes(v.capacity)}). It runs as a task: follow it under Tasks below, and cancel it there.`,
      testid: 'clone-dialog',
      submitLabel: 'Clone',
      content: [
        field({ label: 'New name', control: name }),
        field({ label: 'Pool', control: target }),
        field({ label: 'Format', control: format }),
      ],
      submit: async () => {
        const n = checkName('storage', name.value);
        const body = { name: n };
        if (target.value && target.value !== pool.name) body.pool = target.value;
        if (format.value) body.format = format.value;
        const { data } = await api.cloneVolume(pool.name, v.name, body);
        return data;
      },
    });
    if (task) toast(`Cloning ${v.name} to ${name.value.trim()} (task ${task.id})`);
  }

  async function resizeVolume(pool, v) {
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
    if (!done) return;
    toast(`${v.name} is now ${fmtBytes(done.capacity)}`);
    if (!disposed) load();
  }

  async function wipeVolume(pool, v) {
    const { ok } = await confirmDialog({
      title: `Wipe ${v.name}?`,
      body: [`Every byte of ${v.name} (${fmtBytes(v.capacity)}) is overwritten with zeros. Its data cannot be recovered.`],
      confirmLabel: 'Wipe volume',
    });
    if (!ok) return;
    try {
      await api.wipeVolume(pool.name, v.name);
      toast(`${v.name} was wiped`);
    } catch (e) {
      showError(e, `Could not wipe ${v.name}`);
    }
    if (!disposed) load();
  }

  async function deleteVolume(pool, v) {
    const { ok } = await confirmDialog({
      title: `Delete ${v.name}?`,
      body: [`The file ${v.path} is removed with its data. A guest that uses it will not start any more.`],
      confirmLabel: 'Delete volume',
    });
    if (!ok) return;
    try {
      await api.deleteVolume(pool.name, v.name);
      toast(`${v.name} was deleted`);
    } catch (e) {
      showError(e, `Could not delete ${v.name}`);
    }
    if (!disposed) load();
  }

  clear(poolBody).append(h('div', { class: 'skeleton' }, h('span'), h('span')));
  load();
  // Someone else (virsh, another admin) changed a pool: show it.
  const offEvents = onObjectEvent('pool', () => { if (!disposed) load(); });
  // A clone or upload that ends may have made (or removed) a volume.
  const offTasks = mountTasks(taskSlot, {
    onFinished: (t) => {
      if (disposed) return;
      if (t.state === 'succeeded' && t.kind === 'clone') toast(`Clone of ${t.target} finished`);
      else if (t.state === 'failed') toast(`${t.kind === 'upload' ? 'Upload to' : 'Clone of'} ${t.target} failed: ${t.error ? t.error.message : ''}`, { tone: 'warn' });
      loadVolumes();
    },
  });
  return () => { disposed = true; offEvents(); offTasks(); };
}
