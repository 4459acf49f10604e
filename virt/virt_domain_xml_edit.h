/* Edits of a domain's own XML text (no libvirt calls): the boot order,
 * emptying CD-ROM drives once an OS is installed, and finding one device
 * element to hand to libvirt's detach or update calls.
 * Kept pure so that they are unit-tested without a hypervisor. */
#pragma once
#include <glib.h>

/* hd, cdrom, network, fd: what <os><boot dev=.../> accepts. */
gboolean virt_boot_dev_valid(const char *dev);

/* Checks a boot order: 0 to 4 known devices, none twice (INVALID_ARG). */
gboolean virt_boot_order_valid(const char *const *devs, GError **error);

/* The domain XML `xml` with its <os><boot> list replaced by `devs` (an
 * empty list leaves libvirt's default, the first disk). Per-device
 * <boot order='N'/> elements are dropped: libvirt refuses both kinds in
 * one domain. */
char *virt_domain_xml_set_boot(const char *xml, const char *const *devs, GError **error);

/* The XML of the <disk> whose target is `target`, or of the <interface>
 * whose MAC is `mac` (compared case-insensitively); NOT_FOUND otherwise. */
char *virt_domain_xml_disk(const char *xml, const char *target, GError **error);
char *virt_domain_xml_nic(const char *xml, const char *mac, GError **error);

/* The <disk> element of CD-ROM drive `target` with its medium taken out
 * (no <source>, no backing chain; a file drive, as libvirt wants an empty
 * tray), everything else as it was: for virDomainUpdateDeviceFlags.
 * NOT_FOUND when there is no such drive, INVALID_ARG when it is no CD-ROM. */
char *virt_domain_xml_cdrom_emptied(const char *xml, const char *target, GError **error);

/* `xml` without the <disk> whose target is `target` (NOT_FOUND when there
 * is none): an imported VM's drive whose medium is not on this host. */
char *virt_domain_xml_drop_disk(const char *xml, const char *target, GError **error);

/* `xml` with its <name> set to `name` (a definition put back on a VM
 * renamed since it was saved). */
char *virt_domain_xml_set_name(const char *xml, const char *name, GError **error);

/* After an install: the domain XML `xml` with every CD-ROM drive emptied
 * and a disk put first in the boot order. An <os><boot> list gets "hd" in
 * front (the other devices follow in their old order); per-device
 * <boot order='N'/> elements are renumbered so that the disks come first,
 * each group in its old order; without either, libvirt boots the first
 * disk already. `emptied` (may be NULL) gets the targets of the drives
 * that held media, `boot_changed` (may be NULL) whether the order moved. */
char *virt_domain_xml_eject_installer(const char *xml, GStrv *emptied, gboolean *boot_changed,
                                      GError **error);
