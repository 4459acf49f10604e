/* POST /api/pools/{pool}/volumes/{volume}/clone: checks what it can at
 * once (names, formats, clashes, space: 400/404/409/507), then copies on a
 * worker as a task and answers 202 with it. */
#include "api/auth/api_quota.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_json.h"
#include "api/storage/api_storage_json.h"
#include "api/storage/api_volumes.h"
#include "api/tasks/api_tasks.h"
#include "api/tasks/task_engine.h"
#include "db/db_auth.h"
#include "virt/virt_error.h"
#include "virt/virt_volume_copy.h"

#include <string.h>

typedef struct {
    ApiContext *ctx;
    gint64 owner_id;
    char *src_pool, *src_volume;
    char *dst_pool, *name, *format; /* format may be NULL: the source's */
    ApiQuotaHold *quota;            /* what the check held for the copy until it is made */
} CloneJob;

static void clone_job_free(gpointer data)
{
    CloneJob *job = data;
    api_quota_hold_free(job->quota);
    g_free(job->src_pool);
    g_free(job->src_volume);
    g_free(job->dst_pool);
    g_free(job->name);
    g_free(job->format);
    g_free(job);
}

static gboolean clone_progress(guint64 done, guint64 total, gpointer data)
{
    Task *task = data;
    if (total == 0) {
        /* A conversion by libvirt follows: it cannot be stopped. Checked
         * under the engine's lock, so a cancel is either seen here or
         * refused. */
        task_set_cancellable(task, FALSE);
        return !task_cancel_requested(task);
    }
    task_progress(task, (int)(done * 100 / total), NULL);
    return !task_cancel_requested(task);
}

static gboolean run_clone(Task *task, gpointer data, char **result, GError **error)
{
    CloneJob *job = data;
    g_autofree char *msg = g_strdup_printf("copying %s/%s to %s/%s", job->src_pool, job->src_volume,
                                           job->dst_pool, job->name);
    task_progress(task, 0, msg);
    g_autoptr(virConnect) conn = api_task_conn(job->ctx, task, error);
    g_autoptr(virStoragePool) src_pool = conn ? virt_pool_lookup(conn, job->src_pool, error) : NULL;
    g_autoptr(virStorageVol) src = src_pool ? virt_volume_lookup(src_pool, job->src_volume, error)
                                            : NULL;
    g_autoptr(virStoragePool) dst_pool = src ? virt_pool_lookup(conn, job->dst_pool, error) : NULL;
    /* Written down first: a crash mid-copy leaves nothing behind. */
    g_autofree char *ref = g_strdup_printf("%s/%s", job->dst_pool, job->name);
    gint64 noted = dst_pool ? task_will_make(task, "volume", ref, error) : 0;
    g_autoptr(virStorageVol) made = noted ? virt_volume_clone(dst_pool, src, job->name, job->format,
                                                              clone_progress, task, error)
                                          : NULL;
    if (!made)
        return FALSE;
    task_made(task, noted);
    g_autofree char *path = virStorageVolGetPath(made);
    api_quota_hold_settle(job->quota);
    if (path)
        db_volume_owner_set(job->ctx->db, api_host_id(job->ctx, task_host(task)), path,
                            job->owner_id, NULL);
    api_quota_hold_release(job->quota);
    *result = api_task_on_host(task, api_storage_location(job->dst_pool, job->name));
    return TRUE;
}

/* The target pool named in the body: a missing one is a bad request (the
 * URL's resources exist), an inactive one a conflict. */
static virStoragePoolPtr target_pool(virConnectPtr conn, const char *name, guint64 needed,
                                     GError **error)
{
    virStoragePoolPtr pool = virt_pool_lookup(conn, name, error);
    if (!pool) {
        if (g_error_matches(*error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
            (*error)->code = VIRT_ERROR_INVALID_ARG;
        return NULL;
    }
    g_autoptr(VirtPool) info = virt_pool_info(pool, error);
    if (info && info->state != VIR_STORAGE_POOL_RUNNING)
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "storage pool '%s' is not "
                    "active",
                    name);
    else if (info && info->available < needed)
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NO_SPACE,
                    "storage pool '%s' has %" G_GUINT64_FORMAT
                    " bytes free; the copy needs %" G_GUINT64_FORMAT,
                    name, info->available, needed);
    if (!info || (error && *error)) {
        virStoragePoolFree(pool);
        return NULL;
    }
    return pool;
}

gboolean api_volume_clone(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"name", "pool", "format", NULL};
    static const char *const required[] = {"name", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *pool_name = req->params[0], *format = NULL;
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) || !api_query_none(req, error) ||
        !api_json_opt_string(body, "name", 255, &name, error) ||
        !api_json_opt_string(body, "pool", 255, &pool_name, error) ||
        !api_json_opt_string(body, "format", 16, &format, error) ||
        !virt_storage_name_valid(name, error))
        return FALSE;
    if (format && !virt_storage_format_valid(format))
        return api_fail(error, API_ERROR_INVALID_ARGUMENT,
                        "format must be raw, qcow2, vdi or vmdk");
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virStorageVol) src = NULL;
    g_autoptr(virStoragePool) pool = api_volume_lookup(ctx, req, &conn, &src, error);
    g_autoptr(VirtVolume) info = pool ? virt_volume_info(src, error) : NULL;
    g_autoptr(virStoragePool) dst = info ? target_pool(conn, pool_name, info->allocation, error)
                                         : NULL;
    if (!dst)
        return FALSE;
    /* The copy will be the caller's, as large as its source. */
    DbQuota more = {.v = {[DB_QUOTA_DISK] = (gint64)info->capacity}};
    g_autoptr(ApiQuotaHold) quota = NULL;
    if (!virt_volume_name_free(dst, name, error) ||
        !api_quota_check(ctx, req, req->auth->user_id, &more, &quota, error))
        return FALSE;
    if (!ctx->tasks)
        return api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
    CloneJob *job = g_new0(CloneJob, 1);
    job->ctx = ctx;
    job->owner_id = req->auth->user_id;
    job->src_pool = g_strdup(req->params[0]);
    job->src_volume = g_strdup(req->params[1]);
    job->dst_pool = g_strdup(pool_name);
    job->name = g_strdup(name);
    job->format = g_strdup(format);
    job->quota = g_steal_pointer(&quota);
    g_autofree char *target = g_strdup_printf("%s/%s", req->params[0], req->params[1]);
    /* On the request's host, where the source and the target pool are. */
    g_autoptr(VirtHost) on = api_req_host(ctx, req);
    gint64 id = tasks_submit(ctx->tasks, "clone", target, req->auth->user_id, on, run_clone, job,
                             clone_job_free, error);
    if (!id)
        return FALSE;
    return api_answer_task(ctx, resp, id, error);
}
