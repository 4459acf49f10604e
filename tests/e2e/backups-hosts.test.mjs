// Backups of a guest of another libvirt host in the web UI, end to end, on
// the two-host lab (tests/hosts/lab.sh; docs/backups.md): with lab host B
// added, an admin makes a backup job in the dialog, which lists B's guest
// with its host, runs it, sees the kept backup's Host column say B, and
// restores it as a new guest from the restore dialog (its host B chosen by
// default, B's pool `default` chosen from B's pools): the new guest is made
// on B (not on vireod's own host), its disk in that pool, and its page
// opens with ?host=B.
// Skipped where the lab cannot run (not root, no namespaces). The lab is
// shared: run under its lock (flock -o /tmp/vireo-lab.lock sh
// tests/e2e/run.sh backups-hosts.test.mjs); it is never taken down here.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, LAUNCH, REPO, shot, watch, signIn, adminClient, checkPage, removePool } from './lib.mjs';

const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const POOL = `e2e-bkh-${SUFFIX}`;
const VMNAME = `e2e-bkh-${SUFFIX}`;
const RESTORED = `${VMNAME}-r`;
const HOST = `e2e-bkh-b-${process.pid}`;
const JOB = `e2e-bkh-job-${process.pid}`;
const LAB_DIR = process.env.VIREO_LAB_DIR || '/run/vireo-lab';

// The lab's host B, brought up when it is down; null (with why) when it
// cannot run here.
function labB() {
  try {
    execFileSync(join(REPO, 'tests', 'guest', 'build-guest.sh'), { stdio: 'ignore', timeout: 300000 });
    execFileSync('sh', [join(REPO, 'tests', 'hosts', 'lab.sh'), 'up'], { stdio: 'ignore', timeout: 120000 });
    const env = Object.fromEntries(readFileSync(join(LAB_DIR, 'env'), 'utf8').split('\n')
      .filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { uri: env.VIREO_LAB_URI_B };
  } catch (e) {
    return { why: `the lab does not run here: ${e.message.split('\n')[0]}` };
  }
}

const B = process.geteuid && process.geteuid() === 0 ? labB() : { why: 'the lab needs root' };
const virshB = (...args) => execFileSync('virsh', ['-q', '-c', B.uri, ...args], { encoding: 'utf8', timeout: 120000 });
const quietly = (fn) => { try { fn(); } catch { /* already gone */ } };

let browser;
let page;
let admin;
let dir;
let hostId;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);

describe('Backups of another host\'s guest: a job, a run, a restore onto its host', { concurrency: false, skip: B.why || false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
    // The guest on B, shut off, with a 1 MiB raw disk in B's default pool.
    execFileSync(join(REPO, 'tests', 'guest', 'define-guest.sh'), [VMNAME, '64'], { env: { ...process.env, VIREO_CONNECT: B.uri } });
    virshB('vol-create-as', 'default', `${VMNAME}.img`, '1M', '--format', 'raw');
    const path = virshB('vol-path', '--pool', 'default', `${VMNAME}.img`).trim();
    virshB('attach-disk', VMNAME, path, 'vdb', '--subdriver', 'raw', '--targetbus', 'virtio', '--config');
    const r = await api('POST', '/api/hosts', { body: { name: HOST, uri: B.uri } });
    ok(r, 201, 'host B');
    hostId = r.json.id;
    for (let i = 0; i < 150; i++) {
      if ((await api('GET', `/api/hosts/${hostId}`)).json?.state === 'connected') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    browser = await chromium.launch(LAUNCH);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    watch(page, pageErrors);
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/');
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      await api('DELETE', `/api/backups/jobs/${JOB}`);
      const kept = (await api('GET', '/api/backups')).json?.backups || [];
      for (const b of kept.filter((x) => x.vm === VMNAME)) await api('DELETE', `/api/backups/${b.id}`);
      if (hostId) {
        await api('DELETE', `/api/vms/${RESTORED}?host=${hostId}&force=true&volumes=true`);
        await api('DELETE', `/api/hosts/${hostId}`);
      }
      await removePool(admin, POOL);
    }
    if (B.uri) {
      quietly(() => virshB('undefine', VMNAME));
      quietly(() => virshB('vol-delete', '--pool', 'default', `${VMNAME}.img`));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the job dialog lists B\'s guest with its host; the run keeps a backup whose host is B', async () => {
    await page.getByTestId('nav-backups').click();
    await page.getByTestId('view-backups').waitFor();
    await page.getByTestId('backup-job-new').first().click();
    const dlg = page.getByTestId('backup-job-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('backup-job-name-input').fill(JOB);
    await dlg.getByLabel(`${VMNAME} (${HOST})`).check();
    await dlg.getByTestId('backup-job-pool').selectOption(POOL);
    await dlg.getByTestId('backup-job-dialog-submit').click();
    const row = page.locator('[data-testid="backup-job-row"]').filter({ hasText: JOB });
    await row.waitFor();
    assert.equal((await row.getByTestId('backup-job-vms-cell').textContent()).trim(), `${VMNAME} on ${HOST}`);
    await row.getByTestId('backup-job-run').click();
    const kept = page.getByTestId('backup-row').filter({ hasText: VMNAME });
    await kept.waitFor({ timeout: 60000 });
    assert.equal((await kept.getByTestId('backup-host').textContent()).trim(), HOST);
    const [b] = (await api('GET', `/api/backups?job=${JOB}`)).json.backups;
    assert.equal(b.host.name, HOST, 'the API says B too');
    await checkPage(page, 'the Backups page with two hosts');
    await shot(page, 'backups-two-hosts');
  });

  test('a restore from the dialog makes the guest on B and opens it there', async () => {
    const row = page.getByTestId('backup-row').filter({ hasText: VMNAME }).first();
    await row.getByTestId('backup-restore').click();
    const dlg = page.getByTestId('restore-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('restore-name').fill(RESTORED);
    // The new guest's host is the backup's guest's (B) unless another is
    // chosen; the pool list is B's, and its `default` pool is chosen.
    assert.equal(await dlg.getByTestId('restore-host').inputValue(), String(hostId));
    await dlg.locator('[data-testid="restore-pool"] option[value="default"]').waitFor({ state: 'attached' });
    await dlg.getByTestId('restore-pool').selectOption('default');
    await shot(page, 'backups-restore-dialog-two-hosts');
    await dlg.getByTestId('restore-dialog-submit').click();
    await page.waitForURL(new RegExp(`#/vms/${RESTORED}\\?host=${HOST}$`), { timeout: 60000 });
    assert.ok(virshB('list', '--all', '--name').split('\n').includes(RESTORED), 'the restored guest is on B');
    const bDefault = virshB('pool-dumpxml', 'default').match(/<path>([^<]+)<\/path>/)[1];
    assert.ok(virshB('domblklist', RESTORED).includes(`${bDefault}/`), 'its disk in the pool chosen, B\'s default');
    const local = (await api('GET', `/api/vms?host=${encodeURIComponent((await api('GET', '/api/hosts')).json.hosts.find((h) => h.local).name)}`)).json.vms;
    assert.ok(!local.some((v) => v.name === RESTORED), 'and not on vireod\'s own host');
    assert.deepEqual(pageErrors, []);
  });
});
