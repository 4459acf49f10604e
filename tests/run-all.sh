#!/bin/sh
# Runs every test tier in turn and ends with one line over all of them:
# "N passed, N failed". Each tier writes "PASSED FAILED" to
# $VIREO_RESULTS_DIR/<tier>.count; a tier that dies without writing it
# counts as one failure. A tier also lists what failed, a name a line, in
# <tier>.failed: those names are printed just above the summary, so the
# tail of a CI log says which tests failed. The API tier runs a failed test
# once more (the E2E tier a failed test's file) and counts it as passed when
# it passes then; those are listed in <tier>.flaky, printed there too
# (FLAKY), to be looked at, not forgotten.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export VIREO_RESULTS_DIR=${VIREO_RESULTS_DIR:-$ROOT/build/test-results}
export VIREO_BIN=${VIREO_BIN:-$ROOT/build/vireod}
rm -rf "$VIREO_RESULTS_DIR"
mkdir -p "$VIREO_RESULTS_DIR"
cd "$ROOT"

TIERS=${VIREO_TIERS:-"check unit tsan openapi fuzz api e2e"}
status=0
for tier in $TIERS; do
    echo "=== tier: $tier ==="
    start=$(date +%s)
    case $tier in
        check)   sh tests/check/run.sh ;;
        unit)    sh tests/run-unit.sh build/asan/tests/test_* ;;
        tsan)    VIREO_UNIT_TIER=tsan sh tests/run-unit.sh build/tsan/tests/test_* ;;
        openapi) sh tests/openapi/run.sh ;;
        api)     sh tests/api/run.sh ;;
        e2e)     sh tests/e2e/run.sh ;;
        # Two targets at a time: nothing else runs meanwhile (one a core).
        fuzz)    FUZZ_SECONDS=${FUZZ_SECONDS:-8} FUZZ_JOBS=${FUZZ_JOBS:-2} sh tests/fuzz/run.sh ;;
        *)       echo "unknown tier $tier"; false ;;
    esac
    rc=$?
    [ "$rc" -ne 0 ] && status=1
    [ -s "$VIREO_RESULTS_DIR/$tier.count" ] || echo "0 1" >"$VIREO_RESULTS_DIR/$tier.count"
    echo "=== tier $tier: $(cat "$VIREO_RESULTS_DIR/$tier.count" | awk '{print $1 " passed, " $2 " failed"}') in $(( $(date +%s) - start ))s ==="
done

passed=0; failed=0
for f in "$VIREO_RESULTS_DIR"/*.count; do
    read -r p fl <"$f"
    passed=$((passed + p)); failed=$((failed + fl))
    tier=$(basename "$f" .count)
    [ -s "$VIREO_RESULTS_DIR/$tier.flaky" ] && sed "s/^/FLAKY $tier: /" "$VIREO_RESULTS_DIR/$tier.flaky"
    if [ "$fl" -gt 0 ]; then
        if [ -s "$VIREO_RESULTS_DIR/$tier.failed" ]; then
            sed "s/^/FAILED $tier: /" "$VIREO_RESULTS_DIR/$tier.failed"
        else
            echo "FAILED $tier: $fl (no names; see the tier's output above)"
        fi
    fi
done
[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed"
exit $status
