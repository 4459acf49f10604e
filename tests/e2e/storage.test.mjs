// The Storage page end to end: as admin, a dir pool in a fresh directory under
// /var/lib/libvirt/images, raw and qcow2 volumes (one over a backing volume)
// made through the dialogs, a resize, a wipe, the Used by column naming the
// guest that uses a volume (and the 409 when deleting it), deletes, and the
// pool removed with its directory; a viewer granted the pool sees the same
// page without change buttons, and one without grants sees no pool at all.
// Started by tests/e2e/run.sh (see lib.mjs). Names are unique per run, since
// other runs may share this libvirtd; whatever is left is removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { BASE, LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const POOL = `e2e-pool-${SUFFIX}`;
const VIEWER = `e2e_storage_viewer_${process.pid}`;
const VIEWER_PASSWORD = `view-${SUFFIX}-pw`;
const LONER = `e2e_storage_loner_${process.pid}`;
const USER_VM = `e2e-storage-vm-${SUFFIX}`;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

let browser;
let context;
let page;
let admin;
let dir;
const pageErrors = [];

const api = (method, path, opts) => admin.request(method, path, opts);
const poolRow = (p = page) => p.locator(`[data-testid="pool-row"][data-pool="${POOL}"]`);
const volRow = (name, p = page) => p.locator(`[data-testid="volume-row"][data-volume="${name}"]`);
const poolApi = `/api/pools/${encodeURIComponent(POOL)}`;

// Full-page shots without the pile of toasts from the steps before.
async function pageShot(p, name) {
  await p.evaluate(() => { for (const t of document.querySelectorAll('[data-testid="toast"]')) t.remove(); });
  await shot(p, name);
}

async function newVolume({ name, size, unit, format, backing = null, screenshot = null }) {
  await page.getByTestId('volume-new').click();
  const dlg = page.getByTestId('new-volume-dialog');
  await dlg.waitFor();
  await dlg.getByTestId('new-volume-name').fill(name);
  await dlg.getByTestId('new-volume-format').selectOption(format);
  if (backing) {
    assert.equal(await dlg.getByTestId('new-volume-backing').isVisible(), true, 'qcow2 offers a backing volume');
    await dlg.getByTestId('new-volume-backing').selectOption(backing);
  } else if (format !== 'qcow2') {
    assert.equal(await dlg.getByTestId('new-volume-backing').isVisible(), false, `${format} offers no backing volume`);
  }
  if (size !== null) {
    await dlg.getByTestId('new-volume-size').fill(String(size));
    await dlg.getByTestId('new-volume-size-unit').selectOption(unit);
  }
  if (screenshot) {
    await checkPage(page, 'new volume dialog');
    await shot(page, screenshot, { fullPage: false });
  }
  await dlg.getByTestId('new-volume-dialog-submit').click();
  await dlg.waitFor({ state: 'detached' });
  await volRow(name).waitFor();
}

describe('Storage page', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync('/var/lib/libvirt/images/vireo-e2e-');
    // QEMU runs as libvirt-qemu: it must reach the files of a guest started here.
    chmodSync(dir, 0o711);
    browser = await chromium.launch(LAUNCH);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) await api('DELETE', `/api/vms/${USER_VM}?force=true`);
    if (admin && (await api('GET', poolApi)).status === 200) {
      // A test that failed half-way may have left the pool stopped.
      await api('POST', `${poolApi}/start`);
      const vols = await api('GET', `${poolApi}/volumes`);
      // Overlays before what they are over.
      const list = (vols.json && vols.json.volumes) || [];
      list.sort((a, b) => (b.backing ? 1 : 0) - (a.backing ? 1 : 0));
      for (const v of list) await api('DELETE', `${poolApi}/volumes/${encodeURIComponent(v.name)}`);
      const del = await api('DELETE', `${poolApi}?delete_storage=true`);
      if (del.status !== 204) await api('DELETE', poolApi);
    }
    if (admin) {
      await api('DELETE', `/api/vms/${USER_VM}?force=true`);
      await api('DELETE', `/api/users/${VIEWER}`);
      await api('DELETE', `/api/users/${LONER}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('admin creates a dir pool in a fresh directory and sees it active with its size', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('nav-storage').click();
    await page.getByTestId('view-storage').waitFor();
    await page.waitForFunction(() => location.hash === '#/storage');
    await page.getByTestId('pool-new').click();
    const dlg = page.getByTestId('new-pool-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('new-pool-name').fill(POOL);
    await dlg.getByTestId('new-pool-path').fill(dir);
    // On by default; the switch is its label (the checkbox itself is hidden).
    assert.equal(await dlg.getByTestId('new-pool-autostart').isChecked(), true);
    await dlg.locator('label.switch').click();
    assert.equal(await dlg.getByTestId('new-pool-autostart').isChecked(), false);
    await checkPage(page, 'new pool dialog');
    await shot(page, '40-storage-new-pool-dialog', { fullPage: false });
    await dlg.getByTestId('new-pool-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });

    // The new pool opens: #/storage/POOL, its row marked, its volume list empty.
    await page.waitForFunction((h) => location.hash === h, `#/storage/${encodeURIComponent(POOL)}`);
    await poolRow().and(page.locator('[data-state="running"]')).waitFor();
    assert.equal((await poolRow().getByTestId('pool-state').textContent()).trim(), 'active');
    assert.equal((await poolRow().getByTestId('pool-type').textContent()).trim(), 'dir');
    assert.equal((await poolRow().getByTestId('pool-path').textContent()).trim(), dir);
    assert.match((await poolRow().getByTestId('pool-capacity').textContent()).trim(), /^\d+(\.\d)? (MiB|GiB|TiB)$/);
    assert.match((await poolRow().getByTestId('pool-available').textContent()).trim(), /^\d+(\.\d)? (KiB|MiB|GiB|TiB) free$/);
    assert.equal(await poolRow().getByTestId('pool-autostart').isChecked(), false);
    await page.getByTestId('volumes-empty').waitFor();
    assert.equal((await page.getByTestId('volumes-pool').textContent()).trim(), POOL);

    const p = (await api('GET', poolApi)).json;
    assert.equal(p.state, 'running');
    assert.equal(p.path, dir);
    assert.ok(p.capacity > 0, 'libvirt measured the pool');

    // The autostart switch sets it over PATCH.
    await poolRow().locator('label.switch').click();
    await page.getByTestId('toast').filter({ hasText: 'now starts with libvirtd' }).waitFor();
    assert.equal((await api('GET', poolApi)).json.autostart, true);
    await poolRow().getByTestId('pool-autostart').and(page.locator(':checked')).waitFor();
  });

  test('raw and qcow2 volumes made in the dialog are listed with their format and size', async () => {
    await newVolume({ name: 'disk-raw.img', size: 64, unit: 'MiB', format: 'raw', screenshot: '40-storage-new-volume-dialog' });
    assert.equal((await volRow('disk-raw.img').getByTestId('volume-format').textContent()).trim(), 'raw');
    assert.equal((await volRow('disk-raw.img').getByTestId('volume-capacity').textContent()).trim(), '64 MiB');
    assert.equal((await volRow('disk-raw.img').getByTestId('volume-path').textContent()).trim(), `${dir}/disk-raw.img`);

    await newVolume({ name: 'base.qcow2', size: 1, unit: 'GiB', format: 'qcow2' });
    assert.equal((await volRow('base.qcow2').getByTestId('volume-format').textContent()).trim(), 'qcow2');
    assert.equal((await volRow('base.qcow2').getByTestId('volume-capacity').textContent()).trim(), '1 GiB');
    // Sparse: a fresh qcow2 takes a few KiB, not its size.
    assert.match((await volRow('base.qcow2').getByTestId('volume-allocation').textContent()).trim(), /^\d+(\.\d)? (B|KiB|MiB)$/);

    const vols = (await api('GET', `${poolApi}/volumes`)).json.volumes;
    const byName = Object.fromEntries(vols.map((v) => [v.name, v]));
    assert.equal(byName['disk-raw.img'].capacity, 64 * MiB);
    assert.equal(byName['disk-raw.img'].format, 'raw');
    assert.equal(byName['base.qcow2'].capacity, GiB);
    assert.equal(byName['base.qcow2'].format, 'qcow2');
    assert.equal((await page.getByTestId('volumes-count').textContent()).trim(), '2');
  });

  test('a qcow2 volume over a backing volume chosen from the list', async () => {
    // Choosing the backing volume fills in its size.
    await newVolume({ name: 'overlay.qcow2', size: null, format: 'qcow2', backing: `${POOL}/base.qcow2` });
    assert.equal((await volRow('overlay.qcow2').getByTestId('volume-format').textContent()).trim(), 'qcow2');
    assert.equal((await volRow('overlay.qcow2').getByTestId('volume-capacity').textContent()).trim(), '1 GiB');
    assert.equal((await volRow('overlay.qcow2').getByTestId('volume-backing').textContent()).trim(), 'backed by base.qcow2');
    const v = (await api('GET', `${poolApi}/volumes/overlay.qcow2`)).json;
    assert.equal(v.backing, `${dir}/base.qcow2`);
    await poolRow().getByTestId('pool-refresh').click();
    await page.getByTestId('toast').filter({ hasText: `${POOL} refreshed` }).waitFor();
    await volRow('overlay.qcow2').waitFor();
    await checkPage(page, 'storage page with volumes');
    await pageShot(page, '40-storage-volumes');
  });

  test('resize makes a volume bigger and the list shows the new size', async () => {
    await volRow('disk-raw.img').getByTestId('volume-resize').click();
    const dlg = page.getByTestId('resize-dialog');
    await dlg.waitFor();
    assert.equal(await dlg.getByTestId('resize-size').inputValue(), '64');
    assert.equal(await dlg.getByTestId('resize-size-unit').inputValue(), 'MiB');
    // Smaller without "Allow shrinking" is refused in the dialog.
    await dlg.getByTestId('resize-size').fill('32');
    await dlg.getByTestId('resize-dialog-submit').click();
    await dlg.getByTestId('resize-dialog-error').filter({ hasText: 'Allow shrinking' }).waitFor();
    await shot(page, '40-storage-resize-dialog', { fullPage: false });
    await dlg.getByTestId('resize-size').fill('192');
    await dlg.getByTestId('resize-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    await volRow('disk-raw.img').getByTestId('volume-capacity').filter({ hasText: '192 MiB' }).waitFor();
    assert.equal((await api('GET', `${poolApi}/volumes/disk-raw.img`)).json.capacity, 192 * MiB);
  });

  test('wipe is offered for raw volumes only and asks first', async () => {
    assert.equal(await volRow('base.qcow2').getByTestId('volume-wipe').count(), 0);
    await volRow('disk-raw.img').getByTestId('volume-wipe').click();
    await page.getByTestId('confirm-dialog').waitFor();
    assert.match(await page.locator('#confirm-title').textContent(), /Wipe disk-raw\.img/);
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('toast').filter({ hasText: 'disk-raw.img was wiped' }).waitFor();
  });

  test('stop and start: an inactive pool has no volume list until it runs again', async () => {
    await poolRow().getByTestId('pool-stop').click();
    await poolRow().and(page.locator('[data-state="inactive"]')).waitFor();
    assert.equal((await poolRow().getByTestId('pool-state').textContent()).trim(), 'inactive');
    await page.getByTestId('volumes-inactive').waitFor();
    assert.equal(await page.getByTestId('volume-new').count(), 0);
    assert.equal(await poolRow().getByTestId('pool-refresh').isDisabled(), true);
    // Focus stays on the row's start/stop place for keyboard users.
    await page.waitForFunction(() => document.activeElement && document.activeElement.dataset.testid === 'pool-start');
    await poolRow().getByTestId('pool-start').click();
    await poolRow().and(page.locator('[data-state="running"]')).waitFor();
    await volRow('overlay.qcow2').waitFor();
    assert.equal((await api('GET', poolApi)).json.state, 'running');
  });

  test('Used by names the guest that uses a volume, marks it running and writing, and a delete it blocks says why', async () => {
    // A guest (made over the API, no start) whose disk is disk-raw.img.
    let r = await api('POST', '/api/vms', { body: { name: USER_VM, vcpus: 1, memory: 64, disks: [{ volume: `${POOL}/disk-raw.img` }] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await page.getByTestId('storage-reload').click();
    const user = volRow('disk-raw.img').getByTestId('volume-user');
    await user.and(page.locator(`[data-vm="${USER_VM}"][data-running="false"][data-writes="true"]`)).waitFor();
    assert.equal(await user.getByTestId('volume-user-link').getAttribute('href'), `#/vms/${USER_VM}`);
    assert.match(await user.textContent(), /writes/);
    assert.equal((await volRow('base.qcow2').getByTestId('volume-used-by').textContent()).trim(), 'Not in use');

    // Running: the dot turns green (the empty disk boots nothing; SeaBIOS waits).
    r = await api('POST', `/api/vms/${USER_VM}/start`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    try {
      await page.getByTestId('storage-reload').click();
      await user.and(page.locator('[data-running="true"]')).waitFor();
      await checkPage(page, 'storage page with a volume in use');
      await pageShot(page, '41-storage-used-by');
    } finally {
      assert.equal((await api('POST', `/api/vms/${USER_VM}/poweroff`)).status, 200);
    }

    // Deleting it: the dialog warns, vireod answers 409, the banner says who holds it.
    await volRow('disk-raw.img').getByTestId('volume-delete').click();
    await page.getByTestId('confirm-dialog').waitFor();
    assert.match(await page.getByTestId('volume-delete-in-use').textContent(), new RegExp(`${USER_VM}.*uses it`));
    await page.getByTestId('confirm-ok').click();
    const banner = page.getByTestId('error-banner').filter({ hasText: 'disk-raw.img is in use' });
    await banner.waitFor();
    assert.match(await banner.getByTestId('error-message').textContent(),
      new RegExp(`volume '${POOL}/disk-raw.img' is in use by VM '${USER_VM}'.*Detach it from that guest first`));
    assert.equal(await banner.getAttribute('data-code'), 'conflict');
    await shot(page, '41-storage-delete-in-use', { fullPage: false });
    await banner.getByTestId('error-dismiss').click();
    assert.equal((await api('GET', `${poolApi}/volumes/disk-raw.img`)).status, 200, 'the volume is still there');
  });

  test('a viewer granted the pool sees pools and volumes but no change buttons, and not who the hidden guest is', async () => {
    let r = await api('POST', '/api/users', { body: { username: VIEWER, role: 'viewer', password: VIEWER_PASSWORD } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    // Viewers see only the pools granted to them; "media" shows every volume in it.
    r = await api('POST', `/api/users/${VIEWER}/grants`, { body: { pool: POOL, use: ['media'] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    try {
      const p = await ctx.newPage();
      p.setDefaultTimeout(15000);
      watch(p, pageErrors);
      await signIn(p, VIEWER, VIEWER_PASSWORD, `#/storage/${encodeURIComponent(POOL)}`);
      await p.getByTestId('view-storage').waitFor();
      await volRow('overlay.qcow2', p).waitFor();
      assert.equal(await p.getByTestId('nav-storage').getAttribute('aria-current'), 'page');
      assert.equal((await poolRow(p).getByTestId('pool-state').textContent()).trim(), 'active');
      assert.equal((await poolRow(p).getByTestId('pool-autostart-text').textContent()).trim(), 'On');
      assert.equal((await volRow('disk-raw.img', p).getByTestId('volume-capacity').textContent()).trim(), '192 MiB');
      assert.equal((await poolRow(p).getByTestId('pool-uses').textContent()).trim(), 'For media');
      // The guest using disk-raw.img is not granted to the viewer: no name, no link.
      const hidden = volRow('disk-raw.img', p).getByTestId('volume-user');
      assert.equal((await hidden.getByTestId('volume-user-hidden').textContent()).trim(), 'another VM');
      assert.equal(await hidden.getAttribute('data-vm'), '');
      assert.equal(await hidden.getByTestId('volume-user-link').count(), 0);
      for (const id of ['pool-new', 'pool-start', 'pool-stop', 'pool-refresh', 'pool-delete', 'pool-autostart',
        'volume-new', 'volume-resize', 'volume-wipe', 'volume-delete']) {
        assert.equal(await p.getByTestId(id).count(), 0, `a viewer gets no ${id}`);
      }
      await checkPage(p, 'storage page as viewer');
      await pageShot(p, '40-storage-viewer-dark');
      // A phone: the tables become cards, nothing sticks out sideways.
      await p.setViewportSize({ width: 390, height: 844 });
      await volRow('overlay.qcow2', p).getByTestId('volume-path').waitFor();
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
      await pageShot(p, '40-storage-viewer-phone');
    } finally {
      await ctx.close();
    }
  });

  test('a viewer without grants sees no pool, and a pool\'s address says it may not be shared', async () => {
    const r = await api('POST', '/api/users', { body: { username: LONER, role: 'viewer', password: VIEWER_PASSWORD } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    try {
      const p = await ctx.newPage();
      p.setDefaultTimeout(15000);
      watch(p, pageErrors);
      await signIn(p, LONER, VIEWER_PASSWORD, '#/storage');
      const empty = p.getByTestId('pools-empty');
      await empty.waitFor();
      assert.match(await empty.textContent(), /No storage pools are shared with you.*An admin grants storage pools on the Users page/);
      assert.equal((await p.getByTestId('pools-count').textContent()).trim(), '0');
      assert.equal(await p.getByTestId('pool-row').count(), 0);
      await checkPage(p, 'storage page without grants');
      await pageShot(p, '41-storage-viewer-no-grants');
      await p.goto(`${BASE}/#/storage/${encodeURIComponent(POOL)}`);
      await p.getByTestId('pool-missing').filter({ hasText: 'not shared with you' }).waitFor();
      await p.goto(`${BASE}/#/networks`);
      await p.getByTestId('networks-empty').filter({ hasText: 'No networks are shared with you' }).waitFor();
    } finally {
      await ctx.close();
    }
  });

  test('deleting a volume asks first and removes it', async () => {
    // The guest from the Used by test goes first (its volume stays).
    assert.equal((await api('DELETE', `/api/vms/${USER_VM}`)).status, 204);
    await volRow('overlay.qcow2').getByTestId('volume-delete').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-ok').click();
    await volRow('overlay.qcow2').waitFor({ state: 'detached' });
    assert.equal((await api('GET', `${poolApi}/volumes/overlay.qcow2`)).status, 404);
    assert.equal(existsSync(`${dir}/overlay.qcow2`), false);
  });

  test('deleting the pool with its directory', async () => {
    // Only an empty directory can go with the pool: 409 while it holds volumes.
    await poolRow().getByTestId('pool-delete').click();
    await page.getByTestId('confirm-dialog').waitFor();
    assert.equal(await page.getByTestId('confirm-check').isVisible(), true);
    await page.getByTestId('confirm-check').check();
    await shot(page, '40-storage-delete-pool-dialog', { fullPage: false });
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('error-banner').filter({ hasText: `Could not delete the pool ${POOL}` }).waitFor();
    assert.equal((await api('GET', poolApi)).status, 200);
    await page.getByTestId('error-dismiss').click();

    for (const v of ['disk-raw.img', 'base.qcow2']) {
      await volRow(v).getByTestId('volume-delete').click();
      await page.getByTestId('confirm-ok').click();
      await volRow(v).waitFor({ state: 'detached' });
    }
    await page.getByTestId('volumes-empty').waitFor();
    await poolRow().getByTestId('pool-delete').click();
    await page.getByTestId('confirm-check').check();
    await page.getByTestId('confirm-ok').click();
    await page.waitForFunction(() => location.hash === '#/storage');
    await poolRow().waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: `Pool ${POOL} and its directory were deleted` }).waitFor();
    assert.equal((await api('GET', poolApi)).status, 404);
    assert.equal(existsSync(dir), false, 'the directory is gone');
    await pageShot(page, '40-storage-pools-after');
    assert.deepEqual(pageErrors, []);
  });
});
