#!/bin/sh
# Runs the cmocka unit-test binaries (ASan + UBSan builds) and writes the
# tier's counts to $VIREO_RESULTS_DIR/unit.count as "PASSED FAILED".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${VIREO_RESULTS_DIR:-$ROOT/build/test-results}
mkdir -p "$RESULTS"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0; failed=0
for bin in "$@"; do
    log="$RESULTS/$(basename "$bin").log"
    "$bin" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}
    # A sanitizer report or crash after the tests ran is a failure too.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -eq 0 ]; then
        echo "unit: $(basename "$bin"): $p passed"
    else
        echo "unit: $(basename "$bin"): FAILED (exit $rc); log follows"
        grep -E "FAILED|ERROR|error|Sanitizer|SUMMARY|LINE" "$log" | head -40
    fi
done
echo "$passed $failed" >"$RESULTS/unit.count"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
