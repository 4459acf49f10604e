// #/networks: libvirt's virtual networks (mode, state, bridge, addresses with
// their DHCP ranges, autostart) and, for the network in the address
// (#/networks/NET), its DHCP leases. Everyone signed in may look; only admins
// get the buttons that change anything (vireod answers 403 to anyone else anyway).

import { api } from './api.js';
import { onObjectEvent } from './live.js';
import { h, icon, clear } from './dom.js';
import { createNetworkDialog, MODES } from './network-create.js';
import { navigate, networkHref } from './router.js';
import { isAdmin } from './session.js';
import { attempt, confirmDialog, toast } from './ui.js';
import {
  ACTIONS, autostartCell, badge, card, countBadge, dataTable, deleteButton, emptyState, keepFocus, loadError,
  newButton, pageHead, reloadButton, rowButton, skeleton,
} from './widgets.js';

function stateBadge(active) {
  const state = active ? 'active' : 'inactive';
  return badge({ tone: active ? 'ok' : 'off', label: state, state, testid: 'network-state' });
}

function modeBadge(mode) {
  const m = mode || 'unknown';
  return h('span', { class: `fmt net-mode net-mode-${MODES[m] ? m : 'other'}`, testid: 'network-mode' }, m);
}

// One address of a network: "10.1.2.1/24" and, under it, "DHCP 10.1.2.100 – 10.1.2.200".
function address(ip) {
  return h('div', { class: 'net-ip', testid: 'network-ip', dataset: { family: ip.family } },
    h('span', { class: 'net-ip-family', 'aria-hidden': 'true' }, ip.family === 'ipv6' ? 'v6' : 'v4'),
    h('span', { class: 'net-ip-text' },
      h('code', { class: 'mono', testid: 'network-address' }, ip.address),
      ip.dhcp
        ? h('span', { class: 'cell-sub', testid: 'network-dhcp' }, `DHCP ${ip.dhcp.start} – ${ip.dhcp.end}`)
        : h('span', { class: 'cell-sub', testid: 'network-nodhcp' }, 'No DHCP')));
}

function fmtExpiry(iso) {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// The page's state, passed to every function below: the network in the
// address, what was last loaded, and the nodes that get refilled.
export function mountNetworks(root, selected) {
  const page = {
    selected,
    admin: isAdmin(),
    disposed: false,
    networks: [],
    el: {
      count: countBadge('networks-count'),
      body: h('div', { class: 'card-body card-body-flush' }, skeleton(2)),
      leaseSection: h('div', { class: 'vol-slot' }),
    },
  };
  root.append(layout(page));
  load(page);
  // Someone else (virsh, another admin) changed a network: show it.
  const offEvents = onObjectEvent('network', () => reload(page));
  return () => { page.disposed = true; offEvents(); };
}

function layout(page) {
  const { admin, el } = page;
  return h('section', { class: 'view view-networks', testid: 'view-networks' },
    pageHead('net', 'Networks',
      admin ? 'Virtual networks connect the guests to each other and to this host. Create one, start or stop it, and see who got an address.'
        : 'The virtual networks an admin shared with you: your guests’ network cards can go on these. You can look; only admins can change them.',
      admin ? newButton({ testid: 'network-new', label: 'New network', onclick: () => createNetwork() }) : null),
    card({
      title: ['Networks ', el.count], cls: 'card-flush', body: el.body,
      actions: reloadButton({ testid: 'networks-reload', label: 'Reload the networks', onclick: () => load(page) }),
    }),
    el.leaseSection);
}

// Reads the networks (with their leases). `busy` is the button whose action
// caused it, to keep focus there.
async function load(page, busy = null) {
  try {
    const { data } = await api.networks();
    if (page.disposed) return;
    page.networks = data.networks || [];
    keepFocus(page.el.body, 'data-network', () => render(page), busy);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.body).append(loadError('Could not load the networks', e, () => load(page)));
    return;
  }
  renderLeases(page);
}

// After a change: read everything again, unless the page is gone.
function reload(page, busy = null) {
  if (!page.disposed) load(page, busy);
}

// ---- the networks card ----

function render(page) {
  const { networks, admin, el } = page;
  el.count.textContent = String(networks.length);
  if (!networks.length) {
    clear(el.body).append(emptyState({
      ic: 'net', title: admin ? 'No networks' : 'No networks are shared with you', testid: 'networks-empty',
      text: admin ? 'Create an isolated or NAT network for the guests.' : 'An admin grants networks on the Users page; until then your guests have none to join.',
    }));
    return;
  }
  clear(el.body).append(dataTable({
    cls: 'pools-table networks-table', testid: 'networks-table', caption: 'Virtual networks',
    columns: ['Network', 'State', 'Bridge', { label: 'Addresses', cls: 'col-ips' }, 'Autostart', admin ? ACTIONS : null],
    rows: networks.map((n) => row(page, n)),
  }));
}

function row(page, n) {
  const current = n.name === page.selected;
  const ips = n.ips || [];
  const leases = (n.leases || []).length;
  return h('tr', { class: current ? 'is-selected' : null, testid: 'network-row', dataset: { network: n.name, state: n.active ? 'active' : 'inactive' } },
    h('td', { 'data-label': 'Network' },
      h('a', { class: 'pool-link', href: networkHref(current ? null : n.name), testid: 'network-link', 'aria-current': current ? 'true' : null,
        title: current ? 'Hide the leases' : `Show the DHCP leases of ${n.name}` },
      icon('net'), h('span', { testid: 'network-name' }, n.name)),
      h('span', { class: 'cell-sub net-sub' }, modeBadge(n.mode),
        n.persistent ? null : h('span', {}, 'transient'),
        n.active && leases ? h('span', { testid: 'network-lease-count' }, `${leases} lease${leases === 1 ? '' : 's'}`) : null)),
    h('td', { 'data-label': 'State' }, stateBadge(n.active)),
    h('td', { 'data-label': 'Bridge' }, n.bridge ? h('code', { class: 'mono path', testid: 'network-bridge' }, n.bridge) : h('span', { class: 'muted' }, '—')),
    h('td', { 'data-label': 'Addresses', class: 'col-ips' }, ips.length
      ? h('div', { class: 'net-ips' }, ips.map(address))
      : h('span', { class: 'muted', testid: 'network-noip' }, n.mode === 'bridge' ? 'Set by the host bridge' : 'None')),
    h('td', { 'data-label': 'Autostart' }, autostartCell({
      admin: page.admin, name: n.name, on: n.autostart, testid: 'network-autostart', disabled: !n.persistent,
      title: n.persistent ? `Start ${n.name} when libvirtd starts` : 'A transient network cannot autostart',
      save: (on) => api.patchNetwork(n.name, { autostart: on }),
      after: (box) => reload(page, box),
    })),
    page.admin ? h('td', { class: 'col-actions' }, rowActions(page, n)) : null);
}

function rowActions(page, n) {
  const act = (action, ic, label) => rowButton({
    ic, label, testid: `network-${action}`, aria: `${label} ${n.name}`, title: `${label} ${n.name}`,
    onclick: (e) => netAction(page, n, action, e.currentTarget),
  });
  return h('div', { class: 'row-actions' },
    n.active ? act('stop', 'stop', 'Stop') : act('start', 'play', 'Start'),
    deleteButton({ testid: 'network-delete', label: `Delete the network ${n.name}`, onclick: () => deleteNetwork(page, n) }));
}

// ---- the leases card ----

function renderLeases(page) {
  const { selected, el } = page;
  clear(el.leaseSection);
  if (!selected) {
    if (page.networks.length) el.leaseSection.append(h('p', { class: 'storage-hint muted', testid: 'leases-hint' }, icon('info'), 'Choose a network to see its DHCP leases.'));
    return;
  }
  const n = page.networks.find((x) => x.name === selected);
  if (!n) {
    el.leaseSection.append(h('section', { class: 'card' }, emptyState({
      ic: 'search', title: `There is no network “${selected}”`, testid: 'network-missing',
      text: page.admin ? 'It may have been deleted.' : 'It may have been deleted, or it is not shared with you.',
      extra: h('a', { class: 'btn', href: networkHref(null) }, 'All networks'),
    })));
    return;
  }
  el.leaseSection.append(card({
    cls: 'card-flush', testid: 'leases-card', titleId: 'leases-title', ic: 'net',
    title: [h('span', { class: 'volumes-title-text' }, 'DHCP leases on ', h('span', { class: 'mono', testid: 'leases-network' }, n.name)),
      h('span', { class: 'count', testid: 'leases-count' }, n.active ? String((n.leases || []).length) : '')],
    body: h('div', { class: 'card-body card-body-flush' }, leasesContent(n)),
  }));
}

function leasesContent(n) {
  const leases = n.leases || [];
  if (!n.active) {
    return emptyState({ ic: 'net', title: 'This network is not active', testid: 'leases-inactive', text: 'Its DHCP server hands out addresses once it is started.' });
  }
  if (!leases.length) {
    const dhcp = (n.ips || []).some((ip) => ip.dhcp);
    return emptyState({
      ic: 'empty', title: 'No DHCP leases', testid: 'leases-empty',
      text: dhcp ? 'No guest on this network has asked for an address yet.' : 'This network has no DHCP range, so it hands out no addresses.',
    });
  }
  return dataTable({
    cls: 'leases-table', testid: 'leases-table', caption: `DHCP leases on ${n.name}`,
    columns: ['Address', 'MAC', 'Host name', 'Expires'],
    rows: leases.map((l) => h('tr', { testid: 'lease-row' },
      h('td', { 'data-label': 'Address' }, h('code', { class: 'mono' }, l.ip || '—')),
      h('td', { 'data-label': 'MAC' }, h('code', { class: 'mono' }, l.mac || '—')),
      h('td', { 'data-label': 'Host name' }, l.hostname || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Expires' }, fmtExpiry(l.expires)))),
  });
}

// ---- changes ----

async function netAction(page, n, action, btn) {
  btn.disabled = true;
  btn.classList.add('is-busy');
  await attempt(() => api.networkAction(n.name, action), `${n.name} ${action === 'start' ? 'started' : 'stopped'}`, `Could not ${action} ${n.name}`);
  reload(page, btn);
}

async function deleteNetwork(page, n) {
  const { ok } = await confirmDialog({
    title: `Delete the network ${n.name}?`,
    body: [
      n.active ? 'The network is stopped and libvirt forgets it.' : 'libvirt forgets the network.',
      'Guests with an interface on it lose that connection and will not start until it is changed.',
    ],
    confirmLabel: 'Delete network',
  });
  if (!ok) return;
  const deleted = await attempt(() => api.deleteNetwork(n.name), `Network ${n.name} was deleted`, `Could not delete the network ${n.name}`);
  if (deleted && page.selected === n.name) navigate(networkHref(null));
  else reload(page);
}

async function createNetwork() {
  const created = await createNetworkDialog();
  if (!created) return;
  toast(`Network ${created.name} created`);
  navigate(networkHref(created.name));
}
