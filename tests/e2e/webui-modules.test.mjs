// The web UI's module rule, checked on the source (no browser, no daemon):
// a page module (one whose mount function app.js routes to) is imported by
// app.js alone. Widgets two pages share live in shared modules (widgets.js,
// forms.js, ...), never in the page that first needed them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const JS = new URL('../../webui/js/', import.meta.url).pathname;
const modules = readdirSync(JS).filter((f) => f.endsWith('.js'));
// "import { a, b } from './x.js';" -> [['a', 'b'], 'x.js'], also across lines.
const importsOf = (file) => [...readFileSync(join(JS, file), 'utf8').matchAll(/^import\s+(?:\{([^}]*)\}|\*\s+as\s+\w+)\s+from\s+'\.\/([\w-]+\.js)';/gm)]
  .map((m) => [(m[1] || '').split(',').map((s) => s.trim()).filter(Boolean), m[2]]);

// The modules app.js imports when a page is first shown: import('./x.js').
const lazyOf = (file) => [...readFileSync(join(JS, file), 'utf8').matchAll(/import\('\.\/([\w-]+\.js)'\)/g)].map((m) => m[1]);

test('page modules are imported by the app shell only', () => {
  const pages = new Set(importsOf('app.js').filter(([names]) => names.some((n) => /^mount[A-Z]/.test(n))).map(([, from]) => from)
    .concat(lazyOf('app.js')));
  assert.ok(pages.size >= 10, `app.js mounts the pages (found ${[...pages].join(', ')})`);
  const wrong = [];
  for (const file of modules) {
    if (file === 'app.js') continue;
    for (const [names, from] of importsOf(file)) {
      if (pages.has(from)) wrong.push(`${file} imports ${names.join(', ')} from the page ${from}`);
    }
    for (const from of lazyOf(file)) if (pages.has(from)) wrong.push(`${file} imports the page ${from}`);
  }
  assert.deepEqual(wrong, [], 'move what two pages share into a shared module');
});

// The first screen (the guest list) loads no other page: app.js imports
// pages only when they are first shown.
test('app.js imports no page module up front but the header\'s account menu', () => {
  const eager = importsOf('app.js').map(([, from]) => from).filter((f) => lazyOf('app.js').includes(f));
  assert.deepEqual(eager, ['account.js'], 'import pages with import() in VIEWS');
  assert.ok(lazyOf('app.js').includes('vm-list.js') && lazyOf('app.js').includes('login.js'), 'pages are imported lazily');
});

// The first screen (the shell and the guest list, by their static imports)
// is bundled by `make` (packaging/webui-bundle.mjs) into three files, which
// index.html loads and preloads, so a cold load fetches three module files
// instead of one per module; the other pages stay in files of their own.
// A module added, or an import, without running make fails here.
test('index.html loads the first screen as three bundled files', async () => {
  const { FIRST_FILES, moduleGraph } = await import('../../packaging/webui-preload.mjs');
  const graph = moduleGraph();
  assert.ok(graph.includes('js/app.js') && graph.includes('js/vm-list.js') && graph.includes('js/dom.js'), graph.join(' '));
  assert.ok(!graph.includes('js/vm-detail.js') && !graph.includes('js/login.js'), 'other pages load when first shown');
  const bundle = new URL('../../webui/bundle/', import.meta.url).pathname;
  const stamp = statSync(join(bundle, '.stamp')).mtimeMs;
  const stale = modules.filter((f) => statSync(join(JS, f)).mtimeMs > stamp);
  assert.deepEqual(stale, [], 'the bundle is older than these modules: run make');
  const meta = JSON.parse(readFileSync(join(bundle, '.meta'), 'utf8'));
  // What the browser fetches before the shell runs: the shell's entry and
  // what it imports statically, and the guest list's entry and its imports.
  const first = new Set();
  const follow = (file) => {
    if (first.has(file)) return;
    assert.ok(meta[file], `${file} is in the bundle`);
    first.add(file);
    for (const i of meta[file].imports) if (i.kind === 'import-statement') follow(i.path);
  };
  follow('bundle/app.js');
  follow('bundle/vm-list.js');
  assert.deepEqual([...first].sort(), [...FIRST_FILES].sort());
  // Those files hold every module of the first screen's graph, and no other page.
  const held = [...first].flatMap((f) => meta[f].inputs);
  assert.deepEqual(graph.filter((m) => !held.includes(m)), [], 'modules of the first screen outside its files');
  assert.deepEqual(held.filter((m) => !graph.includes(m)), [], 'modules of other pages in the first screen\'s files');
  assert.ok(meta['bundle/vm-detail.js'].inputs.includes('js/vm-detail.js') && meta['bundle/login.js'], 'each page has a file of its own');
  const html = readFileSync(new URL('../../webui/index.html', import.meta.url), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\{\{static\}\}\/([^"]+)">/g)].map((m) => m[1]);
  assert.deepEqual(preloaded.sort(), [...FIRST_FILES].sort());
  assert.match(html, /<script type="module" src="\{\{static\}\}\/bundle\/app\.js"><\/script>/);
});

// Every audited action of the route table (and the console's own entry)
// has its words on the Audit page, so no entry reads as a bare id.
test('the audit page words every action the daemon records', () => {
  const routes = readFileSync(new URL('../../api/core/api_routes.c', import.meta.url), 'utf8');
  const actions = [...routes.matchAll(/\.action = "([\w.]+)"/g)].map((m) => m[1]).concat(['vm.console']);
  assert.ok(actions.length >= 40, `actions parsed from api_routes.c: ${actions.length}`);
  const audit = readFileSync(join(JS, 'audit.js'), 'utf8');
  const missing = [...new Set(actions)].filter((a) => !audit.includes(`'${a}'`));
  assert.deepEqual(missing, [], 'give these actions words in webui/js/audit.js');
});

// One chart wrapper: only charts.js loads uPlot, so the dashboard and the
// VM page draw through the same code (and pages without charts never load it).
test('uPlot is loaded by charts.js alone', () => {
  const users = modules.filter((f) => /vendor\/uplot\//.test(readFileSync(join(JS, f), 'utf8')));
  assert.deepEqual(users, ['charts.js']);
  const pages = ['dashboard.js', 'vm-detail.js'].filter((f) => readFileSync(join(JS, f), 'utf8').includes("from './stats-graphs.js'"));
  assert.deepEqual(pages, ['dashboard.js', 'vm-detail.js'], 'both pages build their graphs with stats-graphs.js');
});
