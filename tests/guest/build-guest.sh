#!/bin/sh
# Builds the tiny test guest (kernel + busybox initramfs) used by the API tier,
# from Debian packages only: no download beyond apt. Cached: does nothing when
# the outputs exist and are newer than this script.
#
# Output: $VIREO_GUEST_DIR (default /var/lib/libvirt/images/vireo-test)/vmlinuz
#         and initrd.img, mode 0644, in a directory libvirt-qemu can traverse.
# The guest prints VIREO-GUEST-READY on ttyS0 once acpid listens, then
# VIREO-CMDLINE and its kernel command line, runs shells on ttyS0 and tty1
# (the screen), and powers off (poweroff -f) on the ACPI power button.
# virtio-blk is loaded, so that disks hot-plugged by the tests appear in the
# guest. After the marker, in the background, it loads virtio-scsi, the
# SCSI CD-ROM driver and ISO 9660, and when a medium labelled "cidata" (a
# cloud-init NoCloud seed) shows up within 20 s it prints
# "VIREO-CIDATA hostname=<local-hostname of its meta-data>".
set -eu

OUT=${VIREO_GUEST_DIR:-/var/lib/libvirt/images/vireo-test}
MARKER=VIREO-GUEST-READY
SELF=$(readlink -f "$0")

newer() { [ -s "$1" ] && [ -n "$(find "$1" -newer "$SELF" 2>/dev/null)" ]; }
if [ "${1:-}" != "--force" ] && newer "$OUT/vmlinuz" && newer "$OUT/initrd.img"; then
    echo "build-guest: up to date in $OUT"
    exit 0
fi

for tool in apt-get apt-cache dpkg cpio gzip; do
    command -v "$tool" >/dev/null || { echo "build-guest: missing $tool" >&2; exit 1; }
done

# The newest linux-image-6.1.0-N-cloud-amd64 that apt has a candidate for.
pick_kernel() {
    apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
        grep -E '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' | sort -V -r |
        while read -r pkg; do
            cand=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
            if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then
                echo "$pkg"
                return 0
            fi
        done
}
KPKG=${VIREO_GUEST_KERNEL_PKG:-$(pick_kernel)}
if [ -z "$KPKG" ]; then
    echo "build-guest: no linux-image-6.1.*-cloud-amd64 candidate; run apt-get update" >&2
    exit 1
fi

WORK=$(mktemp -d /tmp/vireo-guest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM
chmod 0755 "$WORK"   # apt's _apt user may need to write here; harmless otherwise
cd "$WORK"

echo "build-guest: downloading $KPKG and busybox-static"
apt-get download -q "$KPKG" busybox-static >/dev/null 2>"$WORK/apt.err" || {
    cat "$WORK/apt.err" >&2; exit 1; }
mkdir pkg
for deb in ./*.deb; do dpkg -x "$deb" pkg; done

KVER=${KPKG#linux-image-}
MODDIR=pkg/lib/modules/$KVER
VMLINUZ=pkg/boot/vmlinuz-$KVER
BUSYBOX=pkg/bin/busybox
[ -f "$VMLINUZ" ] || { echo "build-guest: $VMLINUZ not found" >&2; exit 1; }
[ -x "$BUSYBOX" ] || { echo "build-guest: busybox not found in busybox-static" >&2; exit 1; }

ROOT=$WORK/root
mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp" \
         "$ROOT/run" "$ROOT/var/log" "$ROOT/etc/acpi/PWRF" "$ROOT/lib/modules"
cp "$BUSYBOX" "$ROOT/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$ROOT/bin/$applet"
done
# Without /dev/console in the initramfs, init has no stdin/stdout.
mknod -m 0600 "$ROOT/dev/console" c 5 1

# Find a module file by name (modules may use '-' or '_' interchangeably).
find_module() {
    n1=$1
    n2=$(echo "$1" | tr '_' '-')
    n3=$(echo "$1" | tr '-' '_')
    find "$MODDIR/kernel" \( -name "$n1.ko*" -o -name "$n2.ko*" -o -name "$n3.ko*" \) | head -n 1
}

# Copy a module (decompressed, busybox insmod cannot read xz/zstd) and its
# dependencies, taken from modules.dep when present, else from the module's
# own .modinfo "depends=". Appends to LOAD_ORDER, dependencies first.
LOAD_ORDER=""
add_module() {
    # Recursive: every variable must be the call's own (dash and bash know local).
    local name src deps rel d
    name=$1
    case " $LOAD_ORDER ${BOOT_MODULES:-} " in *" $name.ko "*) return 0 ;; esac
    src=$(find_module "$name")
    [ -n "$src" ] || { echo "build-guest: module $name not found" >&2; exit 1; }
    case "$src" in
        *.ko.xz)  xz -dc "$src" > "$ROOT/lib/modules/$name.ko" ;;
        *.ko.zst) zstd -qdc "$src" > "$ROOT/lib/modules/$name.ko" ;;
        *.ko.gz)  gzip -dc "$src" > "$ROOT/lib/modules/$name.ko" ;;
        *)        cp "$src" "$ROOT/lib/modules/$name.ko" ;;
    esac
    deps=""
    rel=${src#"$MODDIR"/}
    if [ -f "$MODDIR/modules.dep" ]; then
        deps=$(awk -F': *' -v m="$rel" '$1 == m { print $2 }' "$MODDIR/modules.dep" |
               tr ' ' '\n' | sed -e 's|.*/||' -e 's|\.ko.*||')
    else
        deps=$(tr '\0' '\n' < "$ROOT/lib/modules/$name.ko" |
               sed -n 's/^depends=//p' | tr ',' '\n')
    fi
    for d in $deps; do
        [ -n "$d" ] && add_module "$d"
    done
    LOAD_ORDER="$LOAD_ORDER $name.ko"
}
add_module button
add_module evdev
# virtio PCI + block: a disk hot-plugged into the running guest shows up
# (the kernel prints "[vdX]" on ttyS0); ACPI PCI hot-plug is built in.
add_module virtio_pci
add_module virtio_blk
BOOT_MODULES=$LOAD_ORDER
# The cloud-init seed's CD-ROM (Vireo puts it on virtio-scsi): loaded after
# the marker, so that the boot to it is no slower.
LOAD_ORDER=""
add_module virtio_scsi
add_module sr_mod
add_module isofs
CIDATA_MODULES=$LOAD_ORDER

# busybox acpid maps the power button key to the action "PWRF/00000080",
# run relative to its config directory.
cat > "$ROOT/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "VIREO-GUEST-POWEROFF" > /dev/ttyS0
poweroff -f
EOF
chmod 0755 "$ROOT/etc/acpi/PWRF/00000080"

cat > "$ROOT/init" <<EOF
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
for m in $BOOT_MODULES; do
    insmod /lib/modules/\$m || echo "vireo-guest: insmod \$m failed" > /dev/ttyS0
done
# The input event device appears once evdev binds the power button.
i=0
while [ ! -e /dev/input/event0 ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
acpid -f -c /etc/acpi -l /var/log/acpid.log &
# The marker promises that a press is heard: acpid must hold the device
# (it opened it a moment after starting; under load, after the marker).
i=0
while ! ls -l /proc/\$!/fd 2>/dev/null | grep -q /dev/input/event && [ \$i -lt 50 ]; do
    sleep 0.1
    i=\$((i + 1))
done
echo "$MARKER" > /dev/ttyS0
echo "VIREO-CMDLINE \$(cat /proc/cmdline)" > /dev/ttyS0
# A NoCloud seed: read its meta-data's local-hostname (quoted or not).
(
    for m in $CIDATA_MODULES; do insmod /lib/modules/\$m 2>/dev/null; done
    i=0
    while [ \$i -lt 200 ]; do
        dev=\$(findfs LABEL=cidata 2>/dev/null)
        if [ -n "\$dev" ]; then
            mkdir -p /cidata
            if mount -t iso9660 -o ro "\$dev" /cidata; then
                name=\$(sed -n 's/^local-hostname: *"\{0,1\}\([^"]*\)"\{0,1\} *\$/\1/p' /cidata/meta-data)
                echo "VIREO-CIDATA hostname=\$name" > /dev/ttyS0
                umount /cidata
            fi
            break
        fi
        sleep 0.1
        i=\$((i + 1))
    done
) &
# A shell on the serial port and one on the screen, for the console tests:
# the serial one echoes what is typed; keys typed through the display can
# write to /dev/ttyS0 and so show in the serial log. Each is a session leader,
# so the tty it opens becomes its controlling terminal.
for tty in /dev/ttyS0 /dev/tty1; do
    ( while :; do setsid sh -c "exec sh -i <\$tty >\$tty 2>&1"; sleep 1; done ) &
done
while :; do sleep 3600; done
EOF
chmod 0755 "$ROOT/init"

mkdir -p "$OUT"
chmod 0755 "$OUT"
( cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet ) | gzip -6 > "$WORK/initrd.img"
install -m 0644 "$WORK/initrd.img" "$OUT/initrd.img.new"
install -m 0644 "$VMLINUZ" "$OUT/vmlinuz.new"
mv -f "$OUT/initrd.img.new" "$OUT/initrd.img"
mv -f "$OUT/vmlinuz.new" "$OUT/vmlinuz"
echo "$KPKG $(apt-cache policy "$KPKG" | awk '/Candidate:/ {print $2}')" > "$OUT/kernel-package"
chmod 0644 "$OUT/kernel-package"

# Every parent directory must be traversable by libvirt-qemu.
d=$OUT
while [ "$d" != "/" ]; do
    [ -n "$(find "$d" -maxdepth 0 -perm -o+x)" ] || chmod o+x "$d"
    d=$(dirname "$d")
done
echo "build-guest: built $OUT/vmlinuz and $OUT/initrd.img ($KPKG, modules:$BOOT_MODULES; later:$CIDATA_MODULES)"
