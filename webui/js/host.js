// The host summary in the header (GET /api/host), and the host facts the
// views use for totals.

import { api } from './api.js';
import { h, icon, clear, fmtMiB } from './dom.js';
import { showError, clearError } from './ui.js';

let host = null;
let retry = null;
const waiters = new Set();

export function getHost() {
  return host;
}

// fn(host) once the host answer is there (at once if it already is).
export function onHost(fn) {
  if (host) fn(host);
  waiters.add(fn);
  return () => waiters.delete(fn);
}

// What the host's libvirt driver lets Vireo offer (GET /api/host
// `features`, docs/drivers.md): views hide what is false. Before the host
// answers, or from an older vireod without `features`, everything shows.
const ALL_FEATURES = { vms: true, containers: false, vnc: true, serial: true, snapshots: true, storage: true, networks: true, cloud_init: true, disk_formats: ['qcow2', 'raw'] };
export function hostFeatures(hostInfo = host) {
  return { ...ALL_FEATURES, ...((hostInfo && hostInfo.features) || {}) };
}

// "QEMU", "LXC"...: the driver's name for messages.
export function driverName(hostInfo = host) {
  return (hostInfo && hostInfo.driver && hostInfo.driver.type) || 'libvirt';
}

export function hasKvm(hostInfo) {
  const v = hostInfo && hostInfo.virtualization;
  if (v && typeof v.kvm_usable === 'boolean') return v.kvm_usable;
  return !!hostInfo && hostInfo.default_domain_type === 'kvm';
}

export async function loadHost() {
  const el = document.getElementById('host-summary');
  clearTimeout(retry);
  try {
    const { data } = await api.host();
    host = data;
    clearError('host');
    render(el, data);
    for (const fn of waiters) fn(data);
  } catch (e) {
    if (e.status === 401) return; // the login screen takes over
    clear(el).append(h('span', { class: 'host-loading' }, 'Host unavailable'));
    showError(e, 'Could not read the host summary', { key: 'host' });
    retry = setTimeout(loadHost, 5000);
  }
}

// Logged out: forget the host until the next login reads it again.
export function resetHost() {
  clearTimeout(retry);
  host = null;
  clear(document.getElementById('host-summary')).append(h('span', { class: 'host-loading' }, 'Connecting to host…'));
}

function render(el, d) {
  const cpu = d.cpu || {};
  const mem = d.memory || {};
  const hv = d.hypervisor || {};
  const lv = d.libvirt || {};
  const kvm = hasKvm(d);
  const used = mem.total ? Math.min(1, Math.max(0, (mem.total - (mem.free || 0)) / mem.total)) : 0;
  const topo = [cpu.sockets && `${cpu.sockets} socket${cpu.sockets === 1 ? '' : 's'}`,
    cpu.cores && `${cpu.cores} core${cpu.cores === 1 ? '' : 's'}`,
    cpu.threads && `${cpu.threads} thread${cpu.threads === 1 ? '' : 's'}`].filter(Boolean).join(' × ');
  const hvName = hv.type ? hv.type : 'Hypervisor';

  const meter = h('span', { class: 'meter', 'aria-hidden': 'true' }, h('span', { class: 'meter-fill' }));
  meter.firstChild.style.width = `${Math.round(used * 100)}%`;
  if (used > 0.9) meter.classList.add('meter-hot');

  const virtBadge = h('span', {
    class: `badge virt-badge ${kvm ? 'badge-ok' : 'badge-warn'}`, testid: 'virt-badge', dataset: { virt: kvm ? 'kvm' : 'tcg' },
    title: kvm
      ? 'Hardware virtualization (KVM) is available: guests run at near-native speed.'
      : 'This host has no usable hardware virtualization, so guests run under QEMU\'s TCG emulator: slower, but they work the same.',
  }, kvm ? 'KVM' : 'TCG (no hardware virtualization)');

  clear(el).append(
    h('span', { class: 'host-top' },
      h('span', { class: 'host-name', testid: 'host-hostname', title: d.uri ? `Connected to ${d.uri}` : null },
        icon('server'), h('span', {}, d.hostname || 'unknown host')),
      virtBadge),
    h('span', { class: 'host-facts' },
      h('span', { class: 'fact', testid: 'host-cpu', title: [cpu.model, topo, cpu.mhz ? `${cpu.mhz} MHz` : ''].filter(Boolean).join(' · ') },
        icon('cpu'), h('span', {}, `${cpu.cpus ?? '?'} CPU${cpu.cpus === 1 ? '' : 's'}`),
        h('span', { class: 'fact-sub' }, [cpu.model, cpu.arch].filter(Boolean).join(' · '))),
      h('span', { class: 'fact', testid: 'host-memory', title: `${fmtMiB(mem.free)} free of ${fmtMiB(mem.total)}` },
        icon('memory'), h('span', {}, fmtMiB(mem.total)), meter,
        h('span', { class: 'fact-sub' }, `${fmtMiB(mem.free)} free`)),
      h('span', { class: 'fact', testid: 'host-hypervisor', title: d.uri || '' },
        icon('screen'), h('span', {}, `${hvName} ${hv.version || ''}`.trim()),
        lv.version ? h('span', { class: 'fact-sub' }, `libvirt ${lv.version}`) : null)));
}
