/* A small thread that prunes metadata of vanished VMs when kicked. */
#include "api/vms/api_meta_sync.h"
#include "api/core/api_host_resolve.h"
#include "db/db_audit.h"
#include "db/db_auth.h"
#include "db/db_tasks.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_hosts.h"
#include "virt/virt_storage.h"

#include <libvirt/virterror.h>

#define SAFETY_INTERVAL_US (600 * G_USEC_PER_SEC)

struct ApiMetaSync {
    ApiContext *ctx;
    GMutex lock;
    GCond wake;
    gboolean kicked;
    gboolean stopping;
    GThread *thread;
};

/* The connection of host `h` (NULL: vireod's own), or NULL with `error`
 * set when it does not answer: a prune waits for every host, since what a
 * host that hangs holds is not gone (docs/hosts.md). */
static virConnectPtr answering_conn(ApiContext *ctx, VirtHost *h, GError **error)
{
    return h ? virt_host_conn_if_up(h, error) : virt_conn_get(ctx->virt, error);
}

int api_meta_sync_run(ApiContext *ctx, GError **error)
{
    /* Rows touched after this instant belong to VMs newer than our list. */
    int64_t started = g_get_real_time() / G_USEC_PER_SEC - 1;
    /* A VM is gone when no host has it: a migrated VM keeps its rows. */
    g_autoptr(GPtrArray) hosts = ctx->hosts ? virt_hosts_list(ctx->hosts) : NULL;
    g_autoptr(GStrvBuilder) alive = g_strv_builder_new();
    for (guint i = 0; i < (hosts ? hosts->len : 1); i++) {
        g_autoptr(virConnect)
            conn = answering_conn(ctx, hosts ? g_ptr_array_index(hosts, i) : NULL, error);
        g_auto(GStrv) uuids = conn ? virt_domain_list_uuids(conn, error) : NULL;
        if (!uuids)
            return -1;
        g_strv_builder_addv(alive, (const char **)uuids);
    }
    g_auto(GStrv) uuids = g_strv_builder_end(alive);
    return db_vm_meta_prune(ctx->db, (const char *const *)uuids, started, error);
}

/* Adds the paths of every volume of `conn`'s pools to `alive`; FALSE when
 * a pool could not be listed: the volumes of a stopped pool are not gone. */
static gboolean add_live_volumes(virConnectPtr conn, GHashTable *alive)
{
    g_autoptr(GPtrArray) pools = virt_pool_list(conn, NULL);
    if (!pools)
        return FALSE;
    for (guint i = 0; i < pools->len; i++) {
        const VirtPool *p = g_ptr_array_index(pools, i);
        g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(conn, p->name);
        g_autoptr(GPtrArray) vols = pool && p->state == VIR_STORAGE_POOL_RUNNING
                                        ? virt_volume_list(pool, NULL)
                                        : NULL;
        virResetLastError();
        if (!vols)
            return FALSE;
        for (guint j = 0; j < vols->len; j++)
            g_hash_table_add(alive, g_strdup(((VirtVolume *)g_ptr_array_index(vols, j))->path));
    }
    return TRUE;
}

/* Forgets who made volumes that are gone, host by host (owners are keyed
 * by host and path): a host's rows only when that host answered and every
 * one of its pools could be listed; a host that does not answer keeps its
 * rows. */
static void prune_volume_owners(ApiContext *ctx)
{
    g_autoptr(GPtrArray) hosts = ctx->hosts ? virt_hosts_list(ctx->hosts) : NULL;
    for (guint i = 0; i < (hosts ? hosts->len : 1); i++) {
        VirtHost *h = hosts ? g_ptr_array_index(hosts, i) : NULL;
        /* Rows written after this instant are of volumes newer than the list. */
        gint64 started = g_get_real_time() / G_USEC_PER_SEC;
        g_autoptr(GHashTable) alive = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(virConnect) conn = answering_conn(ctx, h, NULL);
        if (!conn || !add_live_volumes(conn, alive))
            continue;
        g_autoptr(GError) error = NULL;
        gint64 host_id = api_host_id(ctx, h);
        int removed = db_volume_owner_prune(ctx->db, host_id, alive, started, &error);
        if (removed > 0)
            g_message(
                "forgot who made %d volume(s) no longer in any pool of host %" G_GINT64_FORMAT,
                removed, host_id);
        else if (removed < 0)
            g_warning("pruning volume owners: %s", error->message);
    }
}

/* Descriptions were the inventory's before they became libvirt's own
 * (<description>, what virsh desc and virt-manager show): one still in the
 * inventory moves to its VM, unless the VM has one of its own by now. */
static void move_descriptions(ApiContext *ctx)
{
    g_autoptr(GHashTable) rows = db_vm_meta_all(ctx->db, NULL);
    g_autoptr(virConnect) conn = NULL;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, rows ? rows : (rows = g_hash_table_new(NULL, NULL)));
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const DbVmMeta *m = value;
        if (!m->description || !*m->description)
            continue;
        if (!conn && !(conn = virt_conn_get(ctx->virt, NULL)))
            return;
        g_autoptr(virDomain) dom = virDomainLookupByUUIDString(conn, key);
        virResetLastError();
        g_autofree char *now = dom ? virt_domain_description(dom, NULL) : NULL;
        if (!now)
            continue;
        g_autoptr(GError) error = NULL;
        if (!*now && !virt_domain_set_description(dom, m->description, &error)) {
            g_warning("moving the description of VM %s into libvirt: %s", (char *)key,
                      error->message);
            continue;
        }
        if (db_vm_meta_update(ctx->db, key, "", NULL, &error))
            g_message("the description of VM %s is libvirt's now", virDomainGetName(dom));
    }
}

/* Expired sessions, old audit entries and old finished tasks go with the
 * same rhythm. */
static void api_housekeeping(ApiContext *ctx)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autoptr(GError) error = NULL;
    if (ctx->session_idle_s &&
        db_session_expire(ctx->db, now - ctx->session_idle_s, now - ctx->session_max_s, &error) < 0)
        g_warning("expiring sessions: %s", error->message);
    g_clear_error(&error);
    if (ctx->audit_retention_s && db_audit_prune(ctx->db, now - ctx->audit_retention_s, &error) < 0)
        g_warning("pruning audit log: %s", error->message);
    g_clear_error(&error);
    if (ctx->task_retention_s && db_task_prune(ctx->db, now - ctx->task_retention_s, &error) < 0)
        g_warning("pruning finished tasks: %s", error->message);
    g_clear_error(&error);
    if (ctx->audit_max_rows && db_audit_bound(ctx->db, ctx->audit_max_rows, &error) < 0)
        g_warning("bounding audit log: %s", error->message);
    prune_volume_owners(ctx);
}

static gpointer loop(gpointer data)
{
    ApiMetaSync *sync = data;
    g_mutex_lock(&sync->lock);
    while (!sync->stopping) {
        if (!sync->kicked) {
            gint64 until = g_get_monotonic_time() + SAFETY_INTERVAL_US;
            if (!g_cond_wait_until(&sync->wake, &sync->lock, until))
                sync->kicked = TRUE;
            continue;
        }
        sync->kicked = FALSE;
        g_mutex_unlock(&sync->lock);
        g_autoptr(GError) error = NULL;
        api_housekeeping(sync->ctx);
        move_descriptions(sync->ctx);
        int removed = api_meta_sync_run(sync->ctx, &error);
        if (removed > 0)
            g_message("pruned metadata of %d VM(s) no longer in libvirt", removed);
        else if (removed < 0)
            g_debug("metadata prune skipped: %s", error->message);
        g_mutex_lock(&sync->lock);
    }
    g_mutex_unlock(&sync->lock);
    return NULL;
}

ApiMetaSync *api_meta_sync_new(ApiContext *ctx)
{
    ApiMetaSync *sync = g_new0(ApiMetaSync, 1);
    sync->ctx = ctx;
    g_mutex_init(&sync->lock);
    g_cond_init(&sync->wake);
    sync->thread = g_thread_new("meta-sync", loop, sync);
    return sync;
}

void api_meta_sync_kick(ApiMetaSync *sync)
{
    if (!sync)
        return;
    g_mutex_lock(&sync->lock);
    sync->kicked = TRUE;
    g_cond_signal(&sync->wake);
    g_mutex_unlock(&sync->lock);
}

void api_meta_sync_stop(ApiMetaSync *sync)
{
    if (!sync)
        return;
    g_mutex_lock(&sync->lock);
    sync->stopping = TRUE;
    g_cond_signal(&sync->wake);
    GThread *thread = g_steal_pointer(&sync->thread);
    g_mutex_unlock(&sync->lock);
    if (thread)
        g_thread_join(thread);
}

void api_meta_sync_free(ApiMetaSync *sync)
{
    if (!sync)
        return;
    api_meta_sync_stop(sync);
    g_mutex_clear(&sync->lock);
    g_cond_clear(&sync->wake);
    g_free(sync);
}
