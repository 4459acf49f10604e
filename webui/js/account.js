// The signed-in person's own things: the user menu in the header, the
// change-password dialog and the "My sessions" page (#/sessions).

import { api } from './api.js';
import { h, icon, clear, fmtDate, fmtRelative } from './dom.js';
import { formDialog, field, passwordInput, FormError } from './forms.js';
import { roleLabel } from './session.js';
import { confirmDialog, showError, toast } from './ui.js';
import { avatar, pageHead } from './widgets.js';

const MIN_PASSWORD = 8;

// The menu button and its drop-down: who I am, change password, my
// sessions, sign out. Keyboard: Enter/Space/ArrowDown open it, arrows move,
// Escape closes and gives focus back to the button.
export function mountUserMenu(root, user, { onSignOut }) {
  const menuId = 'user-menu-list';
  const button = h('button', {
    type: 'button', class: 'user-button', testid: 'user-menu-button',
    'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': menuId,
    'aria-label': `Account: ${user.username} (${roleLabel(user.role)})`,
  },
  avatar(user.username),
  h('span', { class: 'user-button-text' },
    h('span', { class: 'user-button-name', testid: 'user-name' }, user.username),
    h('span', { class: 'user-button-role', testid: 'user-role' }, roleLabel(user.role))),
  icon('chevron', 'icon user-caret'));

  const item = (testid, ic, label, onselect, extra = '') => h('button', {
    type: 'button', role: 'menuitem', class: `menu-item ${extra}`.trim(), testid, tabindex: '-1',
    onclick: () => { close(false); onselect(); },
  }, icon(ic), h('span', {}, label));

  const menu = h('div', { class: 'menu', id: menuId, role: 'menu', 'aria-label': 'Account', testid: 'user-menu-list', hidden: true },
    h('div', { class: 'menu-head', role: 'presentation' },
      avatar(user.username, 'avatar avatar-lg'),
      h('div', {},
        h('strong', { class: 'menu-name' }, user.username),
        h('span', { class: `role-badge role-${user.role}` }, roleLabel(user.role)))),
    h('div', { class: 'menu-sep', role: 'separator' }),
    item('menu-change-password', 'lock', 'Change password', () => changePasswordDialog()),
    item('menu-sessions', 'device', 'My sessions', () => { location.hash = '#/sessions'; }),
    item('menu-tokens', 'key', 'My API tokens', () => { location.hash = '#/tokens'; }),
    h('div', { class: 'menu-sep', role: 'separator' }),
    item('menu-logout', 'logout', 'Sign out', () => onSignOut(), 'menu-item-danger'));

  const items = () => [...menu.querySelectorAll('[role="menuitem"]')];
  const isOpen = () => !menu.hidden;

  function open(focusFirst = true) {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', outside, true);
    if (focusFirst) items()[0].focus();
  }
  function close(refocus = true) {
    if (!isOpen()) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (refocus) button.focus();
  }
  function outside(e) {
    if (!root.contains(e.target)) close(false);
  }

  button.addEventListener('click', () => (isOpen() ? close() : open()));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); open(); }
  });
  menu.addEventListener('keydown', (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement);
    if (e.key === 'Escape') { e.preventDefault(); close(); }
    else if (e.key === 'ArrowDown') { e.preventDefault(); list[(i + 1) % list.length].focus(); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); list[(i - 1 + list.length) % list.length].focus(); }
    else if (e.key === 'Home') { e.preventDefault(); list[0].focus(); }
    else if (e.key === 'End') { e.preventDefault(); list[list.length - 1].focus(); }
    else if (e.key === 'Tab') close(false);
  });

  clear(root).append(button, menu);
  return () => { close(false); clear(root); };
}

export async function changePasswordDialog() {
  const current = passwordInput({ testid: 'password-current', autocomplete: 'current-password' });
  const fresh = passwordInput({ testid: 'password-new', autocomplete: 'new-password', minlength: MIN_PASSWORD });
  const again = passwordInput({ testid: 'password-again', autocomplete: 'new-password', minlength: MIN_PASSWORD });
  const done = await formDialog({
    title: 'Change your password',
    intro: 'Your other sessions are signed out when the password changes; this one stays.',
    testid: 'password-dialog',
    submitLabel: 'Change password',
    content: [
      field({ label: 'Current password', control: current.input, box: current.el }),
      field({ label: 'New password', control: fresh.input, box: fresh.el, hint: `At least ${MIN_PASSWORD} characters.` }),
      field({ label: 'New password again', control: again.input, box: again.el }),
    ],
    submit: async () => {
      if (!current.input.value) throw new FormError('Enter your current password.');
      if ([...fresh.input.value].length < MIN_PASSWORD) throw new FormError(`The new password needs at least ${MIN_PASSWORD} characters.`);
      if (fresh.input.value !== again.input.value) throw new FormError('The two new passwords differ.');
      try {
        await api.changePassword(current.input.value, fresh.input.value);
      } catch (e) {
        if (e.status === 403) throw new FormError('The current password is wrong.');
        throw e;
      }
      return true;
    },
  });
  if (done) toast('Password changed; your other sessions were signed out');
}

// #/sessions: where one is signed in, and a way to end any of it.
export function mountSessions(root) {
  let disposed = false;
  const body = h('div', { class: 'card-body card-body-flush' });
  const count = h('span', { class: 'count', testid: 'sessions-count' });
  const others = h('button', {
    type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'sessions-revoke-others', hidden: true,
    onclick: () => revokeOthers(),
  }, icon('logout'), 'Sign out everywhere else');
  root.append(h('section', { class: 'view view-sessions', testid: 'view-sessions' },
    pageHead('device', 'My sessions', 'Every browser where you are signed in. Sessions end by themselves after a period of inactivity; end any you do not recognise.'),
    h('section', { class: 'card card-flush' },
      h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, 'Active sessions ', count), others),
      body)));
  let sessions = [];

  async function load() {
    try {
      const { data } = await api.sessions();
      if (disposed) return;
      sessions = data.sessions || [];
      render();
    } catch (e) {
      if (disposed) return;
      clear(body).append(h('div', { class: 'empty' }, icon('alert', 'icon empty-icon'), h('h2', {}, 'Could not load your sessions'), h('p', {}, e.message)));
    }
  }

  function render() {
    count.textContent = String(sessions.length);
    others.hidden = !sessions.some((s) => !s.current);
    sessions.sort((a, b) => (b.current - a.current) || String(b.last_seen).localeCompare(String(a.last_seen)));
    clear(body).append(h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', testid: 'sessions-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'Address'),
        h('th', { scope: 'col' }, 'Signed in'), h('th', { scope: 'col' }, 'Last active'),
        h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, sessions.map((s) => h('tr', { testid: 'session-row', dataset: { current: String(!!s.current) } },
        h('td', { 'data-label': 'Device' },
          h('span', { class: 'cell-main', title: s.user_agent || '' }, icon('device'), describeAgent(s.user_agent)),
          s.current ? h('span', { class: 'pill pill-ok', testid: 'session-current' }, 'This browser') : null),
        h('td', { 'data-label': 'Address' }, h('code', { class: 'mono' }, s.address || '—')),
        h('td', { 'data-label': 'Signed in', title: s.created_at || '' }, fmtDate(s.created_at)),
        h('td', { 'data-label': 'Last active', title: s.last_seen || '' }, s.current ? 'now' : fmtRelative(s.last_seen)),
        h('td', { class: 'col-actions' },
          h('button', {
            type: 'button', class: 'btn btn-sm btn-danger-outline', testid: 'session-revoke',
            'aria-label': s.current ? 'Sign out of this browser' : `End the session of ${describeAgent(s.user_agent)} at ${s.address}`,
            onclick: () => revoke(s),
          }, icon('logout'), s.current ? 'Sign out' : 'End session'))))))));
  }

  async function revoke(s) {
    if (s.current) {
      document.getElementById('user-menu').querySelector('[data-testid="menu-logout"]')?.click();
      return;
    }
    try {
      await api.revokeSession(s.id);
      toast('Session ended');
    } catch (e) {
      showError(e, 'Could not end the session');
    }
    load();
  }

  async function revokeOthers() {
    const list = sessions.filter((s) => !s.current);
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
    load();
  }

  clear(body).append(h('div', { class: 'skeleton' }, h('span'), h('span'), h('span')));
  load();
  return () => { disposed = true; };
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
