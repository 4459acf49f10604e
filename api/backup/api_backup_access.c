/* Who sees which backup jobs and backups (see api_backups.h and
 * docs/backups.md): the one check of every backup route. */
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "db/db_auth.h"

gboolean api_backup_owned_by_caller(const ApiRequest *req, gint64 owner_id)
{
    const ApiAuth *auth = req->auth;
    return auth && (auth->role == API_ROLE_ADMIN || (owner_id && owner_id == auth->user_id));
}

ApiScope *api_backup_owner_scope(ApiContext *ctx, gint64 owner_id, GError **error)
{
    if (!owner_id)
        return NULL;
    g_autoptr(DbUser) u = db_user_by_id(ctx->db, owner_id, error);
    if (!u) {
        if (!*error)
            api_fail(error, API_ERROR_FORBIDDEN, "the job's owner no longer exists");
        return NULL;
    }
    ApiAuth auth = {.user_id = u->id, .username = u->username, .role = api_role_from_name(u->role)};
    if (auth.role == API_ROLE_ADMIN)
        return NULL;
    if (auth.role != API_ROLE_OPERATOR) {
        api_fail(error, API_ERROR_FORBIDDEN, "the job's owner '%s' is no longer an operator",
                 u->username);
        return NULL;
    }
    return api_scope_new(ctx, &auth);
}
