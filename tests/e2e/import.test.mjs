// Importing an appliance from the web UI: the New VM wizard's "Import an
// appliance from this computer" on an OVA made here (an OVF descriptor
// written here and a 1 MiB streamOptimized vmdk made by qemu-img, archived
// by GNU tar in ustar format), into a dir pool made here. The name comes
// from the file's, the other steps give way to the import form, the
// upload and the conversion show their progress, and the end links to the
// new VM, whose page opens; a disk the descriptor lies about is refused
// with vireod's words. Everything made here is removed in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage } from './lib.mjs';

const TAG = `${process.pid}`;
const POOL = `e2e-import-${TAG}`;
const VMNAME = `e2e-appliance-${TAG}`;

let browser;
let page;
let admin;
let dir;
let work;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);

function ovf(vmdkSize, capacity) {
  return `<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References><File ovf:id="file1" ovf:href="appliance-disk1.vmdk" ovf:size="${vmdkSize}"/></References>
  <DiskSection><Info>Disks</Info><Disk ovf:capacity="${capacity}" ovf:diskId="vmdisk1" ovf:fileRef="file1"
    ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <VirtualSystem ovf:id="appliance"><Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="96"><Info>OS</Info><vbox:OSType>Debian_64</vbox:OSType></OperatingSystemSection>
    <VirtualHardwareSection><Info>Hardware</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>64</rasd:VirtualQuantity></Item>
      <Item><rasd:HostResource>/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>15</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

// An OVA of a 1 MiB disk whose descriptor declares `capacity`.
function makeOva(name, capacity) {
  const d = mkdtempSync(join(work, 'ova-'));
  execFileSync('truncate', ['-s', '1M', join(d, 'raw')]);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized',
    join(d, 'raw'), join(d, 'appliance-disk1.vmdk')]);
  writeFileSync(join(d, 'appliance.ovf'), ovf(statSync(join(d, 'appliance-disk1.vmdk')).size, capacity));
  const out = join(work, name);
  execFileSync('tar', ['--format=ustar', '-C', d, '-cf', out, 'appliance.ovf', 'appliance-disk1.vmdk']);
  return out;
}

describe('Importing an appliance from the web UI', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    dir = mkdtempSync(`/var/lib/libvirt/images/${POOL}-`);
    chmodSync(dir, 0o711);
    work = mkdtempSync(join(tmpdir(), 'vireo-e2e-ova-'));
    ok(await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } }), 201, 'pool');
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
      await api('DELETE', `/api/pools/${POOL}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('an OVA becomes a VM: name from the file, progress, a link to the VM', async () => {
    const file = makeOva(`${VMNAME}.ova`, 1 << 20);
    await page.goto(`${page.url().split('#')[0]}#/new`);
    await page.getByTestId('view-create').waitFor();
    await page.getByTestId('install-mode-appliance').click();
    await page.getByTestId('appliance-part').waitFor();
    assert.equal(await page.getByTestId('wizard-next').isVisible(), false, 'the import replaces the steps');
    assert.equal(await page.getByTestId('wizard-steps').isVisible(), false);
    await page.getByTestId('appliance-file').setInputFiles(file);
    assert.equal(await page.getByTestId('appliance-name').inputValue(), VMNAME);
    await page.getByTestId('appliance-pool').selectOption(POOL);
    await page.getByTestId('appliance-network').selectOption('none');
    await checkPage(page, 'wizard: import an appliance');
    await shot(page, '77-wizard-import-appliance');
    await page.getByTestId('appliance-import').click();
    const link = page.getByTestId('appliance-vm-link');
    await link.waitFor({ timeout: 60000 });
    assert.equal(await link.getAttribute('href'), `#/vms/${VMNAME}`);
    // What the descriptor asked for and did not get is said.
    assert.match(await page.getByTestId('appliance-notes').textContent(), /CD\/DVD drives are left out/);
    await checkPage(page, 'wizard: appliance imported');
    await shot(page, '78-wizard-appliance-imported');
    const vm = (await api('GET', `/api/vms/${VMNAME}`)).json;
    assert.deepEqual([vm.vcpus, vm.memory, vm.disks.length, vm.nics.length], [1, 64, 1, 0]);
    await link.click();
    await page.waitForFunction((hh) => location.hash === hh, `#/vms/${VMNAME}`);
    assert.deepEqual(pageErrors, []);
  });

  test('a descriptor that lies is refused with vireod\'s words', async () => {
    const file = makeOva('liar.ova', 4096);
    await page.goto(`${page.url().split('#')[0]}#/new`);
    await page.getByTestId('install-mode-appliance').click();
    await page.getByTestId('appliance-file').setInputFiles(file);
    assert.equal(await page.getByTestId('appliance-name').inputValue(), 'liar');
    await page.getByTestId('appliance-pool').selectOption(POOL);
    await page.getByTestId('appliance-network').selectOption('none');
    await page.getByTestId('appliance-import').click();
    const error = page.getByTestId('appliance-error');
    await error.waitFor({ timeout: 60000 });
    assert.match(await error.textContent(), /more than the 4096 its descriptor declares/);
    await shot(page, '79-wizard-appliance-refused');
    const vols = (await api('GET', `/api/pools/${POOL}/volumes`)).json.volumes.map((v) => v.name);
    assert.deepEqual(vols, [`${VMNAME}-disk0.qcow2`], 'the refused import left nothing');
  });
});
