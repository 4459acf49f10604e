// The Export menu of a guest's page end to end, as admin, on a shut-off
// guest of its own with an empty 8 MiB qcow2 disk: the menu offers a Vireo
// archive and an OVA (VirtualBox/VMware); each item downloads through the
// browser, and the files are what they say: a tar whose first member is
// vireo.json, and one whose first member is the OVF descriptor followed by
// a VMDK disk. A running guest's Export is disabled.
// Started by tests/e2e/run.sh (see lib.mjs); names are unique per run.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, CONNECT, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const run = promisify(execFile);
const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const VM = `vireo-e2e-export-${SUFFIX}`;
const POOL = `e2e-exportpool-${SUFFIX}`;
const MIB = 1 << 20;

let browser;
let page;
let admin;
let dir;
let saved;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const virsh = (...args) => run('virsh', ['-q', '-c', CONNECT, ...args], { timeout: 30000 });

// The tar members' names and sizes, from their ustar headers.
function tarMembers(bytes) {
  const out = [];
  for (let off = 0; off + 512 <= bytes.length;) {
    const head = bytes.subarray(off, off + 512);
    if (head.every((b) => b === 0)) break;
    const text = (a, n) => head.subarray(a, a + n).toString('latin1').replace(/\0.*$/s, '');
    assert.equal(text(257, 5), 'ustar', `a ustar header at ${off}`);
    const size = parseInt(text(124, 12).trim(), 8);
    out.push({ name: text(0, 100), size, data: bytes.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

async function download(testid) {
  const menu = page.getByTestId('export-menu');
  if (!(await menu.isVisible())) await page.getByTestId('action-export').click();
  await menu.waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download'), menu.getByTestId(testid).click()]);
  const path = join(saved, dl.suggestedFilename());
  await dl.saveAs(path);
  await menu.waitFor({ state: 'hidden' });
  return { name: dl.suggestedFilename(), members: tarMembers(readFileSync(path)) };
}

describe('Export menu', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync('/var/lib/libvirt/images/vireo-e2e-export-');
    chmodSync(dir, 0o755);
    saved = mkdtempSync(join(tmpdir(), 'vireo-e2e-export-dl-'));
    let r = await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    r = await api('POST', '/api/vms', { body: { name: VM, vcpus: 1, memory: 64, graphics: 'none', disks: [{ pool: POOL, size: 8 * MIB, format: 'qcow2' }] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    await virsh('destroy', VM).catch(() => {});
    await virsh('undefine', VM, '--nvram').catch(() => {});
    if (admin) {
      await api('DELETE', `/api/pools/${POOL}`);
      await virsh('pool-destroy', POOL).catch(() => {});
      await virsh('pool-undefine', POOL).catch(() => {});
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (saved) rmSync(saved, { recursive: true, force: true });
  });

  test('offers a Vireo archive and an OVA, and both download', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, `#/vms/${encodeURIComponent(VM)}`);
    await page.getByTestId('action-export').click();
    const menu = page.getByTestId('export-menu');
    await menu.waitFor();
    assert.deepEqual(await menu.getByRole('menuitem').allInnerTexts(), ['Vireo archive', 'OVA (VirtualBox/VMware)']);
    await checkPage(page, 'the export menu');
    await shot(page, 'export-menu', { fullPage: false });

    const vireo = await download('export-vireo');
    assert.equal(vireo.name, `${VM}.vireo.tar`);
    assert.deepEqual(vireo.members.map((m) => m.name), ['vireo.json', 'domain.xml', 'disks/vda.qcow2', 'SHA256SUMS']);

    const ova = await download('export-ova');
    assert.equal(ova.name, `${VM}.ova`);
    assert.deepEqual(ova.members.map((m) => m.name), [`${VM}.ovf`, `${VM}-disk1.vmdk`, `${VM}.mf`]);
    const ovf = ova.members[0].data.toString('utf8');
    assert.match(ovf, /<Envelope xmlns="http:\/\/schemas\.dmtf\.org\/ovf\/envelope\/1"/);
    assert.match(ovf, new RegExp(`ovf:capacity="${8 * MIB}"`));
    assert.equal(ova.members[1].data.subarray(0, 4).toString('latin1'), 'KDMV', 'a VMDK disk');
    assert.deepEqual(pageErrors, []);
  });

  test('a running guest cannot be exported', async () => {
    const r = await api('POST', `/api/vms/${encodeURIComponent(VM)}/start`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const btn = page.getByTestId('action-export');
    await page.waitForFunction(() => document.querySelector('[data-testid="action-export"]')?.tagName === 'BUTTON');
    assert.equal(await btn.isDisabled(), true);
    assert.equal(await page.getByTestId('export-menu').count(), 0);
  });
});
