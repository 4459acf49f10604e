/* /api/users (admin): create, list, read (with quota and usage), change role,
 * password or quota, delete. Grants are in api_grants.c. */
#include "api/auth/api_auth_json.h"
#include "api/auth/api_quota_json.h"
#include "api/auth/api_quota_usage.h"
#include "api/auth/api_users_common.h"
#include "api/core/api_crypto.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "virt/virt_domain.h"

#include <string.h>

static gboolean check_role(const char *role, GError **error)
{
    if (role && api_role_from_name(role) == API_ROLE_NONE) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "role must be admin, operator or viewer");
        return FALSE;
    }
    return TRUE;
}

/* A user with their usage (from `usage`, api_quota_usage_shown). */
static json_t *user_with_usage(const DbUser *u, GHashTable *usage)
{
    json_t *obj = api_user_json(u);
    json_object_set_new(obj, "usage", api_quota_usage_json(usage, u->id));
    return obj;
}

gboolean api_users_list(ApiContext *ctx, const ApiRequest *req G_GNUC_UNUSED, ApiResponse *resp,
                        GError **error)
{
    g_autoptr(GPtrArray) users = db_user_list(ctx->db, error);
    if (!users)
        return FALSE;
    g_autoptr(GHashTable) usage = api_quota_usage_shown(ctx, 0);
    json_t *items = json_array();
    for (guint i = 0; i < users->len; i++)
        json_array_append_new(items, user_with_usage(g_ptr_array_index(users, i), usage));
    api_response_json(resp, 200, json_pack("{s:o}", "users", items));
    return TRUE;
}

gboolean api_users_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"username", "password", "role", NULL};
    const char *username = NULL, *password = NULL, *role = NULL;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "username", API_USERNAME_MAX, &username, error) ||
        !api_json_opt_string(body, "password", API_PASSWORD_MAX, &password, error) ||
        !api_json_opt_string(body, "role", 16, &role, error) ||
        !api_check_username(username, error) || !api_check_password(password, error) ||
        !check_role(role ? role : "viewer", error))
        return FALSE;
    g_autofree char *hash = api_crypto_hash_password(password);
    gint64 id =
        hash ? db_user_create(ctx->db, username, hash, role ? role : "viewer", "local", error) : 0;
    g_autoptr(DbUser) user = id ? db_user_by_id(ctx->db, id, error) : NULL;
    if (!user) {
        if (g_error_matches(*error, DB_ERROR, DB_ERROR_EXISTS)) {
            g_clear_error(error);
            g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "user '%s' already exists", username);
        }
        return FALSE;
    }
    resp->audit_detail = g_strdup_printf("user '%s' (%s)", user->username, user->role);
    g_autofree char *location = g_strdup_printf("/api/users/%s", user->username);
    api_response_header(resp, "Location", location);
    g_autoptr(GHashTable) usage = api_quota_usage_shown(ctx, user->id);
    api_response_json(resp, 201, user_with_usage(user, usage));
    return TRUE;
}

gboolean api_users_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    if (!user)
        return FALSE;
    g_autoptr(GHashTable) usage = api_quota_usage_shown(ctx, user->id);
    api_response_json(resp, 200, user_with_usage(user, usage));
    return TRUE;
}

/* The last admin may not be demoted or deleted: nobody could undo it. */
static gboolean keeps_an_admin(ApiContext *ctx, const DbUser *user, const char *new_role,
                               GError **error)
{
    if (strcmp(user->role, "admin") != 0 || g_strcmp0(new_role, "admin") == 0)
        return TRUE;
    int admins = db_user_count(ctx->db, "admin", error);
    if (admins < 0)
        return FALSE;
    if (admins <= 1) {
        g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "'%s' is the last admin", user->username);
        return FALSE;
    }
    return TRUE;
}

gboolean api_users_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"password", "role", "keep_tokens", "quota", NULL};
    const char *password = NULL, *role = NULL;
    int keep_tokens = 0;
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "password", API_PASSWORD_MAX, &password, error) ||
        !api_json_opt_string(body, "role", 16, &role, error) || !check_role(role, error) ||
        !api_json_opt_bool(body, "keep_tokens", &keep_tokens, error) ||
        (password && !api_check_password(password, error)))
        return FALSE;
    if (keep_tokens == 1 && !password)
        return api_invalid(error, "field 'keep_tokens' goes with 'password'");
    json_t *quota_body = json_object_get(body, "quota");
    DbQuota quota;
    /* Checked before anything changes: a bad quota changes no role. */
    if (quota_body && !api_quota_parse(quota_body, &(DbQuota){0}, &quota, error))
        return FALSE;
    /* One lock for all users: "is this the last admin?" is about them all. */
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "users");
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    if (user && password && strcmp(user->source, "pam") == 0)
        g_set_error(error, API_ERROR, API_ERROR_CONFLICT,
                    "'%s' is a system account: its password is set on the host", user->username);
    /* Members the body leaves out keep their limits. */
    if (user && quota_body)
        api_quota_parse(quota_body, &user->quota, &quota, NULL);
    gboolean ok = user && !*error && (!role || keeps_an_admin(ctx, user, role, error)) &&
                  (!role || db_user_update(ctx->db, user->id, NULL, role, error)) &&
                  (!quota_body || db_user_set_quota(ctx->db, user->id, &quota, error)) &&
                  (!password ||
                   api_set_password(ctx, user->id, password, NULL, keep_tokens == 1, error));
    g_autoptr(DbUser) updated = ok ? db_user_by_id(ctx->db, user->id, error) : NULL;
    if (!updated)
        return FALSE;
    if (role)
        api_auth_changed(ctx, user->id);
    /* What changed, in words: a role change and a password reset must not
     * read alike in the log. Never the password itself. */
    GString *what = g_string_new(NULL);
    if (role)
        g_string_append_printf(what, "role %s -> %s", user->role, role);
    g_autofree char *quota_change = quota_body
                                        ? api_quota_change_text(&user->quota, &updated->quota)
                                        : NULL;
    if (quota_change)
        g_string_append_printf(what, "%s%s", what->len ? "; " : "", quota_change);
    if (password)
        g_string_append_printf(what, "%spassword reset, API tokens %s", what->len ? "; " : "",
                               keep_tokens == 1 ? "kept" : "revoked");
    resp->audit_detail = g_string_free(what, FALSE);
    g_autoptr(GHashTable) usage = api_quota_usage_shown(ctx, updated->id);
    api_response_json(resp, 200, user_with_usage(updated, usage));
    return TRUE;
}

gboolean api_users_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "users");
    g_autoptr(DbUser) user = api_user_from_path(ctx, req->params[0], error);
    if (user && user->id == req->auth->user_id)
        g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "you cannot delete yourself");
    /* Sessions, tokens and grants go with the row (foreign keys). */
    if (!user || *error || !keeps_an_admin(ctx, user, NULL, error) ||
        !db_user_delete(ctx->db, user->id, error))
        return FALSE;
    api_auth_changed(ctx, user->id);
    resp->status = 204;
    return TRUE;
}
