// The "New storage pool" dialog beyond directories: it shows only the fields
// of the chosen type, an fs pool on an ext4 loop device is created and shows
// where it comes from, and a pool whose start fails (NFS from a host that
// serves none) shows vireod's error in the dialog and leaves no pool behind.
// Started by tests/e2e/run.sh (see lib.mjs); loop devices and pools are
// removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const FS_POOL = `e2e-fs-${SUFFIX}`;
const NFS_POOL = `e2e-nfs-${SUFFIX}`;

let browser;
let page;
let admin;
let dir;
let loop = null;
const pageErrors = [];
const run = (cmd, ...args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

async function openDialog(type) {
  await page.getByTestId('pool-new').click();
  const dlg = page.getByTestId('new-pool-dialog');
  await dlg.waitFor();
  await dlg.getByTestId('new-pool-type').selectOption(type);
  return dlg;
}

describe('New pool dialog: pool types', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync('/var/lib/libvirt/images/vireo-e2e-pt-');
    const image = join(dir, 'fs.img');
    writeFileSync(image, '');
    truncateSync(image, 64 * 1024 ** 2);
    loop = run('losetup', '--find', '--show', image);
    run('mkfs.ext4', '-q', loop);
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    for (const name of [FS_POOL, NFS_POOL]) {
      if (admin && (await admin.request('GET', `/api/pools/${name}`)).status === 200) {
        await admin.request('DELETE', `/api/pools/${name}`);
      }
    }
    try { execFileSync('umount', [join(dir, 'mnt')], { stdio: 'ignore' }); } catch { /* not mounted */ }
    if (loop) execFileSync('losetup', ['-d', loop]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('each type shows only its own fields', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/storage');
    await page.getByTestId('view-storage').waitFor();
    const dlg = await openDialog('iscsi');
    const visible = async (id) => dlg.getByTestId(id).isVisible();
    assert.equal(await visible('new-pool-iqn'), true);
    assert.equal(await visible('new-pool-host'), true);
    assert.equal(await visible('new-pool-path'), false, 'iSCSI has no directory to give');
    await dlg.getByTestId('new-pool-type').selectOption('logical');
    assert.equal(await visible('new-pool-vg'), true);
    assert.equal(await visible('new-pool-iqn'), false);
    await dlg.getByTestId('new-pool-type').selectOption('netfs');
    assert.equal(await visible('new-pool-dir'), true);
    assert.equal(await visible('new-pool-path'), true);
    await checkPage(page, 'new pool dialog (netfs)');
    await shot(page, '45-storage-new-pool-netfs', { fullPage: false });
    await dlg.getByTestId('new-pool-dialog-cancel').click();
    await dlg.waitFor({ state: 'detached' });
  });

  test('an fs pool on an ext4 block device is created, mounted and shows its device', async () => {
    const dlg = await openDialog('fs');
    await dlg.getByTestId('new-pool-name').fill(FS_POOL);
    await dlg.getByTestId('new-pool-path').fill(join(dir, 'mnt'));
    await dlg.getByTestId('new-pool-device').fill(loop);
    await dlg.getByTestId('new-pool-fs-format').selectOption('ext4');
    await dlg.getByTestId('new-pool-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    const row = page.locator(`[data-testid="pool-row"][data-pool="${FS_POOL}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'running');
    assert.equal((await row.getByTestId('pool-source').textContent()).trim(), `${loop} (ext4)`);
    const pool = (await admin.request('GET', `/api/pools/${FS_POOL}`)).json;
    assert.deepEqual(pool.source, { devices: [loop], format: 'ext4' });
    // Its lost+found is a directory: listed, with nothing to click.
    const lf = page.locator('[data-testid="volume-row"][data-volume="lost+found"]');
    await lf.waitFor();
    assert.equal(await lf.locator('button, a').count(), 0);
    await shot(page, '46-storage-fs-pool');
  });

  test('an NFS pool that cannot mount shows the error and leaves nothing', async () => {
    const dlg = await openDialog('netfs');
    await dlg.getByTestId('new-pool-name').fill(NFS_POOL);
    await dlg.getByTestId('new-pool-path').fill(join(dir, 'nfs'));
    await dlg.getByTestId('new-pool-host').fill('127.0.0.1');
    await dlg.getByTestId('new-pool-dir').fill('relative');
    await dlg.getByTestId('new-pool-dialog-submit').click();
    const err = dlg.getByTestId('new-pool-dialog-error');
    await err.waitFor();
    assert.match(await err.textContent(), /exported directory must be an absolute path/);
    await dlg.getByTestId('new-pool-dir').fill('/export');
    await dlg.getByTestId('new-pool-dialog-submit').click();
    await page.waitForFunction(() => /mount/i.test(document.querySelector('[data-testid="new-pool-dialog-error"]')?.textContent || ''));
    assert.equal((await admin.request('GET', `/api/pools/${NFS_POOL}`)).status, 404, 'nothing stays defined');
    await dlg.getByTestId('new-pool-dialog-cancel').click();
    assert.deepEqual(pageErrors, []);
  });
});
