// Every page of the web UI through axe-core, with something on it to read:
// the sign-in page, the dashboard, the guests list (with the task drawer and a row's More
// menu open), a guest's page, the New VM wizard, storage (a pool and a
// volume), networks, hosts, templates, users, API tokens, the audit log and My
// sessions, each in the light theme at 1440 px, the dark theme, and on a
// 390 px phone, where nothing may be wider than the screen. Findings of
// impact serious or critical fail (the console page is checked by
// console.test.mjs, on a running guest). Started by tests/e2e/run.sh.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { VM, LAUNCH, Client, shot, watch, signIn, axeFindings, checkNoOverflow, freePort, startVireod } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const POOL = `e2e-a11y-${SUFFIX}`;
const NET = `e2e-a11y-${process.pid}`;
const TEMPLATE = `e2e-a11y-${process.pid}`;
const VIEWER = `e2e_a11y_${process.pid}`;
const SERIOUS = ['serious', 'critical'];

// [name, address, what shows once it is ready]
const PAGES = [
  ['dashboard', '#/dashboard', '[data-testid="dash-state-list"]'],
  ['list', '#/', '[data-testid="vm-row"]'],
  ['vm', `#/vms/${encodeURIComponent(VM)}`, '[data-testid="detail-name"]'],
  ['new-vm', '#/new', '[data-testid="view-create"]'],
  ['storage', `#/storage/${encodeURIComponent(POOL)}`, '[data-testid="volume-row"]'],
  ['networks', '#/networks', '[data-testid="network-row"]'],
  ['hosts', '#/hosts', '[data-testid="host-row"]'],
  ['templates', '#/templates', '[data-testid="template-row"]'],
  ['users', '#/users', '[data-testid="user-row"]'],
  ['tokens', '#/tokens', '[data-testid="token-row"]'],
  ['audit', '#/audit', '[data-testid="audit-row"]'],
  ['sessions', '#/sessions', '[data-testid="session-row"]'],
  ['backups', '#/backups', '[data-testid="backup-jobs-empty"], [data-testid="backup-jobs-table"]'],
];

const LOOKS = [
  ['desktop', { viewport: { width: 1440, height: 900 }, colorScheme: 'light' }],
  ['dark', { viewport: { width: 1440, height: 900 }, colorScheme: 'dark' }],
  ['phone', { viewport: { width: 390, height: 844 }, colorScheme: 'light', isMobile: true, hasTouch: true }],
];

let browser;
let admin;
let dir;
let vireod; // of its own: what it makes stays out of the other files' audit log
let BASE;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);

describe('accessibility of every page', { concurrency: false }, () => {
  before(async () => {
    vireod = await startVireod({ port: await freePort(), name: 'a11y' });
    BASE = `http://127.0.0.1:${vireod.port}`;
    admin = new Client(BASE);
    ok(await admin.login('admin', vireod.password), 200, 'admin login');
    dir = mkdtempSync(join(tmpdir(), 'vireo-e2e-a11y-'));
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
    ok(await api('POST', `/api/pools/${POOL}/volumes`, { body: { name: 'disk.qcow2', capacity: 1024 ** 3, format: 'qcow2' } }), 201, 'volume');
    ok(await api('POST', '/api/networks', { body: { name: NET, mode: 'isolated', start: false } }), 201, 'network');
    ok(await api('POST', '/api/templates', {
      body: { name: TEMPLATE, spec: { vcpus: 1, memory: 64, disks: [{ pool: POOL, size: 1024 ** 3 }], nics: [] } },
    }), 201, 'template');
    ok(await api('POST', '/api/users', { body: { username: VIEWER, role: 'viewer', password: `a11y-${SUFFIX}-pw` } }), 201, 'user');
    ok(await api('POST', '/api/tokens', { body: { name: `a11y-${SUFFIX}` } }), 201, 'token');
    browser = await chromium.launch(LAUNCH);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/templates/${TEMPLATE}`);
      await api('DELETE', `/api/networks/${NET}`);
      await api('DELETE', `/api/pools/${POOL}/volumes/disk.qcow2`);
      await api('DELETE', `/api/pools/${POOL}`);
      await api('DELETE', `/api/users/${VIEWER}`);
      const tokens = (await api('GET', '/api/tokens')).json?.tokens || [];
      for (const t of tokens.filter((x) => x.name === `a11y-${SUFFIX}`)) await api('DELETE', `/api/tokens/${t.id}`);
    }
    if (vireod) { await vireod.stop(); vireod.remove(); }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [look, options] of LOOKS) {
    test(`${look}: no serious finding on any page${look === 'phone' ? ', nothing wider than the screen' : ''}`, async () => {
      const context = await browser.newContext(options);
      const p = await context.newPage();
      p.setDefaultTimeout(15000);
      watch(p, pageErrors);
      const problems = [];
      const check = async (name) => {
        problems.push(...(await axeFindings(p, { impacts: SERIOUS })).map((f) => `${name}: ${f}`));
        if (look === 'phone') await checkNoOverflow(p, name);
      };
      try {
        await p.goto(`${BASE}/`);
        await p.getByTestId('login-page').waitFor();
        await check('sign-in');
        await signIn(p, 'admin', vireod.password, '#/', BASE);
        for (const [name, hash, ready] of PAGES) {
          await p.goto(`${BASE}/${hash}`);
          await p.locator(ready).first().waitFor();
          await check(name);
          await shot(p, `a11y-${look}-${name}`, { fullPage: false });
        }
        // What opens over the list: the task drawer, a row's menu.
        await p.goto(`${BASE}/#/`);
        await p.getByTestId('vm-row').first().waitFor();
        await p.getByTestId('task-button').click();
        await p.getByTestId('task-drawer').waitFor();
        await check('task drawer');
        await p.keyboard.press('Escape');
        await p.getByTestId('task-drawer').waitFor({ state: 'hidden' });
        assert.equal(await p.evaluate(() => document.activeElement?.dataset.testid), 'task-button', 'Escape gives focus back');
        await p.locator(`[data-testid="vm-row"][data-vm="${VM}"]`).getByTestId('vm-more').click();
        await p.locator(`[data-testid="vm-row"][data-vm="${VM}"]`).getByTestId('vm-more-menu').waitFor();
        await check('row menu');
      } finally {
        await context.close();
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  }

  test('no script errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
