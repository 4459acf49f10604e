// Storage and network scope in the web UI, end to end: on the Users page an
// admin grants an operator a pool for new disks, a pool for media (holding
// an ISO image), a network and a host bridge, changes a pool's uses and
// takes a grant away; that operator's Storage and Networks pages, the New
// VM wizard and the device dialogs of the guest made with it offer only
// those; an operator without any pool is told to ask an admin.
// Started by tests/e2e/run.sh (see lib.mjs). Names are unique per run, and
// whatever is made here is removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot as saveShot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const OP = `e2e_op_${process.pid}`;
const BARE = `e2e_bare_${process.pid}`;
const PASSWORD = `scope-${SUFFIX}-pw`;
const DISKS = `e2e-sc-disks-${SUFFIX}`;
const MEDIA = `e2e-sc-media-${SUFFIX}`;
const OTHER = `e2e-sc-other-${SUFFIX}`;
const NET = `e2e-sc-net-${process.pid}`;
const OTHERNET = `e2e-sc-net2-${process.pid}`;
const ISO = 'installer.iso';
const VMNAME = `e2e-scoped-${SUFFIX}`;

let browser;
let page;        // the admin's
let admin;
let bridge;      // the host bridge of NET, granted as a bridge too
const dirs = [];
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
// Shots without the pile of toasts from the steps before.
async function shot(p, name, opts) {
  await p.evaluate(() => { for (const t of document.querySelectorAll('[data-testid="toast"]')) t.remove(); });
  await saveShot(p, name, opts);
}
const options = (locator) => locator.locator('option').evaluateAll((os) => os.map((o) => o.value));

async function newPage(colorScheme = 'light') {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  watch(p, pageErrors);
  return { ctx, p };
}

// An isolated network (never forwarding) on a 10.215.X.0/24 no other network uses.
async function makeNetwork(name, start) {
  for (let x = start; x < start + 20; x++) {
    const r = await api('POST', '/api/networks', { body: { name, mode: 'isolated', ipv4: { address: `10.215.${x % 250}.1/24` }, start: true } });
    if (r.status === 201) return;
    assert.equal(r.status, 409, `network ${name}: ${JSON.stringify(r.json)}`);
  }
  assert.fail(`no free 10.215.X.0/24 for ${name}`);
}

// From the wizard's install step (left as it is) to its disk step: no OS,
// 1 vCPU, 64 MiB.
async function wizardToDisk(p) {
  await p.getByTestId('wizard-next').click();
  await p.locator('[data-testid="os-option"][data-os=""]').click();
  await p.getByTestId('wizard-next').click();
  await p.getByTestId('spec-vcpus').fill('1');
  await p.getByTestId('spec-memory').fill('64');
  await p.getByTestId('wizard-next').click();
  await p.locator('.wizard-steps li.is-current', { hasText: 'Disk' }).waitFor();
}

describe('Storage and network scope', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    for (const pool of [DISKS, MEDIA, OTHER]) {
      const dir = mkdtempSync(`/var/lib/libvirt/images/${pool}-`);
      chmodSync(dir, 0o711);
      dirs.push(dir);
      ok(await api('POST', '/api/pools', { body: { name: pool, type: 'dir', path: dir } }), 201, `pool ${pool}`);
    }
    // A name ending in .iso is an ISO image to vireod (and to the pickers).
    ok(await api('POST', `/api/pools/${MEDIA}/volumes`, { body: { name: ISO, capacity: 1024 * 1024, format: 'raw' } }), 201, 'ISO volume');
    ok(await api('POST', `/api/pools/${OTHER}/volumes`, { body: { name: 'someone-elses.img', capacity: 1024 * 1024, format: 'raw' } }), 201, 'volume');
    const x = 20 + (process.pid % 200);
    await makeNetwork(NET, x);
    await makeNetwork(OTHERNET, x + 1);
    bridge = (await api('GET', `/api/networks/${NET}`)).json.bridge;
    assert.ok(bridge, 'the network has a host bridge');
    for (const u of [OP, BARE]) ok(await api('POST', '/api/users', { body: { username: u, role: 'operator', password: PASSWORD } }), 201, `user ${u}`);
    browser = await chromium.launch(LAUNCH);
    ({ p: page } = await newPage());
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/users');
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/vms/${VMNAME}?force=true&volumes=true`);
      for (const u of [OP, BARE]) await api('DELETE', `/api/users/${u}`);
      for (const pool of [DISKS, MEDIA, OTHER]) {
        const vols = (await api('GET', `/api/pools/${pool}/volumes`)).json?.volumes || [];
        for (const v of vols) await api('DELETE', `/api/pools/${pool}/volumes/${encodeURIComponent(v.name)}`);
        await api('DELETE', `/api/pools/${pool}`);
      }
      for (const n of [NET, OTHERNET]) await api('DELETE', `/api/networks/${n}`);
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('an admin grants an operator a pool for new disks, a media pool, a network and a bridge on the Users page', async () => {
    const row = page.locator(`[data-testid="user-row"][data-user="${OP}"]`);
    await row.getByTestId('user-grants').click();
    const dlg = page.getByTestId('grants-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('grant-empty').waitFor();

    // Storage pools: one for new disks, one for media, one granted and taken away again.
    await dlg.getByTestId('grants-tab-pools').click();
    await dlg.getByTestId('grant-pool-empty').waitFor();
    assert.match(await dlg.getByTestId('grants-panel-pools').textContent(), /New disks.*new disks, copies and overlays.*Media.*ISO images in CD-ROM drives/);
    const item = (pool) => dlg.locator(`[data-testid="grant-pool-item"][data-pool="${pool}"]`);
    const grantPool = async (pool, disks, media) => {
      await dlg.getByTestId('grant-pool-select').selectOption(pool);
      await dlg.getByTestId('grant-pool-disks').setChecked(disks);
      await dlg.getByTestId('grant-pool-media').setChecked(media);
      await dlg.getByTestId('grant-pool-add').click();
      await item(pool).waitFor();
    };
    await grantPool(DISKS, true, false);
    await grantPool(MEDIA, false, true);
    await grantPool(OTHER, true, true);
    assert.equal(await item(DISKS).getAttribute('data-use'), 'disks');
    assert.equal(await item(MEDIA).getAttribute('data-use'), 'media');
    assert.equal(await item(OTHER).getAttribute('data-use'), 'disks,media');
    // A pool is granted for at least one use: its last one cannot be cleared.
    assert.equal(await item(MEDIA).getByTestId('grant-pool-use-media').isDisabled(), true);
    // Changing a pool's uses: MEDIA for new disks too, then not.
    await item(MEDIA).getByTestId('grant-pool-use-disks').check();
    await item(MEDIA).and(page.locator('[data-use="disks,media"]')).waitFor();
    await item(MEDIA).getByTestId('grant-pool-use-disks').uncheck();
    await item(MEDIA).and(page.locator('[data-use="media"]')).waitFor();
    await item(OTHER).getByTestId('grant-pool-remove').click();
    await item(OTHER).waitFor({ state: 'detached' });
    assert.equal((await dlg.getByTestId('grants-count-pools').textContent()).trim(), '2');
    await checkPage(page, 'grants dialog, pools');
    await shot(page, '36-grants-pools', { fullPage: false });

    // A network (not the other one) and a host bridge.
    await dlg.getByTestId('grants-tab-networks').click();
    assert.ok((await options(dlg.getByTestId('grant-network-select'))).includes(OTHERNET), 'every network is offered');
    await dlg.getByTestId('grant-network-select').selectOption(NET);
    await dlg.getByTestId('grant-network-add').click();
    await dlg.locator(`[data-testid="grant-network-item"][data-network="${NET}"]`).waitFor();
    await dlg.getByTestId('grants-tab-bridges').click();
    // vireod says when there is no such bridge; the dialog shows it.
    await dlg.getByTestId('grant-bridge-name').fill('nosuchbr0');
    await dlg.getByTestId('grant-bridge-add').click();
    await dlg.locator('.form-alert', { hasText: "no host bridge named 'nosuchbr0'" }).waitFor();
    await dlg.getByTestId('grant-bridge-name').fill(bridge);
    await dlg.getByTestId('grant-bridge-add').click();
    await dlg.locator(`[data-testid="grant-bridge-item"][data-bridge="${bridge}"]`).waitFor();
    assert.equal(await dlg.locator('.form-alert').isHidden(), true, 'the refusal goes with the next change');
    await checkPage(page, 'grants dialog, bridges');
    await shot(page, '37-grants-bridges', { fullPage: false });
    await dlg.getByTestId('grants-done').click();
    await dlg.waitFor({ state: 'detached' });

    // The Users table lists them beside the guests.
    await row.locator(`[data-testid="user-grant-pool"][data-pool="${DISKS}"][data-use="disks"]`).waitFor();
    assert.match(await row.locator(`[data-testid="user-grant-pool"][data-pool="${MEDIA}"]`).textContent(), /media/);
    await row.locator(`[data-testid="user-grant-network"][data-network="${NET}"]`).waitFor();
    await row.locator(`[data-testid="user-grant-bridge"][data-bridge="${bridge}"]`).waitFor();
    await page.mouse.move(0, 0);
    await shot(page, '38-users-access');

    const g = (await api('GET', `/api/users/${OP}/grants`)).json;
    assert.deepEqual(g.pools.map((p) => [p.name, p.use]).sort(), [[DISKS, ['disks']], [MEDIA, ['media']]].sort());
    assert.deepEqual(g.networks, [{ name: NET }]);
    assert.deepEqual(g.bridges, [{ name: bridge }]);
    assert.deepEqual(pageErrors, []);
  });

  test('the operator sees only those, and the wizard and device dialogs offer only them', async () => {
    const { ctx, p } = await newPage();
    try {
      await signIn(p, OP, PASSWORD, '#/storage');
      await p.locator(`[data-testid="pool-row"][data-pool="${MEDIA}"]`).waitFor();
      const pools = await p.getByTestId('pool-row').evaluateAll((rs) => rs.map((r) => r.dataset.pool));
      assert.deepEqual(pools.sort(), [DISKS, MEDIA].sort(), 'only the granted pools');
      assert.equal((await p.locator(`[data-pool="${DISKS}"] [data-testid="pool-uses"]`).textContent()).trim(), 'For new disks');
      assert.equal((await p.locator(`[data-pool="${MEDIA}"] [data-testid="pool-uses"]`).textContent()).trim(), 'For media');
      await p.getByTestId('nav-networks').click();
      await p.locator(`[data-testid="network-row"][data-network="${NET}"]`).waitFor();
      assert.equal(await p.getByTestId('network-row').count(), 1, 'only the granted network');

      // The wizard: the disk pool, the ISO and the network it offers are the granted ones.
      await p.getByTestId('nav-guests').click();
      await p.getByTestId('vm-new').click();
      await p.getByTestId('view-create').waitFor();
      // Install from: the ISO images of the pool granted for media.
      await p.getByTestId('install-mode-iso').click();
      assert.deepEqual(await options(p.getByTestId('install-iso')), [`${MEDIA}/${ISO}`]);
      await p.getByTestId('install-iso').selectOption(`${MEDIA}/${ISO}`);
      await wizardToDisk(p);
      assert.deepEqual(await options(p.getByTestId('disk-pool')), [DISKS]);
      assert.equal(await p.getByTestId('disk-no-pools').isHidden(), true);
      await p.getByTestId('disk-size').fill('1');
      await checkPage(p, 'wizard disk step as operator');
      await shot(p, '39-wizard-operator-disk');
      await p.getByTestId('wizard-next').click();
      assert.deepEqual(await options(p.getByTestId('spec-network')), ['', NET, `bridge:${bridge}`]);
      await p.getByTestId('spec-network').selectOption(NET);
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('create-name').fill(VMNAME);
      await p.locator('label.switch', { hasText: 'Start the VM' }).click();
      assert.match(await p.getByTestId('summary-install').textContent(), new RegExp(`ISO image ${MEDIA}/${ISO}`));
      assert.equal((await p.getByTestId('summary-network').textContent()).trim(), NET);
      await p.getByTestId('wizard-create').click();
      await p.waitForFunction((h) => location.hash === h, `#/vms/${VMNAME}`);

      const vm = (await api('GET', `/api/vms/${VMNAME}`)).json;
      const disks = (await api('GET', `/api/vms/${VMNAME}/disks`)).json.disks;
      assert.deepEqual(disks.map((d) => [d.device, d.volume.split('/')[0]]).sort(), [['cdrom', MEDIA], ['disk', DISKS]]);
      assert.equal(disks.find((d) => d.device === 'cdrom').volume, `${MEDIA}/${ISO}`);
      assert.deepEqual(vm.nics.map((n) => n.source), [NET]);

      // The guest's dialogs: the same choices.
      const cdrom = disks.find((d) => d.device === 'cdrom').target;
      await p.getByTestId('disk-attach').click();
      const attach = p.getByTestId('attach-disk-dialog');
      await attach.waitFor();
      assert.deepEqual(await options(attach.getByTestId('disk-pool')), [DISKS]);
      await attach.getByTestId('attach-disk-dialog-cancel').click();
      await attach.waitFor({ state: 'detached' });
      await p.locator(`[data-testid="detail-disks-table-row"][data-key="${cdrom}"]`).getByTestId('cdrom-insert').click();
      const insert = p.getByTestId('insert-media-dialog');
      await insert.waitFor();
      assert.deepEqual(await options(insert.getByTestId('cdrom-media')), [`${MEDIA}/${ISO}`]);
      await insert.getByTestId('insert-media-dialog-cancel').click();
      await insert.waitFor({ state: 'detached' });
      await p.getByTestId('nic-attach').click();
      const nic = p.getByTestId('attach-nic-dialog');
      await nic.waitFor();
      assert.deepEqual(await options(nic.getByTestId('nic-network')), [NET]);
      await nic.getByTestId('nic-kind').selectOption('bridge');
      assert.deepEqual(await options(nic.getByTestId('nic-bridge')), [bridge]);
      await checkPage(p, 'attach NIC dialog as operator');
      await shot(p, '39-nic-dialog-operator', { fullPage: false });
      await nic.getByTestId('attach-nic-dialog-cancel').click();
      await nic.waitFor({ state: 'detached' });
    } finally {
      await ctx.close();
    }
    assert.deepEqual(pageErrors, []);
  });

  test('an operator without a pool for new disks is told to ask an admin', async () => {
    const { ctx, p } = await newPage('dark');
    try {
      await signIn(p, BARE, PASSWORD, '#/new');
      await p.getByTestId('view-create').waitFor();
      // No pool at all: the wizard says to ask an admin; no ISO to install from.
      assert.match(await p.getByTestId('wizard-default-pool').textContent(), /Ask an admin/);
      assert.equal(await p.getByTestId('install-mode-iso').locator('input').isDisabled(), true);
      assert.match(await p.getByTestId('install-mode-iso').textContent(), /No storage pool is granted to you for media/);
      assert.equal(await p.getByTestId('install-mode-none').locator('input').isChecked(), true);
      await wizardToDisk(p);
      const note = p.getByTestId('disk-no-pools');
      await note.waitFor();
      assert.match(await note.textContent(), /No storage pool is granted to you for new disks: ask an admin to grant you a storage pool/);
      for (const mode of ['new', 'clone', 'existing']) {
        assert.equal(await p.getByTestId(`disk-mode-${mode}`).locator('input').isDisabled(), true, `no ${mode} disk`);
      }
      assert.equal(await p.getByTestId('disk-mode-none').locator('input').isChecked(), true);
      await checkPage(p, 'wizard without pools');
      await shot(p, '39-wizard-no-pool');
      await p.getByTestId('wizard-next').click();
      assert.deepEqual(await options(p.getByTestId('spec-network')), ['']);
      assert.match(await p.getByTestId('spec-network-hint').textContent(), /No network or host bridge is granted to you/);
    } finally {
      await ctx.close();
    }
    assert.deepEqual(pageErrors, []);
  });
});
