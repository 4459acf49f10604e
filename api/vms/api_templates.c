/* /api/templates: named VM specs without a VM name, stored in the
 * inventory. Anyone logged in reads them; admins change them. A spec is
 * checked by the same parser as POST /api/vms, against this host. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/vms/api_templates.h"
#include "api/vms/api_vm_spec.h"
#include "db/db_auth.h"
#include "db/db_templates.h"
#include "virt/virt_domain_build.h"

#define DESCRIPTION_MAX 4096

static json_t *template_json(ApiContext *ctx, const DbTemplate *t)
{
    json_t *spec = json_loads(t->spec, 0, NULL);
    g_autoptr(DbUser) owner = t->owner_id ? db_user_by_id(ctx->db, t->owner_id, NULL) : NULL;
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "name", t->name, "description", t->description,
                     "spec", spec ? spec : json_object(), "owner",
                     owner ? json_string(owner->username) : json_null(), "created_at",
                     api_time_json(t->created_at), "updated_at", api_time_json(t->updated_at));
}

static DbTemplate *find(ApiContext *ctx, const char *name, GError **error)
{
    DbTemplate *t = db_template_get(ctx->db, name, error);
    if (!t && !*error)
        g_set_error(error, API_ERROR, API_ERROR_NOT_FOUND, "no template named '%s'", name);
    return t;
}

json_t *api_template_spec(ApiContext *ctx, const char *name, GError **error)
{
    g_autoptr(DbTemplate) t = find(ctx, name, error);
    if (!t)
        return NULL;
    json_t *spec = json_loads(t->spec, 0, NULL);
    if (!json_is_object(spec)) {
        json_decref(spec);
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "template '%s' holds a broken spec",
                    name);
        return NULL;
    }
    return spec;
}

/* Parses and checks a template spec against the host; answers its text. */
static char *checked_spec(ApiContext *ctx, const ApiRequest *req, json_t *spec, GError **error)
{
    if (!json_is_object(spec)) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "field 'spec' must be an object");
        return NULL;
    }
    g_autoptr(ApiVmSpec) parsed = api_vm_spec_parse(spec, API_VM_SPEC_TEMPLATE, error);
    if (!parsed) {
        g_prefix_error(error, "spec: ");
        return NULL;
    }
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(VirtHostInfo) host = conn ? virt_host_info(conn, error) : NULL;
    if (!host)
        return NULL;
    if (!api_vm_spec_check_host(parsed, host, error)) {
        g_prefix_error(error, "spec: ");
        return NULL;
    }
    return json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
}

/* A unique-name clash of the inventory, said in the API's words. */
static void name_taken(GError **error, const char *name)
{
    if (*error && (*error)->domain == DB_ERROR && (*error)->code == DB_ERROR_EXISTS) {
        g_clear_error(error);
        g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "a template named '%s' exists", name);
    }
}

static gboolean valid_name(const char *name, GError **error)
{
    g_autoptr(GError) why = NULL;
    if (virt_domain_name_valid(name, &why))
        return TRUE;
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "field 'name': %s",
                why->message + (g_str_has_prefix(why->message, "invalid VM name") ? 8 : 0));
    return FALSE;
}

gboolean api_templates_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    g_autoptr(GPtrArray) rows = api_query_none(req, error) ? db_template_list(ctx->db, error)
                                                           : NULL;
    if (!rows)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < rows->len; i++)
        json_array_append_new(items, template_json(ctx, g_ptr_array_index(rows, i)));
    api_response_json(resp, 200, json_pack("{s:o}", "templates", items));
    return TRUE;
}

gboolean api_templates_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                              GError **error)
{
    static const char *const allowed[] = {"name", "description", "spec", NULL};
    static const char *const required[] = {"name", "spec", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *description = "";
    g_autofree char *spec = NULL;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_string(body, "description", DESCRIPTION_MAX, &description, error) ||
        !valid_name(name, error) ||
        !(spec = checked_spec(ctx, req, json_object_get(body, "spec"), error)) ||
        !db_template_create(ctx->db, name, description, spec, req->auth ? req->auth->user_id : 0,
                            error)) {
        name_taken(error, name);
        return FALSE;
    }
    g_autoptr(DbTemplate) t = find(ctx, name, error);
    if (!t)
        return FALSE;
    g_autofree char *location = g_strconcat("/api/templates/", name, NULL);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, template_json(ctx, t));
    return TRUE;
}

gboolean api_template_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbTemplate) t = api_query_none(req, error) ? find(ctx, req->params[0], error) : NULL;
    if (!t)
        return FALSE;
    api_answer_object(resp, 200, template_json(ctx, t));
    return TRUE;
}

gboolean api_template_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {"name", "description", "spec", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *description = NULL;
    g_autofree char *spec = NULL;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_string(body, "description", DESCRIPTION_MAX, &description, error) ||
        (name && !valid_name(name, error)) ||
        (json_object_get(body, "spec") &&
         !(spec = checked_spec(ctx, req, json_object_get(body, "spec"), error))))
        return FALSE;
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "template:%s", req->params[0]);
    g_autoptr(DbTemplate) t = find(ctx, req->params[0], error);
    g_autoptr(json_t) current = t ? template_json(ctx, t) : NULL;
    if (!current || !api_check_if_match(req, current, "the template", error) ||
        !db_template_update(ctx->db, t->id, name ? name : t->name,
                            description ? description : t->description, spec ? spec : t->spec,
                            error)) {
        name_taken(error, name);
        return FALSE;
    }
    g_autoptr(DbTemplate) updated = find(ctx, name ? name : t->name, error);
    if (!updated)
        return FALSE;
    api_answer_object(resp, 200, template_json(ctx, updated));
    return TRUE;
}

gboolean api_template_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "template:%s", req->params[0]);
    g_autoptr(DbTemplate) t = find(ctx, req->params[0], error);
    g_autoptr(json_t) current = t ? template_json(ctx, t) : NULL;
    if (!current || !api_check_if_match(req, current, "the template", error) ||
        !db_template_delete(ctx->db, t->id, error))
        return FALSE;
    resp->status = 204;
    return TRUE;
}
