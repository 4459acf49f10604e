#!/bin/sh
# Runs the cmocka unit-test binaries (ASan + UBSan builds, or the TSan ones
# with VIREO_UNIT_TIER=tsan) and writes the tier's counts to
# $VIREO_RESULTS_DIR/<tier>.count as "PASSED FAILED".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=${VIREO_RESULTS_DIR:-$ROOT/build/test-results}
TIER=${VIREO_UNIT_TIER:-unit}
prefix=""; [ "$TIER" = unit ] || prefix="$TIER-"
mkdir -p "$RESULTS"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# GLib 2.74's slice allocator hands freed blocks to other threads through
# its own (futex) locks and never poisons them: with plain malloc, TSan sees
# the hand-over and ASan sees a use after free.
export G_SLICE=always-malloc
# A race report makes the binary exit non-zero, so it counts as a failure.
export TSAN_OPTIONS=${TSAN_OPTIONS:-exitcode=66 second_deadlock_stack=1 suppressions=$ROOT/tests/tsan/tsan.supp}
passed=0; failed=0
: >"$RESULTS/$TIER.failed"
for bin in "$@"; do
    log="$RESULTS/$prefix$(basename "$bin").log"
    "$bin" >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    p=${p:-0}; f=${f:-0}
    # A sanitizer report or crash after the tests ran is a failure too.
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$rc" -eq 0 ]; then
        echo "$TIER: $(basename "$bin"): $p passed"
    else
        echo "$TIER: $(basename "$bin"): FAILED (exit $rc); log follows"
        { sed -n 's/^\[  FAILED  \] \([a-z_][a-z_0-9]*\)$/\1/p' "$log" | sed "s|^|$(basename "$bin") |"
          echo "$(basename "$bin") (exit $rc, log $log)"; } >>"$RESULTS/$TIER.failed"
        grep -E "FAILED|ERROR|error|Sanitizer|SUMMARY|LINE" "$log" | head -40
    fi
done
echo "$passed $failed" >"$RESULTS/$TIER.count"
echo "$TIER: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
