// The graphs of the host (dashboard) or of one VM (its page): CPU, memory
// in use, disk and network over a range the person picks (1 hour to 1
// year). The history comes once per range from GET /api/host/stats or
// /api/vms/{vm}/stats; after that every `event: stats` on the event stream
// (live.js) adds its sample, so nothing polls. The history is read again
// only when the stream may have missed samples (it was down, or said
// `reload`). Says in words when there is nothing to draw: the sampler is
// off, the figures have not come yet, the VM is not running.

import { api, vmHostOf } from './api.js';
import { h } from './dom.js';
import * as live from './live.js';
import { lineChart } from './charts.js';
import { RANGES, StatsSeries } from './stats-series.js';

const peaksDiffer = (s) => s.interval > 0 && s.step > s.interval;

// The four charts, for 'host' or 'vm'.
function chartSpecs(kind) {
  const vm = kind === 'vm';
  return [
    {
      key: 'cpu', title: 'CPU', noun: 'CPU', unit: 'percent', lines: [
        { key: 'cpu', label: vm ? 'of the host' : 'in use', colour: 'cpu', fill: true },
        vm ? { key: 'cpu_vcpus', label: 'of its vCPUs', colour: 'cpu2', dash: true } : null,
        { key: 'cpu_max', label: 'peak', colour: 'peak', peak: true, when: peaksDiffer },
      ].filter(Boolean),
    },
    { key: 'memory', title: 'Memory in use', noun: 'memory', unit: 'bytes', lines: [{ key: 'memory_used', label: 'in use', colour: 'mem', fill: true }] },
    {
      key: 'disk', title: 'Disk', noun: 'disk', unit: 'bytes/s', io: true, lines: [
        { key: 'disk_read', label: 'read', colour: 'in', fill: true },
        { key: 'disk_write', label: 'written', colour: 'out', dash: true }],
    },
    {
      key: 'net', title: 'Network', noun: 'network', unit: 'bytes/s', io: true, lines: [
        { key: 'net_rx', label: 'received', colour: 'in', fill: true },
        { key: 'net_tx', label: 'sent', colour: 'out', dash: true }],
    },
  ];
}

// kind: 'host' or 'vm' (then `name`). onLatest(figures, info) gets the
// newest figures (null: none, e.g. the VM stopped) from the history answer
// and then from each sample; info has {interval, time, answer?}.
// Returns {el, controls, setRunning(bool), destroy()}: `controls` are the
// range buttons, for the card's head.
export function statsGraphs({ kind, name = null, testid, onLatest = () => {} }) {
  const g = {
    range: '1h', series: null, answer: null, seq: 0, running: kind === 'host', disposed: false, streamOpened: false, streamBroke: false,
  };
  const specs = chartSpecs(kind);
  const keys = [...new Set(specs.flatMap((s) => s.lines.map((l) => l.key)))];
  const charts = specs.map((s) => ({ spec: s, chart: lineChart({ title: s.title, unit: s.unit, lines: s.lines, testid: `${testid}-${s.key}` }) }));
  const note = h('p', { class: 'graphs-note', testid: `${testid}-note`, 'aria-live': 'polite', hidden: true });
  const buttons = Object.entries(RANGES).map(([key, r]) => h('button', {
    type: 'button', class: 'seg-tab', testid: `${testid}-range-${key}`, dataset: { range: key },
    'aria-pressed': key === g.range ? 'true' : 'false', title: `Show ${r.words}`,
    onclick: () => pick(key),
  }, r.label));
  const controls = h('div', { class: 'seg range-picker', role: 'group', 'aria-label': 'Time range of the graphs' }, buttons);
  const grid = h('div', { class: 'graphs-grid' }, charts.map((c) => c.chart.el));
  const el = h('div', { class: 'graphs', testid, dataset: { range: g.range } }, note, grid);

  const who = () => (kind === 'vm' ? name : 'the host');

  // Words above the charts, or none.
  function overall(any) {
    const a = g.answer;
    const words = (RANGES[g.range] || RANGES['1h']).words;
    if (!a.interval) {
      return `Live figures are off: vireod was started with --stats-interval-seconds 0, so it takes no samples.${any ? ' The graphs show the figures kept before.' : ''}`;
    }
    if (kind === 'vm' && !g.running) {
      return any ? `${name} is not running: no new figures come until it starts again. The graphs show when it last ran.`
        : `${name} is not running, and it did not run in ${words}: there is nothing to draw.`;
    }
    if (!any) {
      return `No figures yet for ${who()}: a rate needs two samples, so the first points come within ${2 * a.interval} seconds.`;
    }
    return null;
  }

  // Words in place of one chart: the host's disks and network are read from
  // this host's /proc, so they are not measured when libvirt runs elsewhere
  // (then a sample names no devices; before the first sample none does).
  function chartNote(spec) {
    const a = g.answer;
    if (kind === 'host' && spec.io && a && a.latest && a.devices === null) return 'Not measured: libvirt runs on another host.';
    if (!g.series.count(spec.lines[0].key)) return `No ${spec.noun} figures in ${RANGES[g.range].words}.`;
    return null;
  }

  function draw() {
    if (!g.series) return;
    // With nothing at all to draw, the words alone say it.
    const any = keys.some((k) => g.series.count(k) > 0);
    const words = overall(any);
    note.textContent = words || '';
    note.hidden = !words;
    grid.hidden = !any;
    for (const c of charts) c.chart.update(g.series, chartNote(c.spec));
  }

  async function load() {
    const seq = ++g.seq;
    el.setAttribute('aria-busy', 'true');
    try {
      const { data } = kind === 'host' ? await api.hostStats(g.range) : await api.vmStats(name, g.range);
      if (g.disposed || seq !== g.seq) return;
      g.answer = data;
      g.series = new StatsSeries(data, keys);
      el.dataset.range = data.range;
      draw();
      onLatest(data.latest, { interval: data.interval, time: data.latest ? data.latest.time : null, answer: data });
    } catch (e) {
      if (g.disposed || seq !== g.seq || e.status === 401) return;
      note.textContent = `Could not read the figures of ${who()}: ${e.message}`;
      note.hidden = false;
    } finally {
      if (seq === g.seq) el.removeAttribute('aria-busy');
    }
  }

  function pick(range) {
    if (range === g.range) return;
    g.range = range;
    for (const b of buttons) b.setAttribute('aria-pressed', b.dataset.range === range ? 'true' : 'false');
    load();
  }

  // Every host's sampler sends its own frames (`from` names the host):
  // the host graphs are the local host's, a VM's those of the host it is on.
  function onSample(ev) {
    if (!ev || typeof ev.time !== 'number') return;
    if (kind === 'host' && ev.local === false) return;
    let figures = ev.host || null;
    if (kind === 'vm') {
      const on = vmHostOf(name);
      const v = (ev.vms || []).find((x) => x.name === name && (!on || !x.host || x.host.name === on));
      if (!v && on && ev.from && ev.from.name !== on) return;
      figures = v ? v.stats : null;
    }
    onLatest(figures, { interval: ev.interval, time: ev.time, sample: ev });
    if (!g.series || !figures) return;
    if (g.series.add(ev.time, figures)) draw();
  }

  const offs = [
    live.onObjectEvent('stats', onSample),
    live.onResync(() => load()),
    // Samples sent while the stream was down are lost: once it is back,
    // read the history again.
    live.onStream((open) => {
      if (open && g.streamBroke) load();
      g.streamBroke = !open && (g.streamBroke || g.streamOpened);
      g.streamOpened = g.streamOpened || open;
    }),
  ];
  load();

  return {
    el,
    controls,
    // The VM's state changed: a start or stop changes what is said.
    setRunning(running) {
      if (running === g.running) return;
      g.running = running;
      draw();
    },
    destroy() {
      g.disposed = true;
      for (const off of offs) off();
      for (const c of charts) c.chart.destroy();
    },
  };
}
