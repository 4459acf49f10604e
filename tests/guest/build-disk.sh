#!/bin/sh
# Builds a bootable raw disk image of the tiny test guest: a FAT file system
# over the whole disk (no partition table) with SYSLINUX in its boot sector,
# holding the kernel and initramfs of build-guest.sh. SeaBIOS boots it from
# any bus (virtio too). mtools writes into the image: no loop mount, no root
# beyond what build-guest.sh needs. Cached like build-guest.sh.
#
# Output: $VIREO_GUEST_DIR/disk.img (raw, 32 MiB, mode 0644).
set -eu

OUT=${VIREO_GUEST_DIR:-/var/lib/libvirt/images/vireo-test}
SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")
IMG=$OUT/disk.img

sh "$HERE/build-guest.sh"
newer() { [ -s "$1" ] && [ -n "$(find "$1" -newer "$SELF" 2>/dev/null)" ] &&
          [ -z "$(find "$OUT/vmlinuz" "$OUT/initrd.img" -newer "$1" 2>/dev/null)" ]; }
if [ "${1:-}" != "--force" ] && newer "$IMG"; then
    echo "build-disk: up to date: $IMG"
    exit 0
fi
for tool in mkfs.fat syslinux mcopy; do
    command -v "$tool" >/dev/null || { echo "build-disk: missing $tool (syslinux, mtools, dosfstools)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/vireo-disk.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
cat > "$WORK/syslinux.cfg" <<'CFG'
DEFAULT vireo
PROMPT 0
TIMEOUT 0
LABEL vireo
  KERNEL vmlinuz
  APPEND initrd=initrd.img console=tty0 console=ttyS0,115200 panic=-1
CFG
mkfs.fat -C -n VIREO "$WORK/disk.img" 32768 >/dev/null
syslinux --install "$WORK/disk.img"
export MTOOLS_SKIP_CHECK=1
mcopy -i "$WORK/disk.img" "$OUT/vmlinuz" ::vmlinuz
mcopy -i "$WORK/disk.img" "$OUT/initrd.img" ::initrd.img
mcopy -i "$WORK/disk.img" "$WORK/syslinux.cfg" ::syslinux.cfg
install -m 0644 "$WORK/disk.img" "$IMG.new"
mv -f "$IMG.new" "$IMG"
echo "build-disk: built $IMG"
