/* A restore over the VM it was taken from (see api_archive.h): the
 * archive's disks were written aside into new volumes; here, under the
 * VM's lock, its definition is put back on them in one define, and only
 * then are the VM's old disk volumes deleted. Until that define nothing
 * of the VM changed, so any failure before it leaves the VM as it was. */
#include "api/backup/api_archive.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_locks.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"
#include "virt/virt_snapshot.h"
#include "virt/virt_storage.h"

#include <string.h>

gboolean api_archive_replace_ready(virDomainPtr dom, GError **error)
{
    int state = -1;
    if (virDomainGetState(dom, &state, NULL, 0) < 0)
        return virt_error_from_libvirt(error, "reading the VM's state"), FALSE;
    if (state != VIR_DOMAIN_SHUTOFF)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' is %s: shut it off before restoring over it",
                        virDomainGetName(dom), virt_domain_state_name(state));
    int snaps = virt_snapshot_count(dom, error);
    if (snaps < 0)
        return FALSE;
    if (snaps > 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' has snapshots, which live in the disks a restore replaces: "
                        "delete them first",
                        virDomainGetName(dom));
    return TRUE;
}

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

/* The old disk volumes the new definition no longer uses. */
static GPtrArray *left_behind(virConnectPtr conn, virDomainPtr dom, const char *new_xml,
                              GError **error)
{
    g_autoptr(GPtrArray) old = virt_domain_disk_volumes(conn, dom, error);
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(new_xml, strlen(new_xml), error);
    if (!old || !cfg)
        return NULL;
    GPtrArray *gone = g_ptr_array_new_with_free_func(volume_unref);
    for (guint i = 0; i < old->len; i++) {
        virStorageVolPtr vol = g_ptr_array_index(old, i);
        g_autofree char *path = virStorageVolGetPath(vol);
        gboolean kept = FALSE;
        for (guint k = 0; path && k < cfg->disks->len; k++)
            kept |= g_strcmp0(((const VirtDisk *)g_ptr_array_index(cfg->disks, k))->source, path) ==
                    0;
        if (!kept) {
            virStorageVolRef(vol);
            g_ptr_array_add(gone, vol);
        }
    }
    return gone;
}

gboolean api_archive_replace(const ApiArchiveReplace *r, gboolean *swapped, GError **error)
{
    *swapped = FALSE;
    ApiContext *ctx = r->ctx;
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "vm:%s", r->uuid);
    g_autoptr(virDomain) dom = virt_domain_lookup(r->conn, r->uuid, error);
    if (!dom || !api_archive_replace_ready(dom, error))
        return FALSE;
    g_autofree char *description = virt_domain_description(dom, error);
    g_autofree char *moved = description
                                 ? virt_domain_xml_move_disks(r->xml, r->moves, r->n_moves, error)
                                 : NULL;
    g_autofree char *xml = moved ? virt_domain_xml_set_name(moved, virDomainGetName(dom), error)
                                 : NULL;
    g_autoptr(GPtrArray) old = xml ? left_behind(r->conn, dom, xml, error) : NULL;
    if (!old)
        return FALSE;
    /* The one step that changes the VM: its definition, on the new disks. */
    api_quota_hold_settle(r->quota);
    g_autoptr(virDomain) now = virDomainDefineXMLFlags(r->conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
    if (!now) {
        virt_error_from_libvirt(error, "putting the backup's definition in place");
        g_prefix_error(error, "VM '%s' was left as it was: ", virDomainGetName(dom));
        return FALSE;
    }
    *swapped = TRUE;
    /* The new disks' owner, on the VM's host. */
    gint64 host_id = api_host_id(ctx, r->host);
    for (guint k = 0; r->owner_id && k < r->n_moves; k++)
        db_volume_owner_set(ctx->db, host_id, r->moves[k].path, r->owner_id, NULL);
    api_quota_hold_release(r->quota);
    /* The inventory keeps owner, grants and tags (by UUID); the description
     * is the VM's, not the backup's. */
    g_autoptr(GError) why = NULL;
    if (!virt_domain_set_description(now, description, &why))
        g_warning("restore: keeping the description of %s: %s", r->uuid, why->message);
    for (guint i = 0; i < old->len; i++) {
        virStorageVolPtr vol = g_ptr_array_index(old, i);
        g_autofree char *path = virStorageVolGetPath(vol);
        g_clear_error(&why);
        if (!virt_volume_delete(vol, &why)) {
            g_warning("restore: the replaced disk %s stays: %s", path ? path : "?", why->message);
            continue;
        }
        if (path)
            db_volume_owner_forget(ctx->db, host_id, path, NULL);
    }
    if (r->start && !virt_domain_act(now, VIRT_ACTION_START, error)) {
        g_prefix_error(error, "the backup was restored, but the VM did not start: ");
        return FALSE;
    }
    return TRUE;
}
