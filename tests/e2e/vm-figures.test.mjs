// The guest list's live figures (webui/js/vm-figures.js), without a browser
// or a daemon: every host's sampler sends its own `event: stats` frames, and
// a frame of host B's guest reaches that guest's row only, never the row of
// a guest with the same UUID on the local host (a VM defined on both, or one
// that moved).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figureStore } from '../../webui/js/vm-figures.js';

const UUID = '11111111-2222-3333-4444-555555555555';
const LOCAL = { id: 1, name: 'local' };
const B = { id: 2, name: 'b' };
const row = (host, cpu) => ({ uuid: UUID, name: 'g', state: 'running', host, stats: { cpu, memory_used: 1, memory_total: 2 }, uptime: 5 });
const frame = (from, local, vms) => ({ time: 1, interval: 1, from, local, host: {}, vms });

test('a frame of another host updates that host\'s guest, not its namesake here', () => {
  const store = figureStore();
  const here = row(LOCAL, 10);
  const there = row(B, 20);
  store.set([here, there]);
  assert.equal(store.get(here).cpu, 10);
  assert.equal(store.get(there).cpu, 20);
  store.sample(frame(B, false, [{ ...row(B, 75), stats: { cpu: 75 } }]));
  assert.equal(store.get(there).cpu, 75);
  assert.equal(store.get(here).cpu, 10);
  store.sample(frame(LOCAL, true, [{ ...row(LOCAL, 3), stats: { cpu: 3 } }]));
  assert.equal(store.get(here).cpu, 3);
  assert.equal(store.get(there).cpu, 75);
});

test('without a host registry guests are known by UUID alone', () => {
  const store = figureStore();
  const vm = row(undefined, 10);
  store.set([vm]);
  store.sample(frame(null, true, [{ uuid: UUID, name: 'g', state: 'running', stats: { cpu: 40 } }]));
  assert.equal(store.get(vm).cpu, 40);
});
