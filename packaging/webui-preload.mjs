// Writes the first screen's <link rel="modulepreload"> list into
// webui/index.html (run by `make`): every module the shell (js/app.js)
// imports, and every module of the guest list (js/vm-list.js, which app.js
// imports when first shown), found by following their static imports. The
// browser then fetches them all at once instead of one level of imports
// after another. `--check` changes nothing and fails when the list in
// index.html is not the one the import graph gives (tests/e2e/webui-modules).

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEBUI = join(dirname(fileURLToPath(import.meta.url)), '..', 'webui');
// The modules whose graphs the first screen needs, from webui/.
export const ENTRIES = ['js/app.js', 'js/vm-list.js'];
const BEGIN = '<!-- modulepreload: written by make (packaging/webui-preload.mjs) from the import graph of';
const END = '<!-- end of modulepreload -->';

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

// The block of index.html between BEGIN and END, as it should read.
export function preloadBlock(indent = '  ') {
  return [`${BEGIN} ${ENTRIES.join(' and ')}: do not edit. -->`,
    ...moduleGraph().map((f) => `${indent}<link rel="modulepreload" href="{{static}}/${f}">`),
    `${indent}${END}`].join('\n');
}

const INDEX = join(WEBUI, 'index.html');
const blockPattern = new RegExp(`${BEGIN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*?${END}`);

// The block index.html has now, or null.
export function currentBlock() {
  const m = readFileSync(INDEX, 'utf8').match(blockPattern);
  return m ? m[0] : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const html = readFileSync(INDEX, 'utf8');
  if (!blockPattern.test(html)) {
    console.error(`webui-preload: no "${BEGIN}" ... "${END}" block in ${INDEX}`);
    process.exit(1);
  }
  const fresh = html.replace(blockPattern, preloadBlock());
  if (process.argv.includes('--check')) {
    if (fresh !== html) {
      console.error('webui-preload: the modulepreload list of webui/index.html is stale: run make');
      process.exit(1);
    }
  } else if (fresh !== html) {
    writeFileSync(INDEX, fresh);
    console.log('webui-preload: webui/index.html lists the first screen\'s modules again');
  }
}
