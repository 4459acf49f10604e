// The guest's screen in noVNC, over the WebSocket vireod's console ticket
// opens. The socket is made here and handed to noVNC, so that the close
// code and reason vireod sends (the VM stopped, access was taken away) can
// be shown; noVNC itself only says whether the end was clean.

import RFB from '../vendor/novnc/core/rfb.js';

// {type:'vnc', url} from POST /api/vms/NAME/console -> a ws(s):// address.
export function socketUrl(url) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${url}`;
}

// Opens the screen into `container`. on.status(text), on.connected(),
// on.closed({code, reason, clean}) tell how it goes. Returns the controls.
export function openScreen(container, ticketUrl, on) {
  const ws = new WebSocket(socketUrl(ticketUrl), ['binary']);
  let closed = null;
  ws.addEventListener('close', (e) => { closed = { code: e.code, reason: e.reason }; });
  const rfb = new RFB(container, ws, { shared: true });
  rfb.scaleViewport = true;
  rfb.clipViewport = false;
  rfb.resizeSession = false;
  rfb.focusOnClick = true;
  rfb.background = 'transparent';
  rfb.addEventListener('connect', () => { on.connected(); rfb.focus(); });
  rfb.addEventListener('disconnect', (e) => {
    const c = closed || { code: 1006, reason: '' };
    on.closed({ ...c, clean: e.detail.clean });
  });
  rfb.addEventListener('desktopname', (e) => on.status?.(`Screen: ${e.detail.name}`));
  rfb.addEventListener('securityfailure', (e) => on.status?.(`The display refused the connection: ${e.detail.reason || 'security failure'}`));
  return {
    kind: 'vnc',
    focus: () => rfb.focus(),
    setScaled: (scaled) => { rfb.scaleViewport = scaled; rfb.clipViewport = !scaled; },
    sendCtrlAltDel: () => rfb.sendCtrlAltDel(),
    // Presses keysyms in order and releases them in reverse (a combination).
    sendCombo: (keys) => {
      for (const [sym, code] of keys) rfb.sendKey(sym, code, true);
      for (const [sym, code] of [...keys].reverse()) rfb.sendKey(sym, code, false);
    },
    close: () => rfb.disconnect(),
  };
}
