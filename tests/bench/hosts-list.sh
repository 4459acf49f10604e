#!/bin/sh
# Benchmark of GET /api/vms across many hosts (issue 12): VMs defined (not
# started, no disk) on each of 1, 2 and 8 real libvirt hosts of a lab of its
# own (tests/hosts/lab.sh with prefix vireo-hb, net 10.77.13: namespaces on
# this machine, qemu+tcp), vireod driving them (the first as its --connect
# host, the others added with POST /api/hosts), wrk at 1 and 8 connections,
# side by side with the floor (tests/bench/floor.c: the same bulk calls on
# every host at once, one client and 8 at the same time). Then one host
# hung (its libvirtd stopped with SIGSTOP) and killed: the list must still
# answer, within the 2 s docs/hosts.md promises. Writes
# build/bench/hosts-list.md. A benchmark: nothing passes or fails on a
# number, but it fails when a list does not answer 200 with every VM. Root.
#
# Env: BENCH_HOSTS_COUNTS ["1 2 8"]  host counts (ascending; the lab has the largest)
#      BENCH_HOSTS_VMS [100]         VMs per host
#      BENCH_HOSTS_CONNS ["1 8"]     wrk connections
#      BENCH_HOSTS_DURATION [4]      seconds per wrk run
#      BENCH_HOSTS_HUNG_SECONDS [8]  seconds of lists one after another once a host hangs
#      BENCH_THREADS []              vireod's --threads when set
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd)
COUNTS=${BENCH_HOSTS_COUNTS:-"1 2 8"}
VMS=${BENCH_HOSTS_VMS:-100}
CONNS=${BENCH_HOSTS_CONNS:-"1 8"}
DURATION=${BENCH_HOSTS_DURATION:-4}
THREADS=${BENCH_THREADS:-}
VIREOD=${VIREO_BIN:-$REPO/build/vireod}
OUT=$REPO/build/bench
LAB=$REPO/tests/hosts/lab.sh
LUA=$REPO/tests/bench/latency.lua
# A lab of its own: the default one (vireo-lab, 10.77.12) is the tests'.
export VIREO_LAB_PREFIX=vireo-hb VIREO_LAB_NET=10.77.13 VIREO_LAB_DIR=/run/vireo-hb
MAX=$(echo "$COUNTS" | tr ' ' '\n' | sort -n | tail -n 1)
export VIREO_LAB_COUNT=$MAX
HOSTS=$(echo a b c d e f g h i j k l m n o p q r s t u v w x y z | cut -d' ' -f1-"$MAX")
# Seconds of lists one after another once a host hangs.
HUNG_SECONDS=${BENCH_HOSTS_HUNG_SECONDS:-8}
# The floor's lists per run: one client, and each of 8 clients at once.
FLOOR_ITERS=150
FLOOR_CLIENT_ITERS=30
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/vireo-bench-hosts.XXXXXX)
VIREOD_LOG=$OUT/vireod-hosts.log
URI=

say() { echo "bench-hosts: $*" >&2; }
# shellcheck source=tests/bench/lib.sh
. "$REPO/tests/bench/lib.sh"

cleanup() {
    rc=$?
    trap - EXIT INT TERM
    vireod_stop
    # The lab had a host hung and killed: it goes whole (it is this
    # benchmark's alone).
    sh "$LAB" down >/dev/null 2>&1 || true
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || { say "run as root (network namespaces)"; exit 1; }
[ -x "$VIREOD" ] || { say "no $VIREOD: run 'make' first"; exit 1; }
for c in wrk jq curl; do command -v $c >/dev/null || { say "$c is missing"; exit 1; }; done

started=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "lab of $MAX hosts"
t0=$(date +%s%N)
sh "$LAB" up >/dev/null
lab_ms=$((($(date +%s%N) - t0) / 1000000))
uri_of() { awk -F= -v k="VIREO_LAB_URI_$(echo "$1" | tr '[:lower:]' '[:upper:]')" '$1 == k {print $2}' \
    "$VIREO_LAB_DIR/env"; }
build_floor

# ---- VMs: one virsh session per host, the hosts at once ----
say "defining $VMS VMs on each host"
t0=$(date +%s%N)
i=1
while [ $i -le "$VMS" ]; do
    name=$(printf 'vireo-hb-%03d' $i)
    domain_xml "$name" >"$TMP/$name.xml"
    echo "define $TMP/$name.xml" >>"$TMP/define.cmds"
    i=$((i + 1))
done
pids=
for h in $HOSTS; do
    virsh -q -c "$(uri_of "$h")" <"$TMP/define.cmds" >/dev/null &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
for h in $HOSTS; do
    n=$(virsh -q -c "$(uri_of "$h")" list --all --name | grep -c .)
    [ "$n" -eq "$VMS" ] || { say "host $h has $n domains, not $VMS"; exit 1; }
done
define_ms=$((($(date +%s%N) - t0) / 1000000))
# Memory of one lab host with its VMs defined.
lv_kib=$(rss_kib "$(cat "$VIREO_LAB_DIR/a/libvirtd.pid")")
ll_kib=$(rss_kib "$(cat "$VIREO_LAB_DIR/a/virtlogd.pid")")

# ---- helpers ----
first_hosts() { echo "$HOSTS" | cut -d' ' -f1-"$1"; }
last_host() { echo "$HOSTS" | cut -d' ' -f"$1"; }

# floor FILE HOSTS... [-- FLOOR ARGS]: the floor's bulk list of every host given.
floor() {
    f=$1; shift
    args=
    for h in "$@"; do args="$args -c $(uri_of "$h")"; done
    # shellcheck disable=SC2086  # one word an argument
    "$OUT/floor" $args $FLOOR_ARGS -m 0 -w 5 >"$f" 2>"$TMP/floor.err" ||
        { say "floor failed: $(cat "$TMP/floor.err")"; exit 1; }
}

# One list, timed: "ms http_code vms unreachable".
timed_list() {
    r=$(curl -sS -o "$TMP/list.json" -w '%{http_code} %{time_total}' -H "$AUTH" \
        "http://127.0.0.1:$PORT/api/vms")
    code=${r% *}
    ms=$(awk -v s="${r#* }" 'BEGIN {printf "%.0f", s * 1000}')
    if [ "$code" = 200 ]; then
        echo "$ms $code $(jq '.vms | length' "$TMP/list.json") $(jq '[.vms[] | select(.state == "unreachable")] | length' "$TMP/list.json")"
    else
        echo "$ms $code 0 0"
    fi
}

# expect_list N_VMS N_UNREACHABLE TIMED: fails unless the list answered with them.
expect_list() {
    set -- "$1" "$2" $3
    [ "$4" = 200 ] && [ "$5" = "$1" ] && [ "$6" = "$2" ] ||
        { say "GET /api/vms: HTTP $4, $5 VMs ($6 unreachable); expected $1 ($2)"; exit 1; }
}

# wrk_run LABEL CONNS: appends "LABEL CONNS rps p50_ms p95_ms p99_ms non2xx timeouts" to $RESULTS.
wrk_run() {
    c=$2; t=$c; [ "$t" -gt 2 ] && t=2
    f=$OUT/hosts-wrk-$1-$c.txt
    wrk -t"$t" -c"$c" -d"${DURATION}s" --timeout 10s --latency -s "$LUA" -H "$AUTH" \
        "http://127.0.0.1:$PORT/api/vms" >"$f" 2>&1
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
    ms() { awk -F= -v k="$1" '$1 == k {printf "%.2f", $2 / 1000}' "$f"; }
    echo "$1 $c ${rps:-0} $(ms p50_us) $(ms p95_us) $(ms p99_us) $(fval "$f" non2xx) $(fval "$f" timeouts)" >>"$RESULTS"
}

# vireod with the first N hosts: the first is its --connect host, the
# others are added through the API; answers once every host is connected.
start_with() {
    n=$1
    vireod_stop
    : >"$TMP/host-ids"
    URI=$(uri_of a)
    start_vireod
    for h in $(first_hosts "$n" | cut -d' ' -f2-); do
        [ "$h" != a ] || continue
        id=$(curl -fsS -H "$AUTH" -H 'Content-Type: application/json' \
            --data "{\"name\": \"lab-$h\", \"uri\": \"$(uri_of "$h")\"}" \
            "http://127.0.0.1:$PORT/api/hosts" | jq -r .id) ||
            { say "POST /api/hosts for $h failed: see $VIREOD_LOG"; exit 1; }
        echo "$h $id" >>"$TMP/host-ids"
    done
    i=0
    until [ "$(curl -fsS -H "$AUTH" "http://127.0.0.1:$PORT/api/hosts" |
        jq '[.hosts[] | select(.state == "connected")] | length')" -eq "$n" ]; do
        i=$((i + 1)); [ $i -lt 300 ] || { say "not every host connected"; exit 1; }
        sleep 0.1
    done
}
host_id() { awk -v h="$1" '$1 == h {print $2}' "$TMP/host-ids"; }
host_state() {
    curl -fsS -H "$AUTH" "http://127.0.0.1:$PORT/api/hosts/$(host_id "$1")" | jq -r .state
}

RESULTS=$TMP/results # LABEL CONNS rps p50 p95 p99 non2xx timeouts
FLOORS=$TMP/floors   # LABEL median p95 lists_per_s median_8 p95_8 lists_per_s_8 domains
DOWN=$TMP/down       # LABEL "ms ms ms ..." of the lists right after
COLD=$TMP/cold       # N ms of the first list with every host's snapshot stale
MEMS=$TMP/mems       # N vireod_rss_kib
: >"$RESULTS"; : >"$FLOORS"; : >"$DOWN"; : >"$COLD"; : >"$MEMS"

# floors LABEL CLIENTS HOSTS...: the floor of one client, and of 8 at once
# unless CLIENTS is 1.
floors() {
    label=$1; clients=$2; shift 2
    a=$TMP/floor.1; b=$TMP/floor.8
    FLOOR_ARGS="-n $FLOOR_ITERS" floor "$a" "$@"
    if [ "$clients" = 8 ]; then
        FLOOR_ARGS="-n $FLOOR_CLIENT_ITERS -j 8" floor "$b" "$@"
    else
        : >"$b"
    fi
    echo "$label $(fval "$a" bulk_median_ms) $(fval "$a" bulk_p95_ms) $(fval "$a" bulk_lists_per_s)" \
        "$(fval "$b" bulk_median_ms) $(fval "$b" bulk_p95_ms) $(fval "$b" bulk_lists_per_s)" \
        "$(fval "$a" domains)" >>"$FLOORS"
}

# ---- every host up ----
for n in $COUNTS; do
    say "$n host(s): the floor"
    # shellcheck disable=SC2046  # one host a word
    floors "$n" 8 $(first_hosts "$n")
    # The hosts that still answer once the last one is down.
    # shellcheck disable=SC2046  # one host a word
    [ "$n" -lt 2 ] || floors "$n-up" 1 $(first_hosts $((n - 1)))
    say "$n host(s): vireod"
    start_with "$n"
    # Every host's snapshot is older than the 500 ms a list may use, and
    # nobody has listed yet: the first list asks every host.
    sleep 1
    cold=$(timed_list)
    expect_list $((n * VMS)) 0 "$cold"
    echo "$n ${cold%% *}" >>"$COLD"
    wrk -t1 -c1 -d1s -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" >/dev/null 2>&1
    for c in $CONNS; do
        say "$n host(s): wrk, $c connection(s), ${DURATION}s"
        wrk_run "$n" "$c"
    done
    echo "$n $(rss_kib "$VIREOD_PID")" >>"$MEMS"
done

# down_runs LABEL SECONDS: lists one after another for SECONDS, each with
# every VM, the down host's as unreachable; then wrk.
down_runs() {
    from=$(date +%s)
    times=
    while [ $(($(date +%s) - from)) -lt "$2" ]; do
        r=$(timed_list)
        expect_list $((n * VMS)) "$VMS" "$r"
        times="$times ${r%% *}"
    done
    echo "$1$times" >>"$DOWN"
    for c in $CONNS; do
        say "$1: wrk, $c connection(s)"
        wrk_run "$1" "$c"
    done
}

# ---- one host down: hung (SIGSTOP), then killed ----
# The largest count first (its vireod runs already), then the others from
# 2 up: each hangs its last host, which no smaller count uses.
for n in $(echo "$COUNTS" | tr ' ' '\n' | sort -rn); do
    [ "$n" -ge 2 ] || continue
    [ "$n" = "$MAX" ] || start_with "$n"
    # Connected is not yet listed: a host vireod never read shows nothing,
    # not its VMs as unreachable. Wait until every VM has been listed once.
    i=0
    until r=$(timed_list) && set -- $r && [ "$3" = $((n * VMS)) ]; do
        i=$((i + 1)); [ $i -lt 100 ] || expect_list $((n * VMS)) 0 "$r"
        sleep 0.1
    done
    x=$(last_host "$n")
    pid=$(cat "$VIREO_LAB_DIR/$x/libvirtd.pid")
    say "$n hosts: host $x hung (SIGSTOP to libvirtd $pid)"
    kill -STOP "$pid"
    # Lists one after another for the next seconds (as a UI that polls),
    # from 1 s after the stop: a list may answer from a snapshot younger
    # than 500 ms; after that the lists ask the host, and it does not
    # answer. vireod's watchdog cuts the connection after 6 to 8 s.
    sleep 1
    down_runs "$n-hung" "$HUNG_SECONDS"
    h0=$(date +%s%N)
    hs=$(host_state "$x")
    hosts_ms=$((($(date +%s%N) - h0) / 1000000))
    echo "$n-hung-health $hs $hosts_ms" >>"$TMP/health"
    say "$n hosts: host $x killed"
    kill -KILL "$pid"
    i=0
    until [ "$(host_state "$x")" != connected ]; do
        i=$((i + 1)); [ $i -lt 100 ] || { say "host $x still connected after its kill"; exit 1; }
        sleep 0.1
    done
    down_runs "$n-killed" 2
done
vireod_stop
elapsed=$(($(date +%s) - started))

# ---- report ----
row() { awk -v l="$1" -v c="$2" '$1 == l && $2 == c' "$RESULTS"; }
fl() { awk -v l="$1" '$1 == l' "$FLOORS"; }
{
    echo "## GET /api/vms across hosts"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, libvirt $(pkg-config --modversion libvirt);"
    echo "load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg); whole run ${elapsed}s."
    echo "Hosts: tests/hosts/lab.sh (each a libvirtd + virtlogd in network and mount namespaces on this"
    echo "machine, qemu+tcp over a bridge); $MAX made in ${lab_ms} ms, $VMS VMs defined (not started, no disk)"
    echo "on each in ${define_ms} ms. One lab host with its $VMS VMs: libvirtd $(mib "$lv_kib") MiB RSS, virtlogd $(mib "$ll_kib") MiB."
    echo "vireod: the first host is its \`--connect\` host, the others added with \`POST /api/hosts\`; every"
    echo "request carries an API token. wrk ${DURATION}s per run (\`-t min(c,2)\`); the floor (tests/bench/floor.c)"
    echo "lists every host at once (a thread per host; the same three bulk calls vireod's model makes),"
    echo "$FLOOR_ITERS lists on one client, then 8 clients at once ($FLOOR_CLIENT_ITERS lists each, connections of their own),"
    echo "run right before vireod starts. Ratio: vireod's p50 over the floor's median (1 connection / 1 client),"
    echo "vireod's lists/s over the floor's (8 connections / 8 clients)."
    echo
    echo "| hosts | VMs | first list (ms) | floor 1 client: median / p95 (ms), lists/s | vireod 1 conn: p50 / p95 (ms), lists/s | p50 ratio | floor 8 clients: median / p95 (ms), lists/s | vireod 8 conns: p50 / p95 (ms), lists/s | lists/s ratio | vireod RSS (MiB) |"
    echo "|---:|---:|---:|---|---|---:|---|---|---:|---:|"
    for n in $COUNTS; do
        read -r _ fm fp fr fm8 fp8 fr8 dom <<EOF
$(fl "$n")
EOF
        read -r _ _ r1 p50 p95 _ <<EOF
$(row "$n" 1)
EOF
        read -r _ _ r8 q50 q95 _ <<EOF
$(row "$n" 8)
EOF
        awk -v n="$n" -v dom="$dom" -v cold="$(awk -v n="$n" '$1 == n {print $2}' "$COLD")" \
            -v fm="$fm" -v fp="$fp" -v fr="$fr" -v fm8="$fm8" -v fp8="$fp8" -v fr8="$fr8" \
            -v r1="$r1" -v p50="$p50" -v p95="$p95" -v r8="$r8" -v q50="$q50" -v q95="$q95" \
            -v rss="$(mib "$(awk -v n="$n" '$1 == n {print $2}' "$MEMS")")" 'BEGIN {
            printf "| %d | %d | %s | %.2f / %.2f, %.0f | %.2f / %.2f, %.0f | %.2fx | %.2f / %.2f, %.0f | %.2f / %.2f, %.0f | %.1fx | %s |\n",
                n, dom, cold, fm, fp, fr, p50, p95, r1, p50 / fm, fm8, fp8, fr8, q50, q95, r8, r8 / fr8, rss }'
    done
    echo
    echo "\"First list\": the first \`GET /api/vms\` once every host is connected and its snapshot is older"
    echo "than the 500 ms a list may answer from, so that it asks every host (one sample)."
    echo
    echo "### One host down"
    echo
    echo "The last host's libvirtd stopped with SIGSTOP (it hangs with its socket open), then killed."
    echo "\"Lists right after\": lists one after another for ${HUNG_SECONDS} s from 1 s after the stop, or for 2 s once vireod"
    echo "saw the kill; every one answered 200 with every VM, the down host's as \`unreachable\`. wrk"
    echo "runs after them (when hung: by then vireod's watchdog has cut the connection). The floor"
    echo "is the other hosts' (a client that knew which host is down)."
    echo
    echo "| hosts | the last host | lists right after (ms) | vireod 1 conn: p50 / p95 (ms), lists/s | vireod 8 conns: p50 / p95 (ms), lists/s | non-2xx | floor of the others, 1 client: median (ms), lists/s |"
    echo "|---:|---|---|---|---|---:|---|"
    for n in $(echo "$COUNTS" | tr ' ' '\n' | sort -rn); do
        [ "$n" -ge 2 ] || continue
        for st in hung killed; do
            read -r _ _ r1 p50 p95 _ b1 _ <<EOF
$(row "$n-$st" 1)
EOF
            read -r _ _ r8 q50 q95 _ b8 _ <<EOF
$(row "$n-$st" 8)
EOF
            read -r _ fm _ fr _ <<EOF
$(fl "$n-up")
EOF
            times=$(awk -v l="$n-$st" '$1 == l {$1 = ""; print}' "$DOWN" | tr ' ' '\n' | grep . | sort -n |
                awk '{v[NR] = $1; if ($1 >= 1000) slow++}
                     END {printf "%d lists: median %d, max %d, %d of 1 s or more", NR, v[int((NR + 1) / 2)], v[NR], slow}')
            awk -v n="$n" -v st="$st" -v t="$times" -v r1="$r1" -v p50="$p50" -v p95="$p95" \
                -v r8="$r8" -v q50="$q50" -v q95="$q95" -v bad=$((b1 + b8)) -v fm="$fm" -v fr="$fr" 'BEGIN {
                printf "| %d | %s | %s | %.2f / %.2f, %.0f | %.2f / %.2f, %.0f | %d | %.2f, %.0f |\n",
                    n, st, t, p50, p95, r1, q50, q95, r8, bad, fm, fr }'
        done
    done
    echo
    while read -r l st ms; do
        echo "While hung, \`GET /api/hosts/{id}\` (${l%-hung-health} hosts) said \`$st\` in $ms ms."
    done <"$TMP/health"
    echo
    echo "Raw wrk output: build/bench/hosts-wrk-*.txt; vireod's log: build/bench/vireod-hosts.log."
} >"$OUT/hosts-list.md"
cat "$OUT/hosts-list.md"
