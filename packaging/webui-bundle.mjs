// Bundles the web UI's modules into webui/bundle/ (run by `make` through
// packaging/webui-bundle.sh), so a cold first screen fetches three module
// files instead of 23. On HTTP/1.1 (libmicrohttpd has no HTTP/2) Chromium
// opens 6 connections to vireod, and the two API answers the guest list
// waits for were queued behind the module files.
//
// The first screen, every module of the shell (js/app.js) and of the
// guest list (js/vm-list.js) by their static imports (webui-preload.mjs),
// becomes three files:
//   bundle/app.js      the shell's own code; index.html's module script
//   bundle/shell.js    every other module of the first screen
//   bundle/vm-list.js  what app.js's import('./vm-list.js') returns
// Every other page stays lazy: each import('./x.js') is a file of its own
// (bundle/x.js) with the modules only it needs, and modules shared by
// later pages only are chunks of their own (bundle/chunk-HASH.js), all
// fetched when a page is first shown. Every module is in the page once,
// so module state (the session, the live store) is shared as before.
//
// How the first screen becomes one file: esbuild puts two modules in the
// same chunk when the same entry points reach them. Every entry point here
// (the shell, and each lazily imported page) is a small wrapper that first
// imports a hub of all the first screen's modules, so all of them are
// reached by every entry, and land in one chunk (named shell.js here).
//
// The source modules stay in webui/js/ (console.html loads them as they
// are); index.html loads the bundle, which `make` keeps current.

import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIRST_FILES, moduleGraph } from './webui-preload.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEBUI = join(HERE, '..', 'webui');
const OUT = join(WEBUI, 'bundle');
// Where the build says which source modules went into which file (JSON;
// hidden and without an extension: never served, nor taken for a served
// file by tests/api/test_static.py); tests/e2e/webui-modules.test.mjs reads it.
export const META = '.meta';

const esbuild = () => createRequire(join(HERE, 'webui-bundle', 'package.json'))('esbuild');

// The first screen's modules but the shell's entry itself, from webui/.
const hubModules = () => moduleGraph().filter((f) => f !== 'js/app.js');

// Entry points: 'vireo-entry:app' (the shell), and every import('./x.js')
// of a module of webui/js as 'vireo-page:/abs/x.js'; each imports the hub
// first, then is the module it stands for.
const wrapAll = {
  name: 'vireo-first-screen-hub',
  setup(build) {
    build.onResolve({ filter: /^vireo-(entry|hub):/ }, (a) => ({ path: a.path.replace(/^[^:]*:/, ''), namespace: a.path.split(':')[0] }));
    build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (a) => {
      if (a.kind !== 'dynamic-import' || a.namespace !== 'file') return undefined;
      const path = join(a.resolveDir, a.path);
      return relative(join(WEBUI, 'js'), path).startsWith('..') ? undefined : { path, namespace: 'vireo-page' };
    });
    build.onLoad({ filter: /.*/, namespace: 'vireo-hub' }, () => ({
      contents: hubModules().map((f) => `import './${f}';`).join('\n'), resolveDir: WEBUI, loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'vireo-entry' }, () => ({
      contents: "import 'vireo-hub:first-screen';\nimport './js/app.js';", resolveDir: WEBUI, loader: 'js',
    }));
    build.onLoad({ filter: /.*/, namespace: 'vireo-page' }, (a) => ({
      contents: `import 'vireo-hub:first-screen';\nexport * from ${JSON.stringify(a.path)};`, resolveDir: dirname(a.path), loader: 'js',
    }));
  },
};

export async function bundle() {
  const result = await esbuild().build({
    absWorkingDir: WEBUI,
    entryPoints: { app: 'vireo-entry:app' },
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    // uPlot stays the copy webui-vendor.sh puts beside its licence.
    external: ['../vendor/*'],
    plugins: [wrapAll],
    outdir: OUT,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const outputs = result.metafile.outputs;
  // Stable names for what index.html loads: each page by its module's name
  // (esbuild adds a hash to the names of lazily imported entry points) and
  // the first screen's shared chunk as shell.js.
  const renames = new Map();
  const hub = hubModules();
  for (const [file, out] of Object.entries(outputs)) {
    if (file.endsWith('.map')) continue;
    const name = basename(file);
    if (out.entryPoint?.startsWith('vireo-page:')) renames.set(name, basename(out.entryPoint));
    else if (!out.entryPoint && hub.every((m) => m in out.inputs)) renames.set(name, 'shell.js');
  }
  if (![...renames.values()].includes('shell.js')) throw new Error('webui-bundle: the first screen\'s modules are not in one chunk');
  const rename = (text) => {
    for (const [from, to] of renames) text = text.replaceAll(from, to);
    return text;
  };
  const tmp = `${OUT}.new`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of result.outputFiles) writeFileSync(join(tmp, rename(basename(f.path))), rename(f.text));
  // Which source modules each file holds (for the test of the first screen).
  const meta = Object.fromEntries(Object.entries(outputs).filter(([f]) => !f.endsWith('.map'))
    .map(([f, out]) => [`bundle/${rename(basename(f))}`, {
      inputs: Object.keys(out.inputs).filter((i) => i.startsWith('js/')).sort(),
      imports: out.imports.filter((i) => !i.external).map((i) => ({ path: `bundle/${rename(basename(i.path))}`, kind: i.kind })),
    }]));
  writeFileSync(join(tmp, META), `${JSON.stringify(meta, null, 1)}\n`);
  writeFileSync(join(tmp, '.stamp'), '');
  rmSync(OUT, { recursive: true, force: true });
  renameSync(tmp, OUT);
  return readdirSync(OUT).filter((f) => f.endsWith('.js')).length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = await bundle();
  console.log(`webui-bundle: ${n} files in webui/bundle (the first screen: ${FIRST_FILES.join(' ')})`);
}
