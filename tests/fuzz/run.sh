#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) from the project's
# sources into build/fuzz/ and runs each for FUZZ_SECONDS, on a copy of its
# seed corpus. One target is one test: "PASSED FAILED" goes to
# $VIREO_RESULTS_DIR/fuzz.count; the exit status is non-zero when any target
# failed to build or crashed.
#
#   FUZZ_SECONDS=30          run time per target (libFuzzer -max_total_time)
#   FUZZ_TARGETS="a b"       a subset of: api_dispatch domain_xml network_xml config static_path json_body auth_headers vm_spec driver_caps
#                            ws_frame screenshot tar ovf archive
#   FUZZ_JOBS=1              targets run at the same time (2 cores here: keep 1 for clean exec/s)
#   FUZZ_CC=clang            compiler with libFuzzer (Debian: libclang-rt-14-dev)
#   FUZZ_ARGS="..."          extra libFuzzer flags, e.g. -max_len=65536
#   FUZZ_COVERAGE=1          afterwards, line coverage of the project's sources
#                            reached by each grown corpus (llvm-cov report)
#
# Reproduce a crash:  build/fuzz/fuzz_<target> build/fuzz/artifacts/<target>/crash-...
# Flag lists ($SAN, $DEFS, pkg-config output) are split into words on
# purpose; DEFS carries literal quotes for the string macros.
# shellcheck disable=SC2046,SC2086,SC2089,SC2090
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_ARGS=${FUZZ_ARGS:-}
TARGETS=${FUZZ_TARGETS:-"api_dispatch domain_xml network_xml config static_path json_body auth_headers vm_spec ws_frame screenshot tar ovf archive driver_caps"}
RESULTS=${VIREO_RESULTS_DIR:-$ROOT/build/test-results}
OUT=$ROOT/build/fuzz
LOGS=$OUT/logs   # copied to $RESULTS at the end (other tiers may wipe $RESULTS meanwhile)
PKGS="libmicrohttpd jansson sqlite3 libvirt libxml-2.0 glib-2.0 gio-2.0 libsodium gnutls libpng zlib libxcrypt"
mkdir -p "$RESULTS" "$OUT" "$LOGS"
: >"$RESULTS/fuzz.failed"
rm -f "$LOGS"/*.log "$OUT"/*.rc

SAN="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
DEFS="-std=gnu17 -I. -D_GNU_SOURCE -DVIREO_VERSION=\"0.1.0\" -DVIREO_WEBUI_DIR=\"/tmp\""

# Sources each target links. CORE is what the API layer pulls in.
core_srcs() { echo api/*/*.c virt/*.c db/*.c "$OUT/openapi_blob.o"; }
target_srcs() {
    case $1 in
        api_dispatch) core_srcs ;;
        json_body)    core_srcs ;;
        static_path)  ls server/*.c | grep -v -e /main.c -e /http.c; core_srcs ;;  # includes server/http.c
        domain_xml)   echo virt/virt_domain_xml.c virt/virt_domain_xml_edit.c virt/virt_domain_clone_xml.c virt/virt_xml.c virt/virt_error.c ;;
        network_xml)  echo virt/virt_network_xml.c virt/virt_net_addr.c virt/virt_xml.c virt/virt_error.c ;;
        config)       echo server/config.c virt/virt_uri.c virt/virt_error.c ;;
        driver_caps)  echo virt/virt_driver.c virt/virt_driver_caps.c virt/virt_uri.c virt/virt_conn.c virt/virt_sever.c virt/virt_xml.c virt/virt_error.c ;;
        auth_headers) core_srcs ;;
        vm_spec)      core_srcs ;;
        ws_frame)     echo server/ws_frame.c ;;
        screenshot)   echo virt/virt_image.c virt/virt_error.c ;;
        tar)          echo virt/virt_tar.c virt/virt_ova.c virt/virt_ova_manifest.c virt/virt_ovf.c virt/virt_ovf_os.c virt/virt_xml.c virt/virt_error.c ;;
        ovf)          echo virt/virt_ovf.c virt/virt_ovf_os.c virt/virt_ova_manifest.c virt/virt_tar.c virt/virt_xml.c virt/virt_error.c ;;
        archive)      echo virt/virt_tar.c virt/virt_archive_sums.c virt/virt_error.c ;;
        *)            return 1 ;;
    esac
}

passed=0
failed=0

fail_all() {
    # Nothing can be built: every requested target is a failure.
    for t in $TARGETS; do failed=$((failed + 1)); done
    mkdir -p "$RESULTS"
    echo "$passed $failed" >"$RESULTS/fuzz.count"
    echo "fuzz: $passed passed, $failed failed"
    exit 1
}

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    echo "fuzz: $FUZZ_CC not found (apt-get install clang libclang-rt-14-dev)"
    fail_all
fi
if ! pkg-config --exists $PKGS; then
    echo "fuzz: missing development packages for: $PKGS"
    fail_all
fi
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
PKG_LIBS=$(pkg-config --libs $PKGS)
if command -v llvm-symbolizer >/dev/null 2>&1; then
    export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}"
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

echo "fuzz: building into $OUT"
# Debian's clang only recommends the libFuzzer/sanitizer runtimes.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    >"$OUT/probe.c"
if ! "$FUZZ_CC" $SAN "$OUT/probe.c" -o "$OUT/probe" >"$OUT/probe.log" 2>&1; then
    echo "fuzz: $FUZZ_CC cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev):"
    head -5 "$OUT/probe.log"
    fail_all
fi
if ! "$FUZZ_CC" -c -DOPENAPI_JSON='"api/core/openapi.json"' api/core/openapi_blob.S -o "$OUT/openapi_blob.o"; then
    echo "fuzz: cannot assemble api/core/openapi_blob.S"
    fail_all
fi

# The project's sources, each compiled once into an object every target
# shares (the flags are the same), two at a time: five targets link the
# whole API layer. They get the compiler's default warnings (clang warns
# where the project's gcc build does not); a failure shows in the link.
OBJ=$OUT/obj
rm -rf "$OBJ"
mkdir -p "$OBJ"
obj_of() {
    case $1 in
        *.o) echo "$1" ;;
        *) o=$(printf %s "$1" | tr / _); echo "$OBJ/${o%.c}.o" ;;
    esac
}
compile_sources() {
    for t in $TARGETS; do target_srcs "$t" 2>/dev/null; done | tr ' ' '\n' | grep '\.c$' |
        sort -u | while read -r src; do echo "$src $(obj_of "$src")"; done |
        xargs -P 2 -n 2 sh -c '$FUZZ_CC $SAN $DEFS $PKG_CFLAGS -c "$0" -o "$1" 2>>"$LOGS/objects.build.log"'
}

build_target() {
    t=$1
    log="$LOGS/$t.build.log"
    objs=""
    for src in $(target_srcs "$t"); do objs="$objs $(obj_of "$src")"; done
    # The harness itself is held to -Werror.
    "$FUZZ_CC" $SAN $DEFS -Wall -Wextra -Werror $PKG_CFLAGS -c "tests/fuzz/fuzz_$t.c" \
        -o "$OUT/fuzz_$t.o" >"$log" 2>&1 &&
    "$FUZZ_CC" $SAN $DEFS $PKG_CFLAGS "$OUT/fuzz_$t.o" $objs \
        -o "$OUT/fuzz_$t" $PKG_LIBS -lpam -lm -lpthread >>"$log" 2>&1
}

run_target() {
    t=$1
    log="$LOGS/$t.log"
    corpus="$OUT/corpus-$t"
    rm -rf "$corpus" "$OUT/artifacts/$t"
    mkdir -p "$corpus" "$OUT/artifacts/$t"
    [ -d "tests/fuzz/corpus/$t" ] && cp "tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
    dict=""
    [ -f "tests/fuzz/dict/$t.dict" ] && dict="-dict=tests/fuzz/dict/$t.dict"
    # Known bad inputs first (tests/fuzz/repro/<target>/): each runs once, so
    # a bug that was found stays a failing test until it is fixed.
    if [ -d "tests/fuzz/repro/$t" ] && [ -n "$(ls "tests/fuzz/repro/$t")" ]; then
        if ! "$OUT/fuzz_$t" -runs=1 "tests/fuzz/repro/$t"/* >"$log.repro" 2>&1; then
            cat "$log.repro" >"$log"
            echo 1 >"$OUT/$t.rc"
            return
        fi
    fi
    "$OUT/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$OUT/artifacts/$t/" \
        $dict $FUZZ_ARGS "$corpus" >"$log" 2>&1
    echo $? >"$OUT/$t.rc"
}

# Stats of one finished run: "execs exec/s cov ft corpus".
stats_of() {
    log=$1
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    echo "execs=${execs:-?} exec/s=${eps:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
}

# One line saying why a run failed: the broken invariant with its detail,
# or the sanitizer's summary, or libFuzzer's own verdict (timeout, OOM).
failure_cause() {
    log=$1
    cause=$(grep -A1 "INVARIANT FAILED" "$log" | head -2 | sed 's/^ *//' | paste -sd' ' -)
    [ -n "$cause" ] || cause=$(grep -m1 "^SUMMARY" "$log")
    [ -n "$cause" ] || cause=$(grep -m1 -E "^==[0-9]+== ERROR: libFuzzer|out-of-memory" "$log")
    printf '%s' "${cause:-no cause in the log}" | cut -c1-300
}

export FUZZ_CC SAN DEFS PKG_CFLAGS LOGS
compile_sources
built=""
for t in $TARGETS; do
    if ! target_srcs "$t" >/dev/null; then
        echo "fuzz: unknown target '$t'"
        failed=$((failed + 1))
        continue
    fi
    if build_target "$t"; then
        built="$built $t"
    else
        echo "$t (build)" >>"$RESULTS/fuzz.failed"
        echo "fuzz: $t: BUILD FAILED; log follows"
        grep -E "error|undefined reference" "$LOGS/$t.build.log" | head -20
        failed=$((failed + 1))
    fi
done

echo "fuzz: running each target for ${FUZZ_SECONDS}s"
running=0
for t in $built; do
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$FUZZ_JOBS" ]; then
        wait
        running=0
    fi
done
wait

for t in $built; do
    rc=$(cat "$OUT/$t.rc" 2>/dev/null || echo 1)
    log="$LOGS/$t.log"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "fuzz: $t: ok ($(stats_of "$log"))"
    else
        failed=$((failed + 1))
        # The cause goes on the name's line too: CI shows only the log's tail.
        echo "$t (exit $rc, log $RESULTS/fuzz-$t.log): $(failure_cause "$log")" >>"$RESULTS/fuzz.failed"
        echo "fuzz: $t: FAILED (exit $rc; $(stats_of "$log")); log: $log"
        grep -E "^Running: tests/fuzz/repro/" "$log" | tail -1
        grep -A1 -E "^==[0-9]+==ERROR|INVARIANT FAILED|runtime error|out-of-memory" "$log" | head -8
        grep -E "^    #[0-9]+ .* in [a-z_]+ /|^SUMMARY" "$log" | grep -v -E "libFuzzer|fuzzer::|__sanitizer|abort|raise|pthread_kill" | head -12
        for a in "$OUT/artifacts/$t"/*; do
            [ -e "$a" ] && echo "  reproduce: $OUT/fuzz_$t $a"
        done
    fi
done

# Source-based coverage of what the corpora reach: a separate, unsanitized
# build (-runs=0 executes each corpus file once).
if [ "${FUZZ_COVERAGE:-0}" = 1 ]; then
    for t in $built; do
        srcs=$(target_srcs "$t")
        if "$FUZZ_CC" -g -O0 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
               $DEFS $PKG_CFLAGS "tests/fuzz/fuzz_$t.c" $srcs -o "$OUT/cov_$t" \
               $PKG_LIBS -lpam -lm -lpthread >"$LOGS/$t.cov-build.log" 2>&1 &&
           LLVM_PROFILE_FILE="$OUT/cov_$t.profraw" "$OUT/cov_$t" -runs=0 "$OUT/corpus-$t" \
               >"$LOGS/$t.cov-run.log" 2>&1 &&
           llvm-profdata merge -sparse "$OUT/cov_$t.profraw" -o "$OUT/cov_$t.profdata"; then
            echo "fuzz: $t: line coverage of its corpus ($(find "$OUT/corpus-$t" -type f | wc -l) inputs):"
            files=$(echo $srcs | tr ' ' '\n' | grep '\.c$')
            [ "$t" = static_path ] && files="$files server/http.c"
            llvm-cov report "$OUT/cov_$t" -instr-profile="$OUT/cov_$t.profdata" $files |
                awk '$1 ~ /\.c$/ && $10 != "0.00%" && $10 != "-" {
                         printf "    %-24s lines %7s of %4d   functions %s\n", $1, $10, $8, $7
                         n += $8; m += $9 }
                     END { if (n) printf "    %-24s lines %6.2f%% of %4d (files it reaches)\n", "total", 100 * (n - m) / n, n }'
        else
            echo "fuzz: $t: coverage build or run failed (see $LOGS/$t.cov-*.log)"
        fi
    done
fi

mkdir -p "$RESULTS"
for f in "$LOGS"/*.log; do
    [ -e "$f" ] && cp "$f" "$RESULTS/fuzz-$(basename "$f")"
done
echo "$passed $failed" >"$RESULTS/fuzz.count"
echo "fuzz: $passed passed, $failed failed (logs: $LOGS)"
[ "$failed" -eq 0 ]
