// One guest's page (#/vms/NAME): everything GET /api/vms/NAME tells, the
// lifecycle buttons, delete, its uptime, addresses and graphs
// (stats-graphs.js), and (for operators and admins) the Details form
// (vm-details-form.js) and the device editors (vm-devices.js).

import { api, setVmHost } from './api.js';
import { h, icon, clear, append, fmtBytes, fmtMiB, fmtDate, fmtRelative, dash } from './dom.js';
import { copyText } from './forms.js';
import * as live from './live.js';
import { actionButton, deleteVm } from './actions.js';
import { navigate, vmHref } from './router.js';
import { nextBootMark, stateBadge, stateInfo } from './states.js';
import { statsGraphs } from './stats-graphs.js';
import { fmtUptime } from './units.js';
import { confirmDialog, showError, toast } from './ui.js';
import { canOperate, getUser, roleLabel } from './session.js';
import { ResourcesCard, diskActions, diskHeadActions, nicActions, nicHeadActions } from './vm-devices.js';
import { EditForm } from './vm-details-form.js';
import { consoleHref, consoleLink } from './console-links.js';
import { driverName, hostFeatures, onHost } from './host.js';
import { thumbnail } from './thumbnails.js';
import { EJECT_LABEL, EJECT_TITLE, ejectInstaller, hasInstaller } from './eject-installer.js';
import { card, emptyState, loadError, pendingMark, skeleton } from './widgets.js';
import { snapshotsCard } from './vm-snapshots.js';
import { cloneButton } from './vm-clone.js';
import { loadHosts, migrateButton } from './vm-migrate.js';
import { exportButton } from './vm-export.js';

const DETAIL_ACTIONS = ['start', 'shutdown', 'reboot', 'suspend', 'resume', 'reset', 'poweroff'];
const sig = (s) => JSON.stringify(s);

// The page's state, passed to every function below: the last answer and
// its ETag, the list summary it was fetched for, a fetch under way, and the
// cards. Viewers see everything but get no buttons and no form: the daemon
// would refuse any change (403).
// `host`: the host the address names (#/vms/NAME?host=B), else the one
// vireod resolves the name to; the page's requests then name it.
export function mountDetail(root, name, host) {
  setVmHost(name, host || null);
  const page = {
    name,
    operate: canOperate(),
    vm: null,          // last VM_DETAIL
    etag: null,        // its ETag
    sizes: null,       // disk target -> {capacity, allocation} from GET .../disks (null until read)
    lastSig: null,     // summary signature the detail was fetched for
    lastSnap: null,    // last snapshot from live.js (pending marks)
    fetching: null,
    gone: false,
    disposed: false,
    deviceTimer: null,
    uptime: null,      // {seconds, at}: the last uptime vireod gave, and when it came
    hostInfo: null,    // GET /api/host?host= of the guest's host when it is not vireod's own
  };
  page.graphs = statsGraphs({ kind: 'vm', name, testid: 'vm-graphs', onLatest: (f, info) => onSample(page, info) });
  root.append(layout(page));
  load(page);
  const offLive = live.subscribe((snap) => onSnapshot(page, snap));
  // Device and setting changes leave the list's summary alone: follow this
  // guest's own events, coalesced (a hot-plug raises a few).
  const offDevices = live.onObjectEvent('vm', (d) => onVmEvent(page, d));
  // The host's facts (which consoles its driver has) come after the first
  // screen: draw the head and cards again when they arrive.
  const offHost = onHost(() => {
    if (page.disposed) return;
    placeSnapshots(page);
    if (page.vm) { renderHead(page); renderBody(page); }
  });
  return () => { page.disposed = true; setVmHost(name, null); clearTimeout(page.deviceTimer); offLive(); offDevices(); offHost(); page.graphs.destroy(); page.snapshots.dispose(); };
}

function layout(page) {
  const { name, operate } = page;
  // What the device editors and the Details form need of this page.
  page.devices = {
    name,
    getCurrent: () => ({ vm: page.vm, etag: page.etag }),
    reload: async () => { if (page.fetching) await page.fetching; await load(page); },
    onSaved: (data, newEtag, renamedTo) => {
      if (renamedTo) { navigate(vmHref(renamedTo)); return; }
      setDetail(page, data, newEtag, { force: true });
      live.applyVm(data);
    },
  };
  page.form = operate ? new EditForm(name, {
    getCurrent: page.devices.getCurrent,
    onSaved: (data, newEtag) => { setDetail(page, data, newEtag, { force: true }); live.applyVm(data); },
    onLatest: (data, newEtag) => setDetail(page, data, newEtag, { force: false }),
  }) : null;
  page.resources = operate ? new ResourcesCard(page.devices) : null;
  page.cards = {
    overview: detailCard('Overview', 'server', 'detail-overview'),
    os: detailCard('Operating system', 'cpu', 'detail-os'),
    storage: detailCard('Storage', 'disk', 'detail-disks', { flush: true, cls: 'span-full', actions: operate ? diskHeadActions(page.devices) : null }),
    network: detailCard('Network interfaces', 'net', 'detail-nics', { flush: true, cls: 'span-wide', actions: operate ? nicHeadActions(page.devices) : null }),
    display: detailCard('Display', 'screen', 'detail-graphics', { flush: true }),
    perf: detailCard('Performance', 'activity', 'detail-performance', { cls: 'span-full', actions: page.graphs.controls }),
  };
  page.live = {
    uptime: h('span', { testid: 'detail-uptime' }, '—'),
    addresses: h('span', { class: 'vm-addresses', testid: 'detail-addresses' }, '—'),
  };
  page.cards.perf.body.append(
    h('dl', { class: 'vm-live' },
      h('div', {}, h('dt', {}, 'Uptime'), h('dd', {}, page.live.uptime)),
      h('div', {}, h('dt', {}, 'IP addresses'), h('dd', {}, page.live.addresses))),
    page.graphs.el);
  const c = page.cards;
  page.head = h('div', { class: 'card detail-head' }, skeleton(2));
  page.grid = h('div', { class: 'detail-grid' },
    // Operators get a Resources card: it shares a row with the NICs.
    operate ? [c.overview.el, c.os.el, page.form.el, c.perf.el, page.resources.el, c.network.el, c.storage.el, c.display.el]
      : [c.overview.el, c.os.el, readOnlyCard(), c.perf.el, c.storage.el, c.network.el, c.display.el]);
  page.snapshots = snapshotsCard(name, { operate });
  placeSnapshots(page);
  return h('section', { class: 'view view-detail', testid: 'vm-detail', dataset: { vm: name } },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/', testid: 'back-to-list' }, icon('back'), 'All guests'),
      h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/'),
      h('span', { 'aria-current': 'page' }, name)),
    page.head,
    page.grid);
}

// A card whose body the page refills. Returns {el, body}.
function detailCard(title, ic, testid, { flush = false, cls = '', actions = null } = {}) {
  const body = h('div', { class: flush ? 'card-body card-body-flush' : 'card-body' });
  return { el: card({ title, ic, testid, cls, label: title, actions, body }), body };
}

function readOnlyCard() {
  const role = getUser()?.role || 'viewer';
  return card({
    title: 'View only', ic: 'eye', cls: 'card-readonly', testid: 'detail-readonly', label: 'Your access',
    body: h('div', { class: 'card-body' },
      h('p', {}, `Your role is `, h('strong', {}, roleLabel(role).toLowerCase()),
        ': you can see this guest and follow its state, but not start, stop, edit or delete it.'),
      h('p', { class: 'muted' }, 'An admin can make you an operator if you need to manage it.')),
  });
}

// ---- loading and following ----

// Reads the guest, then its disks' sizes (GET .../disks), which fill in
// the Size column when they come (one fetch at a time: a second caller gets
// the first's promise). Without sizes the page still shows the guest.
function load(page) {
  if (page.fetching) return page.fetching;
  page.fetching = (async () => {
    try {
      const [{ data, etag }, hosts] = await Promise.all([api.getVm(page.name), page.hosts || loadHosts()]);
      if (page.disposed) return;
      page.hosts = hosts;
      page.gone = false;
      if (data.host && hosts.length > 1) setVmHost(page.name, data.host.name);
      setDetail(page, data, etag, { force: false });
      loadHostInfo(page, data.host, hosts);
      const disks = await api.disks(page.name).then(({ data: d }) => d.disks || [], () => null);
      if (disks && !page.disposed && page.vm) {
        page.sizes = new Map(disks.map((d) => [d.target, d]));
        clear(page.cards.storage.body).append(disksTable(page));
      }
    } catch (e) {
      if (!page.disposed) loadFailed(page, e);
    } finally {
      page.fetching = null;
    }
  })();
  return page.fetching;
}

// What the guest's own host offers: another host may run another driver
// (LXC has no screen and no snapshots). Read once per host the page shows.
async function loadHostInfo(page, ref, hosts) {
  const host = ref && hosts.find((x) => x.id === ref.id);
  const want = host && !host.local ? host.name : null;
  if ((page.hostInfo ? page.hostInfo.of : null) === want) return;
  let info = null;
  if (want) {
    try { info = { ...(await api.host(want)).data, of: want }; } catch { return; }
  }
  if (page.disposed) return;
  page.hostInfo = info;
  placeSnapshots(page);
  if (page.vm) { renderHead(page); renderBody(page); }
}

// The features of the guest's host: its own facts, else vireod's host's.
const pageFeatures = (page) => hostFeatures(page.hostInfo || undefined);

// Drivers without snapshots (LXC, Xen...) get no card at all.
function placeSnapshots(page) {
  const el = page.snapshots.el;
  if (!pageFeatures(page).snapshots) el.remove();
  else if (el.parentNode !== page.grid) page.grid.append(el);
}

function loadFailed(page, e) {
  const { name } = page;
  if (e.status === 404) showGone(page);
  else if (!page.vm) clear(page.head).append(loadError(`Could not load “${name}”`, e, () => load(page)));
  else showError(e, `Could not refresh “${name}”`, { key: `detail-${name}` });
}

// New data from the daemon: shown everywhere; the forms follow it unless
// they are being edited (force: our own save).
function setDetail(page, data, etag, { force }) {
  page.vm = data;
  page.etag = etag;
  const s = live.getVm(page.name);
  if (s) page.lastSig = sig(s);
  document.title = `${data.name} · Vireo`;
  renderHead(page);
  renderBody(page);
  page.uptime = typeof data.uptime === 'number' ? { seconds: data.uptime, at: Date.now() } : null;
  renderLive(page);
  if (page.form) page.form.update(data, etag, { force });
  if (page.resources) page.resources.update(data, etag, { force });
  page.snapshots.update(data);
}

function showGone(page) {
  page.gone = true;
  page.vm = null;
  document.title = 'Guest not found · Vireo';
  clear(page.grid);
  clear(page.head).append(emptyState({
    ic: 'search', title: `There is no guest named “${page.name}”`, testid: 'vm-missing',
    text: getUser()?.role === 'admin'
      ? 'It may have been deleted or renamed.'
      : 'It may have been deleted or renamed, or it is not shared with you.',
    extra: h('a', { class: 'btn btn-primary', href: '#/' }, 'Back to all guests'),
  }));
}

// The guest list changed: fetch the detail again when this guest's summary
// moved, else only redraw the head (pending marks).
function onSnapshot(page, snap) {
  page.lastSnap = snap;
  if (!snap.loaded || page.gone) return;
  const s = live.getVm(page.name);
  if (!s) {
    // The list says it is gone; the detail answer decides.
    if (page.vm) load(page);
    return;
  }
  if (!page.vm) return;
  if (sig(s) !== page.lastSig) {
    page.lastSig = sig(s);
    load(page);
  } else {
    renderHead(page);
  }
}

function onVmEvent(page, d) {
  if (d.name !== page.name || page.gone || !['devices', 'edited', 'defined'].includes(d.event)) return;
  clearTimeout(page.deviceTimer);
  page.deviceTimer = setTimeout(() => { if (!page.disposed) load(page); }, 150);
}

// ---- uptime and addresses ----

// A sample of the event stream: this guest's uptime, if it is running.
function onSample(page, info) {
  if (!info.sample || !page.vm) return;
  // The guest of this name on this page's host (a name may be on two).
  const on = page.vm.host ? page.vm.host.id : null;
  const v = (info.sample.vms || []).find((x) => x.name === page.name && (on === null || !x.host || x.host.id === on));
  page.uptime = v && typeof v.uptime === 'number' ? { seconds: v.uptime, at: Date.now() } : page.uptime;
  renderLive(page);
}

function renderLive(page) {
  const { vm, live: el } = page;
  if (!vm) return;
  const running = stateInfo(vm.state).active;
  page.graphs.setRunning(running);
  if (!running) {
    el.uptime.textContent = 'not running';
    el.uptime.title = '';
  } else if (page.uptime) {
    el.uptime.textContent = fmtUptime(page.uptime.seconds + (Date.now() - page.uptime.at) / 1000);
    el.uptime.title = vm.started_at ? `Started ${fmtDate(vm.started_at)}` : '';
  } else {
    el.uptime.textContent = 'unknown';
    el.uptime.title = 'vireod does not know when this guest started (it started before vireod, on another host, or the sampler is off)';
  }
  const addrs = vm.addresses || [];
  // append() takes nodes, not an array (an array would show as "[object HTMLElement]").
  clear(el.addresses).append(...(addrs.length
    ? addrs.map((a) => h('code', { class: 'mono', title: [a.interface, a.mac, a.source].filter(Boolean).join(' · ') }, `${a.address}/${a.prefix}`))
    : [h('span', { class: 'muted' }, running
      ? 'none reported (from DHCP leases of libvirt\'s networks, or the guest agent)'
      : 'none while it is not running')]));
}

// ---- rendering ----

function currentPending(page) {
  return page.lastSnap ? page.lastSnap.pending.get(page.name) || null : null;
}

function renderHead(page) {
  const { vm, operate } = page;
  const pending = currentPending(page);
  const kvm = vm.domain_type === 'kvm';
  // A live update redraws the head: a menu the user opened stays open.
  const open = [...page.head.querySelectorAll('details[open]')].map((d) => d.className);
  append(clear(page.head), [
    h('div', { class: 'detail-title' },
      h('h1', { testid: 'detail-name' }, vm.name),
      stateBadge(vm.state, 'detail-state'),
      pending && pending.label ? pendingMark(pending.label, 'detail-pending') : null,
      nextBootMark(vm, 'detail-next-boot'),
      h('span', { class: `chip chip-${kvm ? 'kvm' : 'tcg'}`, testid: 'detail-domain-type',
        title: kvm ? 'Hardware-accelerated (KVM)' : 'Emulated by QEMU TCG (no hardware virtualization)' },
      kvm ? 'KVM' : 'TCG'),
      vm.persistent === false ? h('span', { class: 'chip', title: 'Transient: libvirt forgets this guest when it stops' }, 'transient') : null,
      vm.host && (page.hosts || []).length > 1 ? h('span', { class: 'chip', testid: 'detail-host', title: 'The libvirt host it is on' }, icon('server'), vm.host.name) : null,
      operate ? null : h('span', { class: 'pill pill-info', testid: 'view-only', title: 'Your role can see this guest but not change it' }, icon('eye'), 'View only')),
    vm.description
      ? h('p', { class: 'detail-desc', testid: 'detail-description' }, vm.description)
      : h('p', { class: 'detail-desc muted', testid: 'detail-description' }, 'No description yet.'),
    operate ? headActions(page, pending) : null]);
  for (const d of page.head.querySelectorAll('details')) if (open.includes(d.className)) d.open = true;
}

function headActions(page, pending) {
  const { vm } = page;
  const kind = consoleKind(page);
  return h('div', { class: 'detail-actions' },
    h('div', { class: 'actions', role: 'group', 'aria-label': `Actions for ${vm.name}` },
      DETAIL_ACTIONS.map((a) => actionButton(vm, a, { pending }))),
    kind ? consoleLink(vm, kind, { label: 'Console', testid: 'action-console' }) : null,
    cloneButton(vm),
    migrateButton(vm, page.hosts),
    exportButton(vm),
    h('button', {
      type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'action-delete', 'aria-label': `Delete ${vm.name}`,
      disabled: !!(pending && pending.inflight),
      onclick: async () => { if (await deleteVm(vm)) navigate('#/'); },
    }, icon('trash'), h('span', { class: 'btn-label' }, 'Delete')));
}

// The console the driver and the VM have: the screen, else the serial line.
function consoleKind(page) {
  const { vm } = page;
  const f = pageFeatures(page);
  if (f.vnc && (vm.graphics || []).length) return 'vnc';
  return f.serial ? 'serial' : null;
}

function renderBody(page) {
  const { vm, cards } = page;
  clear(cards.overview.body).append(kv(overviewRows(vm)));
  clear(cards.os.body).append(kv(osRows(vm)));
  if (page.operate && hasInstaller(vm)) cards.os.body.append(ejectRow(page));
  clear(cards.storage.body).append(disksTable(page));
  clear(cards.network.body).append(nicsTable(page));
  clear(cards.display.body).append(displayBody(page));
}

// The screen and the serial line, reached through vireod's console proxy
// (the display listens on no port of its own).
function displayBody(page) {
  const { vm, operate } = page;
  const f = pageFeatures(page);
  const driver = driverName(page.hostInfo || undefined);
  const screens = f.vnc ? vm.graphics || [] : [];
  if (!f.vnc && !f.serial) {
    return h('div', { class: 'card-body display-body' },
      h('p', { testid: 'detail-display-text' }, `This host's ${driver} driver has no console that Vireo can open.`));
  }
  const live = screens.length && ['running', 'paused', 'blocked'].includes(vm.state);
  // One thumbnail for the page's life: re-rendering moves it, so it keeps
  // its picture and its refresh instead of starting again.
  if (live && !page.thumb) {
    page.thumb = thumbnail(vm.name, { width: 480, cls: 'thumb thumb-detail', alt: `${vm.name}'s screen` });
    page.thumb.dataset.testid = 'detail-thumbnail';
  }
  if (!live) page.thumb = null;
  const picture = live ? (operate
    ? h('a', { class: 'thumb-link', href: consoleHref(vm.name, 'vnc'), target: `vireo-console-${vm.name}-vnc`, rel: 'noopener', title: `Open ${vm.name}'s screen` }, page.thumb)
    : page.thumb) : null;
  return h('div', { class: 'card-body display-body' },
    picture,
    h('p', { testid: 'detail-display-text' }, screens.length
      ? `Screen: ${screens.map((g) => (g.type || '?').toUpperCase()).join(', ')}, through vireod's console (no network port of its own). Serial line: ${vm.name}'s first serial port.`
      : f.vnc ? 'No graphical display: the serial line is the console.'
        : `The ${driver} driver has no graphical display: the serial line is the console.`),
    operate ? h('div', { class: 'display-links' },
      screens.length ? consoleLink(vm, 'vnc', { label: 'Open screen' }) : null,
      consoleLink(vm, 'serial'))
      : h('p', { class: 'muted' }, 'Consoles are for operators and admins: they control the guest.'));
}

function overviewRows(vm) {
  return [
    ['State', stateBadge(vm.state, 'detail-overview-state')],
    ['vCPUs', String(dash(vm.vcpus)), 'detail-vcpus'],
    ['Memory', fmtMiB(vm.memory), 'detail-memory'],
    ['Autostart', vm.autostart ? 'On — starts with the host' : 'Off', 'detail-autostart'],
    ['Tags', (vm.tags || []).length ? h('span', { class: 'tags' }, vm.tags.map((t) => h('span', { class: 'tag' }, t))) : h('span', { class: 'muted' }, 'none'), 'detail-tags'],
    ['UUID', h('span', { class: 'copyable' }, h('code', { class: 'mono' }, dash(vm.uuid)), vm.uuid ? copyButton(vm.uuid, 'UUID') : null), 'detail-uuid'],
    ['Created', vm.created_at ? h('span', { title: vm.created_at }, `${fmtDate(vm.created_at)} (${fmtRelative(vm.created_at)})`) : '—', 'detail-created'],
  ];
}

// The guest OS the definition names (libosinfo metadata, as virt-install
// and Vireo write it), by its name when the catalogue knows it.
function guestOs(o) {
  if (o.name || o.id) return h('span', { title: o.osinfo_id || null }, o.name || o.id, o.id && o.name ? h('span', { class: 'muted' }, ` (${o.id})`) : null);
  if (o.osinfo_id) return h('code', { class: 'mono wrap' }, o.osinfo_id);
  return h('span', { class: 'muted' }, 'not recorded');
}

// A CD-ROM drive still holds a medium: once the OS is installed, one click
// empties the drives and puts the disk first.
function ejectRow(page) {
  const { vm } = page;
  const running = vm.state === 'running' || vm.state === 'paused';
  const button = h('button', {
    type: 'button', class: 'btn btn-sm', testid: 'vm-eject-installer', title: EJECT_TITLE,
    onclick: async () => {
      const { ok } = await confirmDialog({
        title: `Eject the installer from ${vm.name}?`,
        body: [running ? 'The CD-ROM drives are emptied now (the guest sees its tray open), and the disk comes first in the boot order from the next start.'
          : 'The CD-ROM drives are emptied and the disk comes first in the boot order.',
        'Do this once the operating system is installed.'],
        confirmLabel: EJECT_LABEL,
        danger: false,
      });
      if (!ok) return;
      button.disabled = true;
      try {
        const { message } = await ejectInstaller(vm.name, page.etag);
        toast(message);
        await page.devices.reload();
      } catch (e) {
        button.disabled = false;
        showError(e, `Could not eject the installer of ${vm.name}`);
        if (e.status === 412) page.devices.reload();
      }
    },
  }, icon('eject'), EJECT_LABEL);
  return h('div', { class: 'eject-row', testid: 'detail-installer' },
    h('p', { class: 'muted' }, 'A CD-ROM drive still holds an installer image.'), button);
}

function osRows(vm) {
  const o = vm.os || {};
  return [
    ['Guest OS', guestOs(o), 'detail-os-guest'],
    ['Type', `${dash(o.type)}`, 'detail-os-type'],
    ['Architecture', dash(o.arch), 'detail-os-arch'],
    ['Machine', h('code', { class: 'mono' }, dash(o.machine)), 'detail-os-machine'],
    ['Boot order', [(o.boot || []).length
      ? h('ol', { class: 'boot-order' }, o.boot.map((b) => h('li', { class: 'chip' }, bootLabel(b))))
      : h('span', { class: 'muted' }, o.kernel ? 'direct kernel boot' : 'default'),
    vm.next_boot && vm.next_boot.boot ? h('span', { class: 'cell-sub', testid: 'detail-os-next-boot' },
      `From the next start: ${vm.next_boot.boot.map(bootLabel).join(' → ') || 'default'}`) : null], 'detail-os-boot'],
    ['Kernel', o.kernel ? h('code', { class: 'mono wrap' }, o.kernel) : h('span', { class: 'muted' }, 'none (boots from a device)'), 'detail-os-kernel'],
    ['Hypervisor', vm.domain_type === 'kvm' ? 'KVM (hardware)' : 'QEMU TCG (emulation)', 'detail-os-domain-type'],
  ];
}

function disksTable(page) {
  return miniTable([
    ['Device', (d) => h('span', { class: 'dev' }, h('code', { class: 'mono' }, dash(d.target)), h('span', { class: 'muted' }, d.device || ''))],
    ['Bus', (d) => dash(d.bus)],
    ['Format', (d) => dash(d.format)],
    ['Size', (d) => (page.sizes ? diskSize(d, page.sizes.get(d.target)) : null)],
    ['Source', (d) => (d.source ? h('code', { class: 'mono wrap' }, d.source) : h('span', { class: 'muted' }, d.device === 'cdrom' ? 'empty drive' : 'none'))],
    ...(page.operate ? [['Actions', (d) => diskActions(page.devices, d)]] : []),
  ], page.vm.disks, 'detail-disks-table', 'No disks: this guest boots without storage.');
}

function nicsTable(page) {
  return miniTable([
    ['MAC', (n) => h('code', { class: 'mono' }, dash(n.mac))],
    ['Type', (n) => dash(n.type)],
    ['Source', (n) => dash(n.source)],
    ['Model', (n) => dash(n.model)],
    ['Link', (n) => h('span', { class: `chip ${n.link === 'down' ? 'chip-off' : ''}`.trim(), testid: 'nic-link-state' }, n.link || 'up')],
    ...(page.operate ? [['Actions', (n) => nicActions(page.devices, n)]] : []),
  ], page.vm.nics, 'detail-nics-table', 'No network interfaces.');
}

// What the guest sees (capacity) and, below, what it takes on the host.
function diskSize(d, s) {
  if (!s || typeof s.capacity !== 'number') {
    const why = d.source ? 'No storage pool knows this file, so its size is unknown' : null;
    return h('span', { class: 'muted', testid: 'disk-size', title: why }, '—');
  }
  return h('span', { class: 'disk-size', testid: 'disk-size', title: `${s.capacity} bytes; ${s.allocation} bytes taken on the host` },
    h('span', { testid: 'disk-capacity' }, fmtBytes(s.capacity)),
    typeof s.allocation === 'number' ? h('span', { class: 'cell-sub', testid: 'disk-allocation' }, `${fmtBytes(s.allocation)} allocated`) : null);
}

// ---- small pieces ----

// Label / value rows: [label, value, testid of the value].
function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v, testid]) =>
    h('div', { class: 'kv-row' }, h('dt', {}, k), h('dd', { testid }, v))));
}

// The compact table of a detail card: cols are [label, item -> cell].
function miniTable(cols, items, testid, empty) {
  if (!items || items.length === 0) return h('p', { class: 'muted pad', testid: `${testid}-empty` }, empty);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'mini-table', testid },
    h('thead', {}, h('tr', {}, cols.map(([label]) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, items.map((it) => h('tr', { testid: `${testid}-row`, dataset: { key: it.target || it.mac || '' } },
      cols.map(([label, get]) => h('td', { 'data-label': label }, get(it))))))));
}

function bootLabel(b) {
  return { hd: 'Disk', cdrom: 'CD-ROM', network: 'Network (PXE)', fd: 'Floppy' }[b] || b;
}

function copyButton(text, what) {
  return h('button', {
    type: 'button', class: 'btn btn-ghost btn-icon btn-xs', 'aria-label': `Copy ${what}`, title: `Copy ${what}`,
    onclick: () => copyText(text, what),
  }, icon('copy'));
}
