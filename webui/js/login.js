// The sign-in screen: shown at start when GET /api/session answers 401, and
// whenever any request does (the session ended, was revoked, or the
// password changed elsewhere). Says plainly what went wrong: a wrong
// password, too many attempts (with the wait, counted down), or a daemon
// that does not answer.

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { passwordInput } from './forms.js';
import { spinner } from './widgets.js';

const NOTICES = {
  expired: ['info', 'Your session has ended. Sign in again to continue.'],
  signedout: ['ok', 'You have signed out.'],
  password: ['ok', 'Your password was changed. Sign in with the new one.'],
  idle: ['info', 'You were signed out after a period of inactivity.'],
  offline: ['warn', 'vireod did not answer just now. Check that it is running, then sign in.'],
};

// Shows the screen in `root`. `onSignedIn(user)` runs after a good login.
// Returns a function that tears the screen down. The screen's state (a
// sign-in under way, the throttling countdown, the controls) goes to every
// function below.
export function mountLogin(root, { reason = null, onSignedIn }) {
  const s = { busy: false, countdown: null, onSignedIn, el: controls() };
  const screen = layout(s, reason);
  clear(root).append(screen);
  (s.el.username.value ? s.el.pw.input : s.el.username).focus();
  return () => {
    clearInterval(s.countdown);
    screen.remove();
  };
}

function controls() {
  const pw = passwordInput({ testid: 'login-password', autocomplete: 'current-password' });
  pw.input.name = 'password';
  pw.input.classList.add('input-lg');
  pw.input.id = 'login-password';
  return {
    username: h('input', {
      class: 'input input-lg', id: 'login-username', name: 'username', testid: 'login-username', type: 'text',
      autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true,
    }),
    pw,
    alert: h('div', { class: 'form-alert', role: 'alert', testid: 'login-error', hidden: true }),
    submit: h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg', testid: 'login-submit' },
      h('span', { class: 'btn-label' }, 'Sign in')),
  };
}

// Why the screen is shown, when there is a reason to say (signed out, expired ...).
function notice(reason) {
  if (!reason || !NOTICES[reason]) return null;
  const [tone, text] = NOTICES[reason];
  return h('div', { class: `login-notice login-notice-${tone}`, role: 'status', testid: 'login-notice' },
    icon({ ok: 'check', warn: 'alert' }[tone] || 'info'), h('span', {}, text));
}

function layout(s, reason) {
  const { el } = s;
  const form = h('form', { class: 'login-form', testid: 'login-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); signIn(s); } },
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'Username'), el.username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), el.pw.el),
    el.alert,
    el.submit);
  return h('section', { class: 'login-screen', testid: 'login-page', 'aria-labelledby': 'login-title' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' },
        h('img', { class: 'login-logo', src: 'favicon.svg', alt: '', width: '48', height: '48' }),
        h('span', { class: 'login-product' }, 'Vireo')),
      h('h1', { class: 'login-title', id: 'login-title' }, 'Sign in'),
      h('p', { class: 'login-sub' }, 'Manage the virtual machines of this host.'),
      notice(reason),
      form),
    h('p', { class: 'login-foot' },
      h('span', { class: 'login-foot-note' }, icon('lock'), 'Sessions end by themselves after a period of inactivity.'),
      h('span', { class: 'login-foot-sep', 'aria-hidden': 'true' }, '·'),
      h('a', { href: '/api/openapi.json' }, 'REST API')));
}

function showAlert(s, kind, title, text) {
  const { alert } = s.el;
  alert.dataset.kind = kind;
  alert.replaceChildren(icon(kind === 'throttled' ? 'clock' : 'alert'),
    h('div', {}, h('strong', { testid: 'login-error-title' }, title), h('span', { testid: 'login-error-text' }, text)));
  alert.hidden = false;
}

function setBusy(s, b) {
  const { submit } = s.el;
  s.busy = b;
  submit.disabled = b || !!s.countdown;
  submit.classList.toggle('is-busy', b);
  submit.querySelector('.btn-label').textContent = b ? 'Signing in…' : 'Sign in';
  if (b) submit.prepend(spinner());
  else submit.querySelector('.spinner')?.remove();
}

// 429: counts the wait down and keeps the button off until it is over.
function throttled(s, seconds) {
  clearInterval(s.countdown);
  let left = Math.max(1, seconds);
  const text = () => `Too many failed sign-ins from here or for this user. Try again in ${left} second${left === 1 ? '' : 's'}.`;
  showAlert(s, 'throttled', 'Please wait', text());
  s.el.submit.disabled = true;
  s.countdown = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(s.countdown);
      s.countdown = null;
      s.el.submit.disabled = s.busy;
      showAlert(s, 'ready', 'You can try again now', 'Check the username and password before the next attempt.');
      return;
    }
    s.el.alert.querySelector('[data-testid="login-error-text"]').textContent = text();
  }, 1000);
}

async function signIn(s) {
  const { username, pw, alert } = s.el;
  if (s.busy || s.countdown) return;
  const name = username.value.trim();
  if (!name || !pw.input.value) {
    showAlert(s, 'invalid', 'Missing details', 'Enter your username and password.');
    (name ? pw.input : username).focus();
    return;
  }
  alert.hidden = true;
  setBusy(s, true);
  try {
    const { data } = await api.login(name, pw.input.value);
    pw.input.value = '';
    setBusy(s, false);
    s.onSignedIn(data);
  } catch (e) {
    setBusy(s, false);
    signInFailed(s, e);
  }
}

// Says plainly what went wrong.
function signInFailed(s, e) {
  const { pw } = s.el;
  if (e.status === 401) {
    showAlert(s, 'wrong', 'Wrong username or password', 'Check both and try again. Passwords are case-sensitive.');
    pw.input.select();
    pw.input.focus();
  } else if (e.status === 429) {
    throttled(s, e.retryAfter || Number.parseInt(/(\d+)\s*s\b/.exec(e.message)?.[1] || '5', 10));
  } else if (e.code === 'network') {
    showAlert(s, 'network', 'Cannot reach vireod', e.message);
  } else {
    showAlert(s, 'error', e.title || 'Could not sign in', e.message);
  }
}
