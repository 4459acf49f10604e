/* PUT and GET /api/pools/{pool}/volumes/{volume}/content: a volume's bytes
 * streamed in from the request body (an "upload" task with progress) or
 * out as the answer, never held whole in memory. server/ moves the chunks
 * through the ApiTransfer made here. */
#include "api/auth/api_quota.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/storage/api_storage_json.h"
#include "api/storage/api_volumes.h"
#include "api/tasks/task_engine.h"
#include "db/db_auth.h"
#include "virt/virt_error.h"
#include "virt/virt_volume_copy.h"

#include <gio/gio.h>
#include <string.h>

typedef struct {
    ApiTransfer base;
    virConnectPtr conn;
    virStoragePoolPtr pool;
    virStorageVolPtr vol;
    virStreamPtr stream;
    Task *task;       /* upload only */
    gboolean created; /* the upload made the volume: undo deletes it */
    gboolean ended;   /* finished or aborted */
    guint64 done;
} Transfer;

static void transfer_free(ApiTransfer *base)
{
    Transfer *t = (Transfer *)base;
    if (!t->ended)
        t->base.abort(base, "the transfer was dropped");
    if (t->stream)
        virStreamFree(t->stream);
    if (t->vol)
        virStorageVolFree(t->vol);
    if (t->pool)
        virStoragePoolFree(t->pool);
    if (t->conn)
        virConnectClose(t->conn);
    g_free(t);
}

/* ---- upload ---- */

static gboolean upload_write(ApiTransfer *base, const char *data, gsize len, GError **error)
{
    Transfer *t = (Transfer *)base;
    if (task_cancel_requested(t->task)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the upload was cancelled");
        return FALSE;
    }
    if (t->done + len > base->length) {
        g_set_error_literal(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                            "the body is longer than its Content-Length");
        return FALSE;
    }
    if (!virt_stream_send_all(t->stream, data, len, error))
        return FALSE;
    t->done += len;
    task_progress(t->task, (int)(t->done * 100 / base->length), NULL);
    return TRUE;
}

/* Undoes an upload: the stream stops, a volume it made is deleted. */
static void upload_undo(Transfer *t, const GError *why)
{
    t->ended = TRUE;
    virt_stream_abort(t->stream);
    if (t->created && virStorageVolDelete(t->vol, 0) < 0) {
        g_warning("upload: could not delete the half-made volume '%s'",
                  virStorageVolGetName(t->vol));
        virResetLastError();
    }
    task_finish(t->task, NULL, why);
    t->task = NULL;
}

static void upload_abort(ApiTransfer *base, const char *why)
{
    Transfer *t = (Transfer *)base;
    if (t->ended)
        return;
    g_autoptr(GError) error = api_transfer_aborted_error("upload", t->done, base->length, why);
    upload_undo(t, error);
}

static gboolean upload_finish(ApiTransfer *base, ApiResponse *resp, GError **error)
{
    Transfer *t = (Transfer *)base;
    json_t *obj = NULL;
    if (t->done != base->length)
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "the body had %" G_GUINT64_FORMAT " bytes, not the %" G_GUINT64_FORMAT
                    " announced",
                    t->done, base->length);
    else if (virt_stream_finish(t->stream, error)) {
        /* libvirt probes the format on refresh: an uploaded qcow2 image
         * shows as qcow2, an ISO as iso. */
        if (virStoragePoolRefresh(t->pool, 0) < 0)
            virResetLastError();
        g_autoptr(virStorageVol)
            fresh = virt_volume_lookup(t->pool, virStorageVolGetName(t->vol), error);
        obj = fresh ? api_volume_answer(NULL, t->pool, fresh, error) : NULL;
    }
    if (!obj) {
        upload_undo(t, *error);
        return FALSE;
    }
    g_autofree char *location = api_storage_location(virStoragePoolGetName(t->pool),
                                                     virStorageVolGetName(t->vol));
    t->ended = TRUE;
    task_finish(t->task, location, NULL);
    t->task = NULL;
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 200, obj);
    return TRUE;
}

/* Where the bytes go: the existing volume (with overwrite=true: raw and
 * big enough), or NULL with *created set: a new raw volume of exactly the
 * body's size is to be made (make_target). */
static virStorageVolPtr upload_target(virStoragePoolPtr pool, const char *name, guint64 length,
                                      gboolean overwrite, gboolean *created, GError **error)
{
    virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
    if (vol) {
        g_autoptr(VirtVolume) v = overwrite ? virt_volume_info(vol, error) : NULL;
        if (!overwrite)
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS,
                        "a volume named '%s' exists in "
                        "storage pool '%s' (overwrite=true writes into it)",
                        name, virStoragePoolGetName(pool));
        else if (v && v->format && strcmp(v->format, "raw") != 0 && strcmp(v->format, "iso") != 0)
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                        "volume '%s' is %s: only "
                        "raw volumes can be written into",
                        name, v->format);
        else if (v && v->capacity < length)
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                        "volume '%s' holds %" G_GUINT64_FORMAT
                        " bytes, less than the %" G_GUINT64_FORMAT " sent",
                        name, v->capacity, length);
        if (error && *error) {
            virStorageVolFree(vol);
            return NULL;
        }
        *created = FALSE;
        return vol;
    }
    virResetLastError();
    g_autoptr(VirtPool) info = virt_pool_info(pool, error);
    if (!info)
        return NULL;
    if (info->available < length) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NO_SPACE,
                    "storage pool '%s' has %" G_GUINT64_FORMAT
                    " bytes free; the upload needs %" G_GUINT64_FORMAT,
                    info->name, info->available, length);
        return NULL;
    }
    /* Made once the upload's task has written down that it makes it. */
    *created = TRUE;
    return NULL;
}

/* The new volume of an upload, written down first so that a crash leaves
 * nothing behind, and recorded as the uploader's. */
static virStorageVolPtr make_target(ApiContext *ctx, const ApiRequest *req, Task *task,
                                    virStoragePoolPtr pool, guint64 length, GError **error)
{
    g_autofree char *ref = g_strdup_printf("%s/%s", req->params[0], req->params[1]);
    gint64 noted = task_will_make(task, "volume", ref, error);
    virStorageVolPtr vol =
        noted ? virt_volume_create(pool, req->params[1], length, "raw", NULL, error) : NULL;
    if (!vol)
        return NULL;
    task_made(task, noted);
    g_autofree char *path = virStorageVolGetPath(vol);
    if (path)
        db_volume_owner_set(ctx->db, api_host_id(ctx, req->virt_host), path, req->auth->user_id,
                            NULL);
    return vol;
}

gboolean api_volume_upload(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    static const char *const allowed[] = {"overwrite", NULL};
    gboolean overwrite = FALSE;
    if (!api_query_only(req, allowed, error) ||
        !api_query_bool(req, "overwrite", FALSE, &overwrite, error))
        return FALSE;
    if (req->content_length == 0)
        return api_fail(error, API_ERROR_INVALID_ARGUMENT,
                        "send the volume's bytes as the "
                        "body, with a Content-Length of 1 byte or more");
    if (!ctx->tasks)
        return api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
    if (req->content_length > ctx->max_upload)
        return api_fail(error, API_ERROR_PAYLOAD_TOO_LARGE,
                        "uploads are limited to %" G_GUINT64_FORMAT " bytes", ctx->max_upload);
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, NULL, error);
    gboolean created = FALSE;
    g_autoptr(virStorageVol) vol = pool ? upload_target(pool, req->params[1], req->content_length,
                                                        overwrite, &created, error)
                                        : NULL;
    /* A new volume will be the uploader's: it counts in their quota. */
    DbQuota more = {.v = {[DB_QUOTA_DISK] = (gint64)req->content_length}};
    g_autoptr(ApiQuotaHold) quota = NULL;
    if (created && !api_quota_check(ctx, req, req->auth->user_id, &more, &quota, error))
        return FALSE;
    g_autofree char *target = g_strdup_printf("%s/%s", req->params[0], req->params[1]);
    g_autoptr(VirtHost) host = api_req_host(ctx, req);
    Task *task = vol || created ? task_begin(ctx->tasks, "upload", target, req->auth->user_id, host,
                                             TRUE, error)
                                : NULL;
    api_quota_hold_settle(quota);
    if (task && created)
        vol = make_target(ctx, req, task, pool, req->content_length, error);
    api_quota_hold_release(quota);
    virStreamPtr stream = vol ? virt_volume_upload_stream(vol, req->content_length, error) : NULL;
    if (!stream) {
        if (created && vol && virStorageVolDelete(vol, 0) < 0)
            virResetLastError();
        if (task)
            task_finish(task, NULL, *error);
        return FALSE;
    }
    Transfer *t = g_new0(Transfer, 1);
    t->base = (ApiTransfer){.write = upload_write,
                            .finish = upload_finish,
                            .abort = upload_abort,
                            .free = transfer_free,
                            .length = req->content_length};
    t->conn = g_steal_pointer(&conn);
    t->pool = g_steal_pointer(&pool);
    t->vol = g_steal_pointer(&vol);
    t->stream = stream;
    t->task = task;
    t->created = created;
    task_progress(task, 0, created ? "uploading into a new volume" : "uploading into the volume");
    resp->transfer = &t->base;
    resp->status = 202; /* what the audit log records: the upload began */
    resp->audit_detail = g_strdup_printf("task %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes",
                                         task_id(task), req->content_length);
    return TRUE;
}

/* ---- download ---- */

static gssize download_read(ApiTransfer *base, char *buf, gsize max)
{
    Transfer *t = (Transfer *)base;
    g_autoptr(GError) error = NULL;
    gssize n = virt_stream_recv(t->stream, buf, max, &error);
    if (n == 0) {
        t->ended = TRUE;
        if (!virt_stream_finish(t->stream, &error))
            n = -1;
    }
    if (n < 0) {
        t->ended = TRUE;
        g_warning("download of '%s': %s", virStorageVolGetName(t->vol),
                  error ? error->message : "failed");
    }
    return n;
}

static void download_abort(ApiTransfer *base, const char *why G_GNUC_UNUSED)
{
    Transfer *t = (Transfer *)base;
    if (t->ended)
        return;
    t->ended = TRUE;
    virt_stream_abort(t->stream);
}

/* A file name for Content-Disposition: plain ASCII, nothing to quote. */
static char *attachment_name(const char *name)
{
    char *safe = g_strdup(name);
    for (char *p = safe; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
            *p = '_';
    return safe;
}

gboolean api_volume_download(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    guint64 length = 0;
    g_autoptr(virStoragePool)
        pool = api_query_none(req, error) ? api_volume_lookup(ctx, req, &conn, &vol, error) : NULL;
    if (!pool || !virt_volume_physical(vol, &length, error))
        return FALSE;
    g_autofree char *file = attachment_name(req->params[1]);
    g_autofree char *disposition = g_strdup_printf("attachment; filename=\"%s\"", file);
    api_response_header(resp, "Content-Disposition", disposition);
    resp->status = 200;
    if (strcmp(req->method, "HEAD") == 0)
        return TRUE;
    virStreamPtr stream = length ? virt_volume_download_stream(vol, length, error) : NULL;
    if (length && !stream)
        return FALSE;
    Transfer *t = g_new0(Transfer, 1);
    t->base = (ApiTransfer){
        .read = download_read, .abort = download_abort, .free = transfer_free, .length = length};
    t->conn = g_steal_pointer(&conn);
    t->pool = g_steal_pointer(&pool);
    t->vol = g_steal_pointer(&vol);
    t->stream = stream;
    t->ended = stream == NULL;
    resp->transfer = &t->base;
    return TRUE;
}
