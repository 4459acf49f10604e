/* Authentication and authorization in one place, driven by the route
 * table's permissions. An operator or viewer asking for a VM they may not
 * see gets the same 404 as for a VM that does not exist. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_gate.h"
#include "api/core/api_scope.h"
#include "api/core/api_crypto.h"
#include "api/core/api_error.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_network.h"
#include "virt/virt_storage.h"

#include <string.h>

#define TOUCH_INTERVAL_MAX_S 60
#define MAX_SECRET_LEN 256

void api_auth_free(ApiAuth *auth)
{
    if (!auth)
        return;
    g_free(auth->username);
    g_free(auth->session_hash);
    g_free(auth);
}

static const char *const role_names[] = {
    [API_ROLE_NONE] = "none",
    [API_ROLE_VIEWER] = "viewer",
    [API_ROLE_OPERATOR] = "operator",
    [API_ROLE_ADMIN] = "admin",
};

ApiRole api_role_from_name(const char *name)
{
    for (gsize i = 1; i < G_N_ELEMENTS(role_names); i++)
        if (g_strcmp0(role_names[i], name) == 0)
            return (ApiRole)i;
    return API_ROLE_NONE;
}

const char *api_role_name(ApiRole role)
{
    return role < G_N_ELEMENTS(role_names) ? role_names[role] : "none";
}

static gboolean secret_chars_ok(const char *s)
{
    gsize n = strlen(s);
    if (n == 0 || n > MAX_SECRET_LEN)
        return FALSE;
    for (const char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
            return FALSE;
    return TRUE;
}

char *api_cookie_value(const char *header, const char *name)
{
    if (!header)
        return NULL;
    gsize nlen = strlen(name);
    g_auto(GStrv) pairs = g_strsplit(header, ";", 64);
    for (char **p = pairs; *p; p++) {
        const char *pair = g_strstrip(*p);
        if (strncmp(pair, name, nlen) == 0 && pair[nlen] == '=' && secret_chars_ok(pair + nlen + 1))
            return g_strdup(pair + nlen + 1);
    }
    return NULL;
}

char *api_bearer_token(const char *header)
{
    if (!header || g_ascii_strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    const char *t = header + 7;
    while (*t == ' ')
        t++;
    return secret_chars_ok(t) ? g_strdup(t) : NULL;
}

gboolean api_origin_matches(const char *origin, const char *host, gboolean tls)
{
    if (!origin || !host || !*host)
        return FALSE;
    g_autofree char *expected = g_strconcat(tls ? "https://" : "http://", host, NULL);
    return g_ascii_strcasecmp(origin, expected) == 0;
}

/* A 401 tells the client how to authenticate; the header goes out with
 * the error answer the router makes of `error`. */
static gboolean refuse(ApiResponse *resp, GError **error, ApiErrorCode code, const char *message)
{
    if (code == API_ERROR_UNAUTHORIZED)
        api_response_header(resp, "WWW-Authenticate", "Bearer realm=\"vireo\"");
    return api_fail(error, code, "%s", message);
}

/* Builds the ApiAuth of user `user_id`, or NULL when the user is gone. */
static ApiAuth *auth_for_user(ApiContext *ctx, gint64 user_id, GError **error)
{
    g_autoptr(DbUser) u = db_user_by_id(ctx->db, user_id, error);
    if (!u)
        return NULL;
    ApiAuth *auth = g_new0(ApiAuth, 1);
    auth->user_id = u->id;
    auth->username = g_strdup(u->username);
    auth->role = api_role_from_name(u->role);
    return auth;
}

static ApiAuth *from_token(ApiContext *ctx, const char *token, GError **error)
{
    g_autofree char *hash = api_crypto_digest(token);
    g_autoptr(DbToken) t = db_token_by_hash(ctx->db, hash, error);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (!t || (t->expires_at && t->expires_at <= now))
        return NULL;
    if (now - t->last_used >= TOUCH_INTERVAL_MAX_S)
        db_token_touch(ctx->db, t->id, now, NULL);
    ApiAuth *auth = auth_for_user(ctx, t->user_id, error);
    if (auth) {
        auth->token_id = t->id;
        auth->metrics_only = g_strcmp0(t->scope, "metrics") == 0;
    }
    return auth;
}

static ApiAuth *from_session(ApiContext *ctx, const char *cookie, GError **error)
{
    g_autofree char *hash = api_crypto_digest(cookie);
    g_autoptr(DbSession) s = db_session_get(ctx->db, hash, error);
    if (!s)
        return NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    /* last_seen is written at most every `touch` seconds (a write per
     * request would be wasteful), so a session ends between idle and
     * idle + touch seconds after its last use, never before. */
    gint64 touch = MIN(TOUCH_INTERVAL_MAX_S, MAX(ctx->session_idle_s / 10, 1));
    if (now - s->last_seen > ctx->session_idle_s + touch ||
        now - s->created_at > ctx->session_max_s) {
        db_session_delete(ctx->db, hash, NULL);
        return NULL;
    }
    if (now - s->last_seen >= touch)
        db_session_touch(ctx->db, hash, now, NULL);
    ApiAuth *auth = auth_for_user(ctx, s->user_id, error);
    if (auth)
        auth->session_hash = g_steal_pointer(&hash);
    return auth;
}

static gboolean is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

gboolean api_auth_still_valid(ApiContext *ctx, const ApiAuth *auth)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (auth->token_id)
        return db_token_valid(ctx->db, auth->token_id, now);
    if (!auth->session_hash)
        return FALSE;
    g_autoptr(DbSession) s = db_session_get(ctx->db, auth->session_hash, NULL);
    gint64 touch = MIN(TOUCH_INTERVAL_MAX_S, MAX(ctx->session_idle_s / 10, 1));
    return s && now - s->last_seen <= ctx->session_idle_s + touch &&
           now - s->created_at <= ctx->session_max_s;
}


/* 404 (never 403) for a VM the user may not see, so that its existence is
 * not revealed. */
static gboolean check_vm_visible(ApiContext *ctx, ApiRequest *req, GError **error)
{
    if (api_scope_is_admin(req->scope))
        return TRUE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (!dom || virDomainGetUUIDString(dom, uuid) < 0)
        return dom ? api_fail(error, API_ERROR_INTERNAL, "reading the VM's UUID failed") : FALSE;
    if (api_scope_sees_vm(req->scope, uuid, error))
        return TRUE;
    return *error ? FALSE
                  : api_fail(error, API_ERROR_NOT_FOUND, "no VM named '%s'", req->params[0]);
}

/* Pools and networks the caller holds no grant of answer 404, like VMs. */
static gboolean check_network_visible(ApiContext *ctx, ApiRequest *req, GError **error)
{
    if (api_scope_is_admin(req->scope))
        return TRUE;
    /* {network} may be a UUID; grants name networks. */
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virNetwork) net = conn ? virt_network_lookup(conn, req->params[0], error) : NULL;
    if (!net)
        return FALSE;
    if (api_scope_network(req->scope, virNetworkGetName(net), NULL))
        return TRUE;
    return api_fail(error, API_ERROR_NOT_FOUND, "no network named '%s'", req->params[0]);
}

static gboolean check_volume_visible(ApiContext *ctx, ApiRequest *req, GError **error)
{
    if (api_scope_is_admin(req->scope))
        return TRUE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virStoragePool) pool = conn ? virt_pool_lookup(conn, req->params[0], error) : NULL;
    g_autoptr(virStorageVol) vol = pool ? virt_volume_lookup(pool, req->params[1], error) : NULL;
    g_autofree char *path = vol ? virStorageVolGetPath(vol) : NULL;
    if (!vol)
        return FALSE;
    if (path && api_scope_volume_visible(req->scope, conn, req->params[0], path))
        return TRUE;
    return api_fail(error, API_ERROR_NOT_FOUND, "no volume named '%s'", req->params[1]);
}

gboolean api_gate(ApiContext *ctx, const ApiRoute *route, ApiRequest *req, ApiResponse *resp,
                  GError **error)
{
    gboolean cookie_auth = FALSE;
    if (route->perm == API_PERM_PUBLIC) {
        /* Even logging in must not be driven by a foreign page. */
        if (req->origin && !is_safe_method(req->method) &&
            !api_origin_matches(req->origin, req->host, ctx->tls))
            return refuse(resp, error, API_ERROR_FORBIDDEN, "cross-site request refused");
        return TRUE;
    }
    g_autofree char *token = api_bearer_token(req->authorization);
    g_autofree char *cookie = token ? NULL : api_cookie_value(req->cookie, API_SESSION_COOKIE);
    ApiAuth *auth = NULL;
    if (token) {
        auth = from_token(ctx, token, error);
    } else if (cookie) {
        auth = from_session(ctx, cookie, error);
        cookie_auth = TRUE;
    } else if (req->authorization) {
        return refuse(resp, error, API_ERROR_UNAUTHORIZED,
                      "malformed Authorization header; use Bearer TOKEN");
    }
    if (!auth) {
        if (*error)
            return FALSE;
        return refuse(resp, error, API_ERROR_UNAUTHORIZED,
                      token || cookie ? "credentials expired, revoked or invalid; log in again"
                                      : "log in first, or send Authorization: Bearer TOKEN");
    }
    req->auth = auth;
    req->scope = api_scope_new(ctx, auth);
    if (auth->metrics_only && !(route->flags & API_ROUTE_METRICS_TOKEN))
        return refuse(resp, error, API_ERROR_FORBIDDEN, "this API token may only read /metrics");

    if (cookie_auth && !is_safe_method(req->method) &&
        (g_strcmp0(req->csrf_header, "1") != 0 ||
         !api_origin_matches(req->origin, req->host, ctx->tls)))
        return refuse(resp, error, API_ERROR_FORBIDDEN,
                      "cross-site request refused: send a same-origin Origin and " API_CSRF_HEADER
                      ": 1");

    switch (route->perm) {
    case API_PERM_ADMIN:
        if (auth->role != API_ROLE_ADMIN)
            return refuse(resp, error, API_ERROR_FORBIDDEN, "this needs the admin role");
        return TRUE;
    case API_PERM_VM_CREATE:
        if (auth->role < API_ROLE_OPERATOR)
            return refuse(resp, error, API_ERROR_FORBIDDEN,
                          "this needs the operator or admin role");
        return TRUE;
    case API_PERM_VM_OPERATE:
        if (auth->role < API_ROLE_OPERATOR)
            return refuse(resp, error, API_ERROR_FORBIDDEN, "viewers cannot change VMs");
        return check_vm_visible(ctx, req, error);
    case API_PERM_VM_READ: return check_vm_visible(ctx, req, error);
    case API_PERM_POOL_READ: return api_scope_pool(req->scope, req->params[0], API_POOL_SEE, error);
    case API_PERM_VOLUME_READ: return check_volume_visible(ctx, req, error);
    case API_PERM_NETWORK_READ: return check_network_visible(ctx, req, error);
    case API_PERM_USER:
    case API_PERM_PUBLIC: return TRUE;
    }
    return TRUE;
}

void api_auth_changed(ApiContext *ctx, gint64 user_id)
{
    if (ctx->auth_changed)
        ctx->auth_changed(user_id, ctx->auth_changed_data);
}

gboolean api_is_admin(const ApiRequest *req)
{
    return req->auth && req->auth->role == API_ROLE_ADMIN;
}
