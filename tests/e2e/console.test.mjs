// Consoles end to end, in Chromium on a running TCG guest with a VGA screen:
// the guests list links each guest's console; the guest page's Console link opens console.html in a window of its own;
// noVNC draws the screen (text, so not one colour) and keys typed into it
// reach the guest's shell (which echoes them to the serial log); "Type
// text" types through POST /keys; the serial line in xterm.js shows the
// guest's output and echoes what is typed; a power-off closes the console
// with vireod's reason and a Start button that brings it back. axe-core
// checks the page. Started by tests/e2e/run.sh (see lib.mjs).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { BASE, REPO, CONNECT, LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, adminClient, checkPage, axeCheck } from './lib.mjs';

const run = promisify(execFile);
const SUFFIX = `${Date.now().toString(36)}-${process.pid}`;
const VM = `vireo-e2e-con-${SUFFIX}`;
const SERIAL_LOG = `/var/log/libvirt/qemu/${VM}-serial.log`;
const MARKER = 'VIREO-GUEST-READY';

let browser;
let context;
let page;
let admin;
const pageErrors = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const virsh = (...args) => run('virsh', ['-q', '-c', CONNECT, ...args], { timeout: 30000 });

function serialLog() {
  try { return readFileSync(SERIAL_LOG, 'utf8'); } catch { return ''; }
}

async function waitSerial(needle, timeout = 30000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (serialLog().includes(needle)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`"${needle}" not in ${VM}'s serial log; tail: ${serialLog().slice(-400)}`);
}

// Distinct colours on noVNC's canvas (a blank screen has one).
const canvasColours = (p) => p.evaluate(() => {
  const c = document.querySelector('[data-testid="console-vnc"] canvas');
  if (!c || !c.width) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  return seen.size;
});

describe('consoles', { concurrency: false }, () => {
  before(async () => {
    admin = await adminClient();
    await run('sh', [join(REPO, 'tests/guest/define-guest.sh'), VM, '128', 'vnc'], { timeout: 30000 });
    const r = await api('POST', `/api/vms/${VM}/start`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    await run('sh', [join(REPO, 'tests/guest/wait-marker.sh'), VM, '90'], { timeout: 100000 });
    browser = await chromium.launch(LAUNCH);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'dark' });
    page = await context.newPage();
    page.setDefaultTimeout(20000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    await virsh('destroy', VM).catch(() => {});
    await virsh('undefine', VM).catch(() => {});
    await run('rm', ['-f', SERIAL_LOG]).catch(() => {});
  });

  let con;

  test('the guest page opens the screen in a window of its own', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, '#/');
    // The guests list has a console link on each row too.
    const row = page.locator(`[data-testid="vm-row"][data-vm="${VM}"]`);
    assert.equal(await row.getByTestId('vm-console').getAttribute('href'), `console.html#vm=${VM}&type=vnc`);
    // A running guest with a screen shows a live thumbnail of it, in the
    // list and on its page.
    const drawn = (loc) => loc.evaluate((img) => !img.hidden && img.complete && img.naturalWidth > 0);
    const rowThumb = row.getByTestId('vm-thumbnail');
    await rowThumb.waitFor();
    await page.waitForFunction((el) => !el.hidden && el.naturalWidth > 0, await rowThumb.elementHandle());
    assert.equal(await drawn(rowThumb), true);
    await shot(page, '69-list-thumbnails', { fullPage: false });
    await page.goto(`${BASE}/#/vms/${VM}`);
    await page.getByTestId('detail-display-text').waitFor();
    const detailThumb = page.getByTestId('detail-thumbnail');
    await detailThumb.waitFor();
    await page.waitForFunction((el) => !el.hidden && el.naturalWidth > 0, await detailThumb.elementHandle());
    assert.ok(await detailThumb.evaluate((img) => img.naturalWidth) >= 320);
    const link = page.getByTestId('action-console');
    assert.match(await link.getAttribute('href'), new RegExp(`^console\\.html#vm=${VM}&type=vnc$`));
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    con = popup;
    con.setDefaultTimeout(20000);
    watch(con, pageErrors);
    await con.getByTestId('console-vnc').locator('canvas').waitFor();
    await con.waitForFunction(() => document.querySelector('[data-testid="console-note"]').hidden);
    // The kernel's messages and a prompt: more than one colour.
    const end = Date.now() + 15000;
    let colours = 0;
    while (Date.now() < end && (colours = await canvasColours(con)) < 2) await con.waitForTimeout(250);
    assert.ok(colours >= 2, `the screen is blank (${colours} colour)`);
    assert.equal(await con.title(), `${VM} — screen — Vireo`);
    await shot(con, '70-console-screen', { fullPage: false });
  });

  test('keys typed on the screen reach the guest', async () => {
    // Keys go as the keyboard's own codes: a shifted character needs the
    // Shift key held, as a person's fingers do. /dev/console is ttyS0.
    await con.getByTestId('console-vnc').locator('canvas').click();
    await con.keyboard.type('echo e2e-vnc-typed ');
    await con.keyboard.down('Shift');
    await con.keyboard.press('Period');
    await con.keyboard.up('Shift');
    await con.keyboard.type(' /dev/console');
    await con.keyboard.press('Enter');
    await waitSerial('e2e-vnc-typed');
    // Text typed through the API, from the "Type text" dialog.
    await con.getByTestId('console-paste').click();
    await con.getByTestId('paste-text').fill('echo e2e-paste-$((6*7)) > /dev/ttyS0\n');
    await shot(con, '71-console-type-text', { fullPage: false });
    await con.getByTestId('paste-ok').click();
    await waitSerial('e2e-paste-42');
    // The key-combination menu.
    await con.getByTestId('console-keys').click();
    assert.ok(await con.getByTestId('console-combo').count() >= 5);
    await con.keyboard.press('Escape');
    await checkPage(con, 'console page (screen)');
    await axeCheck(con, 'console page (screen)');
  });

  test('the serial line shows the output and echoes what is typed', async () => {
    await con.getByTestId('console-kind-serial').click();
    const term = con.getByTestId('console-serial');
    await term.locator('.xterm-rows').waitFor();
    await con.waitForFunction((m) => document.querySelector('.xterm-rows').textContent.includes(m), MARKER);
    await term.click();
    await con.keyboard.type('echo e2e-serial-$((6*7))');
    await con.keyboard.press('Enter');
    await con.waitForFunction(() => document.querySelector('.xterm-rows').textContent.includes('e2e-serial-42'));
    await shot(con, '72-console-serial', { fullPage: false });
    await checkPage(con, 'console page (serial)');
    await axeCheck(con, 'console page (serial)');
  });

  test('a power-off closes it with the reason, and Start brings it back', async () => {
    const r = await api('POST', `/api/vms/${VM}/poweroff`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const note = con.getByTestId('console-note-text');
    await con.waitForFunction(() => /closed: the VM stopped/.test(document.querySelector('[data-testid="console-note"]').textContent));
    assert.match(await note.textContent(), /shut off/);
    await shot(con, '73-console-closed', { fullPage: false });
    await con.getByTestId('console-start').click();
    await con.waitForFunction(() => document.querySelector('[data-testid="console-note"]').hidden, null, { timeout: 30000 });
    await con.waitForFunction((m) => document.querySelector('.xterm-rows')?.textContent.includes(m), MARKER, { timeout: 90000 });
    assert.deepEqual(pageErrors, []);
  });
});
