# Helpers of the benchmarks, sourced by tests/bench/run.sh and
# tests/bench/hosts-list.sh: vireod started and stopped with an API token,
# the floor built, a bench domain's definition. Uses their variables REPO,
# OUT, TMP, VIREOD, URI (vireod's --connect), THREADS (empty: vireod's
# default), VIREOD_LOG and say(); sets VIREOD_PID, PORT, TOKEN and AUTH.
VIREOD_PID=

free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Every API route but the login and the API description needs credentials:
# vireod starts on a fresh inventory with a random admin password
# (--init-admin-password-file), the script logs in once and makes an API
# token, and every request (curl, wrk) carries "Authorization: Bearer $TOKEN".
# Secrets stay in files under $TMP (mode 0600), not on command lines, except
# the token that wrk needs as an argument.
TOKEN=
AUTH=

get_token() {
    base=http://127.0.0.1:$PORT
    (umask 077; jq -n --rawfile p "$TMP/admin-password" '{username: "admin", password: ($p | rtrimstr("\n"))}' \
        >"$TMP/login.json")
    curl -fsS -o /dev/null -c "$TMP/cookies" -H 'Content-Type: application/json' \
        --data-binary @"$TMP/login.json" "$base/api/session" ||
        { say "login as admin failed: see $VIREOD_LOG"; exit 1; }
    # A cookie session must send the CSRF header and a same-origin Origin.
    TOKEN=$(curl -fsS -b "$TMP/cookies" -H 'Content-Type: application/json' \
        -H 'X-Vireo-CSRF: 1' -H "Origin: $base" --data '{"name": "bench"}' \
        "$base/api/tokens" | jq -r '.token // empty') || TOKEN=
    rm -f "$TMP/cookies" "$TMP/login.json"
    [ -n "$TOKEN" ] || { say "could not create an API token"; exit 1; }
    AUTH="Authorization: Bearer $TOKEN"
}

# start_vireod [EXTRA ARGS...]
start_vireod() {
    PORT=$(free_port)
    (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$TMP/admin-password")
    set -- "$@" --listen "127.0.0.1:$PORT" --connect "$URI" --db "$TMP/bench.db" \
        --webui "$REPO/webui" --log-level warn --init-admin-password-file "$TMP/admin-password"
    [ -n "$THREADS" ] && set -- "$@" --threads "$THREADS"
    rm -f "$TMP/bench.db" "$TMP/bench.db-wal" "$TMP/bench.db-shm"
    "$VIREOD" "$@" 2>>"$VIREOD_LOG" &
    VIREOD_PID=$!
    i=0
    # The API description is public: it answers once HTTP is up.
    until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/openapi.json" 2>/dev/null; do
        kill -0 "$VIREOD_PID" 2>/dev/null || { say "vireod died: see $VIREOD_LOG"; exit 1; }
        i=$((i + 1)); [ $i -lt 100 ] || { say "vireod does not answer on $PORT"; exit 1; }
        sleep 0.1
    done
    get_token
    wait_healthy
}

# Waits until vireod answers the list with 200 (libvirtd may be restarting:
# other test runs on this host do that).
wait_healthy() {
    i=0
    until curl -fsS -o /dev/null -H "$AUTH" "http://127.0.0.1:$PORT/api/vms" 2>/dev/null; do
        kill -0 "$VIREOD_PID" 2>/dev/null || { say "vireod died: see $VIREOD_LOG"; exit 1; }
        i=$((i + 1)); [ $i -lt 300 ] || { say "vireod does not answer 200 on $PORT"; exit 1; }
        sleep 0.1
    done
}

vireod_stop() {
    if [ -n "$VIREOD_PID" ]; then
        kill -TERM "$VIREOD_PID" 2>/dev/null || true
        i=0
        while kill -0 "$VIREOD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$VIREOD_PID" 2>/dev/null || true
        wait "$VIREOD_PID" 2>/dev/null || true
        VIREOD_PID=
    fi
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# The machine's libvirtd (qemu:///system), not a lab host's: pidof lists
# those too, and first.
libvirtd_pid() {
    lvd=$(cat /run/libvirtd.pid 2>/dev/null || true)
    [ -n "$lvd" ] && [ -d "/proc/$lvd" ] || lvd=$(pgrep -o -x libvirtd || true)
    echo "${lvd:-0}"
}

cpu_ticks() {   # utime + stime of a process, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
# shellcheck disable=SC2034  # used by run.sh
TICK_US=$(( 1000000 / $(getconf CLK_TCK) ))

fval() { awk -F= -v k="$2" '$1 == k {print $2}' "$1"; }

# The libvirt floor (tests/bench/floor.c) as $OUT/floor.
build_floor() {
    # shellcheck disable=SC2046  # pkg-config's flags are meant to be split
    cc -O2 -std=gnu17 -Wall -Wextra -o "$OUT/floor" "$REPO/tests/bench/floor.c" \
        $(pkg-config --cflags --libs libvirt glib-2.0) -lpthread
}

# domain_xml NAME: a bench domain, defined and never started (no disk: cheap
# to define by the hundred).
domain_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
EOF
}
