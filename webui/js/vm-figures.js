// Each guest's live figures for the list (CPU %, memory in use, uptime):
// from the list's own answer (GET /api/vms items carry `stats` and
// `uptime`), then from every `event: stats` sample of the event stream
// (each host's sampler sends its own), with no request of its own.
// Whichever arrived last wins, per guest; an uptime counts on from when it
// arrived. A guest is its host and UUID: a VM that moved, or one defined on
// two hosts, is two guests.

// -> {set(vms), sample(frame), get(vm) -> {cpu, memUsed, memTotal, uptime}}
export function figureStore() {
  const byGuest = new Map(); // guest key -> {stats, uptime, at}
  const fromList = new Map(); // guest key -> the list's stats object last taken
  const keep = (key, stats, uptime) => byGuest.set(key, { stats: stats || null, uptime: uptime ?? null, at: Date.now() });
  return {
    // The list as GET /api/vms answered it. A list changed here (an action's
    // answer, a deletion) carries the other guests' old figures: only
    // figures of a new answer are taken.
    set(vms) {
      for (const vm of vms) {
        const key = guestKey(vm);
        if (!vm.uuid || (fromList.has(key) && fromList.get(key) === vm.stats)) continue;
        fromList.set(key, vm.stats);
        keep(key, vm.stats, vm.uptime);
      }
    },
    // An `event: stats` frame: the running guests the user may see.
    sample(frame) {
      for (const vm of (frame && frame.vms) || []) if (vm.uuid) keep(guestKey(vm), vm.stats, vm.uptime);
    },
    get(vm) {
      const f = byGuest.get(guestKey(vm));
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

// List items and frames' VMs name their host alike ({id, name}), or none
// without a host registry.
const guestKey = (vm) => `${vm.host ? vm.host.id : ''}/${vm.uuid}`;
const running = (state) => state === 'running' || state === 'paused' || state === 'blocked' || state === 'pmsuspended' || state === 'shutdown';
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
