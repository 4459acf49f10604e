/* Edits of a domain's own XML text (no libvirt calls): the boot order, and
 * finding one device element to hand to libvirt's detach or update calls.
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
