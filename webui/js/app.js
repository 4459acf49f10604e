// Entry point: asks vireod who is signed in, shows the sign-in screen or
// the app, and wires the header (host, sections, live status, theme, user
// menu), the router and the views together. Any 401 on the way brings the
// sign-in screen back; signing in again returns to the same page.

import { api, onUnauthorized } from './api.js';
import { h, icon, clear } from './dom.js';
import * as live from './live.js';
import { loadHost, resetHost } from './host.js';
import { startRouter } from './router.js';
import { showError, clearError, clearAllErrors, toast } from './ui.js';
import { mountList } from './vm-list.js';
import { mountDashboard } from './dashboard.js';
import { mountDetail } from './vm-detail.js';
import { mountLogin } from './login.js';
import { mountUserMenu, mountSessions } from './account.js';
import { mountUsers } from './users.js';
import { mountAccount } from './my-account.js';
import { mountTokens } from './tokens.js';
import { mountAudit } from './audit.js';
import { mountStorage } from './storage.js';
import { mountNetworks } from './networks.js';
import { mountTemplates } from './templates.js';
import { mountCreateVm } from './create-vm.js';
import { closeAllDialogs } from './forms.js';
import { getUser, setUser, isAdmin } from './session.js';

const THEMES = ['auto', 'light', 'dark'];
const THEME_LABEL = { auto: 'follow system', light: 'light', dark: 'dark' };
const THEME_ICON = { auto: 'auto', light: 'sun', dark: 'moon' };

// The sections in the header; `admin` ones are shown to admins only.
const SECTIONS = [
  { key: 'dashboard', href: '#/dashboard', label: 'Dashboard', icon: 'gauge', views: ['dashboard'] },
  { key: 'guests', href: '#/', label: 'Guests', icon: 'guests', views: ['list', 'detail', 'create'] },
  { key: 'templates', href: '#/templates', label: 'Templates', icon: 'copy', views: ['templates'] },
  { key: 'storage', href: '#/storage', label: 'Storage', icon: 'disk', views: ['storage'] },
  { key: 'networks', href: '#/networks', label: 'Networks', icon: 'net', views: ['networks'] },
  { key: 'users', href: '#/users', label: 'Users', icon: 'users', views: ['users'], admin: true },
  { key: 'tokens', href: '#/tokens', label: 'API tokens', icon: 'key', views: ['tokens'] },
  { key: 'audit', href: '#/audit', label: 'Audit log', icon: 'audit', views: ['audit'], admin: true },
];
const ADMIN_VIEWS = new Set(['users', 'audit']);

// The page polls while visible, which keeps the session fresh on the
// daemon's side; so the page itself ends a session nobody is using, after
// the idle time the login answer gave (kept for reloads of this tab).
const IDLE_KEY = 'vireo.idle_timeout';
const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart'];
let idleTimer = null;
let idleSeconds = 0;

function noteActivity() {
  clearTimeout(idleTimer);
  if (state === 'in' && idleSeconds > 0) idleTimer = setTimeout(idleSignOut, idleSeconds * 1000);
}

function startIdleWatch(seconds) {
  idleSeconds = seconds > 0 ? seconds : 0;
  for (const ev of ACTIVITY) document.addEventListener(ev, noteActivity, { passive: true, capture: true });
  noteActivity();
}

function stopIdleWatch() {
  clearTimeout(idleTimer);
  for (const ev of ACTIVITY) document.removeEventListener(ev, noteActivity, { capture: true });
}

async function idleSignOut() {
  if (state !== 'in') return;
  try { await api.logout(); } catch { /* gone already */ }
  signedOut('idle');
}

let state = 'checking'; // 'checking' | 'out' | 'in'
let unmountView = null;
let unmountLogin = null;
let unmountMenu = null;
let rerun = null;
let firstView = true;

function initTheme() {
  const btn = document.getElementById('theme-toggle');
  let theme = 'auto';
  try { theme = localStorage.getItem('vireo.theme') || 'auto'; } catch { /* private mode */ }
  if (!THEMES.includes(theme)) theme = 'auto';
  const apply = () => {
    document.documentElement.dataset.theme = theme;
    const label = `Colour theme: ${THEME_LABEL[theme]}`;
    btn.setAttribute('aria-label', `${label} (click to change)`);
    btn.title = label;
    clear(btn).append(icon(THEME_ICON[theme]));
  };
  btn.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    try { localStorage.setItem('vireo.theme', theme); } catch { /* private mode */ }
    apply();
  });
  apply();
}

function initLiveIndicator() {
  const el = document.getElementById('live-indicator');
  const text = el.querySelector('.live-text');
  const labels = {
    live: ['Live', 'Guest states refresh every 2 seconds'],
    paused: ['Paused', 'Refreshing is paused while this tab is hidden'],
    offline: ['Offline', 'vireod is not answering; retrying'],
    connecting: ['Connecting', 'Connecting to vireod'],
  };
  let streaming = false;
  let shown = 'connecting';
  const show = () => {
    const [label, title] = labels[shown] || labels.connecting;
    el.dataset.live = shown;
    text.textContent = label;
    el.title = shown === 'live' && streaming ? 'Guest states change here as they change' : title;
  };
  live.onStatus((status) => { shown = status; show(); });
  // data-stream: whether changes arrive on the event stream or by polling.
  live.onStream((open) => { streaming = open; el.dataset.stream = open ? 'open' : 'closed'; show(); });
  // One banner while the daemon is unreachable, gone once it answers again.
  live.subscribe((snap) => {
    if (snap.error && snap.error.status !== 401) {
      const context = snap.error.code === 'network' ? 'Lost contact with vireod'
        : snap.error.code === 'unavailable' ? 'The hypervisor is not answering' : 'Could not refresh the guest list';
      showError(snap.error, context, { key: 'poll' });
    }
    else clearError('poll');
  });
}

function renderNav(route) {
  const nav = document.getElementById('main-nav-links');
  const admin = isAdmin();
  clear(nav).append(...SECTIONS.filter((s) => admin || !s.admin).map((s) => {
    const current = route && s.views.includes(route.view);
    return h('a', {
      class: `tab${current ? ' is-current' : ''}`, href: s.href, testid: `nav-${s.key}`,
      'aria-current': current ? 'page' : null,
    }, icon(s.icon), h('span', {}, s.label));
  }));
}

// What each route shows: the page title and the page's mount function
// (which returns the function that unmounts it).
const VIEWS = {
  list: { title: () => 'Guests', mount: (main) => mountList(main) },
  dashboard: { title: () => 'Dashboard', mount: (main) => mountDashboard(main) },
  detail: { title: (r) => r.name, mount: (main, r) => mountDetail(main, r.name) },
  users: { title: () => 'Users', mount: (main) => mountUsers(main) },
  tokens: { title: () => 'API tokens', mount: (main) => mountTokens(main) },
  storage: { title: (r) => (r.pool ? `${r.pool} · Storage` : 'Storage'), mount: (main, r) => mountStorage(main, r.pool || null) },
  networks: { title: (r) => (r.network ? `${r.network} · Networks` : 'Networks'), mount: (main, r) => mountNetworks(main, r.network || null) },
  templates: { title: () => 'Templates', mount: (main) => mountTemplates(main) },
  create: { title: () => 'New VM', mount: (main, r) => mountCreateVm(main, r.query || {}) },
  audit: { title: () => 'Audit log', mount: (main, r) => mountAudit(main, r.query || {}) },
  sessions: { title: () => 'My sessions', mount: (main) => mountSessions(main) },
  account: { title: () => 'My account', mount: (main) => mountAccount(main) },
};

// A page that cannot be shown: not allowed, or no such address.
function notShown(testid, ic, title, text) {
  return h('section', { class: 'view', testid },
    h('div', { class: 'card empty' }, icon(ic, 'icon empty-icon'),
      h('h1', {}, title),
      h('p', {}, text),
      h('a', { class: 'btn btn-primary', href: '#/' }, 'Go to your guests')));
}

function showRoute(route) {
  if (state !== 'in') return; // shown after sign-in
  const main = document.getElementById('main');
  if (unmountView) unmountView();
  unmountView = null;
  clear(main);
  renderNav(route);
  const view = VIEWS[route.view];
  if (ADMIN_VIEWS.has(route.view) && !isAdmin()) {
    document.title = 'Not allowed · Vireo';
    main.append(notShown('view-forbidden', 'lock', 'Admins only',
      `This page is for admins. You are signed in as ${getUser().username}, a ${getUser().role}.`));
  } else if (view) {
    document.title = `${view.title(route)} · Vireo`;
    unmountView = view.mount(main, route);
  } else {
    document.title = 'Not found · Vireo';
    main.append(notShown('view-missing', 'search', 'Nothing here', 'This address inside Vireo does not exist.'));
  }
  // Move focus to the new view for keyboard and screen-reader users,
  // but not on the first load, where the browser's own order is right.
  if (!firstView) main.focus({ preventScroll: true });
  firstView = false;
  window.scrollTo(0, 0);
}

function setAuthState(s) {
  state = s;
  document.body.dataset.auth = s;
}

function signedIn(user, { interactive = true } = {}) {
  if (unmountLogin) unmountLogin();
  unmountLogin = null;
  setUser(user);
  setAuthState('in');
  unmountMenu = mountUserMenu(document.getElementById('user-menu'), user, { onSignOut: signOut });
  let idle = Number(user.idle_timeout) || 0;
  try {
    if (idle) sessionStorage.setItem(IDLE_KEY, String(idle));
    else idle = Number(sessionStorage.getItem(IDLE_KEY)) || 0;
  } catch { /* storage off */ }
  startIdleWatch(idle);
  loadHost();
  live.start();
  // After typing a password, focus moves to the page that opens.
  firstView = !interactive;
  if (rerun) rerun();
}

// Back to the sign-in screen. `reason` picks its notice.
function signedOut(reason) {
  stopIdleWatch();
  live.stop();
  resetHost();
  closeAllDialogs();
  clearAllErrors();
  if (unmountView) unmountView();
  unmountView = null;
  if (unmountMenu) unmountMenu();
  unmountMenu = null;
  clear(document.getElementById('main'));
  clear(document.getElementById('main-nav-links'));
  setUser(null);
  setAuthState('out');
  document.title = 'Sign in · Vireo';
  if (unmountLogin) unmountLogin();
  unmountLogin = mountLogin(document.getElementById('login-root'), { reason, onSignedIn: signedIn });
}

async function signOut() {
  try {
    await api.logout();
  } catch (e) {
    // Already gone (401) is what we wanted; anything else is worth saying.
    if (e.status !== 401) {
      toast(`Could not sign out: ${e.message}`, { tone: 'warn' });
      return;
    }
  }
  // The next person to sign in here starts from the guest list.
  history.replaceState(null, '', '#/');
  signedOut('signedout');
}

async function boot() {
  try {
    const { data } = await api.whoami();
    signedIn(data, { interactive: false });
  } catch (e) {
    signedOut(e.status === 401 ? null : 'offline');
  }
}

initTheme();
initLiveIndicator();
onUnauthorized(() => {
  if (state === 'in') signedOut('expired');
});
rerun = startRouter(showRoute);
boot();
