// Volume uploads, clones and the Tasks card end to end: as admin, a file
// chosen in the Upload dialog streams into a new volume with a progress bar
// that reaches 100% and shows up in the list and as a finished task; a clone
// made in the Clone dialog appears as a task that ends "done" with the new
// volume listed; the download link serves the same bytes. A viewer gets no
// upload/clone buttons. Started by tests/e2e/run.sh (see lib.mjs).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE, LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const POOL = `e2e-xfer-${SUFFIX}`;
const MiB = 1024 ** 2;
const poolApi = `/api/pools/${encodeURIComponent(POOL)}`;

let browser;
let page;
let admin;
let dir;
let tmp;
let upload;
let uploadHash;
const pageErrors = [];

const api = (method, path, opts) => admin.request(method, path, opts);
const volRow = (name) => page.locator(`[data-testid="volume-row"][data-volume="${name}"]`);

describe('Uploads, clones and tasks', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync('/var/lib/libvirt/images/vireo-e2e-xfer-');
    tmp = mkdtempSync(join(tmpdir(), 'vireo-e2e-xfer-'));
    const r = await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    // Big enough that the browser reports progress along the way.
    const data = randomBytes(24 * MiB);
    upload = join(tmp, 'disk-upload.img');
    writeFileSync(upload, data);
    uploadHash = createHash('sha256').update(data).digest('hex');
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(20000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin && (await api('GET', poolApi)).status === 200) {
      const vols = await api('GET', `${poolApi}/volumes`);
      for (const v of (vols.json && vols.json.volumes) || []) await api('DELETE', `${poolApi}/volumes/${encodeURIComponent(v.name)}`);
      const del = await api('DELETE', `${poolApi}?delete_storage=true`);
      if (del.status !== 204) await api('DELETE', poolApi);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a file uploaded in the dialog shows its progress and becomes a volume and a finished task', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, `#/storage/${encodeURIComponent(POOL)}`);
    await page.getByTestId('volumes-empty').waitFor();
    await page.getByTestId('tasks-card').waitFor();
    await page.getByTestId('volume-upload').click();
    const dlg = page.getByTestId('upload-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('upload-file').setInputFiles(upload);
    assert.equal(await dlg.getByTestId('upload-name').inputValue(), 'disk-upload.img', 'the name follows the file');
    await checkPage(page, 'upload dialog');
    // Record every value the progress bar takes.
    await page.evaluate(() => {
      window.progressSeen = [];
      const bar = document.querySelector('[data-testid="upload-progress"]');
      new MutationObserver(() => window.progressSeen.push(Number(bar.getAttribute('aria-valuenow'))))
        .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    await dlg.getByTestId('upload-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    const seen = await page.evaluate(() => window.progressSeen);
    assert.ok(seen.length >= 1, 'the progress bar moved');
    assert.equal(Math.max(...seen), 100, `the bar reached 100%: ${seen.join(',')}`);
    await volRow('disk-upload.img').waitFor();
    assert.equal((await volRow('disk-upload.img').getByTestId('volume-capacity').textContent()).trim(), '24 MiB');
    assert.equal((await volRow('disk-upload.img').getByTestId('volume-format').textContent()).trim(), 'raw');
    const taskRow = page.locator('[data-testid="task-row"][data-kind="upload"][data-state="succeeded"]').filter({ hasText: POOL });
    await taskRow.first().waitFor();
    assert.equal((await taskRow.first().getByTestId('task-percent').textContent()).trim(), '100%');
    const v = (await api('GET', `${poolApi}/volumes/disk-upload.img`)).json;
    assert.equal(v.capacity, 24 * MiB);
    await page.evaluate(() => { for (const t of document.querySelectorAll('[data-testid="toast"]')) t.remove(); });
    await shot(page, '60-storage-upload-done');
  });

  test('the download link serves the uploaded bytes', async () => {
    const link = volRow('disk-upload.img').getByTestId('volume-download');
    assert.equal(await link.getAttribute('href'), `${poolApi}/volumes/disk-upload.img/content`);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'disk-upload.img');
    const path = join(tmp, 'downloaded.img');
    await download.saveAs(path);
    const { readFileSync } = await import('node:fs');
    assert.equal(createHash('sha256').update(readFileSync(path)).digest('hex'), uploadHash);
  });

  test('a clone made in the dialog runs as a task that finishes with the new volume listed', async () => {
    await volRow('disk-upload.img').getByTestId('volume-clone').click();
    const dlg = page.getByTestId('clone-dialog');
    await dlg.waitFor();
    assert.equal(await dlg.getByTestId('clone-name').inputValue(), 'disk-upload-copy.img');
    assert.equal(await dlg.getByTestId('clone-pool').inputValue(), POOL);
    await checkPage(page, 'clone dialog');
    await shot(page, '61-storage-clone-dialog', { fullPage: false });
    await dlg.getByTestId('clone-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    const done = page.locator('[data-testid="task-row"][data-kind="clone"][data-state="succeeded"]').filter({ hasText: POOL });
    await done.first().waitFor();
    assert.match((await done.first().getByTestId('task-title').textContent()), new RegExp(`${POOL}/disk-upload\\.img`));
    await volRow('disk-upload-copy.img').waitFor();
    const copy = (await api('GET', `${poolApi}/volumes/disk-upload-copy.img`)).json;
    assert.equal(copy.capacity, 24 * MiB);
    await page.evaluate(() => { for (const t of document.querySelectorAll('[data-testid="toast"]')) t.remove(); });
    await checkPage(page, 'storage page with tasks');
    await shot(page, '62-storage-clone-task-done');
    assert.deepEqual(pageErrors, []);
  });
});
