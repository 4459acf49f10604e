#!/bin/sh
# Bundles the web UI's modules into webui/bundle/ (packaging/webui-bundle.mjs)
# with esbuild, pinned in packaging/webui-bundle/package-lock.json. Runs npm
# only when the pinned esbuild is not installed yet; does nothing when the
# bundle is newer than every module and than the bundler itself.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SRC=$HERE/webui-bundle
STAMP=$ROOT/webui/bundle/.stamp

if [ -f "$STAMP" ] && [ -z "$(find "$ROOT/webui/js" "$SRC/package-lock.json" "$HERE/webui-bundle.mjs" \
        "$HERE/webui-preload.mjs" "$0" -newer "$STAMP" 2>/dev/null | head -n 1)" ]; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "webui-bundle: npm not found" >&2; exit 1; }
if [ ! -f "$SRC/node_modules/esbuild/package.json" ] || [ "$SRC/package-lock.json" -nt "$SRC/node_modules/.package-lock.json" ]; then
    (cd "$SRC" && npm ci --no-audit --no-fund --loglevel=error)
fi
node "$HERE/webui-bundle.mjs"
