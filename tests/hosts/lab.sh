#!/bin/sh
# Two real libvirt hosts on this one machine, for the many-hosts tests
# (docs/hosts-lab.md): each is a libvirtd + virtlogd in its own network
# namespace and mount namespace, reached from here over libvirt's TCP
# transport at qemu+tcp://ADDR/system. Root only.
#
# Usage: lab.sh up|down|status
#   up      makes both hosts (does nothing when they already answer); prints
#           and writes the URIs to $VIREO_LAB_DIR/uris and .../env
#   down    removes everything up made, also after a half-failed up
#   status  exit 0 when both hosts answer, 1 otherwise
# Environment: VIREO_LAB_DIR (state, default /run/vireo-lab), VIREO_LAB_NET
# (a free /24 prefix, default 10.77.12), VIREO_GUEST_DIR (the test guest's
# files, shown read-only to both hosts at the same path).
set -eu

STATE=${VIREO_LAB_DIR:-/run/vireo-lab}
NET=${VIREO_LAB_NET:-10.77.12}
GUEST_DIR=${VIREO_GUEST_DIR:-/var/lib/libvirt/images/vireo-test}
BRIDGE=vireo-lab-br
HOSTS="a b"

addr_of() { case "$1" in a) echo "$NET.11" ;; b) echo "$NET.12" ;; esac; }
# A distinct host UUID per host: libvirt refuses a migration between two
# daemons with the same one ("Attempt to migrate guest to the same host").
uuid_of() { case "$1" in a) echo 5ea1ab00-7e57-4a00-8000-00000000000a ;;
                         b) echo 5ea1ab00-7e57-4a00-8000-00000000000b ;; esac; }
uri_of() { echo "qemu+tcp://$(addr_of "$1")/system"; }
ns_of() { echo "vireo-lab-$1"; }

say() { echo "lab: $*" >&2; }

# True when the host's libvirtd answers over TCP from this namespace.
host_answers() {
    timeout 5 virsh -q -c "$(uri_of "$1")" uri >/dev/null 2>&1
}

status() {
    rc=0
    for h in $HOSTS; do
        if host_answers "$h"; then
            echo "host $h: up at $(uri_of "$h") (netns $(ns_of "$h"), libvirtd pid $(cat "$STATE/$h/libvirtd.pid" 2>/dev/null))"
        else
            echo "host $h: down"
            rc=1
        fi
    done
    return $rc
}

# Every process in the namespace (libvirtd, virtlogd, QEMU, dnsmasq): TERM,
# then KILL what is left after a few seconds.
kill_netns_pids() {
    ns=$1
    [ -e "/run/netns/$ns" ] || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    kill -TERM $pids 2>/dev/null || true
    i=0
    while [ $i -lt 50 ]; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -n "$pids" ] || return 0
        sleep 0.1
        i=$((i + 1))
    done
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
}

down() {
    for h in $HOSTS; do
        ns=$(ns_of "$h")
        kill_netns_pids "$ns"
        # A daemon whose pid file survives but which left the namespace
        # (never expected; belt and braces before removing its files).
        for f in "$STATE/$h/libvirtd.pid" "$STATE/$h/virtlogd.pid"; do
            if [ -s "$f" ]; then
                pid=$(cat "$f")
                if [ -d "/proc/$pid" ] && grep -q "$STATE" "/proc/$pid/cmdline" 2>/dev/null; then
                    kill -KILL "$pid" 2>/dev/null || true
                fi
            fi
        done
        [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
        ip link del "vlab-$h" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
    # The hosts' mounts live in their own mount namespaces and vanish with
    # their processes; unmount anything that still shows here before
    # removing the files, so rm never walks into a mounted directory.
    if [ -d "$STATE" ]; then
        awk -v s="$STATE" '$5 == s || index($5, s "/") == 1 { print $5 }' /proc/self/mountinfo |
            sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$STATE"
    fi
}

# The per-host copies of libvirt's directories. /etc/libvirt takes only the
# configuration files (not the domains, networks and pools defined on this
# machine), and the others start empty, with the owners and modes libvirt
# expects.
make_host_dirs() {
    h=$1
    d=$STATE/$h
    addr=$(addr_of "$h")
    mkdir -p "$d/etc/qemu/networks/autostart" "$d/etc/qemu/autostart" \
             "$d/etc/storage/autostart" "$d/etc/secrets" "$d/etc/hooks" \
             "$d/lib/qemu" "$d/lib/images/vireo-test" "$d/lib/dnsmasq" "$d/lib/boot" \
             "$d/lib/network" "$d/cache/qemu" "$d/log/qemu"
    cp -p /etc/libvirt/*.conf "$d/etc/"
    [ -d /etc/libvirt/nwfilter ] && cp -pR /etc/libvirt/nwfilter "$d/etc/"
    chmod 0700 "$d/etc/secrets"
    chmod 0755 "$d/lib" "$d/lib/images/vireo-test" "$d/log" "$d/cache" "$d/etc"
    chmod 0711 "$d/lib/images" "$d/cache/qemu" "$d/lib/boot"
    chown libvirt-qemu:libvirt-qemu "$d/lib/qemu" 2>/dev/null || true
    chmod 0750 "$d/lib/qemu"
    # Test namespaces only: TCP without authentication, on this host's
    # address alone (nothing outside the lab's bridge can reach it).
    cat >> "$d/etc/libvirtd.conf" <<EOF

# ---- vireo lab host $h ----
listen_tcp = 1
listen_tls = 0
auth_tcp = "none"
listen_addr = "$addr"
host_uuid = "$(uuid_of "$h")"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    # migration_address/host: QEMU's incoming migration (and the NBD
    # server of --copy-storage-all) listen on, and are announced as, this
    # host's lab address, not the machine's hostname. namespaces = [ ]:
    # QEMU keeps the host's /dev, so it sees the empty file over /dev/kvm.
    cat >> "$d/etc/qemu.conf" <<EOF

# ---- vireo lab host $h ----
migration_address = "$addr"
migration_host = "$addr"
namespaces = [ ]
EOF
}

start_host() {
    h=$1
    d=$STATE/$h
    ns=$(ns_of "$h")
    addr=$(addr_of "$h")
    ip netns add "$ns"
    ip link add "vlab-$h" type veth peer name eth0 netns "$ns"
    ip link set "vlab-$h" master "$BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    make_host_dirs "$h"
    # In a mount namespace of its own (private propagation: nothing leaks to
    # this one): a fresh /run/libvirt (sockets, pid and state files), the
    # copies above over libvirt's directories, the test guest's files
    # read-only at their usual path, and /dev/kvm hidden (the sandbox's
    # kvm_pvm cannot run guests; an empty root-only file rather than
    # /dev/null, which makes libvirt re-probe QEMU on every call). The
    # daemons' pid files sit outside /run/libvirt so that this namespace
    # can find them.
    ip netns exec "$ns" unshare -m --propagation private sh -ec '
        d=$1; nokvm=$2; guest=$3
        mount -t tmpfs -o mode=0755 vireo-lab-run /run/libvirt
        if [ -d "$guest" ]; then
            mount --bind "$guest" "$d/lib/images/vireo-test"
            mount -o remount,bind,ro "$d/lib/images/vireo-test"
        fi
        mount --bind "$d/etc" /etc/libvirt
        mount --rbind "$d/lib" /var/lib/libvirt
        mount --bind "$d/cache" /var/cache/libvirt
        mount --bind "$d/log" /var/log/libvirt
        if [ -e /dev/kvm ]; then mount --bind "$nokvm" /dev/kvm; fi
        virtlogd -d -p "$d/virtlogd.pid"
        libvirtd -d --listen -p "$d/libvirtd.pid"
    ' lab "$d" "$STATE/nokvm" "$GUEST_DIR"
}

wait_host() {
    h=$1
    i=0
    while ! host_answers "$h"; do
        i=$((i + 1))
        if [ $i -gt 150 ]; then
            say "host $h: libvirtd does not answer at $(uri_of "$h"); its log:"
            tail -n 20 "$STATE/$h/log/libvirtd.log" >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
}

# A `default` dir pool on each host, at the same path on both, so that
# --copy-storage-all finds (or creates) the target disk.
make_pool() {
    uri=$(uri_of "$1")
    if ! virsh -q -c "$uri" pool-info default >/dev/null 2>&1; then
        virsh -q -c "$uri" pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
    fi
    virsh -q -c "$uri" pool-start default >/dev/null 2>&1 || true
    virsh -q -c "$uri" pool-autostart default >/dev/null
}

up() {
    if [ -s "$STATE/env" ] && status >/dev/null 2>&1; then
        show
        return 0
    fi
    down
    command -v libvirtd >/dev/null && command -v virtlogd >/dev/null ||
        { say "libvirtd and virtlogd are needed (libvirt-daemon-system)"; return 1; }
    if ip -br addr | grep -q " $NET\.[0-9]*/"; then
        say "$NET.0/24 is in use on this machine; choose another VIREO_LAB_NET"
        return 1
    fi
    mkdir -p "$STATE" "$GUEST_DIR"
    chmod 0755 "$STATE"
    : > "$STATE/nokvm"
    chmod 0600 "$STATE/nokvm"
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    for h in $HOSTS; do start_host "$h"; done
    for h in $HOSTS; do wait_host "$h"; done
    for h in $HOSTS; do make_pool "$h"; done
    {
        echo "VIREO_LAB_URI_A=$(uri_of a)"
        echo "VIREO_LAB_URI_B=$(uri_of b)"
        echo "VIREO_LAB_DIR=$STATE"
    } > "$STATE/env.new"
    mv -f "$STATE/env.new" "$STATE/env"
    { uri_of a; uri_of b; } > "$STATE/uris"
    show
}

show() {
    echo "lab: host a: $(uri_of a)"
    echo "lab: host b: $(uri_of b)"
    echo "lab: URIs in $STATE/uris, variables in $STATE/env"
}

[ "$(id -u)" = 0 ] || { say "run as root"; exit 2; }
case "${1:-}" in
    up)
        # A failed up leaves nothing behind. It runs as its own process: set -e
        # does not stop a function called as the condition of an if.
        if ! sh "$0" _up; then
            say "up failed; removing what it made"
            down
            exit 1
        fi
        ;;
    _up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: lab.sh up|down|status" >&2; exit 2 ;;
esac
