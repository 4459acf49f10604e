// Installing an OS from the web UI, as admin and as an operator: the New VM
// wizard's "Install from" step with an installer ISO of the test guest
// (tests/guest/build-iso.sh: ISOLINUX, the guest's kernel and initramfs,
// labelled like a Debian 11 netinst so that libosinfo names it, in a dir
// pool made here), the OS preselected from it, the host's limits and a
// taken name shown on their fields before anything is sent, an inactive
// network offered to be started, "Create and open the console" in one
// click, the VM booting from its CD-ROM (its serial log shows the ISO's
// kernel command line), its OS on its page, and "Eject installer" from the
// VM page and the console page. The first run of a host with no storage
// pool is shown by a second vireod on a libvirt test driver host defined
// without pools (the machine's real pools are never touched). Everything
// made here is removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import {
  LAUNCH, ADMIN_PASSWORD, REPO, VM, shot, watch, signIn, adminClient, checkPage, Client,
} from './lib.mjs';

const TAG = `${process.pid}`;
const POOL = `e2e-inst-${TAG}`;
const ISO = 'debian-netinst.iso';
const ISO_LABEL = 'Debian 11.5.0 amd64 n';
const NET = `e2e-inst-net-${TAG}`;
const VMNAME = `e2e-install-${TAG}`;
const OPVM = `e2e-inst-op-${TAG}`;
const OPERATOR = `e2einst${TAG}`;
const OP_PASSWORD = `op-pw-${TAG}-x`;
const SERIAL_DIR = '/var/log/libvirt/qemu/vireo-serial';

let browser;
let page;
let admin;
let dir;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
const options = (sel) => sel.locator('option').evaluateAll((os) => os.map((o) => o.value));

async function newPage(base = null) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const p = await ctx.newPage();
  p.setDefaultTimeout(20000);
  watch(p, pageErrors);
  return { ctx, p, base };
}

// Requests a page sends, to prove that a form refused something itself.
function recordPosts(p) {
  const sent = [];
  p.on('request', (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/vms') sent.push(r.url()); });
  return sent;
}

async function waitFor(what, fn, ms = 90000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('Installing an OS from the web UI', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
    execFileSync('sh', [join(REPO, 'tests/guest/build-iso.sh'), join(dir, ISO), ISO_LABEL], { stdio: 'ignore' });
    ok(await api('POST', `/api/pools/${POOL}/refresh`), 200, 'refresh');
    // Isolated, never started: the wizard offers to start it.
    ok(await api('POST', '/api/networks', { body: { name: NET, mode: 'isolated', start: false } }), 201, 'network');
    browser = await chromium.launch(LAUNCH);
    ({ p: page } = await newPage());
    await signIn(page, 'admin', ADMIN_PASSWORD);
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      for (const vm of [VMNAME, OPVM]) await api('DELETE', `/api/vms/${vm}?force=true&volumes=true`);
      await api('DELETE', `/api/users/${OPERATOR}`);
      const vols = (await api('GET', `/api/pools/${POOL}/volumes`)).json?.volumes || [];
      for (const v of vols) await api('DELETE', `/api/pools/${POOL}/volumes/${encodeURIComponent(v.name)}`);
      await api('DELETE', `/api/pools/${POOL}`);
      await api('POST', `/api/networks/${NET}/stop`);
      await api('DELETE', `/api/networks/${NET}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('from an ISO: OS preselected, host limits on their field, network started, console in one click, boots from the CD-ROM', async () => {
    const posts = recordPosts(page);
    await page.goto(`${page.url().split('#')[0]}#/new`);
    await page.getByTestId('view-create').waitFor();
    // Step 1: install from the ISO; libosinfo names Debian 11 on it.
    await page.getByTestId('install-mode-iso').click();
    assert.ok((await options(page.getByTestId('install-iso'))).includes(`${POOL}/${ISO}`));
    await page.getByTestId('install-iso').selectOption(`${POOL}/${ISO}`);
    await page.getByTestId('install-iso-os').filter({ hasText: 'libosinfo recognises Debian 11' }).waitFor();
    await checkPage(page, 'wizard: install from');
    await shot(page, '70-wizard-install-from');
    await page.getByTestId('wizard-next').click();
    // Step 2: the OS is the one on the ISO.
    await page.getByTestId('os-picked').filter({ hasText: 'Chosen: Debian 11' }).waitFor();
    assert.equal(await page.locator('[data-testid="os-option"][data-os="debian11"] input').isChecked(), true);
    await shot(page, '71-wizard-os-from-iso');
    await page.getByTestId('wizard-next').click();
    // Step 3: the OS's recommendation; more than the host has is refused on the field.
    assert.equal(await page.getByTestId('spec-memory').inputValue(), '1024');
    const host = (await api('GET', '/api/host')).json;
    await page.getByTestId('spec-vcpus').fill(String(host.cpu.cpus + 1));
    await page.getByTestId('wizard-next').click();
    const vcpuError = page.getByTestId('spec-vcpus-error');
    await vcpuError.waitFor();
    assert.match(await vcpuError.textContent(), new RegExp(`This host has ${host.cpu.cpus} CPU`));
    assert.equal(await page.getByTestId('spec-vcpus').getAttribute('aria-invalid'), 'true');
    await shot(page, '72-wizard-host-limit');
    await page.getByTestId('spec-vcpus').fill('1');
    assert.equal(await vcpuError.count(), 0, 'the error goes once the field changes');
    await page.getByTestId('spec-memory').fill(String(host.memory.total + 16));
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-memory-error').waitFor();
    await page.getByTestId('spec-memory').fill('128');
    await page.getByTestId('wizard-next').click();
    // Step 4: a small new disk.
    await page.locator('.wizard-steps li.is-current', { hasText: 'Disk' }).waitFor();
    await page.getByTestId('disk-mode-new').click();
    await page.getByTestId('disk-pool').selectOption(POOL);
    await page.getByTestId('disk-size').fill('1');
    await page.getByTestId('wizard-next').click();
    // Step 5: an inactive network is offered to be started.
    await page.getByTestId('spec-network').selectOption(NET);
    const inactive = page.getByTestId('spec-network-inactive');
    await inactive.waitFor();
    assert.match(await inactive.textContent(), /is not active: a guest on it cannot start/);
    await shot(page, '73-wizard-inactive-network');
    await page.getByTestId('spec-network-start').click();
    await inactive.waitFor({ state: 'hidden' });
    assert.equal((await api('GET', `/api/networks/${NET}`)).json.active, true);
    assert.ok(!(await page.locator(`[data-testid="spec-network"] option[value="${NET}"]`).textContent()).includes('inactive'));
    // This machine sends guests no traffic: no NIC after all.
    await page.getByTestId('spec-network').selectOption('');
    await page.getByTestId('wizard-next').click();
    // Summary: a name, then one click creates it and opens its console.
    await page.getByTestId('create-name').fill(VMNAME);
    assert.match(await page.getByTestId('summary-install').textContent(), new RegExp(`ISO image ${POOL}/${ISO}`));
    assert.equal((await page.getByTestId('summary-os').textContent()).trim(), 'Debian 11');
    await checkPage(page, 'wizard: summary');
    await shot(page, '74-wizard-summary');
    assert.deepEqual(posts, [], 'nothing was sent before Create');
    const [popup] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByTestId('wizard-create-console').click(),
    ]);
    await page.waitForFunction((hh) => location.hash === hh, `#/vms/${VMNAME}`);
    await popup.waitForURL(/console\.html#vm=/);
    assert.ok(popup.url().endsWith(`console.html#vm=${encodeURIComponent(VMNAME)}&type=vnc`), popup.url());
    watch(popup, pageErrors);
    // The console page offers to eject the installer.
    await popup.getByTestId('console-eject-installer').waitFor();
    await popup.getByTestId('console-vnc').waitFor();
    await popup.waitForTimeout(1500);
    await shot(popup, '75-console-with-installer', { fullPage: false });
    await popup.close();

    // The VM: a CD-ROM drive with the ISO, booted first; the OS kept.
    const vm = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.equal(vm.state, 'running');
    assert.deepEqual(vm.os.boot, ['cdrom', 'hd']);
    assert.deepEqual([vm.os.id, vm.os.name, vm.os.osinfo_id], ['debian11', 'Debian 11', 'http://debian.org/debian/11']);
    const cd = vm.disks.find((d) => d.device === 'cdrom');
    assert.equal(cd.source, join(dir, ISO));
    // It booted from the CD-ROM: the kernel command line is the ISO's.
    const log = join(SERIAL_DIR, `${vm.uuid}.log`);
    const line = await waitFor('VIREO-CMDLINE on the serial line', () => existsSync(log)
      && readFileSync(log, 'utf8').split('\n').find((l) => l.includes('VIREO-CMDLINE')));
    assert.match(line, /vireo\.from=cdrom/);

    // Its page: the OS by name, and the installer to eject.
    await page.getByTestId('detail-os-guest').filter({ hasText: 'Debian 11' }).waitFor();
    assert.equal((await page.getByTestId('detail-os-guest').textContent()).trim(), 'Debian 11 (debian11)');
    const installer = page.getByTestId('detail-installer');
    await installer.waitFor();
    await checkPage(page, 'VM page with an installer');
    await shot(page, '76-vm-page-installer');
    await page.getByTestId('vm-eject-installer').click();
    await page.getByTestId('confirm-ok').click();
    await installer.waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: `${VMNAME}: ${cd.target} emptied` }).waitFor();
    const after = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.equal(after.disks.find((d) => d.device === 'cdrom').source, null);
    assert.deepEqual(after.next_boot.boot, ['hd', 'cdrom']);
    await page.getByTestId('detail-os-next-boot').filter({ hasText: 'Disk → CD-ROM' }).waitFor();
    await checkPage(page, 'VM page after the eject');
    await shot(page, '77-vm-page-ejected');
    assert.deepEqual(pageErrors, []);
  });

  test('the console page ejects the installer too', async () => {
    // A VM made over the API with the ISO, shut off: the console page's bar.
    const name = `${VMNAME}-c`;
    ok(await api('POST', '/api/vms', { body: { name, vcpus: 1, memory: 64, graphics: 'vnc', cdrom: `${POOL}/${ISO}` } }), 201, 'VM');
    try {
      const { ctx, p } = await newPage();
      try {
        await signIn(p, 'admin', ADMIN_PASSWORD);
        await p.goto(`${p.url().split('#')[0]}console.html#vm=${encodeURIComponent(name)}&type=vnc`);
        p.on('dialog', (d) => d.accept());
        const eject = p.getByTestId('console-eject-installer');
        await eject.click();
        await eject.waitFor({ state: 'detached' });
        await p.getByTestId('console-note-text').filter({ hasText: 'emptied' }).waitFor();
        await shot(p, '78-console-ejected', { fullPage: false });
      } finally {
        await ctx.close();
      }
      const vm = (await api('GET', `/api/vms/${name}`)).json;
      assert.deepEqual(vm.os.boot, ['hd', 'cdrom']);
      assert.equal(vm.disks.find((d) => d.device === 'cdrom').source, null);
    } finally {
      await api('DELETE', `/api/vms/${name}`);
    }
    assert.deepEqual(pageErrors, []);
  });

  test('network boot needs a network; an imported image is the disk as it is', async () => {
    const pxe = `${VMNAME}-pxe`;
    const imp = `${VMNAME}-imp`;
    ok(await api('POST', `/api/pools/${POOL}/volumes`, { body: { name: 'imported.img', capacity: 1024 * 1024, format: 'raw' } }), 201, 'image');
    try {
      // PXE: the network step refuses "No network".
      await page.goto(`${page.url().split('#')[0]}#/new`);
      await page.getByTestId('install-mode-pxe').click();
      for (let i = 0; i < 2; i++) await page.getByTestId('wizard-next').click();
      await page.getByTestId('spec-memory').fill('64');
      await page.getByTestId('wizard-next').click();
      await page.getByTestId('disk-mode-none').click();
      await page.getByTestId('wizard-next').click();
      await page.getByTestId('network-pxe-note').waitFor();
      await page.getByTestId('spec-network').selectOption('');
      await page.getByTestId('wizard-next').click();
      const netError = page.getByTestId('spec-network-error');
      await netError.waitFor();
      assert.match(await netError.textContent(), /Network boot needs a network/);
      await shot(page, '85-wizard-pxe-needs-network');
      await page.getByTestId('spec-network').selectOption(NET);
      await page.getByTestId('wizard-next').click();
      await page.getByTestId('create-name').fill(pxe);
      await page.locator('label.switch', { hasText: 'Start the VM' }).click();
      await page.getByTestId('wizard-create').click();
      await page.waitForFunction((hh) => location.hash === hh, `#/vms/${pxe}`);
      let vm = (await api('GET', `/api/vms/${pxe}`)).json;
      assert.deepEqual(vm.os.boot, ['network', 'hd']);
      assert.deepEqual(vm.nics.map((n) => n.source), [NET]);

      // Import: the disk step shows the image instead of its choices.
      await page.goto(`${page.url().split('#')[0]}#/new`);
      await page.getByTestId('install-mode-import').click();
      await page.getByTestId('install-image').selectOption(`${POOL}/imported.img`);
      for (let i = 0; i < 2; i++) await page.getByTestId('wizard-next').click();
      await page.getByTestId('spec-memory').fill('64');
      await page.getByTestId('wizard-next').click();
      await page.getByTestId('disk-imported').filter({ hasText: `${POOL}/imported.img` }).waitFor();
      await shot(page, '86-wizard-import-disk');
      await page.getByTestId('wizard-next').click();
      await page.getByTestId('spec-network').selectOption('');
      await page.getByTestId('wizard-next').click();
      assert.match(await page.getByTestId('summary-disk').textContent(), new RegExp(`disk ${POOL}/imported.img`));
      await page.getByTestId('create-name').fill(imp);
      await page.locator('label.switch', { hasText: 'Start the VM' }).click();
      await page.getByTestId('wizard-create').click();
      await page.waitForFunction((hh) => location.hash === hh, `#/vms/${imp}`);
      vm = (await api('GET', `/api/vms/${imp}`)).json;
      assert.deepEqual(vm.os.boot, ['hd']);
      assert.deepEqual(vm.disks.map((d) => [d.device, d.source]), [['disk', join(dir, 'imported.img')]]);
    } finally {
      await api('DELETE', `/api/vms/${pxe}`);
      await api('DELETE', `/api/vms/${imp}`);
    }
    assert.deepEqual(pageErrors, []);
  });

  test('a taken name is said on the name field: before sending, and from vireod\'s 409 for a VM the operator cannot see', async () => {
    // Admin: the e2e test VM exists; the wizard finds it before sending.
    const posts = recordPosts(page);
    await page.goto(`${page.url().split('#')[0]}#/new`);
    await page.getByTestId('install-mode-none').click();
    for (let i = 0; i < 2; i++) await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-memory').fill('64');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('disk-mode-none').click();
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('spec-network').selectOption('');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('create-name').fill(VM);
    await page.getByTestId('wizard-create').click();
    const nameError = page.getByTestId('create-name-error');
    await nameError.waitFor();
    assert.match(await nameError.textContent(), new RegExp(`A VM named “${VM}” already exists`));
    assert.deepEqual(posts, [], 'the taken name was caught before sending');
    await shot(page, '79-wizard-name-taken');

    // An operator cannot see that VM (404), so vireod's 409 says it; the
    // operator also sees the first-run note (no pool is shared with them)
    // and is told to ask an admin to start an inactive network.
    ok(await api('POST', '/api/users', { body: { username: OPERATOR, role: 'operator', password: OP_PASSWORD } }), 201, 'operator');
    ok(await api('POST', `/api/networks/${NET}/stop`), 200, 'stop network');
    ok(await api('POST', `/api/users/${OPERATOR}/grants`, { body: { network: NET } }), 201, 'grant');
    const { ctx, p } = await newPage();
    try {
      await signIn(p, OPERATOR, OP_PASSWORD, '#/new');
      await p.getByTestId('view-create').waitFor();
      const note = p.getByTestId('wizard-default-pool');
      await note.waitFor();
      assert.match(await note.textContent(), /No storage pool is shared with you.*Ask an admin/);
      assert.equal(await p.getByTestId('wizard-default-pool-create').count(), 0);
      assert.equal(await p.getByTestId('install-mode-iso').locator('input').isDisabled(), true);
      await shot(p, '80-wizard-operator-first-run');
      for (let i = 0; i < 2; i++) await p.getByTestId('wizard-next').click();
      await p.getByTestId('spec-memory').fill('64');
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('spec-network').selectOption(NET);
      const inactive = p.getByTestId('spec-network-inactive');
      await inactive.waitFor();
      assert.match(await inactive.textContent(), /Ask an admin to start it/);
      assert.equal(await p.getByTestId('spec-network-start').count(), 0);
      await shot(p, '81-wizard-operator-inactive-network');
      await p.getByTestId('spec-network').selectOption('');
      await p.getByTestId('wizard-next').click();
      await p.getByTestId('create-name').fill(VM);
      await p.getByTestId('wizard-create').click();
      const err = p.getByTestId('create-name-error');
      await err.waitFor();
      assert.match(await err.textContent(), new RegExp(`a VM named '${VM}' exists`));
      await p.getByTestId('create-name').fill(OPVM);
      assert.equal(await err.count(), 0);
      await p.getByTestId('wizard-create').click();
      await p.waitForFunction((hh) => location.hash === hh, `#/vms/${OPVM}`);
    } finally {
      await ctx.close();
    }
    assert.equal((await api('GET', `/api/vms/${OPVM}`)).status, 200);
    assert.deepEqual(pageErrors, []);
  });

  test('first run: a host with no storage pool is offered the default pool, in the wizard and on the Storage page', async () => {
    const fr = await startNoPoolDaemon();
    const { ctx, p } = await newPage();
    try {
      const client = new FrClient(fr.base);
      assert.equal((await client.login('admin', fr.password)).status, 200);
      assert.deepEqual((await client.request('GET', '/api/pools')).json.pools, []);
      // The wizard: one click makes the pool, and the disk step offers it.
      await p.goto(`${fr.base}/#/new`);
      await p.getByTestId('login-username').fill('admin');
      await p.getByTestId('login-password').fill(fr.password);
      await p.getByTestId('login-submit').click();
      const offer = p.getByTestId('wizard-default-pool');
      await offer.waitFor();
      assert.match(await offer.textContent(), /no storage pool yet.*default.*\/var\/lib\/libvirt\/images/);
      await checkPage(p, 'wizard first run');
      await shot(p, '82-wizard-first-run');
      await p.getByTestId('wizard-default-pool-create').click();
      await offer.waitFor({ state: 'detached' });
      const pool = (await client.request('GET', '/api/pools/default')).json;
      assert.deepEqual([pool.type, pool.path, pool.state, pool.autostart], ['dir', '/var/lib/libvirt/images', 'running', true]);
      for (let i = 0; i < 3; i++) await p.getByTestId('wizard-next').click();
      assert.deepEqual(await options(p.getByTestId('disk-pool')), ['default']);
      // The Storage page, once the pool is gone again (the test driver's, in memory).
      assert.equal((await client.request('DELETE', '/api/pools/default')).status, 204);
      await p.goto(`${fr.base}/#/storage`);
      const storageOffer = p.getByTestId('storage-default-pool');
      await storageOffer.waitFor();
      await shot(p, '83-storage-first-run');
      await p.getByTestId('storage-default-pool-create').click();
      await p.waitForFunction(() => location.hash === '#/storage/default');
      await p.locator('[data-testid="pool-row"][data-pool="default"][data-state="running"]').waitFor();
      await shot(p, '84-storage-default-pool');
    } finally {
      await ctx.close();
      await fr.stop();
    }
    assert.deepEqual(pageErrors, []);
  });
});

// A REST client of another vireod (lib.mjs's Client talks to BASE).
class FrClient extends Client {
  constructor(base) {
    super();
    this.base = base;
  }

  async request(method, path, { body } = {}) {
    const headers = { Cookie: this.cookie || '' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET') { headers.Origin = this.base; headers['X-Vireo-CSRF'] = '1'; }
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (path === '/api/session' && method === 'POST' && res.status === 200) {
      this.cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('vireo_session='));
    }
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  login(username, password) {
    return this.request('POST', '/api/session', { body: { username, password } });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

// A second vireod on libvirt's test driver, on a host XML with no storage
// pool (and no network): a first run, without touching this machine's pools.
async function startNoPoolDaemon() {
  const tmp = mkdtempSync(join(tmpdir(), 'vireo-e2e-firstrun-'));
  const hostXml = join(tmp, 'host.xml');
  writeFileSync(hostXml, `<node>
  <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads>
    <active>2</active><mhz>2000</mhz><model>x86_64</model></cpu>
  <memory>4194304</memory>
</node>
`);
  const password = `fr-${process.pid}-${Date.now()}`;
  writeFileSync(join(tmp, 'pw'), `${password}\n`, { mode: 0o600 });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(join(REPO, 'build/vireod'), ['--listen', `127.0.0.1:${port}`, '--connect', `test://${hostXml}`,
    '--db', join(tmp, 'vireo.db'), '--webui', join(REPO, 'webui'), '--init-admin-password-file', join(tmp, 'pw'),
    '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitFor('the first-run vireod', async () => {
      try { return (await fetch(`${base}/api/openapi.json`)).ok; } catch { return false; }
    }, 15000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, password, stop };
}
