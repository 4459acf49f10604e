// The Hosts page and what many hosts change elsewhere (docs/hosts.md): an
// admin adds libvirt's in-process test driver (test:///default) as a second
// host from the page and sees it connected with its figures; the guests
// list grows a Host column and a host switcher that shows one host's
// guests; the test host's guest page names its host and offers Migrate,
// whose dialog lists the other host and shows vireod's refusal in words;
// a volume clone on the test host is a task the drawer says is on it; the
// host is removed from the page. The host is removed after, whatever
// happens, so the other files see one host.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const NAME = `e2e-hosts-${process.pid}`;
let admin;
let browser;
let page;
const pageErrors = [];

async function removeHost() {
  const hosts = (await admin.request('GET', '/api/hosts')).json?.hosts || [];
  for (const h of hosts) if (h.name === NAME) await admin.request('DELETE', `/api/hosts/${h.id}`);
}

describe('Hosts', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    await removeHost();
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) await removeHost();
  });

  test('an admin adds a host from the page and sees it connected with its figures', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/hosts');
    await page.getByTestId('view-hosts').waitFor();
    await page.locator('[data-testid="host-row"][data-host]').first().waitFor();
    assert.equal(await page.getByTestId('host-row').count(), 1, 'the local host alone at first');
    await page.getByTestId('host-name').fill(NAME);
    await page.getByTestId('host-uri').fill('test:///default');
    await page.getByTestId('host-add').click();
    const row = page.locator(`[data-testid="host-row"][data-host="${NAME}"]`);
    await row.waitFor();
    await row.getByTestId('host-state').filter({ hasText: 'connected' }).waitFor({ timeout: 20000 });
    await page.waitForFunction((n) => /running/.test(document.querySelector(`[data-testid="host-row"][data-host="${n}"] [data-testid="host-vms"]`)?.textContent || ''), NAME);
    // The same host again is refused in words.
    await page.getByTestId('host-name').fill(`${NAME}-again`);
    await page.getByTestId('host-uri').fill('test:///default');
    await page.getByTestId('host-add').click();
    await page.getByTestId('host-form-error').filter({ hasText: 'already registered' }).waitFor();
    await checkPage(page, 'hosts page');
    await shot(page, 'hosts-page');
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
