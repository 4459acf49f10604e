// Shared by the e2e test files: settings from run.sh, the browser launch
// options, screenshots, page-error watching, signing in through the page,
// and a small REST client that logs in like a browser (cookie + Origin +
// X-Vireo-CSRF) for the checks the tests make behind the UI's back.
// run.sh provides:
//   VIREO_URL             base URL of the vireod under test
//   VIREO_ADMIN_PASSWORD  the password vireod gave 'admin' at first start
//   VIREO_TEST_VM         name of a defined, shut-off test guest (tests/guest)
//   VIREO_REPO            repository root (for tests/guest/wait-marker.sh)
//   VIREO_SCREENSHOTS_DIR where screenshots go
//   VIREO_CHROMIUM        browser binary (default /usr/bin/chromium)
//   VIREO_BIN             the vireod binary (for files that run a vireod of their own)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const BASE = (process.env.VIREO_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const VM = process.env.VIREO_TEST_VM;
export const ADMIN_PASSWORD = process.env.VIREO_ADMIN_PASSWORD;
export const REPO = process.env.VIREO_REPO || new URL('../..', import.meta.url).pathname;
export const SHOTS = process.env.VIREO_SCREENSHOTS_DIR || join(REPO, 'build', 'screenshots');
export const CONNECT = process.env.VIREO_CONNECT || 'qemu:///system';
export const LAUNCH = {
  executablePath: process.env.VIREO_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

if (!VM) throw new Error('VIREO_TEST_VM is not set: run tests/e2e/run.sh');
if (!ADMIN_PASSWORD) throw new Error('VIREO_ADMIN_PASSWORD is not set: run tests/e2e/run.sh');
mkdirSync(SHOTS, { recursive: true });

// Dialogs are shot as the viewport shows them; pages in full.
export const shot = (p, name, { fullPage = true } = {}) =>
  p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage, animations: 'disabled' });

// Collects script errors of page `p` into `errors`.
export function watch(p, errors) {
  p.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  p.on('console', (m) => {
    // A 401/403/404/409 answer logs "Failed to load resource"; those are expected here.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
}

// Opens `hash` (of vireod at `base`) and signs in through the sign-in page.
export async function signIn(p, username, password, hash = '#/', base = BASE) {
  await p.goto(`${base}/${hash}`);
  await p.getByTestId('login-page').waitFor();
  await p.getByTestId('login-username').fill(username);
  await p.getByTestId('login-password').fill(password);
  await p.getByTestId('login-submit').click();
  await p.getByTestId('user-menu-button').waitFor();
  assert.equal((await p.getByTestId('user-name').first().textContent()).trim(), username);
}

// A REST client with its own session, as a browser would hold it; `base`
// is another vireod than the shared one (a test file's own).
export class Client {
  constructor(base = BASE) {
    this.base = base;
    this.cookie = null;
    this.token = null;
  }

  async login(username, password) {
    const r = await this.request('POST', '/api/session', { body: { username, password } });
    if (r.status === 200) {
      const set = r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie')];
      this.cookie = set.filter(Boolean).map((c) => c.split(';')[0]).find((c) => c.startsWith('vireo_session='));
      assert.ok(this.cookie, 'the login answer sets the session cookie');
    }
    return r;
  }

  async request(method, path, { body, ifMatch, cookie = this.cookie, token = this.token } = {}) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (ifMatch) headers['If-Match'] = ifMatch;
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (cookie) headers.Cookie = cookie;
    // What a browser adds on a same-origin change, and what vireod demands.
    if (method !== 'GET' && method !== 'HEAD') {
      headers.Origin = this.base;
      headers['X-Vireo-CSRF'] = '1';
    }
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = { raw: text }; }
    return { status: res.status, etag: res.headers.get('etag'), headers: res.headers, json };
  }
}

// An admin client, logged in once per test file.
export async function adminClient() {
  const c = new Client();
  const r = await c.login('admin', ADMIN_PASSWORD);
  assert.equal(r.status, 200, `admin login over the API: ${JSON.stringify(r.json)}`);
  return c;
}

// Deletes storage pool `pool` with every volume in it, through `client`
// (an admin's); for a test's clean-up, so it never throws on what is gone.
export async function removePool(client, pool) {
  const vols = (await client.request('GET', `/api/pools/${pool}/volumes`)).json?.volumes || [];
  for (const v of vols) await client.request('DELETE', `/api/pools/${pool}/volumes/${encodeURIComponent(v.name)}`);
  await client.request('DELETE', `/api/pools/${pool}`);
}

// The session cookie of a browser context, as a Cookie header.
export async function cookieOf(context) {
  const c = (await context.cookies(BASE)).find((x) => x.name === 'vireo_session');
  return c ? `${c.name}=${c.value}` : null;
}

// Things every page must get right: each button has an accessible name,
// each form control a label, and no "null"/"undefined" leaks into the text.
export async function checkPage(p, what) {
  const problems = await p.evaluate(() => {
    const out = [];
    const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
    for (const b of document.querySelectorAll('button')) {
      if (visible(b) && !(b.getAttribute('aria-label') || b.textContent.trim())) out.push(`unnamed button: ${b.outerHTML.slice(0, 80)}`);
    }
    for (const c of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (!visible(c) || c.closest('[aria-hidden="true"]')) continue;
      const named = c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || (c.id && document.querySelector(`label[for="${CSS.escape(c.id)}"]`)) || c.closest('label');
      if (!named) out.push(`unlabelled control: ${c.outerHTML.slice(0, 80)}`);
    }
    const text = document.body.innerText;
    const m = /\b(null|undefined|NaN|\[object \w+\])\b/.exec(text);
    if (m) out.push(`"${m[0]}" in the page text near: ${text.slice(Math.max(0, m.index - 40), m.index + 40)}`);
    return out;
  });
  assert.deepEqual(problems, [], `${what}: ${problems.join('; ')}`);
}

// axe-core's findings on page `p` as "rule (impact): where" lines; `impacts`
// keeps only those (e.g. ['serious', 'critical']), null keeps all.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export async function axeFindings(p, { impacts = null } = {}) {
  // Colours are judged as they end, not halfway through a fade-in.
  await p.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect && a.effect.getComputedTiming().iterations !== Infinity).map((a) => a.finished.catch(() => null))));
  await p.evaluate(AXE);
  return p.evaluate(async (keep) => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => !keep || keep.includes(v.impact))
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => {
        const d = n.any?.[0]?.data;
        return `${n.target.join(' ')}${d && d.contrastRatio ? ` [${d.fgColor} on ${d.bgColor}: ${d.contrastRatio}]` : ''}`;
      }).join(', ')}`);
  }, impacts);
}

export async function axeCheck(p, what, opts) {
  const found = await axeFindings(p, opts);
  assert.deepEqual(found, [], `${what}: axe-core found ${found.join('; ')}`);
}

// Nothing on page `p` is wider than the screen: neither the page itself nor
// a table in its scroll box.
export async function checkNoOverflow(p, what) {
  const wide = await p.evaluate(() => {
    const out = [];
    const doc = document.scrollingElement;
    if (doc.scrollWidth > window.innerWidth + 1) out.push(`the page is ${doc.scrollWidth}px wide on a ${window.innerWidth}px screen`);
    for (const w of document.querySelectorAll('.table-wrap')) {
      if (w.offsetParent && w.scrollWidth > w.clientWidth + 1) {
        out.push(`${w.querySelector('table')?.dataset.testid || 'a table'} is ${w.scrollWidth}px in ${w.clientWidth}px`);
      }
    }
    return out;
  });
  assert.deepEqual(wide, [], `${what}: ${wide.join('; ')}`);
}

export const VIREOD_BIN = process.env.VIREO_BIN || join(REPO, 'build', 'vireod');
const RESULTS = process.env.VIREO_RESULTS_DIR || join(REPO, 'build', 'test-results');

// A free TCP port on loopback.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

// A vireod of the calling test file's own, for what must not happen to the
// shared one (stopping it): on `port`, with its own inventory and admin
// password (.password). start() runs it (again: the inventory, sessions and
// all, stays) and resolves once it answers; stop() sends SIGTERM and waits.
// `args`: more options (e.g. --stats-interval-seconds 1); change .args
// between a stop() and a start() to restart it otherwise.
// Its log: build/test-results/e2e-vireod-NAME.log.
export async function startVireod({ port, name, args = [] }) {
  const dir = mkdtempSync(join(tmpdir(), `vireo-e2e-${name}-`));
  const password = randomBytes(18).toString('hex');
  const pwfile = join(dir, 'admin-password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  mkdirSync(RESULTS, { recursive: true });
  const log = openSync(join(RESULTS, `e2e-vireod-${name}.log`), 'a');
  let child = null;
  const v = {
    password,
    port,
    args,
    async start() {
      child = spawn(VIREOD_BIN, ['--listen', `127.0.0.1:${port}`, '--connect', CONNECT,
        '--db', join(dir, 'vireo.db'), '--webui', join(REPO, 'webui'), '--log-level', 'info',
        '--init-admin-password-file', pwfile, ...v.args], { stdio: ['ignore', log, log] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.exited = exited;
      const deadline = Date.now() + 30000;
      for (;;) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/api/openapi.json`);
          if (r.ok) return;
        } catch { /* not up yet */ }
        if (child.exitCode !== null) throw new Error(`vireod (${name}) exited at start; see its log`);
        if (Date.now() > deadline) throw new Error(`vireod (${name}) does not answer on ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      child.kill('SIGTERM');
      await child.exited;
      child = null;
    },
    remove() { rmSync(dir, { recursive: true, force: true }); },
  };
  await v.start();
  return v;
}
