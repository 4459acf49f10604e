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

# No systemd here: start libvirt's daemons the way the host does if needed.
if [ ! -S /run/libvirt/virtlogd-sock ]; then virtlogd -d || fail "cannot start virtlogd"; fi
if [ ! -S /run/libvirt/libvirt-sock ]; then libvirtd -d || fail "cannot start libvirtd"; fi
i=0
until virsh -q -c qemu:///system uri >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 50 ] || fail "libvirtd does not answer"; sleep 0.2
done

"$REPO/tests/guest/build-guest.sh" || fail "building the test guest failed"

cd "$REPO/tests/api" || fail "no tests/api"
exec /usr/bin/python3 -u run_tests.py "$@"
