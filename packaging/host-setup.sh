#!/bin/sh
# Makes the host ready for vireod where there is no systemd: lets libvirt's
# QEMU user open /dev/kvm and starts virtlogd and libvirtd when their
# sockets are missing (QEMU guests do not start without virtlogd).
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

if [ ! -S /run/libvirt/virtlogd-sock ]; then
    echo "vireo: starting virtlogd"
    virtlogd -d
    wait_for /run/libvirt/virtlogd-sock 10 || { echo "virtlogd did not start" >&2; exit 1; }
fi
if [ ! -S /run/libvirt/libvirt-sock ] || ! virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "vireo: starting libvirtd"
    rm -f /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro /run/libvirtd.pid
    libvirtd -d
    wait_for /run/libvirt/libvirt-sock 20 || { echo "libvirtd did not start" >&2; exit 1; }
    i=0
    until virsh -c qemu:///system version >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -gt 100 ] && { echo "libvirtd does not answer" >&2; exit 1; }
        sleep 0.1
    done
fi
