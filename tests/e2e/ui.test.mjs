// Vireo web UI end to end: Debian's headless chromium driven by playwright-core
// against a real vireod, a real libvirtd and a real TCG test guest.
// Started by tests/e2e/run.sh (see lib.mjs for what it provides). Every
// browser signs in through the sign-in page first, as admin.
// The tests run in order and share the guest: each one leaves it in a known state.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { BASE, VM, REPO, CONNECT, LAUNCH, ADMIN_PASSWORD, shot as shoot, watch as watchInto, signIn, adminClient } from './lib.mjs';

const run = promisify(execFile);

let browser;
let context;
let page;
let admin;
const pageErrors = [];

const row = () => page.locator(`[data-testid="vm-row"][data-vm="${VM}"]`);
const shot = (name, p = page, opts) => shoot(p, name, opts);
const watch = (p) => watchInto(p, pageErrors);
// REST calls behind the UI's back, with an admin session of their own.
const api = (method, path, opts) => admin.request(method, path, opts);

const virsh = (...args) => run('virsh', ['-q', '-c', CONNECT, ...args], { timeout: 30000 });
const waitMarker = () => run('sh', [join(REPO, 'tests/guest/wait-marker.sh'), VM, '60'], { timeout: 65000 });

// Waits until the guest's state badge (list row or detail) shows `label`.
async function expectState(locator, state, label, timeout) {
  await locator.and(page.locator(`[data-state="${state}"]`)).waitFor({ timeout });
  assert.equal((await locator.textContent()).trim(), label);
}

describe('Vireo web UI', { concurrency: false }, () => {
  before(async () => {
    browser = await chromium.launch(LAUNCH);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page);
    admin = await adminClient();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test('home page, after signing in, shows the host header and the test guest shut off', async () => {
    const res = await page.goto(`${BASE}/`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'] || '', /^text\/html/);
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByTestId('product-name').waitFor();
    assert.equal(await page.getByTestId('product-name').textContent(), 'Vireo');

    const host = (await api('GET', '/api/host')).json;
    await page.getByTestId('host-hostname').waitFor();
    assert.equal((await page.getByTestId('host-hostname').textContent()).trim(), host.hostname);
    assert.match(await page.getByTestId('host-cpu').textContent(), new RegExp(`${host.cpu.cpus} CPU`));
    assert.match(await page.getByTestId('host-hypervisor').textContent(), new RegExp(host.hypervisor.version.replace(/\./g, '\\.')));
    const badge = (await page.getByTestId('virt-badge').textContent()).trim();
    assert.equal(badge, host.virtualization.kvm_usable ? 'KVM' : 'TCG (no hardware virtualization)');

    await row().waitFor();
    await expectState(row().getByTestId('vm-state'), 'shutoff', 'shut off', 10000);
    assert.equal(await row().getByTestId('action-start').isEnabled(), true);
    // The other actions are in the row's More menu.
    await row().getByTestId('vm-more').click();
    await row().getByTestId('vm-more-menu').waitFor();
    for (const a of ['shutdown', 'poweroff', 'reboot', 'suspend']) {
      assert.equal(await row().getByTestId(`action-${a}`).isDisabled(), true, `${a} must be disabled while shut off`);
    }
    await page.keyboard.press('Escape');
    await row().getByTestId('vm-more-menu').waitFor({ state: 'hidden' });
    await shot('01-list-shutoff');
  });

  test('Start in the list turns the badge to running', async () => {
    await row().getByTestId('action-start').click();
    await expectState(row().getByTestId('vm-state'), 'running', 'running', 30000);
    await row().getByTestId('action-shutdown').and(page.locator(':enabled')).waitFor();
    assert.equal(await row().getByTestId('action-start').count(), 0, 'Shutdown took the place of Start');
    await shot('02-list-running');
  });

  test('detail view shows the guest and its kernel/OS', async () => {
    await row().getByTestId('vm-link').click();
    await page.waitForFunction((h) => location.hash === h, `#/vms/${encodeURIComponent(VM)}`);
    await page.getByTestId('detail-os-kernel').waitFor();
    const d = (await api('GET', `/api/vms/${encodeURIComponent(VM)}`)).json;
    assert.equal((await page.getByTestId('detail-name').textContent()).trim(), VM);
    await expectState(page.getByTestId('detail-state'), 'running', 'running', 10000);
    assert.match(await page.getByTestId('detail-os-kernel').textContent(), /vmlinuz/);
    assert.equal((await page.getByTestId('detail-os-kernel').textContent()).trim(), d.os.kernel);
    assert.equal((await page.getByTestId('detail-os-arch').textContent()).trim(), d.os.arch);
    assert.equal((await page.getByTestId('detail-os-machine').textContent()).trim(), d.os.machine);
    assert.equal((await page.getByTestId('detail-os-type').textContent()).trim(), 'hvm');
    assert.equal((await page.getByTestId('detail-domain-type').textContent()).trim(), d.domain_type === 'kvm' ? 'KVM' : 'TCG');
    assert.equal((await page.getByTestId('detail-uuid').locator('code').textContent()).trim(), d.uuid);
    assert.equal((await page.getByTestId('detail-memory').textContent()).trim(), d.memory >= 1024 ? `${d.memory / 1024} GiB` : `${d.memory} MiB`);
    await shot('03-detail-running');
  });

  test('Shutdown asks the guest OS and it reaches shut off', async () => {
    // An ACPI power button press before the guest listens is lost.
    await waitMarker();
    await page.getByTestId('action-shutdown').click();
    await page.getByTestId('toast').filter({ hasText: 'asked to shut down' }).waitFor();
    await expectState(page.getByTestId('detail-state'), 'shutoff', 'shut off', 60000);
    await page.getByTestId('action-start').and(page.locator(':enabled')).waitFor();
    await shot('04-detail-shutoff');
  });

  test('details form saves with If-Match and shows a 412 conflict clearly', async () => {
    const path = `/api/vms/${encodeURIComponent(VM)}`;
    await page.getByTestId('edit-description').fill('Guest used by the Vireo e2e tests');
    await page.getByTestId('edit-tags').fill('e2e');
    await page.getByTestId('edit-tags').press('Enter');
    await page.getByTestId('edit-tags').fill('ui-test');
    await page.getByTestId('edit-tags').press('Enter');
    await page.getByTestId('edit-save').click();
    await page.getByTestId('toast').filter({ hasText: 'Details saved' }).waitFor();
    await page.getByTestId('detail-description').filter({ hasText: 'Guest used by the Vireo e2e tests' }).waitFor();
    let d = (await api('GET', path)).json;
    assert.equal(d.description, 'Guest used by the Vireo e2e tests');
    assert.deepEqual(d.tags, ['e2e', 'ui-test']);

    // Someone else edits the description while this form has unsaved text.
    await page.getByTestId('edit-description').fill('My edit, typed in the browser');
    const cur = await api('GET', path);
    const theirs = await api('PATCH', path, { body: { description: 'Their edit, made over the API' }, ifMatch: cur.etag });
    assert.equal(theirs.status, 200, `PATCH with a fresh If-Match: ${JSON.stringify(theirs.json)}`);
    await page.getByTestId('edit-save').click();
    const conflict = page.getByTestId('conflict-message');
    await conflict.waitFor();
    assert.match(await conflict.textContent(), /changed by someone else/);
    assert.match(await conflict.textContent(), /412/);
    await shot('05-edit-conflict');
    d = (await api('GET', path)).json;
    assert.equal(d.description, 'Their edit, made over the API', 'the stale save must not overwrite');

    await page.getByTestId('conflict-reload').click();
    assert.equal(await page.getByTestId('edit-description').inputValue(), 'Their edit, made over the API');
    assert.equal(await conflict.count(), 0);
  });

  test('Start again, then Power off only after confirming', async () => {
    await page.getByTestId('action-start').click();
    await expectState(page.getByTestId('detail-state'), 'running', 'running', 30000);

    // Cancel keeps it running.
    await page.getByTestId('action-poweroff').and(page.locator(':enabled')).click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /Power off/);
    await page.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForTimeout(500);
    assert.equal(await page.getByTestId('detail-state').getAttribute('data-state'), 'running');

    await page.getByTestId('action-poweroff').click();
    await dialog.waitFor();
    await shot('06-poweroff-confirm', page, { fullPage: false });
    await page.getByTestId('confirm-ok').click();
    await expectState(page.getByTestId('detail-state'), 'shutoff', 'shut off', 20000);
    await page.goto(`${BASE}/#/`);
    await expectState(row().getByTestId('vm-state'), 'shutoff', 'shut off', 10000);
  });

  test('a hidden page stops polling; a refused action shows a dismissable error banner', async () => {
    // While the tab is hidden the list is not refreshed, so the page still
    // offers Start after the guest was started behind its back.
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const p = await ctx.newPage();
    watch(p);
    const polls = [];
    p.on('request', (r) => { if (new URL(r.url()).pathname === '/api/vms') polls.push(Date.now()); });
    try {
      await signIn(p, 'admin', ADMIN_PASSWORD, `#/vms/${encodeURIComponent(VM)}`);
      const state = p.getByTestId('detail-state');
      await state.and(p.locator('[data-state="shutoff"]')).waitFor();
      await p.getByTestId('live-indicator').and(p.locator('[data-live="live"]')).waitFor();
      await p.evaluate(() => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await p.getByTestId('live-indicator').and(p.locator('[data-live="paused"]')).waitFor();
      const before = polls.length;
      await virsh('start', VM);
      await p.waitForTimeout(2500);
      assert.equal(polls.length, before, 'no polling while hidden');
      assert.equal(await state.getAttribute('data-state'), 'shutoff');
      await p.getByTestId('action-start').click();
      const banner = p.getByTestId('error-banner');
      await banner.waitFor();
      const text = (await banner.textContent()).trim();
      assert.match(text, /Could not start/);
      assert.equal(await banner.getAttribute('data-code'), 'conflict', `expected a 409 conflict banner, got: ${text}`);
      await shot('07-error-banner', p);
      await banner.getByTestId('error-dismiss').click();
      await banner.waitFor({ state: 'detached' });
      // The failed action refreshed the state: the page now knows it runs.
      await state.and(p.locator('[data-state="running"]')).waitFor();
    } finally {
      await ctx.close();
      await virsh('destroy', VM).catch(() => {});
    }
  });

  test('dark theme and a phone-sized screen lay out without overflow', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
    const p = await ctx.newPage();
    watch(p);
    try {
      // The sign-in page fits a phone too.
      await p.goto(`${BASE}/`);
      await p.getByTestId('login-page').waitFor();
      assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'sign-in page fits the screen');
      await shot('13-login-dark-phone', p);
      await signIn(p, 'admin', ADMIN_PASSWORD);
      for (const [hash, ready, name] of [['#/', `[data-testid="vm-row"][data-vm="${VM}"]`, '11-list-dark-phone'],
        [`#/vms/${encodeURIComponent(VM)}`, '[data-testid="detail-os-kernel"]', '12-detail-dark-phone']]) {
        await p.goto(`${BASE}/${hash}`);
        await p.locator(ready).waitFor();
        const { scrollWidth, innerWidth, bg } = await p.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          bg: getComputedStyle(document.body).backgroundColor,
        }));
        assert.ok(scrollWidth <= innerWidth, `${hash}: page is ${scrollWidth}px wide in a ${innerWidth}px screen`);
        const [r, g, b] = bg.match(/\d+/g).map(Number);
        assert.ok(r + g + b < 150, `${hash}: dark theme background expected, got ${bg}`);
        // Every button can be told apart by a screen reader.
        const unnamed = await p.$$eval('button', (bs) => bs.filter((b) => !b.closest('dialog') && !(b.getAttribute('aria-label') || b.textContent.trim())).length);
        assert.equal(unnamed, 0, `${hash}: buttons without an accessible name`);
        await shot(name, p);
      }
    } finally {
      await ctx.close();
    }
  });

  test('Delete asks first, then removes the guest', async () => {
    await page.goto(`${BASE}/#/vms/${encodeURIComponent(VM)}`);
    await expectState(page.getByTestId('detail-state'), 'shutoff', 'shut off', 15000);
    await page.getByTestId('action-delete').click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /Delete/);
    assert.equal(await page.getByTestId('confirm-check').isVisible(), true, 'offers to delete volumes too');
    await shot('08-delete-confirm', page, { fullPage: false });
    await page.getByTestId('confirm-ok').click();
    await page.waitForFunction(() => location.hash === '#/');
    await page.getByTestId('toast').filter({ hasText: 'was deleted' }).waitFor();
    await row().waitFor({ state: 'detached' });
    assert.equal((await api('GET', `/api/vms/${encodeURIComponent(VM)}`)).status, 404);
    await assert.rejects(virsh('dominfo', VM), 'libvirt no longer knows the guest');
    await shot('09-list-after-delete');
  });

  test('an unknown static path shows the 404 page', async () => {
    const res = await page.goto(`${BASE}/no/such/page-${Date.now()}.html`);
    assert.equal(res.status(), 404);
    await page.getByTestId('not-found').waitFor();
    assert.match(await page.getByTestId('not-found').textContent(), /does not exist/);
    // Its stylesheet loads from any depth.
    const size = await page.evaluate(() => getComputedStyle(document.querySelector('.notfound-code')).fontSize);
    assert.equal(size, '64px');
    await shot('10-not-found');
  });

  test('the page raised no script errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
