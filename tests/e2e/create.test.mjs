// Templates page and the create-VM wizard end to end, as admin: a template
// made through its dialog (OS from the catalogue, resources, a new disk in a
// dir pool made for this run) and deleted again; the wizard (install from
// nothing -> OS search -> resources prefilled from the OS -> disk -> network
// -> summary) where vireod's 409 about the disk is shown on the disk's field
// at its step, then a VM that is created and shows up in the guest list. Everything made here
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
const COPYVM = `e2e-copy-${TAG}`;

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
      await api('DELETE', `/api/vms/${COPYVM}?force=true&volumes=true`);
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

  test('the wizard shows vireod\'s error on the field and step it names, then creates a VM that appears in the list', async () => {
    await page.goto(`${page.url().split('#')[0]}#/`);
    await page.getByTestId('vm-new').click();
    await page.getByTestId('view-create').waitFor();
    // Step 1: install from nothing (an empty guest).
    await page.getByTestId('install-mode-none').click();
    await page.getByTestId('wizard-next').click();
    // Step 2: the OS.
    await page.getByTestId('os-search').fill('debian11');
    await page.locator('[data-testid="os-option"][data-os="debian11"]').click();
    await checkPage(page, 'wizard: OS');
    await shot(page, '62-wizard-os');
    await page.getByTestId('wizard-next').click();
    // Step 3: resources prefilled from the OS.
    assert.equal(await page.getByTestId('spec-memory').inputValue(), '1024');
    await page.getByTestId('spec-vcpus').fill('1');
    await page.getByTestId('spec-memory').fill('64');
    await page.getByTestId('wizard-next').click();
    // Step 4: a new disk in this run's pool, whose name vireod will find taken.
    await page.getByTestId('disk-pool').selectOption(POOL);
    await page.getByTestId('disk-size').fill('1');
    const clash = `${VMNAME}-disk0.qcow2`;
    const made = await api('POST', `/api/pools/${POOL}/volumes`, { body: { name: clash, capacity: 1024 * 1024, format: 'qcow2' } });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    await page.getByTestId('wizard-next').click();
    // Step 5: no network (this machine sends guests no traffic).
    await page.getByTestId('spec-network').selectOption('');
    await page.getByTestId('wizard-next').click();
    // Step 6: summary, name, no start.
    await page.getByTestId('create-name').fill(VMNAME);
    await page.locator('label.switch', { hasText: 'Start the VM' }).click();
    assert.equal(await page.getByTestId('create-start').isChecked(), false);
    assert.equal((await page.getByTestId('summary-resources').textContent()).trim(), '1 vCPU, 64 MiB');
    await checkPage(page, 'wizard: summary');
    await shot(page, '63-wizard-summary');
    await page.getByTestId('wizard-create').click();
    // vireod's 409 names disks[0]: the wizard goes back to the disk step
    // and shows it on the disk's pool.
    const err = page.getByTestId('disk-pool-error');
    await err.waitFor();
    assert.match(await err.textContent(), new RegExp(`disks\\[0\\]: a volume named '${clash}' exists`));
    await page.locator('.wizard-steps li.is-current', { hasText: 'Disk' }).waitFor();
    await shot(page, '64-wizard-error');
    assert.equal((await api('DELETE', `/api/pools/${POOL}/volumes/${clash}`)).status, 204);
    for (let i = 0; i < 2; i++) await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-create').click();
    await page.waitForFunction((h) => location.hash === h, `#/vms/${VMNAME}`);

    const vm = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.equal(vm.vcpus, 1);
    assert.equal(vm.memory, 64);
    assert.equal(vm.state, 'shutoff');
    assert.equal(vm.disks.length, 1);
    assert.equal(vm.disks[0].bus, 'virtio');
    assert.ok(vm.disks[0].source.startsWith(dir));
    assert.deepEqual(vm.os.boot, ['hd']);
    assert.equal(vm.os.id, 'debian11');

    await page.getByTestId('nav-guests').click();
    await page.locator(`[data-testid="vm-row"][data-vm="${VMNAME}"]`).waitFor();
    await shot(page, '65-wizard-vm-in-list');
    assert.deepEqual(pageErrors, []);
  });

  test('a VM whose disk is a copy is made by a task whose progress the wizard follows', async () => {
    const base = await api('POST', `/api/pools/${POOL}/volumes`, { body: { name: 'base.img', capacity: 64 * 1024 ** 2, format: 'raw' } });
    assert.equal(base.status, 201, JSON.stringify(base.json));
    await page.goto(`${page.url().split("#")[0]}#/new`);
    await page.getByTestId('view-create').waitFor();
    await page.getByTestId('install-mode-none').click();
    await page.getByTestId('wizard-next').click();
    await page.locator('[data-testid="os-option"][data-os=""]').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-vcpus').fill('1');
    await page.getByTestId('spec-memory').fill('64');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('disk-mode-clone').click();
    await page.getByTestId('disk-source').selectOption(`${POOL}/base.img`);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-network').selectOption('');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('create-name').fill(COPYVM);
    await page.getByTestId('wizard-create').click();
    await page.waitForFunction((h) => location.hash === h, `#/vms/${COPYVM}`);

    const tasks = (await api('GET', '/api/tasks?limit=10')).json.tasks;
    const task = tasks.find((t) => t.kind === 'create' && t.target === COPYVM);
    assert.ok(task, `a create task for ${COPYVM}: ${JSON.stringify(tasks)}`);
    assert.equal(task.state, 'succeeded');
    assert.equal(task.result, `/api/vms/${COPYVM}`);
    const vm = (await api('GET', `/api/vms/${COPYVM}`)).json;
    assert.equal(vm.disks.length, 1);
    assert.equal(vm.disks[0].source, `${dir}/${COPYVM}-disk0.img`);
    assert.deepEqual(pageErrors, []);
  });
});
