#!/bin/sh
# Console proxy benchmark: vireod against websockify on the same backend in
# the same run, plain and under TLS; writes build/bench/console.md (run.sh
# appends it to build/bench/report.md). A benchmark, not a test: nothing
# here passes or fails on a number.
#
# The backend (backend.c) stands where a VM's display would be: vireod
# reaches it through a libvirt test-driver domain whose VNC display is
# <graphics type='vnc' port='N' listen='127.0.0.1'/> (libvirt's test driver
# cannot hand over a display socket, so vireod falls back to that port),
# websockify through its target address. The client is wsbench.c.
#
# Env knobs (defaults in brackets):
#   BENCH_CONSOLE_ROUNDS [5]      rounds; contenders interleaved in each
#   BENCH_CONSOLE_MIB [1024]      MiB per transfer, each direction
#   BENCH_CONSOLE_ECHOES [20000]  round trips of 16 bytes per latency run
#   BENCH_CONSOLE_OPEN [100]      consoles held open for the memory figure
#   VIREO_BIN [build/vireod]
set -eu

REPO=$(cd "$(dirname "$0")/../../.." && pwd)
ROUNDS=${BENCH_CONSOLE_ROUNDS:-5}
MIB=${BENCH_CONSOLE_MIB:-1024}
ECHOES=${BENCH_CONSOLE_ECHOES:-20000}
OPEN=${BENCH_CONSOLE_OPEN:-100}
VIREOD=${VIREO_BIN:-$REPO/build/vireod}
OUT=$REPO/build/bench
BIN=$OUT/console
REPORT=$OUT/console.md
RESULTS=$OUT/console-results.txt   # phase who test round key=value ...
BYTES=$((MIB * 1048576))

mkdir -p "$BIN"
TMP=$(mktemp -d /tmp/vireo-console-bench.XXXXXX)
PIDS=''

say() { echo "bench console: $*" >&2; }

stop() {   # stop PID: TERM, then KILL after 5 s
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || true
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP PIPE
    for p in $PIDS; do stop "$p"; done
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE   # e.g. piped into head: the daemons must not outlive it

# ---- what it needs ----
[ -x "$VIREOD" ] || { say "no $VIREOD: run 'make' first"; exit 1; }
if ! dpkg-query -W -f='${Status}' websockify 2>/dev/null | grep -q "install ok installed"; then
    say "installing websockify"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q websockify >&2
fi
for c in cc curl jq openssl python3; do
    command -v $c >/dev/null || { say "$c is missing"; exit 1; }
done

say "building the backend and the client"
cc -O2 -std=gnu17 -Wall -Wextra -o "$BIN/backend" "$REPO/tests/bench/console/backend.c" -lpthread
# shellcheck disable=SC2046  # pkg-config's flags are meant to be split
cc -O2 -std=gnu17 -Wall -Wextra -o "$BIN/wsbench" "$REPO/tests/bench/console/wsbench.c" \
    $(pkg-config --cflags --libs gnutls glib-2.0)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {   # wait_port PID PORT: until something accepts on PORT
    i=0
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 1)" 2>/dev/null; do
        kill -0 "$1" 2>/dev/null || { say "process $1 died (logs in $OUT)"; exit 1; }
        i=$((i + 1)); [ $i -lt 100 ] || { say "nothing answers on $2"; exit 1; }
        sleep 0.1
    done
}

"$BIN/backend" >"$TMP/backend.port" &
PIDS=$!
i=0
until [ -s "$TMP/backend.port" ]; do
    i=$((i + 1)); [ $i -lt 50 ] || { say "the backend did not start"; exit 1; }
    sleep 0.1
done
BACKEND_PORT=$(cat "$TMP/backend.port")

# A running test-driver domain whose display is the backend.
cat >"$TMP/node.xml" <<EOF
<node>
  <domain type='test'>
    <name>bench</name>
    <memory>65536</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
    <devices>
      <graphics type='vnc' port='$BACKEND_PORT' listen='127.0.0.1'/>
    </devices>
  </domain>
</node>
EOF

# Each contender keeps its port, process and (vireod) API token in
# $TMP/PHASE-WHO.*, e.g. $TMP/tls-vireod.port.

# start_vireod PHASE: a fresh vireod (HTTPS for phase tls), logged in, with
# an API token. 100 consoles from one address: the per-address limit (64 by
# default) counts upgraded connections too.
start_vireod() {
    c=$TMP/$1-vireod port=$(free_port) scheme=http
    [ "$1" = tls ] && scheme=https
    set --
    [ $scheme = https ] && set -- --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem"
    base=$scheme://127.0.0.1:$port
    (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$c.pw")
    "$VIREOD" --listen "127.0.0.1:$port" --connect "test://$TMP/node.xml" --db "$c.db" \
        --webui "$REPO/webui" --log-level warn --init-admin-password-file "$c.pw" \
        --max-connections-per-address 1024 "$@" 2>>"$OUT/console-vireod.log" &
    echo $! >"$c.pid"; echo "$port" >"$c.port"
    PIDS="$PIDS $!"
    wait_port $! "$port"
    (umask 077; jq -n --rawfile p "$c.pw" '{username: "admin", password: ($p | rtrimstr("\n"))}' \
        >"$c.login")
    curl -kfsS -o /dev/null -c "$c.jar" -H 'Content-Type: application/json' \
        --data-binary @"$c.login" "$base/api/session"
    curl -kfsS -b "$c.jar" -H 'Content-Type: application/json' -H 'X-Vireo-CSRF: 1' \
        -H "Origin: $base" --data '{"name": "bench"}' "$base/api/tokens" | jq -r .token >"$c.token"
    [ -s "$c.token" ] || { say "no API token"; exit 1; }
}

start_websockify() {   # start_websockify PHASE
    c=$TMP/$1-websockify port=$(free_port)
    set --
    [ "$c" = "$TMP/tls-websockify" ] && set -- --cert "$TMP/cert.pem" --key "$TMP/key.pem" --ssl-only
    # Debian's script runs /usr/bin/python3, which has numpy (fast unmasking).
    websockify "$@" "127.0.0.1:$port" "127.0.0.1:$BACKEND_PORT" >>"$OUT/console-websockify.log" 2>&1 &
    echo $! >"$c.pid"; echo "$port" >"$c.port"
    PIDS="$PIDS $!"
    wait_port $! "$port"
}

# run PHASE:WHO TEST ROUND MODE ARGS: one wsbench run, its key=value lines
# appended to $RESULTS as "PHASE WHO TEST ROUND ..." (direct TCP: phase "-").
# A failed run is reported, not fatal.
run() {
    ph=${1%:*} who=${1#*:} test=$2 round=$3
    shift 3
    c=$TMP/$ph-$who t=
    [ "$ph" = tls ] && t=-t
    case $who in
        vireod) set -- $t -T "$(cat "$c.token")" -V bench -P "$(cat "$c.pid")" \
                    "127.0.0.1:$(cat "$c.port")" "$@" ;;
        websockify) set -- $t -P "$(cat "$c.pid")" "127.0.0.1:$(cat "$c.port")" "$@" ;;
        direct) ph=-; set -- -r "127.0.0.1:$BACKEND_PORT" "$@" ;;
    esac
    if timeout 300 "$BIN/wsbench" "$@" >"$TMP/run.out" 2>"$TMP/run.err"; then
        echo "$ph $who $test $round $(tr '\n' ' ' <"$TMP/run.out")" >>"$RESULTS"
    else
        say "  $ph $who $test round $round failed: $(cat "$TMP/run.err")"
    fi
}

rotate() {   # rotate N WORDS...: the words, the first N moved to the end
    n=$1; shift
    i=0
    while [ $i -lt $((n % $#)) ]; do x=$1; shift; set -- "$@" "$x"; i=$((i + 1)); done
    echo "$@"
}

# ---- the runs ----
: >"$RESULTS"; : >"$OUT/console-vireod.log"; : >"$OUT/console-websockify.log"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
say "starting vireod and websockify, plain and TLS"
for phase in plain tls; do
    start_vireod $phase
    start_websockify $phase
done
for c in plain:vireod plain:websockify tls:vireod tls:websockify; do
    say "$c: $OPEN consoles open at once"
    run $c hold 0 hold "$OPEN"
done
# All contenders side by side in every round, in a rotating order: the
# shared machine's load drifts, and plain against TLS is a ratio too.
r=1
while [ $r -le "$ROUNDS" ]; do
    say "round $r of $ROUNDS"
    order=$(rotate $r plain:vireod plain:websockify tls:vireod tls:websockify -:direct)
    for test in down up; do
        for c in $order; do
            run "$c" "$test" $r "$test" $BYTES
        done
    done
    for c in $order; do
        run "$c" echo $r echo "$ECHOES" 16
    done
    r=$((r + 1))
done
elapsed=$(( $(date +%s) - started ))

# ---- report ----
median() {   # of the numbers on stdin, one a line; "-" when there are none
    sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                                       else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# val PHASE WHO TEST KEY: the median over the rounds (or the one value).
val() {
    awk -v p="$1" -v w="$2" -v t="$3" -v k="$4" '$1 == p && $2 == w && $3 == t {
        for (i = 5; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }' \
        "$RESULTS" | median
}
# added PHASE WHO: median over rounds of (p50 through WHO - direct p50 of the round).
added() {
    awk -v p="$1" -v w="$2" '
        function p50(   i) { for (i = 5; i <= NF; i++) if (index($i, "p50_us=") == 1) return substr($i, 8) }
        $3 == "echo" && $2 == "direct" { d[$4] = p50() }
        $1 == p && $3 == "echo" && $2 == w { x[$4] = p50() }
        END { for (r in x) if (r in d) printf "%.1f\n", x[r] - d[r] }' "$RESULTS" | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'; }
# mem PHASE WHO: MiB more with the consoles open than idle; vireod's RSS,
# websockify's PSS over its processes (one per console). KEY=pss: PSS for both.
mem() {
    k=${3:-$( [ "$2" = vireod ] && echo rss || echo pss )}
    awk -v a="$(val "$1" "$2" hold "${k}_open_kib")" -v b="$(val "$1" "$2" hold "${k}_idle_kib")" \
        'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f\n", (a - b) / 1024 }'
}
# cell PHASE WHO WHAT: one figure of the table.
cell() {
    case $3 in
        down|up) val "$1" "$2" "$3" mib_s ;;
        downcpu|upcpu) val "$1" "$2" "${3%cpu}" cpu_s_per_gib ;;
        p50|p99) val "$1" "$2" echo "${3}_us" ;;
        added) added "$1" "$2" ;;
        mem) mem "$1" "$2" ;;
    esac
}
row() {   # row LABEL WHAT: plain and TLS, each vireod, websockify and their ratio
    printf '| %s |' "$1"
    for ph in plain tls; do
        a=$(cell $ph vireod "$2") b=$(cell $ph websockify "$2")
        printf ' %s | %s | %s |' "$a" "$b" "$(ratio "$a" "$b")"
    done
    echo
}
# goal FIGURE OP LIMIT: met or not
goal() {
    awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { if (a == "-") { print "?"; exit }
        ok = (op == ">=" && a + 0 >= b + 0) || (op == "<" && a + 0 < b + 0)
        print ok ? "**met**" : "not met" }'
}
negotiated() {   # negotiated WHO: the TLS version and cipher the client saw
    awk -v w="$1" '$1 == "tls" && $2 == w { for (i = 5; i < NF; i++) if ($i ~ /^tls=/) c = substr($i, 5) " " $(i + 1) }
                   END { print c }' "$RESULTS"
}

down_ratio=$(ratio "$(cell plain vireod down)" "$(cell plain websockify down)")
cpu_ratio=$(ratio "$(cell plain vireod downcpu)" "$(cell plain websockify downcpu)")
added_plain=$(cell plain vireod added)
tls_ratio=$(ratio "$(cell tls vireod down)" "$(cell plain vireod down)")
mem_plain=$(cell plain vireod mem) mem_tls=$(cell tls vireod mem)
{
    echo "# Console proxy: vireod against websockify"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n): $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),"
    echo "Linux $(uname -r); websockify $(dpkg-query -W -f='${Version}' websockify) (Python $(/usr/bin/python3 -c 'import platform; print(platform.python_version())'), numpy unmasking);"
    echo "whole run ${elapsed}s; load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "Both proxies sit in front of the same backend (tests/bench/console/backend.c) in the same run;"
    echo "the client (wsbench.c: RFC 6455 with masking, GnuTLS for wss) and the backend are C."
    echo "vireod reaches the backend as a test-driver VM's loopback VNC port, after a ticket"
    echo "(\`POST /api/vms/bench/console\`) per console. **$ROUNDS rounds**; in each, vireod and websockify,"
    echo "plain and TLS, and direct TCP run side by side in a rotating order (all four proxies stay up"
    echo "through the run); figures are **medians over the rounds**. Transfers: **$MIB MiB**"
    echo "each way per run (client to backend in 64 KiB frames); latency: **$ECHOES round trips of 16 bytes**"
    echo "(after 1000 unmeasured) on one console; memory: **$OPEN consoles** open at once, each proven by a"
    echo "round trip. TLS: a self-signed P-256 certificate; negotiated $(negotiated vireod) (vireod),"
    echo "$(negotiated websockify) (websockify)."
    echo
    echo "| | plain: vireod | websockify | vireod / websockify | TLS: vireod | websockify | vireod / websockify |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    row "throughput backend → client (MiB/s)" down
    row "throughput client → backend (MiB/s)" up
    row "proxy CPU s per GiB, backend → client" downcpu
    row "proxy CPU s per GiB, client → backend" upcpu
    row "round trip p50 (µs)" p50
    row "round trip p99 (µs)" p99
    row "added p50 over direct TCP (µs)" added
    row "memory with $OPEN consoles open minus idle (MiB)" mem
    echo
    echo "Direct TCP to the backend (the floor, no proxy): $(val - direct down mib_s) MiB/s backend → client,"
    echo "$(val - direct up mib_s) MiB/s client → backend; round trip p50 $(val - direct echo p50_us) µs,"
    echo "p99 $(val - direct echo p99_us) µs."
    echo "\"Added\" is the proxy's p50 minus the direct p50 of the same round, median over rounds."
    echo "CPU is utime + stime from /proc/PID/stat over the run (for websockify with the per-connection"
    echo "children it forked and reaped), in 10 ms ticks. Memory: vireod's RSS; websockify runs a process"
    echo "per console, so its figure is the PSS of all its processes (vireod's PSS grew by"
    echo "$(mem plain vireod pss) MiB plain, $(mem tls vireod pss) MiB under TLS)."
    echo
    echo "**Caveat:** client, backend and proxy share the machine's $(nproc) cores (and whatever else runs on"
    echo "them): throughput is what the whole box moves, CPU per GiB is the proxy's own cost."
    echo
    echo "## Goals (issue 9)"
    echo
    echo "| goal | figure | |"
    echo "| --- | ---: | --- |"
    echo "| throughput ≥ 2.5× websockify's (backend → client, plain) | ${down_ratio}× | $(goal "$down_ratio" ">=" 2.5) |"
    echo "| CPU per GiB < half websockify's (backend → client, plain) | ${cpu_ratio}× | $(goal "$cpu_ratio" "<" 0.5) |"
    echo "| added p50 < 30 µs (plain) | $added_plain µs | $(goal "$added_plain" "<" 30) |"
    echo "| TLS throughput ≥ half of plain (vireod, backend → client) | ${tls_ratio}× | $(goal "$tls_ratio" ">=" 0.5) |"
    echo "| $OPEN open consoles < 8 MiB extra (plain / TLS) | $mem_plain / $mem_tls MiB | $(goal "$mem_plain" "<" 8) / $(goal "$mem_tls" "<" 8) |"
    echo
    echo "Raw figures, one line per run: build/bench/console-results.txt; logs: build/bench/console-*.log."
} >"$REPORT"
cat "$REPORT"
