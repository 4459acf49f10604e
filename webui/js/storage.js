// #/storage: libvirt's storage pools (type, state, directory, how full, autostart)
// and, for the pool in the address (#/storage/POOL), its volumes and the
// guests that use each. Admins see every pool and get the buttons that
// change anything (vireod answers 403 to anyone else anyway); operators and
// viewers see the pools granted to them, and what each is granted for.

import { api } from './api.js';
import { defaultPoolOffer } from './default-pool.js';
import { onObjectEvent } from './live.js';
import { h, icon, clear, fmtBytes } from './dom.js';
import { createPoolDialog } from './pool-create.js';
import { navigate, poolHref, vmHref } from './router.js';
import { loadScope, POOL_USES, usesText } from './scope.js';
import { isAdmin } from './session.js';
import { mountTasks } from './tasks.js';
import { attempt, confirmDialog, showError, toast } from './ui.js';
import { createVolume, uploadVolume, cloneVolume, resizeVolume } from './volume-dialogs.js';
import {
  ACTIONS, autostartCell, badge, card, countBadge, dataTable, deleteButton, emptyState, keepFocus, loadError,
  newButton, pageHead, reloadButton, rowButton, skeleton,
} from './widgets.js';

const POOL_STATES = {
  running: { label: 'active', tone: 'ok' },
  inactive: { label: 'inactive', tone: 'off' },
  building: { label: 'building', tone: 'busy' },
  degraded: { label: 'degraded', tone: 'warn' },
  inaccessible: { label: 'inaccessible', tone: 'bad' },
};

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

// What a non-admin may use a pool for ("For new disks and media").
function grantedUses(scope, p) {
  const uses = scope.poolUses(p.name);
  if (!uses.length) return null;
  return h('span', { class: 'cell-sub pool-uses', testid: 'pool-uses', dataset: { use: uses.join(',') }, title: uses.map((u) => POOL_USES[u].text).join(' ') },
    `For ${usesText(uses)}`);
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

// The page's state, passed to every function below: what the address
// selects, what was last loaded, and the nodes that get refilled.
export function mountStorage(root, selected) {
  const page = {
    selected,
    admin: isAdmin(),
    disposed: false,
    scope: null,       // what a non-admin may use each pool for (scope.js)
    pools: [],
    volumes: [],
    el: {
      poolCount: countBadge('pools-count'),
      poolBody: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
      volSection: h('div', { class: 'vol-slot' }),
      taskSlot: h('div', { class: 'task-slot' }),
    },
  };
  root.append(layout(page));
  load(page);
  // Someone else (virsh, another admin) changed a pool: show it.
  const offEvents = onObjectEvent('pool', () => reload(page));
  // A clone or upload that ends may have made (or removed) a volume.
  const offTasks = mountTasks(page.el.taskSlot, { onFinished: () => taskFinished(page) });
  return () => { page.disposed = true; offEvents(); offTasks(); };
}

function layout(page) {
  const { admin, el } = page;
  return h('section', { class: 'view view-storage', testid: 'view-storage' },
    pageHead('disk', 'Storage',
      admin ? 'Storage pools hold the disk images of the guests. Make a pool (a directory, a disk, NFS, LVM or iSCSI), then create, grow and remove its volumes.'
        : 'The storage pools an admin shared with you, and what you may use each for. You can look; only admins can change them.',
      admin ? newButton({ testid: 'pool-new', label: 'New pool', onclick: () => createPool() }) : null),
    card({
      title: ['Pools ', el.poolCount], cls: 'card-flush', body: el.poolBody,
      actions: reloadButton({ testid: 'storage-reload', label: 'Reload the pools', onclick: () => load(page) }),
    }),
    el.volSection,
    el.taskSlot);
}

// ---- loading ----

// Reads the pools, then the selected pool's volumes. `busy` is the button
// whose action caused it, to keep focus there.
async function load(page, busy = null) {
  try {
    const [{ data }, scope] = await Promise.all([api.pools(), page.admin ? null : loadScope()]);
    if (page.disposed) return;
    page.pools = data.pools || [];
    page.scope = scope;
    keepFocus(page.el.poolBody, 'data-pool', () => renderPools(page), busy);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.poolBody).append(loadError('Could not load the storage pools', e, () => load(page)));
    return;
  }
  await loadVolumes(page);
}

// After a change: read everything again, unless the page is gone.
function reload(page, busy = null) {
  if (!page.disposed) load(page, busy);
}

async function loadVolumes(page) {
  const { selected, el } = page;
  const pool = page.pools.find((p) => p.name === selected);
  if (!selected) {
    clear(el.volSection);
    if (page.pools.length) el.volSection.append(h('p', { class: 'storage-hint muted', testid: 'volumes-hint' }, icon('info'), 'Choose a pool to see its volumes.'));
    return;
  }
  if (!pool) {
    clear(el.volSection).append(h('section', { class: 'card' }, emptyState({
      ic: 'search', title: `There is no pool “${selected}”`, testid: 'pool-missing',
      text: page.admin ? 'It may have been deleted.' : 'It may have been deleted, or it is not shared with you.',
      extra: h('a', { class: 'btn', href: poolHref(null) }, 'All pools'),
    })));
    return;
  }
  if (pool.state !== 'running') {
    page.volumes = [];
    renderVolumes(page, pool, emptyState({
      ic: 'disk', title: 'This pool is not active', testid: 'volumes-inactive',
      text: page.admin ? 'Start it to see and manage its volumes.' : 'Its volumes can be listed once an admin starts it.',
    }));
    return;
  }
  try {
    const { data } = await api.volumes(pool.name);
    if (page.disposed) return;
    page.volumes = data.volumes || [];
    keepFocus(el.volSection, 'data-volume', () => renderVolumes(page, pool));
  } catch (e) {
    if (page.disposed) return;
    page.volumes = [];
    renderVolumes(page, pool, loadError('Could not load the volumes', e));
  }
}

// A clone or an upload ended: the header's task drawer says how; here the
// volumes may have changed.
function taskFinished(page) {
  if (!page.disposed) loadVolumes(page);
}

// ---- the pools card ----

function renderPools(page) {
  const { pools, admin, el } = page;
  el.poolCount.textContent = String(pools.length);
  if (!pools.length) {
    // A host's first run: the usual pool in one click (admins).
    clear(el.poolBody).append(emptyState({
      ic: 'disk', title: admin ? 'No storage pools' : 'No storage pools are shared with you', testid: 'pools-empty',
      text: admin ? 'Guests keep their disks and installer images in storage pools.' : 'An admin grants storage pools on the Users page: for new disks of your guests, or for media such as ISO images.',
      extra: admin ? defaultPoolOffer({
        admin, testid: 'storage-default-pool',
        onCreated: (pool) => { toast(`Storage pool ${pool.name} created at ${pool.path}`); navigate(poolHref(pool.name)); },
      }) : null,
    }));
    return;
  }
  clear(el.poolBody).append(dataTable({
    cls: 'pools-table', testid: 'pools-table', caption: 'Storage pools',
    columns: ['Pool', 'State', 'Location', { label: 'Usage', cls: 'col-usage' }, 'Autostart', admin ? ACTIONS : null],
    rows: pools.map((p) => poolRow(page, p)),
  }));
}

function poolRow(page, p) {
  const current = p.name === page.selected;
  return h('tr', { class: current ? 'is-selected' : null, testid: 'pool-row', dataset: { pool: p.name, state: p.state } },
    h('td', { 'data-label': 'Pool' },
      h('a', { class: 'pool-link', href: poolHref(p.name), testid: 'pool-link', 'aria-current': current ? 'true' : null },
        icon('disk'), h('span', { testid: 'pool-name' }, p.name)),
      h('span', { class: 'cell-sub', testid: 'pool-type' }, `${p.type}${p.persistent ? '' : ' · transient'}`),
      page.scope ? grantedUses(page.scope, p) : null),
    h('td', { 'data-label': 'State' }, poolBadge(p.state)),
    h('td', { 'data-label': 'Location' }, p.path ? h('code', { class: 'mono path', testid: 'pool-path' }, p.path) : h('span', { class: 'muted' }, '—'),
      sourceText(p) ? h('span', { class: 'cell-sub mono', testid: 'pool-source' }, sourceText(p)) : null),
    h('td', { 'data-label': 'Usage', class: 'col-usage' }, usage(p)),
    h('td', { 'data-label': 'Autostart' }, autostartCell({
      admin: page.admin, name: p.name, on: p.autostart, testid: 'pool-autostart', title: `Start ${p.name} when libvirtd starts`,
      save: (on) => api.patchPool(p.name, { autostart: on }),
      after: (box) => reload(page, box),
    })),
    page.admin ? h('td', { class: 'col-actions' }, poolActions(page, p)) : null);
}

function poolActions(page, p) {
  const running = p.state === 'running';
  const act = (action, ic, label, extra = {}) => rowButton({
    ic, label, testid: `pool-${action}`, aria: `${label} ${p.name}`, title: `${label} ${p.name}`,
    onclick: (e) => poolAction(page, p, action, e.currentTarget), ...extra,
  });
  return h('div', { class: 'row-actions' },
    running ? act('stop', 'stop', 'Stop') : act('start', 'play', 'Start'),
    act('refresh', 'refresh', 'Refresh', { disabled: !running, title: running ? `Rescan ${p.name} for volumes and sizes` : 'Start the pool first' }),
    deleteButton({ testid: 'pool-delete', label: `Delete the pool ${p.name}`, onclick: () => deletePool(page, p) }));
}

// ---- the volumes card ----

// The volumes of `pool`, or `message` (an empty state) in their place.
function renderVolumes(page, pool, message = null) {
  const canChange = page.admin && pool.state === 'running';
  const buttons = canChange
    ? h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-sm', testid: 'volume-upload', onclick: () => volumesChanged(page, uploadVolume(pool)) }, icon('upload'), 'Upload'),
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', testid: 'volume-new', onclick: () => volumesChanged(page, createVolume(pool, page.volumes)) }, icon('plus'), 'New volume'))
    : null;
  clear(page.el.volSection).append(card({
    cls: 'card-flush', testid: 'volumes-card', titleId: 'volumes-title', ic: 'disk', actions: buttons,
    title: [h('span', { class: 'volumes-title-text' }, 'Volumes in ', h('span', { class: 'mono', testid: 'volumes-pool' }, pool.name)),
      h('span', { class: 'count', testid: 'volumes-count' }, message ? '' : String(page.volumes.length))],
    body: h('div', { class: 'card-body card-body-flush' }, message || volumesTable(page, pool)),
  }));
}

function volumesTable(page, pool) {
  if (!page.volumes.length) {
    return emptyState({
      ic: 'empty', title: 'No volumes yet', testid: 'volumes-empty',
      text: page.admin ? 'Create one for a guest’s disk.' : 'This pool holds no disk images.',
    });
  }
  return dataTable({
    cls: 'volumes-table', testid: 'volumes-table', caption: `Volumes in the pool ${pool.name}`,
    columns: ['Volume', 'Format', { label: 'Capacity', cls: 'num' }, { label: 'Allocation', cls: 'num' }, 'Used by', page.admin ? ACTIONS : null],
    rows: page.volumes.map((v) => volumeRow(page, pool, v)),
  });
}

function volumeRow(page, pool, v) {
  const fmt = v.format || 'unknown';
  const backing = v.backing ? v.backing.split('/').pop() : null;
  return h('tr', { testid: 'volume-row', dataset: { volume: v.name, format: fmt } },
    h('td', { 'data-label': 'Volume' },
      h('span', { class: 'cell-main' }, icon('disk'), h('span', { testid: 'volume-name' }, v.name),
        v.iso ? h('span', { class: 'iso-flag', testid: 'volume-iso', title: 'An ISO 9660 (CD/DVD) image' }, 'ISO') : null),
      backing ? h('span', { class: 'cell-sub', testid: 'volume-backing', title: v.backing }, `backed by ${backing}`) : null,
      h('code', { class: 'cell-sub mono path', testid: 'volume-path' }, v.path)),
    h('td', { 'data-label': 'Format' }, h('span', { class: `fmt fmt-${fmt}`, testid: 'volume-format' }, fmt)),
    h('td', { 'data-label': 'Capacity', class: 'num', testid: 'volume-capacity', title: `${v.capacity} bytes` }, fmtBytes(v.capacity)),
    h('td', { 'data-label': 'Allocation', class: 'num', testid: 'volume-allocation', title: `${v.allocation} bytes` }, fmtBytes(v.allocation)),
    h('td', { 'data-label': 'Used by', testid: 'volume-used-by' }, usedBy(v)),
    // A directory in a pool (an fs pool's lost+found) has no bytes to move.
    page.admin ? h('td', { class: 'col-actions' }, v.type === 'dir' ? null : volumeActions(page, pool, v)) : null);
}

// The guests using a volume: each one's name (a link to its page, or
// "another VM" for one the caller may not see), a dot that is green while it
// runs, and whether it writes to the volume or only reads it (a CD-ROM).
function usedBy(v) {
  const users = v.used_by || [];
  if (!users.length) return h('span', { class: 'muted', testid: 'volume-unused' }, 'Not in use');
  return h('ul', { class: 'used-by' }, users.map((u) => {
    const who = u.name || 'A guest you cannot see';
    const title = `${who} ${u.running ? 'is running' : 'is shut off'} and ${u.writes ? 'writes to this volume' : 'only reads it'}`;
    return h('li', { class: 'used-by-item', testid: 'volume-user', title, dataset: { vm: u.name || '', running: String(!!u.running), writes: String(!!u.writes) } },
      h('span', { class: `used-by-dot${u.running ? ' is-running' : ''}`, 'aria-hidden': 'true' }),
      u.name ? h('a', { class: 'used-by-name', href: vmHref(u.name), testid: 'volume-user-link' }, u.name)
        : h('span', { class: 'used-by-name muted', testid: 'volume-user-hidden' }, 'another VM'),
      h('span', { class: 'sr-only' }, u.running ? ', running,' : ', shut off,'),
      h('span', { class: `use-mode${u.writes ? ' use-mode-rw' : ''}` }, u.writes ? 'writes' : 'read-only'));
  }));
}

// "web1 (running) and another VM", for sentences.
function usersText(users) {
  const names = users.map((u) => `${u.name || 'another VM'}${u.running ? ' (running)' : ''}`);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
}

function volumeActions(page, pool, v) {
  const act = (what, ic, label, title, onclick) => rowButton({ ic, label, testid: `volume-${what}`, aria: `${label} ${v.name}`, title, onclick });
  return h('div', { class: 'row-actions' },
    h('a', {
      class: 'btn btn-sm btn-icon', testid: 'volume-download', href: api.contentHref(pool.name, v.name), download: v.name,
      'aria-label': `Download ${v.name}`, title: `Download ${v.name}`,
    }, icon('download')),
    act('clone', 'clone', 'Clone', `Copy ${v.name} as a new volume`, () => cloneVolume(pool, v, page.pools)),
    act('resize', 'edit', 'Resize', `Resize ${v.name}`, () => volumesChanged(page, resizeVolume(pool, v))),
    v.format === 'raw' ? act('wipe', 'reset', 'Wipe', `Overwrite ${v.name} with zeros`, () => wipeVolume(page, pool, v)) : null,
    deleteButton({ testid: 'volume-delete', label: `Delete ${v.name}`, onclick: () => deleteVolume(page, pool, v) }));
}

// ---- changes ----

// A volume dialog (a promise of "something changed") ended: reload if it did.
async function volumesChanged(page, dialog) {
  if (await dialog) reload(page);
}

async function poolAction(page, p, action, btn) {
  const done = { start: 'started', stop: 'stopped', refresh: 'refreshed' }[action];
  btn.disabled = true;
  btn.classList.add('is-busy');
  await attempt(() => api.poolAction(p.name, action), `${p.name} ${done}`, `Could not ${action} ${p.name}`);
  reload(page, btn);
}

async function createPool() {
  const created = await createPoolDialog();
  if (!created) return;
  toast(`Pool ${created.name} created`);
  navigate(poolHref(created.name));
}

async function deletePool(page, p) {
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
  const deleted = await attempt(() => api.deletePool(p.name, { storage: checked }),
    checked ? `Pool ${p.name} and its directory were deleted` : `Pool ${p.name} was deleted`,
    `Could not delete the pool ${p.name}`);
  if (deleted && page.selected === p.name) navigate(poolHref(null));
  else reload(page);
}

async function wipeVolume(page, pool, v) {
  const { ok } = await confirmDialog({
    title: `Wipe ${v.name}?`,
    body: [`Every byte of ${v.name} (${fmtBytes(v.capacity)}) is overwritten with zeros. Its data cannot be recovered.`],
    confirmLabel: 'Wipe volume',
  });
  if (!ok) return;
  await attempt(() => api.wipeVolume(pool.name, v.name), `${v.name} was wiped`, `Could not wipe ${v.name}`);
  reload(page);
}

// vireod never deletes a volume a guest uses (409): the dialog says so
// beforehand when the list knows it, and the refusal names the guest.
async function deleteVolume(page, pool, v) {
  const users = v.used_by || [];
  const { ok } = await confirmDialog({
    title: `Delete ${v.name}?`,
    body: [`The file ${v.path} is removed with its data.`,
      users.length ? h('p', { class: 'dialog-warn', testid: 'volume-delete-in-use' }, icon('alert'),
        h('span', {}, `${usersText(users)} ${users.length > 1 ? 'use' : 'uses'} it: vireod refuses to delete it until it is detached.`)) : null].filter(Boolean),
    confirmLabel: 'Delete volume',
  });
  if (!ok) return;
  try {
    await api.deleteVolume(pool.name, v.name);
    toast(`${v.name} was deleted`);
  } catch (e) {
    if (e.status !== 409) showError(e, `Could not delete ${v.name}`);
    else {
      showError({ message: `${e.message}. Detach it from that guest first (Storage on the guest’s page), then delete it.`, code: e.code, detail: e.detail, status: e.status },
        `${v.name} is in use`);
    }
  }
  reload(page);
}
