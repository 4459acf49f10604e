// The charts' data model (webui/js/stats-series.js), without a browser or a
// daemon: a history answer as chart columns, live samples averaged into the
// bucket still filling or appended as new buckets, a gap marked with one
// point of nulls, and points that left the range dropped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsSeries } from '../../webui/js/stats-series.js';
import { fmtMemory, fmtPercent, fmtRate, fmtUptime } from '../../webui/js/units.js';

const T0 = 1796590020; // a multiple of 5 and of 60

function answer({ range = '1h', step = 5, interval = 5, time, cpu, latest = null }) {
  return {
    range, step, interval, from: time[time.length - 1] - 3600, to: time[time.length - 1] + 1, time,
    series: { cpu, cpu_max: [...cpu] }, units: { cpu: 'percent', cpu_max: 'percent' }, latest,
  };
}

test('a history answer becomes uPlot columns in the order asked', () => {
  const s = new StatsSeries(answer({ time: [T0, T0 + 5], cpu: [10, 20] }), ['cpu', 'memory_used']);
  assert.deepEqual(s.data(), [[T0, T0 + 5], [10, 20], [null, null]]);
  assert.equal(s.count('cpu'), 2);
  assert.equal(s.count('memory_used'), 0);
  assert.deepEqual(s.last('cpu'), { value: 20, time: T0 + 5 });
  assert.deepEqual(s.summary('cpu'), { avg: 15, max: 20, n: 2 });
  assert.equal(s.summary('memory_used'), null);
});

test('a sample of a new bucket is appended; one in the same bucket is averaged in', () => {
  const s = new StatsSeries(answer({ time: [T0], cpu: [10] }), ['cpu', 'cpu_max']);
  assert.ok(s.add(T0 + 5, { cpu: 30 }));
  assert.deepEqual(s.data(), [[T0, T0 + 5], [10, 30], [10, 30]]);
  assert.equal(s.to, T0 + 5);
  assert.equal(s.from, T0 + 5 - 3600);

  // 1-minute buckets: samples every 5 s average into the minute, the peak keeps the largest.
  const d = new StatsSeries(answer({ range: '1d', step: 60, time: [T0], cpu: [10], latest: { time: T0 + 5 } }), ['cpu', 'cpu_max']);
  assert.equal(d.filling, 2, 'the answer\'s bucket already holds the samples of T0 and T0+5');
  d.add(T0 + 10, { cpu: 40 });
  assert.deepEqual(d.data(), [[T0], [20], [40]]);
  d.add(T0 + 60, { cpu: 5 });
  assert.deepEqual(d.data(), [[T0, T0 + 60], [20, 5], [40, 5]]);
});

test('a sample older than the last bucket changes nothing', () => {
  const s = new StatsSeries(answer({ time: [T0, T0 + 5], cpu: [10, 20] }), ['cpu']);
  assert.equal(s.add(T0 - 5, { cpu: 99 }), false);
  assert.deepEqual(s.data(), [[T0, T0 + 5], [10, 20]]);
});

test('a gap longer than a bucket gets one point of nulls, so the line breaks', () => {
  const s = new StatsSeries(answer({ time: [T0], cpu: [10] }), ['cpu']);
  s.add(T0 + 60, { cpu: 50 });
  assert.deepEqual(s.data(), [[T0, T0 + 5, T0 + 60], [10, null, 50]]);
  // The daemon's own gap point is not doubled.
  const t = new StatsSeries(answer({ time: [T0, T0 + 5], cpu: [10, null] }), ['cpu']);
  t.add(T0 + 60, { cpu: 50 });
  assert.deepEqual(t.data(), [[T0, T0 + 5, T0 + 60], [10, null, 50]]);
});

test('unknown figures stay gaps and never count', () => {
  const s = new StatsSeries(answer({ time: [T0], cpu: [10] }), ['cpu', 'net_rx']);
  s.add(T0 + 5, { cpu: null, net_rx: 1000 });
  s.add(T0 + 5, { cpu: 30, net_rx: null });
  assert.deepEqual(s.data(), [[T0, T0 + 5], [10, 30], [null, 1000]]);
});

test('points that leave the range drop off the left', () => {
  const s = new StatsSeries(answer({ time: [T0, T0 + 5, T0 + 10], cpu: [1, 2, 3] }), ['cpu']);
  s.add(T0 + 3605, { cpu: 4 });
  assert.equal(s.from, T0 + 5);
  assert.deepEqual(s.data(), [[T0 + 5, T0 + 10, T0 + 15, T0 + 3605], [2, 3, null, 4]]);
});

test('an empty answer (a VM that never ran) fills from the first sample', () => {
  const s = new StatsSeries({ range: '1h', step: 5, interval: 5, from: T0, to: T0 + 3600, time: [], series: {}, latest: null }, ['cpu']);
  assert.equal(s.count('cpu'), 0);
  assert.equal(s.last('cpu'), null);
  s.add(T0 + 3602, { cpu: 7 });
  assert.deepEqual(s.data(), [[T0 + 3600], [7]]);
});

test('figures in words', () => {
  assert.equal(fmtPercent(0.234), '0.23 %');
  assert.equal(fmtPercent(12.34), '12.3 %');
  assert.equal(fmtPercent(null), '—');
  assert.equal(fmtMemory(229732352), '219 MiB');
  assert.equal(fmtMemory(1024 ** 3 * 1.5), '1.5 GiB');
  assert.equal(fmtMemory(512), '512 B');
  assert.equal(fmtRate(3095444), '3.1 MB/s');
  assert.equal(fmtRate(894), '894 B/s');
  assert.equal(fmtRate(undefined), '—');
  assert.equal(fmtUptime(42), '42 s');
  assert.equal(fmtUptime(3725), '1 h 2 min');
  assert.equal(fmtUptime(200000), '2 d 7 h');
});
