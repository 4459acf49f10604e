// The first screen's modules: every module the shell (js/app.js) imports,
// and every module of the guest list (js/vm-list.js, which app.js imports
// when first shown), found by following their static imports. `make`
// bundles them into three files (packaging/webui-bundle.mjs), which
// index.html loads and preloads (FIRST_FILES), so the browser fetches the
// first screen at once, in few requests, instead of one level of imports
// after another; tests/e2e/webui-modules.test.mjs checks that the bundle's
// first files hold this graph and that index.html preloads them.

import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEBUI = join(dirname(fileURLToPath(import.meta.url)), '..', 'webui');
// The modules whose graphs the first screen needs, from webui/.
export const ENTRIES = ['js/app.js', 'js/vm-list.js'];
// The bundle's files of the first screen (the shell's entry, the chunk of
// every other module of the graph, the guest list's entry), from webui/.
export const FIRST_FILES = ['bundle/app.js', 'bundle/shell.js', 'bundle/vm-list.js'];

// "import { a } from './x.js';", "import * as m from '../y.js';" and
// "import './z.js';", also across lines: the paths, from webui/.
function importsOf(file) {
  const text = readFileSync(join(WEBUI, file), 'utf8');
  return [...text.matchAll(/^import\s+(?:[^'";]*?\s+from\s+)?'(\.{1,2}\/[^']+)';/gm)]
    .map((m) => normalize(join(dirname(file), m[1])));
}

// Every module the entries load, each once, entries first, then in the
// order their imports are found.
export function moduleGraph(entries = ENTRIES) {
  const seen = [];
  const queue = [...entries];
  while (queue.length) {
    const file = queue.shift();
    if (seen.includes(file)) continue;
    seen.push(file);
    queue.push(...importsOf(file));
  }
  return seen;
}
