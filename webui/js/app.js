// Entry point: wires the header (host, live status, theme), the router and
// the views together.

import { h, icon, clear } from './dom.js';
import * as live from './live.js';
import { loadHost } from './host.js';
import { startRouter } from './router.js';
import { showError, clearError } from './ui.js';
import { mountList } from './vm-list.js';
import { mountDetail } from './vm-detail.js';

const THEMES = ['auto', 'light', 'dark'];
const THEME_LABEL = { auto: 'follow system', light: 'light', dark: 'dark' };
const THEME_ICON = { auto: 'auto', light: 'sun', dark: 'moon' };

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
  live.onStatus((status) => {
    const [label, title] = labels[status] || labels.connecting;
    el.dataset.live = status;
    text.textContent = label;
    el.title = title;
  });
  // One banner while the daemon is unreachable, gone once it answers again.
  live.subscribe((snap) => {
    if (snap.error) {
      const context = snap.error.code === 'network' ? 'Lost contact with vireod'
        : snap.error.code === 'unavailable' ? 'The hypervisor is not answering' : 'Could not refresh the guest list';
      showError(snap.error, context, { key: 'poll' });
    }
    else clearError('poll');
  });
}

function initRouter() {
  const main = document.getElementById('main');
  let unmount = null;
  let first = true;
  startRouter((route) => {
    if (unmount) unmount();
    unmount = null;
    clear(main);
    if (route.view === 'list') {
      document.title = 'Guests · Vireo';
      unmount = mountList(main);
    } else if (route.view === 'detail') {
      document.title = `${route.name} · Vireo`;
      unmount = mountDetail(main, route.name);
    } else {
      document.title = 'Not found · Vireo';
      main.append(h('section', { class: 'view', testid: 'view-missing' },
        h('div', { class: 'card empty' }, icon('search', 'icon empty-icon'),
          h('h1', {}, 'Nothing here'),
          h('p', {}, 'This address inside Vireo does not exist.'),
          h('a', { class: 'btn btn-primary', href: '#/' }, 'Go to your guests'))));
    }
    // Move focus to the new view for keyboard and screen-reader users,
    // but not on the first load, where the browser's own order is right.
    if (!first) main.focus({ preventScroll: true });
    first = false;
    window.scrollTo(0, 0);
  });
}

initTheme();
initLiveIndicator();
initRouter();
loadHost();
live.start();
