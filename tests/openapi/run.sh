#!/bin/sh
# Runs the checks of api/core/openapi.json (tests/openapi/validate.mjs) and writes
# "PASSED FAILED" to $VIREO_RESULTS_DIR/openapi.count. Exits non-zero on failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${VIREO_RESULTS_DIR:-$root/build/test-results}
count="$results/openapi.count"

mkdir -p "$results" || exit 1
rm -f "$count"

fail() {
    echo "openapi: $*" >&2
    # The validator never ran: count every one of its tests as failed.
    echo "0 4" > "$count"
    exit 1
}

command -v node >/dev/null 2>&1 || fail "node not found"
command -v npm >/dev/null 2>&1 || fail "npm not found"

if [ ! -d "$here/node_modules/@apidevtools/swagger-parser" ] ||
   [ ! -d "$here/node_modules/ajv-formats" ]; then
    (cd "$here" && npm install --no-audit --no-fund) || fail "npm install failed"
fi

VIREO_OPENAPI_COUNT_FILE="$count" node "$here/validate.mjs" "$root/api/core/openapi.json"
rc=$?
[ -s "$count" ] || fail "validate.mjs exited with $rc without writing a count"
exit $rc
