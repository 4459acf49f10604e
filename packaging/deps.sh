#!/bin/sh
# Installs the Debian packages Vireo needs to build, run and test, when any
# is missing. Idempotent; needs root (apt-get) only when something is missing.
set -eu

PKGS="build-essential pkg-config
libmicrohttpd-dev libjansson-dev libsqlite3-dev libvirt-dev libxml2-dev libglib2.0-dev
libcmocka-dev clang clang-format-14 libclang-rt-14-dev libsodium-dev libgnutls28-dev libpam0g-dev libpng-dev zlib1g-dev libcrypt-dev
libosinfo-1.0-dev osinfo-db
libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-driver-lxc libvirt-daemon-system libvirt-clients
qemu-system-x86 qemu-utils dnsmasq-base
busybox-static cpio gzip xz-utils kmod syslinux syslinux-common isolinux mtools dosfstools genisoimage
sqlite3 wrk jq curl openssl valgrind procps psmisc prometheus
lvm2 e2fsprogs util-linux iproute2 nfs-common open-iscsi ovmf
chromium"

# Node.js runs the browser and OpenAPI tests. Some hosts carry a newer one
# than Debian's (which conflicts with Debian's npm): keep whatever works.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "vireo: installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
