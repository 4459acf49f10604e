/* Matches method + path against the route table and runs the handler, after
 * the checks every route shares: method allowed, body is a JSON object. */
#include "api/core/api.h"
#include "api/core/api_counters.h"
#include "api/core/api_encoding.h"
#include "virt/virt_model.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_scope.h"
#include "api/core/api_json.h"
#include "db/db_audit.h"

#include <string.h>

/* Splits on '/', dropping the leading empty segment. Trailing slashes make
 * an empty last segment, so "/api/vms/" does not match "/api/vms". */
static GStrv split_path(const char *path)
{
    return g_strsplit(path[0] == '/' ? path + 1 : path, "/", -1);
}

static gboolean pattern_matches(const char *pattern, GStrv segs, ApiRequest *req)
{
    g_auto(GStrv) pat = split_path(pattern);
    guint n = g_strv_length(pat);
    if (n != g_strv_length(segs))
        return FALSE;
    int captured = 0;
    const char *caps[API_MAX_PARAMS] = {0};
    for (guint i = 0; i < n; i++) {
        if (pat[i][0] == '{') {
            if (!segs[i][0] || captured >= API_MAX_PARAMS)
                return FALSE;
            caps[captured++] = segs[i];
        } else if (strcmp(pat[i], segs[i]) != 0) {
            return FALSE;
        }
    }
    if (req) {
        /* Captures point into the caller's path copy; see api_dispatch. */
        memcpy(req->params, caps, sizeof(caps));
    }
    return TRUE;
}

static gboolean method_is(const char *route_method, const char *method)
{
    /* HEAD is served by every GET route; the server drops the body. */
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static const ApiRoute *match_segments(const char *method, GStrv segs, ApiRequest *req,
                                      GString *allow)
{
    const ApiRoute *found = NULL;
    for (const ApiRoute *r = api_routes; r->method; r++) {
        if (!pattern_matches(r->pattern, segs, NULL))
            continue;
        if (allow) {
            if (allow->len)
                g_string_append(allow, ", ");
            g_string_append(allow, r->method);
            if (strcmp(r->method, "GET") == 0)
                g_string_append(allow, ", HEAD");
        }
        if (!found && method_is(r->method, method)) {
            found = r;
            pattern_matches(r->pattern, segs, req);
        }
    }
    return found;
}

const ApiRoute *api_route_match(const char *method, const char *path, ApiRequest *req,
                                GString *allow)
{
    g_auto(GStrv) segs = split_path(path);
    const ApiRoute *r = match_segments(method, segs, NULL, allow);
    if (r && req) {
        /* Tests only look at whether it matched; captures need storage that
         * outlives this call, which api_dispatch provides. */
        memset(req->params, 0, sizeof(req->params));
    }
    return r;
}

gboolean api_route_streams_body(const char *method, const char *path)
{
    const ApiRoute *r = api_route_match(method, path, NULL, NULL);
    return r && (r->flags & API_ROUTE_STREAM_BODY);
}

static gboolean body_is_json(const ApiRequest *req)
{
    if (!req->content_type)
        return FALSE;
    g_autofree char *type = g_ascii_strdown(req->content_type, -1);
    char *semi = strchr(type, ';');
    if (semi)
        *semi = '\0';
    g_strstrip(type);
    return strcmp(type, "application/json") == 0;
}

/* Audit entries that look alike fold into one within this window. */
#define AUDIT_FOLD_S 60
/* Longest name taken from a body as an entry's object. */
#define AUDIT_TARGET_MAX 256
/* The table is cut to its bound after this many entries. */
#define AUDIT_BOUND_EVERY 64

/* What is audited: changes by someone who is logged in, refused or not,
 * and every login attempt. Unauthenticated noise (requests to unknown
 * routes, changes without credentials) is not: anyone could fill the
 * disk with it. Reads are not. Bodies never are: they may hold passwords. */
static gboolean audited(ApiContext *ctx, const ApiRoute *route, const ApiRequest *req)
{
    return ctx->db && route && route->action && (req->auth || route->perm == API_PERM_PUBLIC);
}

/* The object a change is about: the path's first name (with the second
 * for routes that say so: "vm/snapshot"), and for a creation the name in
 * its body too ("pool/volume"), so that the log can
 * be searched for what was created. Only that one member is read: bodies
 * may hold passwords. NULL when there is none. */
static char *audit_target(const ApiRoute *route, const ApiRequest *req)
{
    const char *in_path = req->params[0];
    if ((route->flags & API_ROUTE_AUDIT_SUBOBJECT) && in_path && req->params[1])
        return g_strconcat(in_path, "/", req->params[1], NULL);
    gboolean names_body = g_str_has_suffix(route->action, ".create") ||
                          (route->flags & API_ROUTE_AUDIT_BODY_NAME);
    if (!names_body || !req->body_len)
        return g_strdup(in_path);
    g_autoptr(json_t) body = json_loadb(req->body, req->body_len, 0, NULL);
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name)
        name = json_string_value(json_object_get(body, "username"));
    if (!name || strlen(name) > AUDIT_TARGET_MAX || !g_utf8_validate(name, -1, NULL))
        return g_strdup(in_path);
    return in_path ? g_strconcat(in_path, "/", name, NULL) : g_strdup(name);
}

static DbAuditEntry audit_entry(const ApiRoute *route, const ApiRequest *req,
                                const ApiResponse *resp, char *target)
{
    return (DbAuditEntry){
        .username = req->auth ? req->auth->username
                    : resp    ? resp->audit_user
                              : NULL,
        .address = (char *)req->address,
        .method = (char *)req->method,
        .path = (char *)req->path,
        .target = target,
        .action = (char *)route->action,
    };
}

/* A change is recorded before it runs: when the record cannot be written
 * (a full disk) the change is refused, so no change is ever missing from
 * the log. Logins are recorded after, with the user they tried. */
static gboolean audit_begin(ApiContext *ctx, const ApiRoute *route, const ApiRequest *req,
                            gint64 *id, GError **error)
{
    if (!audited(ctx, route, req) || !req->auth)
        return TRUE;
    g_autofree char *target = audit_target(route, req);
    DbAuditEntry e = audit_entry(route, req, NULL, target);
    *id = db_audit_add(ctx->db, &e, error);
    if (!*id) {
        g_prefix_error(error, "refused: the audit log cannot record it: ");
        return FALSE;
    }
    return TRUE;
}

static void audit_end(ApiContext *ctx, const ApiRoute *route, const ApiRequest *req,
                      const ApiResponse *resp, gint64 id)
{
    if (!audited(ctx, route, req))
        return;
    const char *detail = resp->audit_detail;
    if (!detail && resp->status >= 400 && resp->body)
        detail = json_string_value(json_object_get(json_object_get(resp->body, "error"), "code"));
    g_autoptr(GError) error = NULL;
    if (!id) {
        g_autofree char *target = audit_target(route, req);
        DbAuditEntry e = audit_entry(route, req, resp, target);
        id = db_audit_add(ctx->db, &e, &error);
    }
    if (!id || !db_audit_finish(ctx->db, id, (int)resp->status, detail, AUDIT_FOLD_S, &error)) {
        g_warning("req=%" G_GUINT64_FORMAT " audit log write failed: %s", req->id, error->message);
        return;
    }
    if (ctx->audit_max_rows > 0 &&
        g_atomic_int_add(&ctx->audit_writes, 1) % AUDIT_BOUND_EVERY == 0 &&
        db_audit_bound(ctx->db, ctx->audit_max_rows, &error) < 0)
        g_warning("audit log: keeping it bounded failed: %s", error->message);
}

/* Runs the route's handler after the checks every route shares; FALSE
 * with `error` when the request fails, for api_dispatch to answer.
 * `route_out` is the matched route and `audit_id` its audit entry, once
 * there are. */
static gboolean route_request(ApiContext *ctx, ApiRequest *req, ApiResponse *resp, GStrv segs,
                              const ApiRoute **route_out, gint64 *audit_id, GError **error)
{
    g_autoptr(GString) allow = g_string_new(NULL);
    const ApiRoute *route = match_segments(req->method, segs, req, allow);
    if (!route && allow->len) {
        api_response_header(resp, "Allow", allow->str);
        return api_fail(error, API_ERROR_METHOD_NOT_ALLOWED,
                        "method %s is not allowed on %s (allowed: %s)", req->method, req->path,
                        allow->str);
    }
    if (!route)
        return api_fail(error, API_ERROR_NOT_FOUND, "no such API route: %s", req->path);
    *route_out = route;
    if (req->body_len > API_MAX_BODY)
        return api_fail(error, API_ERROR_PAYLOAD_TOO_LARGE, "request body is larger than %d bytes",
                        API_MAX_BODY);
    /* Before the gate: it looks the VM up on its host. */
    if (!api_host_resolve(ctx, route, req, error))
        return FALSE;
    if (!api_gate(ctx, route, req, resp, error))
        return FALSE;
    if (req->body_len > 0 && !body_is_json(req))
        return api_fail(error, API_ERROR_UNSUPPORTED_MEDIA_TYPE,
                        "request body must be application/json");
    if (!audit_begin(ctx, route, req, audit_id, error))
        return FALSE;
    req->route_arg = route->arg;
    if (!route->handler(ctx, req, resp, error))
        return FALSE;
    api_host_mark_answer(ctx, route, req, resp);
    api_json_finish_get(req, resp);
    return TRUE;
}

void api_dispatch(ApiContext *ctx, ApiRequest *req, ApiResponse *resp)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) segs = split_path(req->path);
    const ApiRoute *route = NULL;
    gint64 audit_id = 0;
    /* The one place a failure becomes its answer (and the log's note). */
    if (!route_request(ctx, req, resp, segs, &route, &audit_id, &error)) {
        /* A handler that fails without saying why is a bug; its answer is
         * still an error, and the log still names the route. */
        if (!error)
            error = g_error_new(API_ERROR, API_ERROR_INTERNAL, "%s %s failed without a reason",
                                req->method, req->path);
        /* The hypervisor's own words are for admins; the log keeps them. */
        api_response_error_for(resp, error, req->auth && req->auth->role == API_ROLE_ADMIN);
        api_counters_error(ctx->counters, error);
    }
    audit_end(ctx, route, req, resp, audit_id);
    /* A VM changed through Vireo: the next list reads libvirt again
     * before answering, so the caller sees its own change. */
    if (route && resp->status < 400 && strcmp(req->method, "GET") != 0 &&
        strcmp(req->method, "HEAD") != 0 && g_str_has_prefix(route->pattern, "/api/vms"))
        virt_model_invalidate(api_req_model(ctx, req), NULL);
    api_response_encode(req, resp);
    api_scope_free(req->scope);
    req->scope = NULL;
    api_auth_free(req->auth);
    req->auth = NULL;
    api_host_release(req);
}
