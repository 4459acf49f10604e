/* /api/users/{user}/grants (admin): what a user may use beyond what they
 * own: VMs (to see, or as an operator to act on), storage pools (for new
 * disks and/or as media), virtual networks and host bridges. The rules
 * that read these grants are in core/api_scope.c (docs/access.md). */
#include "api/core/api_host_resolve.h"
#include "api/auth/api_grants.h"
#include "api/auth/api_users_common.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/hosts/api_hosts.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_host.h"
#include "virt/virt_network.h"
#include "virt/virt_storage.h"

#include <string.h>

#define NAME_MAX_BYTES 256

/* UUID of the VM named by `id` (name or UUID). */
static gboolean vm_uuid(ApiContext *ctx, const ApiRequest *req, const char *id,
                        char uuid[VIR_UUID_STRING_BUFLEN], char **name, GError **error)
{
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, id, error) : NULL;
    if (!dom)
        return FALSE;
    virDomainGetUUIDString(dom, uuid);
    if (name)
        *name = g_strdup(virDomainGetName(dom));
    return TRUE;
}

static json_t *uses_json(const DbResourceGrant *g)
{
    json_t *uses = json_array();
    if (g->disks)
        json_array_append_new(uses, json_string("disks"));
    if (g->media)
        json_array_append_new(uses, json_string("media"));
    return uses;
}

/* A pool grant is {"name", "use"}; networks and bridges {"name"}. */
static json_t *resource_json(const DbResourceGrant *g)
{
    if (strcmp(g->kind, "pool") == 0)
        return json_pack("{s:s,s:o}", "name", g->name, "use", uses_json(g));
    return json_pack("{s:s}", "name", g->name);
}

static json_t *vm_grants_json(ApiContext *ctx, const ApiRequest *req, GStrv uuids)
{
    /* Names and hosts come from the hosts' VM models, else from libvirt
     * when it answers; a grant may outlive its VM. */
    g_autoptr(virConnect) conn = api_conn(ctx, req, NULL);
    json_t *items = json_array();
    for (char **u = uuids; *u; u++) {
        g_autoptr(VirtModelSnapshot) snap = NULL;
        const VirtDomainSummary *found = NULL;
        g_autoptr(VirtHost) h = api_hosts_find_vm(ctx, *u, &snap, &found);
        g_autoptr(virDomain) dom = conn && !found ? virDomainLookupByUUIDString(conn, *u) : NULL;
        if (!dom)
            virResetLastError();
        const char *name = found ? found->name : dom ? virDomainGetName(dom) : NULL;
        json_t *item = json_pack("{s:s,s:o}", "uuid", *u, "name",
                                 name ? json_string(name) : json_null());
        if (h)
            json_object_set_new(item, "host", api_host_ref_json(h));
        json_array_append_new(items, item);
    }
    return items;
}

json_t *api_resource_grants_json(Db *db, gint64 user_id, GError **error)
{
    g_autoptr(GPtrArray) grants = db_resource_grant_list(db, user_id, error);
    if (!grants)
        return NULL;
    json_t *out = json_pack("{s:[],s:[],s:[]}", "pools", "networks", "bridges");
    for (guint i = 0; i < grants->len; i++) {
        const DbResourceGrant *g = g_ptr_array_index(grants, i);
        g_autofree char *list = g_strconcat(g->kind, "s", NULL);
        json_array_append_new(json_object_get(out, list), resource_json(g));
    }
    return out;
}

gboolean api_grants_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    g_auto(GStrv) uuids = user ? db_grant_list(ctx->db, user->id, error) : NULL;
    json_t *obj = uuids ? api_resource_grants_json(ctx->db, user->id, error) : NULL;
    if (!obj)
        return FALSE;
    json_object_set_new(obj, "grants", vm_grants_json(ctx, req, uuids));
    api_response_json(resp, 200, obj);
    return TRUE;
}

/* "use": a non-empty list of "disks" and "media". */
static gboolean parse_uses(json_t *body, gboolean *disks, gboolean *media, GError **error)
{
    json_t *uses = NULL;
    if (!api_json_opt_string_array(body, "use", 2, &uses, error))
        return FALSE;
    if (!uses || json_array_size(uses) == 0)
        return api_invalid(error, "field 'use' must list what the pool is for: \"disks\" "
                                  "(new volumes), \"media\" (its volumes read-only), or both");
    size_t i;
    json_t *u;
    json_array_foreach (uses, i, u) {
        const char *v = json_string_value(u);
        if (strcmp(v, "disks") == 0)
            *disks = TRUE;
        else if (strcmp(v, "media") == 0)
            *media = TRUE;
        else
            return api_invalid(error, "field 'use' takes \"disks\" and \"media\", not '%s'", v);
    }
    return TRUE;
}

/* The pool, network or bridge named in the body must exist (a 400: the
 * body is wrong, the user in the URL exists). */
static gboolean resource_exists(ApiContext *ctx, const ApiRequest *req, const char *kind,
                                const char *name, GError **error)
{
    if (strcmp(kind, "bridge") == 0)
        return virt_host_bridge_exists(name) ||
               api_invalid(error, "field 'bridge': no host bridge named '%s'", name);
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    if (!conn)
        return FALSE;
    GError *cause = NULL;
    gboolean found;
    if (strcmp(kind, "pool") == 0) {
        g_autoptr(virStoragePool) pool = virt_pool_lookup(conn, name, &cause);
        found = pool != NULL;
    } else {
        g_autoptr(virNetwork) net = virt_network_lookup(conn, name, &cause);
        found = net != NULL;
    }
    if (found)
        return TRUE;
    if (g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
        return api_field_error(error, kind, cause);
    g_propagate_error(error, cause);
    return FALSE;
}

static gboolean add_resource_grant(ApiContext *ctx, const ApiRequest *req, const DbUser *user,
                                   json_t *body, const char *kind, const char *name,
                                   ApiResponse *resp, GError **error)
{
    gboolean disks = FALSE, media = FALSE;
    if (strcmp(kind, "pool") == 0 && !parse_uses(body, &disks, &media, error))
        return FALSE;
    if (strcmp(kind, "pool") != 0 && json_object_get(body, "use"))
        return api_invalid(error, "field 'use' is for pools");
    if (!resource_exists(ctx, req, kind, name, error) ||
        !db_resource_grant_set(ctx->db, user->id, kind, name, disks, media, error))
        return FALSE;
    DbResourceGrant g = {
        .kind = (char *)kind, .name = (char *)name, .disks = disks, .media = media};
    json_t *obj = resource_json(&g);
    json_object_set_new(obj, "kind", json_string(kind));
    resp->audit_detail = g_strdup_printf("grant %s '%s' to %s", kind, name, user->username);
    api_response_json(resp, 201, obj);
    return TRUE;
}

gboolean api_grants_add(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"vm", "pool", "network", "bridge", "use", NULL};
    static const char *const kinds[] = {"vm", "pool", "network", "bridge"};
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) || !api_query_none(req, error))
        return FALSE;
    const char *kind = NULL, *name = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
        const char *v = NULL;
        if (!api_json_opt_string(body, kinds[i], NAME_MAX_BYTES, &v, error))
            return FALSE;
        if (v && kind)
            return api_invalid(error, "give one of 'vm', 'pool', 'network' and 'bridge'");
        if (v) {
            kind = kinds[i];
            name = v;
        }
    }
    if (!kind)
        return api_invalid(error, "give 'vm' (a name or UUID), 'pool' (with 'use'), "
                                  "'network' or 'bridge'");
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    if (!user)
        return FALSE;
    if (strcmp(kind, "vm") != 0) {
        if (!add_resource_grant(ctx, req, user, body, kind, name, resp, error))
            return FALSE;
        api_auth_changed(ctx, user->id);
        return TRUE;
    }
    if (json_object_get(body, "use"))
        return api_invalid(error, "field 'use' is for pools");
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autofree char *vm_name = NULL;
    if (!vm_uuid(ctx, req, name, uuid, &vm_name, error) ||
        !db_grant_add(ctx->db, user->id, uuid, error))
        return FALSE;
    api_auth_changed(ctx, user->id);
    resp->audit_detail = g_strdup_printf("grant %s to %s", vm_name, user->username);
    api_response_json(resp, 201, json_pack("{s:s,s:s}", "uuid", uuid, "name", vm_name));
    return TRUE;
}

gboolean api_grants_remove(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    if (!user)
        return FALSE;
    char uuid[VIR_UUID_STRING_BUFLEN];
    /* A grant of a VM that is gone can still be removed by its UUID. */
    if (g_uuid_string_is_valid(req->params[1]))
        g_strlcpy(uuid, req->params[1], sizeof(uuid));
    else if (!vm_uuid(ctx, req, req->params[1], uuid, NULL, error))
        return FALSE;
    gboolean found = FALSE;
    if (!db_grant_remove(ctx->db, user->id, uuid, &found, error))
        return FALSE;
    if (!found)
        return api_fail(error, API_ERROR_NOT_FOUND, "user '%s' has no grant on '%s'",
                        user->username, req->params[1]);
    api_auth_changed(ctx, user->id);
    resp->status = 204;
    return TRUE;
}

gboolean api_resource_grant_remove(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                                   GError **error)
{
    static const char *const kinds[][2] = {
        {"pools", "pool"}, {"networks", "network"}, {"bridges", "bridge"}};
    const char *kind = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++)
        if (strcmp(req->params[1], kinds[i][0]) == 0)
            kind = kinds[i][1];
    if (!kind)
        return api_fail(error, API_ERROR_NOT_FOUND, "no grants of '%s' (pools, networks, bridges)",
                        req->params[1]);
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    gboolean found = FALSE;
    if (!user || !db_resource_grant_remove(ctx->db, user->id, kind, req->params[2], &found, error))
        return FALSE;
    if (!found)
        return api_fail(error, API_ERROR_NOT_FOUND, "user '%s' has no grant of %s '%s'",
                        user->username, kind, req->params[2]);
    api_auth_changed(ctx, user->id);
    resp->status = 204;
    return TRUE;
}
