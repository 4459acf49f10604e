#!/bin/sh
# REST benchmark of GET /api/vms against the libvirt floor (tests/bench/floor.c),
# with 10 and 100 defined (not started) qemu domains, the sampler of live
# figures (build/stats-bench, tests/bench/stats_bench.c): its cost per sample at
# the largest VM count and the history's size after a simulated year, what
# keeping the list true costs, gzip sizes (the list, the UI's first screen),
# the memory of 500 idle event streams, then the console proxy against
# websockify (tests/bench/console/run.sh), live migration through Vireo's
# engine against virsh (tests/bench/migrate.sh), the list across 1, 2 and 8
# hosts and with one down (tests/bench/hosts-list.sh); writes
# build/bench/report.md.
# Benchmarks, not tests: nothing here passes or fails on a number.
#
# Env knobs (defaults in brackets):
#   BENCH_PARTS ["rest console migrate hosts"]   which parts run (console knobs: see
#                             console/run.sh; migrate: tests/bench/migrate.sh, root;
#                             hosts: tests/bench/hosts-list.sh, root)
#   BENCH_COUNTS ["10 100"]   VM counts       BENCH_CONNS ["1 8 64"]  wrk connections
#   BENCH_DURATION [10]       seconds per wrk run
#   BENCH_THREADS []          passed to vireod as --threads N when set (vireod's default otherwise)
#   BENCH_URI [qemu:///system]   VIREO_BIN [build/vireod]
#   BENCH_STATS_SAMPLES [50]  samples timed     BENCH_STATS_VMS [100]  VMs of the history benchmarks
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

PARTS=${BENCH_PARTS:-"rest console migrate hosts"}

say() { echo "bench: $*" >&2; }

# run_part PART SCRIPT MD WHAT: when PART is asked for, runs
# tests/bench/SCRIPT, which writes build/bench/MD, and appends that to the report.
run_part() {
    case " $PARTS " in *" $1 "*) ;; *) return 0 ;; esac
    say "$4"
    if sh "$REPO/tests/bench/$2" >/dev/null; then
        { echo; cat "$OUT/$3"; } >>"$REPORT"
    else
        say "the $1 benchmark failed (see above)"
    fi
}

# Every part but the REST one, each with its own script.
run_other_parts() {
    run_part console console/run.sh console.md "console proxy against websockify"
    run_part migrate migrate.sh migrate.md "live migration between two lab hosts, engine against virsh"
    run_part hosts hosts-list.sh hosts-list.md "GET /api/vms across 1, 2 and 8 lab hosts, and with one down"
}

mkdir -p "$OUT"
case " $PARTS " in
    *" rest "*) ;;
    *)  # the other parts alone
        : >"$REPORT"
        run_other_parts
        cat "$REPORT"
        exit 0 ;;
esac
TMP=$(mktemp -d /tmp/vireo-bench.XXXXXX)
VIREOD_PID=
SAMPLER_PID=
STREAMS_PID=
VIREOD_LOG=$OUT/vireod.log
# shellcheck source=tests/bench/lib.sh
. "$REPO/tests/bench/lib.sh"

bench_domains() {
    virsh -q -c "$URI" list --all --name 2>/dev/null | grep "^$PREFIX" || true
}

undefine_all() {
    # libvirtd may be restarting (other test runs on this host do that).
    i=0
    until virsh -q -c "$URI" uri >/dev/null 2>&1 || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
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

stop_vireod() {
    stop_sampler
    vireod_stop
}

stop_sampler() {
    if [ -n "$SAMPLER_PID" ]; then
        kill "$SAMPLER_PID" 2>/dev/null || true
        wait "$SAMPLER_PID" 2>/dev/null || true
        SAMPLER_PID=
    fi
}

cleanup() {
    rc=$?
    trap - EXIT INT TERM
    [ -z "$STREAMS_PID" ] || kill "$STREAMS_PID" 2>/dev/null || true
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
build_floor

undefine_all   # leftovers of an interrupted run

# ---- helpers ----
# define_upto N: defines vireo-bench-001..N (those not there yet), in one virsh session.
define_upto() {
    have=$(bench_domains | wc -l)
    : >"$TMP/define.cmds"
    i=$((have + 1))
    while [ $i -le "$1" ]; do
        name=$(printf '%s%03d' "$PREFIX" $i)
        domain_xml "$name" >"$TMP/$name.xml"
        echo "define $TMP/$name.xml" >>"$TMP/define.cmds"
        i=$((i + 1))
    done
    virsh -q -c "$URI" <"$TMP/define.cmds" >/dev/null
    have=$(bench_domains | wc -l)
    [ "$have" -eq "$1" ] || { say "expected $1 $PREFIX* domains, found $have"; exit 1; }
}

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

# wrk's latency to ms ("812.00us", "1.20ms", "2.01s").
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000;
        else if (v ~ /s$/) n *= 1000
        printf "%.3f", n }'
}

# wrk_once CONNS FILE [SECONDS]: prints "rps p50_ms p99_ms non2xx errors requests
# vireod_cpu_us_per_request libvirtd_cpu_us_per_request"
wrk_once() {
    c=$1; t=$c; [ "$t" -gt 2 ] && t=2
    wait_healthy
    lv=$(libvirtd_pid)
    v0=$(cpu_ticks "$VIREOD_PID"); l0=$(cpu_ticks "${lv:-0}")
    wrk -t"$t" -c"$c" -d"${3:-$DURATION}s" --latency -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" >"$2" 2>&1
    v1=$(cpu_ticks "$VIREOD_PID"); l1=$(cpu_ticks "${lv:-0}")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$2")
    p50=$(awk '$1 == "50%" {print $2}' "$2")
    p99=$(awk '$1 == "99%" {print $2}' "$2")
    reqs=$(awk '/ requests in / {print $1}' "$2")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$2")
    errs=$(awk '/Socket errors:/ {s = 0; for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s}' "$2")
    cpu() { awk -v d="$1" -v n="${reqs:-0}" -v t="$TICK_US" 'BEGIN {if (n > 0) printf "%.0f", d * t / n; else print "-"}'; }
    echo "${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") ${non2xx:-0} ${errs:-0} ${reqs:-0}" \
         "$(cpu $((v1 - v0))) $(cpu $((l1 - l0)))"
}

# run_wrk VMS CONNS FILE: wrk_once, run again (twice at most) when some
# answers were not 200, which means libvirt went away during the run; appends
# "VMS CONNS <wrk_once's fields> attempts" to $RESULTS.
run_wrk() {
    a=1
    while :; do
        r=$(wrk_once "$2" "$3")
        bad=$(echo "$r" | awk '{print $4}')
        if [ "$bad" = 0 ] || [ $a -ge 3 ]; then break; fi
        say "  $bad non-2xx answers (libvirt restarted?); running again"
        a=$((a + 1)); sleep 2
    done
    echo "$1 $2 $r $a" >>"$RESULTS"
}

# run_floor OUTFILE BULK_ITERS NAIVE_ITERS [-e]: the floor, again (twice at
# most) if libvirt went away meanwhile.
run_floor() {
    a=1
    # shellcheck disable=SC2086  # $4 is an optional flag: absent, not ""
    until "$OUT/floor" -c "$URI" -n "$2" -m "$3" ${4:-} >"$1" 2>"$TMP/floor.err"; do
        say "  floor failed: $(cat "$TMP/floor.err")"
        [ $a -lt 3 ] || exit 1
        a=$((a + 1))
        until virsh -q -c "$URI" uri >/dev/null 2>&1; do sleep 0.5; done
    done
}

# ---- the runs ----
: >"$OUT/vireod.log"
RESULTS=$TMP/results  # VMs conns rps p50 p99 non2xx errors requests vireod_us libvirtd_us attempts
FLOORS=$TMP/floors    # VMs domains bulk_med_before bulk_p99_before bulk_med_after bulk_p99_after naive_med naive_p99 missing
                      #   evloop_med bulk_cpu_us evloop_cpu_us floor_rss_kib
MEM=$TMP/mem          # VMs rss_start rss_warm peak_sampled hwm
PAIRS=$TMP/pairs      # VMs round floor_median vireod_p50 non2xx
LIVE=$TMP/live        # VMs list_bytes list_gzip_bytes vireod_cpu_ms_per_s libvirtd_cpu_ms_per_s
: >"$RESULTS"; : >"$FLOORS"; : >"$MEM"; : >"$PAIRS"; : >"$LIVE"
started=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

for n in $COUNTS; do
    say "defining $n domains"
    define_upto "$n"
    sleep 2   # let libvirtd settle after the burst of defines

    # The floor runs right before and right after the 1-connection run, so
    # that the comparison sees the same background load on this shared box.
    say "floor at $n VMs (bulk + naive)"
    run_floor "$TMP/floor.$n.a" 500 20
    run_floor "$TMP/floor.$n.e" 500 0 -e

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
        run_wrk "$n" "$c" "$OUT/wrk-$n-$c.txt"
        if [ "$c" = 1 ]; then
            # Paired rounds: the background load of this shared box changes
            # by the second, so each vireod sample gets a floor sample taken
            # right before it.
            say "paired floor / 1-connection rounds at $n VMs"
            for r in 1 2 3 4 5; do
                run_floor "$TMP/floor.$n.b" 200 0
                wait_healthy
                w=$(wrk_once 1 "$TMP/pair.wrk" 2)
                echo "$n $r $(fval "$TMP/floor.$n.b" bulk_median_ms) $(echo "$w" | awk '{print $2, $4}')" >>"$PAIRS"
            done
        fi
        sleep 1
    done
    stop_sampler

    # The list's size plain and gzip-compressed (as a browser asks for it).
    base=http://127.0.0.1:$PORT
    lp=$(curl -fsS -H "$AUTH" "$base/api/vms" | wc -c)
    lz=$(curl -fsS -H "$AUTH" -H 'Accept-Encoding: gzip' "$base/api/vms" | wc -c)
    # What keeping the list true costs while someone looks: requests
    # stopped, the model revalidates with the three bulk calls every
    # 250 ms for 30 s after the last list (or while event streams are open).
    say "revalidation cost at $n VMs (10 s, no requests)"
    lv=$(libvirtd_pid)
    v0=$(cpu_ticks "$VIREOD_PID"); l0=$(cpu_ticks "${lv:-0}")
    sleep 10
    v1=$(cpu_ticks "$VIREOD_PID"); l1=$(cpu_ticks "${lv:-0}")
    echo "$n $lp $lz $(( (v1 - v0) * TICK_US / 10000 )) $(( (l1 - l0) * TICK_US / 10000 ))" >>"$LIVE"
    [ -s "$TMP/floor.$n.b" ] || cp "$TMP/floor.$n.a" "$TMP/floor.$n.b"
    a=$TMP/floor.$n.a; b=$TMP/floor.$n.b
    echo "$n $(fval "$a" domains) $(fval "$a" bulk_median_ms) $(fval "$a" bulk_p99_ms)" \
         "$(fval "$b" bulk_median_ms) $(fval "$b" bulk_p99_ms) $(fval "$a" naive_median_ms)" \
         "$(fval "$a" naive_p99_ms) $(fval "$a" missing_stats)" \
         "$(fval "$TMP/floor.$n.e" bulk_median_ms) $(fval "$a" bulk_cpu_us)" \
         "$(fval "$TMP/floor.$n.e" bulk_cpu_us) $(fval "$TMP/floor.$n.e" rss_kib)" >>"$FLOORS"
    echo "$n $rss_start $rss_warm $(cat "$TMP/peak.$n") $(hwm_kib "$VIREOD_PID")" >>"$MEM"
    stop_vireod
done

# ---- the sampler (live figures) ----
STATS_BENCH=${STATS_BENCH:-$REPO/build/stats-bench}
STATS_SAMPLES=${BENCH_STATS_SAMPLES:-50}
STATS_VMS=${BENCH_STATS_VMS:-100}
STATS_OK=
if [ -x "$STATS_BENCH" ]; then
    # The VMs of the largest count are still defined (not started).
    say "sampler: $STATS_SAMPLES samples of every VM and the host"
    lv=$(libvirtd_pid)
    l0=$(cpu_ticks "${lv:-0}")
    if "$STATS_BENCH" sample -c "$URI" -n "$STATS_SAMPLES" -d "$TMP" >"$TMP/stats.sample" 2>"$TMP/stats.err"; then
        l1=$(cpu_ticks "${lv:-0}")
        echo "libvirtd_us_per_sample=$(( (l1 - l0) * TICK_US / STATS_SAMPLES ))" >>"$TMP/stats.sample"
        say "sampler: history writes of $STATS_VMS running VMs"
        "$STATS_BENCH" write -v "$STATS_VMS" -n 200 -d "$TMP" >"$TMP/stats.write" 2>>"$TMP/stats.err" &&
        say "sampler: a simulated year of $STATS_VMS running VMs" &&
        "$STATS_BENCH" year -v "$STATS_VMS" -d "$TMP" >"$TMP/stats.year" 2>>"$TMP/stats.err" &&
        STATS_OK=1
    fi
    [ -n "$STATS_OK" ] || say "sampler benchmark failed: $(cat "$TMP/stats.err")"
else
    say "no $STATS_BENCH: the sampler's benchmark is left out (make build/stats-bench)"
fi

# ---- idle event streams, idle CPU, the UI's size ----
say "500 idle event streams"
start_vireod --max-streams-per-credential 1024 --max-connections 1024 \
    --max-connections-per-address 1024
base=http://127.0.0.1:$PORT
sleep 1
s_before=$(rss_kib "$VIREOD_PID")
echo "$TOKEN" | python3 "$REPO/tests/bench/streams.py" "$PORT" 500 >"$TMP/streams.out" 2>&1 &
STREAMS_PID=$!
i=0
until grep -q '^ready' "$TMP/streams.out" 2>/dev/null; do
    kill -0 "$STREAMS_PID" 2>/dev/null || { say "streams.py: $(cat "$TMP/streams.out")"; break; }
    i=$((i + 1)); [ $i -lt 600 ] || break
    sleep 0.1
done
sleep 2
s_after=$(rss_kib "$VIREOD_PID")
s_count=$(awk '/^ready/ {print $2}' "$TMP/streams.out")
kill "$STREAMS_PID" 2>/dev/null || true; wait "$STREAMS_PID" 2>/dev/null || true; STREAMS_PID=
echo "${s_count:-0} $s_before $s_after" >"$TMP/streams"

# Nobody looks: no request for longer than the model's 30 s, no stream.
say "idle CPU (40 s after the last request)"
sleep 30
lv=$(libvirtd_pid)
v0=$(cpu_ticks "$VIREOD_PID"); l0=$(cpu_ticks "${lv:-0}")
sleep 10
v1=$(cpu_ticks "$VIREOD_PID"); l1=$(cpu_ticks "${lv:-0}")
idle_v=$(( (v1 - v0) * TICK_US / 10000 )); idle_l=$(( (l1 - l0) * TICK_US / 10000 ))

# The UI's first screen, plain and compressed.
ui_plain=0; ui_gz=0; ui_count=0
for f in $(python3 "$REPO/tests/bench/ui_files.py" "$REPO/webui"); do
    ui_plain=$((ui_plain + $(curl -fsS "$base$f" | wc -c)))
    ui_gz=$((ui_gz + $(curl -fsS -H 'Accept-Encoding: gzip' "$base$f" | wc -c)))
    ui_count=$((ui_count + 1))
done
stop_vireod
elapsed=$(( $(date +%s) - started ))

# ---- report ----
dn_of() { awk -v n="$1" '$1 == n {print $2}' "$FLOORS"; }
{
    echo "# Vireo benchmark: GET /api/vms"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n): $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),"
    echo "libvirt $(pkg-config --modversion libvirt), $URI, wrk $(wrk --version 2>&1 | awk 'NR == 1 {print $2}'), ${DURATION}s per run,"
    echo "whole run ${elapsed}s; load average before the run: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "vireod: \`--log-level warn\`$( [ -n "$THREADS" ] && echo ", \`--threads $THREADS\`" || echo ", default thread pool (--threads 4)");"
    echo "every request carries an API token (\`Authorization: Bearer\`), so its check (a SHA-256 and two sqlite lookups) is included."
    echo "Domains: persistent, defined and **not started** (\`type='qemu'\`, 64 MiB, 1 vCPU). The VM counts below are"
    echo "what libvirt listed, i.e. the bench domains plus any other domain defined on the host at the time."
    echo
    echo "**Caveat:** the machine's $(nproc) cores are shared by wrk, vireod, libvirtd and the floor (and by anything"
    echo "else running on the host); at 8 and 64 connections wrk and libvirtd compete with vireod for CPU, so"
    echo "those rows measure the whole box, not vireod alone."
    echo
    echo "## Throughput and latency (wrk -t min(conns,2) -c conns -d ${DURATION}s --latency)"
    echo
    echo "CPU/request = CPU time (user + system) the process used during the run divided by the requests served."
    echo
    echo "| VMs | connections | requests/s | p50 (ms) | p99 (ms) | vireod CPU/request (us) | libvirtd CPU/request (us) | non-2xx | socket errors | runs |"
    echo "|----:|------------:|-----------:|---------:|---------:|------------------------:|--------------------------:|--------:|--------------:|-----:|"
    while read -r n c rps p50 p99 non2xx errs reqs vus lus att; do
        echo "| $(dn_of "$n") | $c | $rps | $p50 | $p99 | $vus | $lus | $non2xx | $errs | $att |"
    done <"$RESULTS"
    echo
    echo "A row with non-2xx answers is not valid (libvirt was unreachable during it); runs > 1 means"
    echo "earlier runs had such answers and were thrown away."
    echo
    echo "## libvirt floor (tests/bench/floor.c: one connection, 500 lists; naive: 20 lists)"
    echo
    echo "Bulk = what vireod calls per request: ListAllDomains(AUTOSTART) + ListAllDomains(TRANSIENT) +"
    echo "GetAllDomainStats(STATE|VCPU|BALLOON), reading name + UUID. Naive = ListAllDomains(0), then per domain"
    echo "GetInfo + GetAutostart + IsPersistent + GetXMLDesc. \"First\" is measured before vireod starts (500"
    echo "lists); the paired rounds below take 200 more each."
    echo
    echo "| VMs | bulk median (ms) first / paired rounds (last) | bulk p99 (ms) first / paired rounds (last) | bulk median with event loop (ms) | client CPU/list (us) plain / event loop | naive median (ms) | naive p99 (ms) | naive / bulk (medians) | stats records missing vcpu/balloon |"
    echo "|----:|--------------------------------:|-----------------------------:|---------------------------------:|----------------------------------------:|------------------:|---------------:|-----------------------:|-----------------------------------:|"
    while read -r n dn ba bpa bb bpb nm np miss em bc ec rss; do
        ratio=$(awk -v a="$nm" -v b="$ba" -v c="$bb" 'BEGIN {printf "%.1fx", a / ((b + c) / 2)}')
        echo "| $dn | $ba / $bb | $bpa / $bpb | $em | $bc / $ec | $nm | $np | $ratio | $miss |"
    done <"$FLOORS"
    echo
    echo "\"With event loop\" is the floor run with libvirt's default event loop on a thread and keepalive on,"
    echo "as vireod runs it; \"client CPU/list\" is the floor process's own CPU (libvirt's client side: RPC"
    echo "encoding, virDomain objects), which is the part of vireod's CPU/request that the floor accounts for."
    echo
    echo "## API overhead over the floor at 1 connection"
    echo
    echo "overhead = (vireod p50 - floor bulk median) / floor bulk median. Measured in 5 paired rounds per VM"
    echo "count (floor: 200 lists, then wrk -c1 -d2s), so that both halves of a pair see the same background"
    echo "load; the table gives the median round and the range. vireod's p50 includes the HTTP round trip on"
    echo "loopback, the inventory (sqlite) read, the JSON encoding and the ETag; wrk's resolution is 10 us."
    echo
    echo "| VMs | floor median (ms) | vireod p50 (ms) | difference (ms) | overhead (median round) | overhead range | client CPU per list: floor (event loop) / vireod (us) |"
    echo "|----:|------------------:|----------------:|----------------:|------------------------:|---------------:|------------------------------------------------------:|"
    # shellcheck disable=SC2034  # not every column is used here
    while read -r n dn ba bpa bb bpb nm np miss em bc ec rss; do
        vus=$(awk -v n="$n" '$1 == n && $2 == 1 {print $9}' "$RESULTS")
        awk -v n="$n" '$1 == n && $5 == 0 {print ($4 - $3) / $3 * 100, $3, $4}' "$PAIRS" | sort -n >"$TMP/ov"
        k=$(wc -l <"$TMP/ov")
        [ "$k" -gt 0 ] || continue
        awk -v dn="$dn" -v k="$k" -v ec="$ec" -v v="$vus" '
            { o[NR] = $1; f[NR] = $2; p[NR] = $3 }
            END { m = int((k + 1) / 2)
                  printf "| %s | %.3f | %.3f | %+.3f | %+.0f%% | %+.0f%% .. %+.0f%% | %.0f / %s |\n",
                         dn, f[m], p[m], p[m] - f[m], o[m], o[1], o[k], ec, v }' "$TMP/ov"
    done <"$FLOORS"
    echo
    echo "## vireod memory (RSS, MiB)"
    echo
    echo "| VMs | idle after start (1 request served) | idle after warm-up | peak under load (sampled every 100 ms) | VmHWM at end | bare libvirt client (the floor, with event loop) |"
    echo "|----:|------------------------------------:|-------------------:|---------------------------------------:|-------------:|-------------------------------------------------:|"
    while read -r n s w p h; do
        frss=$(awk -v n="$n" '$1 == n {print $13}' "$FLOORS")
        echo "| $(dn_of "$n") | $(mib "$s") | $(mib "$w") | $(mib "$p") | $(mib "$h") | $(mib "${frss:-0}") |"
    done <"$MEM"
    echo
    echo "RSS counts the pages of shared libraries the process has touched; libvirt's client library alone"
    echo "brings ~60 of them (gnutls, libcrypto, libssh, libcurl, libxml2, ICU ...), see the last column."
    echo
    echo "## Against the goals (issue 10)"
    echo
    echo "At one connection vireod's p50 within 1.2x the floor (medians of the paired rounds); at 64"
    echo "connections at least 3x the lists per second the floor's single loop does (1000 / its first median)."
    echo
    echo "| VMs | floor median (ms) | 1.2x floor (ms) | vireod p50 (ms) | met | floor lists/s | 3x floor | vireod req/s at 64 | met |"
    echo "|----:|------------------:|----------------:|----------------:|:---:|--------------:|---------:|-------------------:|:---:|"
    # shellcheck disable=SC2034  # not every column is used here
    while read -r n dn ba bpa bb bpb nm np miss em bc ec rss; do
        awk -v n="$n" '$1 == n && $5 == 0 {print $3, $4}' "$PAIRS" >"$TMP/g"
        k=$(wc -l <"$TMP/g"); [ "$k" -gt 0 ] || continue
        fm=$(awk '{print $1}' "$TMP/g" | sort -n | awk -v k="$k" 'NR == int((k + 1) / 2)')
        vp=$(awk '{print $2}' "$TMP/g" | sort -n | awk -v k="$k" 'NR == int((k + 1) / 2)')
        r64=$(awk -v n="$n" '$1 == n && $2 == 64 {print $3}' "$RESULTS")
        awk -v dn="$dn" -v fm="$fm" -v vp="$vp" -v fa="$ba" -v r="${r64:-0}" 'BEGIN {
            fl = 1000 / fa
            printf "| %s | %.3f | %.3f | %.3f | %s | %.0f | %.0f | %.0f | %s |\n", dn, fm, fm * 1.2, vp,
                   (vp <= fm * 1.2 ? "yes" : "no"), fl, 3 * fl, r, (r >= 3 * fl ? "yes" : "no") }'
    done <"$FLOORS"
    echo
    echo "## Staying true to libvirt"
    echo
    echo "The list comes from vireod's model of the host (docs/vm-list.md). While anyone lists or follows"
    echo "the event stream, the model revalidates with the three bulk calls every 250 ms; this is what"
    echo "that costs with no request at all (CPU over 10 s right after the runs), and what nobody looking costs."
    echo
    echo "| VMs | vireod CPU (ms per s) | libvirtd CPU (ms per s) |"
    echo "|----:|----------------------:|------------------------:|"
    while read -r n lp lz vc lc; do
        echo "| $(dn_of "$n") | $vc | $lc |"
    done <"$LIVE"
    echo "| nobody looking (40 s after the last request) | $idle_v | $idle_l |"
    echo
    echo "## Sizes with gzip (Accept-Encoding: gzip)"
    echo
    echo "| answer | plain (bytes) | gzip (bytes) |"
    echo "|---|---:|---:|"
    while read -r n lp lz vc lc; do
        echo "| GET /api/vms, $(dn_of "$n") VMs | $lp | $lz |"
    done <"$LIVE"
    echo "| the UI's first screen ($ui_count files: index.html, app.css, favicon, app.js and the modules it imports) | $ui_plain | $ui_gz |"
    echo
    echo "## Idle event streams"
    echo
    read -r sc sb sa <"$TMP/streams"
    awk -v c="$sc" -v b="$sb" -v a="$sa" 'BEGIN {
        printf "%d idle streams of one admin API token (`GET /api/events`): vireod RSS %.1f MiB before, %.1f MiB with them:\n", c, b / 1024, a / 1024
        printf "**+%.2f MiB** (%.1f KiB per stream; goal: under 8 MiB for 500).\n", (a - b) / 1024, c ? (a - b) / c : 0 }'
    echo
    echo "Raw wrk output: build/bench/wrk-<VMs>-<connections>.txt; vireod's log: build/bench/vireod.log."
    if [ -n "$STATS_OK" ]; then
        sm=$TMP/stats.sample; wr=$TMP/stats.write; yr=$TMP/stats.year
        mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
        echo
        echo "## The sampler (live figures)"
        echo
        echo "build/stats-bench (tests/bench/stats_bench.c), linked from vireod's own objects: what the sampler"
        echo "thread does each interval, timed back to back. A sample is one bulk virConnectGetAllDomainStats call"
        echo "(state, cpu-total, balloon, vcpu, interface, block) for every VM, plus virNodeGetInfo, virNodeGetCPUStats"
        echo "and virNodeGetMemoryStats, plus /proc/diskstats and /proc/net/dev; then the figures and the history"
        echo "write (one transaction) into a scratch database. The VMs are the bench's defined, **not started** ones"
        echo "(and whatever else the host had); a stopped VM costs its record in the bulk call, not a history row."
        echo
        echo "| VMs listed (running) | sample: median / p99 (ms) | sample + figures + history write: median / p99 (ms) | vireod CPU per sample (us) | libvirtd CPU per sample (us) |"
        echo "|---:|---:|---:|---:|---:|"
        echo "| $(fval "$sm" vms) ($(fval "$sm" running)) | $(fval "$sm" sample_median_ms) / $(fval "$sm" sample_p99_ms) | $(fval "$sm" total_median_ms) / $(fval "$sm" total_p99_ms) | $(fval "$sm" cpu_us_per_sample) | $(fval "$sm" libvirtd_us_per_sample) |"
        echo
        echo "The history write for $(fval "$wr" vms) **running** VMs and the host (synthetic figures, 4 upserts per"
        echo "series, the tier trims; after a first hour of samples), through db_stats_writer_add as the sampler"
        echo "calls it, with vireod's settings (WAL, synchronous=NORMAL), $(fval "$wr" writes) writes:"
        echo "median $(fval "$wr" write_median_ms) ms, p99 $(fval "$wr" write_p99_ms) ms, $(fval "$wr" cpu_us_per_write) us of CPU per write."
        echo "The inventory is locked meanwhile: requests that touch it wait that long, once per interval."
        echo
        echo "### History after a simulated year ($(fval "$yr" vms) running VMs, --stats-max-mib $(fval "$yr" max_mib))"
        echo
        echo "$(fval "$yr" samples) samples written through db_stats_writer_add: one an hour for 335 days, one every"
        echo "10 min for 29 days, one a minute for 23 hours, one every 5 s in the last hour, so that every tier ends"
        echo "with every bucket a real year leaves it; only how many samples each bucket averaged differs (the"
        echo "stored averages and maxima have the same size). Figures: synthetic, of realistic magnitudes"
        echo "(GiBs of memory, MB/s of disk). Written in $(fval "$yr" seconds) s (synchronous=OFF and a 256 MiB page cache for the simulation)."
        echo
        echo "| rows | tier 0 / 1 / 2 / 3 rows | row bound | history (dbstat) | bytes per row | database file | of it free pages |"
        echo "|---:|---:|---:|---:|---:|---:|---:|"
        echo "| $(fval "$yr" rows) | $(fval "$yr" tier0_rows) / $(fval "$yr" tier1_rows) / $(fval "$yr" tier2_rows) / $(fval "$yr" tier3_rows) | $(fval "$yr" row_bound) | $(mb "$(fval "$yr" history_bytes)") MiB | $(fval "$yr" bytes_per_row) | $(mb "$(fval "$yr" file_bytes)") MiB | $(mb "$(fval "$yr" free_bytes)") MiB |"
        echo
        echo "Then, with vireod's settings again (synchronous=NORMAL, sqlite's default 2 MiB page cache), 200 more"
        echo "samples into the full history: write median $(fval "$yr" steady_write_median_ms) ms, p99 $(fval "$yr" steady_write_p99_ms) ms,"
        echo "$(fval "$yr" steady_cpu_us_per_write) us of CPU per write."
    fi
} >"$REPORT"

run_other_parts
cat "$REPORT"
