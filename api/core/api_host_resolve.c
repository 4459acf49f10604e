/* Resolving a request's libvirt host (see api_host_resolve.h). */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"

#include <string.h>

int api_host_pick(const ApiHostCandidate *hosts, guint n, GString *ambiguous)
{
    int found = -1, count = 0;
    for (guint i = 0; i < n; i++)
        if (hosts[i].has_vm && hosts[i].local)
            return (int)i;
    for (guint i = 0; i < n; i++) {
        if (!hosts[i].has_vm)
            continue;
        if (count++)
            g_string_append(ambiguous, ", ");
        g_string_append(ambiguous, hosts[i].name);
        found = (int)i;
    }
    return count > 1 ? -2 : found;
}

/* Does `h` hold a VM of that name or UUID? A host that is down does not
 * answer: its VMs cannot be acted on anyway. */
static gboolean host_has_vm(VirtHost *h, const char *vm)
{
    g_autoptr(virConnect) conn = virt_host_conn_if_up(h, NULL);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, vm, NULL) : NULL;
    virResetLastError();
    return dom != NULL;
}

static VirtHost *host_of_vm(ApiContext *ctx, const char *vm, GError **error)
{
    g_autoptr(GPtrArray) hosts = virt_hosts_list(ctx->hosts);
    if (hosts->len < 2)
        return NULL;
    g_autofree ApiHostCandidate *c = g_new0(ApiHostCandidate, hosts->len);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < hosts->len; i++) {
        VirtHost *h = g_ptr_array_index(hosts, i);
        g_ptr_array_add(names, virt_host_name(h));
        c[i].name = g_ptr_array_index(names, i);
        c[i].local = virt_host_is_local(h);
        c[i].has_vm = host_has_vm(h, vm);
        /* The local host wins at once: the single-host answer, one call. */
        if (c[i].local && c[i].has_vm)
            return virt_host_ref(h);
    }
    g_autoptr(GString) ambiguous = g_string_new(NULL);
    int pick = api_host_pick(c, hosts->len, ambiguous);
    if (pick == -2) {
        api_fail(error, API_ERROR_CONFLICT,
                 "VM '%s' is on several hosts (%s): name one with ?host=", vm, ambiguous->str);
        return NULL;
    }
    return pick >= 0 ? virt_host_ref(g_ptr_array_index(hosts, pick)) : NULL;
}

gboolean api_host_resolve(ApiContext *ctx, const ApiRoute *route, ApiRequest *req, GError **error)
{
    if (!ctx->hosts)
        return TRUE;
    const char *named = api_query_get(req, "host");
    if (named) {
        req->virt_host = virt_hosts_find(ctx->hosts, named);
        if (!req->virt_host)
            return api_fail(error, API_ERROR_NOT_FOUND, "no host '%s'", named);
    } else if (g_str_has_prefix(route->pattern, "/api/vms/{vm}")) {
        req->virt_host = host_of_vm(ctx, req->params[0], error);
        if (!req->virt_host && *error)
            return FALSE;
    }
    return TRUE;
}

void api_host_release(ApiRequest *req)
{
    g_clear_pointer(&req->virt_host, virt_host_unref);
}

VirtConn *api_req_virt(ApiContext *ctx, const ApiRequest *req)
{
    return req && req->virt_host ? virt_host_conn(req->virt_host) : ctx->virt;
}

VirtModel *api_req_model(ApiContext *ctx, const ApiRequest *req)
{
    return req && req->virt_host ? virt_host_model(req->virt_host) : ctx->vm_model;
}

virConnectPtr api_conn(ApiContext *ctx, const ApiRequest *req, GError **error)
{
    return virt_conn_get(api_req_virt(ctx, req), error);
}

virConnectPtr api_host_conn(ApiContext *ctx, VirtHost *h, GError **error)
{
    return virt_conn_get(h ? virt_host_conn(h) : ctx->virt, error);
}

VirtHost *api_req_host(ApiContext *ctx, const ApiRequest *req)
{
    if (req && req->virt_host)
        return virt_host_ref(req->virt_host);
    return ctx->hosts ? virt_hosts_local(ctx->hosts) : NULL;
}

gint64 api_host_id(ApiContext *ctx, VirtHost *h)
{
    if (h)
        return virt_host_id(h);
    g_autoptr(VirtHost) local = ctx->hosts ? virt_hosts_local(ctx->hosts) : NULL;
    return local ? virt_host_id(local) : DB_HOST_UNREGISTERED;
}

void api_host_mark_answer(ApiContext *ctx, const ApiRoute *route, const ApiRequest *req,
                          ApiResponse *resp)
{
    /* The VM itself (not its disks, snapshots...), pools, volumes, networks;
     * in a list, each item, so that it equals the object's own answer. */
    static const char *const prefixes[] = {"/api/pools", "/api/networks"};
    static const char *const lists[][2] = {{"/api/pools", "pools"},
                                           {"/api/networks", "networks"},
                                           {"/api/pools/{pool}/volumes", "volumes"}};
    /* A 202's body is a task, the same as GET /api/tasks/{id} answers. */
    if (!ctx->hosts || resp->status == 202 || !json_is_object(resp->body) ||
        json_object_get(resp->body, "host"))
        return;
    /* A create's or a clone's 201 is the new VM, as its GET answers it. */
    gboolean made = resp->status == 201 && strcmp(route->method, "POST") == 0 &&
                    (strcmp(route->pattern, "/api/vms") == 0 ||
                     strcmp(route->pattern, "/api/vms/{vm}/clone") == 0);
    gboolean vm = made || strcmp(route->pattern, "/api/vms/{vm}") == 0;
    gboolean marked = vm;
    for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++)
        marked |= g_str_has_prefix(route->pattern, prefixes[i]);
    if (!marked)
        return;
    g_autoptr(VirtHost) h = api_req_host(ctx, req);
    g_autoptr(json_t) ref = api_host_ref_json(h);
    for (gsize i = 0; i < G_N_ELEMENTS(lists); i++) {
        json_t *items = json_object_get(resp->body, lists[i][1]);
        if (strcmp(route->method, "GET") != 0 || strcmp(route->pattern, lists[i][0]) != 0 ||
            !json_is_array(items))
            continue;
        size_t j;
        json_t *item;
        json_array_foreach (items, j, item)
            if (json_is_object(item))
                json_object_set(item, "host", ref);
        return;
    }
    json_object_set(resp->body, "host", ref);
}

json_t *api_host_ref_json(VirtHost *h)
{
    if (!h)
        return json_null();
    g_autofree char *name = virt_host_name(h);
    return json_pack("{s:I,s:s}", "id", (json_int_t)virt_host_id(h), "name", name);
}
