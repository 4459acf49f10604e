/* Usage for quotas (see api_quota_usage.h): one pass over what the
 * inventory says users own, each object's figures read from libvirt. A
 * user's VMs and volumes count on every host (docs/hosts.md), or a second
 * host would be a way around a quota. */
#include "api/auth/api_quota_usage.h"
#include "api/auth/api_quota.h"
#include "virt/virt_conn.h"
#include "virt/virt_error.h"
#include "api/hosts/api_hosts.h"
#include "virt/virt_hosts.h"

void api_quota_amounts(const VirtFootprint *fp, gint64 vms, DbQuota *out)
{
    out->v[DB_QUOTA_VMS] = vms;
    out->v[DB_QUOTA_VCPUS] = (gint64)fp->vcpus;
    out->v[DB_QUOTA_MEMORY] = (gint64)((fp->memory_kib + 1023) / 1024);
    out->v[DB_QUOTA_DISK] = (gint64)fp->disk_bytes;
}

void api_quota_sum(DbQuota *sum, const DbQuota *more)
{
    for (int k = 0; k < DB_QUOTA_KINDS; k++)
        sum->v[k] += more->v[k];
}

/* The running total of user `id` in `by_user`, made at 0 when new. */
static DbQuota *total_of(GHashTable *by_user, gint64 id)
{
    DbQuota *t = g_hash_table_lookup(by_user, &id);
    if (!t) {
        t = g_new0(DbQuota, 1);
        g_hash_table_insert(by_user, g_memdup2(&id, sizeof id), t);
    }
    return t;
}

/* FALSE when `why` (taken) is more than the object being gone. */
static gboolean gone(GError *why, GError **error)
{
    if (g_error_matches(why, VIRT_ERROR, VIRT_ERROR_NOT_FOUND)) {
        g_error_free(why);
        return TRUE;
    }
    g_propagate_error(error, why);
    return FALSE;
}

static gboolean footprint_on(virConnectPtr conn, const char *uuid, VirtFootprint *fp,
                             GError **error)
{
    g_autoptr(virDomain) dom = virDomainLookupByUUIDString(conn, uuid);
    if (!dom) {
        virt_error_from_libvirt(error, "looking up a VM");
        return FALSE;
    }
    return virt_domain_footprint(dom, fp, error);
}

/* The footprint of a VM the request's host does not have, on the host
 * whose VM model last listed it: read there while that host is connected,
 * else the vCPUs and memory the model last held (a host that is down must
 * neither hide its VMs from a quota nor hold the request up). FALSE
 * (error unset) when no host lists it. */
static gboolean footprint_elsewhere(ApiContext *ctx, const char *uuid, VirtFootprint *fp,
                                    GError **error)
{
    g_autoptr(VirtModelSnapshot) snap = NULL;
    const VirtDomainSummary *found = NULL;
    g_autoptr(VirtHost) h = api_hosts_find_vm(ctx, uuid, &snap, &found);
    if (!h)
        return FALSE;
    g_autoptr(virConnect) conn = virt_host_conn_if_up(h, NULL);
    if (conn)
        return footprint_on(conn, uuid, fp, error);
    *fp = (VirtFootprint){.vcpus = found->vcpus, .memory_kib = found->memory_kib};
    return TRUE;
}

static gboolean add_vm(ApiContext *ctx, virConnectPtr conn, const DbOwned *o, GHashTable *by_user,
                       GError **error)
{
    GError *why = NULL;
    VirtFootprint fp;
    if (!footprint_on(conn, o->ref, &fp, &why)) {
        if (!g_error_matches(why, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
            return gone(why, error);
        g_clear_error(&why);
        if (!footprint_elsewhere(ctx, o->ref, &fp, &why))
            return !why || gone(why, error);
    }
    DbQuota a;
    api_quota_amounts(&fp, 1, &a);
    api_quota_sum(total_of(by_user, o->owner_id), &a);
    return TRUE;
}

/* The capacity of a volume on its own host: read there while that host
 * is connected (and remembered), else as last read there (a host that is
 * down must not take its volumes out of a quota). Without a registry
 * (tests), on `conn`. FALSE (error unset) when its host does not have it,
 * or is gone. */
static gboolean capacity_on_host(ApiContext *ctx, virConnectPtr conn, const DbOwned *o,
                                 guint64 *capacity, GError **error)
{
    if (!ctx->hosts)
        return virt_volume_capacity_at(conn, o->ref, capacity, error);
    g_autoptr(VirtHost) h = virt_hosts_get(ctx->hosts, o->host_id);
    if (!h)
        return FALSE;
    g_autoptr(virConnect) there = virt_host_conn_if_up(h, NULL);
    if (!there)
        return api_quotas_last_volume(ctx->quotas, o->host_id, o->ref, capacity);
    gboolean found = virt_volume_capacity_at(there, o->ref, capacity, error);
    if (!error || !*error)
        api_quotas_remember_volume(ctx->quotas, o->host_id, o->ref, found ? capacity : NULL);
    return found;
}

/* A volume counts on the host it was made on (owners are keyed by host
 * and path: docs/hosts.md), whichever host the request is about. */
static gboolean add_volume(ApiContext *ctx, virConnectPtr conn, const DbOwned *o,
                           GHashTable *by_user, GError **error)
{
    GError *why = NULL;
    guint64 capacity;
    if (!capacity_on_host(ctx, conn, o, &capacity, &why))
        return !why || gone(why, error);
    total_of(by_user, o->owner_id)->v[DB_QUOTA_DISK] += (gint64)capacity;
    return TRUE;
}

GHashTable *api_quota_usage_by_user(ApiContext *ctx, virConnectPtr conn, gint64 user_id,
                                    GError **error)
{
    g_autoptr(GHashTable)
        by_user = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    g_autoptr(GPtrArray) vms = db_owned_list(ctx->db, DB_OWNED_VMS, user_id, error);
    g_autoptr(GPtrArray) volumes = vms ? db_owned_list(ctx->db, DB_OWNED_VOLUMES, user_id, error)
                                       : NULL;
    if (!volumes)
        return NULL;
    for (guint i = 0; i < vms->len; i++)
        if (!add_vm(ctx, conn, g_ptr_array_index(vms, i), by_user, error))
            return NULL;
    for (guint i = 0; i < volumes->len; i++)
        if (!add_volume(ctx, conn, g_ptr_array_index(volumes, i), by_user, error))
            return NULL;
    return g_steal_pointer(&by_user);
}

gboolean api_quota_usage(ApiContext *ctx, virConnectPtr conn, gint64 user_id, DbQuota *out,
                         GError **error)
{
    *out = (DbQuota){0};
    if (user_id <= 0)
        return TRUE;
    g_autoptr(GHashTable) by_user = api_quota_usage_by_user(ctx, conn, user_id, error);
    if (!by_user)
        return FALSE;
    const DbQuota *mine = g_hash_table_lookup(by_user, &user_id);
    if (mine)
        *out = *mine;
    return TRUE;
}

GHashTable *api_quota_usage_shown(ApiContext *ctx, gint64 user_id)
{
    g_autoptr(GError) why = NULL;
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &why);
    GHashTable *by_user = conn ? api_quota_usage_by_user(ctx, conn, user_id, &why) : NULL;
    if (!by_user)
        g_message("usage for quotas not shown: %s", why->message);
    return by_user;
}
