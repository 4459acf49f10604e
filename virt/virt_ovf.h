/* Reading an OVF descriptor (DMTF OVF 1.x and 2.x, as VirtualBox and
 * VMware write them) into what a VM needs: name, vCPUs, memory, firmware,
 * guest OS, NICs and the disks with the archive files that hold them.
 * The descriptor is outside input: its size is bounded, DTDs and entities
 * are refused before libxml2 sees them, the network is never used, and
 * every number is range-checked. Errors are VIRT_ERROR_INVALID_ARG. */
#pragma once
#include <glib.h>

/* Largest descriptor read. */
#define VIRT_OVF_MAX_BYTES (4 * 1024 * 1024)
/* Most disks and NICs taken from one descriptor. */
#define VIRT_OVF_MAX_DISKS 16
#define VIRT_OVF_MAX_NICS 8
/* Most files its References may list. */
#define VIRT_OVF_MAX_FILES 64

typedef struct {
    char *id;       /* ovf:id */
    char *href;     /* the archive member holding it */
    guint64 size;   /* ovf:size in bytes; 0 when not declared */
    int disk_index; /* the disk it holds (in VirtOvf.disks), or -1: not a disk */
} VirtOvfFile;

typedef struct {
    char *id;         /* ovf:diskId */
    guint file_index; /* its file in VirtOvf.files */
    guint64 capacity; /* bytes, as the descriptor declares */
    char *format; /* "vmdk", "vdi", "qcow2" or "raw": by ovf:format, else the file's extension */
} VirtOvfDisk;

typedef struct {
    char *name;            /* the virtual system's name or id; may be NULL */
    guint vcpus;           /* 0: not given */
    guint64 memory_mib;    /* 0: not given */
    gboolean uefi;         /* vmw:firmware, VirtualBox's <Firmware type="EFI">, ... */
    char *os_type;         /* the descriptor's own words for the guest OS, or NULL */
    const char *os_family; /* "linux", "windows", "bsd" or "other" */
    const char *os_id;     /* a libosinfo short id guessed from it, or NULL */
    GPtrArray *files;      /* VirtOvfFile*, in References order */
    GPtrArray *disks;      /* VirtOvfDisk*, in the order the hardware attaches them */
    GPtrArray *nic_models; /* one per NIC: "e1000", "e1000e", "virtio", "rtl8139" or NULL (other) */
    GPtrArray *notes;      /* what is left out (CD-ROMs, extra NICs ...), as sentences */
} VirtOvf;

void virt_ovf_free(VirtOvf *ovf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtOvf, virt_ovf_free)

/* Parses and checks a descriptor: one virtual system, every disk of its
 * hardware backed by a file of References (each file backs at most one
 * disk), capacities, sizes and counts in range, files named as plain
 * relative members of the archive. */
VirtOvf *virt_ovf_parse(const char *xml, gsize len, GError **error);

/* The file of References named `href`, or NULL. */
const VirtOvfFile *virt_ovf_file_by_href(const VirtOvf *ovf, const char *href);

/* The guest OS from the descriptor's words: VMware's osType
 * ("debian11_64Guest"), VirtualBox's OSType ("Windows10_64") or the CIM
 * number of ovf:id ("96"). Sets `family` (never NULL) and `os_id` (a
 * libosinfo short id, or NULL). */
void virt_ovf_guess_os(const char *vmw_type, const char *vbox_type, const char *cim_id,
                       const char **family, const char **os_id);

/* The other way, for descriptors Vireo writes: VMware's guest id of a
 * libosinfo short id (NULL: unknown), one the reader above maps back,
 * and the CIM number in `cim`. */
char *virt_ovf_vmw_os_type(const char *os_id, guint *cim);
