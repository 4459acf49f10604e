// The web UI's first screen with many VMs, as a browser sees it: bytes on
// the wire (compressed bodies and headers, from Chromium's own network
// events) and the time from navigation start until every row of the guest
// list is on screen, over fresh browser profiles (cold cache) and then a
// warm one. A benchmark: it prints figures and never fails on one.
// Run by tests/bench/first-screen.sh, which starts vireod and defines the VMs.
// Env: BASE, PASSWORD (admin's), ROWS (rows to wait for), RUNS, CHROMIUM,
// OUT (the table, and beside it OUT's .json: every load's figures),
// WATERFALL (1: the timelines of the median cold and warm loads too).

import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(new URL('../e2e/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const ROWS = Number(process.env.ROWS || 100);
const RUNS = Number(process.env.RUNS || 10);

async function login() {
  const r = await fetch(`${BASE}/api/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: process.env.PASSWORD }),
  });
  if (r.status !== 200) throw new Error(`login: ${r.status}`);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('vireo_session='));
  const [name, value] = cookie.split('=');
  return { name, value, url: BASE };
}

// One load of "/" in `context`: {bytes, requests, ms, files}.
async function load(context) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
  const bytes = new Map(); // requestId -> bytes so far
  const urls = new Map();
  const cached = new Set(); // requestIds the browser answered from its cache
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, new URL(e.request.url).pathname));
  cdp.on('Network.requestServedFromCache', (e) => cached.add(e.requestId));
  cdp.on('Network.responseReceived', (e) => { if (e.response.fromDiskCache) cached.add(e.requestId); });
  cdp.on('Network.dataReceived', (e) => bytes.set(e.requestId, (bytes.get(e.requestId) || 0) + e.encodedDataLength));
  cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, Math.max(bytes.get(e.requestId) || 0, e.encodedDataLength)));
  // When the rows are all there, by the page's own clock.
  // (the first rows: a screenful; a long list builds the rest a frame later).
  await page.addInitScript((rows) => {
    window.longTasks = [];
    new PerformanceObserver((l) => window.longTasks.push(...l.getEntries())).observe({ type: 'longtask' });
    new MutationObserver((_, obs) => {
      const n = document.querySelectorAll('[data-testid="vm-row"]').length;
      if (n >= Math.min(rows, 20) && window.firstRowsMs === undefined) window.firstRowsMs = performance.now();
      if (n >= rows) {
        window.firstScreenMs = performance.now();
        obs.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  }, ROWS);
  await page.goto(`${BASE}/`);
  await page.waitForFunction(() => window.firstScreenMs !== undefined, null, { timeout: 30000 }).catch(async (e) => {
    const seen = await page.evaluate(() => `${location.hash} rows=${document.querySelectorAll('[data-testid="vm-row"]').length} ${document.body.innerText.slice(0, 200)}`);
    throw new Error(`the list did not show ${ROWS} rows: ${seen}`, { cause: e });
  });
  const { ms, firstMs, timeline } = await page.evaluate(() => ({
    ms: window.firstScreenMs,
    firstMs: window.firstRowsMs,
    // Where the time went: each request's start, first byte and end by the
    // page's clock, the navigation's own and the browser's paint marks.
    timeline: [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
      .map((e) => ({ at: e.startTime, first: e.responseStart, end: e.responseEnd, what: new URL(e.name).pathname, bytes: e.transferSize }))
      .concat([
        { at: performance.timing.domInteractive - performance.timing.navigationStart, what: '(DOM interactive)' },
        ...performance.getEntriesByType('paint').map((e) => ({ at: e.startTime, what: `(${e.name})` })),
        ...performance.getEntriesByType('mark').map((e) => ({ at: e.startTime, what: `(mark ${e.name})` })),
        ...window.longTasks.map((e) => ({ at: e.startTime, end: e.startTime + e.duration, what: '(long task)' })),
      ]).sort((a, b) => a.at - b.at),
  }));
    const settled = [...bytes.values()].reduce((a, b) => a + b, 0);
  await page.close();
  const files = [...new Set(urls.values())].sort();
  const sent = [...urls.keys()].filter((id) => !cached.has(id)).length;
  return { bytes: settled, requests: sent, fromCache: urls.size - sent, ms, firstMs, files, timeline };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
});
const cookie = await login();
const cold = [];
for (let i = 0; i < RUNS; i++) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([cookie]);
  cold.push(await load(context));
  await context.close();
}
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
await context.addCookies([cookie]);
await load(context);
const warm = [];
for (let i = 0; i < RUNS; i++) warm.push(await load(context));
await browser.close();

const kb = (b) => (b / 1024).toFixed(1);
const ms = (rs, key) => `${median(rs.map((r) => r[key])).toFixed(0)} (${Math.max(...rs.map((r) => r[key])).toFixed(0)})`;
const lines = [
  `First screen: a list of ${ROWS} or more guests, from navigation start, ${RUNS} runs each (medians; max in brackets).`,
  '',
  '| | transferred (KiB) | requests to vireod | from the browser\'s cache | first 20 rows (ms) | all rows (ms) |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...[['cold cache', cold], ['warm cache', warm]].map(([what, rs]) => `| ${what} | ${kb(median(rs.map((r) => r.bytes)))} (${kb(Math.max(...rs.map((r) => r.bytes)))}) | ${median(rs.map((r) => r.requests))} | ${median(rs.map((r) => r.fromCache))} | ${ms(rs, 'firstMs')} | ${ms(rs, 'ms')} |`),
  '',
  `Files of a cold load: ${cold[0].files.join(' ')}`,
];
// WATERFALL=1: the timeline of the cold and warm loads nearest their median.
if (process.env.WATERFALL) {
  for (const [what, rs] of [['cold', cold], ['warm', warm]]) {
    const mid = median(rs.map((r) => r.firstMs));
    const r = rs.find((x) => x.firstMs === mid);
    lines.push('', `Timeline of a ${what} load (first 20 rows at ${r.firstMs.toFixed(0)} ms): start, first byte, end (ms), bytes`);
    const f = (x) => (x === undefined ? '' : x.toFixed(0).padStart(5));
    for (const e of r.timeline) lines.push(`${f(e.at)} ${f(e.first)} ${f(e.end)} ${String(e.bytes ?? '').padStart(6)} ${e.what}`);
  }
}
console.log(lines.join('\n'));
if (process.env.OUT) {
  writeFileSync(process.env.OUT, `${lines.join('\n')}\n`);
  // Every load's figures, to pool several runs (the .md's name, .json).
  const raw = (rs) => rs.map(({ bytes, requests, fromCache, firstMs, ms }) => ({ bytes, requests, fromCache, firstMs, ms }));
  writeFileSync(process.env.OUT.replace(/\.md$/, '.json'), JSON.stringify({ cold: raw(cold), warm: raw(warm) }));
}
