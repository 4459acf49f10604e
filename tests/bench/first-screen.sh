#!/bin/sh
# The web UI's first screen with 100 VMs (tests/bench/first-screen.mjs):
# starts a vireod of its own on a fresh inventory, defines 100 small
# stopped qemu domains (vireo-fs-NNN) in one virsh session, measures, and
# removes them. Writes build/bench/first-screen.md (and .json: every load).
# A benchmark, not a test.
# Env: FIRST_SCREEN_VMS [100], FIRST_SCREEN_RUNS [10], FIRST_SCREEN_WEBUI [webui/: another
#      tree of the UI to compare], BENCH_URI [qemu:///system; `test` puts
#      the VMs in a libvirt test-driver host of its own instead, which
#      measures the UI without a shared libvirtd's load],
#      VIREO_BIN [build/vireod], VIREO_CHROMIUM [/usr/bin/chromium].
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
URI=${BENCH_URI:-qemu:///system}
N=${FIRST_SCREEN_VMS:-100}
RUNS=${FIRST_SCREEN_RUNS:-10}
BIN=${VIREO_BIN:-$REPO/build/vireod}
OUT=$REPO/build/bench
PREFIX=vireo-fs-
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/vireo-fs.XXXXXX)
PID=

cleanup() {
    [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
    case $URI in test*) doms= ;; *) doms=$(virsh -q -c "$URI" list --all --name 2>/dev/null | grep "^$PREFIX" || true) ;; esac
    [ -z "$doms" ] || for d in $doms; do echo "undefine $d"; done | virsh -q -c "$URI" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -d "$REPO/tests/e2e/node_modules/playwright-core" ] || (cd "$REPO/tests/e2e" && npm install --no-audit --no-fund >/dev/null)
# domains TYPE: N stopped domains' XML, one a line.
domains() {
    i=1
    while [ "$i" -le "$N" ]; do
        printf "<domain type='%s'><name>%s%03d</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>\n" \
            "$1" "$PREFIX" "$i"
        i=$((i + 1))
    done
}
if [ "$URI" = test ]; then
    # The test driver starts the domains of its file unless told they are
    # shut off (runstate 5), as the qemu ones are.
    { echo "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
      domains test | sed 's|</domain>|<test:runstate>5</test:runstate>&|'
      echo '</node>'; } >"$TMP/node.xml"
    URI=test://$TMP/node.xml
else
    domains qemu | while read -r xml; do
        f=$TMP/$(echo "$xml" | sed 's|.*<name>\(.*\)</name>.*|\1|').xml
        echo "$xml" >"$f"
        echo "define $f"
    done | virsh -q -c "$URI" >/dev/null
fi

PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && echo "$PASSWORD" >"$TMP/pw")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --listen "127.0.0.1:$PORT" --connect "$URI" --db "$TMP/vireo.db" --webui "${FIRST_SCREEN_WEBUI:-$REPO/webui}" \
    --init-admin-password-file "$TMP/pw" --log-level warn 2>"$TMP/vireod.log" &
PID=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/openapi.json" 2>/dev/null; do
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/vireod.log" >&2; exit 1; }
    sleep 0.1
done
# Every domain on the host is listed, not only these: wait for at least N rows.
BASE=http://127.0.0.1:$PORT PASSWORD=$PASSWORD ROWS=$N RUNS=$RUNS OUT=$OUT/first-screen.md \
CHROMIUM=${VIREO_CHROMIUM:-/usr/bin/chromium} node "$REPO/tests/bench/first-screen.mjs"
case $URI in
    test*) listed=$N ;;
    *) listed=$(virsh -q -c "$URI" list --all --name | grep -c .) ;;
esac
echo "(libvirt listed $listed domains; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT/first-screen.md"
