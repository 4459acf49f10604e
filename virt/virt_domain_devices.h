/* Changing a VM's devices: disks, CD-ROM media and NICs are attached,
 * detached and updated in the running guest (hot-plug) and in its
 * definition, as far as each exists. Device XML comes from
 * virt_device_xml.h; the existing elements are found in the domain XML. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_device_xml.h"
#include "virt/virt_domain_xml.h"

/* The devices of the VM: its live XML while running (what the guest
 * has), else its definition. */
VirtDomainConfig *virt_domain_devices(virDomainPtr dom, GError **error);

/* Every target name the VM uses, live or in its definition, NULL-ended. */
GStrv virt_domain_disk_targets(virDomainPtr dom, GError **error);

/* "pool/name" of the volume at `path`, or NULL when no pool knows it. */
char *virt_volume_id_of_path(virConnectPtr conn, const char *path);

/* The name of another VM than `self` (may be NULL) whose disks use `path`
 * or whose NICs use `mac` (case-insensitive); NULL when none (or on
 * error, then set). */
char *virt_path_user(virConnectPtr conn, const char *path, virDomainPtr self, GError **error);
char *virt_mac_user(virConnectPtr conn, const char *mac, virDomainPtr self, GError **error);

/* Attaches a disk or CD-ROM: live and in the definition while running
 * (only hot-pluggable buses: virtio, scsi, usb; else INVALID_STATE), in
 * the definition when off. EXISTS when the target is taken. */
gboolean virt_domain_disk_attach(virDomainPtr dom, const VirtDiskSpec *spec, GError **error);
/* Detaches the disk `target` wherever it exists (live, definition).
 * `still_live` (may be NULL) is set when the guest has not released it
 * yet (hot-unplug needs the guest's help). */
gboolean virt_domain_disk_detach(virDomainPtr dom, const char *target, gboolean *still_live,
                                 GError **error);
/* The same in two steps, so that a caller need not hold its locks while
 * the guest takes its time: detach (`was_live` says whether the running
 * guest had the disk), then wait until the guest lets go of it (TRUE) or
 * `timeout_us` passes (FALSE). */
gboolean virt_domain_disk_detach_begin(virDomainPtr dom, const char *target, gboolean *was_live,
                                       GError **error);
gboolean virt_domain_disk_wait_released(virDomainPtr dom, const char *target, gint64 timeout_us);
/* Inserts `path` (NULL: ejects) into the CD-ROM drive `target`. */
gboolean virt_domain_cdrom_media(virDomainPtr dom, const char *target, const char *path,
                                 GError **error);

/* A random MAC in QEMU's 52:54:00 range (callers check it is free). */
char *virt_mac_random(void);

gboolean virt_domain_nic_attach(virDomainPtr dom, const VirtNicSpec *spec, GError **error);
gboolean virt_domain_nic_detach(virDomainPtr dom, const char *mac, GError **error);
/* Moves the NIC `mac` to another network or bridge (`type`/`source`,
 * NULL to keep) and/or sets its link (`link_down` -1 keeps). */
gboolean virt_domain_nic_update(virDomainPtr dom, const char *mac, const char *type,
                                const char *source, int link_down, GError **error);
