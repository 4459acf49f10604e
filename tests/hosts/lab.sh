#!/bin/sh
# Real libvirt hosts on this one machine, for the many-hosts tests and
# benchmarks (docs/hosts-lab.md): each is a libvirtd + virtlogd in its own
# network namespace and mount namespace, reached from here over libvirt's
# TCP transport at qemu+tcp://ADDR/system. Two by default. Root only.
#
# Usage: lab.sh up|down|status
#   up      makes the hosts (does nothing when they already answer); prints
#           and writes the URIs to $VIREO_LAB_DIR/uris and .../env
#   down    removes everything up made, also after a half-failed up
#   status  exit 0 when every host answers, 1 otherwise
# Environment:
#   VIREO_LAB_HOSTS   the hosts' names (letters and digits), default "a b";
#   VIREO_LAB_COUNT   or a count N: the first N letters (a b c ...), at most 26
#   VIREO_LAB_PREFIX  names of the namespaces ($PREFIX-NAME), the bridge
#                     ($PREFIX-br) and the root ends of the veths; default
#                     vireo-lab. $PREFIX-NAME and $PREFIX-br: at most 15
#                     characters (Linux's limit for interface names).
#   VIREO_LAB_DIR     state, default /run/$PREFIX
#   VIREO_LAB_NET     a free /24 prefix, default 10.77.12; host N is .(10+N)
#   VIREO_GUEST_DIR   the test guest's files, shown read-only to every host
# Two labs with different prefixes, nets and state directories run side by
# side without touching each other.
set -eu

PREFIX=${VIREO_LAB_PREFIX:-vireo-lab}
STATE=${VIREO_LAB_DIR:-/run/$PREFIX}
NET=${VIREO_LAB_NET:-10.77.12}
GUEST_DIR=${VIREO_GUEST_DIR:-/var/lib/libvirt/images/vireo-test}
BRIDGE=$PREFIX-br
LETTERS="a b c d e f g h i j k l m n o p q r s t u v w x y z"
if [ -n "${VIREO_LAB_COUNT:-}" ]; then
    case "$VIREO_LAB_COUNT" in
        [1-9] | 1[0-9] | 2[0-6]) ;;
        *) echo "lab: VIREO_LAB_COUNT: 1 to 26" >&2; exit 2 ;;
    esac
    HOSTS=$(echo $LETTERS | cut -d' ' -f1-"$VIREO_LAB_COUNT")
else
    HOSTS=${VIREO_LAB_HOSTS:-a b}
fi

# Host N (1-based, in the order of $HOSTS) and what follows from it.
index_of() {
    i=1
    for x in $HOSTS; do
        [ "$x" = "$1" ] && { echo $i; return 0; }
        i=$((i + 1))
    done
    return 1
}
addr_of() { echo "$NET.$((10 + $(index_of "$1")))"; }
# A distinct host UUID per host: libvirt refuses a migration between two
# daemons with the same one ("Attempt to migrate guest to the same host").
# Host N ends in 9+N (a: ...0a, b: ...0b); the group before it tells labs
# apart (000 for the default one), so hosts of two labs never share one.
LAB_TAG=000
[ "$PREFIX" = vireo-lab ] || LAB_TAG=$(printf '%03x' $(($(echo "$PREFIX $NET" | cksum | cut -d' ' -f1) % 4096)))
uuid_of() { printf '5ea1ab00-7e57-4a00-8%s-%012x\n' "$LAB_TAG" $((9 + $(index_of "$1"))); }
uri_of() { echo "qemu+tcp://$(addr_of "$1")/system"; }
ns_of() { echo "$PREFIX-$1"; }
veth_of() { echo "$PREFIX-$1"; }
upper() { echo "$1" | tr '[:lower:]' '[:upper:]'; }

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

# The hosts up made: those asked for now and those it wrote down (a lab made
# with more hosts than are asked for now is still removed whole).
known_hosts() {
    { for h in $HOSTS; do echo "$h"; done; cat "$STATE/hosts" 2>/dev/null || echo a b; } |
        tr ' ' '\n' | awk 'NF && !seen[$0]++'
}

netns_pids() { [ -e "/run/netns/$1" ] && ip netns pids "$1" 2>/dev/null || true; }

# Every process in the hosts' namespaces (libvirtd, virtlogd, QEMU,
# dnsmasq): TERM to all of them at once, then KILL what is left after a
# few seconds.
kill_netns_pids() {
    for ns in "$@"; do
        pids=$(netns_pids "$ns")
        [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
    done
    i=0
    while [ $i -lt 50 ]; do
        left=
        for ns in "$@"; do left="$left$(netns_pids "$ns")"; done
        [ -n "$left" ] || return 0
        sleep 0.1
        i=$((i + 1))
    done
    for ns in "$@"; do
        pids=$(netns_pids "$ns")
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    done
    sleep 0.2
}

down() {
    hosts=$(known_hosts)
    nss=
    for h in $hosts; do nss="$nss $(ns_of "$h")"; done
    # shellcheck disable=SC2086  # one namespace a word
    kill_netns_pids $nss
    for h in $hosts; do
        ns=$(ns_of "$h")
        # A daemon whose pid file survives but which left the namespace
        # (never expected; belt and braces before removing its files).
        for f in "$STATE/$h/libvirtd.pid" "$STATE/$h/virtlogd.pid"; do
            if [ -s "$f" ]; then
                pid=$(cat "$f")
                if [ -d "/proc/$pid" ] && grep -q "$STATE/" "/proc/$pid/cmdline" 2>/dev/null; then
                    kill -KILL "$pid" 2>/dev/null || true
                fi
            fi
        done
        # Deleting the namespace deletes its veth pair too.
        [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
        ip link del "$(veth_of "$h")" 2>/dev/null || true
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
    ip link add "$(veth_of "$h")" type veth peer name eth0 netns "$ns"
    ip link set "$(veth_of "$h")" master "$BRIDGE" up
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

# Names that make valid interface names: letters and digits, and the
# longest "$PREFIX-NAME" within Linux's 15 characters.
check_names() {
    [ -n "$HOSTS" ] || { say "no hosts asked for"; return 1; }
    for h in $HOSTS br; do
        case "$h" in *[!a-z0-9]*) say "host name '$h': letters and digits only"; return 1 ;; esac
        [ ${#PREFIX} -le $((14 - ${#h})) ] ||
            { say "'$PREFIX-$h' is longer than an interface name may be (15)"; return 1; }
    done
    [ "$(echo $HOSTS | wc -w)" -le 200 ] || { say "at most 200 hosts"; return 1; }
    [ "$(echo $HOSTS | tr ' ' '\n' | sort -u | wc -l)" = "$(echo $HOSTS | wc -w)" ] ||
        { say "a host name twice in '$HOSTS'"; return 1; }
}

up() {
    check_names
    # A lab made before the hosts were written down has "a b".
    made=$(cat "$STATE/hosts" 2>/dev/null || echo a b)
    if [ -s "$STATE/env" ] && [ "$(echo $made)" = "$(echo $HOSTS)" ] && status >/dev/null 2>&1; then
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
    # Written first, so that a half-failed up is removed whole.
    for h in $HOSTS; do echo "$h"; done > "$STATE/hosts"
    : > "$STATE/nokvm"
    chmod 0600 "$STATE/nokvm"
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # The hosts start at the same time: a libvirtd takes a second or two
    # of initialising its drivers (measured: 1.6 s each, one after another).
    pids=
    for h in $HOSTS; do
        ( start_host "$h" ) &
        pids="$pids $!"
    done
    failed=0
    for p in $pids; do wait "$p" || failed=1; done
    [ $failed = 0 ] || { say "a host did not start"; return 1; }
    for h in $HOSTS; do wait_host "$h"; done
    for h in $HOSTS; do make_pool "$h"; done
    {
        for h in $HOSTS; do echo "VIREO_LAB_URI_$(upper "$h")=$(uri_of "$h")"; done
        echo "VIREO_LAB_HOSTS=\"$(echo $HOSTS)\""
        echo "VIREO_LAB_DIR=$STATE"
    } > "$STATE/env.new"
    mv -f "$STATE/env.new" "$STATE/env"
    for h in $HOSTS; do uri_of "$h"; done > "$STATE/uris"
    show
}

show() {
    for h in $HOSTS; do echo "lab: host $h: $(uri_of "$h")"; done
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
