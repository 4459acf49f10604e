#!/bin/sh
# Builds a bootable installer-like ISO of the tiny test guest: ISOLINUX
# (Debian's isolinux package) in an El Torito no-emulation boot image, the
# kernel and initramfs of build-guest.sh, and an APPEND line carrying
# vireo.from=cdrom, so a test can tell from the guest's VIREO-CMDLINE line
# that it booted from the CD-ROM. Writes only OUT (never the shared guest
# folder); the label lets libosinfo identify it (e.g. "Debian 11.5.0 amd64 n").
# Usage: build-iso.sh OUT.iso [LABEL]
set -eu

OUT=${1:?usage: build-iso.sh OUT.iso [LABEL]}
LABEL=${2:-VIREO INSTALL}
GUEST=${VIREO_GUEST_DIR:-/var/lib/libvirt/images/vireo-test}
HERE=$(dirname "$(readlink -f "$0")")
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32

for f in "$ISOLINUX" "$LDLINUX"; do
    [ -f "$f" ] || { echo "build-iso: missing $f (Debian packages isolinux, syslinux-common)" >&2; exit 1; }
done
command -v genisoimage >/dev/null || { echo "build-iso: missing genisoimage" >&2; exit 1; }
sh "$HERE/build-guest.sh" >/dev/null

WORK=$(mktemp -d /tmp/vireo-iso.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
mkdir "$WORK/tree" "$WORK/tree/isolinux"
cp "$ISOLINUX" "$LDLINUX" "$WORK/tree/isolinux/"
cp "$GUEST/vmlinuz" "$GUEST/initrd.img" "$WORK/tree/"
cat > "$WORK/tree/isolinux/isolinux.cfg" <<'CFG'
DEFAULT vireo
PROMPT 0
TIMEOUT 0
LABEL vireo
  KERNEL /vmlinuz
  APPEND initrd=/initrd.img console=tty0 console=ttyS0,115200 panic=-1 vireo.from=cdrom
CFG
genisoimage -quiet -V "$LABEL" -o "$WORK/out.iso" -J -R \
    -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$WORK/tree"
install -m 0644 "$WORK/out.iso" "$OUT"
