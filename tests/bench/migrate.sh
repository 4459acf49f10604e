#!/bin/sh
# Benchmark of live migration between the two lab hosts (tests/hosts/lab.sh):
# the running 128 MiB TCG test guest (no disk) moved A->B and back through
# Vireo's engine (build/vireo-migrate, virt/virt_migrate.c) and through plain
# `virsh migrate --live --persistent --undefinesource` (the same managed
# migration), interleaved in one run. Per move: wall time, libvirt's job
# time and the guest's downtime (the completed job on the target); medians.
# Writes build/bench/migrate.md. A benchmark: nothing passes or fails on a
# number. Root. Brings the lab up, and down again if it was not up before.
#
# Env: BENCH_MIGRATE_ROUNDS [3]  (each round: engine A->B->A, virsh A->B->A)
set -eu

REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${BENCH_MIGRATE_ROUNDS:-3}
ENGINE=${VIREO_MIGRATE_BIN:-$REPO/build/vireo-migrate}
OUT=$REPO/build/bench
LAB=$REPO/tests/hosts/lab.sh
NAME=vireo-lab-bench
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/vireo-bench-migrate.XXXXXX)

say() { echo "bench-migrate: $*" >&2; }

[ -x "$ENGINE" ] || { say "$ENGINE missing: make build/vireo-migrate"; exit 1; }
was_up=
sh "$LAB" status >/dev/null 2>&1 && was_up=1
sh "$LAB" up >/dev/null
. "${VIREO_LAB_DIR:-/run/vireo-lab}/env"
A=$VIREO_LAB_URI_A
B=$VIREO_LAB_URI_B

cleanup() {
    for u in "$A" "$B"; do
        virsh -q -c "$u" destroy "$NAME" >/dev/null 2>&1 || true
        virsh -q -c "$u" undefine "$NAME" >/dev/null 2>&1 || true
    done
    [ -n "$was_up" ] || sh "$LAB" down >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

sh "$REPO/tests/guest/build-guest.sh" >/dev/null
VIREO_CONNECT=$A sh "$REPO/tests/guest/define-guest.sh" "$NAME" 128 >/dev/null
virsh -q -c "$A" start "$NAME" >/dev/null
VIREO_SERIAL_LOG_DIR=$VIREO_LAB_DIR/a/log/qemu sh "$REPO/tests/guest/wait-marker.sh" "$NAME" 120

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The completed job on the target: "elapsed downtime" in ms.
job_of() {
    virsh -q -c "$1" domjobinfo --completed "$NAME" |
        awk -F: '/^Time elapsed:/ {gsub(/[^0-9]/, "", $2); e=$2}
                 /^Total downtime:/ {gsub(/[^0-9]/, "", $2); d=$2}
                 END {print e+0, d+0}'
}

# One move with `how` (engine|virsh) from $1 to $2: appends "wall job down".
move() {
    how=$1 from=$2 to=$3
    t0=$(now_ms)
    if [ "$how" = engine ]; then
        line=$("$ENGINE" "$from" "$to" "$NAME" --live | tail -n 1)
        case "$line" in moved*) ;; *) say "engine: $line"; exit 1 ;; esac
    else
        virsh -q -c "$from" migrate --live --persistent --undefinesource "$NAME" "$to" >/dev/null
    fi
    wall=$(($(now_ms) - t0))
    echo "$wall $(job_of "$to")" >>"$TMP/$how"
}

# One unmeasured round trip first: the first calls after the lab starts
# probe QEMU's and the host's capabilities (seconds, whoever makes them).
move engine "$A" "$B"
move virsh "$B" "$A"
rm -f "$TMP/engine" "$TMP/virsh"
i=0
while [ $i -lt "$ROUNDS" ]; do
    for how in engine virsh; do
        move "$how" "$A" "$B"
        move "$how" "$B" "$A"
    done
    i=$((i + 1))
done

median() { # column $2 of file $1
    awk -v c="$2" '{print $c}' "$1" | sort -n |
        awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else print int((v[NR/2]+v[NR/2+1])/2)}'
}
range() { awk -v c="$2" '{print $c}' "$1" | sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }
n=$(wc -l <"$TMP/engine")
{
    echo "## Live migration between two hosts"
    echo
    echo "The 128 MiB TCG test guest, running, without a disk, moved between the two libvirt hosts of"
    echo "tests/hosts/lab.sh (network and mount namespaces on this machine, qemu+tcp), $n moves each"
    echo "(A->B and B->A in turn), interleaved: through Vireo's engine (build/vireo-migrate: virt_migrate_run, checks included) and"
    echo "through plain \`virsh migrate --live --persistent --undefinesource\`. Job and downtime: libvirt's"
    echo "completed job on the target. Median (range), ms:"
    echo
    echo "| | wall | libvirt job | downtime |"
    echo "|---|---:|---:|---:|"
    for how in engine virsh; do
        f=$TMP/$how
        echo "| $how | $(median "$f" 1) ($(range "$f" 1)) | $(median "$f" 2) ($(range "$f" 2)) | $(median "$f" 3) ($(range "$f" 3)) |"
    done
} >"$OUT/migrate.md"
cat "$OUT/migrate.md"
