/* A VM's snapshots through libvirt: internal snapshots (kept inside its
 * qcow2 disks, with the memory when the VM runs), listed as a tree,
 * created, reverted to and deleted. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_snapshot_xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomainSnapshot, virDomainSnapshotFree)

/* Every snapshot of `dom` (VirtSnapshot *), in tree order
 * (virt_snapshot_tree), the current one marked. */
GPtrArray *virt_snapshot_list(virDomainPtr dom, GError **error);
/* One of them, with its children and whether it is current; NOT_FOUND
 * naming it when there is none. */
VirtSnapshot *virt_snapshot_get(virDomainPtr dom, const char *name, GError **error);
/* How many snapshots `dom` has; -1 with `error`. */
int virt_snapshot_count(virDomainPtr dom, GError **error);

/* Takes an internal snapshot: a shut-off VM's disks, or a running (or
 * paused) VM's disks and memory. EXISTS when the name is taken. The
 * caller has checked that every writable disk is qcow2. */
gboolean virt_snapshot_create(virDomainPtr dom, const char *name, const char *description,
                              GError **error);
/* Puts the VM back as the snapshot holds it: running (or paused) when it
 * kept the memory, else shut off. */
gboolean virt_snapshot_revert(virDomainPtr dom, const char *name, GError **error);
/* Deletes one snapshot; its children stay, under its parent. */
gboolean virt_snapshot_delete(virDomainPtr dom, const char *name, GError **error);
