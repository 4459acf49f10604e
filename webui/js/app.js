// Entry point: asks vireod who is signed in, shows the sign-in screen or
// the app, and wires the header (host, sections, live status, theme, user
// menu), the router and the views together. Any 401 on the way brings the
// sign-in screen back; signing in again returns to the same page.

import { api, dropFirstAnswers, onUnauthorized } from './api.js';
import { h, icon, clear } from './dom.js';
import * as live from './live.js';
import { loadHost, resetHost } from './host.js';
import { parseHash, startRouter } from './router.js';
import { showError, clearError, clearAllErrors, toast } from './ui.js';
import { mountUserMenu } from './account.js';
import { closeAllDialogs } from './forms.js';
import { canOperate, getUser, setUser, isAdmin } from './session.js';
import { startTasks, stopTasks } from './task-store.js';

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
  { key: 'hosts', href: '#/hosts', label: 'Hosts', icon: 'server', views: ['hosts'] },
  { key: 'backups', href: '#/backups', label: 'Backups', icon: 'clock', views: ['backups'], operator: true },
  { key: 'users', href: '#/users', label: 'Users', icon: 'users', views: ['users'], admin: true },
  { key: 'tokens', href: '#/tokens', label: 'API tokens', icon: 'key', views: ['tokens'] },
  { key: 'audit', href: '#/audit', label: 'Audit log', icon: 'audit', views: ['audit'], admin: true },
];
const ADMIN_VIEWS = new Set(['users', 'audit']);
// Operators' too (their own backup jobs and backups); not viewers'.
const OPERATOR_VIEWS = new Set(['backups']);

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
let loginSeq = 0;
let signInSeq = 0; // moves at each sign-out: what a sign-in left for later is dropped
let unmountMenu = null;
let unmountTaskCenter = null;
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
  const operator = canOperate();
  clear(nav).append(...SECTIONS.filter((s) => (admin || !s.admin) && (operator || !s.operator)).map((s) => {
    const current = route && s.views.includes(route.view);
    return h('a', {
      class: `tab${current ? ' is-current' : ''}`, href: s.href, testid: `nav-${s.key}`,
      'aria-current': current ? 'page' : null,
    }, icon(s.icon), h('span', {}, s.label));
  }));
}

// What each route shows: the page title, its module (imported when first
// shown, so the first screen loads only what it needs) and how to mount it
// (which returns the function that unmounts it).
const VIEWS = {
  list: { title: () => 'Guests', load: () => import('./vm-list.js'), mount: (m, main, r) => m.mountList(main, r.query || {}) },
  dashboard: { title: () => 'Dashboard', load: () => import('./dashboard.js'), mount: (m, main) => m.mountDashboard(main) },
  detail: { title: (r) => r.name, load: () => import('./vm-detail.js'), mount: (m, main, r) => m.mountDetail(main, r.name, r.query && r.query.host) },
  users: { title: () => 'Users', load: () => import('./users.js'), mount: (m, main) => m.mountUsers(main) },
  tokens: { title: () => 'API tokens', load: () => import('./tokens.js'), mount: (m, main) => m.mountTokens(main) },
  storage: {
    title: (r) => (r.pool ? `${r.pool} · Storage` : 'Storage'), load: () => import('./storage.js'), mount: (m, main, r) => m.mountStorage(main, r.pool || null),
  },
  networks: {
    title: (r) => (r.network ? `${r.network} · Networks` : 'Networks'), load: () => import('./networks.js'), mount: (m, main, r) => m.mountNetworks(main, r.network || null),
  },
  hosts: { title: () => 'Hosts', load: () => import('./hosts.js'), mount: (m, main) => m.mountHosts(main) },
  templates: { title: () => 'Templates', load: () => import('./templates.js'), mount: (m, main) => m.mountTemplates(main) },
  backups: { title: () => 'Backups', load: () => import('./backups.js'), mount: (m, main) => m.mountBackups(main) },
  create: { title: () => 'New VM', load: () => import('./create-vm.js'), mount: (m, main, r) => m.mountCreateVm(main, r.query || {}) },
  audit: { title: () => 'Audit log', load: () => import('./audit.js'), mount: (m, main, r) => m.mountAudit(main, r.query || {}) },
  sessions: { title: () => 'My sessions', load: () => import('./account.js'), mount: (m, main) => m.mountSessions(main) },
  account: { title: () => 'My account', load: () => import('./my-account.js'), mount: (m, main) => m.mountAccount(main) },
};

// A page that cannot be shown: not allowed, or no such address.
function notShown(testid, ic, title, text) {
  return h('section', { class: 'view', testid },
    h('div', { class: 'card empty' }, icon(ic, 'icon empty-icon'),
      h('h1', {}, title),
      h('p', {}, text),
      h('a', { class: 'btn btn-primary', href: '#/' }, 'Go to your guests')));
}

let routeSeq = 0;
let viewShown = false; // a view was shown since the page loaded (later ones fade in)

// The view's module: at once when it has loaded before (the first page's
// was asked for as app.js ran), so showing it takes no task of its own and
// the browser paints no empty page between the sign-in check and the view.
const loaded = new Map(); // view -> module
function loadView(view) {
  return view.load().then((mod) => { loaded.set(view, mod); return mod; });
}

async function showRoute(route) {
  if (state !== 'in') return; // shown after sign-in
  const seq = ++routeSeq;
  const main = document.getElementById('main');
  if (unmountView) unmountView();
  unmountView = null;
  renderNav(route);
  const view = VIEWS[route.view];
  let shown;
  if (ADMIN_VIEWS.has(route.view) && !isAdmin()) {
    document.title = 'Not allowed · Vireo';
    shown = notShown('view-forbidden', 'lock', 'Admins only',
      `This page is for admins. You are signed in as ${getUser().username}, a ${getUser().role}.`);
  } else if (OPERATOR_VIEWS.has(route.view) && !canOperate()) {
    document.title = 'Not allowed · Vireo';
    shown = notShown('view-forbidden', 'lock', 'Operators and admins only',
      `This page is for operators and admins. You are signed in as ${getUser().username}, a ${getUser().role}.`);
  } else if (view) {
    document.title = `${view.title(route)} · Vireo`;
    let mod;
    try {
      mod = loaded.get(view) || await loadView(view);
    } catch (e) {
      mod = null;
      shown = notShown('view-unloaded', 'alert', 'This page did not load', `Reload the page to try again (${e.message}).`);
    }
    // Another route, or a sign-out, came while the module loaded.
    if (seq !== routeSeq || state !== 'in') return;
    if (mod) {
      clear(main);
      main.classList.toggle('is-first-view', !viewShown);
      unmountView = view.mount(mod, main, route);
    }
  } else {
    document.title = 'Not found · Vireo';
    shown = notShown('view-missing', 'search', 'Nothing here', 'This address inside Vireo does not exist.');
  }
  if (shown) clear(main).append(shown);
  viewShown = true;
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
  let idle = Number(user.idle_timeout) || 0;
  try {
    if (idle) sessionStorage.setItem(IDLE_KEY, String(idle));
    else idle = Number(sessionStorage.getItem(IDLE_KEY)) || 0;
  } catch { /* storage off */ }
  startIdleWatch(idle);
  live.start();
  // After typing a password, focus moves to the page that opens.
  firstView = !interactive;
  if (rerun) rerun();
  // The header's user menu and task drawer, and the host's facts, a task later:
  // the page's first rows wait for none of them (they come in the same
  // frame all the same, unless the rows took longer than one).
  const seq = signInSeq;
  setTimeout(() => {
    if (seq !== signInSeq) return; // signed out (and maybe in again) meanwhile
    unmountMenu = mountUserMenu(document.getElementById('user-menu'), user, { onSignOut: signOut });
    loadHost();
    startTasks();
    // The drawer's module too: the first screen neither fetches nor runs it.
    import('./task-center.js').then(({ mountTaskCenter }) => {
      if (seq === signInSeq) unmountTaskCenter = mountTaskCenter(document.getElementById('task-center'));
    }, () => {});
  });
}

// Back to the sign-in screen. `reason` picks its notice.
function signedOut(reason) {
  signInSeq += 1;
  stopIdleWatch();
  live.stop();
  stopTasks();
  if (unmountTaskCenter) unmountTaskCenter();
  unmountTaskCenter = null;
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
  unmountLogin = null;
  const seq = ++loginSeq;
  import('./login.js').then(({ mountLogin }) => {
    if (seq !== loginSeq || state !== 'out') return;
    unmountLogin = mountLogin(document.getElementById('login-root'), { reason, onSignedIn: signedIn });
  }, () => {
    clear(document.getElementById('login-root')).append(h('p', { class: 'notice' }, 'The sign-in page did not load: reload the page.'));
  });
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

async function boot(firstLoad) {
  try {
    // The first page's module too, to show it as soon as the answer is here.
    const [{ data }] = await Promise.all([api.whoami(), firstLoad]);
    signedIn(data, { interactive: false });
  } catch (e) {
    signedOut(e.status === 401 ? null : 'offline');
  }
  // Signed in, the guest list took its early answer (live.start); signed
  // out, it must not serve the next person's first list.
  dropFirstAnswers();
}

initTheme();
initLiveIndicator();
onUnauthorized(() => {
  if (state === 'in') signedOut('expired');
});
// The first page's module loads while vireod is asked who is signed in.
const firstPage = VIEWS[parseHash(location.hash).view];
rerun = startRouter(showRoute);
boot(firstPage && loadView(firstPage).catch(() => {}));
