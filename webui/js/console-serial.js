// The guest's serial line in xterm.js. Bytes both ways are binary
// WebSocket messages; text messages are vireod's JSON about who types
// (one person types at a time, the others watch until they take it).

import { Terminal } from '../vendor/xterm/xterm.mjs';
import { FitAddon } from '../vendor/xterm/addon-fit.mjs';
import { socketUrl } from './console-vnc.js';

const encoder = new TextEncoder();

function themeFromPage() {
  const css = getComputedStyle(document.documentElement);
  const v = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  return { background: v('--console-bg', '#0b0f0d'), foreground: v('--console-fg', '#e5efeb'), cursor: v('--accent', '#2fbf86') };
}

// Opens the serial line into `container`. on.connected(), on.closed({code,
// reason}), on.typist({typist, you_type, viewers, held_elsewhere}) and
// on.busy(typist) tell how it goes. Returns the controls.
export function openSerial(container, ticketUrl, on) {
  const term = new Terminal({
    convertEol: false,
    cursorBlink: true,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    fontSize: 14,
    scrollback: 5000,
    theme: themeFromPage(),
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(container);
  fit.fit();
  const onResize = () => fit.fit();
  window.addEventListener('resize', onResize);

  const ws = new WebSocket(socketUrl(ticketUrl), ['binary']);
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('open', () => { on.connected(); term.focus(); });
  ws.addEventListener('message', (e) => {
    if (typeof e.data === 'string') {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      if (msg.type === 'status') on.typist?.(msg);
      else if (msg.type === 'busy') on.busy?.(msg.typist);
      else if (msg.type === 'error') on.status?.(msg.message);
      return;
    }
    term.write(new Uint8Array(e.data));
  });
  ws.addEventListener('close', (e) => {
    window.removeEventListener('resize', onResize);
    term.options.cursorBlink = false;
    on.closed({ code: e.code, reason: e.reason, clean: e.wasClean });
  });
  const send = (bytes) => { if (ws.readyState === WebSocket.OPEN) ws.send(bytes); };
  term.onData((data) => send(encoder.encode(data)));
  term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0))));

  return {
    kind: 'serial',
    term,
    focus: () => term.focus(),
    setScaled: () => fit.fit(),
    take: () => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'take' })); },
    // Pasted text goes down the line as it is (a terminal paste).
    paste: (text) => send(encoder.encode(text.replace(/\r?\n/g, '\r'))),
    close: () => { ws.close(1000); term.dispose(); },
  };
}
