// Quotas in the web UI (docs/quotas.md), end to end: an admin sets an
// operator's quota in the Users page's dialog (a bad value is refused in the
// dialog, an empty field is no limit), the row shows usage against the
// limits and the audit log the change; the operator's My account page shows
// the same; the New VM wizard shows what is left beside vCPUs, memory and
// disk, stops the step that asks for more, and puts vireod's own refusal
// (the quota lowered while the wizard was open) on the memory field, at its
// step. Started by tests/e2e/run.sh (see lib.mjs).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage, removePool } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const OP = `e2e_quota_${process.pid}`;
const PASSWORD = `quota-${SUFFIX}-pw`;
const POOL = `e2e-quota-${SUFFIX}`;
const VMNAME = `e2e-quota-${SUFFIX}`;
const GIB = 1024 ** 3;

let browser;
let page; // the admin's
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
const quotaOf = async () => (await api('GET', `/api/users/${OP}`)).json.quota;

async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  const p = await ctx.newPage();
  p.setDefaultTimeout(20000);
  watch(p, pageErrors);
  return { ctx, p };
}

describe('Quotas: the Users page dialog, My account and the New VM wizard', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
    ok(await api('POST', '/api/users', { body: { username: OP, password: PASSWORD, role: 'operator' } }), 201, 'operator');
    ok(await api('POST', `/api/users/${OP}/grants`, { body: { pool: POOL, use: ['disks'] } }), 201, 'grant');
    browser = await chromium.launch(LAUNCH);
    ({ p: page } = await newPage());
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/users');
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/vms/${VMNAME}?force=true&volumes=true`);
      await removePool(admin, POOL);
      await api('DELETE', `/api/users/${OP}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an admin sets a quota in the dialog; empty is no limit; the row and the audit log show it', async () => {
    await page.getByTestId('view-users').waitFor();
    const row = page.locator(`[data-testid="user-row"][data-user="${OP}"]`);
    await row.getByTestId('user-quota-summary-note').filter({ hasText: 'No limits.' }).waitFor();
    await row.getByTestId('user-quota-edit').click();
    const dlg = page.getByTestId('quota-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('quota-vms').fill('1');
    await dlg.getByTestId('quota-vcpus').fill('-1');
    await dlg.getByTestId('quota-memory').fill('256');
    await dlg.getByTestId('quota-memory-unit').selectOption('MiB');
    await dlg.getByTestId('quota-disk').fill('2');
    await dlg.getByTestId('quota-dialog-submit').click();
    const error = dlg.getByTestId('quota-dialog-error');
    await error.waitFor();
    assert.match(await error.textContent(), /vCPUs: give a whole number/);
    await dlg.getByTestId('quota-vcpus').fill('1');
    await checkPage(page, 'quota dialog');
    await shot(page, '90-quota-dialog', { fullPage: false });
    await dlg.getByTestId('quota-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    const vcpus = row.getByTestId('user-quota-summary-vcpus');
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.limit === '1',
      `[data-testid="user-row"][data-user="${OP}"] [data-testid="user-quota-summary-vcpus"]`);
    assert.equal(await vcpus.getAttribute('data-used'), '0');
    assert.match(await row.getByTestId('user-quota-summary-disk-text').textContent(), /^0 B of 2 GiB$/);
    assert.deepEqual(await quotaOf(), { vms: 1, vcpus: 1, memory: 256, disk: 2 * GIB });
    await checkPage(page, 'users with a quota');
    await shot(page, '91-users-quota');

    // An emptied field lifts that limit and leaves the others.
    await row.getByTestId('user-quota-edit').click();
    await dlg.waitFor();
    assert.equal(await dlg.getByTestId('quota-memory').inputValue(), '256');
    assert.equal(await dlg.getByTestId('quota-disk-unit').inputValue(), 'GiB');
    await dlg.getByTestId('quota-vms').fill('');
    await dlg.getByTestId('quota-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    assert.deepEqual(await quotaOf(), { vms: null, vcpus: 1, memory: 256, disk: 2 * GIB });
    ok(await api('PATCH', `/api/users/${OP}`, { body: { quota: { vms: 1 } } }), 200, 'vms back to 1');

    const entries = (await api('GET', `/api/audit?action=user.update&object=${OP}`)).json.entries;
    const details = entries.map((e) => e.detail);
    assert.ok(details.includes(`quota vms unlimited -> 1, vcpus unlimited -> 1, memory unlimited -> 256, disk unlimited -> ${2 * GIB}`), JSON.stringify(details));
    assert.ok(details.includes('quota vms 1 -> unlimited'), JSON.stringify(details));
  });

  test('the operator sees their usage and limits, and the wizard keeps within them', async () => {
    const { ctx, p } = await newPage();
    await signIn(p, OP, PASSWORD);
    await p.getByTestId('user-menu-button').click();
    await p.getByTestId('menu-account').click();
    await p.getByTestId('view-account').waitFor();
    const mine = p.getByTestId('my-quota-summary');
    await mine.waitFor();
    assert.equal(await mine.getByTestId('my-quota-summary-vcpus').getAttribute('data-limit'), '1');
    assert.equal(await mine.getByTestId('my-quota-summary-vms').getAttribute('data-used'), '0');
    await checkPage(p, 'my account');
    await shot(p, '92-my-account');

    await p.goto(`${p.url().split('#')[0]}#/new`);
    await p.getByTestId('view-create').waitFor();
    await p.getByTestId('install-mode-none').click();
    await p.getByTestId('wizard-next').click();
    await p.locator('[data-testid="os-option"][data-os=""]').click();
    await p.getByTestId('wizard-next').click();
    const left = p.getByTestId('quota-left-resources');
    await left.waitFor();
    assert.equal((await left.textContent()).trim(), 'Your quota leaves 1 vCPU and 256 MiB of memory.');
    await p.getByTestId('spec-vcpus').fill('2');
    await p.getByTestId('spec-memory').fill('64');
    await p.getByTestId('wizard-next').click();
    assert.match(await p.getByTestId('spec-vcpus-error').textContent(), /Your quota leaves 1 vCPU:/);
    await shot(p, '93-wizard-quota-step');
    await p.getByTestId('spec-vcpus').fill('1');
    await p.getByTestId('wizard-next').click();
    assert.match(await p.getByTestId('quota-left-disk').textContent(), /2 GiB of disk for new disks/);
    await p.getByTestId('disk-pool').selectOption(POOL);
    await p.getByTestId('disk-size').fill('3');
    await p.getByTestId('wizard-next').click();
    assert.match(await p.getByTestId('disk-size-error').textContent(), /Your quota leaves 2 GiB of disk/);
    await p.getByTestId('disk-size').fill('1');
    await p.getByTestId('wizard-next').click();
    await p.getByTestId('spec-network').selectOption('');
    await p.getByTestId('wizard-next').click();
    await p.getByTestId('create-name').fill(VMNAME);
    assert.match(await p.getByTestId('quota-left-vms').textContent(), /leaves 1 VM: this one would be one more/);
    await p.getByTestId('create-start').setChecked(false, { force: true });

    // Lowered behind the wizard's back: vireod's refusal lands on memory.
    ok(await api('PATCH', `/api/users/${OP}`, { body: { quota: { memory: 32 } } }), 200, 'lower memory');
    await p.getByTestId('wizard-create').click();
    const refused = p.getByTestId('spec-memory-error');
    await refused.waitFor();
    assert.match(await refused.textContent(), /^quota 'memory': this would use 64 MiB of your 32 MiB of memory/);
    await p.locator('.wizard-steps li.is-current', { hasText: 'Resources' }).waitFor();
    await p.getByTestId('quota-left-resources').filter({ hasText: '32 MiB of memory' }).waitFor();
    await checkPage(p, 'wizard: quota refusal');
    await shot(p, '94-wizard-quota-refusal');
    assert.equal((await api('GET', `/api/vms/${VMNAME}`)).status, 404, 'nothing was made');

    await p.getByTestId('spec-memory').fill('32');
    for (let i = 0; i < 3; i++) await p.getByTestId('wizard-next').click();
    await p.getByTestId('wizard-create').click();
    await p.waitForFunction((h) => location.hash === h, `#/vms/${VMNAME}`);
    const usage = (await api('GET', `/api/users/${OP}`)).json.usage;
    assert.deepEqual(usage, { vms: 1, vcpus: 1, memory: 32, disk: GIB });
    await ctx.close();
    assert.deepEqual(pageErrors, []);
  });
});
