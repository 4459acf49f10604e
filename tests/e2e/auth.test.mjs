// Access control in the web UI, end to end: the sign-in page (wrong password,
// throttling), the user menu, the Users page (create, role, grants), API
// tokens (secret shown once), password changes that keep or revoke API
// tokens, the audit log (actions in words, filters by action, object and
// result kept in the address, folded repeats), what a viewer and an
// operator without grants see, session expiry and sign-out.
// Runs before ui.test.mjs (file order) and leaves the test guest shut off.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { BASE, VM, ADMIN_PASSWORD, LAUNCH, shot, watch, signIn, Client, adminClient, cookieOf, checkPage } from './lib.mjs';

const VERA_PASSWORD = 'vera-e2e-pass-1';
const VERA_NEW_PASSWORD = 'vera-e2e-pass-2';
const VERA_RESET_PASSWORD = 'vera-e2e-pass-3';
const VERA_LAST_PASSWORD = 'vera-e2e-pass-4';
const OTTO_PASSWORD = 'otto-e2e-pass-1';
const TOKEN_NAME = 'e2e-script';
const ROW = `[data-testid="vm-row"][data-vm="${VM}"]`;

let browser;
let admin;      // REST client with its own admin session
let context;    // the admin's browser
let page;
let veraToken;  // an API token of vera's, kept or revoked by password changes
const pageErrors = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', ...opts });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15000);
  watch(p, pageErrors);
  return { ctx, p };
}

const userRow = (name) => page.locator(`[data-testid="user-row"][data-user="${name}"]`);

async function createUser(name, role, password) {
  await page.getByTestId('user-new').click();
  const dlg = page.getByTestId('new-user-dialog');
  await dlg.waitFor();
  await page.getByTestId('new-user-name').fill(name);
  await page.getByTestId(`new-user-role-${role}`).check();
  await page.getByTestId('new-user-password').fill(password);
  await page.getByTestId('new-user-dialog-submit').click();
  await dlg.waitFor({ state: 'detached' });
  await userRow(name).waitFor();
  assert.equal(await userRow(name).getAttribute('data-role'), role);
}

describe('Vireo access control in the web UI', { concurrency: false }, () => {
  before(async () => {
    browser = await chromium.launch(LAUNCH);
    ({ ctx: context, p: page } = await newPage());
  });

  after(async () => {
    if (browser) await browser.close();
  });

  test('the sign-in page comes first and says so on a wrong password', async () => {
    assert.equal((await new Client().request('GET', '/api/session')).status, 401);
    await page.goto(`${BASE}/`);
    await page.getByTestId('login-page').waitFor();
    assert.equal(await page.getByTestId('topbar').isVisible(), false, 'nothing of the app shows before sign-in');
    assert.equal(await page.getByTestId('login-username').evaluate((el) => el === document.activeElement), true, 'the username has focus');
    await checkPage(page, 'sign-in page');
    await shot(page, '20-login');

    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    const err = page.getByTestId('login-error');
    await err.waitFor();
    assert.equal((await page.getByTestId('login-error-title').textContent()).trim(), 'Wrong username or password');
    assert.equal(await page.getByTestId('user-menu-button').isVisible(), false);
    await shot(page, '21-login-wrong-password');
  });

  test('too many failed sign-ins: the page shows the wait from Retry-After and counts it down', async () => {
    // Fail as 'mallory' until vireod makes the wait at least 3 s, so the page
    // certainly meets it; the first 5 failures are free, then 1, 2, 4 s...
    const c = new Client();
    let retry = 0;
    for (let i = 0; i < 30 && retry < 3; i++) {
      const r = await c.request('POST', '/api/session', { body: { username: 'mallory', password: 'guess-number-x' } });
      if (r.status === 429) {
        retry = Number(r.headers.get('retry-after'));
        assert.ok(retry > 0, 'a 429 carries Retry-After');
        if (retry < 3) await sleep(retry * 1000 + 100);
      } else {
        assert.equal(r.status, 401);
      }
    }
    assert.ok(retry >= 3, `expected a wait of 3 s or more, got ${retry}`);

    await page.getByTestId('login-username').fill('mallory');
    await page.getByTestId('login-password').fill('guess-number-y');
    await page.getByTestId('login-submit').click();
    const err = page.getByTestId('login-error');
    await err.and(page.locator('[data-kind="throttled"]')).waitFor();
    assert.equal((await page.getByTestId('login-error-title').textContent()).trim(), 'Please wait');
    assert.match(await page.getByTestId('login-error-text').textContent(), /Too many failed sign-ins.*Try again in \d+ seconds?\./);
    assert.equal(await page.getByTestId('login-submit').isDisabled(), true, 'no attempts while throttled');
    await shot(page, '22-login-throttled');
    // The wait ends by itself and the button comes back.
    await err.and(page.locator('[data-kind="ready"]')).waitFor({ timeout: (retry + 5) * 1000 });
    assert.equal(await page.getByTestId('login-submit').isEnabled(), true);
  });

  test('admin signs in through the page: guests, sections and the user menu', async () => {
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.locator(ROW).waitFor();
    assert.equal((await page.getByTestId('user-name').textContent()).trim(), 'admin');
    assert.equal((await page.getByTestId('user-role').textContent()).trim(), 'Admin');
    const tabs = await page.getByTestId('main-nav').locator('a').allTextContents();
    assert.deepEqual(tabs.map((t) => t.trim()), ['Dashboard', 'Guests', 'Templates', 'Storage', 'Networks', 'Hosts', 'Backups', 'Users', 'API tokens', 'Audit log']);
    assert.equal(await page.getByTestId('nav-guests').getAttribute('aria-current'), 'page');

    await page.getByTestId('user-menu-button').click();
    const menu = page.getByTestId('user-menu-list');
    await menu.waitFor();
    assert.equal(await page.getByTestId('user-menu-button').getAttribute('aria-expanded'), 'true');
    for (const id of ['menu-change-password', 'menu-sessions', 'menu-logout']) assert.equal(await page.getByTestId(id).isVisible(), true);
    await shot(page, '23-user-menu', { fullPage: false });
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });

    admin = await adminClient();
  });

  test('admin creates vera (viewer) with a grant on the test guest, and otto (operator) without', async () => {
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-table').waitFor();
    await userRow('admin').waitFor();
    assert.equal((await userRow('admin').getByTestId('user-access').textContent()).trim(), 'Everything');

    await createUser('vera', 'viewer', VERA_PASSWORD);
    await createUser('otto', 'operator', OTTO_PASSWORD);

    await userRow('vera').getByTestId('user-grants').click();
    const dlg = page.getByTestId('grants-dialog');
    await dlg.waitFor();
    await page.getByTestId('grant-empty').waitFor();
    await page.getByTestId('grant-vm-select').selectOption(VM);
    await page.getByTestId('grant-add').click();
    await dlg.locator(`[data-testid="grant-item"][data-vm="${VM}"]`).waitFor();
    await shot(page, '24-grants-dialog', { fullPage: false });
    await page.getByTestId('grants-done').click();
    await dlg.waitFor({ state: 'detached' });
    await userRow('vera').getByTestId('user-grant').filter({ hasText: VM }).waitFor();
    assert.equal((await userRow('otto').getByTestId('user-access').textContent()).trim().startsWith('No guests'), true);

    const grants = (await admin.request('GET', '/api/users/vera/grants')).json.grants;
    assert.deepEqual(grants.map((g) => g.name), [VM]);
    assert.equal((await admin.request('GET', '/api/users/otto')).json.role, 'operator');
    assert.deepEqual((await admin.request('GET', '/api/users/otto/grants')).json.grants, []);
    await page.mouse.move(0, 0);
    await checkPage(page, 'users page');
    await shot(page, '25-users');
  });

  test('admin creates an API token: the secret is shown once, works, and is gone after', async () => {
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('token-name').fill(TOKEN_NAME);
    await page.getByTestId('token-expiry').selectOption('7');
    await page.getByTestId('token-create').click();
    const panel = page.getByTestId('token-secret-panel');
    await panel.waitFor();
    const secret = await page.getByTestId('token-secret').inputValue();
    assert.match(secret, /^vireo_[A-Za-z0-9_-]{20,}$/);
    assert.match(await page.getByTestId('token-secret-warning').textContent(), /only time/);
    assert.equal(await page.getByTestId('token-copy').isVisible(), true);
    const row = page.locator(`[data-testid="token-row"][data-token="${TOKEN_NAME}"]`);
    await row.waitFor();
    assert.match(await row.getByTestId('token-expires').textContent(), /in 7 days/);
    assert.equal((await row.getByTestId('token-last-used').textContent()).trim(), 'Never used');
    await checkPage(page, 'tokens page');
    await shot(page, '26-tokens');

    // The token works as admin for scripts.
    const who = await new Client().request('GET', '/api/session', { token: secret });
    assert.equal(who.status, 200);
    assert.deepEqual([who.json.username, who.json.via], ['admin', 'token']);

    await page.getByTestId('token-secret-done').click();
    await panel.waitFor({ state: 'detached' });
    await page.reload();
    await row.waitFor();
    assert.equal(await page.getByTestId('token-secret').count(), 0);
    assert.ok(!(await page.content()).includes(secret), 'the secret is never shown again');
    assert.doesNotMatch(await row.getByTestId('token-last-used').textContent(), /Never/, 'last use is shown');
    const listed = (await admin.request('GET', '/api/tokens')).json.tokens.find((t) => t.name === TOKEN_NAME);
    assert.ok(listed && !('token' in listed), 'the list never carries the secret');
  });

  test('vera (viewer) sees the granted guest, has no lifecycle buttons and cannot edit', async () => {
    const { ctx, p } = await newPage();
    try {
      await signIn(p, 'vera', VERA_PASSWORD);
      await p.locator(ROW).waitFor();
      assert.equal(await p.getByTestId('vm-row').count(), 1, 'only the granted guest is listed');
      assert.equal((await p.getByTestId('user-role').textContent()).trim(), 'Viewer');
      assert.equal(await p.getByTestId('view-only').isVisible(), true);
      assert.equal(await p.locator(`${ROW} [data-testid^="action-"]`).count(), 0, 'no lifecycle buttons in the list');
      const tabs = await p.getByTestId('main-nav').locator('a').allTextContents();
      assert.deepEqual(tabs.map((t) => t.trim()), ['Dashboard', 'Guests', 'Templates', 'Storage', 'Networks', 'Hosts', 'API tokens']);
      await checkPage(p, 'viewer guest list');
      await shot(p, '27-viewer-list');

      await p.locator(ROW).getByTestId('vm-link').click();
      await p.getByTestId('detail-os-kernel').waitFor();
      await p.getByTestId('detail-readonly').waitFor();
      assert.equal(await p.locator('[data-testid^="action-"]').count(), 0, 'no lifecycle or delete buttons on the guest page');
      assert.equal(await p.getByTestId('vm-edit-form').count(), 0, 'no edit form');
      assert.equal(await p.getByTestId('view-only').isVisible(), true);
      await checkPage(p, 'viewer guest page');
      await shot(p, '28-viewer-detail');

      // vireod refuses anyway, with the session the page holds.
      const vera = new Client();
      vera.cookie = await cookieOf(ctx);
      const path = `/api/vms/${encodeURIComponent(VM)}`;
      assert.equal((await vera.request('GET', path)).status, 200);
      assert.equal((await vera.request('PATCH', path, { body: { description: 'viewer was here' } })).status, 403);
      assert.equal((await vera.request('POST', `${path}/start`)).status, 403);

      // Admin pages say they are for admins.
      await p.goto(`${BASE}/#/users`);
      await p.getByTestId('view-forbidden').waitFor();

      // vera has an API token for her scripts; she keeps it through a password change.
      const made = await vera.request('POST', '/api/tokens', { body: { name: 'vera-script' } });
      assert.equal(made.status, 201, JSON.stringify(made.json));
      veraToken = made.json.token;

      // vera changes her own password from the user menu.
      await p.getByTestId('user-menu-button').click();
      await p.getByTestId('menu-change-password').click();
      await p.getByTestId('password-dialog').waitFor();
      await p.getByTestId('password-current').fill('not-my-password');
      await p.getByTestId('password-new').fill(VERA_NEW_PASSWORD);
      await p.getByTestId('password-again').fill(VERA_NEW_PASSWORD);
      await p.getByTestId('password-dialog-submit').click();
      await p.getByTestId('password-dialog-error').filter({ hasText: 'current password is wrong' }).waitFor();
      await p.getByTestId('password-current').fill(VERA_PASSWORD);
      // Tokens are revoked unless she says otherwise, and the dialog says so.
      const keep = p.getByTestId('password-keep-tokens');
      assert.equal(await keep.isChecked(), false, 'keeping tokens is not the default');
      assert.match(await p.getByTestId('password-keep-tokens-hint').textContent(), /API token of yours is revoked/);
      await keep.check();
      await checkPage(p, 'change password dialog');
      await shot(p, '33-password-keep-tokens', { fullPage: false });
      await p.getByTestId('password-dialog-submit').click();
      await p.getByTestId('password-dialog').waitFor({ state: 'detached' });
      await p.getByTestId('toast').filter({ hasText: 'Password changed' }).filter({ hasText: 'API tokens kept' }).waitFor();
      assert.equal((await new Client().login('vera', VERA_NEW_PASSWORD)).status, 200);
      assert.equal((await vera.request('GET', '/api/session')).status, 200, 'the session that changed it stays');
      assert.equal((await new Client().request('GET', '/api/session', { token: veraToken })).status, 200, 'the token was kept');
    } finally {
      await ctx.close();
    }
  });

  test('an admin resets a password: the user\'s API tokens stay when ticked, else they are revoked', async () => {
    await page.getByTestId('nav-users').click();
    const reset = async (password, keepTokens) => {
      await userRow('vera').getByTestId('user-reset-password').click();
      const dlg = page.getByTestId('reset-password-dialog');
      await dlg.waitFor();
      assert.equal(await dlg.getByTestId('reset-keep-tokens').isChecked(), false, 'revoking is the default');
      await dlg.getByTestId('reset-password').fill(password);
      if (keepTokens) {
        await dlg.getByTestId('reset-keep-tokens').check();
        await checkPage(page, 'reset password dialog');
        await shot(page, '34-reset-password-keep-tokens', { fullPage: false });
      }
      await dlg.getByTestId('reset-password-dialog-submit').click();
      await dlg.waitFor({ state: 'detached' });
    };
    await reset(VERA_RESET_PASSWORD, true);
    await page.getByTestId('toast').filter({ hasText: 'their API tokens still work' }).waitFor();
    assert.equal((await new Client().request('GET', '/api/session', { token: veraToken })).status, 200, 'kept');
    await reset(VERA_LAST_PASSWORD, false);
    await page.getByTestId('toast').filter({ hasText: 'their API tokens revoked' }).waitFor();
    assert.equal((await new Client().request('GET', '/api/session', { token: veraToken })).status, 401, 'revoked');
    assert.equal((await new Client().login('vera', VERA_LAST_PASSWORD)).status, 200);
  });

  test('otto (operator) without grants sees no guests', async () => {
    const { ctx, p } = await newPage();
    try {
      await signIn(p, 'otto', OTTO_PASSWORD);
      await p.getByTestId('vm-empty').waitFor();
      assert.match(await p.getByTestId('vm-empty').textContent(), /No guests are shared with you/);
      assert.equal(await p.getByTestId('vm-row').count(), 0);
      assert.equal(await p.getByTestId('view-only').count(), 0, 'an operator is not view-only');
      const otto = new Client();
      otto.cookie = await cookieOf(ctx);
      assert.deepEqual((await otto.request('GET', '/api/vms')).json.vms, []);
      assert.equal((await otto.request('GET', `/api/vms/${encodeURIComponent(VM)}`)).status, 404);
      await checkPage(p, 'operator guest list');
      await shot(p, '29-operator-no-guests');

      // Sign out: back to the sign-in page, and that cookie is dead.
      const cookie = await cookieOf(ctx);
      await p.getByTestId('user-menu-button').click();
      await p.getByTestId('menu-logout').click();
      await p.getByTestId('login-page').waitFor();
      assert.match(await p.getByTestId('login-notice').textContent(), /signed out/);
      assert.equal(await p.getByTestId('topbar').isVisible(), false);
      assert.equal(await cookieOf(ctx), null, 'the browser dropped the cookie');
      assert.equal((await otto.request('GET', '/api/session', { cookie })).status, 401);
      assert.equal((await otto.request('GET', '/api/vms', { cookie })).status, 401);
      await shot(p, '30-signed-out');
    } finally {
      await ctx.close();
    }
  });

  test('My sessions lists this browser; a session ended elsewhere brings the sign-in page back', async () => {
    await page.getByTestId('user-menu-button').click();
    await page.getByTestId('menu-sessions').click();
    await page.getByTestId('sessions-table').waitFor();
    const rows = page.getByTestId('session-row');
    assert.ok(await rows.count() >= 2, 'this browser and the API client');
    assert.equal(await rows.and(page.locator('[data-current="true"]')).count(), 1);
    assert.match(await page.getByTestId('session-current').textContent(), /This browser/);
    await checkPage(page, 'sessions page');
    await shot(page, '32-sessions');

    await page.getByTestId('nav-guests').click();
    await page.locator(ROW).waitFor();
    // End this browser's session from the admin's other session.
    const mine = await cookieOf(context);
    const list = (await admin.request('GET', '/api/sessions')).json.sessions;
    const other = list.filter((s) => !s.current);
    assert.ok(other.length >= 1, 'the browser session is listed');
    for (const s of other) assert.equal((await admin.request('DELETE', `/api/sessions/${s.id}`)).status, 204);
    assert.equal((await admin.request('GET', '/api/session', { cookie: mine })).status, 401);
    // The next poll answers 401.
    await page.getByTestId('login-page').waitFor({ timeout: 10000 });
    assert.match(await page.getByTestId('login-notice').textContent(), /session has ended/);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.locator(ROW).waitFor();
  });

  test('the audit log lists the sign-ins and the user creations in words, filters by user and time, and pages', async () => {
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor();
    const rows = page.getByTestId('audit-row');
    const login = rows.and(page.locator('[data-user="admin"][data-path="/api/session"][data-method="POST"][data-status="200"]')).first();
    await login.waitFor();
    assert.equal((await login.getByTestId('audit-action').textContent()).trim(), 'Signed in');
    const created = rows.and(page.locator('[data-path="/api/users"][data-method="POST"][data-status="201"]'));
    assert.equal(await created.count(), 2, 'both user creations are listed');
    assert.equal((await created.first().getByTestId('audit-action').textContent()).trim(), 'Created a user');
    const failed = rows.and(page.locator('[data-user="admin"][data-path="/api/session"][data-status="401"]'));
    assert.ok(await failed.count() >= 1, 'the wrong password is listed');
    assert.equal((await failed.first().getByTestId('audit-action').textContent()).trim(), 'Failed sign-in');
    const grant = rows.and(page.locator('[data-path="/api/users/vera/grants"]')).first();
    assert.equal(await grant.getAttribute('data-action'), 'grant.add');
    assert.equal((await grant.getByTestId('audit-action').textContent()).trim(), 'Granted access');
    assert.match(await grant.getByTestId('audit-detail').textContent(), new RegExp(`grant ${VM} to vera`));
    const reset = rows.and(page.locator('[data-action="user.update"][data-path="/api/users/vera"]')).first();
    assert.equal((await reset.getByTestId('audit-action').textContent()).trim(), 'Changed a user');
    await checkPage(page, 'audit page');
    await shot(page, '31-audit');

    // By user.
    await page.getByTestId('audit-user').fill('vera');
    await page.getByTestId('audit-apply').click();
    await page.locator('[data-testid="audit-row"][data-user="vera"]').first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].every((r) => r.dataset.user === 'vera'));
    assert.ok(await rows.and(page.locator('[data-path="/api/session/password"]')).count() >= 1, 'vera changed her password');

    // By time: nothing after a day from now.
    await page.getByTestId('audit-reset').click();
    await rows.first().waitFor();
    const tomorrow = new Date(Date.now() + 86400e3);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
    await page.getByTestId('audit-since').fill(local);
    await page.getByTestId('audit-apply').click();
    await page.getByTestId('audit-empty').waitFor();
    assert.match(await page.getByTestId('audit-empty').textContent(), /No entry matches/);

    // Paging: 25 at a time, "Older entries" adds the next ones. Only changes
    // and sign-ins are recorded: make enough of them (edits never fold).
    const vmPath = `/api/vms/${encodeURIComponent(VM)}`;
    for (let i = 0; i < 12; i++) assert.equal((await admin.request('PATCH', vmPath, { body: { description: `audit paging ${i}` } })).status, 200);
    assert.equal((await admin.request('PATCH', vmPath, { body: { description: '' } })).status, 200);
    const total = (await admin.request('GET', '/api/audit?limit=1000')).json.entries.length;
    assert.ok(total > 25, `enough entries to page (${total})`);
    await page.getByTestId('audit-reset').click();
    await page.getByTestId('audit-page-size').selectOption('25');
    await page.getByTestId('audit-apply').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length === 25);
    await page.getByTestId('audit-older').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length > 25);
    const ids = await rows.evaluateAll((rs) => rs.map((r) => Number(r.dataset.id)));
    assert.ok(ids.every((id, i) => i === 0 || id < ids[i - 1]), 'newest first, no repeats');
  });

  test('the audit log filters by action, object and result, keeps them in the address, and folds repeated failures', async () => {
    // Three identical refusals within a minute: one entry, counted.
    const vmPath = `/api/vms/${encodeURIComponent(VM)}`;
    for (let i = 0; i < 3; i++) assert.equal((await admin.request('POST', `${vmPath}/resume`)).status, 409, 'a shut-off guest cannot resume');
    const rows = page.getByTestId('audit-row');
    await page.getByTestId('audit-reset').click();
    await rows.first().waitFor();

    // One action, failures only.
    await page.getByTestId('audit-action-filter').selectOption('vm.resume');
    await page.getByTestId('audit-result').selectOption('failure');
    await page.getByTestId('audit-apply').click();
    const folded = rows.and(page.locator('[data-action="vm.resume"]'));
    await page.waitForFunction(() => {
      const rs = [...document.querySelectorAll('[data-testid="audit-row"]')];
      return rs.length === 1 && rs[0].dataset.action === 'vm.resume';
    });
    assert.equal(await folded.getAttribute('data-result'), 'failure');
    assert.equal(await folded.getAttribute('data-repeats'), '3');
    assert.equal((await folded.getByTestId('audit-action').textContent()).trim(), 'Resumed a guest');
    assert.equal((await folded.getByTestId('audit-status').textContent()).trim(), '409');
    assert.match((await folded.getByTestId('audit-repeats').textContent()).trim(), /^×3, last at \d/);
    assert.equal(await page.evaluate(() => location.hash), '#/audit?action=vm.resume&result=failure', 'the filters are in the address');
    await checkPage(page, 'audit page, filtered');
    await shot(page, '35-audit-filtered-repeats');

    // A reload keeps them.
    await page.reload();
    await page.getByTestId('audit-table').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length === 1);
    assert.equal(await page.getByTestId('audit-action-filter').inputValue(), 'vm.resume');
    assert.equal(await page.getByTestId('audit-result').inputValue(), 'failure');
    assert.equal(await folded.getAttribute('data-repeats'), '3');

    // A whole kind ("Any guest action") that succeeded: the paging edits, no refusal.
    await page.getByTestId('audit-action-filter').selectOption('vm.');
    await page.getByTestId('audit-result').selectOption('success');
    await page.getByTestId('audit-apply').click();
    await page.waitForFunction(() => {
      const rs = [...document.querySelectorAll('[data-testid="audit-row"]')];
      return rs.length > 0 && rs.every((r) => r.dataset.action.startsWith('vm.') && r.dataset.result === 'success');
    });
    assert.ok(await rows.and(page.locator('[data-action="vm.update"]')).count() >= 12, 'the edits are there');

    // By object: what was done to vera (her grant, her password resets), whoever
    // did it. (Creations have no target in vireod's log: the object filter
    // cannot find "Created a user" for her.)
    await page.getByTestId('audit-reset').click();
    await page.waitForFunction(() => location.hash === '#/audit');
    await page.getByTestId('audit-object').fill('vera');
    await page.getByTestId('audit-apply').click();
    await page.waitForFunction(() => {
      const rs = [...document.querySelectorAll('[data-testid="audit-row"]')];
      return rs.length > 0 && rs.every((r) => r.querySelector('[data-testid="audit-target"]').textContent.startsWith('vera'));
    });
    const actions = await rows.evaluateAll((rs) => rs.map((r) => r.dataset.action));
    for (const a of ['grant.add', 'user.update']) assert.ok(actions.includes(a), `${a} about vera is listed (${actions})`);
    assert.equal(await page.evaluate(() => location.hash), '#/audit?object=vera');
  });

  test('the pages raised no script errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
