#!/bin/sh
# API tier: real vireod + real libvirtd + real TCG guests, over HTTP.
# Usage: tests/api/run.sh [unittest names...]
# Env: VIREO_BIN (default build/vireod), VIREO_RESULTS_DIR (default build/test-results),
#      VIREO_TEST_SKIP_LIBVIRTD_RESTART=1 to skip the libvirtd restart test.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export VIREO_RESULTS_DIR="${VIREO_RESULTS_DIR:-$REPO/build/test-results}"
mkdir -p "$VIREO_RESULTS_DIR"

fail() {
    echo "api tier: $*" >&2
    echo "0 1" > "$VIREO_RESULTS_DIR/api.count"
    exit 1
}

# No systemd here: start libvirt's daemons the way `make run` does.
sh "$REPO/packaging/host-setup.sh" >/dev/null || fail "libvirt's daemons do not start"

"$REPO/tests/guest/build-guest.sh" || fail "building the test guest failed"

cd "$REPO/tests/api" || fail "no tests/api"
exec /usr/bin/python3 -u run_tests.py "$@"
