#!/bin/sh
# REST benchmark of GET /api/vms against the libvirt floor (tests/bench/floor.c),
# with 10 and 100 defined (not started) qemu domains; writes build/bench/report.md.
# Benchmarks, not tests: nothing here passes or fails on a number.
#
# Env knobs (defaults in brackets):
#   BENCH_COUNTS ["10 100"]   VM counts       BENCH_CONNS ["1 8 64"]  wrk connections
#   BENCH_DURATION [10]       seconds per wrk run
#   BENCH_THREADS []          passed to vireod as --threads N when set (vireod's default otherwise)
#   BENCH_URI [qemu:///system]   VIREO_BIN [build/vireod]
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd)
URI=${BENCH_URI:-qemu:///system}
COUNTS=${BENCH_COUNTS:-"10 100"}
CONNS=${BENCH_CONNS:-"1 8 64"}
DURATION=${BENCH_DURATION:-10}
THREADS=${BENCH_THREADS:-}
VIREOD=${VIREO_BIN:-$REPO/build/vireod}
OUT=$REPO/build/bench
PREFIX=vireo-bench-
REPORT=$OUT/report.md

mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/vireo-bench.XXXXXX)
VIREOD_PID=
SAMPLER_PID=

say() { echo "bench: $*" >&2; }

bench_domains() {
    virsh -q -c "$URI" list --all --name 2>/dev/null | grep "^$PREFIX" || true
}

undefine_all() {
    doms=$(bench_domains)
    [ -n "$doms" ] || return 0
    # One virsh session for all of them: a process per domain costs ~50 ms.
    for d in $doms; do
        echo "destroy $d"       # only if someone started one; errors ignored
        echo "undefine $d"
    done >"$TMP/undefine.cmds"
    virsh -q -c "$URI" <"$TMP/undefine.cmds" >/dev/null 2>&1 || true
    left=$(bench_domains | wc -l)
    [ "$left" -eq 0 ] || say "WARNING: $left $PREFIX* domains could not be undefined"
}

stop_sampler() {
    if [ -n "$SAMPLER_PID" ]; then
        kill "$SAMPLER_PID" 2>/dev/null || true
        wait "$SAMPLER_PID" 2>/dev/null || true
        SAMPLER_PID=
    fi
}

stop_vireod() {
    stop_sampler
    if [ -n "$VIREOD_PID" ]; then
        kill -TERM "$VIREOD_PID" 2>/dev/null || true
        i=0
        while kill -0 "$VIREOD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$VIREOD_PID" 2>/dev/null || true
        wait "$VIREOD_PID" 2>/dev/null || true
        VIREOD_PID=
    fi
}

cleanup() {
    rc=$?
    trap - EXIT INT TERM
    stop_vireod
    undefine_all
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- preconditions ----
[ -x "$VIREOD" ] || { say "no $VIREOD: run 'make' first"; exit 1; }
command -v wrk >/dev/null || { say "wrk is missing (apt-get install wrk)"; exit 1; }
command -v jq >/dev/null || { say "jq is missing (apt-get install jq)"; exit 1; }
virsh -q -c "$URI" uri >/dev/null 2>&1 || { say "libvirt at $URI does not answer"; exit 1; }

say "building the floor"
cc -O2 -std=gnu17 -Wall -Wextra -o "$OUT/floor" "$REPO/tests/bench/floor.c" \
    $(pkg-config --cflags --libs libvirt)

undefine_all   # leftovers of an interrupted run

# ---- helpers ----
free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# define_upto N: defines vireo-bench-001..N (those not there yet), in one virsh session.
define_upto() {
    have=$(bench_domains | wc -l)
    : >"$TMP/define.cmds"
    i=$((have + 1))
    while [ $i -le "$1" ]; do
        name=$(printf '%s%03d' "$PREFIX" $i)
        cat >"$TMP/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
EOF
        echo "define $TMP/$name.xml" >>"$TMP/define.cmds"
        i=$((i + 1))
    done
    virsh -q -c "$URI" <"$TMP/define.cmds" >/dev/null
    have=$(bench_domains | wc -l)
    [ "$have" -eq "$1" ] || { say "expected $1 $PREFIX* domains, found $have"; exit 1; }
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# Samples VmRSS every 100 ms and keeps the highest value in $1.
start_sampler() {
    echo 0 >"$1"
    (
        peak=0
        while kill -0 "$VIREOD_PID" 2>/dev/null; do
            r=$(rss_kib "$VIREOD_PID")
            if [ "${r:-0}" -gt "$peak" ]; then peak=$r; echo "$peak" >"$1"; fi
            sleep 0.1
        done
    ) &
    SAMPLER_PID=$!
}

# Every API route but the login and the API description needs credentials:
# vireod starts on a fresh inventory with a random admin password
# (--init-admin-password-file), the script logs in once and makes an API
# token, and every request (curl, wrk) carries "Authorization: Bearer $TOKEN".
# Secrets stay in files under $TMP (mode 0600), not on command lines, except
# the token that wrk needs as an argument.
TOKEN=
AUTH=

new_admin_password() {
    (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$TMP/admin-password")
}

get_token() {
    base=http://127.0.0.1:$PORT
    (umask 077; jq -n --rawfile p "$TMP/admin-password" '{username: "admin", password: ($p | rtrimstr("\n"))}' \
        >"$TMP/login.json")
    curl -fsS -o /dev/null -c "$TMP/cookies" -H 'Content-Type: application/json' \
        --data-binary @"$TMP/login.json" "$base/api/session" ||
        { say "login as admin failed: see $OUT/vireod.log"; exit 1; }
    # A cookie session must send the CSRF header and a same-origin Origin.
    TOKEN=$(curl -fsS -b "$TMP/cookies" -H 'Content-Type: application/json' \
        -H 'X-Vireo-CSRF: 1' -H "Origin: $base" --data '{"name": "bench"}' \
        "$base/api/tokens" | jq -r '.token // empty') || TOKEN=
    rm -f "$TMP/cookies" "$TMP/login.json"
    [ -n "$TOKEN" ] || { say "could not create an API token"; exit 1; }
    AUTH="Authorization: Bearer $TOKEN"
}

start_vireod() {
    PORT=$(free_port)
    new_admin_password
    set -- --listen "127.0.0.1:$PORT" --connect "$URI" --db "$TMP/bench.db" \
        --webui "$REPO/webui" --log-level warn --init-admin-password-file "$TMP/admin-password"
    [ -n "$THREADS" ] && set -- "$@" --threads "$THREADS"
    rm -f "$TMP/bench.db" "$TMP/bench.db-wal" "$TMP/bench.db-shm"
    "$VIREOD" "$@" 2>>"$OUT/vireod.log" &
    VIREOD_PID=$!
    i=0
    # The API description is public: it answers once HTTP is up.
    until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/openapi.json" 2>/dev/null; do
        kill -0 "$VIREOD_PID" 2>/dev/null || { say "vireod died: see $OUT/vireod.log"; exit 1; }
        i=$((i + 1)); [ $i -lt 100 ] || { say "vireod does not answer on $PORT"; exit 1; }
        sleep 0.1
    done
    get_token
    # ...and libvirt is connected once GET /api/vms answers 200.
    i=0
    until curl -fsS -o /dev/null -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" 2>/dev/null; do
        kill -0 "$VIREOD_PID" 2>/dev/null || { say "vireod died: see $OUT/vireod.log"; exit 1; }
        i=$((i + 1)); [ $i -lt 100 ] || { say "GET /api/vms does not answer 200 on $PORT"; exit 1; }
        sleep 0.1
    done
}

# wrk's latency to ms ("812.00us", "1.20ms", "2.01s").
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
        else if (v ~ /s$/) n *= 1000
        printf "%.3f", n }'
}

# run_wrk CONNS FILE: prints "rps p50_ms p99_ms non2xx errors"
run_wrk() {
    c=$1; t=$c; [ "$t" -gt 2 ] && t=2
    wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" >"$2" 2>&1
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$2")
    p50=$(awk '$1 == "50%" {print $2}' "$2")
    p99=$(awk '$1 == "99%" {print $2}' "$2")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$2")
    errs=$(awk '/Socket errors:/ {s = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s}' "$2")
    echo "${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") ${non2xx:-0} ${errs:-0}"
}

# ---- the runs ----
: >"$OUT/vireod.log"
RESULTS=$TMP/results       # count conns rps p50 p99 non2xx errors
FLOORS=$TMP/floors         # count domains bulk_med bulk_p99 naive_med naive_p99 missing
MEM=$TMP/mem               # count rss_start rss_warm peak_sampled hwm
: >"$RESULTS"; : >"$FLOORS"; : >"$MEM"
started=$(date +%s)

for n in $COUNTS; do
    say "defining $n domains"
    define_upto "$n"

    say "floor at $n VMs"
    "$OUT/floor" -c "$URI" -n 500 -m 20 >"$TMP/floor.$n"
    f() { awk -F= -v k="$1" '$1 == k {print $2}' "$TMP/floor.$n"; }
    echo "$n $(f domains) $(f bulk_median_ms) $(f bulk_p99_ms) $(f naive_median_ms) $(f naive_p99_ms) $(f missing_stats)" >>"$FLOORS"

    say "starting vireod"
    start_vireod
    sleep 1
    rss_start=$(rss_kib "$VIREOD_PID")
    got=$(curl -fsS -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" | jq '.vms | length')
    say "vireod lists $got VMs"

    say "warming up"
    wrk -t1 -c1 -d2s -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" >/dev/null 2>&1
    sleep 1
    rss_warm=$(rss_kib "$VIREOD_PID")

    start_sampler "$TMP/peak.$n"
    for c in $CONNS; do
        say "wrk: $n VMs, $c connections, ${DURATION}s"
        echo "$n $c $(run_wrk "$c" "$OUT/wrk-$n-$c.txt")" >>"$RESULTS"
        sleep 1
    done
    stop_sampler
    echo "$n $rss_start $rss_warm $(cat "$TMP/peak.$n") $(hwm_kib "$VIREOD_PID")" >>"$MEM"
    stop_vireod
done
elapsed=$(( $(date +%s) - started ))

# ---- report ----
{
    echo "# Vireo benchmark: GET /api/vms"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n): $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),"
    echo "libvirt $(pkg-config --modversion libvirt), $URI, wrk $(wrk --version 2>&1 | awk 'NR == 1 {print $2}'), ${DURATION}s per run, total ${elapsed}s."
    echo "vireod: \`--log-level warn\`$( [ -n "$THREADS" ] && echo ", \`--threads $THREADS\`" || echo ", default thread pool");"
    echo "every request carries an API token (\`Authorization: Bearer\`), so its check (a SHA-256 and an sqlite lookup) is included."
    echo "Domains: persistent, defined and **not started** (\`type='qemu'\`, 64 MiB, 1 vCPU); the counts below are what"
    echo "libvirt lists, including any other domain defined on the host."
    echo
    echo "**Caveat:** the machine's $(nproc) cores are shared by wrk, vireod, libvirtd and the floor; at 8 and 64"
    echo "connections wrk and libvirtd compete with vireod for CPU, so those rows measure the whole box, not vireod alone."
    echo
    echo "## Throughput and latency (wrk, \`-t min(conns,2)\`)"
    echo
    echo "| VMs | connections | requests/s | p50 (ms) | p99 (ms) | non-2xx | socket errors |"
    echo "|----:|------------:|-----------:|---------:|---------:|--------:|--------------:|"
    while read -r n c rps p50 p99 non2xx errs; do
        dn=$(awk -v n="$n" '$1 == n {print $2}' "$FLOORS")
        echo "| $dn | $c | $rps | $p50 | $p99 | $non2xx | $errs |"
    done <"$RESULTS"
    echo
    echo "## libvirt floor (tests/bench/floor.c, one connection, 500 runs; naive: 20 runs)"
    echo
    echo "Bulk = what vireod calls per request: ListAllDomains(AUTOSTART) + ListAllDomains(TRANSIENT) +"
    echo "GetAllDomainStats(STATE|VCPU|BALLOON). Naive = ListAllDomains(0), then per domain GetInfo +"
    echo "GetAutostart + IsPersistent + GetXMLDesc."
    echo
    echo "| VMs | bulk median (ms) | bulk p99 (ms) | naive median (ms) | naive p99 (ms) | naive / bulk | records missing vcpu/balloon stats |"
    echo "|----:|-----------------:|--------------:|------------------:|---------------:|-------------:|-----------------------------------:|"
    while read -r n dn bm bp nm np miss; do
        ratio=$(awk -v a="$nm" -v b="$bm" 'BEGIN {printf "%.1fx", a / b}')
        echo "| $dn | $bm | $bp | $nm | $np | $ratio | $miss |"
    done <"$FLOORS"
    echo
    echo "## API overhead over the floor at 1 connection"
    echo
    echo "(vireod p50 - floor bulk median) / floor bulk median. vireod's p50 includes the HTTP round trip on loopback,"
    echo "the inventory (sqlite) read and the JSON encoding."
    echo
    echo "| VMs | floor median (ms) | vireod p50 (ms) | difference (ms) | overhead |"
    echo "|----:|------------------:|----------------:|----------------:|---------:|"
    while read -r n dn bm bp nm np miss; do
        p50=$(awk -v n="$n" '$1 == n && $2 == 1 {print $4}' "$RESULTS")
        [ -n "$p50" ] || continue
        awk -v dn="$dn" -v f="$bm" -v p="$p50" 'BEGIN {
            printf "| %s | %.3f | %.3f | %.3f | %.0f%% |\n", dn, f, p, p - f, (p - f) / f * 100 }'
    done <"$FLOORS"
    echo
    echo "## vireod memory (RSS, MiB)"
    echo
    echo "| VMs | idle after start | idle after warm-up | peak under load (sampled every 100 ms) | VmHWM at end |"
    echo "|----:|-----------------:|-------------------:|---------------------------------------:|-------------:|"
    while read -r n s w p h; do
        dn=$(awk -v n="$n" '$1 == n {print $2}' "$FLOORS")
        echo "| $dn | $(mib "$s") | $(mib "$w") | $(mib "$p") | $(mib "$h") |"
    done <"$MEM"
    echo
    echo "Raw wrk output: build/bench/wrk-<VMs>-<connections>.txt; vireod's log: build/bench/vireod.log."
} >"$REPORT"

cat "$REPORT"
