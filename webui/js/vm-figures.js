// Each guest's live figures for the list (CPU %, memory in use, uptime):
// from the list's own answer (GET /api/vms items carry `stats` and
// `uptime`), then from every `event: stats` sample of the event stream,
// with no request of its own. Whichever arrived last wins, per guest; an
// uptime counts on from when it arrived.

import { fmtBytes } from './dom.js';

// -> {set(vms), sample(frame), get(vm) -> {cpu, memUsed, memTotal, uptime}}
export function figureStore() {
  const byUuid = new Map(); // uuid -> {stats, uptime, at}
  const fromList = new Map(); // uuid -> the list's stats object last taken
  const keep = (uuid, stats, uptime) => byUuid.set(uuid, { stats: stats || null, uptime: uptime ?? null, at: Date.now() });
  return {
    // The list as GET /api/vms answered it. A list changed here (an action's
    // answer, a deletion) carries the other guests' old figures: only
    // figures of a new answer are taken.
    set(vms) {
      for (const vm of vms) {
        if (!vm.uuid || (fromList.has(vm.uuid) && fromList.get(vm.uuid) === vm.stats)) continue;
        fromList.set(vm.uuid, vm.stats);
        keep(vm.uuid, vm.stats, vm.uptime);
      }
    },
    // An `event: stats` frame: the running guests the user may see.
    sample(frame) {
      for (const vm of (frame && frame.vms) || []) if (vm.uuid) keep(vm.uuid, vm.stats, vm.uptime);
    },
    get(vm) {
      const f = byUuid.get(vm.uuid);
      // A guest that is not running has no figures, whatever came before.
      if (!f || !running(vm.state)) return { cpu: null, memUsed: null, memTotal: null, uptime: null };
      const s = f.stats || {};
      return {
        cpu: num(s.cpu_vcpus ?? s.cpu),
        memUsed: num(s.memory_used),
        memTotal: num(s.memory_total),
        uptime: f.uptime === null ? null : f.uptime + Math.floor((Date.now() - f.at) / 1000),
      };
    },
  };
}

const running = (state) => state === 'running' || state === 'paused' || state === 'blocked' || state === 'pmsuspended' || state === 'shutdown';
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

// 0.2 -> "0.2%", 37.4 -> "37%"; null -> "—".
export function fmtPercent(p) {
  if (p === null) return '—';
  if (p > 0 && p < 10) return `${Math.round(p * 10) / 10}%`;
  return `${Math.round(p)}%`;
}

export const fmtUsed = (bytes) => (bytes === null ? '—' : fmtBytes(bytes));

// Seconds -> "45 s", "12 min", "3 h 5 min", "4 d 2 h"; null -> "—".
export function fmtUptime(s) {
  if (s === null || s < 0) return '—';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}
