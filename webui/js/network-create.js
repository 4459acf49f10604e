// The "New network" dialog of the Networks page: a name, a mode, a bridge,
// and (except in bridge mode) an IPv4 and optionally an IPv6 address, each
// with an optional DHCP range. vireod answers the final word; its 400s (a bad
// address) and 409s (a name taken, a subnet overlapping another network's)
// show in the dialog.

import { api } from './api.js';
import { h } from './dom.js';
import { field, formDialog, selectInput, switchInput, textInput, FormError } from './forms.js';
import { checkName } from './names.js';

export const MODES = {
  isolated: 'Isolated: guests reach each other and this host only',
  nat: 'NAT: guests reach out through this host’s address',
  routed: 'Routed: this host routes the guests’ subnet',
  bridge: 'Bridge: guests join an existing host bridge',
};

const addressInput = (testid, placeholder, props = {}) => textInput({ class: 'input mono', testid, maxlength: '64', placeholder, ...props });

// Resolves to the created network, or null when the dialog was cancelled.
export function createNetworkDialog() {
  const c = controls();
  const sync = () => {
    const isBridge = c.mode.value === 'bridge';
    c.bridgeLabel.textContent = isBridge ? 'Host bridge' : 'Bridge name (optional)';
    c.bridgeHint.textContent = isBridge ? 'An existing bridge on this host, such as br0; libvirt does not make it.'
      : 'The bridge libvirt makes for the network: 1–15 letters, digits, “_”, “-” or “.”. Left empty, libvirt picks one (virbrN).';
    c.bridge.required = isBridge;
    c.bridge.placeholder = isBridge ? 'e.g. br0' : 'e.g. virbr-lab';
    c.addresses.hidden = isBridge;
    c.v6.box.hidden = !c.v6On.input.checked;
  };
  c.mode.addEventListener('change', sync);
  c.v6On.input.addEventListener('change', sync);
  sync();
  return formDialog({
    title: 'New network',
    intro: 'Guests on an isolated network reach only each other and this host. With a DHCP range, libvirt hands them their addresses.',
    testid: 'new-network-dialog',
    submitLabel: 'Create network',
    content: [
      field({ label: 'Name', control: c.name }),
      field({ label: 'Mode', control: c.mode }),
      c.bridgeField,
      c.addresses,
      h('div', { class: 'field net-switches' }, c.autostart.el, c.start.el),
    ],
    submit: async () => (await api.createNetwork(networkBody(c))).data,
  });
}

function controls() {
  const bridge = textInput({ class: 'input mono', testid: 'new-network-bridge', maxlength: '15', placeholder: 'e.g. br0' });
  const bridgeHint = h('span', { class: 'field-hint' });
  const bridgeField = field({ label: 'Bridge', control: bridge, hint: bridgeHint });
  const v4 = ipFields('ipv4', { placeholder: '10.0.5.1/24', start: '10.0.5.100', end: '10.0.5.200' });
  const v6 = ipFields('ipv6', { placeholder: 'fd00:5::1/64', start: 'fd00:5::100', end: 'fd00:5::1ff' });
  const v6On = switchInput({ testid: 'new-network-ipv6-on', label: 'Also IPv6' });
  return {
    name: textInput({ testid: 'new-network-name', maxlength: '64', required: true, placeholder: 'e.g. lab1' }),
    mode: selectInput({ testid: 'new-network-mode', options: Object.entries(MODES) }),
    bridge, bridgeHint, bridgeField,
    bridgeLabel: bridgeField.querySelector('label'),
    v4, v6, v6On,
    addresses: h('div', { class: 'net-addresses' }, v4.box, h('div', { class: 'field' }, v6On.el), v6.box),
    autostart: switchInput({ testid: 'new-network-autostart', label: 'Start with libvirtd (autostart)', checked: true }),
    start: switchInput({ testid: 'new-network-start', label: 'Start it now', checked: true }),
  };
}

// The POST /api/networks body the controls describe; throws a FormError on
// what the form can tell is wrong.
function networkBody(c) {
  const req = { name: checkName('network', c.name.value), mode: c.mode.value, autostart: c.autostart.input.checked, start: c.start.input.checked };
  const b = c.bridge.value.trim();
  if (b) req.bridge = b;
  if (c.mode.value === 'bridge') {
    if (!b) throw new FormError('Give the name of the host bridge, such as br0.');
  } else {
    const a4 = c.v4.value();
    const a6 = c.v6On.input.checked ? c.v6.value() : null;
    if (a4) req.ipv4 = a4;
    if (a6) req.ipv6 = a6;
  }
  return req;
}

// The fields of one address family: "address/prefix" and an optional DHCP
// range. Returns {box, value()}: value() is null when no address is given.
function ipFields(family, { placeholder, start, end }) {
  const v6 = family === 'ipv6';
  const ip = v6 ? 'IPv6' : 'IPv4';
  const addr = addressInput(`new-network-${family}`, placeholder);
  const dhcp = switchInput({ testid: `new-network-${family}-dhcp`, label: v6 ? 'DHCPv6 range' : 'DHCP range' });
  const from = addressInput(`new-network-${family}-dhcp-start`, start, { 'aria-label': `${ip} DHCP range: first address` });
  const to = addressInput(`new-network-${family}-dhcp-end`, end, { 'aria-label': `${ip} DHCP range: last address` });
  const range = h('div', { class: 'net-range' }, from, h('span', { class: 'muted', 'aria-hidden': 'true' }, '–'), to);
  const sync = () => { range.hidden = !dhcp.input.checked; };
  dhcp.input.addEventListener('change', sync);
  sync();
  const box = h('div', { class: 'net-family' },
    field({ label: `${ip} address / prefix`, control: addr,
      hint: v6 ? 'Optional, e.g. fd00:214::1/64.' : 'This host’s address on the network, e.g. 10.0.5.1/24.' }),
    h('div', { class: 'field' }, dhcp.el),
    range);
  const value = () => {
    const a = addr.value.trim();
    if (!a) {
      if (dhcp.input.checked) throw new FormError(`Give the ${ip} address before its DHCP range.`);
      return null;
    }
    const out = { address: a };
    if (dhcp.input.checked) {
      if (!from.value.trim() || !to.value.trim()) throw new FormError('Give the first and the last address of the DHCP range.');
      out.dhcp = { start: from.value.trim(), end: to.value.trim() };
    }
    return out;
  };
  return { box, value };
}
