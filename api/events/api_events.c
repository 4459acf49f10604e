/* GET /api/events: marks the answer as the event stream; server/ does the
 * streaming (api/ knows no HTTP). The gate has checked the credentials. */
#include "api/core/api_handlers.h"

gboolean api_events_get(ApiContext *ctx G_GNUC_UNUSED, const ApiRequest *req, ApiResponse *resp,
                        GError **error)
{
    ApiAuth *copy = g_new0(ApiAuth, 1);
    copy->user_id = req->auth->user_id;
    copy->username = g_strdup(req->auth->username);
    copy->role = req->auth->role;
    copy->token_id = req->auth->token_id;
    copy->session_hash = g_strdup(req->auth->session_hash);
    resp->stream = copy;
    resp->status = 200;
    return TRUE;
}
