/* GET /api/audit (admin): the audit log, newest first, with filters and
 * paging by id (?before=ID). */
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "db/db_audit.h"

static gboolean time_param(const ApiRequest *req, const char *name, gint64 *out, GError **error)
{
    const char *v = api_query_get(req, name);
    *out = 0;
    if (!v)
        return TRUE;
    guint64 n;
    if (g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT64, &n, NULL)) {
        *out = (gint64)n;
        return TRUE;
    }
    g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(v, NULL);
    if (t) {
        *out = g_date_time_to_unix(t);
        return TRUE;
    }
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                "%s must be unix seconds or ISO 8601 with a zone", name);
    return FALSE;
}

static const char *result_name(int status)
{
    return status == 0 ? "running" : status < 400 ? "success" : "failure";
}

/* ?result=success|failure */
static gboolean result_param(const ApiRequest *req, DbAuditResult *out, GError **error)
{
    const char *v = api_query_get(req, "result");
    *out = DB_AUDIT_ANY;
    if (!v)
        return TRUE;
    if (g_strcmp0(v, "success") == 0)
        *out = DB_AUDIT_SUCCESS;
    else if (g_strcmp0(v, "failure") == 0)
        *out = DB_AUDIT_FAILURE;
    else
        return api_invalid(error, "result must be success or failure, not '%s'", v);
    return TRUE;
}

static json_t *entry_json(const DbAuditEntry *e)
{
    return json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:i,s:o}", "id",
                     (json_int_t)e->id, "time", api_time_json(e->ts), "user", e->username,
                     "address", e->address, "method", e->method, "path", e->path, "target",
                     e->target, "status", e->status, "detail", e->detail, "action", e->action,
                     "result", result_name(e->status), "repeats", e->repeats, "last_time",
                     api_time_json(e->last_ts));
}

gboolean api_audit_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"user",   "since",  "until",  "before", "limit",
                                          "action", "object", "result", NULL};
    DbAuditQuery q = {.username = api_query_get(req, "user"),
                      .limit = 100,
                      .action = api_query_get(req, "action"),
                      .target = api_query_get(req, "object")};
    if (!api_query_only(req, allowed, error) || !time_param(req, "since", &q.since, error) ||
        !time_param(req, "until", &q.until, error) || !result_param(req, &q.result, error) ||
        !api_query_page(req, "an entry", &q.before_id, &q.limit, error))
        return FALSE;
    g_autoptr(GPtrArray) rows = db_audit_query(ctx->db, &q, error);
    if (!rows)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < rows->len; i++)
        json_array_append_new(items, entry_json(g_ptr_array_index(rows, i)));
    json_t *next = json_null();
    if (rows->len == (guint)q.limit) {
        const DbAuditEntry *last = g_ptr_array_index(rows, rows->len - 1);
        next = json_integer(last->id);
    }
    api_response_json(resp, 200, json_pack("{s:o,s:o}", "entries", items, "next_before", next));
    return TRUE;
}
