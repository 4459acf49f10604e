// The console page (console.html#vm=NAME&type=vnc|serial): one guest's
// screen (noVNC) or serial line (xterm.js) filling a window of its own,
// with the keys a browser keeps for itself, typing pasted text, scaling,
// full screen, and starting the guest when it is off. A console opens with
// a one-time ticket (POST /api/vms/NAME/console); when it closes, vireod's
// reason (the guest stopped, access was taken away) is shown.

import { api, onUnauthorized } from './api.js';
import { h, icon, clear } from './dom.js';
import { canDo, stateBadge } from './states.js';
import { canOperate, setUser } from './session.js';
import { openScreen } from './console-vnc.js';
import { openSerial } from './console-serial.js';
import { EJECT_LABEL, EJECT_TITLE, ejectInstaller, hasInstaller } from './eject-installer.js';

// Combinations the browser or the desktop would take for themselves.
// [keysym, KeyboardEvent.code] pairs, pressed in order.
const CTRL = [0xffe3, 'ControlLeft'];
const ALT = [0xffe9, 'AltLeft'];
const fkey = (n) => [0xffbd + n, `F${n}`];
const COMBOS = [
  { label: 'Ctrl+Alt+F1', keys: [CTRL, ALT, fkey(1)] },
  { label: 'Ctrl+Alt+F2', keys: [CTRL, ALT, fkey(2)] },
  { label: 'Ctrl+Alt+F7', keys: [CTRL, ALT, fkey(7)] },
  { label: 'Ctrl+Alt+Backspace', keys: [CTRL, ALT, [0xff08, 'Backspace']] },
  { label: 'Alt+Tab', keys: [ALT, [0xff09, 'Tab']] },
  { label: 'Alt+F4', keys: [ALT, fkey(4)] },
  { label: 'Print Screen', keys: [[0xff61, 'PrintScreen']] },
];

// Seconds between looks at the guest's state (badge, Start button).
const STATE_POLL_MS = 4000;

const page = {
  vm: null,             // name
  type: 'vnc',
  detail: null,         // last GET /api/vms/NAME
  console: null,        // the open screen or serial controls
  scaled: true,
  startAsked: false,    // Start pressed here: connect once it runs
  timer: null,
  els: {},
};

function params() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  return { vm: p.get('vm') || '', type: p.get('type') === 'serial' ? 'serial' : 'vnc' };
}

function note(text, { tone = 'info', actions = [] } = {}) {
  const el = clear(page.els.note);
  el.dataset.tone = tone;
  el.hidden = !text;
  if (text) el.append(h('span', { class: 'console-note-text', testid: 'console-note-text' }, text), ...actions);
}

function hasScreen() {
  return !!page.detail && (page.detail.graphics || []).length > 0;
}

function running() {
  return !!page.detail && ['running', 'paused', 'blocked'].includes(page.detail.state);
}

// ---- the bar ----

function button({ ic, label, testid, onclick, title = label, cls = '' }) {
  return h('button', { type: 'button', class: `btn btn-sm btn-ghost ${cls}`, testid, title, onclick },
    ic ? icon(ic) : null, h('span', { class: 'console-btn-label' }, label));
}

function renderBar() {
  const bar = clear(page.els.bar);
  const link = `./#/vms/${encodeURIComponent(page.vm)}`;
  const kinds = h('div', { class: 'console-kinds', role: 'group', 'aria-label': 'Console' },
    kindButton('vnc', 'Screen', 'screen'), kindButton('serial', 'Serial', 'device'));
  const tools = h('div', { class: 'console-tools' });
  if (page.type === 'vnc') {
    tools.append(
      button({ label: 'Ctrl+Alt+Del', testid: 'console-cad', title: 'Send Ctrl+Alt+Del to the guest',
        onclick: () => page.console?.sendCtrlAltDel() }),
      keysMenu(),
      button({ ic: 'copy', label: 'Type text', testid: 'console-paste', title: 'Type text into the guest', onclick: pasteText }),
      button({ ic: 'screen', label: page.scaled ? 'Actual size' : 'Fit window', testid: 'console-scale',
        title: page.scaled ? 'Show the screen at its actual size' : 'Scale the screen to the window', onclick: toggleScale }));
  } else {
    tools.append(button({ ic: 'copy', label: 'Paste', testid: 'console-paste', title: 'Paste text into the serial line', onclick: pasteText }));
  }
  tools.append(button({ ic: 'device', label: 'Full screen', testid: 'console-fullscreen', onclick: fullScreen }));
  const eject = installerButton();
  if (eject) tools.append(eject);
  bar.append(
    h('a', { class: 'console-brand', href: './#/', 'aria-label': 'Vireo, all guests' },
      h('img', { src: 'favicon.svg', alt: '', width: 24, height: 24 })),
    h('a', { class: 'console-vm', href: link, testid: 'console-vm', title: `Open ${page.vm}'s page` }, page.vm),
    page.detail ? stateBadge(page.detail.state, 'console-state') : null,
    kinds, tools);
}

// Once the OS is installed: empty the CD-ROM drives, boot from the disk.
function installerButton() {
  if (!hasInstaller(page.detail) || !canOperate()) return null;
  return button({
    ic: 'eject', label: EJECT_LABEL, testid: 'console-eject-installer', title: EJECT_TITLE,
    onclick: async () => {
      if (!window.confirm(`Eject the installer from ${page.vm}? Do this once its operating system is installed: the CD-ROM drives are emptied and the disk boots first.`)) return;
      try {
        const { vm, message } = await ejectInstaller(page.vm);
        page.detail = vm;
        renderBar();
        note(message);
      } catch (e) {
        note(`Could not eject the installer: ${e.message}`, { tone: 'bad' });
      }
      page.console?.focus();
    },
  });
}

function kindButton(type, label, ic) {
  const on = page.type === type;
  const disabled = type === 'vnc' && page.detail && !hasScreen();
  return h('button', {
    type: 'button', class: `btn btn-sm console-kind${on ? ' is-current' : ''}`, testid: `console-kind-${type}`,
    'aria-pressed': on ? 'true' : 'false', disabled,
    title: disabled ? 'This guest has no graphical display' : `Show the ${label.toLowerCase()}`,
    onclick: () => { if (!on) { location.hash = `vm=${encodeURIComponent(page.vm)}&type=${type}`; } },
  }, icon(ic), label);
}

function keysMenu() {
  const menu = h('div', { class: 'console-menu', role: 'menu', testid: 'console-keys-menu' },
    COMBOS.map((c) => h('button', {
      type: 'button', class: 'console-menu-item', role: 'menuitem', testid: 'console-combo',
      onclick: (e) => { page.console?.sendCombo(c.keys); e.target.closest('details').open = false; page.console?.focus(); },
    }, c.label)));
  return h('details', { class: 'console-keys' },
    h('summary', { class: 'btn btn-sm btn-ghost', testid: 'console-keys', title: 'Send a key combination' }, icon('key'), h('span', { class: 'console-btn-label' }, 'Keys')),
    menu);
}

function toggleScale() {
  page.scaled = !page.scaled;
  page.console?.setScaled(page.scaled);
  page.els.main.classList.toggle('is-actual-size', !page.scaled);
  renderBar();
}

function fullScreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

async function pasteText() {
  const dlg = document.getElementById('paste-dialog');
  const text = document.getElementById('paste-text');
  text.value = '';
  dlg.returnValue = 'cancel';
  dlg.showModal();
  text.focus();
  await new Promise((resolve) => dlg.addEventListener('close', resolve, { once: true }));
  if (dlg.returnValue !== 'ok' || !text.value) { page.console?.focus(); return; }
  if (page.type === 'serial') {
    page.console?.paste(text.value);
  } else {
    try {
      await api.sendKeys(page.vm, { text: text.value });
    } catch (e) {
      note(`Could not type the text: ${e.message}`, { tone: 'bad' });
    }
  }
  page.console?.focus();
}

// ---- connecting ----

function closeConsole() {
  if (page.console) {
    const c = page.console;
    page.console = null;
    c.close();
  }
  clear(page.els.main);
}

async function connect() {
  closeConsole();
  note(`Connecting to ${page.vm}…`);
  let ticket;
  try {
    ({ data: ticket } = await api.consoleTicket(page.vm, page.type));
  } catch (e) {
    await refreshState();
    offerWhatWorks(e.message);
    return;
  }
  const view = h('div', { class: `console-view console-${page.type}`, testid: `console-${page.type}` });
  page.els.main.append(view);
  const on = {
    connected: () => note(''),
    status: (text) => note(text),
    closed: (why) => onClosed(why),
    typist: (s) => typistNote(s),
    busy: (who) => typistNote({ typist: who, you_type: false }),
  };
  page.console = page.type === 'vnc' ? openScreen(view, ticket.url, on) : openSerial(view, ticket.url, on);
  page.console.setScaled(page.scaled);
}

function typistNote(s) {
  if (s.you_type || !s.typist) { note(''); return; }
  note(s.held_elsewhere ? 'Another program holds this serial line: what you type is not sent.'
    : `${s.typist} is typing here; you are watching.`, {
    actions: [h('button', { type: 'button', class: 'btn btn-sm', testid: 'console-take', onclick: () => page.console?.take() }, 'Type here')],
  });
}

function onClosed({ code, reason }) {
  page.console = null;
  const why = reason || (code === 1006 ? 'the connection to vireod was lost' : 'it closed');
  refreshState().then(() => offerWhatWorks(`The console closed: ${why}.`));
}

// After a failure or a close: what can be done now.
function offerWhatWorks(message) {
  const actions = [];
  if (!running() && page.detail && canOperate() && canDo('start', page.detail.state)) {
    actions.push(h('button', { type: 'button', class: 'btn btn-sm btn-primary', testid: 'console-start', onclick: startVm }, icon('play'), 'Start'));
  } else if (running()) {
    actions.push(h('button', { type: 'button', class: 'btn btn-sm', testid: 'console-reconnect', onclick: connect }, icon('refresh'), 'Reconnect'));
  }
  const off = page.detail && !running() ? ` ${page.vm} is ${page.detail.state === 'shutoff' ? 'shut off' : page.detail.state}.` : '';
  note(`${message}${off}`, { tone: 'warn', actions });
}

async function startVm() {
  note(`Starting ${page.vm}…`);
  try {
    const { data } = await api.action(page.vm, 'start');
    page.detail = data;
    renderBar();
    connect();
  } catch (e) {
    note(`Could not start ${page.vm}: ${e.message}`, { tone: 'bad' });
  }
}

async function refreshState() {
  try {
    const { data } = await api.getVm(page.vm);
    const changed = !page.detail || page.detail.state !== data.state;
    page.detail = data;
    if (changed) renderBar();
  } catch (e) {
    if (e.status === 404) note(`There is no guest named “${page.vm}” that you may see.`, { tone: 'bad' });
  }
}

function follow() {
  clearInterval(page.timer);
  page.timer = setInterval(async () => {
    if (document.hidden) return;
    const was = running();
    await refreshState();
    // Started elsewhere (the guest page, the API): connect by itself.
    if (!page.console && !was && running()) connect();
  }, STATE_POLL_MS);
}

async function show() {
  const p = params();
  page.vm = p.vm;
  page.type = p.type;
  document.title = `${page.vm} — ${page.type === 'vnc' ? 'screen' : 'serial console'} — Vireo`;
  if (!page.vm) { note('No guest named in the address (console.html#vm=NAME).', { tone: 'bad' }); return; }
  await refreshState();
  if (!page.detail) return;
  // A guest without a screen has its serial line.
  if (page.type === 'vnc' && !hasScreen()) page.type = 'serial';
  renderBar();
  if (running()) connect();
  else offerWhatWorks('The guest is not running.');
}

async function boot() {
  page.els = { bar: document.getElementById('console-bar'), note: document.getElementById('console-note'), main: document.getElementById('console-main') };
  try { document.documentElement.dataset.theme = localStorage.getItem('vireo.theme') || 'auto'; } catch { /* private mode */ }
  onUnauthorized(() => {
    closeConsole();
    note('You are signed out.', { tone: 'bad', actions: [h('a', { class: 'btn btn-sm btn-primary', href: `./#/vms/${encodeURIComponent(page.vm)}` }, 'Sign in')] });
  });
  try {
    const { data } = await api.whoami();
    setUser(data);
  } catch (e) {
    note(e.status === 401 ? 'You are not signed in.' : `Cannot reach vireod: ${e.message}`, {
      tone: 'bad', actions: [h('a', { class: 'btn btn-sm btn-primary', href: './' }, 'Sign in')],
    });
    return;
  }
  window.addEventListener('hashchange', show);
  follow();
  show();
}

boot();
