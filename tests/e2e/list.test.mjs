// The guest list at scale, end to end: 100 small VMs defined with virsh
// (one virsh process, a second or two), sorted by each kind of column with
// aria-sort on the header; the test guest started with virsh turning its
// badge to running with no reload, its uptime then moving with every
// sample of the event stream while GET /api/vms is cut off; search, state
// filter and sort kept in the address and given back by Back, and
// "#/?state=running" as a link; a 390 px phone with nothing wider than the
// screen and the compact density remembered; bulk Start and Power off with
// one guest that cannot start (named with libvirt's reason); a bulk delete
// of the 100 in which one was undefined behind the page's back.
// Started by tests/e2e/run.sh (see lib.mjs); whatever is left is undefined
// in after().

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { BASE, VM, CONNECT, LAUNCH, ADMIN_PASSWORD, shot, watch, signIn, checkPage, checkNoOverflow } from './lib.mjs';

const run = promisify(execFile);
const PREFIX = `e2e-list-${process.pid}`;
const BULK = [`e2e-bulk-${process.pid}-a`, `e2e-bulk-${process.pid}-b`];
const COUNT = 100;
// name -> {memory, vcpus}: sizes vary so every sort has something to do.
const VMS = new Map(Array.from({ length: COUNT }, (_, i) => [
  `${PREFIX}-${String(i + 1).padStart(3, '0')}`, { memory: 32 + ((i * 7) % 5) * 16, vcpus: 1 + (i % 3) }]));

let browser;
let context;
let page;
let dir;
const pageErrors = [];
const virsh = (...args) => run('virsh', ['-q', '-c', CONNECT, ...args], { timeout: 30000 });
const row = (name, p = page) => p.locator(`[data-testid="vm-row"][data-vm="${name}"]`);
const shownNames = (p = page) => p.getByTestId('vm-row').evaluateAll((rows) => rows.map((r) => r.dataset.vm));

function domainXml(name, { memory, vcpus }, disk = null) {
  const devices = disk ? `<devices><disk type='file' device='disk'><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices>` : '';
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>${memory}</memory><vcpu>${vcpus}</vcpu>`
    + `<os><type arch='x86_64'>hvm</type></os><features><acpi/></features>${devices}</domain>`;
}

// Many virsh commands through one virsh process (one connection).
function virshBatch(lines) {
  return new Promise((resolve, reject) => {
    const child = spawn('virsh', ['-q', '-c', CONNECT], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve(err) : reject(new Error(`virsh: ${err}`))));
    child.stdin.end(`${lines.join('\n')}\nquit\n`);
  });
}

// Opens the list at `hash` and waits for the new list (not the one before it).
async function openList(hash) {
  await page.evaluate(() => { const v = document.querySelector('[data-testid="view-list"]'); if (v) v.dataset.old = '1'; });
  await page.goto(`${BASE}/${hash}`);
  await page.locator('[data-testid="view-list"]:not([data-old])').waitFor();
}

async function expectOrder(expected, what) {
  await page.waitForFunction((want) => [...document.querySelectorAll('[data-testid="vm-row"]')].map((r) => r.dataset.vm).join() === want,
    expected.join(), { timeout: 10000 }).catch(() => {});
  assert.deepEqual(await shownNames(), expected, what);
}

// The order the list must show: by `key` in `dir`, ties by name (A to Z).
const sortedBy = (key, dir) => [...VMS.entries()].sort(([a, x], [b, y]) => {
  const byName = a.localeCompare(b, undefined, { numeric: true });
  const d = key === 'name' ? byName : x[key] - y[key];
  if (d === 0) return byName;
  return dir === 'desc' ? -d : d;
}).map(([n]) => n);

describe('the guest list at scale', { concurrency: false }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vireo-e2e-list-'));
    const lines = [];
    for (const [name, size] of VMS) {
      const file = join(dir, `${name}.xml`);
      writeFileSync(file, domainXml(name, size));
      lines.push(`define ${file}`);
    }
    // One guest that starts (no disk: SeaBIOS finds nothing to boot, and
    // waits) and one whose disk file does not exist.
    writeFileSync(join(dir, 'a.xml'), domainXml(BULK[0], { memory: 32, vcpus: 1 }));
    writeFileSync(join(dir, 'b.xml'), domainXml(BULK[1], { memory: 32, vcpus: 1 }, join(dir, 'missing.img')));
    lines.push(`define ${join(dir, 'a.xml')}`, `define ${join(dir, 'b.xml')}`);
    const t0 = Date.now();
    await virshBatch(lines);
    console.log(`# ${lines.length} domains defined in ${Date.now() - t0} ms`);
    browser = await chromium.launch(LAUNCH);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
  });

  after(async () => {
    if (browser) await browser.close();
    const { stdout } = await run('virsh', ['-q', '-c', CONNECT, 'list', '--all', '--name'], { timeout: 30000 }).catch(() => ({ stdout: '' }));
    const left = stdout.split('\n').map((s) => s.trim()).filter((n) => n.startsWith(PREFIX) || BULK.includes(n));
    await virshBatch(left.flatMap((n) => [`destroy ${n}`, `undefine ${n}`])).catch(() => {});
    await virsh('destroy', VM).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('100 guests sort by name, memory and vCPUs, with aria-sort on the header', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD, `#/?q=${PREFIX}`);
    await page.getByTestId('vm-row').nth(COUNT - 1).waitFor();
    assert.equal(await page.getByTestId('vm-row').count(), COUNT);
    assert.equal((await page.getByTestId('vm-count').textContent()).trim().split(' ')[0], String(COUNT));
    await expectOrder(sortedBy('name', 'asc'), 'sorted by name at first');
    assert.equal(await page.locator('th[data-sort="name"]').getAttribute('aria-sort'), 'ascending');

    await page.getByTestId('sort-memory').click();
    await expectOrder(sortedBy('memory', 'desc'), 'memory, largest first');
    assert.equal(await page.locator('th[data-sort="memory"]').getAttribute('aria-sort'), 'descending');
    assert.equal(await page.locator('th[data-sort="name"]').getAttribute('aria-sort'), null);
    assert.match(await page.evaluate(() => location.hash), /sort=memory&dir=desc/);
    await page.getByTestId('sort-memory').click();
    await expectOrder(sortedBy('memory', 'asc'), 'memory, smallest first');
    assert.equal(await page.locator('th[data-sort="memory"]').getAttribute('aria-sort'), 'ascending');
    await page.getByTestId('sort-vcpus').click();
    await expectOrder(sortedBy('vcpus', 'desc'), 'vCPUs, most first');
    await page.getByTestId('sort-name').click();
    await expectOrder(sortedBy('name', 'asc'), 'by name again');
    await page.getByTestId('sort-name').click();
    await expectOrder(sortedBy('name', 'desc'), 'by name, backwards');
    await checkPage(page, 'list of 100');
    await shot(page, 'list-100-desktop', { fullPage: false });
    await page.getByTestId('sort-name').click();
  });

  test('a guest started with virsh turns running with no reload; its figures follow the samples alone', async () => {
    await page.getByTestId('vm-search').fill('');
    // Gone if the page were loaded again.
    await page.evaluate(() => { window.stillThisPage = true; });
    const r = row(VM);
    await r.getByTestId('vm-state').and(page.locator('[data-state="shutoff"]')).waitFor();
    await virsh('start', VM);
    await r.getByTestId('vm-state').and(page.locator('[data-state="running"]')).waitFor({ timeout: 10000 });
    assert.equal((await r.getByTestId('vm-state').textContent()).trim(), 'running');
    // From here on the list itself cannot be read: what moves comes from
    // the event stream's `stats` frames.
    const listUrl = (url) => url.pathname === '/api/vms';
    await page.route(listUrl, (route) => route.abort());
    try {
      await r.getByTestId('vm-uptime').filter({ hasText: /\d+ (s|min)/ }).waitFor({ timeout: 15000 });
      const first = (await r.getByTestId('vm-uptime').textContent()).trim();
      await page.waitForFunction(([name, was]) => {
        const cell = document.querySelector(`[data-testid="vm-row"][data-vm="${name}"] [data-testid="vm-uptime"]`);
        return cell && cell.textContent.trim() !== was;
      }, [VM, first], { timeout: 15000 });
      // CPU needs two samples of the guest: it may come a sample later.
      await r.getByTestId('vm-cpu').filter({ hasText: /^\d+(\.\d+)? %$/ }).waitFor({ timeout: 15000 });
      assert.match((await r.getByTestId('vm-memused').textContent()).trim(), /\d+(\.\d+)? (KiB|MiB|GiB)$/);
    } finally {
      await page.unroute(listUrl);
    }
    assert.equal(await page.evaluate(() => window.stillThisPage), true, 'the page was not reloaded');
  });

  test('search, state filter and sort live in the address: Back restores them, ?state= works as a link', async () => {
    await openList(`#/?q=${PREFIX}-00&state=shutoff`);
    await page.getByTestId('vm-row').nth(8).waitFor();
    assert.equal(await page.getByTestId('vm-row').count(), 9);
    assert.equal(await page.getByTestId('vm-search').inputValue(), `${PREFIX}-00`);
    assert.equal(await page.getByTestId('vm-filter').inputValue(), 'stopped', 'shown as the filter that is exactly these states');
    await page.getByTestId('sort-memory').click();
    await page.getByTestId('vm-search').fill(`${PREFIX}-01`);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="vm-row"]').length === 10);
    const hash = await page.evaluate(() => location.hash);
    assert.equal(hash, `#/?q=${PREFIX}-01&state=stopped&sort=memory&dir=desc`);
    const order = await shownNames();
    await row(order[0]).getByTestId('vm-link').click();
    await page.getByTestId('detail-name').waitFor();
    await page.goBack();
    await page.getByTestId('vm-row').nth(9).waitFor();
    assert.equal(await page.evaluate(() => location.hash), hash);
    assert.equal(await page.getByTestId('vm-search').inputValue(), `${PREFIX}-01`);
    assert.equal(await page.getByTestId('vm-filter').inputValue(), 'stopped');
    assert.equal(await page.locator('th[data-sort="memory"]').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await shownNames(), order);

    await openList('#/?state=running');
    await row(VM).waitFor();
    assert.equal(await page.getByTestId('vm-filter').inputValue(), 'running');
    const states = await page.getByTestId('vm-row').evaluateAll((rows) => rows.map((x) => x.dataset.state));
    assert.ok(states.every((s) => s === 'running' || s === 'blocked'), `only running guests: ${states}`);
    // The dashboard's other links: "#/?state=stopped" and the like.
    await openList(`#/?state=stopped&q=${PREFIX}-00`);
    await page.getByTestId('vm-row').nth(8).waitFor();
    assert.equal(await page.getByTestId('vm-filter').inputValue(), 'stopped');
    // No guest matches: the filters can be cleared in one click.
    await openList(`#/?q=no-such-guest-${process.pid}`);
    await page.getByTestId('vm-clear-filters').click();
    await row(VM).waitFor();
    assert.equal(await page.evaluate(() => location.hash), '#/');
  });

  test('on a 390 px phone nothing is wider than the screen; the compact density is remembered', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, colorScheme: 'light' });
    const p = await phone.newPage();
    watch(p, pageErrors);
    try {
      await signIn(p, 'admin', ADMIN_PASSWORD, '#/');
      await row(VM, p).getByTestId('vm-uptime').filter({ hasText: /\d/ }).waitFor();
      await p.getByTestId('vm-row').nth(COUNT).waitFor();
      await checkNoOverflow(p, 'phone list');
      const height = await row(`${PREFIX}-001`, p).evaluate((el) => el.getBoundingClientRect().height);
      assert.ok(height < 110, `a stopped guest's row is short on a phone (${height}px)`);
      await shot(p, 'list-100-phone', { fullPage: false });
      await p.getByTestId('vm-density').click();
      assert.equal(await p.getByTestId('vm-density').getAttribute('aria-pressed'), 'true');
      await p.reload();
      await p.getByTestId('vm-row').nth(COUNT).waitFor();
      assert.equal(await p.getByTestId('vm-density').getAttribute('aria-pressed'), 'true', 'remembered across a reload');
      await checkNoOverflow(p, 'phone list, compact');
      await shot(p, 'list-100-phone-compact', { fullPage: false });
      await p.getByTestId('vm-density').click();
    } finally {
      await phone.close();
    }
    // The desktop, compact: more guests on one screen.
    await openList(`#/?q=${PREFIX}`);
    await page.getByTestId('vm-row').nth(COUNT - 1).waitFor();
    const comfortable = await row(`${PREFIX}-001`).evaluate((el) => el.getBoundingClientRect().height);
    await page.getByTestId('vm-density').click();
    const compact = await row(`${PREFIX}-001`).evaluate((el) => el.getBoundingClientRect().height);
    assert.ok(compact < comfortable - 8, `compact rows are smaller (${compact} < ${comfortable})`);
    await shot(page, 'list-100-desktop-compact', { fullPage: false });
    await page.getByTestId('vm-density').click();
  });

  test('bulk Start names the guest that could not start, and why; bulk Power off stops the other', async () => {
    await openList(`#/?q=e2e-bulk-${process.pid}`);
    await page.getByTestId('vm-row').nth(1).waitFor();
    await page.getByTestId('vm-select-all').check();
    assert.match(await page.getByTestId('bulk-count').textContent(), /2 guests selected/);
    await page.getByTestId('bulk-start').click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    assert.deepEqual(await confirm.locator('[data-testid="bulk-confirm-list"] li').evaluateAll((li) => li.map((x) => x.dataset.vm)), BULK);
    await page.getByTestId('confirm-ok').click();
    const results = page.getByTestId('bulk-results');
    await results.waitFor({ timeout: 60000 });
    const failed = results.getByTestId('bulk-result');
    assert.equal(await failed.count(), 1);
    assert.equal(await failed.getAttribute('data-vm'), BULK[1]);
    assert.match(await failed.getByTestId('bulk-result-reason').textContent(), /missing\.img|No such file|Cannot access/i);
    await shot(page, 'list-bulk-start-failed', { fullPage: false });
    await results.getByTestId('bulk-results-close').click();
    await row(BULK[0]).getByTestId('vm-state').and(page.locator('[data-state="running"]')).waitFor();
    // The one that failed stays selected; the one that started does not.
    assert.equal(await row(BULK[1]).getByTestId('vm-select').isChecked(), true);
    assert.equal(await row(BULK[0]).getByTestId('vm-select').isChecked(), false);

    await page.getByTestId('vm-select-all').check();
    await page.getByTestId('bulk-poweroff').click();
    await confirm.waitFor();
    assert.match(await page.getByTestId('bulk-confirm-skipped').textContent(), new RegExp(`not running\\): ${BULK[1]}`));
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('toast').filter({ hasText: '1 guest powered off' }).waitFor();
    await row(BULK[0]).getByTestId('vm-state').and(page.locator('[data-state="shutoff"]')).waitFor();
  });

  test('a bulk delete of 100 guests reports the one that went meanwhile', async () => {
    await openList(`#/?q=${PREFIX}`);
    await page.getByTestId('vm-row').nth(COUNT - 1).waitFor();
    await page.getByTestId('vm-select-all').check();
    assert.match(await page.getByTestId('bulk-count').textContent(), /100 guests selected/);
    await page.getByTestId('bulk-delete').click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    assert.equal(await confirm.locator('[data-testid="bulk-confirm-list"] li').count(), COUNT);
    assert.equal(await page.getByTestId('confirm-check').isVisible(), true, 'offers to delete the disks too');
    await shot(page, 'list-bulk-delete-confirm', { fullPage: false });
    const gone = `${PREFIX}-050`;
    await virsh('undefine', gone);
    const t0 = Date.now();
    await page.getByTestId('confirm-ok').click();
    const results = page.getByTestId('bulk-results');
    await results.waitFor({ timeout: 120000 });
    console.log(`# 100 deletes sent and answered in ${Date.now() - t0} ms`);
    assert.equal(await results.getByTestId('bulk-result').count(), 1);
    assert.equal(await results.getByTestId('bulk-result').getAttribute('data-vm'), gone);
    assert.match(await results.getByTestId('bulk-result-reason').textContent(), /not found/i);
    await results.getByTestId('bulk-results-close').click();
    await page.getByTestId('vm-no-match').waitFor();
    const { stdout } = await virsh('list', '--all', '--name');
    assert.equal(stdout.split('\n').filter((n) => n.trim().startsWith(PREFIX)).length, 0, 'libvirt has none of them left');
    assert.deepEqual(pageErrors, []);
  });
});
