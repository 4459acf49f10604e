/* What a libvirt driver's capability documents say it can run: the
 * capabilities XML (virConnectGetCapabilities: guest OS types, arches,
 * domain types) and, where the driver has them, the domain capabilities
 * XML (virConnectGetDomainCapabilities: graphics, disks, firmware, CPU
 * modes). Pure parsing, so it is unit-tested on captured documents and
 * fuzzed. */
#pragma once
#include <glib.h>

typedef struct {
    GStrv os_types;     /* "hvm", "xen", "exe" (containers), "linux"... */
    GStrv arches;       /* "x86_64", "i686"... */
    GStrv domain_types; /* <domain type=...>: "kvm", "qemu", "lxc", "xen", "vbox", "test"... */
    char *host_arch;
    /* From the domain capabilities; all NULL when the driver has none. */
    gboolean has_domcaps;
    GStrv graphics;     /* "vnc", "spice", "dbus"... */
    GStrv disk_devices; /* "disk", "cdrom", "floppy", "lun" */
    GStrv disk_buses;   /* "virtio", "sata", "scsi", "ide", "usb"... */
    GStrv firmware;     /* "efi", "bios" */
    GStrv cpu_modes;    /* the supported ones: "host-model", "custom", "maximum"... */
} VirtDriverCaps;

void virt_driver_caps_free(VirtDriverCaps *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtDriverCaps, virt_driver_caps_free)

/* Reads the capabilities XML; NULL with VIRT_ERROR_INVALID_ARG when it is
 * not such a document. */
VirtDriverCaps *virt_driver_caps_parse(const char *caps_xml, gsize len, GError **error);
/* Adds what a domain capabilities XML says; FALSE (and `c` unchanged) when
 * it is not such a document. */
gboolean virt_driver_caps_add_domcaps(VirtDriverCaps *c, const char *xml, gsize len,
                                      GError **error);
