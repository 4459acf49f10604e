// The Networks page end to end: as admin, an isolated network with a DHCP
// range made through the dialog (never a forwarding one: this machine must
// keep its own routes), a subnet overlap (409) and an invalid address (400)
// shown in the dialog, the autostart switch, stop and start, the leases
// panel, and delete; a viewer granted the network sees the same page without
// change buttons.
// Started by tests/e2e/run.sh (see lib.mjs). The subnet is a 10.214.X.0/24
// no network and no host interface uses; whatever is left is removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const VIEWER = `e2e_net_viewer_${process.pid}`;
const VIEWER_PASSWORD = `view-${Date.now().toString(36)}-${process.pid}-pw`;

let browser;
let context;
let page;
let admin;
let X; // the third octet of this run's subnet
let NET; // the network made in the dialog
let DUP; // a name whose subnet would overlap it: must never be created
const pageErrors = [];

const api = (method, path, opts) => admin.request(method, path, opts);
const netApi = (name) => `/api/networks/${encodeURIComponent(name)}`;
const netRow = (p = page) => p.locator(`[data-testid="network-row"][data-network="${NET}"]`);

async function pageShot(p, name) {
  await p.evaluate(() => { for (const t of document.querySelectorAll('[data-testid="toast"]')) t.remove(); });
  await shot(p, name);
}

// A 10.214.X.0/24 that no libvirt network and no host interface is in.
async function freeSubnet() {
  const used = new Set();
  const nets = (await api('GET', '/api/networks')).json.networks || [];
  for (const n of nets) for (const ip of n.ips || []) used.add(ip.address.split('/')[0]);
  for (const list of Object.values(networkInterfaces())) for (const a of list || []) used.add(a.address);
  const taken = (x) => [...used].some((a) => a.startsWith(`10.214.${x}.`));
  const first = 100 + (process.pid % 100);
  for (let i = 0; i < 150; i++) {
    const x = 100 + ((first - 100 + i) % 150);
    if (!taken(x)) return x;
  }
  throw new Error('no free 10.214.X.0/24 for the test network');
}

async function openDialog() {
  await page.getByTestId('network-new').click();
  const dlg = page.getByTestId('new-network-dialog');
  await dlg.waitFor();
  return dlg;
}

async function closeDialog(dlg) {
  await dlg.getByTestId('new-network-dialog-cancel').click();
  await dlg.waitFor({ state: 'detached' });
}

describe('Networks page', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    X = await freeSubnet();
    NET = `e2e-net-${X}`;
    DUP = `e2e-dup-${X}`;
    for (const n of [NET, DUP]) assert.equal((await api('GET', netApi(n))).status, 404, `${n} exists already`);
    browser = await chromium.launch(LAUNCH);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      for (const n of [NET, DUP]) {
        if (n && (await api('GET', netApi(n))).status === 200) await api('DELETE', netApi(n));
      }
      await api('DELETE', `/api/users/${VIEWER}`);
    }
  });

  test('admin creates an isolated network with DHCP and sees it active with its address and range', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('nav-networks').click();
    await page.getByTestId('view-networks').waitFor();
    await page.waitForFunction(() => location.hash === '#/networks');
    const dlg = await openDialog();
    await dlg.getByTestId('new-network-name').fill(NET);
    await dlg.getByTestId('new-network-mode').selectOption('isolated');
    await dlg.getByTestId('new-network-ipv4').fill(`10.214.${X}.1/24`);
    // The range appears once DHCP is switched on (the switch is its label).
    assert.equal(await dlg.getByTestId('new-network-ipv4-dhcp-start').isVisible(), false);
    await dlg.locator('label.switch', { hasText: 'DHCP range' }).click();
    await dlg.getByTestId('new-network-ipv4-dhcp-start').fill(`10.214.${X}.100`);
    await dlg.getByTestId('new-network-ipv4-dhcp-end').fill(`10.214.${X}.150`);
    // IPv6 is optional: its fields show only when asked for.
    assert.equal(await dlg.getByTestId('new-network-ipv6').isVisible(), false);
    await dlg.locator('label.switch', { hasText: 'Also IPv6' }).click();
    assert.equal(await dlg.getByTestId('new-network-ipv6').isVisible(), true);
    await dlg.locator('label.switch', { hasText: 'Also IPv6' }).click();
    assert.equal(await dlg.getByTestId('new-network-ipv6').isVisible(), false);
    // Bridge mode asks for a host bridge and takes no addresses.
    await dlg.getByTestId('new-network-mode').selectOption('bridge');
    assert.equal(await dlg.getByTestId('new-network-ipv4').isVisible(), false);
    assert.equal((await dlg.locator('label', { hasText: 'Host bridge' }).count()), 1);
    await dlg.getByTestId('new-network-mode').selectOption('isolated');
    assert.equal(await dlg.getByTestId('new-network-ipv4').isVisible(), true);
    // Autostart on by default: switched off here, then on again from the table.
    assert.equal(await dlg.getByTestId('new-network-autostart').isChecked(), true);
    await dlg.locator('label.switch', { hasText: 'autostart' }).click();
    assert.equal(await dlg.getByTestId('new-network-autostart').isChecked(), false);
    assert.equal(await dlg.getByTestId('new-network-start').isChecked(), true);
    await checkPage(page, 'new network dialog');
    await shot(page, '50-networks-new-dialog', { fullPage: false });
    await dlg.getByTestId('new-network-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });

    // The new network opens: #/networks/NET, its row marked, no leases yet.
    await page.waitForFunction((h) => location.hash === h, `#/networks/${encodeURIComponent(NET)}`);
    await netRow().and(page.locator('[data-state="active"]')).waitFor();
    assert.equal((await netRow().getByTestId('network-state').textContent()).trim(), 'active');
    assert.equal((await netRow().getByTestId('network-mode').textContent()).trim(), 'isolated');
    assert.equal((await netRow().getByTestId('network-address').textContent()).trim(), `10.214.${X}.1/24`);
    assert.equal((await netRow().getByTestId('network-dhcp').textContent()).trim(), `DHCP 10.214.${X}.100 – 10.214.${X}.150`);
    assert.equal(await netRow().getByTestId('network-autostart').isChecked(), false);
    await page.getByTestId('leases-empty').waitFor();
    assert.equal((await page.getByTestId('leases-network').textContent()).trim(), NET);

    const n = (await api('GET', netApi(NET))).json;
    assert.equal(n.active, true);
    assert.equal(n.mode, 'isolated');
    assert.equal(n.autostart, false);
    assert.deepEqual(n.ips, [{ family: 'ipv4', address: `10.214.${X}.1/24`, dhcp: { start: `10.214.${X}.100`, end: `10.214.${X}.150` } }]);
    assert.ok(n.bridge, 'libvirt named a bridge');
    assert.equal((await netRow().getByTestId('network-bridge').textContent()).trim(), n.bridge);
    await checkPage(page, 'networks page');
    await pageShot(page, '50-networks');
  });

  test('an overlapping subnet shows the 409 message in the dialog', async () => {
    const dlg = await openDialog();
    await dlg.getByTestId('new-network-name').fill(DUP);
    await dlg.getByTestId('new-network-ipv4').fill(`10.214.${X}.2/25`);
    await dlg.locator('label.switch', { hasText: 'Start it now' }).click();
    await dlg.getByTestId('new-network-dialog-submit').click();
    const err = dlg.getByTestId('new-network-dialog-error');
    await err.filter({ hasText: 'overlaps' }).waitFor();
    assert.match(await err.textContent(), new RegExp(`10\\.214\\.${X}\\.1/24 of network '${NET}'`));
    await shot(page, '50-networks-overlap-409', { fullPage: false });
    await closeDialog(dlg);
    assert.equal((await api('GET', netApi(DUP))).status, 404);
  });

  test('an invalid address shows the 400 message in the dialog', async () => {
    const dlg = await openDialog();
    await dlg.getByTestId('new-network-name').fill(DUP);
    await dlg.getByTestId('new-network-ipv4').fill(`10.214.${X}.1/33`);
    await dlg.getByTestId('new-network-dialog-submit').click();
    const err = dlg.getByTestId('new-network-dialog-error');
    await err.waitFor();
    assert.match(await err.textContent(), /prefix \/33 is out of range/);
    await shot(page, '50-networks-invalid-400', { fullPage: false });
    await closeDialog(dlg);
    assert.equal((await api('GET', netApi(DUP))).status, 404);
  });

  test('the autostart switch sets it over PATCH', async () => {
    await netRow().locator('label.switch').click();
    await page.getByTestId('toast').filter({ hasText: `${NET} now starts with libvirtd` }).waitFor();
    assert.equal((await api('GET', netApi(NET))).json.autostart, true);
    await netRow().getByTestId('network-autostart').and(page.locator(':checked')).waitFor();
    await netRow().locator('label.switch').click();
    await page.getByTestId('toast').filter({ hasText: `${NET} no longer starts with libvirtd` }).waitFor();
    assert.equal((await api('GET', netApi(NET))).json.autostart, false);
    await netRow().getByTestId('network-autostart').and(page.locator(':not(:checked)')).waitFor();
  });

  test('stop and start: a stopped network has no leases to show', async () => {
    await netRow().getByTestId('network-stop').click();
    await netRow().and(page.locator('[data-state="inactive"]')).waitFor();
    assert.equal((await netRow().getByTestId('network-state').textContent()).trim(), 'inactive');
    await page.getByTestId('leases-inactive').waitFor();
    assert.equal((await api('GET', netApi(NET))).json.active, false);
    // Focus stays on the row's start/stop place for keyboard users.
    await page.waitForFunction(() => document.activeElement && document.activeElement.dataset.testid === 'network-start');
    await pageShot(page, '50-networks-stopped');
    await netRow().getByTestId('network-start').click();
    await netRow().and(page.locator('[data-state="active"]')).waitFor();
    await page.getByTestId('leases-empty').waitFor();
    assert.equal((await api('GET', netApi(NET))).json.active, true);
    // On a phone the admin's rows keep their switch and buttons, nothing sticks out.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await netRow().getByTestId('network-stop').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
      await pageShot(page, '50-networks-phone');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('a viewer granted the network sees it but no change buttons', async () => {
    let r = await api('POST', '/api/users', { body: { username: VIEWER, role: 'viewer', password: VIEWER_PASSWORD } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    // Viewers and operators see only the networks granted to them.
    r = await api('POST', `/api/users/${VIEWER}/grants`, { body: { network: NET } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    try {
      const p = await ctx.newPage();
      p.setDefaultTimeout(15000);
      watch(p, pageErrors);
      await signIn(p, VIEWER, VIEWER_PASSWORD, `#/networks/${encodeURIComponent(NET)}`);
      await p.getByTestId('view-networks').waitFor();
      await p.getByTestId('leases-empty').waitFor();
      assert.equal(await p.getByTestId('nav-networks').getAttribute('aria-current'), 'page');
      assert.equal((await netRow(p).getByTestId('network-state').textContent()).trim(), 'active');
      assert.equal((await netRow(p).getByTestId('network-address').textContent()).trim(), `10.214.${X}.1/24`);
      assert.equal((await netRow(p).getByTestId('network-autostart-text').textContent()).trim(), 'Off');
      for (const id of ['network-new', 'network-start', 'network-stop', 'network-delete', 'network-autostart']) {
        assert.equal(await p.getByTestId(id).count(), 0, `a viewer gets no ${id}`);
      }
      await checkPage(p, 'networks page as viewer');
      await pageShot(p, '50-networks-viewer-dark');
      // A phone: the table becomes cards, nothing sticks out sideways.
      await p.setViewportSize({ width: 390, height: 844 });
      await netRow(p).getByTestId('network-address').waitFor();
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
      await pageShot(p, '50-networks-viewer-phone');
    } finally {
      await ctx.close();
    }
  });

  test('deleting the network asks first and removes it', async () => {
    await netRow().getByTestId('network-delete').click();
    await page.getByTestId('confirm-dialog').waitFor();
    assert.match(await page.locator('#confirm-title').textContent(), new RegExp(`Delete the network ${NET}`));
    await shot(page, '50-networks-delete-dialog', { fullPage: false });
    await page.getByTestId('confirm-ok').click();
    await page.waitForFunction(() => location.hash === '#/networks');
    await netRow().waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: `Network ${NET} was deleted` }).waitFor();
    assert.equal((await api('GET', netApi(NET))).status, 404);
    assert.deepEqual(pageErrors, []);
  });
});
