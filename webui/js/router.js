// A tiny hash router: "#/" is the guest list (with its search, filter and
// sort: "#/?q=web&state=running&sort=cpu&dir=desc"), "#/dashboard" the
// dashboard, "#/vms/NAME" a guest's page,
// "#/users", "#/tokens", "#/audit" (with its filters: "#/audit?action=vm.")
// "#/sessions" and "#/account" (usage and limits) the access pages,
// "#/storage" the storage pools and "#/storage/POOL" one pool's volumes,
// "#/networks" the virtual networks and "#/networks/NET" one network's leases,
// "#/hosts" the libvirt hosts, "#/templates" the VM templates, "#/backups" backup jobs and kept backups
// and "#/new" the create-VM wizard.
// Hash routes keep every address servable by the static file server as "/".

const PAGES = { hosts: 'hosts', dashboard: 'dashboard', users: 'users', tokens: 'tokens', audit: 'audit', sessions: 'sessions', account: 'account', storage: 'storage', networks: 'networks', templates: 'templates', backups: 'backups', new: 'create' };

// Pages of one named object: "#/vms/NAME" -> {view: 'detail', name: NAME},
// with their query ("#/vms/NAME?host=B": the guest of host B).
const NAMED = [
  [/^\/vms\/([^/]+)\/?$/, 'detail', 'name'],
  [/^\/storage\/([^/]+)\/?$/, 'storage', 'pool'],
  [/^\/networks\/([^/]+)\/?$/, 'networks', 'network'],
];

export function parseHash(hash) {
  // "#/new?template=small": pages may carry a query.
  const [path, qs] = (((hash || '').replace(/^#/, '') || '/') + '?').split('?');
  // The list keeps its search, filter and sort in its query ("#/?state=running").
  if (path === '/' || path === '/vms' || path === '/vms/') return { view: 'list', query: Object.fromEntries(new URLSearchParams(qs)) };
  const page = /^\/([a-z]+)\/?$/.exec(path);
  if (page && PAGES[page[1]]) return { view: PAGES[page[1]], query: Object.fromEntries(new URLSearchParams(qs)) };
  for (const [re, view, key] of NAMED) {
    const m = re.exec(path);
    if (!m) continue;
    try {
      return { view, [key]: decodeURIComponent(m[1]), query: Object.fromEntries(new URLSearchParams(qs)) };
    } catch {
      return { view: 'missing', path };
    }
  }
  return { view: 'missing', path };
}

// `host`: the guest of that host (a name may be on two hosts).
export const vmHref = (name, host) => `#/vms/${encodeURIComponent(name)}${host ? `?host=${encodeURIComponent(host)}` : ''}`;
// The guest list showing one group of states: 'running', 'paused',
// 'stopped' or 'attention' (the list's own filters).
export const guestsHref = (state) => `#/?state=${encodeURIComponent(state)}`;
export const poolHref = (name) => (name ? `#/storage/${encodeURIComponent(name)}` : '#/storage');
export const networkHref = (name) => (name ? `#/networks/${encodeURIComponent(name)}` : '#/networks');

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// Calls onRoute(route) now and on every hash change. Returns a function
// that runs it again (after a sign-in).
export function startRouter(onRoute) {
  const run = () => onRoute(parseHash(location.hash));
  window.addEventListener('hashchange', run);
  run();
  return run;
}
