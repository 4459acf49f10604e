// The header's Tasks button and drawer, away from the Storage page: a
// volume clone started behind the page's back (1 GiB of zeros really
// written, so the copy takes seconds) shows as one running task on the
// guests list, its progress moving in the drawer, then "Copied ... — done"
// with a link to the new volume; a second clone is cancelled from the
// drawer and says so with its reason. Everything comes from the event
// stream: the page never asks for /api/tasks after its first read.
// Started by tests/e2e/run.sh (see lib.mjs).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LAUNCH, Client, shot, watch, signIn, checkPage, freePort, startVireod } from './lib.mjs';

const POOL = `e2e-tasks-${Date.now().toString(36)}-${process.pid}`;
const poolApi = `/api/pools/${encodeURIComponent(POOL)}`;

let browser;
let page;
let admin;
let dir;
let vireod; // of its own: its tasks stay out of the other files' task lists
const pageErrors = [];
const taskReads = [];
const api = (method, path, opts) => admin.request(method, path, opts);
const drawer = () => page.getByTestId('task-drawer');
const taskRow = (id) => drawer().locator(`[data-testid="task-row"][data-task="${id}"]`);

// A file of zeros really written (no holes): streamed as data by the clone.
function zeros(path, mib) {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mib; i++) writeSync(fd, block);
  closeSync(fd);
}

async function clone(name) {
  const r = await api('POST', `${poolApi}/volumes/src.img/clone`, { body: { name } });
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return r.json.id;
}

describe('the task drawer', { concurrency: false }, () => {
  before(async () => {
    vireod = await startVireod({ port: await freePort(), name: 'tasks' });
    admin = new Client(`http://127.0.0.1:${vireod.port}`);
    assert.equal((await admin.login('admin', vireod.password)).status, 200);
    dir = mkdtempSync(join(tmpdir(), 'vireo-e2e-tasks-'));
    zeros(join(dir, 'src.img'), 1024);
    assert.equal((await api('POST', '/api/pools', { body: { name: POOL, type: 'dir', path: dir } })).status, 201);
    browser = await chromium.launch(LAUNCH);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15000);
    watch(page, pageErrors);
    page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/tasks') && r.method() === 'GET') taskReads.push(r.url()); });
  });

  after(async () => {
    if (browser) await browser.close();
    if (admin) {
      for (const v of ['copy.img', 'cancelled.img', 'src.img']) await api('DELETE', `${poolApi}/volumes/${v}`);
      await api('DELETE', poolApi);
    }
    if (vireod) { await vireod.stop(); vireod.remove(); }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a clone shows on the guests list as a running task, its progress moves, then it is done with a link', async () => {
    await signIn(page, 'admin', vireod.password, '#/', admin.base);
    await page.getByTestId('vm-row').first().waitFor();
    const button = page.getByTestId('task-button');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    const id = await clone('copy.img');
    await page.getByTestId('task-count').filter({ hasText: '1' }).waitFor();
    assert.match(await button.textContent(), /Tasks\s*1\s*running/, 'its name says what the number is');
    await button.click();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    await taskRow(id).waitFor();
    // Every value the bar takes while it runs.
    const seen = new Set();
    for (;;) {
      const state = await taskRow(id).getAttribute('data-state');
      if (state !== 'running' && state !== 'queued') break;
      const now = await taskRow(id).getByTestId('task-progress').getAttribute('aria-valuenow').catch(() => null);
      if (now !== null) seen.add(Number(now));
      if (seen.size === 2) await shot(page, 'task-drawer-running', { fullPage: false });
      await page.waitForTimeout(100);
    }
    assert.ok([...seen].some((v) => v > 0 && v < 100), `the progress was seen between 0 and 100: ${[...seen]}`);
    await taskRow(id).and(page.locator('[data-state="succeeded"]')).waitFor();
    const row = taskRow(id);
    assert.match((await row.getByTestId('task-title').textContent()).replace(/\s+/g, ' '), new RegExp(`^Copied ${POOL}/src\\.img$`));
    assert.match(await row.getByTestId('task-when').textContent(), /done (just now|\d+ seconds? ago)/);
    assert.equal(await row.getByTestId('task-result').getAttribute('href'), `#/storage/${POOL}`);
    assert.equal(await page.getByTestId('task-count').isVisible(), false, 'nothing runs any more');
    await checkPage(page, 'task drawer');
    await shot(page, 'task-drawer-done', { fullPage: false });
    await row.getByTestId('task-result').click();
    await page.locator(`[data-testid="volume-row"][data-volume="copy.img"]`).waitFor();
    assert.equal(await drawer().isVisible(), false, 'the drawer closes when the page changes');
  });

  test('a clone cancelled from the drawer ends cancelled, with its reason', async () => {
    await page.goto(page.url().replace(/#.*$/, '#/networks'));
    await page.getByTestId('view-networks').waitFor();
    const id = await clone('cancelled.img');
    await page.getByTestId('task-button').click();
    const row = taskRow(id);
    await row.getByTestId('task-cancel').click();
    await row.and(page.locator('[data-state="cancelled"]')).waitFor({ timeout: 30000 });
    assert.match((await row.getByTestId('task-title').textContent()).replace(/\s+/g, ' '), /^Copy of .*src\.img cancelled$/);
    assert.ok((await row.getByTestId('task-message').textContent()).trim().length > 0, 'the reason is shown');
    await page.keyboard.press('Escape');
    await drawer().waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'task-button');
    // The list was read once per page load; the rest came on the stream.
    assert.ok(taskReads.length <= 2, `GET /api/tasks ${taskReads.length} times: ${taskReads.join(' ')}`);
    assert.deepEqual(pageErrors, []);
  });
});
