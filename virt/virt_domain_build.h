/* A whole new domain's XML, built with libxml2 from a plain description:
 * the devices come from virt_device_xml so create and attach share one set
 * of rules; every name and path is escaped by libxml2. */
#pragma once
#include <glib.h>

#include "virt/virt_device_xml.h"

typedef struct {
    const char *name;
    const char *uuid;        /* NULL: libvirt makes one */
    const char *domain_type; /* "kvm" or "qemu" */
    const char *arch;        /* "x86_64" */
    const char *machine;     /* NULL: libvirt's default */
    unsigned vcpus;
    guint64 memory_mib;
    const char *cpu_mode;      /* "host-passthrough", "host-model", NULL: hypervisor default */
    gboolean uefi;             /* firmware='efi' (libvirt picks the OVMF build) */
    gboolean vnc;              /* a VNC display on loopback, else none */
    const char *serial_log;    /* file the serial line is copied to; NULL: none */
    const char *osinfo_id;     /* libosinfo's id of the guest OS, kept in <metadata>; NULL: none */
    const char *const *boot;   /* "hd", "cdrom", "network" in order; NULL: hd */
    const VirtDiskSpec *disks; /* disks and CD-ROMs, targets filled in */
    guint n_disks;
    const VirtNicSpec *nics;
    guint n_nics;
} VirtDomainBuild;

/* The <domain> document, or NULL with INVALID_ARG on a bad value. */
char *virt_domain_build_xml(const VirtDomainBuild *b, GError **error);

/* VM names Vireo creates: 1-64 of letters, digits and "_.+-", not starting
 * with '.' or '-' (they also name the serial log file). */
gboolean virt_domain_name_valid(const char *name, GError **error);
/* The same rules for other names (snapshots); `what` names the kind in
 * the message ("invalid snapshot name ..."). */
gboolean virt_plain_name_valid(const char *what, const char *name, GError **error);
