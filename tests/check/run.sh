#!/bin/sh
# `make check`, the style gate (first tier of `make test`): banned calls,
# formatting under .clang-format, and the build under the full warning set.
# Writes "PASSED FAILED" (one per gate) to $VIREO_RESULTS_DIR/check.count.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RESULTS=${VIREO_RESULTS_DIR:-$ROOT/build/test-results}
mkdir -p "$RESULTS"
cd "$ROOT"
passed=0; failed=0

gate() {
    name=$1; shift
    log="$RESULTS/check-$name.log"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "check: $(tail -1 "$log")"
    else
        failed=$((failed + 1))
        echo "$name (log $log)" >>"$RESULTS/check.failed"
        echo "check: $name: FAILED; log follows"
        head -60 "$log"
    fi
}

: >"$RESULTS/check.failed"
gate banned sh tests/check/banned.sh
gate format sh tests/check/format.sh
# -Werror with the warnings the Makefile lists: a warning fails the build
# (a no-op when `make test` has just built everything).
gate warnings sh -c 'make --no-print-directory -s all unit-bins &&
    echo "vireod, vireo-osinfo and the unit tests build with no warning"'

echo "$passed $failed" >"$RESULTS/check.count"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
