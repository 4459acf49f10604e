// Device editing on a guest's page end to end: as admin, on a guest of its
// own (shut off, so nothing waits for TCG), vCPUs and memory changed in the
// Resources card (which says they apply at the next boot), a new disk
// attached from a pool through the dialog and detached again with its
// volume (its size shown), a CD-ROM drive added, a disk attached over the API appearing by
// itself; a viewer sees the tables without buttons.
// Started by tests/e2e/run.sh (see lib.mjs); names are unique per run.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { BASE, REPO, CONNECT, LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const run = promisify(execFile);
const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const VM = `vireo-e2e-dev-${SUFFIX}`;
const POOL = `e2e-devpool-${SUFFIX}`;
const VIEWER = `e2e_dev_viewer_${process.pid}`;
const VIEWER_PASSWORD = `view-${SUFFIX}-pw`;
const vmApi = `/api/vms/${encodeURIComponent(VM)}`;

let browser;
let page;
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const virsh = (...args) => run('virsh', ['-q', '-c', CONNECT, ...args], { timeout: 30000 });
// The web UI's binary units (dom.js fmtBytes), for the sizes vireod reports.
function fmtBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return i === 0 ? `${n} B` : `${n >= 100 ? Math.round(n) : Math.round(n * 10) / 10} ${units[i]}`;
}
const diskRow = (target) => page.locator(`[data-testid="detail-disks-table-row"][data-key="${target}"]`);

describe('VM device editing', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync('/var/lib/libvirt/images/vireo-e2e-dev-');
    chmodSync(dir, 0o755);
    const r = await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await run('sh', [join(REPO, 'tests/guest/define-guest.sh'), VM, '128'], { timeout: 30000 });
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    await virsh('destroy', VM).catch(() => {});
    await virsh('undefine', VM).catch(() => {});
    if (admin) {
      const vols = await api('GET', `/api/pools/${POOL}/volumes`);
      for (const v of (vols.json && vols.json.volumes) || []) await api('DELETE', `/api/pools/${POOL}/volumes/${encodeURIComponent(v.name)}`);
      await api('DELETE', `/api/pools/${POOL}`);
      await api('DELETE', `/api/users/${VIEWER}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the Resources card changes vCPUs and memory and says when they apply', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, `#/vms/${encodeURIComponent(VM)}`);
    const card = page.getByTestId('detail-resources');
    // The card is there at once; its values once the guest is read.
    await page.getByTestId('detail-vcpus').filter({ hasText: /^1$/ }).waitFor();
    assert.equal(await card.getByTestId('res-vcpus').inputValue(), '1');
    assert.equal(await card.getByTestId('res-memory').inputValue(), '128');
    assert.equal(await card.getByTestId('res-name').isEnabled(), true, 'a shut-off guest can be renamed');
    await card.getByTestId('res-vcpus').fill('2');
    await card.getByTestId('res-memory').fill('192');
    await card.getByTestId('res-boot-0').selectOption('cdrom');
    await card.getByTestId('res-boot-1').selectOption('hd');
    await card.getByTestId('res-save').click();
    await card.getByTestId('res-applied').waitFor();
    assert.match(await card.getByTestId('res-applied').textContent(), /vCPUs at the next boot.*memory at the next boot/);
    await page.getByTestId('detail-vcpus').filter({ hasText: /^2$/ }).waitFor();
    const vm = (await api('GET', vmApi)).json;
    assert.deepEqual([vm.vcpus, vm.memory, vm.os.boot], [2, 192, ['cdrom', 'hd']]);
    assert.deepEqual(pageErrors, []);
  });

  test('Attach disk makes a new volume in a pool; Detach removes it with its volume', async () => {
    await page.getByTestId('disk-attach').click();
    const dlg = page.getByTestId('attach-disk-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('disk-pool').selectOption(POOL);
    await dlg.getByTestId('disk-size').fill('8');
    await dlg.getByTestId('disk-size-unit').selectOption('MiB');
    await dlg.getByTestId('disk-format').selectOption('raw');
    await checkPage(page, 'attach disk dialog');
    await shot(page, '60-vm-attach-disk-dialog', { fullPage: false });
    await dlg.getByTestId('attach-disk-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    await diskRow('vda').waitFor();
    const disks = (await api('GET', `${vmApi}/disks`)).json.disks;
    assert.deepEqual(disks.map((d) => [d.target, d.bus, d.format, d.volume]), [['vda', 'virtio', 'raw', `${POOL}/${VM}-vda.img`]]);
    // The Size column: what the guest sees, and what the file takes on the host.
    assert.equal(disks[0].capacity, 8 * 1024 * 1024);
    await diskRow('vda').getByTestId('disk-capacity').filter({ hasText: /^8 MiB$/ }).waitFor();
    assert.equal((await diskRow('vda').getByTestId('disk-allocation').textContent()).trim(), `${fmtBytes(disks[0].allocation)} allocated`);

    // An empty CD-ROM drive, while the guest is off.
    await page.getByTestId('cdrom-add').click();
    const cd = page.getByTestId('add-cdrom-dialog');
    await cd.getByTestId('cdrom-bus').selectOption('ide');
    await cd.getByTestId('add-cdrom-dialog-submit').click();
    await cd.waitFor({ state: 'detached' });
    await diskRow('hda').waitFor();
    assert.match(await diskRow('hda').textContent(), /empty drive/);
    assert.equal((await diskRow('hda').getByTestId('disk-size').textContent()).trim(), '—', 'an empty drive has no size');
    await checkPage(page, 'guest page with devices');
    await shot(page, '61-vm-devices');

    await diskRow('vda').getByTestId('disk-detach').click();
    await page.locator('#confirm-check').check();
    await page.locator('#confirm-ok').click();
    await diskRow('vda').waitFor({ state: 'detached' });
    const vols = (await api('GET', `/api/pools/${POOL}/volumes`)).json.volumes;
    assert.deepEqual(vols, [], 'the volume was deleted with the disk');
    assert.deepEqual(pageErrors, []);
  });

  test('a disk attached behind the page\'s back shows up by itself', async () => {
    const r = await api('POST', `${vmApi}/disks`, { body: { pool: POOL, size: 1048576, format: 'raw', bus: 'sata' } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    // No reload: the event stream tells the page.
    await diskRow(r.json.target).waitFor({ timeout: 10000 });
    assert.match(await diskRow(r.json.target).textContent(), /sata/);
  });

  test('on the running guest, memory above what it started with waits for the next boot', async () => {
    assert.equal((await api('POST', `${vmApi}/start`)).status, 200);
    await run('sh', [join(REPO, 'tests/guest/wait-marker.sh'), VM, '60'], { timeout: 65000 });
    const card = page.getByTestId('detail-resources');
    await page.getByTestId('detail-state').and(page.locator('[data-state="running"]')).waitFor();
    assert.equal(await card.getByTestId('res-name').isDisabled(), true, 'no rename while running');
    await card.getByTestId('res-memory').fill('256');
    await card.getByTestId('res-save').click();
    await card.getByTestId('res-applied').filter({ hasText: 'memory at the next boot' }).waitFor();
    await card.getByTestId('res-next-boot').filter({ hasText: '256 MiB' }).waitFor();
    assert.equal((await page.getByTestId('detail-memory').textContent()).trim(), '192 MiB', 'the running guest keeps its memory');
    await page.getByTestId('detail-next-boot').waitFor();
    await checkPage(page, 'running guest with a pending change');
    await shot(page, '62-vm-next-boot');
    // The list marks it too (its answer says so: no request per guest).
    await page.goto(`${BASE}/#/?q=${encodeURIComponent(VM)}`);
    const mark = page.locator(`[data-testid="vm-row"][data-vm="${VM}"]`).getByTestId('vm-next-boot');
    await mark.waitFor();
    assert.match(await mark.getAttribute('title'), /256 MiB/);
    await page.goBack();
    await card.getByTestId('res-next-boot').waitFor();
    assert.equal((await api('POST', `${vmApi}/poweroff`)).status, 200);
    await card.getByTestId('res-next-boot').waitFor({ state: 'hidden' });
    assert.deepEqual(pageErrors, []);
  });

  test('a viewer sees the devices but no buttons', async () => {
    let r = await api('POST', '/api/users', { body: { username: VIEWER, password: VIEWER_PASSWORD, role: 'viewer' } });
    assert.equal(r.status, 201);
    r = await api('POST', `/api/users/${VIEWER}/grants`, { body: { vm: VM } });
    assert.equal(r.status, 201);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await ctx.newPage();
    watch(p, pageErrors);
    await signIn(p, VIEWER, VIEWER_PASSWORD, `#/vms/${encodeURIComponent(VM)}`);
    await p.locator('[data-testid="detail-disks-table-row"][data-key="hda"]').waitFor();
    for (const id of ['detail-resources', 'disk-attach', 'cdrom-add', 'nic-attach', 'disk-detach', 'cdrom-insert']) {
      assert.equal(await p.getByTestId(id).count(), 0, `a viewer must not get ${id}`);
    }
    await ctx.close();
    assert.deepEqual(pageErrors, []);
  });
});
