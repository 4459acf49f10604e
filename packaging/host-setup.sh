#!/bin/sh
# Makes the host ready for vireod where there is no systemd: lets libvirt's
# QEMU user open /dev/kvm and starts virtlogd and libvirtd when they are not
# running (QEMU guests do not start without virtlogd).
#
# A socket file or a pid file alone proves nothing: when a machine's
# processes are killed (snapshot, crash), /run keeps stale sockets and pid
# files, and a killed daemon can linger as a zombie. So each daemon is asked
# to answer over its socket.
set -eu

if [ -e /dev/kvm ] && getent group kvm >/dev/null; then
    chgrp kvm /dev/kvm 2>/dev/null || true
    chmod 0660 /dev/kvm 2>/dev/null || true
fi

wait_for() {   # socket, seconds
    i=0
    while [ ! -S "$1" ] && [ "$i" -lt "$(( $2 * 10 ))" ]; do sleep 0.1; i=$((i + 1)); done
    [ -S "$1" ]
}

virtlogd_answers() { virt-admin -q -c virtlogd:///system version >/dev/null 2>&1; }
libvirtd_answers() { virsh -q -c qemu:///system uri >/dev/null 2>&1; }

if ! virtlogd_answers; then
    echo "vireo: starting virtlogd"
    rm -f /run/libvirt/virtlogd-sock /run/libvirt/virtlogd-admin-sock /run/virtlogd.pid
    virtlogd -d
    wait_for /run/libvirt/virtlogd-sock 10 || { echo "virtlogd did not start" >&2; exit 1; }
fi
if ! libvirtd_answers; then
    echo "vireo: starting libvirtd"
    rm -f /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro \
          /run/libvirt/libvirt-admin-sock /run/libvirtd.pid
    libvirtd -d
    wait_for /run/libvirt/libvirt-sock 20 || { echo "libvirtd did not start" >&2; exit 1; }
fi
i=0
until libvirtd_answers; do
    i=$((i + 1)); [ "$i" -gt 200 ] && { echo "libvirtd does not answer" >&2; exit 1; }
    sleep 0.1
done
