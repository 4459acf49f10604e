/* Building the device elements of a domain (disks, CD-ROMs, NICs): as nodes
 * inside a whole domain document when a VM is created, and as standalone
 * XML for attach/detach/update on an existing VM. Values are validated here
 * so that every caller gets the same rules; libxml2 escapes all text. */
#pragma once
#include <glib.h>
#include <libxml/tree.h>

typedef struct {
    const char *device;  /* "disk" or "cdrom" */
    const char *path;    /* host file or block device; NULL = empty CD-ROM tray */
    const char *format;  /* driver type (raw, qcow2, vdi, vmdk); NULL = raw */
    const char *target;  /* vda, sdb ...; see virt_disk_next_target */
    const char *bus;     /* virtio, sata, scsi, ide, usb; NULL = virtio (sata for cdrom) */
    gboolean readonly;   /* always on for CD-ROMs */
    unsigned boot_order; /* 0 = not bootable */
    const char *alias;   /* a user alias ("ua-" and letters, digits, '-', '_') the
                          * definition keeps; NULL: none */
} VirtDiskSpec;

typedef struct {
    const char *type;   /* "network" or "bridge" */
    const char *source; /* libvirt network or host bridge name */
    const char *model;  /* virtio, e1000e, e1000, rtl8139; NULL = virtio */
    const char *mac;    /* NULL: libvirt picks one */
    gboolean link_down;
    unsigned boot_order; /* 0 = not bootable */
} VirtNicSpec;

gboolean virt_disk_bus_valid(const char *bus);
gboolean virt_nic_model_valid(const char *model);

/* "52:54:00:12:34:56" form, unicast (lowest bit of the first octet clear),
 * not all zeros. Lower-cases nothing: callers pass what they store. */
gboolean virt_mac_valid(const char *mac, GError **error);

/* The first free target name for `bus` ("vd" for virtio, "sd" for sata,
 * scsi and usb, "hd" for ide), given the targets already used; NULL when
 * all 26*27 names are taken. */
char *virt_disk_next_target(const char *bus, const char *const *used);

/* Appends a <disk>/<interface> element to `devices`; FALSE with an
 * INVALID_ARG error on a bad value. */
gboolean virt_disk_append(xmlNode *devices, const VirtDiskSpec *spec, GError **error);
gboolean virt_nic_append(xmlNode *devices, const VirtNicSpec *spec, GError **error);

/* The same elements as standalone XML documents for virDomainAttachDeviceFlags,
 * virDomainDetachDeviceFlags and virDomainUpdateDeviceFlags. */
char *virt_disk_xml(const VirtDiskSpec *spec, GError **error);
char *virt_nic_xml(const VirtNicSpec *spec, GError **error);
