// A cloud image from the web UI: the New VM wizard's "A cloud image
// (cloud-init)" way, with the test guest's disk converted to qcow2 as the
// image (in a dir pool made here). Mistakes (a host name with "_", a line
// that is no SSH key, a user nobody can log in as) show on their fields
// and nothing is sent; then the VM is made as an overlay on the image,
// starts, and its serial log shows the host name the guest read from the
// seed vireod built (VIREO-CIDATA hostname=...). Everything made here is
// removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, REPO, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const TAG = `${process.pid}`;
const POOL = `e2e-cloud-${TAG}`;
const VMNAME = `e2e-cloud-${TAG}`;
const HOST = `cloud-${TAG}`;
const SERIAL_DIR = '/var/log/libvirt/qemu/vireo-serial';
const GUEST_DIR = process.env.VIREO_GUEST_DIR || '/var/lib/libvirt/images/vireo-test';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFl6M8ZyFoNxGZqOPJ0bAqP4Q0gEIpeqY7mYrZ7fzGxs e2e@vireo';

let browser;
let page;
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);

describe('cloud image wizard', () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
    execFileSync('sh', [join(REPO, 'tests/guest/build-disk.sh')], { stdio: 'ignore' });
    execFileSync('qemu-img', ['convert', '-O', 'qcow2', join(GUEST_DIR, 'disk.img'), join(dir, 'cloud.qcow2')]);
    chmodSync(join(dir, 'cloud.qcow2'), 0o644);
    ok(await api('POST', `/api/pools/${POOL}/refresh`), 200, 'refresh');
    browser = await chromium.launch(LAUNCH);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    watch(page, pageErrors);
    await signIn(page, 'admin', ADMIN_PASSWORD);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/vms/${VMNAME}?force=true&volumes=true`);
      const vols = (await api('GET', `/api/pools/${POOL}/volumes`)).json?.volumes || [];
      for (const v of vols) await api('DELETE', `/api/pools/${POOL}/volumes/${encodeURIComponent(v.name)}`);
      await api('DELETE', `/api/pools/${POOL}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('fields checked before sending, then an overlay VM that boots with its seed', async () => {
    const posts = [];
    page.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/vms') posts.push(r.url()); });
    await page.goto(`${page.url().split('#')[0]}#/new`);
    await page.getByTestId('view-create').waitFor();
    await page.getByTestId('install-mode-cloud').click();
    await page.getByTestId('cloud-image').selectOption(`${POOL}/cloud.qcow2`);
    await page.getByTestId('cloud-size').fill('1');
    // A host name with "_" is refused on its field.
    await page.getByTestId('cloud-hostname').fill('bad_name');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('cloud-hostname-error').waitFor();
    await page.getByTestId('cloud-hostname').fill(HOST);
    // A line that is no SSH key, then a user nobody could log in as.
    await page.getByTestId('cloud-keys').fill('not a key');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('cloud-keys-error').waitFor();
    await page.getByTestId('cloud-keys').fill('');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('cloud-password-error').waitFor();
    await page.getByTestId('cloud-keys').fill(KEY);
    await page.getByTestId('cloud-password').fill(`pw-${TAG}-secret`);
    await checkPage(page, 'wizard: cloud image');
    await shot(page, '90-wizard-cloud-image');
    await page.getByTestId('wizard-next').click();
    // OS, resources; the disk step says the disk comes from the image.
    await page.locator('.wizard-steps li.is-current', { hasText: 'Operating system' }).waitFor();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-vcpus').fill('1');
    await page.getByTestId('spec-memory').fill('128');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('disk-cloud').waitFor();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-network').selectOption('');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('create-name').fill(VMNAME);
    assert.match(await page.getByTestId('summary-install').textContent(), new RegExp(`overlay on ${POOL}/cloud.qcow2`));
    await shot(page, '91-wizard-cloud-summary');
    assert.deepEqual(posts, [], 'nothing was sent before Create');
    await page.getByTestId('wizard-create').click();
    await page.waitForFunction((hh) => location.hash === hh, `#/vms/${VMNAME}`);
    const vm = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.equal(vm.state, 'running');
    assert.ok(vm.disks.some((d) => d.device === 'cdrom' && d.bus === 'scsi'), JSON.stringify(vm.disks));
    const vols = ((await api('GET', `/api/pools/${POOL}/volumes`)).json.volumes || []).map((v) => v.name);
    assert.ok(vols.includes(`${VMNAME}-cidata.iso`), vols.join(', '));
    // The guest read its host name from the seed.
    const log = join(SERIAL_DIR, `${vm.uuid}.log`);
    const want = `VIREO-CIDATA hostname=${HOST}`;
    const deadline = Date.now() + 120000;
    while (Date.now() < deadline && !(existsSync(log) && readFileSync(log, 'utf8').includes(want))) {
      await page.waitForTimeout(500);
    }
    assert.ok(readFileSync(log, 'utf8').includes(want), `serial log lacks ${want}`);
    await shot(page, '92-cloud-vm-page');
    assert.deepEqual(pageErrors, []);
  });
});
