/* /api/pools: storage pools — list, create a dir pool, read, start, stop,
 * refresh, autostart, delete. libvirt is the only truth about pools. */
#include "api/api_error.h"
#include "api/api_handlers.h"
#include "api/api_json.h"
#include "api/api_storage_json.h"
#include "virt/virt_storage.h"

#include <string.h>

#define PATH_MAX_BYTES 4096
#define NAME_MAX_BYTES 255

static json_t *pool_json(const VirtPool *p)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:s,s:b,s:b,s:I,s:I,s:I}", "name", p->name, "uuid", p->uuid,
                     "type", p->type ? p->type : "", "path",
                     p->path ? json_string(p->path) : json_null(), "state",
                     virt_pool_state_name(p->state), "autostart", p->autostart, "persistent",
                     p->persistent, "capacity", (json_int_t)p->capacity, "allocation",
                     (json_int_t)p->allocation, "available", (json_int_t)p->available);
}

/* The pool's current answer, or NULL with the error. */
static json_t *pool_answer(virStoragePoolPtr pool, GError **error)
{
    g_autoptr(VirtPool) p = virt_pool_info(pool, error);
    return p ? pool_json(p) : NULL;
}

void api_pools_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp)
{
    static const char *const allowed[] = {NULL};
    g_autoptr(GError) error = NULL;
    if (!api_query_only(req, allowed, &error)) {
        api_response_error(resp, error);
        return;
    }
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &error);
    g_autoptr(GPtrArray) pools = conn ? virt_pool_list(conn, &error) : NULL;
    if (!pools) {
        api_response_error(resp, error);
        return;
    }
    json_t *items = json_array();
    for (guint i = 0; i < pools->len; i++)
        json_array_append_new(items, pool_json(g_ptr_array_index(pools, i)));
    api_response_json(resp, 200, json_pack("{s:o}", "pools", items));
}

void api_pools_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp)
{
    static const char *const allowed[] = {"name", "type", "path", "autostart", NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) body = api_json_body(req, &error);
    const char *name = NULL, *type = NULL, *path = NULL;
    int autostart = 0;
    if (!body || !api_json_only_members(body, allowed, &error) ||
        !api_json_opt_string(body, "name", NAME_MAX_BYTES, &name, &error) ||
        !api_json_opt_string(body, "type", 16, &type, &error) ||
        !api_json_opt_string(body, "path", PATH_MAX_BYTES, &path, &error) ||
        !api_json_opt_bool(body, "autostart", &autostart, &error) ||
        !api_json_require(body, (const char *const[]){"name", "type", "path", NULL}, &error)) {
        api_response_error(resp, error);
        return;
    }
    if (strcmp(type, "dir") != 0) {
        api_response_fail(resp, API_ERROR_INVALID_ARGUMENT,
                          "unsupported pool type '%s' (supported: dir)", type);
        return;
    }
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &error);
    g_autoptr(virStoragePool) pool =
        conn ? virt_pool_create_dir(conn, name, path, autostart, &error) : NULL;
    json_t *obj = pool ? pool_answer(pool, &error) : NULL;
    if (!obj) {
        api_response_error(resp, error);
        return;
    }
    g_autofree char *location = api_storage_location(name, NULL);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
}

void api_pool_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp)
{
    static const char *const allowed[] = {NULL};
    g_autoptr(GError) error = NULL;
    if (!api_query_only(req, allowed, &error)) {
        api_response_error(resp, error);
        return;
    }
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], &error) : NULL;
    json_t *obj = pool ? pool_answer(pool, &error) : NULL;
    if (!obj) {
        api_response_error(resp, error);
        return;
    }
    api_answer_object(resp, 200, obj);
}

void api_pool_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp)
{
    static const char *const allowed[] = {"autostart", NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) body = api_json_body(req, &error);
    int autostart = -1;
    if (!body || !api_json_only_members(body, allowed, &error) ||
        !api_json_opt_bool(body, "autostart", &autostart, &error)) {
        api_response_error(resp, error);
        return;
    }
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->edit_lock);
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], &error) : NULL;
    g_autoptr(json_t) current = pool ? pool_answer(pool, &error) : NULL;
    json_t *updated = NULL;
    if (current && api_check_if_match(req, current, "the pool", &error) &&
        (autostart < 0 || virt_pool_set_autostart(pool, autostart, &error)))
        updated = pool_answer(pool, &error);
    if (!updated) {
        api_response_error(resp, error);
        return;
    }
    api_answer_object(resp, 200, updated);
}

void api_pool_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp)
{
    static const char *const allowed[] = {"delete_storage", NULL};
    g_autoptr(GError) error = NULL;
    gboolean delete_storage = FALSE;
    if (!api_query_only(req, allowed, &error) ||
        !api_query_bool(req, "delete_storage", FALSE, &delete_storage, &error)) {
        api_response_error(resp, error);
        return;
    }
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->edit_lock);
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], &error) : NULL;
    g_autoptr(json_t) current = pool ? pool_answer(pool, &error) : NULL;
    if (!current || !api_check_if_match(req, current, "the pool", &error) ||
        !virt_pool_delete(pool, delete_storage, &error)) {
        api_response_error(resp, error);
        return;
    }
    resp->status = 204;
}

void api_pool_action(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp)
{
    static const char *const allowed[] = {NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) body = api_json_body(req, &error);
    if (!body || !api_json_only_members(body, allowed, &error) ||
        !api_query_only(req, allowed, &error)) {
        api_response_error(resp, error);
        return;
    }
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, &error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], &error) : NULL;
    gboolean ok = FALSE;
    if (pool && strcmp(req->route_arg, "start") == 0)
        ok = virt_pool_start(pool, &error);
    else if (pool && strcmp(req->route_arg, "stop") == 0)
        ok = virt_pool_stop(pool, &error);
    else if (pool && strcmp(req->route_arg, "refresh") == 0)
        ok = virt_pool_refresh(pool, &error);
    else if (pool)
        g_set_error(&error, API_ERROR, API_ERROR_INTERNAL, "unknown action %s", req->route_arg);
    json_t *obj = ok ? pool_answer(pool, &error) : NULL;
    if (!obj) {
        api_response_error(resp, error);
        return;
    }
    api_answer_object(resp, 200, obj);
}
