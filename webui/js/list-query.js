// What the guest list shows, kept in the address so Back, a reload or a
// link restores it: `q` (search), `state` (libvirt states, comma-separated
// as in GET /api/vms?state=), `sort` and `dir`. Another page may link to
// "#/?state=running". Only what differs from the defaults is written.

// The state filter's choices: a key (what the address says for it, as the
// dashboard links: "#/?state=stopped"), a label and the libvirt states it shows.
export const STATE_FILTERS = [
  { key: '', label: 'All states', states: [] },
  { key: 'running', label: 'Running', states: ['running', 'blocked'] },
  { key: 'paused', label: 'Paused / suspended', states: ['paused', 'pmsuspended'] },
  { key: 'stopped', label: 'Shut off', states: ['shutoff'] },
  { key: 'attention', label: 'Needs attention', states: ['crashed', 'nostate', 'shutdown'] },
];

export const SORT_KEYS = ['name', 'state', 'vcpus', 'memory', 'cpu', 'memused', 'uptime'];

// "running,shutoff" -> the libvirt states; a filter's key stands for its states.
const splitStates = (v) => [...new Set(String(v || '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => /^[a-z]+$/.test(s))
  .flatMap((s) => STATE_FILTERS.find((f) => f.key === s && f.key)?.states || [s]))];

// The route's query -> {q, states, sort, dir}.
export function readQuery(query = {}) {
  const sort = SORT_KEYS.includes(query.sort) ? query.sort : 'name';
  return {
    q: String(query.q || '').slice(0, 200),
    states: splitStates(query.state),
    sort,
    dir: query.dir === 'desc' ? 'desc' : 'asc',
    // The host switcher: one host's guests by its name, or all ('').
    host: String(query.host || '').slice(0, 64),
  };
}

// Puts `v` in the address without a new history entry (typing in the
// search box must not make one per key), keeping the page's own path.
export function writeQuery(v) {
  const q = new URLSearchParams();
  if (v.q) q.set('q', v.q);
  if (v.states.length) q.set('state', filterFor(v.states)?.key || v.states.join(','));
  if (v.sort !== 'name') q.set('sort', v.sort);
  if (v.dir !== 'asc') q.set('dir', v.dir);
  if (v.host) q.set('host', v.host);
  const path = (location.hash.replace(/^#/, '').split('?')[0]) || '/';
  const qs = q.toString().replace(/%2C/g, ',');
  const hash = `#${path}${qs ? `?${qs}` : ''}`;
  if (hash !== location.hash) history.replaceState(history.state, '', hash);
}

// The filter choice that shows exactly `states` (any order), or null.
export function filterFor(states) {
  const key = [...states].sort().join(',');
  return STATE_FILTERS.find((f) => [...f.states].sort().join(',') === key) || null;
}

export function matches(v, vm) {
  if (v.states.length && !v.states.includes(vm.state)) return false;
  if (v.host && (!vm.host || vm.host.name !== v.host)) return false;
  const q = v.q.trim().toLowerCase();
  if (!q) return true;
  return vm.name.toLowerCase().includes(q)
    || (vm.description || '').toLowerCase().includes(q)
    || (vm.tags || []).some((t) => t.toLowerCase().includes(q));
}
