// Live figures in words a person reads at a glance: CPU shares, memory,
// rates and uptimes (memory in binary units like the rest of the UI, rates
// in decimal ones as network tools show them). No DOM: the charts' axes,
// the dashboard's gauges and the tests use the same functions.

const missing = (v) => typeof v !== 'number' || !Number.isFinite(v);

// One decimal where it tells something, none where it would be noise.
function short(x) {
  if (x >= 100) return String(Math.round(x));
  if (x >= 10) return (Math.round(x * 10) / 10).toString();
  return (Math.round(x * 100) / 100).toString();
}

// 0.234 -> "0.23 %", 12.34 -> "12.3 %", 99.96 -> "100 %".
export function fmtPercent(v) {
  return missing(v) ? '—' : `${short(Math.max(0, v))} %`;
}

// v in the largest unit it reaches, each `base` times the one before.
function scaled(v, base, units) {
  if (missing(v) || v < 0) return '—';
  let i = 0;
  while (v >= base && i < units.length - 1) { v /= base; i++; }
  return `${i === 0 ? Math.round(v) : short(v)} ${units[i]}`;
}

// Bytes in binary units: 229732352 -> "219 MiB".
export const fmtMemory = (bytes) => scaled(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']);

// Bytes per second in decimal units: 3095444 -> "3.1 MB/s".
export const fmtRate = (bps) => scaled(bps, 1000, ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s']);

// Seconds up: 42 -> "42 s", 3725 -> "1 h 2 min", 200000 -> "2 d 7 h".
export function fmtUptime(seconds) {
  if (missing(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (d > 0) return hr ? `${d} d ${hr} h` : `${d} d`;
  if (hr > 0) return min ? `${hr} h ${min} min` : `${hr} h`;
  if (min > 0) return `${min} min ${s % 60} s`;
  return `${s} s`;
}

// The formatter of a series' unit, as the history answer names it.
export const FORMAT = { percent: fmtPercent, bytes: fmtMemory, 'bytes/s': fmtRate };
