/* /api/pools/{pool}/volumes: the volumes of one storage pool — list,
 * create (optionally on a qcow2 backing volume), read, resize, wipe,
 * delete. */
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/os/api_os_catalogue.h"
#include "api/storage/api_storage_json.h"
#include "api/storage/api_volumes.h"
#include "virt/virt_storage.h"
#include "virt/virt_volume_copy.h"

#include <string.h>

#define NAME_MAX_BYTES 255
#define BACKING_MAX_BYTES 512

static json_t *volume_json(const char *pool, const VirtVolume *v)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:I,s:b}", "name", v->name, "pool", pool,
                     "path", v->path, "type", v->type, "format",
                     v->format ? json_string(v->format) : json_null(), "backing",
                     v->backing ? json_string(v->backing) : json_null(), "capacity",
                     (json_int_t)v->capacity, "allocation", (json_int_t)v->allocation,
                     "iso", virt_volume_is_iso(v));
}

json_t *api_volume_answer(virStoragePoolPtr pool, virStorageVolPtr vol, GError **error)
{
    g_autoptr(VirtVolume) v = virt_volume_info(vol, error);
    return v ? volume_json(virStoragePoolGetName(pool), v) : NULL;
}

virStoragePoolPtr api_volume_lookup(ApiContext *ctx, const ApiRequest *req,
                                    virConnectPtr *conn_out, virStorageVolPtr *vol_out,
                                    GError **error)
{
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
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
    g_autoptr(virStoragePool) pool = api_query_none(req, error) ?
        api_volume_lookup(ctx, req, &conn, NULL, error) : NULL;
    g_autoptr(GPtrArray) vols = pool ? virt_volume_list(pool, error) : NULL;
    if (!vols)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < vols->len; i++)
        json_array_append_new(items, volume_json(virStoragePoolGetName(pool),
                                                 g_ptr_array_index(vols, i)));
    api_response_json(resp, 200, json_pack("{s:o}", "volumes", items));
    return TRUE;
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
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, NULL, error);
    g_autoptr(virStorageVol) vol =
        pool ? virt_volume_create(pool, name, capacity, format, backing, error) : NULL;
    json_t *obj = vol ? api_volume_answer(pool, vol, error) : NULL;
    if (!obj)
        return FALSE;
    g_autofree char *location = api_storage_location(virStoragePoolGetName(pool), name);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}

gboolean api_volume_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autoptr(virStoragePool) pool = api_query_none(req, error) ?
        api_volume_lookup(ctx, req, &conn, &vol, error) : NULL;
    g_autoptr(VirtVolume) v = pool ? virt_volume_info(vol, error) : NULL;
    if (!v)
        return FALSE;
    json_t *obj = volume_json(virStoragePoolGetName(pool), v);
    /* Only here, not in lists: identifying a medium runs libosinfo. */
    if (json_is_true(json_object_get(obj, "iso")) && g_strcmp0(v->type, "file") == 0)
        json_object_set_new(obj, "os", api_os_of_medium(ctx, v->path));
    api_answer_object(resp, 200, obj);
    return TRUE;
}

gboolean api_volume_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->edit_lock);
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, &vol, error);
    g_autoptr(json_t) current = pool ? api_volume_answer(pool, vol, error) : NULL;
    if (!current || !api_check_if_match(req, current, "the volume", error) ||
        !virt_volume_delete(vol, error))
        return FALSE;
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
        obj = api_volume_answer(pool, vol, error);
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
        obj = api_volume_answer(pool, vol, error);
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}
