/* /api/tasks: long work and how it goes. Admins see every task, others
 * their own; a task someone may not see answers 404, as if absent. */
#include "api/tasks/api_tasks.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_json.h"
#include "api/tasks/task_engine.h"

json_t *api_task_json(const DbTask *t, gboolean full)
{
    json_t *error = json_null();
    g_autofree char *message = !t->error_message ? g_strdup("")
                               : full            ? g_strdup(t->error_message)
                                      : api_error_brief(t->error_message, t->error_detail);
    if (t->error_code)
        error = json_pack("{s:s,s:s}", "code", t->error_code, "message", message);
    /* As VMs carry it; null once the host is removed. */
    json_t *host = t->host_name
                       ? json_pack("{s:I,s:s}", "id", (json_int_t)t->host_id, "name", t->host_name)
                       : json_null();
    return json_pack(
        "{s:I,s:s,s:s,s:i,s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:b,s:o,s:o,s:o}", "id", (json_int_t)t->id,
        "kind", t->kind, "state", t->state, "progress", t->progress, "message", t->message,
        "target", t->target, "result", t->result ? json_string(t->result) : json_null(), "error",
        error, "owner", t->owner_name ? json_string(t->owner_name) : json_null(), "host", host,
        "cancellable", t->cancellable && !db_task_state_final(t->state), "cancel_requested",
        t->cancel_requested, "created_at", api_time_json(t->created_at), "started_at",
        api_time_json(t->started_at), "finished_at", api_time_json(t->finished_at));
}

virConnectPtr api_task_conn(ApiContext *ctx, Task *task, GError **error)
{
    return api_host_conn(ctx, task_host(task), error);
}

char *api_task_on_host(Task *task, char *link)
{
    VirtHost *h = task_host(task);
    if (!h || virt_host_is_local(h))
        return link;
    g_autofree char *own = link;
    return g_strdup_printf("%s?host=%" G_GINT64_FORMAT, own, virt_host_id(h));
}

char *api_task_location(gint64 id)
{
    return g_strdup_printf("/api/tasks/%" G_GINT64_FORMAT, id);
}

gboolean api_answer_task(ApiContext *ctx, ApiResponse *resp, gint64 id, GError **error)
{
    resp->audit_detail = g_strdup_printf("task %" G_GINT64_FORMAT, id);
    g_autoptr(DbTask) t = db_task_get(ctx->db, id, error);
    if (!t) {
        if (!(error && *error))
            g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "task %" G_GINT64_FORMAT " vanished",
                        id);
        return FALSE;
    }
    g_autofree char *location = api_task_location(id);
    api_response_header(resp, "Location", location);
    /* A task just queued has no error to word. */
    api_response_json(resp, 202, api_task_json(t, TRUE));
    return TRUE;
}

static gboolean sees_all(const ApiRequest *req)
{
    return req->auth->role == API_ROLE_ADMIN;
}

/* The task in {task} if the caller may see it, else NOT_FOUND. */
static DbTask *visible_task(ApiContext *ctx, const ApiRequest *req, GError **error)
{
    guint64 id;
    DbTask *t = NULL;
    if (g_ascii_string_to_unsigned(req->params[0], 10, 1, G_MAXINT64, &id, NULL))
        t = db_task_get(ctx->db, (gint64)id, error);
    if (error && *error)
        return NULL;
    if (t && !sees_all(req) && t->owner_id != req->auth->user_id)
        g_clear_pointer(&t, db_task_free);
    if (!t)
        g_set_error(error, API_ERROR, API_ERROR_NOT_FOUND, "no task %s", req->params[0]);
    return t;
}

static const char *const states[] = {"queued", "running", "succeeded", "failed", "cancelled", NULL};

gboolean api_tasks_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"state", "before", "limit", NULL};
    /* The router resolved ?host= (404 when unknown). */
    DbTaskQuery q = {
        .state = api_query_get(req, "state"),
        .limit = 100,
        .owner_id = sees_all(req) ? 0 : req->auth->user_id,
        .host_id = api_query_get(req, "host") && req->virt_host ? virt_host_id(req->virt_host) : 0};
    if (!api_query_only(req, allowed, error) ||
        !api_query_page(req, "a task", &q.before_id, &q.limit, error))
        return FALSE;
    if (q.state && !g_strv_contains(states, q.state))
        return api_fail(error, API_ERROR_INVALID_ARGUMENT,
                        "state must be queued, running, "
                        "succeeded, failed or cancelled");
    g_autoptr(GPtrArray) rows = db_task_list(ctx->db, &q, error);
    if (!rows)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < rows->len; i++)
        json_array_append_new(items, api_task_json(g_ptr_array_index(rows, i), api_is_admin(req)));
    json_t *next = json_null();
    if (rows->len == (guint)q.limit)
        next = json_integer(((DbTask *)g_ptr_array_index(rows, rows->len - 1))->id);
    api_response_json(resp, 200, json_pack("{s:o,s:o}", "tasks", items, "next_before", next));
    return TRUE;
}

gboolean api_task_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbTask) t = api_query_none(req, error) ? visible_task(ctx, req, error) : NULL;
    if (!t)
        return FALSE;
    api_answer_object(resp, 200, api_task_json(t, api_is_admin(req)));
    return TRUE;
}

gboolean api_task_cancel(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    g_autoptr(DbTask) t = NULL;
    if (body && api_json_only_members(body, allowed, error) && api_query_none(req, error))
        t = visible_task(ctx, req, error);
    if (!t || !ctx->tasks || !task_engine_cancel(ctx->tasks, t->id, error)) {
        if (!*error)
            g_set_error(error, API_ERROR, API_ERROR_UNAVAILABLE, "tasks are not running");
        return FALSE;
    }
    gint64 id = t->id;
    g_clear_pointer(&t, db_task_free);
    t = db_task_get(ctx->db, id, error);
    if (!t)
        return FALSE;
    /* Accepted: the work stops at its next step and the task then ends. */
    api_answer_object(resp, 202, api_task_json(t, api_is_admin(req)));
    return TRUE;
}
