/* The scope of one request (see api_scope.h and docs/access.md). Not-found
 * answers use the engine's own wording ("no storage pool named 'x'"), so
 * that what the caller may not use looks exactly like what does not
 * exist. */
#include "api/core/api_scope.h"
#include "api/core/api_error.h"
#include "db/db_auth.h"
#include "virt/virt_error.h"
#include "virt/virt_hosts.h"

#include <string.h>

struct ApiScope {
    ApiContext *ctx;
    gint64 user_id;
    ApiRole role;
    GHashTable *visible; /* VM uuids the user owns or was granted; lazy */
    GHashTable *grants;  /* "kind\nname" -> DbResourceGrant*; lazy */
    /* Paths of the volumes the user made on the host of `owned_conn`; lazy,
     * for the last connection asked about (a request works on one host). */
    GHashTable *owned;
    virConnectPtr owned_conn;
    GHashTable *usage; /* virt_disk_usage; lazy */
};

ApiScope *api_scope_new(ApiContext *ctx, const ApiAuth *auth)
{
    ApiScope *s = g_new0(ApiScope, 1);
    s->ctx = ctx;
    s->user_id = auth->user_id;
    s->role = auth->role;
    return s;
}

void api_scope_free(ApiScope *s)
{
    if (!s)
        return;
    g_clear_pointer(&s->visible, g_hash_table_unref);
    g_clear_pointer(&s->grants, g_hash_table_unref);
    g_clear_pointer(&s->owned, g_hash_table_unref);
    g_clear_pointer(&s->usage, g_hash_table_unref);
    g_free(s);
}

gboolean api_scope_is_admin(const ApiScope *s)
{
    return s->role == API_ROLE_ADMIN;
}

static GHashTable *visible(ApiScope *s, GError **error)
{
    if (!s->visible)
        s->visible = db_vm_visible_set(s->ctx->db, s->user_id, error);
    return s->visible;
}

gboolean api_scope_sees_vm(ApiScope *s, const char *uuid, GError **error)
{
    if (api_scope_is_admin(s))
        return TRUE;
    GHashTable *v = visible(s, error);
    return v && g_hash_table_contains(v, uuid);
}

char *api_scope_vm_label(ApiScope *s, const char *uuid, const char *name)
{
    if (api_scope_sees_vm(s, uuid, NULL))
        return g_strdup_printf("VM '%s'", name);
    return g_strdup("another VM");
}

static const DbResourceGrant *grant_of(ApiScope *s, const char *kind, const char *name)
{
    if (!s->grants) {
        g_autoptr(GPtrArray) list = db_resource_grant_list(s->ctx->db, s->user_id, NULL);
        s->grants = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)db_resource_grant_free);
        for (guint i = 0; list && i < list->len; i++) {
            DbResourceGrant *g = g_ptr_array_index(list, i);
            g_hash_table_insert(s->grants, g_strconcat(g->kind, "\n", g->name, NULL), g);
        }
        if (list)
            g_ptr_array_set_free_func(list, NULL);
    }
    g_autofree char *key = g_strconcat(kind, "\n", name, NULL);
    return g_hash_table_lookup(s->grants, key);
}

void api_scope_preload(ApiScope *s)
{
    if (api_scope_is_admin(s))
        return;
    visible(s, NULL);
    grant_of(s, "", "");
}

static const char *uses_of(const DbResourceGrant *g)
{
    return g->disks && g->media ? "new disks and media" : g->disks ? "new disks" : "media";
}

gboolean api_scope_pool(ApiScope *s, const char *pool, ApiPoolUse use, GError **error)
{
    if (api_scope_is_admin(s))
        return TRUE;
    const DbResourceGrant *g = grant_of(s, "pool", pool);
    if (!g)
        return virt_fail(error, VIRT_ERROR_NOT_FOUND, "no storage pool named '%s'", pool);
    if ((use == API_POOL_DISKS && !g->disks) || (use == API_POOL_MEDIA && !g->media))
        return api_fail(error, API_ERROR_FORBIDDEN,
                        "storage pool '%s' is granted to you for "
                        "%s only, not for %s",
                        pool, uses_of(g), use == API_POOL_DISKS ? "new disks" : "media");
    return TRUE;
}

gboolean api_scope_network(ApiScope *s, const char *name, GError **error)
{
    if (api_scope_is_admin(s) || grant_of(s, "network", name))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_NOT_FOUND, "no network named '%s'", name);
}

gboolean api_scope_bridge(ApiScope *s, const char *name, GError **error)
{
    if (api_scope_is_admin(s) || grant_of(s, "bridge", name))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_NOT_FOUND, "no host bridge named '%s' that you may use",
                     name);
}

GHashTable *api_scope_disk_usage(ApiScope *s, virConnectPtr conn, GError **error)
{
    if (!s->usage)
        s->usage = virt_disk_usage(conn, error);
    return s->usage;
}

/* The host a check is about is the host of the connection it is given:
 * the connection is what the caller looked the volume up with, so no
 * second argument naming a host can disagree with it. Without a registry
 * (tests) rows are kept under DB_HOST_UNREGISTERED; -1 when no host has
 * `conn` now (it reconnected meanwhile): nothing is owned there. */
static gint64 host_of(ApiContext *ctx, virConnectPtr conn)
{
    if (!ctx->hosts)
        return DB_HOST_UNREGISTERED;
    g_autoptr(VirtHost) h = virt_hosts_by_conn(ctx->hosts, conn);
    return h ? virt_host_id(h) : -1;
}

/* Whether the user made the volume at `path` on the host of `conn`: the
 * same path on another host is another user's volume. */
static gboolean owns(ApiScope *s, virConnectPtr conn, const char *path)
{
    if (!path)
        return FALSE;
    if (!s->owned || s->owned_conn != conn) {
        g_clear_pointer(&s->owned, g_hash_table_unref);
        gint64 host = host_of(s->ctx, conn);
        s->owned = host < 0 ? NULL : db_volume_owned_set(s->ctx->db, host, s->user_id, NULL);
        s->owned_conn = s->owned ? conn : NULL;
    }
    return s->owned && g_hash_table_contains(s->owned, path);
}

/* Whether the file is a disk (`disk_only`) or any device of a VM the
 * caller may act on (`act`) or see. */
static gboolean used_by_own_vm(ApiScope *s, virConnectPtr conn, const char *path,
                               gboolean disk_only, gboolean act)
{
    if (act && s->role < API_ROLE_OPERATOR)
        return FALSE;
    GHashTable *usage = api_scope_disk_usage(s, conn, NULL);
    const GPtrArray *users = usage ? virt_disk_users(usage, path) : NULL;
    for (guint i = 0; users && i < users->len; i++) {
        const VirtDiskUser *u = g_ptr_array_index(users, i);
        if ((!disk_only || u->disk) && api_scope_sees_vm(s, u->uuid, NULL))
            return TRUE;
    }
    return FALSE;
}

static gboolean may_use(ApiScope *s, virConnectPtr conn, const char *pool, const char *path,
                        ApiVolumeUse use)
{
    if (api_scope_is_admin(s))
        return TRUE;
    const DbResourceGrant *g = grant_of(s, "pool", pool);
    gboolean media_pool = g && g->media;
    switch (use) {
    case API_VOLUME_SEE:
        return media_pool || owns(s, conn, path) || used_by_own_vm(s, conn, path, FALSE, FALSE);
    case API_VOLUME_DISK: return owns(s, conn, path) || used_by_own_vm(s, conn, path, TRUE, TRUE);
    case API_VOLUME_MEDIA:
        return media_pool || owns(s, conn, path) || used_by_own_vm(s, conn, path, TRUE, TRUE);
    case API_VOLUME_DELETE:
        /* A shared medium that an admin put in as a disk stays. */
        return owns(s, conn, path) ||
               (!(media_pool && !g->disks) && used_by_own_vm(s, conn, path, TRUE, TRUE));
    }
    return FALSE;
}

gboolean api_scope_volume(ApiScope *s, virConnectPtr conn, const char *pool, const char *name,
                          const char *path, ApiVolumeUse use, GError **error)
{
    if (may_use(s, conn, pool, path, use))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_NOT_FOUND, "no volume named '%s'", name);
}

gboolean api_scope_volume_visible(ApiScope *s, virConnectPtr conn, const char *pool,
                                  const char *path)
{
    return may_use(s, conn, pool, path, API_VOLUME_SEE);
}

gboolean api_scope_volume_free(ApiScope *s, virConnectPtr conn, const char *path, const char *what,
                               const char *self_uuid, ApiShare share, GError **error)
{
    GHashTable *usage = api_scope_disk_usage(s, conn, error);
    if (!usage)
        return FALSE;
    const GPtrArray *users = virt_disk_users(usage, path);
    for (guint i = 0; users && i < users->len; i++) {
        const VirtDiskUser *u = g_ptr_array_index(users, i);
        if (self_uuid && strcmp(u->uuid, self_uuid) == 0)
            continue;
        if (share == API_SHARE_READERS && !u->writable)
            continue;
        g_autofree char *who = api_scope_vm_label(s, u->uuid, u->name);
        return virt_fail(error, VIRT_ERROR_BUSY, "volume '%s' is in use by %s%s", what, who,
                         u->writable ? "" : " (read-only)");
    }
    return TRUE;
}

VirtHost *api_scope_host(ApiScope *scope, const char *field, const char *name, GError **error)
{
    VirtHost *h = scope->ctx->hosts ? virt_hosts_find(scope->ctx->hosts, name) : NULL;
    if (!h)
        api_invalid(error, "field '%s': no host '%s'", field, name);
    return h;
}
