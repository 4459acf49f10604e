/* /api/networks: virtual networks. libvirt is their only store; changes
 * take the one "networks" lock so that two creates cannot both pass the
 * subnet-overlap check. Operators and viewers see the networks granted to
 * them. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/core/api_scope.h"
#include "db/db_auth.h"
#include "api/networks/api_network_json.h"
#include "virt/virt_network.h"

static json_t *network_json(virNetworkPtr net, GError **error)
{
    g_autoptr(VirtNetwork) n = virt_network_read(net, error);
    return n ? api_network_json(n) : NULL;
}

gboolean api_networks_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(GPtrArray) nets = conn ? virt_network_list(conn, error) : NULL;
    if (!nets)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < nets->len; i++) {
        const VirtNetwork *n = g_ptr_array_index(nets, i);
        /* Operators and viewers see the networks granted to them. */
        if (api_scope_network(req->scope, n->name, NULL))
            json_array_append_new(items, api_network_json(n));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "networks", items));
    return TRUE;
}

gboolean api_networks_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    g_auto(ApiNetworkCreate) spec = {0};
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_network_create_parse(body, &spec, error))
        return FALSE;
    /* One lock for all networks: a new subnet is checked against them all. */
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "networks");
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virNetwork)
        net = conn ? virt_network_create(conn, spec.config, spec.start, spec.autostart, error)
                   : NULL;
    json_t *obj = net ? network_json(net, error) : NULL;
    if (!obj)
        return FALSE;
    g_autofree char *escaped = g_uri_escape_string(spec.config->name, NULL, FALSE);
    g_autofree char *location = g_strconcat("/api/networks/", escaped, NULL);
    api_response_header(resp, "Location", location);
    resp->audit_detail = g_strdup_printf("network '%s' (%s)", spec.config->name, spec.config->mode);
    api_answer_object(resp, 201, obj);
    return TRUE;
}

gboolean api_network_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virNetwork) net = conn ? virt_network_lookup(conn, req->params[0], error) : NULL;
    json_t *obj = net ? network_json(net, error) : NULL;
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}

gboolean api_network_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    static const char *const allowed[] = {"autostart", NULL};
    int autostart = -1;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_bool(body, "autostart", &autostart, error))
        return FALSE;
    /* One lock for all networks: a new subnet is checked against them all. */
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "networks");
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virNetwork) net = conn ? virt_network_lookup(conn, req->params[0], error) : NULL;
    g_autoptr(json_t) current = net ? network_json(net, error) : NULL;
    json_t *updated = NULL;
    if (current && api_check_if_match(req, current, "the network", error) &&
        (autostart < 0 || virt_network_set_autostart(net, autostart, error)))
        updated = network_json(net, error);
    if (!updated)
        return FALSE;
    api_answer_object(resp, 200, updated);
    return TRUE;
}

gboolean api_network_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    /* One lock for all networks: a new subnet is checked against them all. */
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "networks");
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virNetwork) net = conn ? virt_network_lookup(conn, req->params[0], error) : NULL;
    g_autoptr(json_t) current = net ? network_json(net, error) : NULL;
    g_autofree char *name = net ? g_strdup(virNetworkGetName(net)) : NULL;
    if (!current || !api_check_if_match(req, current, "the network", error) ||
        !virt_network_delete(net, error))
        return FALSE;
    /* A later network of the same name starts with no grants. */
    g_autoptr(GError) stale = NULL;
    if (!db_resource_grant_forget(ctx->db, "network", name, &stale))
        g_warning("network '%s' deleted, but its grants stay: %s", name, stale->message);
    api_auth_changed(ctx, 0);
    resp->status = 204;
    return TRUE;
}

gboolean api_network_action(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {NULL};
    gboolean start = g_strcmp0(req->route_arg, "start") == 0;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error))
        return FALSE;
    /* One lock for all networks: a new subnet is checked against them all. */
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "networks");
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virNetwork) net = conn ? virt_network_lookup(conn, req->params[0], error) : NULL;
    json_t *obj = NULL;
    if (net && (start ? virt_network_start(net, error) : virt_network_stop(net, error)))
        obj = network_json(net, error);
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}
