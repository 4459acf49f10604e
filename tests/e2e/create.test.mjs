// Templates page and the create-VM wizard end to end, as admin: a template
// made through its dialog (OS from the catalogue, resources, a new disk in a
// dir pool made for this run) and deleted again; the wizard (OS search ->
// resources prefilled from the OS -> disk -> network -> summary) where
// vireod's 400 sends the person back to the step that holds the field, then
// a VM that is created and shows up in the guest list. Everything made here
// is removed in after(): the VM with its volumes, the template, the pool and
// its directory.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const TAG = `${process.pid}`;
const POOL = `e2e-cr-${TAG}`;
const TEMPLATE = `e2e-tpl-${TAG}`;
const VMNAME = `e2e-new-${TAG}`;

let browser;
let page;
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);

describe('Templates and the create-VM wizard', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    const r = await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(20000);
    watch(page, pageErrors);
    await signIn(page, 'admin', ADMIN_PASSWORD);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/vms/${VMNAME}?force=true&volumes=true`);
      await api('DELETE', `/api/templates/${TEMPLATE}`);
      const vols = (await api('GET', `/api/pools/${POOL}/volumes`)).json?.volumes || [];
      for (const v of vols) await api('DELETE', `/api/pools/${POOL}/volumes/${encodeURIComponent(v.name)}`);
      await api('DELETE', `/api/pools/${POOL}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('admin makes a template in its dialog, sees it listed, and deletes it', async () => {
    await page.getByTestId('nav-templates').click();
    await page.getByTestId('view-templates').waitFor();
    await page.getByTestId('template-new').click();
    const dlg = page.getByTestId('template-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('template-name-input').fill(TEMPLATE);
    await dlg.getByTestId('template-description').fill('made by the e2e test');
    await dlg.getByTestId('os-search').fill('debian11');
    await dlg.locator('[data-testid="os-option"][data-os="debian11"]').click();
    // The OS's recommendation fills the resources.
    assert.equal(await dlg.getByTestId('spec-memory').inputValue(), '1024');
    await dlg.getByTestId('spec-memory').fill('64');
    await dlg.getByTestId('disk-pool').selectOption(POOL);
    await dlg.getByTestId('disk-size').fill('1');
    await checkPage(page, 'template dialog');
    await shot(page, '60-template-dialog', { fullPage: false });
    // A bad name is refused by the form before vireod sees it.
    await dlg.getByTestId('template-name-input').fill('bad name!');
    await dlg.getByTestId('template-dialog-submit').click();
    await dlg.getByTestId('template-dialog-error').waitFor();
    await dlg.getByTestId('template-name-input').fill(TEMPLATE);
    await dlg.getByTestId('template-dialog-submit').click();
    await dlg.waitFor({ state: 'detached' });
    const row = page.locator(`[data-testid="template-row"][data-template="${TEMPLATE}"]`);
    await row.waitFor();
    assert.match(await row.getByTestId('template-spec').textContent(), /debian11 · 1 vCPU · 64 MiB · 1 GiB qcow2 in /);
    const t = (await api('GET', `/api/templates/${TEMPLATE}`)).json;
    assert.deepEqual(t.spec, { os: 'debian11', vcpus: 1, memory: 64, disks: [{ pool: POOL, size: 1073741824, format: 'qcow2' }], nics: [] });
    await shot(page, '61-templates');

    await row.getByTestId('template-delete').click();
    await page.getByTestId('confirm-ok').click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await api('GET', `/api/templates/${TEMPLATE}`)).status, 404);
  });

  test('the wizard shows the daemon\'s 400 at its step, then creates a VM that appears in the list', async () => {
    await page.goto(`${page.url().split('#')[0]}#/`);
    await page.getByTestId('vm-new').click();
    await page.getByTestId('view-create').waitFor();
    // Step 1: the OS.
    await page.getByTestId('os-search').fill('debian11');
    await page.locator('[data-testid="os-option"][data-os="debian11"]').click();
    await checkPage(page, 'wizard: OS');
    await shot(page, '62-wizard-os');
    await page.getByTestId('wizard-next').click();
    // Step 2: resources prefilled from the OS; too many vCPUs for vireod.
    assert.equal(await page.getByTestId('spec-memory').inputValue(), '1024');
    await page.getByTestId('spec-vcpus').fill('4000');
    await page.getByTestId('spec-memory').fill('64');
    await page.getByTestId('wizard-next').click();
    // Step 3: a new disk in this run's pool.
    await page.getByTestId('disk-pool').selectOption(POOL);
    await page.getByTestId('disk-size').fill('1');
    await page.getByTestId('wizard-next').click();
    // Step 4: no network (this machine sends guests no traffic).
    await page.getByTestId('spec-network').selectOption('');
    await page.getByTestId('wizard-next').click();
    // Step 5: summary, name, no start.
    await page.getByTestId('create-name').fill(VMNAME);
    await page.locator('label.switch', { hasText: 'Start the VM' }).click();
    assert.equal(await page.getByTestId('create-start').isChecked(), false);
    assert.equal((await page.getByTestId('summary-resources').textContent()).trim(), '4000 vCPU, 64 MiB');
    await checkPage(page, 'wizard: summary');
    await shot(page, '63-wizard-summary');
    await page.getByTestId('wizard-create').click();
    // vireod refuses 4000 vCPUs: the wizard goes back to the resources step.
    await page.getByTestId('create-error').waitFor();
    assert.match(await page.getByTestId('create-error').textContent(), /vcpus/);
    await page.locator('.wizard-steps li.is-current', { hasText: 'Resources' }).waitFor();
    await shot(page, '64-wizard-error');
    await page.getByTestId('spec-vcpus').fill('1');
    for (let i = 0; i < 3; i++) await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-create').click();
    await page.waitForFunction((h) => location.hash === h, `#/vms/${VMNAME}`);

    const vm = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.equal(vm.vcpus, 1);
    assert.equal(vm.memory, 64);
    assert.equal(vm.state, 'shutoff');
    assert.equal(vm.disks.length, 1);
    assert.equal(vm.disks[0].bus, 'virtio');
    assert.ok(vm.disks[0].source.startsWith(dir));

    await page.getByTestId('nav-guests').click();
    await page.locator(`[data-testid="vm-row"][data-vm="${VMNAME}"]`).waitFor();
    await shot(page, '65-wizard-vm-in-list');
    assert.deepEqual(pageErrors, []);
  });
});
