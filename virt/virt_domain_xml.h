/* Reading a libvirt domain XML document (libxml2 + XPath) into plain C
 * structs: the devices and OS settings the API shows. */
#pragma once
#include <glib.h>

/* The namespace virt-install and virt-manager keep the guest's OS in, as
 * <metadata><libosinfo:libosinfo><libosinfo:os id="http://..."/>. */
#define VIRT_LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

typedef struct {
    char *device; /* disk, cdrom, floppy, lun */
    char *target; /* vda, sda, hdc */
    char *bus;
    char *source;      /* file path, block device, pool/volume or network name */
    char *format;      /* driver type: raw, qcow2 ... */
    gboolean readonly; /* a CD-ROM or floppy, or <readonly/> */
    GStrv backing;     /* files of the backing chain the XML shows (live XML), NULL-ended */
    char *alias;       /* <alias name=...>: kept in definitions for "ua-" ones */
} VirtDisk;

/* The alias prefix of a CD-ROM whose medium belongs to the VM (made for it,
 * such as its cloud-init seed): it goes with the VM's disks on a delete
 * with its volumes, and no installer ejection takes it out. */
#define VIRT_DISK_ALIAS_OWNED "ua-vireo-owned-"

/* TRUE for a drive whose alias says its medium is the VM's own. */
gboolean virt_disk_owned(const VirtDisk *d);

typedef struct {
    char *type; /* network, bridge, direct, user ... */
    char *mac;
    char *source; /* network or bridge name, device */
    char *model;
    char *link; /* "up" or "down" */
} VirtNic;

typedef struct {
    char *type; /* vnc, spice ... */
    int port;   /* -1 when unset or autoport on an inactive domain */
    char *listen;
} VirtGraphics;

typedef struct {
    char *name;
    char *uuid;
    char *domain_type; /* kvm, qemu */
    char *os_type;     /* hvm */
    char *arch;
    char *machine;
    char *kernel;
    gboolean uefi;     /* <os firmware='efi'> or a pflash <loader> */
    char *nvram;       /* <nvram>'s file when the definition names it */
    char *description; /* <description>; NULL when there is none */
    GStrv boot;        /* boot device order, e.g. {"hd", "cdrom"} */
    char *osinfo_id;   /* libosinfo's id of the guest OS from <metadata>, or NULL */
    unsigned vcpus;
    unsigned long long memory_kib;     /* current memory */
    unsigned long long max_memory_kib; /* <memory>: the most the guest may have */
    GPtrArray *disks;                  /* VirtDisk* */
    GPtrArray *nics;                   /* VirtNic* */
    GPtrArray *graphics;               /* VirtGraphics* */
} VirtDomainConfig;

/* A disk the guest writes: not a CD-ROM or floppy, not <readonly/>.
 * Snapshots and clones take these; the others are shared as they are. */
gboolean virt_disk_writable(const VirtDisk *d);

VirtDomainConfig *virt_domain_config_parse(const char *xml, gsize len, GError **error);
void virt_domain_config_free(VirtDomainConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtDomainConfig, virt_domain_config_free)
