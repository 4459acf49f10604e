#!/bin/sh
# A private libvirtd for LXC tests: start DIR | stop DIR. Prints the URI.
#
# Why not the shared libvirtd: on this machine cgroup v1 controllers sit
# beside cgroup2 at /sys/fs/cgroup/unified (the "hybrid" layout). libvirt
# 9.0's LXC driver then bind-mounts /sys/fs/cgroup/unified inside the
# container, and its mkdir there fails ("Unable to create directory
# /sys/fs/cgroup/unified: No such file or directory"), so no container
# starts (docs/drivers.md). This daemon runs in a mount namespace where
# that cgroup2 mount is absent, with its own /run/libvirt and /etc/libvirt
# (so it never sees the shared daemon's guests, networks or autostarts),
# and listens on DIR/libvirt-sock only.
set -eu
cmd=$1 dir=$2
case "$cmd" in
start)
    mkdir -p "$dir/etc"
    cp /etc/libvirt/lxc.conf "$dir/etc/" 2>/dev/null || : > "$dir/etc/lxc.conf"
    cat > "$dir/etc/libvirtd.conf" <<CONF
unix_sock_dir = "$dir"
unix_sock_group = "root"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
CONF
    unshare -m --propagation private sh -c "
        umount /sys/fs/cgroup/unified 2>/dev/null || true
        mount -t tmpfs tmpfs /run/libvirt
        mount -t tmpfs tmpfs /etc/libvirt
        cp '$dir/etc/'* /etc/libvirt/
        exec libvirtd -d -f /etc/libvirt/libvirtd.conf -p '$dir/libvirtd.pid'"
    i=0
    until virsh -q -c "lxc:///system?socket=$dir/libvirt-sock" uri >/dev/null 2>&1; do
        i=$((i + 1)); [ "$i" -gt 100 ] && { echo "the LXC libvirtd does not answer" >&2; exit 1; }
        sleep 0.1
    done
    echo "lxc:///system?socket=$dir/libvirt-sock"
    ;;
stop)
    [ -f "$dir/libvirtd.pid" ] && kill "$(cat "$dir/libvirtd.pid")" 2>/dev/null || true
    ;;
esac
