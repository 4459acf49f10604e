/* An OVF 1.0 descriptor for an OVA Vireo exports (docs/backups.md), in
 * the shape VirtualBox and VMware import and Vireo's own reader
 * (virt_ovf.h) reads back: References, DiskSection (streamOptimized VMDK
 * disks with capacity and populated size), NetworkSection, and one
 * VirtualSystem with its vCPUs, memory, an LSI Logic SCSI controller
 * holding the disks, E1000 NICs and, for UEFI, VMware's firmware key. */
#pragma once
#include <glib.h>

/* Most disks one SCSI controller holds (unit 7 is the controller's). */
#define VIRT_OVF_WRITE_MAX_DISKS 15

typedef struct {
    const char *href;  /* the archive member holding it */
    guint64 file_size; /* that member's bytes */
    guint64 capacity;  /* the disk's virtual size, bytes */
    guint64 populated; /* bytes the guest's data takes (the volume's allocation) */
} VirtOvfOutDisk;

typedef struct {
    const char *name;
    guint vcpus;
    guint64 memory_mib;
    gboolean uefi;
    const char *os_id; /* libosinfo short id, or NULL */
    const VirtOvfOutDisk *disks;
    guint n_disks;
    const char *const *nics; /* the network each NIC is on (any name), n_nics of them */
    guint n_nics;
} VirtOvfOut;

/* The descriptor's UTF-8 text; INVALID_ARG for more disks than fit. */
char *virt_ovf_write(const VirtOvfOut *o, GError **error);
