// Backups for operators in the web UI, end to end: an operator (with a pool
// granted for disks and a shut-off guest of their own on a small raw disk)
// finds Backups in the navigation, makes a backup job in the dialog, runs
// it, and restores the kept backup over the guest ("Over ..." in the
// restore dialog): the guest keeps its name and UUID and is on a new disk
// volume; restoring over it while it runs is refused in the dialog, which
// says it stays as it was. A viewer has no Backups page. Started by
// tests/e2e/run.sh (see lib.mjs); names are unique per run.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { LAUNCH, shot, watch, signIn, adminClient, checkPage, removePool } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const OP = `e2e_bk_${process.pid}`;
const VIEWER = `e2e_bkv_${process.pid}`;
const PASSWORD = `backups-${SUFFIX}-pw`;
const POOL = `e2e-bk-${SUFFIX}`;
const VMNAME = `e2e-bk-${SUFFIX}`;
const JOB = `e2e-job-${process.pid}`;
const MIB = 1 << 20;

let browser;
let page;
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);

describe('Backups page for an operator: a job, a run, a restore over the guest', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
    ok(await api('POST', '/api/users', { body: { username: OP, password: PASSWORD, role: 'operator' } }), 201, 'operator');
    ok(await api('POST', '/api/users', { body: { username: VIEWER, password: PASSWORD, role: 'viewer' } }), 201, 'viewer');
    ok(await api('POST', `/api/users/${OP}/grants`, { body: { pool: POOL, use: ['disks'] } }), 201, 'grant');
    browser = await chromium.launch(LAUNCH);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    watch(page, pageErrors);
    await signIn(page, OP, PASSWORD, '#/');
    // The operator's own guest, made over the API as the operator.
    const made = await page.evaluate(async ([name, pool, size]) => {
      const r = await fetch('/api/vms', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Vireo-CSRF': '1' },
        body: JSON.stringify({ name, vcpus: 1, memory: 32, graphics: 'none', disks: [{ pool, size, format: 'raw' }] }),
      });
      return r.status;
    }, [VMNAME, POOL, MIB]);
    assert.equal(made, 201, 'the operator made the guest');
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/backups/jobs/${JOB}`);
      const kept = (await api('GET', '/api/backups')).json?.backups || [];
      for (const b of kept.filter((x) => x.vm === VMNAME)) await api('DELETE', `/api/backups/${b.id}`);
      await api('DELETE', `/api/vms/${VMNAME}?force=true&volumes=true`);
      await removePool(admin, POOL);
      await api('DELETE', `/api/users/${OP}`);
      await api('DELETE', `/api/users/${VIEWER}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the operator makes a job in the dialog and runs it', async () => {
    await page.getByTestId('nav-backups').click();
    await page.getByTestId('view-backups').waitFor();
    await page.getByTestId('backup-jobs-empty').waitFor();
    await page.getByTestId('backup-job-new').first().click();
    const dlg = page.getByTestId('backup-job-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('backup-job-name-input').fill(JOB);
    await dlg.getByLabel(VMNAME).check();
    await dlg.getByTestId('backup-job-pool').selectOption(POOL);
    await dlg.getByTestId('backup-job-dialog-submit').click();
    const row = page.locator('[data-testid="backup-job-row"]').filter({ hasText: JOB });
    await row.waitFor();
    await row.getByTestId('backup-job-run').click();
    await page.getByTestId('backup-row').filter({ hasText: VMNAME }).waitFor({ timeout: 60000 });
    await checkPage(page, 'the operator\'s Backups page');
    await shot(page, 'backups-operator');
  });

  test('restore over the running guest is refused; over the shut-off guest it is replaced', async () => {
    const before = (await api('GET', `/api/vms/${VMNAME}`)).json;
    ok(await api('POST', `/api/vms/${VMNAME}/start`), 200, 'start');
    const row = page.getByTestId('backup-row').filter({ hasText: VMNAME }).first();
    await row.getByTestId('backup-restore').click();
    let dlg = page.getByTestId('restore-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('restore-mode').selectOption('replace');
    await dlg.getByTestId('restore-replace-note').waitFor();
    assert.equal(await dlg.getByTestId('restore-name').isVisible(), false, 'no name when restoring over the guest');
    await checkPage(page, 'the restore dialog, over the guest');
    await dlg.getByTestId('restore-dialog-submit').click();
    await dlg.getByTestId('restore-dialog-error').filter({ hasText: 'shut it off' }).waitFor();
    await page.keyboard.press('Escape');
    ok(await api('POST', `/api/vms/${VMNAME}/poweroff`), 200, 'poweroff');

    await row.getByTestId('backup-restore').click();
    dlg = page.getByTestId('restore-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('restore-mode').selectOption('replace');
    await dlg.getByTestId('restore-dialog-submit').click();
    await page.waitForURL(new RegExp(`#/vms/${VMNAME}$`), { timeout: 60000 });
    const after = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.equal(after.uuid, before.uuid, 'the same guest');
    assert.notEqual(after.disks[0].source, before.disks[0].source, 'on the backup\'s new disk');
    assert.match(after.disks[0].source, /-restored-/);
    assert.deepEqual(pageErrors, []);
  });

  test('a viewer has no Backups page', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    await signIn(p, VIEWER, PASSWORD, '#/backups');
    await p.getByTestId('view-forbidden').waitFor();
    assert.equal(await p.getByTestId('nav-backups').count(), 0);
    await ctx.close();
  });
});
