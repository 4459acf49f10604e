/* GET /api/events: marks the answer as the event stream; server/ does the
 * streaming (api/ knows no HTTP). The gate has checked the credentials. */
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"

#include <string.h>

/* Ids are ours ("EPOCH-SEQ"); anything longer is not one. */
#define EVENT_ID_MAX 64

gboolean api_events_get(ApiContext *ctx G_GNUC_UNUSED, const ApiRequest *req, ApiResponse *resp,
                        GError **error)
{
    /* EventSource sends Last-Event-ID itself when it reconnects; a page
     * that opens a new stream can only put it in the query. */
    static const char *const allowed[] = {"last_event_id", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *resume = req->last_event_id ? req->last_event_id
                                            : api_query_get(req, "last_event_id");
    ApiAuth *copy = g_new0(ApiAuth, 1);
    copy->user_id = req->auth->user_id;
    copy->username = g_strdup(req->auth->username);
    copy->role = req->auth->role;
    copy->token_id = req->auth->token_id;
    copy->session_hash = g_strdup(req->auth->session_hash);
    resp->stream = copy;
    /* An id too long to be ours still resumes: as one that is lost. */
    if (resume && *resume)
        resp->stream_resume = strlen(resume) <= EVENT_ID_MAX ? g_strdup(resume) : g_strdup("?");
    resp->status = 200;
    return TRUE;
}
