// #/networks: libvirt's virtual networks (mode, state, bridge, addresses with
// their DHCP ranges, autostart) and, for the network in the address
// (#/networks/NET), its DHCP leases. Everyone signed in may look; only admins
// get the buttons that change anything (vireod answers 403 to anyone else anyway).

import { api } from './api.js';
import { onObjectEvent } from './live.js';
import { h, icon, clear, uid } from './dom.js';
import { field, formDialog, FormError } from './forms.js';
import { checkName } from './names.js';
import { navigate, networkHref } from './router.js';
import { isAdmin } from './session.js';
import { confirmDialog, showError, toast } from './ui.js';
import { badge, keepFocus, pageHead } from './widgets.js';

const MODES = {
  isolated: 'Isolated: guests reach each other and this host only',
  nat: 'NAT: guests reach out through this host’s address',
  routed: 'Routed: this host routes the guests’ subnet',
  bridge: 'Bridge: guests join an existing host bridge',
};
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

export function mountNetworks(root, selected) {
  let disposed = false;
  let networks = [];
  const admin = isAdmin();

  const count = h('span', { class: 'count', testid: 'networks-count' });
  const body = h('div', { class: 'card-body card-body-flush' });
  const leaseSection = h('div', { class: 'vol-slot' });
  const newNet = admin ? h('button', { type: 'button', class: 'btn btn-primary', testid: 'network-new', onclick: () => createNetwork() },
    icon('plus'), 'New network') : null;
  const reload = h('button', {
    type: 'button', class: 'btn btn-ghost btn-icon', testid: 'networks-reload', 'aria-label': 'Reload the networks', title: 'Reload',
    onclick: () => load(),
  }, icon('refresh'));

  root.append(h('section', { class: 'view view-networks', testid: 'view-networks' },
    pageHead('net', 'Networks',
      admin ? 'Virtual networks connect the guests to each other and to this host. Create one, start or stop it, and see who got an address.'
        : 'Virtual networks connect the guests to each other and to this host. You can look; only admins can change them.',
      newNet),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Networks ', count), reload),
      body),
    leaseSection));

  async function load(busy = null) {
    try {
      const { data } = await api.networks();
      if (disposed) return;
      networks = data.networks || [];
      keepFocus(body, 'data-network', render, busy);
    } catch (e) {
      if (disposed) return;
      clear(body).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'),
        h('h2', {}, 'Could not load the networks'), h('p', {}, e.message),
        h('button', { type: 'button', class: 'btn', onclick: () => load() }, 'Try again')));
      return;
    }
    renderLeases();
  }

  function render() {
    count.textContent = String(networks.length);
    if (!networks.length) {
      clear(body).append(h('div', { class: 'empty', testid: 'networks-empty' }, icon('net', 'icon empty-icon'),
        h('h2', {}, 'No networks'),
        h('p', {}, admin ? 'Create an isolated or NAT network for the guests.' : 'An admin has not set up any networks yet.')));
      return;
    }
    clear(body).append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table pools-table networks-table', testid: 'networks-table' },
      h('caption', { class: 'sr-only' }, 'Virtual networks'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Network'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Bridge'),
        h('th', { scope: 'col', class: 'col-ips' }, 'Addresses'),
        h('th', { scope: 'col' }, 'Autostart'),
        admin ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
      h('tbody', {}, networks.map(row)))));
  }

  function row(n) {
    const current = n.name === selected;
    let auto;
    if (admin) {
      const id = uid('net-auto');
      const box = h('input', {
        type: 'checkbox', class: 'switch-input', id, testid: 'network-autostart', checked: n.autostart,
        disabled: !n.persistent, onchange: () => setAutostart(n, box),
      });
      auto = h('label', { class: 'switch switch-quiet', for: id, title: n.persistent ? `Start ${n.name} when libvirtd starts` : 'A transient network cannot autostart' },
        box, h('span', { class: 'switch-track', 'aria-hidden': 'true' }),
        h('span', { class: 'sr-only' }, `Autostart ${n.name}`),
        h('span', { class: 'switch-text', 'aria-hidden': 'true' }, n.autostart ? 'On' : 'Off'));
    } else {
      auto = h('span', { class: n.autostart ? 'flag flag-on' : 'muted', testid: 'network-autostart-text' }, n.autostart ? 'On' : 'Off');
    }
    const act = (action, ic, label) => h('button', {
      type: 'button', class: 'btn btn-sm', testid: `network-${action}`, 'aria-label': `${label} ${n.name}`, title: `${label} ${n.name}`,
      onclick: (e) => netAction(n, action, e.currentTarget),
    }, icon(ic), h('span', { class: 'btn-label' }, label));
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
      h('td', { 'data-label': 'Autostart' }, auto),
      admin ? h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' },
        n.active ? act('stop', 'stop', 'Stop') : act('start', 'play', 'Start'),
        h('button', {
          type: 'button', class: 'btn btn-sm btn-icon btn-danger-outline', testid: 'network-delete',
          'aria-label': `Delete the network ${n.name}`, title: `Delete the network ${n.name}`, onclick: () => deleteNetwork(n),
        }, icon('trash')))) : null);
  }

  function renderLeases() {
    clear(leaseSection);
    if (!selected) {
      if (networks.length) leaseSection.append(h('p', { class: 'storage-hint muted', testid: 'leases-hint' }, icon('info'), 'Choose a network to see its DHCP leases.'));
      return;
    }
    const n = networks.find((x) => x.name === selected);
    if (!n) {
      leaseSection.append(h('section', { class: 'card' }, h('div', { class: 'empty', testid: 'network-missing' },
        icon('search', 'icon empty-icon'), h('h2', {}, `There is no network “${selected}”`),
        h('p', {}, 'It may have been deleted.'), h('a', { class: 'btn', href: networkHref(null) }, 'All networks'))));
      return;
    }
    const leases = n.leases || [];
    const dhcp = (n.ips || []).some((ip) => ip.dhcp);
    let content;
    if (!n.active) {
      content = h('div', { class: 'empty', testid: 'leases-inactive' }, icon('net', 'icon empty-icon'),
        h('h2', {}, 'This network is not active'),
        h('p', {}, 'Its DHCP server hands out addresses once it is started.'));
    } else if (!leases.length) {
      content = h('div', { class: 'empty', testid: 'leases-empty' }, icon('empty', 'icon empty-icon'),
        h('h2', {}, 'No DHCP leases'),
        h('p', {}, dhcp ? 'No guest on this network has asked for an address yet.' : 'This network has no DHCP range, so it hands out no addresses.'));
    } else {
      content = h('div', { class: 'table-wrap' }, h('table', { class: 'data-table leases-table', testid: 'leases-table' },
        h('caption', { class: 'sr-only' }, `DHCP leases on ${n.name}`),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Address'),
          h('th', { scope: 'col' }, 'MAC'),
          h('th', { scope: 'col' }, 'Host name'),
          h('th', { scope: 'col' }, 'Expires'))),
        h('tbody', {}, leases.map((l) => h('tr', { testid: 'lease-row' },
          h('td', { 'data-label': 'Address' }, h('code', { class: 'mono' }, l.ip || '—')),
          h('td', { 'data-label': 'MAC' }, h('code', { class: 'mono' }, l.mac || '—')),
          h('td', { 'data-label': 'Host name' }, l.hostname || h('span', { class: 'muted' }, '—')),
          h('td', { 'data-label': 'Expires' }, fmtExpiry(l.expires)))))));
    }
    leaseSection.append(h('section', { class: 'card card-flush', testid: 'leases-card', 'aria-labelledby': 'leases-title' },
      h('div', { class: 'card-head' },
        h('h2', { class: 'card-title', id: 'leases-title' }, icon('net'),
          h('span', { class: 'volumes-title-text' }, 'DHCP leases on ', h('span', { class: 'mono', testid: 'leases-network' }, n.name)),
          h('span', { class: 'count', testid: 'leases-count' }, n.active ? String(leases.length) : ''))),
      h('div', { class: 'card-body card-body-flush' }, content)));
  }

  // ---- changes ----

  async function setAutostart(n, box) {
    box.disabled = true;
    try {
      await api.patchNetwork(n.name, { autostart: box.checked });
      toast(box.checked ? `${n.name} now starts with libvirtd` : `${n.name} no longer starts with libvirtd`);
    } catch (e) {
      box.checked = !box.checked;
      showError(e, `Could not change the autostart of ${n.name}`);
    }
    if (!disposed) load(box);
  }

  async function netAction(n, action, btn) {
    btn.disabled = true;
    btn.classList.add('is-busy');
    try {
      await api.networkAction(n.name, action);
      toast(`${n.name} ${action === 'start' ? 'started' : 'stopped'}`);
    } catch (e) {
      showError(e, `Could not ${action} ${n.name}`);
    }
    if (!disposed) load(btn);
  }

  async function deleteNetwork(n) {
    const { ok } = await confirmDialog({
      title: `Delete the network ${n.name}?`,
      body: [
        n.active ? 'The network is stopped and libvirt forgets it.' : 'libvirt forgets the network.',
        'Guests with an interface on it lose that connection and will not start until it is changed.',
      ],
      confirmLabel: 'Delete network',
    });
    if (!ok) return;
    try {
      await api.deleteNetwork(n.name);
      toast(`Network ${n.name} was deleted`);
      if (selected === n.name) { navigate(networkHref(null)); return; }
    } catch (e) {
      showError(e, `Could not delete the network ${n.name}`);
    }
    if (!disposed) load();
  }

  // The fields of one address family: "address/prefix" and an optional DHCP range.
  function ipFields(family, { placeholder, start, end }) {
    const v6 = family === 'ipv6';
    const addr = h('input', {
      class: 'input mono', type: 'text', testid: `new-network-${family}`, autocomplete: 'off', spellcheck: 'false', maxlength: '64',
      placeholder,
    });
    const dhcpId = uid(`new-net-dhcp-${family}`);
    const dhcp = h('input', { type: 'checkbox', class: 'switch-input', id: dhcpId, testid: `new-network-${family}-dhcp` });
    const from = h('input', { class: 'input mono', type: 'text', testid: `new-network-${family}-dhcp-start`, autocomplete: 'off', spellcheck: 'false', maxlength: '64', placeholder: start, 'aria-label': `${v6 ? 'IPv6' : 'IPv4'} DHCP range: first address` });
    const to = h('input', { class: 'input mono', type: 'text', testid: `new-network-${family}-dhcp-end`, autocomplete: 'off', spellcheck: 'false', maxlength: '64', placeholder: end, 'aria-label': `${v6 ? 'IPv6' : 'IPv4'} DHCP range: last address` });
    const range = h('div', { class: 'net-range' }, from, h('span', { class: 'muted', 'aria-hidden': 'true' }, '–'), to);
    const sync = () => { range.hidden = !dhcp.checked; };
    dhcp.addEventListener('change', sync);
    sync();
    const box = h('div', { class: 'net-family' },
      field({ label: v6 ? 'IPv6 address / prefix' : 'IPv4 address / prefix', control: addr,
        hint: v6 ? 'Optional, e.g. fd00:214::1/64.' : 'This host’s address on the network, e.g. 10.0.5.1/24.' }),
      h('div', { class: 'field' }, h('label', { class: 'switch', for: dhcpId }, dhcp,
        h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, v6 ? 'DHCPv6 range' : 'DHCP range'))),
      range);
    const value = () => {
      const a = addr.value.trim();
      if (!a) {
        if (dhcp.checked) throw new FormError(`Give the ${v6 ? 'IPv6' : 'IPv4'} address before its DHCP range.`);
        return null;
      }
      const out = { address: a };
      if (dhcp.checked) {
        if (!from.value.trim() || !to.value.trim()) throw new FormError('Give the first and the last address of the DHCP range.');
        out.dhcp = { start: from.value.trim(), end: to.value.trim() };
      }
      return out;
    };
    return { box, value };
  }

  async function createNetwork() {
    const name = h('input', {
      class: 'input', type: 'text', testid: 'new-network-name', autocomplete: 'off', spellcheck: 'false', maxlength: '64',
      required: true, placeholder: 'e.g. lab1',
    });
    const mode = h('select', { class: 'input select', testid: 'new-network-mode' },
      Object.entries(MODES).map(([k, v]) => h('option', { value: k }, v)));
    const bridge = h('input', {
      class: 'input mono', type: 'text', testid: 'new-network-bridge', autocomplete: 'off', spellcheck: 'false', maxlength: '15',
      placeholder: 'e.g. br0',
    });
    const bridgeHint = h('span', { class: 'field-hint' });
    const bridgeField = field({ label: 'Bridge', control: bridge, hint: bridgeHint });
    const bridgeLabel = bridgeField.querySelector('label');
    const v4 = ipFields('ipv4', { placeholder: '10.0.5.1/24', start: '10.0.5.100', end: '10.0.5.200' });
    const v6 = ipFields('ipv6', { placeholder: 'fd00:5::1/64', start: 'fd00:5::100', end: 'fd00:5::1ff' });
    const v6Id = uid('new-net-v6');
    const v6On = h('input', { type: 'checkbox', class: 'switch-input', id: v6Id, testid: 'new-network-ipv6-on' });
    const autoId = uid('new-net-auto');
    const auto = h('input', { type: 'checkbox', class: 'switch-input', id: autoId, testid: 'new-network-autostart', checked: true });
    const startId = uid('new-net-start');
    const start = h('input', { type: 'checkbox', class: 'switch-input', id: startId, testid: 'new-network-start', checked: true });
    const addrBox = h('div', { class: 'net-addresses' }, v4.box,
      h('div', { class: 'field' }, h('label', { class: 'switch', for: v6Id }, v6On,
        h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Also IPv6'))),
      v6.box);
    const sync = () => {
      const isBridge = mode.value === 'bridge';
      bridgeLabel.textContent = isBridge ? 'Host bridge' : 'Bridge name (optional)';
      bridgeHint.textContent = isBridge ? 'An existing bridge on this host, such as br0; libvirt does not make it.'
        : 'The bridge libvirt makes for the network: 1–15 letters, digits, “_”, “-” or “.”. Left empty, libvirt picks one (virbrN).';
      bridge.required = isBridge;
      bridge.placeholder = isBridge ? 'e.g. br0' : 'e.g. virbr-lab';
      addrBox.hidden = isBridge;
      v6.box.hidden = !v6On.checked;
    };
    mode.addEventListener('change', sync);
    v6On.addEventListener('change', sync);
    sync();
    const created = await formDialog({
      title: 'New network',
      intro: 'Guests on an isolated network reach only each other and this host. With a DHCP range, libvirt hands them their addresses.',
      testid: 'new-network-dialog',
      submitLabel: 'Create network',
      content: [
        field({ label: 'Name', control: name }),
        field({ label: 'Mode', control: mode }),
        bridgeField,
        addrBox,
        h('div', { class: 'field net-switches' },
          h('label', { class: 'switch', for: autoId }, auto,
            h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Start with libvirtd (autostart)')),
          h('label', { class: 'switch', for: startId }, start,
            h('span', { class: 'switch-track', 'aria-hidden': 'true' }), h('span', {}, 'Start it now'))),
      ],
      submit: async () => {
        const n = checkName('network', name.value);
        const req = { name: n, mode: mode.value, autostart: auto.checked, start: start.checked };
        const b = bridge.value.trim();
        if (b) req.bridge = b;
        if (mode.value === 'bridge') {
          if (!b) throw new FormError('Give the name of the host bridge, such as br0.');
        } else {
          const a4 = v4.value();
          const a6 = v6On.checked ? v6.value() : null;
          if (a4) req.ipv4 = a4;
          if (a6) req.ipv6 = a6;
        }
        const { data } = await api.createNetwork(req);
        return data;
      },
    });
    if (!created) return;
    toast(`Network ${created.name} created`);
    navigate(networkHref(created.name));
  }

  clear(body).append(h('div', { class: 'skeleton' }, h('span'), h('span')));
  load();
  // Someone else (virsh, another admin) changed a network: show it.
  const offEvents = onObjectEvent('network', () => { if (!disposed) load(); });
  return () => { disposed = true; offEvents(); };
}
