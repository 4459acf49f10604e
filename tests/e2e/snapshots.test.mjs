// Snapshots and clones on a guest's page end to end, as admin, on a shut-off
// guest of its own with an empty qcow2 disk (nothing waits for TCG): a
// snapshot taken through the Snapshots card's dialog, a disk attached over
// the API, Revert (confirmed) takes it away again, a second snapshot shows
// under the first in the tree, Delete (confirmed) keeps the other one; the
// Clone dialog makes a linked clone and opens its page.
// Started by tests/e2e/run.sh (see lib.mjs); names are unique per run.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, CONNECT, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const run = promisify(execFile);
const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const VM = `vireo-e2e-snap-${SUFFIX}`;
const CLONE = `${VM}-clone`;
const POOL = `e2e-snappool-${SUFFIX}`;
const MIB = 1 << 20;

let browser;
let page;
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const virsh = (...args) => run('virsh', ['-q', '-c', CONNECT, ...args], { timeout: 30000 });
const row = (name) => page.locator(`[data-testid="snapshot-row"][data-snapshot="${name}"]`);
const diskRows = () => page.locator('[data-testid="detail-disks-table-row"]');

describe('Snapshots card and Clone', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync('/var/lib/libvirt/images/vireo-e2e-snap-');
    chmodSync(dir, 0o755);
    let r = await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    r = await api('POST', '/api/vms', { body: { name: VM, vcpus: 1, memory: 64, graphics: 'none', disks: [{ pool: POOL, size: 8 * MIB, format: 'qcow2' }] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    for (const vm of [CLONE, VM]) {
      await virsh('destroy', vm).catch(() => {});
      await virsh('undefine', vm, '--snapshots-metadata').catch(() => {});
    }
    if (admin) {
      await api('DELETE', `/api/pools/${POOL}`);
      await virsh('pool-destroy', POOL).catch(() => {});
      await virsh('pool-undefine', POOL).catch(() => {});
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('take a snapshot, revert to it, delete one', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, `#/vms/${encodeURIComponent(VM)}`);
    const card = page.getByTestId('vm-snapshots');
    await card.getByTestId('snapshots-empty').waitFor();
    await diskRows().first().waitFor();
    assert.equal(await diskRows().count(), 1);

    await card.getByTestId('snapshot-take').click();
    const dlg = page.getByTestId('snapshot-dialog');
    await dlg.waitFor();
    assert.equal(await dlg.getByTestId('snapshot-memory').isChecked(), false, 'a shut-off guest has no memory to keep');
    await checkPage(page, 'the snapshot dialog');
    await dlg.getByTestId('snapshot-name-input').fill('bad name');
    await dlg.getByTestId('snapshot-dialog-submit').click();
    await dlg.getByTestId('snapshot-dialog-error').waitFor();
    await dlg.getByTestId('snapshot-name-input').fill('clean');
    await dlg.getByLabel('Description (optional)').fill('fresh install');
    await shot(page, 'snapshot-dialog', { fullPage: false });
    await dlg.getByTestId('snapshot-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    await row('clean').waitFor();
    assert.match(await row('clean').innerText(), /fresh install/);
    await row('clean').getByTestId('snapshot-current').waitFor();

    // A change after the snapshot, made elsewhere: a second disk.
    const r = await api('POST', `/api/vms/${encodeURIComponent(VM)}/disks`, { body: { pool: POOL, size: MIB } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="detail-disks-table-row"]').length === 2);

    await row('clean').getByTestId('snapshot-revert').click();
    await page.locator('#confirm-dialog').waitFor();
    assert.match(await page.locator('#confirm-body').innerText(), /shut off/);
    await page.locator('#confirm-ok').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="detail-disks-table-row"]').length === 1, null, { timeout: 30000 });

    // A second snapshot sits under the first.
    await card.getByTestId('snapshot-take').click();
    await dlg.getByTestId('snapshot-name-input').fill('later');
    await dlg.getByTestId('snapshot-dialog-submit').click();
    await row('later').waitFor();
    assert.equal(await row('later').getAttribute('data-depth'), '1');
    await checkPage(page, 'the guest page with snapshots');
    await shot(page, 'snapshots-card');

    await row('clean').getByTestId('snapshot-delete').click();
    await page.locator('#confirm-dialog').waitFor();
    assert.match(await page.locator('#confirm-body').innerText(), /later/);
    await page.locator('#confirm-ok').click();
    await row('clean').waitFor({ state: 'detached' });
    await row('later').waitFor();
    assert.equal(await row('later').getAttribute('data-depth'), '0');
    const list = await api('GET', `/api/vms/${encodeURIComponent(VM)}/snapshots`);
    assert.deepEqual(list.json.snapshots.map((s) => s.name), ['later']);
  });

  test('the Clone dialog makes a linked clone and opens it', async () => {
    await api('DELETE', `/api/vms/${encodeURIComponent(VM)}/snapshots/later`);
    await page.getByTestId('action-clone').click();
    const dlg = page.getByTestId('clone-dialog');
    await dlg.waitFor();
    await checkPage(page, 'the clone dialog');
    await dlg.getByTestId('clone-name').fill(CLONE);
    await dlg.getByTestId('clone-linked').check();
    await dlg.getByTestId('clone-dialog-submit').click();
    await page.waitForURL(new RegExp(`#/vms/${encodeURIComponent(CLONE)}$`));
    await page.getByTestId('detail-name').filter({ hasText: CLONE }).waitFor();
    await shot(page, 'clone-page');
    assert.deepEqual(pageErrors, []);
  });
});
