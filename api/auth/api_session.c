/* /api/session (log in, who am I, my quota and usage, log out, change own
 * password) and /api/sessions (list and revoke one's own sessions). */
#include "api/auth/api_auth_json.h"
#include "api/auth/api_grants.h"
#include "api/auth/api_pam.h"
#include "api/auth/api_quota_json.h"
#include "api/auth/api_quota_usage.h"
#include "api/auth/api_throttle.h"
#include "api/auth/api_users_common.h"
#include "api/core/api_crypto.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"

#include <string.h>

static void set_cookie(ApiContext *ctx, ApiResponse *resp, const char *value, gint64 max_age)
{
    g_autofree char *cookie = g_strdup_printf(
        API_SESSION_COOKIE "=%s; Path=/; Max-Age=%" G_GINT64_FORMAT "; HttpOnly; SameSite=Strict%s",
        value, max_age, ctx->tls ? "; Secure" : "");
    api_response_header(resp, "Set-Cookie", cookie);
}

static json_t *whoami(ApiContext *ctx, const ApiAuth *auth, const char *source)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "id", (json_int_t)auth->user_id, "username",
                     auth->username, "role", api_role_name(auth->role), "source", source, "via",
                     auth->token_id ? "token" : "session", "idle_timeout",
                     (json_int_t)ctx->session_idle_s);
}

/* TRUE, with a 429 in `error` and Retry-After in `resp`, while `user` or
 * `address` is locked out. */
static gboolean throttled(ApiContext *ctx, const char *user, const char *address, gint64 now,
                          ApiResponse *resp, GError **error)
{
    gint64 wait = api_throttle_wait(ctx->throttle, user, address, now);
    if (wait <= 0)
        return FALSE;
    g_autofree char *retry = g_strdup_printf("%" G_GINT64_FORMAT, wait);
    api_response_header(resp, "Retry-After", retry);
    api_fail(error, API_ERROR_TOO_MANY_REQUESTS,
             "too many failed password attempts; try again in %s s", retry);
    return TRUE;
}

/* A system account checked by PAM, mirrored as a 'pam' user whose role
 * follows its groups at every login. NULL when refused. */
static DbUser *pam_login(ApiContext *ctx, const char *username, const char *password,
                         GError **error)
{
    if (!api_check_username(username, NULL) ||
        !api_pam_check(ctx->pam->service, username, password))
        return NULL;
    ApiRole role = api_pam_role(ctx->pam, username);
    if (role == API_ROLE_NONE)
        return NULL;
    g_autoptr(DbUser) user = db_user_by_name(ctx->db, username, error);
    if (!user && !*error) {
        if (!db_user_create(ctx->db, username, NULL, api_role_name(role), "pam", error))
            return NULL;
    } else if (user && !db_user_update(ctx->db, user->id, NULL, api_role_name(role), error)) {
        return NULL;
    }
    return *error ? NULL : db_user_by_name(ctx->db, username, error);
}

gboolean api_session_login(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    static const char *const allowed[] = {"username", "password", NULL};
    const char *username = NULL, *password = NULL;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "username", API_USERNAME_MAX, &username, error) ||
        !api_json_opt_string(body, "password", API_PASSWORD_MAX, &password, error))
        return FALSE;
    if (!username || !password)
        return api_fail(error, API_ERROR_INVALID_ARGUMENT, "username and password are required");
    resp->audit_user = g_strdup(username);
    gint64 now = g_get_monotonic_time();
    if (throttled(ctx, username, req->address, now, resp, error))
        return FALSE;
    g_autoptr(DbUser) user = db_user_by_name(ctx->db, username, error);
    if (*error)
        return FALSE;
    gboolean ok;
    if (ctx->pam && (!user || strcmp(user->source, "pam") == 0)) {
        db_user_free(g_steal_pointer(&user));
        user = pam_login(ctx, username, password, error);
        if (*error)
            return FALSE;
        ok = user != NULL;
    } else {
        /* Same work and the same answer for an unknown user and a bad password. */
        ok = api_crypto_verify_password(user ? user->password_hash : NULL, password) && user;
    }
    if (!ok) {
        api_throttle_failed(ctx->throttle, username, req->address, now);
        resp->audit_detail = g_strdup("login failed");
        api_response_header(resp, "WWW-Authenticate", "Bearer realm=\"vireo\"");
        return api_fail(error, API_ERROR_UNAUTHORIZED, "wrong username or password");
    }
    api_throttle_succeeded(ctx->throttle, username, req->address);
    /* Always a fresh id: a cookie planted before login is never promoted. */
    g_autofree char *secret = api_crypto_random_secret();
    g_autofree char *hash = api_crypto_digest(secret);
    if (!db_session_create(ctx->db, hash, user->id, req->address, req->user_agent, error))
        return FALSE;
    /* A login loop must not grow the sessions without end: the oldest go. */
    g_autoptr(GError) untrimmed = NULL;
    int ended = ctx->max_sessions_per_user
                    ? db_session_trim(ctx->db, user->id, ctx->max_sessions_per_user, &untrimmed)
                    : 0;
    if (ended < 0)
        g_warning("ending the oldest sessions of '%s' failed: %s", user->username,
                  untrimmed->message);
    else if (ended > 0)
        api_auth_changed(ctx, user->id);
    set_cookie(ctx, resp, secret, ctx->session_max_s);
    resp->audit_detail = g_strdup("login");
    api_response_json(resp, 200,
                      json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "id", (json_int_t)user->id, "username",
                                user->username, "role", user->role, "source", user->source, "via",
                                "session", "idle_timeout", (json_int_t)ctx->session_idle_s));
    return TRUE;
}

gboolean api_session_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbUser) user = db_user_by_id(ctx->db, req->auth->user_id, error);
    if (!user)
        return FALSE;
    /* What the caller may use beyond what they own (admins: everything,
     * null), so the web UI offers only that. */
    json_t *grants = req->auth->role == API_ROLE_ADMIN
                         ? json_null()
                         : api_resource_grants_json(ctx->db, user->id, error);
    if (!grants)
        return FALSE;
    json_t *obj = whoami(ctx, req->auth, user->source);
    json_object_set_new(obj, "grants", grants);
    api_response_json(resp, 200, obj);
    return TRUE;
}

gboolean api_session_quota(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(DbUser) user = api_query_none(req, error)
                                 ? db_user_by_id(ctx->db, req->auth->user_id, error)
                                 : NULL;
    if (!user)
        return *error ? FALSE : api_fail(error, API_ERROR_UNAUTHORIZED, "your user was deleted");
    g_autoptr(GHashTable) usage = api_quota_usage_shown(ctx, user->id);
    /* "limited": whether the limits apply (admins are not limited). */
    api_response_json(resp, 200,
                      json_pack("{s:o,s:o,s:b}", "quota", api_quota_limits_json(&user->quota),
                                "usage", api_quota_usage_json(usage, user->id), "limited",
                                req->auth->role != API_ROLE_ADMIN));
    return TRUE;
}

gboolean api_session_logout(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    if (!req->auth->session_hash)
        return api_fail(error, API_ERROR_INVALID_ARGUMENT,
                        "this request used an API token, not a session; revoke the token instead");
    if (!db_session_delete(ctx->db, req->auth->session_hash, error))
        return FALSE;
    set_cookie(ctx, resp, "", 0);
    resp->status = 204;
    return TRUE;
}

gboolean api_session_password(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                              GError **error)
{
    static const char *const allowed[] = {"current", "new", "keep_tokens", NULL};
    const char *current = NULL, *fresh = NULL;
    int keep_tokens = 0;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "current", API_PASSWORD_MAX, &current, error) ||
        !api_json_opt_string(body, "new", API_PASSWORD_MAX, &fresh, error) ||
        !api_json_opt_bool(body, "keep_tokens", &keep_tokens, error) ||
        !api_check_password(fresh, error))
        return FALSE;
    /* A stolen session must not become a way to guess the password. */
    gint64 now = g_get_monotonic_time();
    if (throttled(ctx, req->auth->username, req->address, now, resp, error))
        return FALSE;
    g_autoptr(DbUser) user = db_user_by_id(ctx->db, req->auth->user_id, error);
    if (user && strcmp(user->source, "pam") == 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "'%s' is a system account: change its password on the host",
                        user->username);
    if (!user || !current || !api_crypto_verify_password(user->password_hash, current)) {
        api_throttle_failed(ctx->throttle, req->auth->username, req->address, now);
        return api_fail(error, API_ERROR_FORBIDDEN, "the current password is wrong");
    }
    if (!api_set_password(ctx, user->id, fresh, req->auth->session_hash, keep_tokens == 1, error))
        return FALSE;
    resp->status = 204;
    return TRUE;
}

gboolean api_sessions_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(GPtrArray) rows = db_session_list(ctx->db, req->auth->user_id, error);
    if (!rows)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < rows->len; i++) {
        const DbSession *s = g_ptr_array_index(rows, i);
        json_array_append_new(
            items, api_session_json(s, g_strcmp0(s->id_hash, req->auth->session_hash) == 0));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "sessions", items));
    return TRUE;
}

gboolean api_sessions_revoke(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    gboolean found = FALSE;
    if (!db_session_delete_owned(ctx->db, req->params[0], req->auth->user_id, &found, error))
        return FALSE;
    if (!found)
        return api_fail(error, API_ERROR_NOT_FOUND, "no such session");
    resp->status = 204;
    return TRUE;
}
