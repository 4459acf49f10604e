/* Snapshots of one domain: libvirt's snapshot calls behind the plain
 * structs of virt_snapshot_xml.h. */
#include "virt/virt_snapshot.h"
#include "virt/virt_error.h"

#include <stdlib.h>
#include <string.h>

static VirtSnapshot *read_one(virDomainSnapshotPtr snap, GError **error)
{
    g_autofree char *xml = virDomainSnapshotGetXMLDesc(snap, 0);
    if (!xml) {
        virt_error_from_libvirt(error, "reading a snapshot");
        return NULL;
    }
    VirtSnapshot *s = virt_snapshot_parse(xml, strlen(xml), error);
    int current = s ? virDomainSnapshotIsCurrent(snap, 0) : 0;
    if (current < 0) {
        virt_error_from_libvirt(error, "reading a snapshot");
        virt_snapshot_free(s);
        return NULL;
    }
    if (s)
        s->current = current == 1;
    return s;
}

GPtrArray *virt_snapshot_list(virDomainPtr dom, GError **error)
{
    virDomainSnapshotPtr *snaps = NULL;
    int n = virDomainListAllSnapshots(dom, &snaps, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing snapshots");
        return NULL;
    }
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)virt_snapshot_free);
    gboolean ok = TRUE;
    for (int i = 0; i < n; i++) {
        VirtSnapshot *s = ok ? read_one(snaps[i], error) : NULL;
        if (s)
            g_ptr_array_add(out, s);
        else
            ok = FALSE;
        virDomainSnapshotFree(snaps[i]);
    }
    free(snaps);
    if (!ok)
        return NULL;
    virt_snapshot_tree(out);
    return g_steal_pointer(&out);
}

/* The handle of snapshot `name`: NOT_FOUND in words that name it. */
static virDomainSnapshotPtr lookup(virDomainPtr dom, const char *name, GError **error)
{
    virDomainSnapshotPtr snap = virDomainSnapshotLookupByName(dom, name, 0);
    if (snap)
        return snap;
    virt_error_from_libvirt(error, "looking up the snapshot");
    if (error && *error && (*error)->code == VIRT_ERROR_NOT_FOUND) {
        g_clear_error(error);
        virt_fail(error, VIRT_ERROR_NOT_FOUND, "VM '%s' has no snapshot named '%s'",
                  virDomainGetName(dom), name);
    }
    return NULL;
}

VirtSnapshot *virt_snapshot_get(virDomainPtr dom, const char *name, GError **error)
{
    g_autoptr(virDomainSnapshot) snap = lookup(dom, name, error);
    if (!snap)
        return NULL;
    /* Its children come from the whole list: libvirt's own child list
     * would be one more call per child. */
    g_autoptr(GPtrArray) all = virt_snapshot_list(dom, error);
    for (guint i = 0; all && i < all->len; i++) {
        VirtSnapshot *s = g_ptr_array_index(all, i);
        if (strcmp(s->name, name) == 0)
            return g_ptr_array_steal_index(all, i);
    }
    if (all)
        lookup(dom, name, error); /* gone meanwhile: NOT_FOUND */
    return NULL;
}

int virt_snapshot_count(virDomainPtr dom, GError **error)
{
    int n = virDomainSnapshotNum(dom, 0);
    if (n < 0)
        virt_error_from_libvirt(error, "counting snapshots");
    return n;
}

gboolean virt_snapshot_create(virDomainPtr dom, const char *name, const char *description,
                              GError **error)
{
    g_autofree char *xml = virt_snapshot_build_xml(name, description, error);
    if (!xml)
        return FALSE;
    virDomainSnapshotPtr clash = virDomainSnapshotLookupByName(dom, name, 0);
    virResetLastError();
    if (clash) {
        virDomainSnapshotFree(clash);
        return virt_fail(error, VIRT_ERROR_EXISTS, "VM '%s' has a snapshot named '%s'",
                         virDomainGetName(dom), name);
    }
    /* Atomic: a failure leaves no half-made snapshot behind. */
    g_autoptr(virDomainSnapshot)
        snap = virDomainSnapshotCreateXML(dom, xml, VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
    if (!snap) {
        virt_error_from_libvirt(error, "taking the snapshot");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_snapshot_revert(virDomainPtr dom, const char *name, GError **error)
{
    g_autoptr(virDomainSnapshot) snap = lookup(dom, name, error);
    if (!snap)
        return FALSE;
    if (virDomainRevertToSnapshot(snap, 0) < 0) {
        virt_error_from_libvirt(error, "reverting to the snapshot");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_snapshot_delete(virDomainPtr dom, const char *name, GError **error)
{
    g_autoptr(virDomainSnapshot) snap = lookup(dom, name, error);
    if (!snap)
        return FALSE;
    if (virDomainSnapshotDelete(snap, 0) < 0) {
        virt_error_from_libvirt(error, "deleting the snapshot");
        return FALSE;
    }
    return TRUE;
}
