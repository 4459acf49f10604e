// The signed-in person's own things: the user menu in the header, the
// change-password dialog and the "My sessions" page (#/sessions); "My
// account" (#/account, usage and limits) is my-account.js.

import { api } from './api.js';
import { h, icon, clear, fmtDate, fmtRelative } from './dom.js';
import { checkInput, formDialog, field, passwordInput, FormError, MIN_PASSWORD } from './forms.js';
import { roleLabel } from './session.js';
import { attempt, confirmDialog, showError, toast } from './ui.js';
import { ACTIONS, avatar, card, countBadge, dataTable, loadError, pageHead, skeleton } from './widgets.js';

// ---- the user menu ----

// The menu button and its drop-down: who I am, change password, my
// sessions, sign out. Keyboard: Enter/Space/ArrowDown open it, arrows move,
// Escape closes and gives focus back to the button.
export function mountUserMenu(root, user, { onSignOut }) {
  const m = { root, button: menuButton(user), menu: null };
  const choose = (fn) => () => { close(m, false); fn(); };
  m.menu = menuList(user, [
    ['menu-account', 'gauge', 'My usage and limits', choose(() => { location.hash = '#/account'; })],
    ['menu-change-password', 'lock', 'Change password', choose(() => changePasswordDialog())],
    ['menu-sessions', 'device', 'My sessions', choose(() => { location.hash = '#/sessions'; })],
    ['menu-tokens', 'key', 'My API tokens', choose(() => { location.hash = '#/tokens'; })],
    null,
    ['menu-logout', 'logout', 'Sign out', choose(() => onSignOut()), 'menu-item-danger'],
  ]);
  m.outside = (e) => { if (!root.contains(e.target)) close(m, false); };
  m.button.addEventListener('click', () => (isOpen(m) ? close(m) : open(m)));
  m.button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); open(m); }
  });
  m.menu.addEventListener('keydown', (e) => menuKey(m, e));
  clear(root).append(m.button, m.menu);
  return () => { close(m, false); clear(root); };
}

const MENU_ID = 'user-menu-list';

function menuButton(user) {
  return h('button', {
    type: 'button', class: 'user-button', testid: 'user-menu-button',
    'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': MENU_ID,
  },
  // Its name is the words it shows, "admin Admin, account menu" (phones
  // hide the words from sight only).
  avatar(user.username),
  h('span', { class: 'user-button-text' },
    h('span', { class: 'user-button-name', testid: 'user-name' }, user.username), ' ',
    h('span', { class: 'user-button-role', testid: 'user-role' }, roleLabel(user.role)),
    h('span', { class: 'sr-only' }, ', account menu')),
  icon('chevron', 'icon user-caret'));
}

// items: [testid, icon, label, onclick, extra class], null for a separator.
function menuList(user, items) {
  const sep = () => h('div', { class: 'menu-sep', role: 'separator' });
  const item = ([testid, ic, label, onclick, extra = '']) => h('button', {
    type: 'button', role: 'menuitem', class: `menu-item ${extra}`.trim(), testid, tabindex: '-1', onclick,
  }, icon(ic), h('span', {}, label));
  return h('div', { class: 'menu', id: MENU_ID, role: 'menu', 'aria-label': 'Account', testid: 'user-menu-list', hidden: true },
    h('div', { class: 'menu-head', role: 'presentation' },
      avatar(user.username, 'avatar avatar-lg'),
      h('div', {},
        h('strong', { class: 'menu-name' }, user.username),
        h('span', { class: `role-badge role-${user.role}` }, roleLabel(user.role)))),
    sep(),
    items.map((it) => (it ? item(it) : sep())));
}

const menuItems = (m) => [...m.menu.querySelectorAll('[role="menuitem"]')];
const isOpen = (m) => !m.menu.hidden;

function open(m, focusFirst = true) {
  m.menu.hidden = false;
  m.button.setAttribute('aria-expanded', 'true');
  document.addEventListener('pointerdown', m.outside, true);
  if (focusFirst) menuItems(m)[0].focus();
}

function close(m, refocus = true) {
  if (!isOpen(m)) return;
  m.menu.hidden = true;
  m.button.setAttribute('aria-expanded', 'false');
  document.removeEventListener('pointerdown', m.outside, true);
  if (refocus) m.button.focus();
}

function menuKey(m, e) {
  const list = menuItems(m);
  const i = list.indexOf(document.activeElement);
  const to = { ArrowDown: (i + 1) % list.length, ArrowUp: (i - 1 + list.length) % list.length, Home: 0, End: list.length - 1 }[e.key];
  if (e.key === 'Escape') { e.preventDefault(); close(m); }
  else if (to !== undefined) { e.preventDefault(); list[to].focus(); }
  else if (e.key === 'Tab') close(m, false);
}

// ---- change password ----

// Asks for the current password and a new one twice. vireod revokes the
// person's API tokens too unless "Keep my API tokens" is ticked.
export async function changePasswordDialog() {
  const current = passwordInput({ testid: 'password-current', autocomplete: 'current-password' });
  const fresh = passwordInput({ testid: 'password-new', autocomplete: 'new-password', minlength: MIN_PASSWORD });
  const again = passwordInput({ testid: 'password-again', autocomplete: 'new-password', minlength: MIN_PASSWORD });
  const keep = checkInput({
    testid: 'password-keep-tokens', label: 'Keep my API tokens',
    hint: 'Otherwise every API token of yours is revoked with the old password, and scripts using one stop working.',
  });
  const done = await formDialog({
    title: 'Change your password',
    intro: 'Your other sessions are signed out when the password changes; this one stays.',
    testid: 'password-dialog',
    submitLabel: 'Change password',
    content: [
      field({ label: 'Current password', control: current.input, box: current.el }),
      field({ label: 'New password', control: fresh.input, box: fresh.el, hint: `At least ${MIN_PASSWORD} characters.` }),
      field({ label: 'New password again', control: again.input, box: again.el }),
      keep.el,
    ],
    submit: async () => {
      if (!current.input.value) throw new FormError('Enter your current password.');
      if ([...fresh.input.value].length < MIN_PASSWORD) throw new FormError(`The new password needs at least ${MIN_PASSWORD} characters.`);
      if (fresh.input.value !== again.input.value) throw new FormError('The two new passwords differ.');
      try {
        await api.changePassword(current.input.value, fresh.input.value, { keepTokens: keep.input.checked });
      } catch (e) {
        if (e.status === 403) throw new FormError('The current password is wrong.');
        throw e;
      }
      return { kept: keep.input.checked };
    },
  });
  if (done) toast(done.kept ? 'Password changed; your other sessions were signed out, your API tokens kept'
    : 'Password changed; your other sessions were signed out and your API tokens revoked');
}

// ---- #/sessions ----

// Where one is signed in, and a way to end any of it. The page's state goes
// to every function below.
export function mountSessions(root) {
  const page = {
    disposed: false,
    sessions: [],
    el: {
      count: countBadge('sessions-count'),
      body: h('div', { class: 'card-body card-body-flush' }, skeleton(3)),
      others: h('button', {
        type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'sessions-revoke-others', hidden: true,
        onclick: () => revokeOthers(page),
      }, icon('logout'), 'Sign out everywhere else'),
    },
  };
  root.append(h('section', { class: 'view view-sessions', testid: 'view-sessions' },
    pageHead('device', 'My sessions', 'Every browser where you are signed in. Sessions end by themselves after a period of inactivity; end any you do not recognise.'),
    card({ title: ['Active sessions ', page.el.count], actions: page.el.others, cls: 'card-flush', body: page.el.body })));
  load(page);
  return () => { page.disposed = true; };
}

async function load(page) {
  try {
    const { data } = await api.sessions();
    if (page.disposed) return;
    page.sessions = data.sessions || [];
    render(page);
  } catch (e) {
    if (page.disposed) return;
    clear(page.el.body).append(loadError('Could not load your sessions', e));
  }
}

function render(page) {
  const { sessions, el } = page;
  el.count.textContent = String(sessions.length);
  el.others.hidden = !sessions.some((s) => !s.current);
  sessions.sort((a, b) => (b.current - a.current) || String(b.last_seen).localeCompare(String(a.last_seen)));
  clear(el.body).append(dataTable({
    testid: 'sessions-table',
    columns: ['Device', 'Address', 'Signed in', 'Last active', ACTIONS],
    rows: sessions.map((s) => sessionRow(page, s)),
  }));
}

function sessionRow(page, s) {
  return h('tr', { testid: 'session-row', dataset: { current: String(!!s.current) } },
    h('td', { 'data-label': 'Device' },
      h('span', { class: 'cell-main', title: s.user_agent || '' }, icon('device'), describeAgent(s.user_agent)),
      s.current ? h('span', { class: 'pill pill-ok', testid: 'session-current' }, 'This browser') : null),
    h('td', { 'data-label': 'Address' }, h('code', { class: 'mono' }, s.address || '—')),
    h('td', { 'data-label': 'Signed in', title: s.created_at || '' }, fmtDate(s.created_at)),
    h('td', { 'data-label': 'Last active', title: s.last_seen || '' }, s.current ? 'now' : fmtRelative(s.last_seen)),
    h('td', { class: 'col-actions' },
      h('button', {
        type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'session-revoke',
        'aria-label': s.current ? 'Sign out of this browser' : `End session of ${describeAgent(s.user_agent)} at ${s.address}`,
        onclick: () => revoke(page, s),
      }, icon('logout'), s.current ? 'Sign out' : 'End session')));
}

async function revoke(page, s) {
  if (s.current) {
    document.getElementById('user-menu').querySelector('[data-testid="menu-logout"]')?.click();
    return;
  }
  await attempt(() => api.revokeSession(s.id), 'Session ended', 'Could not end the session');
  load(page);
}

async function revokeOthers(page) {
  const list = page.sessions.filter((s) => !s.current);
  const { ok } = await confirmDialog({
    title: 'Sign out everywhere else?',
    body: [`This ends ${list.length} other session${list.length === 1 ? '' : 's'}. This browser stays signed in.`],
    confirmLabel: 'Sign out others',
  });
  if (!ok) return;
  for (const s of list) {
    try { await api.revokeSession(s.id); } catch (e) { showError(e, 'Could not end a session'); }
  }
  toast('Other sessions ended');
  load(page);
}

// "Chromium 120 on Linux" from a User-Agent string, good enough for a list
// of one's own sessions; the full string stays in the title.
function describeAgent(ua) {
  if (!ua) return 'Unknown client';
  const browsers = [
    [/Edg\/(\d+)/, 'Edge'], [/OPR\/(\d+)/, 'Opera'], [/Firefox\/(\d+)/, 'Firefox'],
    [/Chromium\/(\d+)/, 'Chromium'], [/HeadlessChrome\/(\d+)/, 'Headless Chrome'], [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+).*Safari/, 'Safari'], [/curl\/([\d.]+)/, 'curl'], [/python-requests\/([\d.]+)/, 'Python requests'],
    [/node|undici/i, 'Node.js'],
  ];
  const systems = [[/Android/, 'Android'], [/iPhone|iPad/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X/, 'macOS'], [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']];
  let name = null;
  for (const [re, label] of browsers) {
    const m = re.exec(ua);
    if (m) { name = m[1] ? `${label} ${m[1]}` : label; break; }
  }
  const os = systems.find(([re]) => re.test(ua));
  if (!name) name = ua.split(/[\s/]/)[0] || 'Unknown client';
  return os ? `${name} on ${os[1]}` : name;
}
