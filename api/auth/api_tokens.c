/* /api/tokens: API tokens for scripts. The secret is shown once, at
 * creation; a token acts with its owner's current role, never more. An
 * admin may make a "metrics" token, which reads /metrics and nothing
 * else (for a Prometheus server's configuration file). */
#include "api/auth/api_auth_json.h"
#include "api/core/api_crypto.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"

#include <string.h>

#define TOKEN_PREFIX "vireo_"
#define TOKEN_NAME_MAX 64

gboolean api_tokens_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    /* Admins see everyone's tokens, others their own. */
    gboolean admin = req->auth->role == API_ROLE_ADMIN;
    g_autoptr(GPtrArray) tokens = db_token_list(ctx->db, admin ? 0 : req->auth->user_id, error);
    if (!tokens)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < tokens->len; i++) {
        const DbToken *t = g_ptr_array_index(tokens, i);
        g_autoptr(DbUser) owner = db_user_by_id(ctx->db, t->user_id, NULL);
        json_array_append_new(items, api_token_json(t, owner ? owner->username : NULL));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "tokens", items));
    return TRUE;
}

static gboolean parse_expiry(json_t *body, gint64 *expires_at, GError **error)
{
    json_t *v = json_object_get(body, "expires");
    *expires_at = 0;
    if (!v || json_is_null(v))
        return TRUE;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    if (json_is_integer(v) && json_integer_value(v) > now &&
        json_integer_value(v) < now + (gint64)10 * 366 * 86400) {
        *expires_at = json_integer_value(v);
        return TRUE;
    }
    if (json_is_string(v)) {
        g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(json_string_value(v), NULL);
        if (t && g_date_time_to_unix(t) > now) {
            *expires_at = g_date_time_to_unix(t);
            return TRUE;
        }
    }
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                "expires must be a future time: unix seconds or ISO 8601 with a zone, or null");
    return FALSE;
}

gboolean api_tokens_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    static const char *const allowed[] = {"name", "expires", "scope", NULL};
    const char *name = NULL;
    const char *scope = "full";
    gint64 expires_at = 0;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "name", TOKEN_NAME_MAX, &name, error) ||
        !api_json_opt_string(body, "scope", 16, &scope, error) ||
        !parse_expiry(body, &expires_at, error))
        return FALSE;
    if (!name || !*name)
        return api_fail(error, API_ERROR_INVALID_ARGUMENT, "name is required (1-%d bytes)",
                        TOKEN_NAME_MAX);
    if (strcmp(scope, "full") != 0 && strcmp(scope, "metrics") != 0)
        return api_fail(error, API_ERROR_INVALID_ARGUMENT,
                        "scope must be \"full\" or \"metrics\", not '%s'", scope);
    /* /metrics shows every VM: only those who may see every VM hand it out. */
    if (strcmp(scope, "metrics") == 0 && req->auth->role != API_ROLE_ADMIN)
        return api_fail(error, API_ERROR_FORBIDDEN, "only admins may make metrics tokens");
    g_autofree char *random = api_crypto_random_secret();
    g_autofree char *secret = g_strconcat(TOKEN_PREFIX, random, NULL);
    g_autofree char *hash = api_crypto_digest(secret);
    gint64 id = db_token_create_scoped(ctx->db, req->auth->user_id, name, hash, expires_at, scope,
                                       error);
    if (!id) {
        if (g_error_matches(*error, DB_ERROR, DB_ERROR_EXISTS)) {
            g_clear_error(error);
            g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "you already have a token named '%s'",
                        name);
        }
        return FALSE;
    }
    DbToken t = {.id = id,
                 .user_id = req->auth->user_id,
                 .name = (char *)name,
                 .created_at = g_get_real_time() / G_USEC_PER_SEC,
                 .expires_at = expires_at,
                 .scope = (char *)scope};
    json_t *obj = api_token_json(&t, req->auth->username);
    json_object_set_new(obj, "token", json_string(secret));
    g_autofree char *location = g_strdup_printf("/api/tokens/%" G_GINT64_FORMAT, id);
    api_response_header(resp, "Location", location);
    resp->audit_detail = g_strdup_printf("token '%s'%s", name,
                                         strcmp(scope, "metrics") == 0 ? " (metrics only)" : "");
    api_response_json(resp, 201, obj);
    return TRUE;
}

gboolean api_tokens_revoke(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    guint64 id = 0;
    gboolean found = FALSE;
    if (!g_ascii_string_to_unsigned(req->params[0], 10, 1, G_MAXINT64, &id, NULL))
        return api_fail(error, API_ERROR_NOT_FOUND, "no token '%s'", req->params[0]);
    gint64 owner = req->auth->role == API_ROLE_ADMIN ? 0 : req->auth->user_id;
    if (!db_token_delete(ctx->db, (gint64)id, owner, &found, error))
        return FALSE;
    if (!found)
        return api_fail(error, API_ERROR_NOT_FOUND, "no token '%s'", req->params[0]);
    resp->status = 204;
    return TRUE;
}
