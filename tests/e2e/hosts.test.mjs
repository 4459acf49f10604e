// The Hosts page and what many hosts change elsewhere (docs/hosts.md): an
// admin adds libvirt's in-process test driver (test:///default) as a second
// host from the page, with TLS client files (a partial set is refused in
// words; the test driver ignores them), and sees it connected with its
// figures, each host's CPU use and memory in use among them, also on the
// dashboard; a host that never answers shows "Connecting…" on the button,
// then vireod's 503 in the form; the guests
// list grows a Host column and a host switcher that shows one host's
// guests; the test host's guest page names its host, offers the consoles
// of the test driver (none), not of vireod's QEMU host, and offers Migrate,
// whose dialog lists the other host and shows vireod's refusal in words;
// an admin grants that guest to an operator from the Users page (the grant
// names its host); a volume clone on the test host is a task the drawer
// says is on it; the host is removed from the page. The host is removed after, whatever
// happens, so the other files see one host.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const NAME = `e2e-hosts-${process.pid}`;
const OPERATOR = `e2eh${process.pid}`;
let admin;
let browser;
let page;
const pageErrors = [];
// TLS client files as vireod wants them: regular, root's, mode 600.
let pki;
const tlsFile = (name) => path.join(pki, name);

async function removeHost() {
  const hosts = (await admin.request('GET', '/api/hosts')).json?.hosts || [];
  for (const h of hosts) if (h.name === NAME) await admin.request('DELETE', `/api/hosts/${h.id}`);
}

describe('Hosts', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    await removeHost();
    pki = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-hosts-pki-'));
    for (const f of ['cert.pem', 'key.pem', 'ca.pem']) fs.writeFileSync(tlsFile(f), `${f}\n`, { mode: 0o600 });
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) await removeHost();
    if (admin) await admin.request('DELETE', `/api/users/${OPERATOR}`);
    if (pki) fs.rmSync(pki, { recursive: true, force: true });
  });

  test('an admin adds a host from the page and sees it connected with its figures', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/hosts');
    await page.getByTestId('view-hosts').waitFor();
    await page.locator('[data-testid="host-row"][data-host]').first().waitFor();
    assert.equal(await page.getByTestId('host-row').count(), 1, 'the local host alone at first');
    await page.getByTestId('host-name').fill(NAME);
    await page.getByTestId('host-uri').fill('test:///default');
    // A TLS certificate without its key and CA is refused in words.
    await page.getByTestId('host-tls-cert').fill(tlsFile('cert.pem'));
    await page.getByTestId('host-add').click();
    await page.getByTestId('host-form-error').filter({ hasText: 'go together' }).waitFor();
    await page.getByTestId('host-tls-key').fill(tlsFile('key.pem'));
    await page.getByTestId('host-tls-ca').fill(tlsFile('ca.pem'));
    await page.getByTestId('host-add').click();
    const row = page.locator(`[data-testid="host-row"][data-host="${NAME}"]`);
    await row.waitFor();
    await row.getByTestId('host-state').filter({ hasText: 'connected' }).waitFor({ timeout: 20000 });
    assert.equal(await page.getByTestId('host-tls-cert').inputValue(), '', 'the form is emptied');
    await row.getByTestId('host-credentials').filter({ hasText: 'TLS client files' }).waitFor();
    const added = (await admin.request('GET', '/api/hosts')).json.hosts.find((x) => x.name === NAME);
    assert.deepEqual(added.credentials, { ssh_key: false, tls_cert: true, tls_key: true, tls_ca: true });
    // Each host's CPU use and memory in use from the sampler (a share needs
    // two samples). The test driver's CPU counters stand still and it has
    // no memory figures, so its cells stay "—"; but it is sampled too.
    const local = page.locator('[data-testid="host-row"]').filter({ has: page.locator('.pill', { hasText: 'local' }) });
    await local.getByTestId('host-cpu').filter({ hasText: '%' }).waitFor({ timeout: 30000 });
    await local.getByTestId('host-memory-used').filter({ hasText: /iB$/ }).waitFor();
    for (let i = 0; i < 60; i++) {
      const h = (await admin.request('GET', '/api/hosts')).json.hosts.find((x) => x.name === NAME);
      if (h.figures.live && h.figures.live.time) break;
      assert.ok(i < 59, 'the test host is sampled');
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.waitForFunction((n) => /running/.test(document.querySelector(`[data-testid="host-row"][data-host="${n}"] [data-testid="host-vms"]`)?.textContent || ''), NAME);
    // The same host again is refused in words. (The test driver has no host
    // UUID: it is known by its URI as libvirt answers it, pkipath= included.)
    await page.getByTestId('host-name').fill(`${NAME}-again`);
    await page.getByTestId('host-uri').fill('test:///default');
    await page.getByTestId('host-tls-cert').fill(tlsFile('cert.pem'));
    await page.getByTestId('host-tls-key').fill(tlsFile('key.pem'));
    await page.getByTestId('host-tls-ca').fill(tlsFile('ca.pem'));
    await page.getByTestId('host-add').click();
    await page.getByTestId('host-form-error').filter({ hasText: 'already registered' }).waitFor();
    await checkPage(page, 'hosts page');
    await shot(page, 'hosts-page');
  });

  test('a host that never answers: the button says it is connecting, then the form says why', async () => {
    // Accepts libvirt's connection and never answers (vireod here waits 3 s).
    const sockets = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const uri = `qemu+tcp://127.0.0.1:${silent.address().port}/system`;
      await page.getByTestId('host-name').fill(`${NAME}-silent`);
      await page.getByTestId('host-uri').fill(uri);
      await page.getByTestId('host-add').click();
      const add = page.getByTestId('host-add');
      await add.filter({ hasText: 'Connecting…' }).waitFor();
      assert.ok(await add.isDisabled(), 'one attempt at a time');
      assert.equal(await add.getAttribute('aria-busy'), 'true');
      await page.getByTestId('host-form-error').filter({ hasText: 'no answer within 3 s' }).waitFor();
      await add.filter({ hasText: 'Add host' }).waitFor();
      assert.ok(!(await add.isDisabled()));
      assert.equal(await page.getByTestId('host-uri').inputValue(), uri, 'kept, to be mended');
      assert.equal(await page.locator(`[data-testid="host-row"][data-host="${NAME}-silent"]`).count(), 0);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
    await page.getByTestId('host-name').fill('');
    await page.getByTestId('host-uri').fill('');
  });

  test('the dashboard shows each host with its figures', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/dashboard'));
    const card = page.getByTestId('dash-hosts');
    await card.locator(`[data-testid="dash-host"][data-host="${NAME}"]`).waitFor();
    // The local host's CPU use (the test driver's counters stand still).
    await card.locator('[data-testid="dash-host"]').first().getByTestId('dash-host-cpu').filter({ hasText: '%' }).waitFor();
    assert.equal(await card.locator('[data-testid="dash-host"]').count(), 2);
    await shot(page, 'hosts-dashboard');
  });

  test('the guests list shows each guest\'s host and switches to one host', async () => {
    // A host added while the page was open lists its guests from the next load.
    await page.goto(page.url().replace(/#.*$/, '#/'));
    await page.reload();
    await page.locator('[data-testid="vm-row"][data-vm="test"]').waitFor();
    const sel = page.getByTestId('vm-host-filter');
    await sel.waitFor({ state: 'visible' });
    assert.equal((await page.locator('[data-testid="vm-row"][data-vm="test"] [data-testid="vm-host"]').textContent()).trim(), NAME);
    await sel.selectOption(NAME);
    await page.waitForFunction(() => location.hash.includes('host='));
    const names = await page.locator('[data-testid="vm-row"]').evaluateAll((rows) => rows.map((r) => r.dataset.vm));
    assert.deepEqual(names, ['test']);
    await shot(page, 'hosts-list-switched');
    await sel.selectOption('');
  });

  test('a guest on the test host names its host and offers Migrate, whose refusal is shown', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/vms/test'));
    await page.getByTestId('detail-host').filter({ hasText: NAME }).waitFor();
    // Its page offers what the test host's driver has, not what vireod's
    // own QEMU host has: no console, and it says so.
    await page.getByTestId('detail-display-text').filter({ hasText: /TEST driver has no console/ }).waitFor();
    assert.equal(await page.getByTestId('action-console').count(), 0);
    await page.getByTestId('vm-snapshots').waitFor();
    // The test driver reports an address for its guest: shown as one.
    const shown = await page.getByTestId('detail-addresses').locator('code').allTextContents();
    const known = ((await admin.request('GET', `/api/vms/test?host=${encodeURIComponent(NAME)}`)).json.addresses || [])
      .map((a) => `${a.address}/${a.prefix}`);
    assert.ok(known.length > 0, 'the test driver reports an address');
    assert.deepEqual(shown, known);
    await page.getByTestId('action-migrate').click();
    const dlg = page.getByTestId('migrate-dialog');
    await dlg.waitFor();
    const options = await dlg.getByTestId('migrate-host').locator('option').allTextContents();
    assert.equal(options.length, 1, `the other host only: ${options}`);
    await dlg.locator('button[type="submit"]').click();
    // The test driver cannot move its guest to QEMU: vireod says why, and nothing moved.
    await dlg.locator('[role="alert"]').filter({ hasText: /\S/ }).first().waitFor();
    await shot(page, 'hosts-migrate-refused');
    const r = await admin.request('GET', '/api/vms/test');
    assert.equal(r.json.host.name, NAME);
    await page.keyboard.press('Escape');
  });

  test('a guest of the test host is granted from the Users page, on its host', async () => {
    const made = await admin.request('POST', '/api/users', { body: { username: OPERATOR, password: `Hosts-e2e-${process.pid}-pw!`, role: 'operator' } });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    await page.goto(page.url().replace(/#.*$/, '#/users'));
    await page.locator(`[data-testid="user-row"][data-user="${OPERATOR}"] [data-testid="user-grants"]`).click();
    const dlg = page.getByTestId('grants-dialog');
    await dlg.waitFor();
    await page.getByTestId('grant-empty').waitFor();
    // With two hosts each guest says its host; the grant is asked of that host.
    await page.getByTestId('grant-vm-select').selectOption({ label: `test (${NAME})` });
    await page.getByTestId('grant-add').click();
    const item = dlg.locator('[data-testid="grant-item"][data-vm="test"]');
    await item.getByTestId('grant-host').filter({ hasText: NAME }).waitFor();
    const grants = (await admin.request('GET', `/api/users/${OPERATOR}/grants`)).json.grants;
    assert.deepEqual(grants.map((g) => [g.name, g.host && g.host.name]), [['test', NAME]]);
    await page.getByTestId('grants-done').click();
    await dlg.waitFor({ state: 'detached' });
  });

  test('a task on the test host names its host in the task drawer', async () => {
    const q = `?host=${encodeURIComponent(NAME)}`;
    let r = await admin.request('POST', `/api/pools/default-pool/volumes${q}`, { body: { name: `${NAME}.img`, capacity: 1048576, format: 'raw' } });
    assert.equal(r.status, 201);
    r = await admin.request('POST', `/api/pools/default-pool/volumes/${NAME}.img/clone${q}`, { body: { name: `${NAME}-copy.img` } });
    assert.equal(r.status, 202);
    assert.equal(r.json.host.name, NAME);
    await page.goto(page.url().replace(/#.*$/, '#/'));
    await page.getByTestId('task-button').click();
    const row = page.locator(`[data-testid="task-row"][data-task="${r.json.id}"]`);
    await row.getByTestId('task-host').filter({ hasText: `on ${NAME}` }).waitFor();
    await row.getByTestId('task-result').waitFor();
    await shot(page, 'hosts-task-drawer');
    await page.keyboard.press('Escape');
  });

  test('the admin removes the host from the page', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/hosts'));
    const row = page.locator(`[data-testid="host-row"][data-host="${NAME}"]`);
    await row.getByTestId('host-remove').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(pageErrors, []);
  });
});
