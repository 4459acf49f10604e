#!/bin/sh
# Copies the browser libraries of the web UI (noVNC, xterm.js, uPlot: pinned in
# packaging/webui-vendor/package-lock.json) into webui/vendor/, with their
# licences: only the files the pages load. Runs npm only when the pinned
# packages are not installed yet; does nothing when webui/vendor is current.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SRC=$HERE/webui-vendor
MODS=$SRC/node_modules
OUT=$ROOT/webui/vendor

if [ -f "$OUT/.stamp" ] && [ "$OUT/.stamp" -nt "$SRC/package-lock.json" ] &&
   [ "$OUT/.stamp" -nt "$0" ]; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "webui-vendor: npm not found" >&2; exit 1; }
if [ ! -f "$MODS/@novnc/novnc/core/rfb.js" ] || [ ! -f "$MODS/@xterm/xterm/lib/xterm.mjs" ] ||
   [ ! -f "$MODS/@xterm/addon-fit/lib/addon-fit.mjs" ] || [ ! -f "$MODS/uplot/dist/uPlot.esm.js" ] ||
   [ "$SRC/package-lock.json" -nt "$MODS/.package-lock.json" ]; then
    (cd "$SRC" && npm ci --no-audit --no-fund --loglevel=error)
fi

TMP=$OUT.new
rm -rf "$TMP"
mkdir -p "$TMP/novnc" "$TMP/xterm" "$TMP/uplot"
# noVNC: ES modules, loaded as they are (core/ and the pako it imports).
cp -R "$MODS/@novnc/novnc/core" "$MODS/@novnc/novnc/vendor" "$TMP/novnc/"
cp "$MODS/@novnc/novnc/LICENSE.txt" "$TMP/novnc/LICENSE.txt"
cp -R "$MODS/@novnc/novnc/docs" "$TMP/novnc/licences"
rm -f "$TMP/novnc/licences/"*.md
cp "$MODS/@xterm/xterm/lib/xterm.mjs" "$MODS/@xterm/xterm/css/xterm.css" "$TMP/xterm/"
cp "$MODS/@xterm/xterm/LICENSE" "$TMP/xterm/LICENSE"
cp "$MODS/@xterm/addon-fit/lib/addon-fit.mjs" "$TMP/xterm/"
cp "$MODS/@xterm/addon-fit/LICENSE" "$TMP/xterm/LICENSE.addon-fit"
# uPlot: the charts of the dashboard and the VM page (its ES module and CSS).
cp "$MODS/uplot/dist/uPlot.esm.js" "$MODS/uplot/dist/uPlot.min.css" "$TMP/uplot/"
cp "$MODS/uplot/LICENSE" "$TMP/uplot/LICENSE"
VERSIONS=$(cd "$MODS" && for p in @novnc/novnc @xterm/xterm @xterm/addon-fit uplot; do
    printf '%s %s\n' "$p" "$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$p/package.json")"; done)
printf '%s\n' "$VERSIONS" > "$TMP/VERSIONS"
touch "$TMP/.stamp"
rm -rf "$OUT"
mv "$TMP" "$OUT"
echo "webui-vendor: $(echo "$VERSIONS" | tr '\n' ' ')in webui/vendor"
