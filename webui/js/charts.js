// Time-series line charts, drawn by uPlot (webui/vendor/uplot, pinned in
// packaging/webui-vendor; loaded on the first chart, so pages without
// charts never fetch it). A chart shows some columns of a StatsSeries
// (stats-series.js) over the series' whole range, with a legend of the
// newest figures (the figures under the pointer while it hovers) and, for
// screen readers, a text alternative saying the same in words. Colours come
// from the stylesheet (--chart-* in css/charts.css), read again when the
// theme changes. uPlot sizes its elements through the CSSOM, which the
// page's Content-Security-Policy (style-src 'self') allows.

import { h } from './dom.js';
import { FORMAT } from './units.js';
import { RANGES } from './stats-series.js';

// The charts' stylesheets (the graphs' and the dashboard's looks, and
// uPlot's), added to the page by the first page with charts rather than
// by index.html, so the guest list's first screen neither fetches nor
// waits for them; the pages that draw charts (all of them import this
// module) run once the styles are in, so no chart is drawn unstyled.
await Promise.all(['../css/charts.css', '../vendor/uplot/uPlot.min.css'].map((path) => new Promise((done) => {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = new URL(path, import.meta.url).pathname;
  link.onload = done;
  link.onerror = done; // unstyled rather than no page
  document.head.append(link);
})));

let loading = null;
const loadUplot = () => (loading ||= import('../vendor/uplot/uPlot.esm.js').then((m) => m.default));

// Charts on screen, to redraw when the colour theme changes.
const shown = new Set();
let palette = null;
let watching = false;

function readPalette() {
  const css = getComputedStyle(document.documentElement);
  const get = (name) => css.getPropertyValue(name).trim();
  palette = {
    axis: get('--chart-axis'), grid: get('--chart-grid'), font: `11px ${get('--font') || 'sans-serif'}`,
    cpu: get('--chart-cpu'), cpu2: get('--chart-cpu2'), peak: get('--chart-peak'),
    mem: get('--chart-mem'), in: get('--chart-in'), out: get('--chart-out'),
  };
}

function watchTheme() {
  if (watching) return;
  watching = true;
  const again = () => {
    readPalette();
    for (const c of shown) c.redraw();
  };
  new MutationObserver(again).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', again);
}

// "#12845e" + 0.15 -> "rgba(18, 132, 94, 0.15)": the fill under a line.
function translucent(hex, alpha) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || '');
  if (!m) return 'transparent';
  return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
}

// Ticks of memory at whole binary sizes (256 MiB, 1 GiB), not 268435456,
// and of rates at whole bytes (no "0.5 B/s").
const BYTE_STEPS = [0, 1, 2, 3, 4, 5].flatMap((k) => [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((m) => m * 1024 ** k));
const RATE_STEPS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].flatMap((k) => [1, 2, 5].map((m) => m * 10 ** k));

// Times under the x axis in the reader's own clock and words: hours and
// minutes, days, or months, by the distance between two ticks.
function timeTicks(u, splits, axisIdx, space, incr) {
  const opts = incr >= 28 * 86400 ? { month: 'short', year: 'numeric' }
    : incr >= 86400 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' };
  const f = new Intl.DateTimeFormat(undefined, opts);
  return splits.map((t) => f.format(new Date(t * 1000)));
}

// The top of the y axis: percent charts end at a round share (so 0.4 % is
// not a flat line at the bottom of 0-100) and a hair above it (a line at
// 100 % is not cut in half by the edge), the others a little above their peak.
function yRange(unit, max) {
  if (unit === 'percent') {
    const top = [1, 2, 5, 10, 25, 50, 100].find((t) => t >= (max || 0) * 1.1) || 100;
    return [0, top * 1.03];
  }
  // An idle disk or NIC still gets a scale that reads as "nothing".
  const floor = unit === 'bytes/s' ? 1000 : 1024 * 1024;
  return [0, Math.max(floor, (max || 0) * 1.15)];
}

// The index of the newest figure of a column, as uPlot's points.filter
// wants it, or null.
function newest(col) {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null && col[i] !== undefined) return [i];
  return null;
}

// lines: [{key, label, colour (a palette name), dash, fill, peak, when(series)}]:
// the columns of a StatsSeries this chart draws; `when` leaves a line out
// (e.g. peaks, which equal the averages when a bucket holds one sample);
// `peak`: the line of each bucket's largest sample.
// unit: 'percent', 'bytes' or 'bytes/s'. Returns {el, update(series, note), destroy()}.
export function lineChart({ title, unit, lines, testid, height = 160 }) {
  const fmt = FORMAT[unit];
  const legendItems = lines.map((l) => {
    const value = h('span', { class: 'chart-value', testid: `${testid}-${l.key}` }, '—');
    const item = h('span', { class: 'chart-key' },
      h('span', { class: `chart-swatch chart-swatch-${l.colour}${l.dash ? ' is-dashed' : ''}`, 'aria-hidden': 'true' }),
      h('span', { class: 'chart-label' }, l.label), value);
    return { item, value };
  });
  const plot = h('div', { class: 'chart-plot', role: 'img', 'aria-label': `${title}: loading` });
  const empty = h('p', { class: 'chart-empty', testid: `${testid}-empty`, hidden: true });
  const el = h('figure', { class: 'chart', testid, dataset: { points: '0' } },
    h('figcaption', { class: 'chart-head' },
      h('span', { class: 'chart-title' }, title),
      h('span', { class: 'chart-legend' }, legendItems.map((x) => x.item))),
    plot, empty);

  const c = { series: null, u: null, disposed: false, creating: false, observer: null };
  // uPlot draws in series order: peaks first, under the lines they top.
  const drawn = [...lines.filter((l) => l.peak), ...lines.filter((l) => !l.peak)];
  const shows = (l) => !c.series || !l.when || l.when(c.series);
  const columns = () => {
    const [time, ...cols] = c.series.data();
    return [time, ...drawn.map((l) => {
      const i = c.series.keys.indexOf(l.key);
      return shows(l) && i >= 0 ? cols[i] : time.map(() => null);
    })];
  };

  // idx: the point under the pointer (uPlot's data, in drawing order), or
  // null for the newest figures.
  function legend(idx) {
    lines.forEach((l, j) => {
      legendItems[j].item.hidden = !shows(l);
      let v = null;
      if (c.u && idx !== null && idx !== undefined) v = c.u.data[drawn.indexOf(l) + 1][idx];
      else if (c.series) v = (c.series.last(l.key) || {}).value;
      legendItems[j].value.textContent = fmt(v);
    });
  }

  // What a screen reader hears instead of the picture.
  function describe() {
    const s = c.series;
    const words = (RANGES[s.range] || RANGES['1h']).words;
    const parts = lines.filter(shows).map((l) => {
      const sum = s.summary(l.key);
      const last = s.last(l.key);
      if (!sum) return `${l.label}: no figures`;
      if (l.peak) return `largest single sample ${fmt(sum.max)}`;
      return `${l.label} now ${fmt(last && last.value)}, average ${fmt(sum.avg)}, highest ${fmt(sum.max)}`;
    });
    return `${title} over ${words}: ${parts.join('; ')}.`;
  }

  async function create() {
    if (c.u || c.creating || c.disposed) return;
    const width = plot.clientWidth;
    if (!width) return; // not laid out yet: the resize observer comes back
    c.creating = true;
    const uPlot = await loadUplot();
    c.creating = false;
    if (c.disposed || c.u) return;
    if (!palette) readPalette();
    watchTheme();
    const stroke = (name) => () => palette[name];
    c.u = new uPlot({
      width: plot.clientWidth || width,
      height,
      legend: { show: false },
      select: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
      scales: {
        x: { time: true, range: () => [c.series.from, c.series.to] },
        y: { range: (u, min, max) => yRange(unit, max) },
      },
      axes: [
        {
          stroke: stroke('axis'), font: palette.font, grid: { stroke: stroke('grid'), width: 1 }, ticks: { stroke: stroke('grid'), width: 1, size: 4 },
          values: timeTicks, space: 60,
        },
        {
          stroke: stroke('axis'), font: palette.font, grid: { stroke: stroke('grid'), width: 1 }, ticks: { show: false },
          values: (u, splits) => splits.map((v) => fmt(v)),
          size: (u, values) => 14 + 6.5 * Math.max(4, ...(values || []).map((v) => String(v).length)),
          incrs: unit === 'bytes' ? BYTE_STEPS : unit === 'bytes/s' ? RATE_STEPS : undefined,
        },
      ],
      series: [{}, ...drawn.map((l) => ({
        label: l.label,
        stroke: stroke(l.colour),
        width: l.colour === 'peak' ? 1 : 1.75,
        dash: l.dash ? [6, 4] : undefined,
        fill: l.fill ? () => translucent(palette[l.colour], 0.14) : undefined,
        spanGaps: false,
        // Points too close to draw one by one (a VM started a minute ago,
        // on an hour's axis) still show where the newest figure is.
        points: { size: 5, filter: (u, si, show) => (show ? null : newest(u.data[si])) },
      }))],
      hooks: { setCursor: [(u) => legend(u.cursor.idx)] },
    }, columns(), plot);
    shown.add(c);
  }

  c.redraw = () => { if (c.u) c.u.redraw(); };

  c.observer = new ResizeObserver(() => {
    if (!c.series || c.disposed) return;
    if (!c.u) { create(); return; }
    const width = plot.clientWidth;
    if (width && width !== c.u.width) c.u.setSize({ width, height });
  });
  c.observer.observe(plot);

  return {
    el,
    // New figures (a history answer, or one more live sample). `note`:
    // words shown instead of the picture (no figures, not measured), or null.
    update(series, note = null) {
      c.series = series;
      const points = series.count(lines[0].key);
      el.dataset.points = String(points);
      el.dataset.range = series.range;
      el.dataset.last = String(series.time.length ? series.time[series.time.length - 1] : 0);
      empty.textContent = note || '';
      empty.hidden = !note;
      plot.hidden = !!note;
      plot.setAttribute('aria-label', describe());
      legend(null);
      if (note) return;
      if (c.u) {
        c.u.setData(columns());
      } else {
        create();
      }
    },
    destroy() {
      c.disposed = true;
      c.observer.disconnect();
      shown.delete(c);
      if (c.u) c.u.destroy();
      c.u = null;
    },
  };
}
