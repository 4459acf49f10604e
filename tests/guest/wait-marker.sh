#!/bin/sh
# Waits until the test guest NAME has printed VIREO-GUEST-READY on its serial
# line at least COUNT times since its QEMU process started (a guest reboot
# keeps the same log, so pass COUNT=2 after one reboot).
# Usage: wait-marker.sh NAME [TIMEOUT_S=60] [COUNT=1]   exit 0 found, 1 timeout
set -eu

NAME=${1:?usage: wait-marker.sh NAME [TIMEOUT_S] [COUNT]}
TIMEOUT=${2:-60}
COUNT=${3:-1}
LOG=${VIREO_SERIAL_LOG_DIR:-/var/log/libvirt/qemu}/$NAME-serial.log
MARKER=VIREO-GUEST-READY

deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
    n=0
    [ -f "$LOG" ] && n=$(grep -c "$MARKER" "$LOG" 2>/dev/null || true)
    if [ "${n:-0}" -ge "$COUNT" ]; then
        exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "wait-marker: $MARKER x$COUNT not seen in $LOG after ${TIMEOUT}s (seen ${n:-0})" >&2
        exit 1
    fi
    sleep 0.2
done
