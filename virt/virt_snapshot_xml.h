/* Snapshot XML and the snapshot tree, without libvirt calls: reading one
 * <domainsnapshot>, building the one a create sends, ordering a VM's
 * snapshots as a tree, and finding the disk that rules out an internal
 * snapshot. Kept pure so that they are unit-tested without a hypervisor. */
#pragma once
#include <glib.h>

#include "virt/virt_domain_xml.h"

typedef struct {
    char *name;
    char *description;   /* NULL when it has none */
    char *state;         /* the VM's state when taken: running, shutoff, paused ... */
    char *parent;        /* NULL for a root */
    gint64 created_at;   /* unix seconds */
    gboolean memory;     /* holds the guest's memory: a revert resumes it */
    gboolean current;    /* libvirt's current snapshot (filled by virt_snapshot.c) */
    guint depth;         /* 0 for roots (filled by virt_snapshot_tree) */
    GPtrArray *children; /* names (char *), oldest first (filled by virt_snapshot_tree) */
    char *domain_xml;    /* the definition it kept (<domain>), NULL when none */
} VirtSnapshot;

void virt_snapshot_free(VirtSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtSnapshot, virt_snapshot_free)

/* One snapshot of libvirt's snapshot XML (the domain inside is kept as
 * text, not read). */
VirtSnapshot *virt_snapshot_parse(const char *xml, gsize len, GError **error);

/* The <domainsnapshot> a create sends: its name (checked with the rules
 * of other names) and optional description; libvirt picks internal
 * snapshots of every disk, with the memory when the VM runs. */
char *virt_snapshot_build_xml(const char *name, const char *description, GError **error);

/* Orders `snaps` (VirtSnapshot *) as a tree walked depth-first: roots and
 * each one's children oldest first (ties by name), every child right
 * after its parent's earlier subtrees; fills `depth` and `children`. A
 * snapshot whose parent is not in the list is a root. */
void virt_snapshot_tree(GPtrArray *snaps);

/* The first writable disk of `cfg` that cannot hold an internal snapshot
 * (not qcow2), or NULL when every one can. CD-ROMs and read-only disks do
 * not count: libvirt leaves them out of snapshots. */
const VirtDisk *virt_snapshot_unfit_disk(const VirtDomainConfig *cfg);
/* TRUE when `cfg` has a writable disk (QEMU keeps a running VM's memory
 * in one of them). */
gboolean virt_snapshot_has_writable_disk(const VirtDomainConfig *cfg);
