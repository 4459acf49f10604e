/* /api/pools: storage pools — list, create (dir, fs, netfs, logical,
 * iscsi), read, start, stop, refresh, autostart, delete. libvirt is the
 * only truth about pools. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/core/api_scope.h"
#include "api/storage/api_storage_json.h"
#include "db/db_auth.h"
#include "virt/virt_storage.h"

#include <string.h>

#define PATH_MAX_BYTES 4096
#define NAME_MAX_BYTES 255

static void put_string(json_t *obj, const char *name, const char *value)
{
    if (value)
        json_object_set_new(obj, name, json_string(value));
}

/* Only the members the pool has: a dir pool answers {}. */
static json_t *source_json(const VirtPoolSource *s)
{
    json_t *src = json_object();
    put_string(src, "host", s->host);
    if (s->port)
        json_object_set_new(src, "port", json_integer(s->port));
    put_string(src, "dir", s->dir);
    if (s->devices) {
        json_t *devs = json_array();
        for (char **d = s->devices; *d; d++)
            json_array_append_new(devs, json_string(*d));
        json_object_set_new(src, "devices", devs);
    }
    put_string(src, "name", s->name);
    put_string(src, "format", s->format);
    put_string(src, "iqn", s->iqn);
    put_string(src, "initiator", s->initiator);
    return src;
}

static json_t *pool_json(const VirtPool *p)
{
    return json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:s,s:b,s:b,s:I,s:I,s:I}", "name", p->name, "uuid", p->uuid, "type",
        p->type ? p->type : "", "path", p->path ? json_string(p->path) : json_null(), "source",
        source_json(&p->source), "state", virt_pool_state_name(p->state), "autostart", p->autostart,
        "persistent", p->persistent, "capacity", (json_int_t)p->capacity, "allocation",
        (json_int_t)p->allocation, "available", (json_int_t)p->available);
}

/* The pool's current answer, or NULL with the error. */
static json_t *pool_answer(virStoragePoolPtr pool, GError **error)
{
    g_autoptr(VirtPool) p = virt_pool_info(pool, error);
    return p ? pool_json(p) : NULL;
}

gboolean api_pools_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(GPtrArray) pools = conn ? virt_pool_list(conn, error) : NULL;
    if (!pools)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < pools->len; i++) {
        const VirtPool *p = g_ptr_array_index(pools, i);
        /* Operators and viewers see the pools granted to them. */
        if (api_scope_pool(req->scope, p->name, API_POOL_SEE, NULL))
            json_array_append_new(items, pool_json(p));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "pools", items));
    return TRUE;
}

/* The "source" member of a create request; what applies to which type is
 * checked by virt_pool_config_check, types and sizes here. */
static gboolean source_from_json(json_t *src, VirtPoolSource *out, GError **error)
{
    static const char *const allowed[] = {"host",   "port", "dir",       "devices", "name",
                                          "format", "iqn",  "initiator", NULL};
    const char *host = NULL, *dir = NULL, *name = NULL, *format = NULL, *iqn = NULL,
               *initiator = NULL;
    json_int_t port = 0;
    json_t *devices = NULL;
    if (!json_is_object(src)) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "field 'source' must be an "
                    "object");
        return FALSE;
    }
    if (!api_json_only_members(src, allowed, error) ||
        !api_json_opt_string(src, "host", 253, &host, error) ||
        !api_json_opt_int(src, "port", 1, 65535, &port, error) ||
        !api_json_opt_string(src, "dir", PATH_MAX_BYTES, &dir, error) ||
        !api_json_opt_string_array(src, "devices", 16, &devices, error) ||
        !api_json_opt_string(src, "name", NAME_MAX_BYTES, &name, error) ||
        !api_json_opt_string(src, "format", 16, &format, error) ||
        !api_json_opt_string(src, "iqn", 223, &iqn, error) ||
        !api_json_opt_string(src, "initiator", 223, &initiator, error))
        return FALSE;
    out->host = g_strdup(host);
    out->port = (unsigned)port;
    out->dir = g_strdup(dir);
    out->name = g_strdup(name);
    out->format = g_strdup(format);
    out->iqn = g_strdup(iqn);
    out->initiator = g_strdup(initiator);
    if (devices) {
        GStrvBuilder *b = g_strv_builder_new();
        size_t i;
        json_t *d;
        json_array_foreach (devices, i, d)
            g_strv_builder_add(b, json_string_value(d));
        out->devices = g_strv_builder_end(b);
        g_strv_builder_unref(b);
    }
    return TRUE;
}

gboolean api_pools_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"name", "type", "path", "source", "autostart", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *type = NULL, *path = NULL;
    json_t *source = NULL;
    int autostart = 0;
    g_autoptr(VirtPoolConfig) cfg = g_new0(VirtPoolConfig, 1);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "name", NAME_MAX_BYTES, &name, error) ||
        !api_json_opt_string(body, "type", 16, &type, error) ||
        !api_json_opt_string(body, "path", PATH_MAX_BYTES, &path, error) ||
        !api_json_opt_object(body, "source", &source, error) ||
        !api_json_opt_bool(body, "autostart", &autostart, error) ||
        !api_json_require(body, (const char *const[]){"name", "type", NULL}, error) ||
        (source && !source_from_json(source, &cfg->source, error)))
        return FALSE;
    cfg->name = g_strdup(name);
    cfg->type = g_strdup(type);
    cfg->path = g_strdup(path);
    if (!virt_pool_config_check(cfg, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_create(conn, cfg, autostart, error) : NULL;
    json_t *obj = pool ? pool_answer(pool, error) : NULL;
    if (!obj)
        return FALSE;
    g_autofree char *location = api_storage_location(name, NULL);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}

gboolean api_pool_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], error) : NULL;
    json_t *obj = pool ? pool_answer(pool, error) : NULL;
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}

gboolean api_pool_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"autostart", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    int autostart = -1;
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_bool(body, "autostart", &autostart, error))
        return FALSE;
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "pool:%s", req->params[0]);
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], error) : NULL;
    g_autoptr(json_t) current = pool ? pool_answer(pool, error) : NULL;
    json_t *updated = NULL;
    if (current && api_check_if_match(req, current, "the pool", error) &&
        (autostart < 0 || virt_pool_set_autostart(pool, autostart, error)))
        updated = pool_answer(pool, error);
    if (!updated)
        return FALSE;
    api_answer_object(resp, 200, updated);
    return TRUE;
}

gboolean api_pool_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"delete_storage", NULL};
    gboolean delete_storage = FALSE;
    if (!api_query_only(req, allowed, error) ||
        !api_query_bool(req, "delete_storage", FALSE, &delete_storage, error))
        return FALSE;
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "pool:%s", req->params[0]);
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], error) : NULL;
    g_autoptr(json_t) current = pool ? pool_answer(pool, error) : NULL;
    if (!current || !api_check_if_match(req, current, "the pool", error) ||
        !virt_pool_delete(pool, delete_storage, error))
        return FALSE;
    /* A later pool of the same name starts with no grants. */
    g_autoptr(GError) stale = NULL;
    if (!db_resource_grant_forget(ctx->db, "pool", req->params[0], &stale))
        g_warning("pool '%s' deleted, but its grants stay: %s", req->params[0], stale->message);
    api_auth_changed(ctx, 0);
    resp->status = 204;
    return TRUE;
}

gboolean api_pool_action(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) || !api_query_none(req, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], error) : NULL;
    gboolean ok = FALSE;
    if (pool && strcmp(req->route_arg, "start") == 0)
        ok = virt_pool_start(pool, error);
    else if (pool && strcmp(req->route_arg, "stop") == 0)
        ok = virt_pool_stop(pool, error);
    else if (pool && strcmp(req->route_arg, "refresh") == 0)
        ok = virt_pool_refresh(pool, error);
    else if (pool)
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "unknown action %s", req->route_arg);
    json_t *obj = ok ? pool_answer(pool, error) : NULL;
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}
