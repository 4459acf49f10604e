// The sign-in screen: shown at start when GET /api/session answers 401, and
// whenever any request does (the session ended, was revoked, or the
// password changed elsewhere). Says plainly what went wrong: a wrong
// password, too many attempts (with the wait, counted down), or a daemon
// that does not answer.

import { api } from './api.js';
import { h, icon, clear } from './dom.js';
import { passwordInput } from './forms.js';

const NOTICES = {
  expired: ['info', 'Your session has ended. Sign in again to continue.'],
  signedout: ['ok', 'You have signed out.'],
  password: ['ok', 'Your password was changed. Sign in with the new one.'],
  idle: ['info', 'You were signed out after a period of inactivity.'],
  offline: ['warn', 'vireod did not answer just now. Check that it is running, then sign in.'],
};

// Shows the screen in `root`. `onSignedIn(user)` runs after a good login.
// Returns a function that tears the screen down.
export function mountLogin(root, { reason = null, onSignedIn }) {
  let countdown = null;
  let busy = false;

  const username = h('input', {
    class: 'input input-lg', id: 'login-username', name: 'username', testid: 'login-username', type: 'text',
    autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true,
  });
  const pw = passwordInput({ testid: 'login-password', autocomplete: 'current-password' });
  pw.input.name = 'password';
  pw.input.classList.add('input-lg');
  pw.input.id = 'login-password';
  const alert = h('div', { class: 'form-alert', role: 'alert', testid: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block btn-lg', testid: 'login-submit' },
    h('span', { class: 'btn-label' }, 'Sign in'));

  const notice = reason && NOTICES[reason]
    ? h('div', { class: `login-notice login-notice-${NOTICES[reason][0]}`, role: 'status', testid: 'login-notice' },
      icon({ ok: 'check', warn: 'alert' }[NOTICES[reason][0]] || 'info'), h('span', {}, NOTICES[reason][1]))
    : null;

  const form = h('form', { class: 'login-form', testid: 'login-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); signIn(); } },
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, 'Username'), username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), pw.el),
    alert,
    submit);

  const screen = h('section', { class: 'login-screen', testid: 'login-page', 'aria-labelledby': 'login-title' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' },
        h('img', { class: 'login-logo', src: 'favicon.svg', alt: '', width: '48', height: '48' }),
        h('span', { class: 'login-product' }, 'Vireo')),
      h('h1', { class: 'login-title', id: 'login-title' }, 'Sign in'),
      h('p', { class: 'login-sub' }, 'Manage the virtual machines of this host.'),
      notice,
      form),
    h('p', { class: 'login-foot' },
      h('span', { class: 'login-foot-note' }, icon('lock'), 'Sessions end by themselves after a period of inactivity.'),
      h('span', { class: 'login-foot-sep', 'aria-hidden': 'true' }, '·'),
      h('a', { href: '/api/openapi.json' }, 'REST API')));

  clear(root).append(screen);
  (username.value ? pw.input : username).focus();

  function showAlert(kind, title, text) {
    alert.dataset.kind = kind;
    alert.replaceChildren(icon(kind === 'throttled' ? 'clock' : 'alert'),
      h('div', {}, h('strong', { testid: 'login-error-title' }, title), h('span', { testid: 'login-error-text' }, text)));
    alert.hidden = false;
  }

  function setBusy(b) {
    busy = b;
    submit.disabled = b || !!countdown;
    submit.classList.toggle('is-busy', b);
    const label = submit.querySelector('.btn-label');
    label.textContent = b ? 'Signing in…' : 'Sign in';
    if (b) submit.prepend(h('span', { class: 'spinner', 'aria-hidden': 'true' }));
    else submit.querySelector('.spinner')?.remove();
  }

  // 429: counts the wait down and keeps the button off until it is over.
  function throttled(seconds) {
    clearInterval(countdown);
    let left = Math.max(1, seconds);
    const text = () => `Too many failed sign-ins from here or for this user. Try again in ${left} second${left === 1 ? '' : 's'}.`;
    showAlert('throttled', 'Please wait', text());
    submit.disabled = true;
    countdown = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(countdown);
        countdown = null;
        submit.disabled = busy;
        showAlert('ready', 'You can try again now', 'Check the username and password before the next attempt.');
        return;
      }
      alert.querySelector('[data-testid="login-error-text"]').textContent = text();
    }, 1000);
  }

  async function signIn() {
    if (busy || countdown) return;
    const name = username.value.trim();
    if (!name || !pw.input.value) {
      showAlert('invalid', 'Missing details', 'Enter your username and password.');
      (name ? pw.input : username).focus();
      return;
    }
    alert.hidden = true;
    setBusy(true);
    try {
      const { data } = await api.login(name, pw.input.value);
      pw.input.value = '';
      setBusy(false);
      onSignedIn(data);
    } catch (e) {
      setBusy(false);
      if (e.status === 401) {
        showAlert('wrong', 'Wrong username or password', 'Check both and try again. Passwords are case-sensitive.');
        pw.input.select();
        pw.input.focus();
      } else if (e.status === 429) {
        throttled(e.retryAfter || Number.parseInt(/(\d+)\s*s\b/.exec(e.message)?.[1] || '5', 10));
      } else if (e.code === 'network') {
        showAlert('network', 'Cannot reach vireod', e.message);
      } else {
        showAlert('error', e.title || 'Could not sign in', e.message);
      }
    }
  }

  return () => {
    clearInterval(countdown);
    screen.remove();
  };
}
