#!/bin/sh
# Defines (does not start) a persistent TCG test domain booting the tiny guest
# built by build-guest.sh. Its serial output is logged to
# /var/log/libvirt/qemu/NAME-serial.log (truncated at each start) so that
# wait-marker.sh can see VIREO-GUEST-READY. With "vnc", it also has a VGA
# screen behind a VNC display that listens nowhere (as vireod's VMs do: the
# console proxy asks libvirt for a connected socket).
# Usage: define-guest.sh NAME [MEMORY_MIB=128] [none|vnc]
set -eu

NAME=${1:?usage: define-guest.sh NAME [MEMORY_MIB]}
MEM=${2:-128}
GRAPHICS=${3:-none}
URI=${VIREO_CONNECT:-qemu:///system}
IMG=${VIREO_GUEST_DIR:-/var/lib/libvirt/images/vireo-test}
LOGDIR=${VIREO_SERIAL_LOG_DIR:-/var/log/libvirt/qemu}

# Names go into XML and file paths unescaped: keep them plain.
case "$NAME" in
    *[!A-Za-z0-9_.-]* | "" | .* ) echo "define-guest: bad name '$NAME'" >&2; exit 2 ;;
esac
case "$MEM" in
    *[!0-9]* | "" ) echo "define-guest: bad memory '$MEM'" >&2; exit 2 ;;
esac
case "$GRAPHICS" in
    none) DISPLAY_XML="" ;;
    vnc) DISPLAY_XML="<graphics type='vnc'><listen type='none'/></graphics><video><model type='vga'/></video>" ;;
    *) echo "define-guest: graphics must be none or vnc, not '$GRAPHICS'" >&2; exit 2 ;;
esac
for f in "$IMG/vmlinuz" "$IMG/initrd.img"; do
    [ -r "$f" ] || { echo "define-guest: $f missing, run build-guest.sh" >&2; exit 1; }
done

EMULATOR=$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)
XML=$(mktemp /tmp/vireo-define.XXXXXX)
trap 'rm -f "$XML"' EXIT INT TERM
cat > "$XML" <<XMLEOF
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>$MEM</memory>
  <currentMemory unit='MiB'>$MEM</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$IMG/vmlinuz</kernel>
    <initrd>$IMG/initrd.img</initrd>
    <cmdline>console=tty0 console=ttyS0,115200 panic=-1</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$EMULATOR</emulator>
    <controller type='usb' model='none'/>
    <serial type='pty'>
      <log file='$LOGDIR/$NAME-serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    $DISPLAY_XML
    <memballoon model='none'/>
  </devices>
</domain>
XMLEOF
virsh -q -c "$URI" define "$XML" >/dev/null
echo "define-guest: defined $NAME"
