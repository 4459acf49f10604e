/* What a killed vireod left half-made: tasks write down what they are
 * about to make before they make it (task_will_make); at the next start,
 * once the task's libvirt host answers, whatever those records name that
 * still exists there is removed, and each task says so. */
#include "api/core/api_host_resolve.h"
#include "api/tasks/api_tasks.h"
#include "db/db_tasks.h"
#include "virt/virt_conn.h"
#include "virt/virt_disk_usage.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

/* A half-made volume is removed when the task said it was made, or when
 * the file changed after the task wrote down it would make it (a copy cut
 * short before libvirt returned); never when a VM uses it. */
static char *remove_volume(virConnectPtr conn, GHashTable *usage, const DbTaskArtifact *a,
                           GError **error)
{
    /* libvirt may not list a copy it was making when its client died:
     * look at the pool's files again first. */
    g_autofree char *pool_name = g_strndup(a->ref, strcspn(a->ref, "/"));
    g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(conn, pool_name);
    if (pool)
        virStoragePoolRefresh(pool, 0);
    g_autoptr(virStorageVol) vol = virt_volume_lookup_ref(conn, a->ref, NULL, NULL);
    virResetLastError();
    g_autoptr(VirtVolume) v = vol ? virt_volume_info(vol, error) : NULL;
    if (!v)
        return vol ? NULL : g_strdup_printf("volume %s was not made", a->ref);
    if (virt_disk_users(usage, v->path))
        return g_strdup_printf("volume %s is in use by a VM: kept", a->ref);
    /* Clocks of the host and of the file system agree to the second. */
    if (!a->made && v->changed_at && v->changed_at + 2 < a->created_at)
        return g_strdup_printf("volume %s is older than the task: kept", a->ref);
    if (!virt_volume_delete(vol, error))
        return NULL;
    return g_strdup_printf("removed the half-made volume %s", a->ref);
}

static char *remove_domain(ApiContext *ctx, virConnectPtr conn, const DbTaskArtifact *a,
                           GError **error)
{
    /* The UUID was made up by the task itself: a VM with it is its own. */
    g_autoptr(virDomain) dom = virDomainLookupByUUIDString(conn, a->ref);
    virResetLastError();
    if (!dom)
        return g_strdup_printf("VM %s was not defined", a->ref);
    g_autofree char *name = g_strdup(virDomainGetName(dom));
    if (!virt_domain_delete(dom, TRUE, NULL, error))
        return NULL;
    db_vm_meta_delete(ctx->db, a->ref, NULL);
    return g_strdup_printf("removed the half-made VM %s", name);
}

void api_tasks_clean_up(ApiContext *ctx, VirtHost *h)
{
    g_autoptr(GError) error = NULL;
    /* Each host's own: a volume's "pool/name" means nothing elsewhere. */
    g_autoptr(GPtrArray) left = db_task_artifacts_left(ctx->db, h ? virt_host_id(h) : 0,
                                                       !h || virt_host_is_local(h), &error);
    if (!left || left->len == 0) {
        if (error)
            g_warning("tasks: reading what interrupted tasks left failed: %s", error->message);
        return;
    }
    g_autoptr(virConnect) conn = api_host_conn(ctx, h, &error);
    g_autoptr(GHashTable) usage = conn ? virt_disk_usage(conn, &error) : NULL;
    if (!usage) {
        g_warning("tasks: cannot clean up after interrupted tasks yet: %s", error->message);
        return;
    }
    /* Domains first (they use the volumes), then volumes, newest first. */
    for (guint i = 0; i < left->len; i++) {
        const DbTaskArtifact *a = g_ptr_array_index(left, i);
        g_autoptr(GError) why = NULL;
        g_autofree char *done = strcmp(a->kind, "domain") == 0
                                    ? remove_domain(ctx, conn, a, &why)
                                    : remove_volume(conn, usage, a, &why);
        if (!done) {
            g_warning("task %" G_GINT64_FORMAT ": removing %s %s failed (tried again at the "
                      "next start): %s",
                      a->task_id, a->kind, a->ref, why->message);
            continue;
        }
        g_message("task %" G_GINT64_FORMAT ": %s", a->task_id, done);
        if (!db_task_add_note(ctx->db, a->task_id, done, &why) ||
            !db_task_artifact_forget(ctx->db, a->id, &why))
            g_warning("task %" G_GINT64_FORMAT ": %s", a->task_id, why->message);
    }
}
