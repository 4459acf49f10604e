// Each guest's live figures for the list (CPU %, memory in use, uptime):
// from the list's own answer (GET /api/vms items carry `stats` and
// `uptime`), then from every `event: stats` sample of the event stream,
// with no request of its own. Whichever arrived last wins, per guest; an
// uptime counts on from when it arrived.

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
