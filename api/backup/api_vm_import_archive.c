/* POST /api/vms/import-archive?pool=P[&name=N][&start=true]: Vireo's own
 * VM archive (GET /api/vms/{vm}/export, or a backup) streamed as the body
 * becomes a new VM. An "import-archive" task from the first byte, with
 * the bytes received as its progress; disks go into new volumes of the
 * pool as they pass. An archive found bad part-way is undone at once, the
 * rest of the body is read and dropped, and the answer is the error. */
#include "api/backup/api_archive.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/tasks/api_tasks.h"
#include "api/vms/api_vms.h"

#include <gio/gio.h>

typedef struct {
    ApiTransfer base;
    ApiContext *ctx;
    ApiArchiveIn *in;
    Task *task;
    guint64 done;
    GError *failed; /* set once the archive was refused: the rest is dropped */
} Import;

/* Undoes what was made and ends the task with `why`. */
static void fail(Import *im, const GError *why)
{
    if (!im->failed)
        im->failed = g_error_copy(why);
    g_clear_pointer(&im->in, api_archive_in_free);
    if (im->task)
        task_finish(g_steal_pointer(&im->task), NULL, why);
}

static gboolean import_write(ApiTransfer *base, const char *data, gsize len, GError **error)
{
    Import *im = (Import *)base;
    im->done += len;
    if (im->failed)
        return TRUE;
    g_autoptr(GError) why = NULL;
    if (im->done > base->length)
        g_set_error_literal(&why, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                            "the body is longer than its Content-Length");
    else
        api_archive_in_feed(im->in, (const guint8 *)data, len, &why);
    if (why)
        fail(im, why);
    return TRUE;
}

static void import_abort(ApiTransfer *base, const char *why)
{
    Import *im = (Import *)base;
    if (!im->task)
        return;
    g_autoptr(GError) error = api_transfer_aborted_error("import", im->done, base->length, why);
    fail(im, error);
}

static gboolean import_finish(ApiTransfer *base, ApiResponse *resp, GError **error)
{
    Import *im = (Import *)base;
    g_autofree char *name = im->failed ? NULL : api_archive_in_finish(im->in, error);
    if (!name) {
        if (!im->failed)
            fail(im, *error);
        else
            g_propagate_error(error, g_error_copy(im->failed));
        return FALSE;
    }
    g_autofree char *escaped = g_uri_escape_string(name, NULL, FALSE);
    g_autofree char *location = api_task_on_host(im->task, g_strconcat("/api/vms/", escaped, NULL));
    g_autoptr(virConnect) conn = api_task_conn(im->ctx, im->task, error);
    /* The new VM with its host, as a create's 201 answers it. */
    g_autoptr(json_t) host = api_host_ref_json(task_host(im->task));
    task_finish(g_steal_pointer(&im->task), location, NULL);
    json_t *obj = conn ? api_vm_detail(im->ctx, conn, name, NULL, error) : NULL;
    if (!obj)
        return FALSE;
    if (im->ctx->hosts)
        json_object_set(obj, "host", host);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}

static void import_free(ApiTransfer *base)
{
    Import *im = (Import *)base;
    if (im->task)
        import_abort(base, "the transfer was dropped");
    api_archive_in_free(im->in);
    g_clear_error(&im->failed);
    g_free(im);
}

gboolean api_vm_import_archive(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                               GError **error)
{
    static const char *const allowed[] = {"pool", "name", "start", NULL};
    gboolean start = FALSE;
    if (!api_query_only(req, allowed, error) || !api_query_bool(req, "start", FALSE, &start, error))
        return FALSE;
    const char *pool = api_query_get(req, "pool");
    if (!pool || !*pool)
        return api_invalid(error, "?pool= names the storage pool the disks go into");
    if (req->content_length == 0)
        return api_invalid(error, "send the archive as the body, with its Content-Length");
    if (req->content_length > ctx->max_upload)
        return api_fail(error, API_ERROR_PAYLOAD_TOO_LARGE,
                        "uploads are limited to %" G_GUINT64_FORMAT " bytes", ctx->max_upload);
    if (!ctx->tasks)
        return api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
    const char *name = api_query_get(req, "name");
    /* The VM is made on the request's host (?host=). */
    g_autoptr(VirtHost) on = api_req_host(ctx, req);
    Task *task = task_begin(ctx->tasks, "import-archive", name ? name : pool, req->auth->user_id,
                            on, TRUE, error);
    if (!task)
        return FALSE;
    ApiArchiveTo to = {.ctx = ctx,
                       .name = name,
                       .pool = pool,
                       .owner_id = req->auth->user_id,
                       .caller = api_quota_caller(req),
                       .start = start,
                       .task = task,
                       .length = req->content_length};
    ApiArchiveIn *in = api_archive_in_new(&to, error);
    if (!in) {
        task_finish(task, NULL, *error);
        return FALSE;
    }
    Import *im = g_new0(Import, 1);
    im->base = (ApiTransfer){.write = import_write,
                             .finish = import_finish,
                             .abort = import_abort,
                             .free = import_free,
                             .length = req->content_length};
    im->ctx = ctx;
    im->in = in;
    im->task = task;
    task_progress(task, 0, "receiving the archive");
    resp->transfer = &im->base;
    resp->status = 202;
    resp->audit_detail = g_strdup_printf("task %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes",
                                         task_id(task), req->content_length);
    return TRUE;
}
