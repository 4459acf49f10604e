// Small DOM builder, icons and formatting helpers shared by the views.
// Nothing here touches innerHTML with data: text always goes in as text nodes.

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'indeterminate', 'open']);

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'testid') el.dataset.testid = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// A fresh element id ("size-3"), to tie a label or hint to its control.
let seq = 0;
export const uid = (prefix) => `${prefix}-${++seq}`;

// Stroke icons, 24x24 grid. Drawn for Vireo.
const ICONS = {
  play: 'M7 4.5v15l12-7.5z',
  power: 'M12 3v8 M6.3 6.8a8 8 0 1 0 11.4 0',
  stop: 'M6 6h12v12H6z',
  reboot: 'M20 12a8 8 0 1 1-2.3-5.6 M20 4v5h-5',
  pause: 'M8 5v14 M16 5v14',
  resume: 'M7 4.5v15l12-7.5z',
  reset: 'M4 12a8 8 0 1 0 2.3-5.6 M4 4v5h5 M12 8v4l3 2',
  trash: 'M4 7h16 M9 7V4h6v3 M6 7l1 13h10l1-13 M10 11v6 M14 11v6',
  back: 'M15 5l-7 7 7 7',
  close: 'M6 6l12 12 M18 6L6 18',
  search: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14z M20 20l-4-4',
  refresh: 'M20 12a8 8 0 1 1-2.3-5.6 M20 4v5h-5',
  sun: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8z M12 2v2 M12 20v2 M4.9 4.9l1.4 1.4 M17.7 17.7l1.4 1.4 M2 12h2 M20 12h2 M4.9 19.1l1.4-1.4 M17.7 6.3l1.4-1.4',
  moon: 'M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z',
  auto: 'M12 3a9 9 0 1 0 0 18z M12 3a9 9 0 0 1 0 18',
  cpu: 'M7 7h10v10H7z M10 10h4v4h-4z M9 3v4 M15 3v4 M9 17v4 M15 17v4 M3 9h4 M3 15h4 M17 9h4 M17 15h4',
  memory: 'M3 8h18v8H3z M7 8v8 M11 8v8 M15 8v8 M5 16v3 M19 16v3',
  disk: 'M4 6h16v12H4z M4 14h16 M16 16.5h1',
  net: 'M12 3v6 M12 15v6 M5 12h14 M8 9h8v6H8z',
  bridge: 'M2 17h20 M4 17v-3a8 8 0 0 1 16 0v3 M8 17v-6 M12 17V8 M16 17v-6',
  screen: 'M3 5h18v11H3z M8 20h8 M12 16v4',
  server: 'M4 4h16v7H4z M4 13h16v7H4z M8 7.5h.01 M8 16.5h.01',
  copy: 'M9 9h11v11H9z M5 15H4V4h11v1',
  alert: 'M12 3l10 18H2z M12 10v5 M12 18h.01',
  check: 'M5 12l5 5 9-10',
  edit: 'M4 20h4L19 9l-4-4L4 16z M14 6l4 4',
  empty: 'M3 7h18v13H3z M3 7l3-4h12l3 4 M9 12h6',
  user: 'M12 4a4 4 0 1 0 0 8 4 4 0 0 0 0-8z M4 21a8 8 0 0 1 16 0',
  users: 'M9 4a4 4 0 1 0 0 8 4 4 0 0 0 0-8z M2 21a7 7 0 0 1 14 0 M16 4.5a4 4 0 0 1 0 7 M18 14.5a7 7 0 0 1 4 6.5',
  key: 'M8 11a4 4 0 1 0 0 8 4 4 0 0 0 0-8z M11 13l9-9 M17 7l3 3 M15 9l2 2',
  audit: 'M6 3h9l4 4v14H6z M14 3v5h5 M9 12h7 M9 16h7',
  logout: 'M14 4h5v16h-5 M10 8l-4 4 4 4 M6 12h10',
  lock: 'M6 11h12v10H6z M8 11V8a4 4 0 0 1 8 0v3',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z M9 12l2 2 4-4',
  eye: 'M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6z',
  'eye-off': 'M3 3l18 18 M10.6 5.1A10 10 0 0 1 12 5c6.5 0 10 7 10 7a17 17 0 0 1-3.2 4 M6.6 6.6C3.7 8.5 2 12 2 12s3.5 7 10 7a9.6 9.6 0 0 0 5.4-1.6 M9.9 9.9a3 3 0 0 0 4.2 4.2',
  plus: 'M12 5v14 M5 12h14',
  upload: 'M12 16V4 M7 9l5-5 5 5 M4 16v4h16v-4',
  download: 'M12 4v12 M7 11l5 5 5-5 M4 16v4h16v-4',
  clone: 'M9 9h11v11H9z M5 15H4V4h11v1 M14.5 12v5 M12 14.5h5',
  tasks: 'M4 6h2 M4 12h2 M4 18h2 M9 6h11 M9 12h11 M9 18h7',
  chevron: 'M6 9l6 6 6-6',
  device: 'M4 5h16v11H4z M2 19h20',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M12 7v5l3 2',
  filter: 'M3 5h18l-7 8v6l-4 2v-8z',
  guests: 'M3 4h18v7H3z M3 13h18v7H3z M7 7.5h.01 M7 16.5h.01 M11 7.5h6 M11 16.5h6',
  dice: 'M4 4h16v16H4z M8.5 8.5h.01 M15.5 15.5h.01 M15.5 8.5h.01 M8.5 15.5h.01 M12 12h.01',
  info: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z M12 11v6 M12 7.5h.01',
  eject: 'M12 5l7 8H5z M5 18h14',
  gauge: 'M3.5 17a9 9 0 1 1 17 0 M12 14l4-5 M12 14h.01 M6.5 17h11',
  activity: 'M3 12h4l3 7 4-14 3 7h4',
};

export function icon(name, cls = 'icon') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name] || ICONS.alert);
  svg.append(path);
  return svg;
}

// 512 -> "512 MiB", 2048 -> "2 GiB", 1536 -> "1.5 GiB".
export function fmtMiB(mib) {
  if (typeof mib !== 'number' || !Number.isFinite(mib)) return '—';
  if (mib < 1024) return `${Math.round(mib)} MiB`;
  const gib = mib / 1024;
  if (gib < 1024) return `${trim(gib)} GiB`;
  return `${trim(gib / 1024)} TiB`;
}

// Bytes in binary units: 0 -> "0 B", 196608 -> "192 KiB", 1073741824 -> "1 GiB",
// 1610612736 -> "1.5 GiB".
export function fmtBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${v} B` : `${trim(v)} ${units[i]}`;
}

function trim(x) {
  return (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10).toString();
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtRelative(iso) {
  const t = new Date(iso).getTime();
  if (!iso || Number.isNaN(t)) return '';
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 0) return 'just now';
  const units = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month']];
  let v = s;
  for (const [n, unit] of units) {
    if (v < n) return `${v} ${unit}${v === 1 ? '' : 's'} ago`;
    v = Math.floor(v / n);
  }
  return `${v} year${v === 1 ? '' : 's'} ago`;
}

// "in 3 days", "in 5 hours" for a time to come.
export function fmtFuture(iso) {
  const t = new Date(iso).getTime();
  if (!iso || Number.isNaN(t)) return '';
  let v = Math.round((t - Date.now()) / 1000);
  if (v <= 0) return 'now';
  const units = [[60, 'second'], [60, 'minute'], [24, 'hour'], [30, 'day'], [12, 'month']];
  for (const [n, unit] of units) {
    if (v < n) return `in ${v} ${unit}${v === 1 ? '' : 's'}`;
    // Rounded, so a token made to last 30 days says "in 30 days", not 29.
    v = Math.round(v / n);
  }
  return `in ${v} year${v === 1 ? '' : 's'}`;
}

export const dash = (v) => (v === null || v === undefined || v === '' ? '—' : v);
