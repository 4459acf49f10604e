// The web UI on libvirt's test driver (docs/drivers.md): GET /api/host
// says no console and no cloud-init there, so the VM page shows no console
// link, no screen, and says why; snapshots (the test driver has them) stay.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { LAUNCH, shot, watch, signIn, startVireod, freePort } from './lib.mjs';

let browser;
let page;
let vireod;
let port;
const errors = [];

describe('a host on the test driver', { concurrency: false }, () => {
  before(async () => {
    port = await freePort();
    vireod = await startVireod({ port, name: 'drivers-test', args: ['--connect', 'test:///default'] });
    browser = await chromium.launch(LAUNCH);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(15000);
    watch(page, errors);
  });

  after(async () => {
    if (browser) await browser.close();
    if (vireod) { await vireod.stop(); vireod.remove(); }
  });

  test('the VM page hides the consoles the driver lacks', async () => {
    const base = `http://127.0.0.1:${port}`;
    await signIn(page, 'admin', vireod.password, '#/vms/test', base);
    await page.getByTestId('vm-detail').waitFor();
    const text = page.getByTestId('detail-display-text');
    await text.waitFor();
    assert.match(await text.textContent(), /TEST driver has no console/);
    assert.equal(await page.getByTestId('action-console').count(), 0);
    assert.equal(await page.getByTestId('detail-thumbnail').count(), 0);
    // The test driver has snapshots: that card stays.
    await page.getByTestId('vm-snapshots').waitFor();
    await shot(page, 'drivers-01-test-driver');
    assert.deepEqual(errors, []);
  });
});
