// REST client for vireod. Every failure (HTTP error, {"error":{...}} answer,
// unreachable daemon, non-JSON answer) becomes one ApiError whose `title`
// and `message` are fit to show to a person as they are.
// The session is an HttpOnly cookie the browser sends by itself; every
// state-changing request also carries X-Vireo-CSRF, without which vireod
// refuses it (403), and any 401 hands over to the login screen.

const TITLES = {
  invalid_argument: 'Invalid request',
  unauthorized: 'Not signed in',
  forbidden: 'Not allowed',
  too_many_requests: 'Too many attempts',
  not_found: 'Not found',
  method_not_allowed: 'Not supported',
  conflict: 'Not possible in the current state',
  precondition_failed: 'Changed by someone else',
  payload_too_large: 'Request too large',
  unsupported_media_type: 'Unsupported request format',
  unavailable: 'Hypervisor unavailable',
  internal: 'Internal error in vireod',
  unsupported: 'Not supported here',
  insufficient_storage: 'Not enough space',
  quota_exceeded: 'Over the quota',
  network: 'Cannot reach vireod',
  bad_response: 'Unexpected answer from vireod',
};

const STATUS_CODES = {
  400: 'invalid_argument', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict',
  412: 'precondition_failed', 413: 'payload_too_large', 415: 'unsupported_media_type',
  429: 'too_many_requests', 500: 'internal', 501: 'unsupported', 507: 'insufficient_storage', 502: 'unavailable', 503: 'unavailable', 504: 'unavailable',
};

export class ApiError extends Error {
  constructor({ status = 0, code = 'internal', message = '', method = '', path = '', retryAfter = 0 }) {
    super(message || TITLES[code] || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.method = method;
    this.path = path;
    this.retryAfter = retryAfter; // seconds, from Retry-After on a 429
    this.title = TITLES[code] || (status ? `Request failed (HTTP ${status})` : 'Request failed');
  }

  // "409 conflict" — small print for people who read logs.
  get detail() {
    return this.status ? `${this.status} ${this.code}` : this.code;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
let unauthorizedHandler = null;

// Answers js/first-screen.js asked for before the modules ran (path ->
// promise of {res, text}, the body already read): each serves the first
// GET of its path, once; any other request to the path makes it stale. Read once, here: should that script
// come after the modules, its answers are never used.
const firstAnswers = window.vireoFirstRequests || new Map();

// Forgets the early answers nobody took (app.js, once it knows who is
// signed in): whatever is asked from then on is asked afresh.
export function dropFirstAnswers() {
  firstAnswers.clear();
}

// fn(err) runs when any request (but the ones sent with {anonymous: true})
// answers 401: the session ended, was revoked, or never was.
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

// The host of each guest a page works on (setVmHost): requests about it
// name that host (?host=), so a guest of another host, or a name on two
// hosts, is always the one meant (docs/hosts.md).
const vmHosts = new Map();
export function setVmHost(name, host) {
  if (host) vmHosts.set(name, host);
  else vmHosts.delete(name);
}
// The host named for guest `name` (setVmHost), or null.
export const vmHostOf = (name) => vmHosts.get(name) || null;

function onVmHost(path) {
  const m = /^\/api\/vms\/([^/?]+)/.exec(path);
  let host = null;
  try { host = m && vmHosts.get(decodeURIComponent(m[1])); } catch { host = null; }
  if (!host || /[?&]host=/.test(path)) return path;
  return `${path}${path.includes('?') ? '&' : '?'}host=${encodeURIComponent(host)}`;
}

// Sends one request. Resolves to {status, data, etag}; rejects with ApiError.
export async function request(method, rawPath, { body, ifMatch, signal, anonymous = false } = {}) {
  const path = onVmHost(rawPath);
  const headers = { Accept: 'application/json' };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (ifMatch) headers['If-Match'] = ifMatch;
  if (!SAFE_METHODS.has(method)) headers['X-Vireo-CSRF'] = '1';

  let res;
  let text;
  try {
    // fetch() runs in "cors" mode, so the browser adds the real Origin to
    // POST/PATCH/DELETE even under the page's Referrer-Policy: no-referrer
    // (a plain <form> post would send "Origin: null" and be refused).
    const early = method === 'GET' ? firstAnswers.get(path) : undefined;
    firstAnswers.delete(path);
    if (early) ({ res, text } = await early); // already read: {res, text}
    else {
      res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store', credentials: 'same-origin' });
      text = res.status === 204 ? '' : await res.text();
    }
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError({
      code: 'network', method, path,
      message: 'The Vireo daemon did not answer. Check that vireod is running and reachable.',
    });
  }

  const etag = res.headers.get('ETag');
  let data = null;
  let parsed = true;
  if (text) {
    try { data = JSON.parse(text); } catch { parsed = false; }
  }

  if (!res.ok) {
    const err = parsed && data && typeof data === 'object' ? data.error : null;
    const error = new ApiError({
      status: res.status,
      code: (err && err.code) || STATUS_CODES[res.status] || 'internal',
      message: (err && err.message) || res.statusText || `HTTP ${res.status}`,
      method, path,
      retryAfter: Number.parseInt(res.headers.get('Retry-After') || '0', 10) || 0,
    });
    if (res.status === 401 && !anonymous && unauthorizedHandler) unauthorizedHandler(error);
    throw error;
  }
  if (!parsed) {
    throw new ApiError({
      status: res.status, code: 'bad_response', method, path,
      message: `The answer to ${method} ${path} is not JSON.`,
    });
  }
  return { status: res.status, data, etag };
}

// PUT (or `method`) of a file as the raw body, with upload progress (fetch()
// cannot tell it): onProgress(sentBytes, totalBytes). Resolves like
// request(); rejects with ApiError; `signal` aborts it.
function upload(rawPath, file, { onProgress, signal, method = 'PUT' } = {}) {
  const path = onVmHost(rawPath);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.setRequestHeader('X-Vireo-CSRF', '1');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    if (onProgress) xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.total || file.size));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) { resolve({ status: xhr.status, data }); return; }
      const err = data && data.error;
      const error = new ApiError({
        status: xhr.status, code: (err && err.code) || STATUS_CODES[xhr.status] || 'internal',
        message: (err && err.message) || `HTTP ${xhr.status}`, method, path,
      });
      if (xhr.status === 401 && unauthorizedHandler) unauthorizedHandler(error);
      reject(error);
    });
    const cut = (message) => () => reject(new ApiError({ code: 'network', method, path, message }));
    xhr.addEventListener('error', cut('The upload was cut off: vireod closed the connection (see the task for why).'));
    xhr.addEventListener('abort', cut('The upload was stopped.'));
    if (signal) signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

const vmPath = (name) => `/api/vms/${encodeURIComponent(name)}`;
const userPath = (name) => `/api/users/${encodeURIComponent(name)}`;
const poolPath = (name) => `/api/pools/${encodeURIComponent(name)}`;
const netPath = (name) => `/api/networks/${encodeURIComponent(name)}`;
const tplPath = (name) => `/api/templates/${encodeURIComponent(name)}`;
const volPath = (pool, vol) => `${poolPath(pool)}/volumes/${encodeURIComponent(vol)}`;

export const api = {
  // The facts of vireod's own host, or of the libvirt host named (docs/hosts.md).
  host: (name) => request('GET', name ? `/api/host?host=${encodeURIComponent(name)}` : '/api/host'),
  // ---- libvirt hosts (docs/hosts.md) ----
  hosts: () => request('GET', '/api/hosts'),
  addHost: (host) => request('POST', '/api/hosts', { body: host }),
  deleteHost: (id) => request('DELETE', `/api/hosts/${encodeURIComponent(id)}`),
  // Figures over time: range '1h', '1d', '30d' or '1y' (docs/stats.md).
  hostStats: (range) => request('GET', `/api/host/stats?range=${encodeURIComponent(range)}`),
  vmStats: (name, range) => request('GET', `${vmPath(name)}/stats?range=${encodeURIComponent(range)}`),

  // Follows `next` so the caller always gets the whole list.
  async listVms() {
    const vms = [];
    let after = null;
    for (let page = 0; page < 1000; page++) {
      const q = after === null ? '' : `?limit=1000&after=${encodeURIComponent(after)}`;
      const { data } = await request('GET', `/api/vms${q}`);
      vms.push(...(data.vms || []));
      if (!data.next) break;
      after = data.next;
    }
    return vms;
  },

  getVm: (name) => request('GET', vmPath(name)),

  action: (name, action) => request('POST', `${vmPath(name)}/${action}`),

  patchVm: (name, changes, etag) => request('PATCH', vmPath(name), { body: changes, ifMatch: etag || undefined }),

  deleteVm(name, { force = false, volumes = false } = {}) {
    const q = new URLSearchParams();
    if (force) q.set('force', 'true');
    if (volumes) q.set('volumes', 'true');
    const qs = q.toString();
    return request('DELETE', vmPath(name) + (qs ? `?${qs}` : ''));
  },

  // ---- devices of one VM ----
  attachDisk: (name, disk) => request('POST', `${vmPath(name)}/disks`, { body: disk }),
  setMedia: (name, target, media) => request('PATCH', `${vmPath(name)}/disks/${encodeURIComponent(target)}`, { body: { media } }),
  disks: (name) => request('GET', `${vmPath(name)}/disks`),
  detachDisk: (name, target, { volume = false } = {}) =>
    request('DELETE', `${vmPath(name)}/disks/${encodeURIComponent(target)}${volume ? '?volume=true' : ''}`),
  attachNic: (name, nic) => request('POST', `${vmPath(name)}/nics`, { body: nic }),
  patchNic: (name, mac, changes) => request('PATCH', `${vmPath(name)}/nics/${encodeURIComponent(mac)}`, { body: changes }),
  detachNic: (name, mac) => request('DELETE', `${vmPath(name)}/nics/${encodeURIComponent(mac)}`),
  // A one-time ticket for the screen ('vnc') or the serial line: {type, url, expires_at}.
  consoleTicket: (name, type) => request('POST', `${vmPath(name)}/console`, { body: { type } }),
  // {keys: [...]} presses a combination, {text} types text key by key.
  sendKeys: (name, body) => request('POST', `${vmPath(name)}/keys`, { body }),
  // Empties the CD-ROM drives and puts the disk first in the boot order:
  // the VM with {ejected: [targets], boot_changed}.
  ejectInstaller: (name, etag) => request('POST', `${vmPath(name)}/eject-installer`, { ifMatch: etag || undefined }),

  // ---- session and account ----
  whoami: () => request('GET', '/api/session', { anonymous: true }),
  // The same answer once signed in (a 401 signs out): with `grants`, what
  // the caller may use (null for admins: everything).
  session: () => request('GET', '/api/session'),
  login: (username, password) => request('POST', '/api/session', { body: { username, password }, anonymous: true }),
  logout: () => request('DELETE', '/api/session', { anonymous: true }),
  // By default vireod revokes the user's API tokens too; keepTokens keeps them.
  changePassword: (current, fresh, { keepTokens = false } = {}) =>
    request('POST', '/api/session/password', { body: keepTokens ? { current, new: fresh, keep_tokens: true } : { current, new: fresh } }),
  sessions: () => request('GET', '/api/sessions'),
  // {quota, usage, limited}: one's own limits (null: none) and what one's things take.
  myQuota: () => request('GET', '/api/session/quota'),
  revokeSession: (id) => request('DELETE', `/api/sessions/${encodeURIComponent(id)}`),

  // ---- users and grants (admin) ----
  users: () => request('GET', '/api/users'),
  createUser: (user) => request('POST', '/api/users', { body: user }),
  patchUser: (name, changes) => request('PATCH', userPath(name), { body: changes }),
  deleteUser: (name) => request('DELETE', userPath(name)),
  grants: (name) => request('GET', `${userPath(name)}/grants`),
  // body: {vm}, {pool, use: ['disks', 'media']} (posting a pool again replaces its uses), {network} or {bridge}.
  // `host`: where the guest named in `body` is (another host than the local one).
  addGrant: (name, body, host) => request('POST', `${userPath(name)}/grants${host ? `?host=${encodeURIComponent(host)}` : ''}`, { body }),
  removeGrant: (name, vm) => request('DELETE', `${userPath(name)}/grants/${encodeURIComponent(vm)}`),
  // kind: 'pool', 'network' or 'bridge'.
  removeResourceGrant: (name, kind, what) =>
    request('DELETE', `${userPath(name)}/grants/${kind}s/${encodeURIComponent(what)}`),

  // ---- API tokens ----
  tokens: () => request('GET', '/api/tokens'),
  createToken: (name, expires) => request('POST', '/api/tokens', { body: expires ? { name, expires } : { name } }),
  revokeToken: (id) => request('DELETE', `/api/tokens/${encodeURIComponent(id)}`),

  // ---- storage: reads for everyone, changes for admins ----
  // The pools of vireod's own host, or of the host named (id or name).
  pools: (host) => request('GET', host ? `/api/pools?host=${encodeURIComponent(host)}` : '/api/pools'),
  createPool: (pool) => request('POST', '/api/pools', { body: pool }),
  patchPool: (name, changes) => request('PATCH', poolPath(name), { body: changes }),
  deletePool: (name, { storage = false } = {}) => request('DELETE', poolPath(name) + (storage ? '?delete_storage=true' : '')),
  poolAction: (name, action) => request('POST', `${poolPath(name)}/${action}`),
  volumes: (pool) => request('GET', `${poolPath(pool)}/volumes`),
  // One volume; an ISO image's answer says which OS libosinfo finds on it ({id, name} or null).
  volume: (pool, vol) => request('GET', volPath(pool, vol)),
  createVolume: (pool, vol) => request('POST', `${poolPath(pool)}/volumes`, { body: vol }),
  deleteVolume: (pool, vol) => request('DELETE', volPath(pool, vol)),
  resizeVolume: (pool, vol, capacity, { shrink = false } = {}) =>
    request('POST', `${volPath(pool, vol)}/resize${shrink ? '?shrink=true' : ''}`, { body: { capacity } }),
  wipeVolume: (pool, vol) => request('POST', `${volPath(pool, vol)}/wipe`),
  cloneVolume: (pool, vol, body) => request('POST', `${volPath(pool, vol)}/clone`, { body }),
  contentHref: (pool, vol) => `${volPath(pool, vol)}/content`,
  uploadVolume: (pool, vol, file, opts) => upload(`${volPath(pool, vol)}/content`, file, opts),

  // ---- tasks: one's own; admins see all ----
  tasks: ({ limit = 20, state } = {}) => request('GET', `/api/tasks?limit=${limit}${state ? `&state=${state}` : ''}`),
  task: (id) => request('GET', `/api/tasks/${encodeURIComponent(id)}`),

  backupJobs: () => request('GET', '/api/backups/jobs'),
  getBackupJob: (name) => request('GET', `/api/backups/jobs/${encodeURIComponent(name)}`),
  createBackupJob: (job) => request('POST', '/api/backups/jobs', { body: job }),
  patchBackupJob: (name, changes, etag) =>
    request('PATCH', `/api/backups/jobs/${encodeURIComponent(name)}`, { body: changes, ifMatch: etag || undefined }),
  deleteBackupJob: (name) => request('DELETE', `/api/backups/jobs/${encodeURIComponent(name)}`),
  runBackupJob: (name) => request('POST', `/api/backups/jobs/${encodeURIComponent(name)}/run`),
  backups: () => request('GET', '/api/backups'),
  deleteBackup: (id) => request('DELETE', `/api/backups/${encodeURIComponent(id)}`),
  // Onto the host named (id or name), else the host of the backup's guest.
  restoreBackup: (id, body, host) => request('POST', `/api/backups/${encodeURIComponent(id)}/restore${host ? `?host=${encodeURIComponent(host)}` : ''}`, { body }),
  cancelTask: (id) => request('POST', `/api/tasks/${encodeURIComponent(id)}/cancel`),

  // ---- networks: reads for everyone, changes for admins ----
  networks: () => request('GET', '/api/networks'),
  createNetwork: (net) => request('POST', '/api/networks', { body: net }),
  patchNetwork: (name, changes) => request('PATCH', netPath(name), { body: changes }),
  deleteNetwork: (name) => request('DELETE', netPath(name)),
  networkAction: (name, action) => request('POST', `${netPath(name)}/${action}`),

  // ---- creating VMs: the OS catalogue, templates, POST /api/vms ----
  osList: () => request('GET', '/api/os'),
  createVm: (spec) => request('POST', '/api/vms', { body: spec }),
  // An OVA or a disk image as the body: {name, pool, format?, network?...} as the query; answers the import task.
  importVm: (query, file, opts) => upload(`/api/vms/import?${new URLSearchParams(query)}`, file, { ...opts, method: 'POST' }),
  templates: () => request('GET', '/api/templates'),
  getTemplate: (name) => request('GET', tplPath(name)),
  createTemplate: (tpl) => request('POST', '/api/templates', { body: tpl }),
  patchTemplate: (name, changes, etag) => request('PATCH', tplPath(name), { body: changes, ifMatch: etag || undefined }),
  deleteTemplate: (name) => request('DELETE', tplPath(name)),

  // ---- audit log (admin) ----
  audit(filters = {}) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const qs = q.toString();
    return request('GET', `/api/audit${qs ? `?${qs}` : ''}`);
  },
};
