// The dashboard (#/dashboard): what the host and its guests are doing now.
// Gauges of the host's CPU, memory, disk and network; its graphs over a
// range (stats-graphs.js); the guests by state, each group linking to the
// list; the five busiest guests by CPU and by memory; with two hosts or
// more, each host's CPU use and memory in use (dash-hosts.js). Everything
// else follows the event stream: the guest list from live.js, the figures
// from each `event: stats` sample (every VM the user may see that is
// running).

import { hostsCard } from './dash-hosts.js';
import { h, clear } from './dom.js';
import * as live from './live.js';
import { onHost } from './host.js';
import { guestsHref, vmHref } from './router.js';
import { stateInfo } from './states.js';
import { statsGraphs } from './stats-graphs.js';
import { fmtMemory, fmtPercent, fmtRate } from './units.js';
import { badge, card, pageHead, skeleton } from './widgets.js';

// The groups of states, as the guest list filters them.
const GROUPS = [
  { key: 'running', label: 'Running', tone: 'ok', has: (s) => s === 'running' || s === 'blocked' },
  { key: 'paused', label: 'Paused or suspended', tone: 'warn', has: (s) => s === 'paused' || s === 'pmsuspended' },
  { key: 'stopped', label: 'Shut off', tone: 'off', has: (s) => s === 'shutoff' },
  { key: 'attention', label: 'Needs attention', tone: 'bad', has: (s) => !['running', 'blocked', 'paused', 'pmsuspended', 'shutoff'].includes(s) },
];
const TOP = 5;

export function mountDashboard(root) {
  const page = {
    snap: null,       // live.js snapshot: the guests and their states
    samples: new Map(), // host id -> its last stats event: fresher figures of its running guests
    host: null,       // GET /api/host
    interval: null,   // seconds between samples; 0: the sampler is off
    el: {
      gauges: h('section', { class: 'gauges', testid: 'dash-gauges', 'aria-label': 'The host now' }),
      states: h('div', { class: 'card-body' }, skeleton(3)),
      cpu: h('div', { class: 'card-body' }, skeleton(3)),
      mem: h('div', { class: 'card-body' }, skeleton(3)),
    },
  };
  page.latest = null;
  page.graphs = statsGraphs({
    kind: 'host', testid: 'host-graphs',
    onLatest: (figures, info) => {
      page.latest = figures;
      // The busiest lists word their emptiness by the interval: draw them
      // again once it is known (the guest list may have come first).
      const learned = typeof info.interval === 'number' && info.interval !== page.interval;
      if (typeof info.interval === 'number') page.interval = info.interval;
      renderGauges(page);
      if (learned) renderBusiest(page);
    },
  });
  page.hosts = hostsCard();
  root.append(layout(page));
  renderGauges(page);
  const offs = [
    live.subscribe((snap) => { page.snap = snap; renderStates(page); renderBusiest(page); }),
    onHost((hi) => { page.host = hi; renderGauges(page); }),
    // Every host's sampler sends its own frames: the busiest are of all.
    live.onObjectEvent('stats', (ev) => {
      if (!ev || typeof ev.time !== 'number') return;
      page.samples.set(ev.from ? ev.from.id : 0, ev);
      renderBusiest(page);
    }),
  ];
  return () => { offs.forEach((off) => off()); page.graphs.destroy(); page.hosts.destroy(); };
}

function layout(page) {
  const { el } = page;
  return h('section', { class: 'view view-dashboard', testid: 'dashboard' },
    pageHead('gauge', 'Dashboard', 'What this host and its guests are doing, as it happens.'),
    el.gauges,
    page.hosts.el,
    card({
      title: 'Host over time', ic: 'activity', testid: 'dash-host-graphs', titleId: 'dash-host-graphs-title',
      actions: page.graphs.controls, body: h('div', { class: 'card-body' }, page.graphs.el),
    }),
    h('div', { class: 'dash-row' },
      card({ title: 'Guests by state', ic: 'guests', testid: 'dash-states', titleId: 'dash-states-title', body: el.states }),
      card({ title: 'Busiest by CPU', ic: 'cpu', testid: 'dash-top-cpu', titleId: 'dash-top-cpu-title', body: el.cpu }),
      card({ title: 'Busiest by memory', ic: 'memory', testid: 'dash-top-memory', titleId: 'dash-top-memory-title', body: el.mem })));
}

// ---- gauges ----

function gauge({ testid, label, value, sub, share = null, rows = null }) {
  let meter = null;
  if (share !== null) {
    const fill = h('span', { class: 'gauge-fill' });
    fill.style.width = `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;
    meter = h('span', { class: `gauge-meter${share > 0.9 ? ' is-hot' : ''}`, 'aria-hidden': 'true' }, fill);
  }
  return h('div', { class: 'card gauge', testid },
    h('span', { class: 'gauge-label' }, label),
    rows ? h('dl', { class: 'gauge-rows' }, rows.map(([k, v, id]) => h('div', {}, h('dt', {}, k), h('dd', { testid: id }, v))))
      : h('span', { class: 'gauge-value', testid: `${testid}-value` }, value),
    meter,
    h('span', { class: 'gauge-sub', testid: `${testid}-sub` }, sub));
}

function renderGauges(page) {
  const f = page.latest || {};
  const host = page.host || {};
  const cpus = host.cpu && host.cpu.cpus;
  const waiting = page.interval === 0 ? 'the sampler is off' : 'waiting for the first sample';
  const known = (v) => typeof v === 'number';
  const memShare = known(f.memory_used) && f.memory_total ? f.memory_used / f.memory_total : null;
  const ioSub = (a, b) => (known(a) || known(b) ? 'physical devices of this host' : (page.latest ? 'not measured here' : waiting));
  clear(page.el.gauges).append(
    gauge({
      testid: 'gauge-cpu', label: 'CPU', value: fmtPercent(f.cpu),
      share: known(f.cpu) ? f.cpu / 100 : 0, sub: known(f.cpu) ? `of ${cpus ? `${cpus} CPU${cpus === 1 ? '' : 's'}` : 'all CPUs'}` : waiting,
    }),
    gauge({
      testid: 'gauge-memory', label: 'Memory in use', value: fmtMemory(f.memory_used), share: memShare ?? 0,
      sub: known(f.memory_used) ? `of ${fmtMemory(f.memory_total)} (${fmtPercent(memShare * 100)})` : waiting,
    }),
    gauge({
      testid: 'gauge-disk', label: 'Disk', sub: ioSub(f.disk_read, f.disk_write),
      rows: [['Read', fmtRate(f.disk_read), 'gauge-disk-read'], ['Written', fmtRate(f.disk_write), 'gauge-disk-write']],
    }),
    gauge({
      testid: 'gauge-net', label: 'Network', sub: ioSub(f.net_rx, f.net_tx),
      rows: [['Received', fmtRate(f.net_rx), 'gauge-net-rx'], ['Sent', fmtRate(f.net_tx), 'gauge-net-tx']],
    }));
}

// ---- guests by state ----

function renderStates(page) {
  const { snap } = page;
  if (!snap || (!snap.loaded && !snap.error)) return;
  if (!snap.loaded) {
    clear(page.el.states).append(h('p', { class: 'muted' }, `The guests are not available: ${snap.error.message}`));
    return;
  }
  const vms = snap.vms;
  const rows = GROUPS.map((g) => {
    const n = vms.filter((v) => g.has(v.state)).length;
    return h('li', {},
      h('a', { class: 'state-count', href: guestsHref(g.key), testid: `dash-state-${g.key}`, dataset: { count: String(n) } },
        badge({ tone: g.tone, label: g.label, state: g.key }),
        h('span', { class: 'state-count-n' }, String(n),
          h('span', { class: 'sr-only' }, `${n === 1 ? ' guest' : ' guests'}: show in the list`))));
  });
  clear(page.el.states).append(
    h('ul', { class: 'state-counts', testid: 'dash-state-list' }, rows),
    h('p', { class: 'state-total muted', testid: 'dash-state-total' }, vms.length === 1 ? '1 guest in all' : `${vms.length} guests in all`));
}

// ---- busiest guests ----

// Running guests with their newest figures: from each host's last sample
// once one came (it lists every running guest of that host the user may
// see), else from the list.
function figures(page) {
  if (page.samples.size) {
    const two = page.samples.size > 1;
    return [...page.samples.values()].flatMap((s) => (s.vms || []).filter((v) => v.stats)
      .map((v) => ({ name: v.name, host: two && v.host ? v.host.name : null, stats: v.stats })));
  }
  const vms = page.snap && page.snap.loaded ? page.snap.vms : [];
  return vms.filter((v) => v.stats && stateInfo(v.state).active).map((v) => ({ name: v.name, stats: v.stats }));
}

function renderBusiest(page) {
  if (!page.snap && !page.samples.size) return;
  const all = figures(page);
  topList(page.el.cpu, page, all, {
    testid: 'dash-top-cpu-list', value: (s) => s.cpu, fmt: fmtPercent, share: (v) => v / 100,
    title: (s) => `${fmtPercent(s.cpu_vcpus)} of its own vCPUs`,
  });
  const peak = Math.max(0, ...all.map((v) => v.stats.memory_used || 0));
  topList(page.el.mem, page, all, {
    testid: 'dash-top-memory-list', value: (s) => s.memory_used, fmt: fmtMemory, share: (v) => (peak ? v / peak : 0),
    title: (s) => (s.memory_source === 'guest' ? 'as the guest reports it'
      : 'as the host counts it: QEMU\'s resident memory, which can exceed what the guest was given'),
  });
}

function topList(body, page, all, { testid, value, fmt, share, title }) {
  const known = all.filter((v) => typeof value(v.stats) === 'number')
    .sort((a, b) => value(b.stats) - value(a.stats) || (a.name < b.name ? -1 : 1)).slice(0, TOP);
  if (!known.length) {
    const why = page.interval === 0 ? 'Live figures are off (vireod runs with --stats-interval-seconds 0).'
      : all.length ? 'Waiting for the first figures of the running guests.'
        : 'No guest is running.';
    clear(body).append(h('p', { class: 'muted', testid: `${testid}-empty` }, why));
    return;
  }
  clear(body).append(h('ol', { class: 'top-list', testid }, known.map((v) => {
    const x = value(v.stats);
    const fill = h('span', { class: 'top-bar-fill' });
    fill.style.width = `${Math.round(Math.min(1, Math.max(0, share(x))) * 100)}%`;
    return h('li', { class: 'top-item', testid: 'dash-top-item', dataset: { vm: v.name, value: String(x) } },
      h('a', { class: 'top-name', href: vmHref(v.name, v.host || null) }, v.name),
      h('span', { class: 'top-value', title: title(v.stats) }, fmt(x)),
      h('span', { class: 'top-bar', 'aria-hidden': 'true' }, fill));
  })));
}
