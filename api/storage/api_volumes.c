/* /api/pools/{pool}/volumes: the volumes of one storage pool — list,
 * create (optionally on a qcow2 backing volume), read, resize, wipe,
 * delete. */
#include "api/core/api_host_resolve.h"
#include "api/auth/api_quota.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/core/api_scope.h"
#include "api/os/api_os_catalogue.h"
#include "api/storage/api_storage_json.h"
#include "api/storage/api_volumes.h"
#include "db/db_auth.h"
#include "virt/virt_storage.h"
#include "virt/virt_volume_copy.h"

#include <libvirt/virterror.h>
#include <string.h>

#define NAME_MAX_BYTES 255
#define BACKING_MAX_BYTES 512

/* Which VMs use the volume: [{"name", "uuid", "running", "writes"}];
 * a VM the caller may not see is there with a null name and UUID. */
static json_t *used_by_json(ApiScope *scope, GHashTable *usage, const char *path)
{
    json_t *list = json_array();
    const GPtrArray *users = usage ? virt_disk_users(usage, path) : NULL;
    for (guint i = 0; users && i < users->len; i++) {
        const VirtDiskUser *u = g_ptr_array_index(users, i);
        gboolean shown = !scope || api_scope_sees_vm(scope, u->uuid, NULL);
        json_array_append_new(list, json_pack("{s:o,s:o,s:b,s:b}", "name",
                                              shown ? json_string(u->name) : json_null(), "uuid",
                                              shown ? json_string(u->uuid) : json_null(), "running",
                                              u->active, "writes", u->writable));
    }
    return list;
}

static json_t *volume_json(const char *pool, const VirtVolume *v, json_t *used_by)
{
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:b,s:o}", "name", v->name, "pool", pool, "path", v->path,
        "type", v->type, "format", v->format ? json_string(v->format) : json_null(), "backing",
        v->backing ? json_string(v->backing) : json_null(), "capacity", (json_int_t)v->capacity,
        "allocation", (json_int_t)v->allocation, "iso", virt_volume_is_iso(v), "used_by", used_by);
}

json_t *api_volume_answer(ApiScope *scope, virStoragePoolPtr pool, virStorageVolPtr vol,
                          GError **error)
{
    g_autoptr(VirtVolume) v = virt_volume_info(vol, error);
    if (!v)
        return NULL;
    virConnectPtr conn = virStoragePoolGetConnect(pool);
    g_autoptr(GHashTable) own_usage = scope ? NULL : virt_disk_usage(conn, error);
    GHashTable *usage = scope ? api_scope_disk_usage(scope, conn, error) : own_usage;
    if (!usage)
        return NULL;
    return volume_json(virStoragePoolGetName(pool), v, used_by_json(scope, usage, v->path));
}

virStoragePoolPtr api_volume_lookup(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                                    virStorageVolPtr *vol_out, GError **error)
{
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], error) : NULL;
    if (!pool)
        return NULL;
    if (vol_out && !(*vol_out = virt_volume_lookup(pool, req->params[1], error)))
        return NULL;
    *conn_out = g_steal_pointer(&conn);
    return g_steal_pointer(&pool);
}

gboolean api_volumes_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStoragePool)
        pool = api_query_none(req, error) ? api_volume_lookup(ctx, req, &conn, NULL, error) : NULL;
    g_autoptr(GPtrArray) vols = pool ? virt_volume_list(pool, error) : NULL;
    GHashTable *usage = vols ? api_scope_disk_usage(req->scope, conn, error) : NULL;
    if (!usage)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < vols->len; i++) {
        const VirtVolume *v = g_ptr_array_index(vols, i);
        /* Operators and viewers see what they may use, not other users'. */
        if (!api_scope_volume_visible(req->scope, conn, req->params[0], v->path))
            continue;
        json_array_append_new(items, volume_json(virStoragePoolGetName(pool), v,
                                                 used_by_json(req->scope, usage, v->path)));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "volumes", items));
    return TRUE;
}

/* An overlay must not sit on a volume a VM writes to: the overlay would
 * see its base change under it. `backing` is "pool/name" or a name in the
 * URL's pool. */
static gboolean backing_unwritten(const ApiRequest *req, virConnectPtr conn, const char *backing,
                                  GError **error)
{
    if (!backing)
        return TRUE;
    g_autofree char *ref = strchr(backing, '/') ? g_strdup(backing)
                                                : g_strdup_printf("%s/%s", req->params[0], backing);
    g_autoptr(virStorageVol) base = virt_volume_lookup_ref(conn, ref, NULL, NULL);
    g_autofree char *path = base ? virStorageVolGetPath(base) : NULL;
    virResetLastError();
    /* A missing base is the engine's to word. */
    return !path ||
           api_scope_volume_free(req->scope, conn, path, ref, NULL, API_SHARE_READERS, error);
}

gboolean api_volumes_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {"name", "capacity", "format", "backing", NULL};
    static const char *const required[] = {"name", "capacity", "format", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *format = NULL, *backing = NULL;
    guint64 capacity = 0;
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) ||
        !api_json_opt_string(body, "name", NAME_MAX_BYTES, &name, error) ||
        !api_json_opt_string(body, "format", 16, &format, error) ||
        !api_json_opt_string(body, "backing", BACKING_MAX_BYTES, &backing, error) ||
        !api_storage_size(body, "capacity", &capacity, error))
        return FALSE;
    g_autoptr(virConnect) conn = NULL;
    /* The new volume will be the caller's: it counts in their quota. */
    DbQuota more = {.v = {[DB_QUOTA_DISK] = (gint64)capacity}};
    g_autoptr(ApiQuotaHold) quota = NULL;
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, NULL, error);
    gboolean ok = pool && backing_unwritten(req, conn, backing, error) &&
                  api_quota_check(ctx, req, req->auth->user_id, &more, &quota, error);
    api_quota_hold_settle(quota);
    g_autoptr(virStorageVol)
        vol = ok ? virt_volume_create(pool, name, capacity, format, backing, error) : NULL;
    json_t *obj = vol ? api_volume_answer(req->scope, pool, vol, error) : NULL;
    if (!obj)
        return FALSE;
    db_volume_owner_set(ctx->db, api_host_id(ctx, req->virt_host),
                        json_string_value(json_object_get(obj, "path")), req->auth->user_id, NULL);
    api_quota_hold_release(quota);
    g_autofree char *location = api_storage_location(virStoragePoolGetName(pool), name);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}

gboolean api_volume_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autoptr(virStoragePool)
        pool = api_query_none(req, error) ? api_volume_lookup(ctx, req, &conn, &vol, error) : NULL;
    json_t *obj = pool ? api_volume_answer(req->scope, pool, vol, error) : NULL;
    if (!obj)
        return FALSE;
    /* The ETag is the one every other answer of this volume carries (an
     * If-Match of a delete compares with it); the OS is added after. */
    g_autofree char *etag = api_etag(obj);
    api_response_header(resp, "ETag", etag);
    /* Only here, not in lists: identifying a medium runs libosinfo. */
    if (json_is_true(json_object_get(obj, "iso")) &&
        g_strcmp0(json_string_value(json_object_get(obj, "type")), "file") == 0)
        json_object_set_new(obj, "os",
                            api_os_of_medium(ctx, json_string_value(json_object_get(obj, "path"))));
    api_response_json(resp, 200, obj);
    return TRUE;
}

gboolean api_volume_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(ApiLockSet)
        locks = api_lock(ctx->locks, "volume:%s/%s", req->params[0], req->params[1]);
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, &vol, error);
    g_autoptr(json_t) current = pool ? api_volume_answer(req->scope, pool, vol, error) : NULL;
    const char *path = current ? json_string_value(json_object_get(current, "path")) : NULL;
    g_autofree char *what = g_strdup_printf("%s/%s", req->params[0], req->params[1]);
    /* Deleting a disk under a running guest breaks it: say whose it is. */
    if (!current || !api_check_if_match(req, current, "the volume", error) ||
        !api_scope_volume_free(req->scope, conn, path, what, NULL, API_SHARE_NONE, error) ||
        !virt_volume_delete(vol, error))
        return FALSE;
    db_volume_owner_forget(ctx->db, api_host_id(ctx, req->virt_host), path, NULL);
    resp->status = 204;
    return TRUE;
}

gboolean api_volume_resize(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    static const char *const allowed_query[] = {"shrink", NULL};
    static const char *const allowed[] = {"capacity", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    gboolean shrink = FALSE;
    guint64 capacity = 0;
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_storage_size(body, "capacity", &capacity, error) ||
        !api_query_only(req, allowed_query, error) ||
        !api_query_bool(req, "shrink", FALSE, &shrink, error))
        return FALSE;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, &vol, error);
    json_t *obj = NULL;
    if (pool && virt_volume_resize(vol, capacity, shrink, error))
        obj = api_volume_answer(req->scope, pool, vol, error);
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}

gboolean api_volume_wipe(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) || !api_query_none(req, error))
        return FALSE;
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, &vol, error);
    json_t *obj = NULL;
    if (pool && virt_volume_wipe(vol, error))
        obj = api_volume_answer(req->scope, pool, vol, error);
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}
