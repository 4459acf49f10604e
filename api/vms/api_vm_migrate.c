/* POST /api/vms/{vm}/migrate: moves a VM to another libvirt host with the
 * migration engine (virt/virt_migrate.h, docs/migration.md). The checks run
 * in the request, each refusal a 409 naming what the target lacks; the move
 * is a task with the job's progress, and a cancel aborts it, leaving both
 * hosts as they were. The VM keeps its UUID, so its inventory rows (owner,
 * grants, tags) follow it (docs/hosts.md). */
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/tasks/api_tasks.h"
#include "api/tasks/task_engine.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_hosts.h"
#include "virt/virt_migrate.h"
#include "virt/virt_storage.h"

#include <gio/gio.h>
#include <math.h>

typedef struct {
    ApiContext *ctx;
    VirtHost *from, *to;
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    VirtMigrateOptions opts;
} MigrateJob;

static void migrate_job_free(MigrateJob *job)
{
    virt_host_unref(job->from);
    virt_host_unref(job->to);
    g_free(job->name);
    g_free(job);
}

/* A refusal of the checks is the target's state: 409, its name first. */
static gboolean refusal(GError **error)
{
    if (!*error || (*error)->domain != VIRT_MIGRATE_ERROR)
        return FALSE;
    g_autoptr(GError) why = g_steal_pointer(error);
    return api_fail(error, API_ERROR_CONFLICT, "%s: %s", virt_migrate_refusal_name(why->code),
                    why->message);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MigrateJob, migrate_job_free)

typedef struct {
    Task *task;
    char *to_name;
} Follow;

static gboolean on_progress(guint64 done, guint64 total, double fraction, gpointer data)
{
    Follow *f = data;
    g_autofree char *msg = g_strdup_printf("to %s: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                                           " MiB",
                                           f->to_name, done >> 20, total >> 20);
    /* 99 at most until libvirt says it is done. */
    task_progress(f->task, (int)MIN(99.0, floor(fraction * 100.0)), msg);
    return !task_cancel_requested(f->task);
}

/* After a move with its storage the source's volumes are gone, and their
 * copies on the target (same pool, same name) are their makers': volume
 * owners are kept per host (docs/hosts.md). */
static void move_owners(const MigrateJob *job, virConnectPtr dst, const GPtrArray *disks)
{
    for (guint i = 0; disks && i < disks->len; i++) {
        const VirtMigrateDisk *d = g_ptr_array_index(disks, i);
        g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(dst, d->pool);
        g_autoptr(virStorageVol) vol = pool ? virStorageVolLookupByName(pool, d->volume) : NULL;
        g_autofree char *path = vol ? virStorageVolGetPath(vol) : NULL;
        virResetLastError();
        g_autoptr(GError) why = NULL;
        if (!path || !db_volume_owner_move(job->ctx->db, virt_host_id(job->from), d->path,
                                           virt_host_id(job->to), path, &why))
            g_warning("migration: who made %s is not carried to its copy: %s", d->path,
                      why ? why->message : "the copy is not found");
    }
}

static gboolean run_migrate(Task *task, gpointer data, char **result, GError **error)
{
    MigrateJob *job = data;
    g_autofree char *to_name = virt_host_name(job->to);
    g_autoptr(virConnect) src = virt_conn_get(virt_host_conn(job->from), error);
    g_autoptr(virConnect) dst = src ? virt_conn_get(virt_host_conn(job->to), error) : NULL;
    g_autoptr(virDomain) dom = dst ? virt_domain_lookup(src, job->uuid, error) : NULL;
    if (!dom)
        return FALSE;
    /* Read before the move: the source's disks are deleted by it. */
    g_autoptr(GPtrArray) disks = job->opts.copy_storage ? virt_migrate_disks(src, dom, error)
                                                        : NULL;
    if (job->opts.copy_storage && !disks)
        return FALSE;
    Follow f = {task, to_name};
    VirtMigrateResult done = {0};
    g_autoptr(virDomain)
        moved = virt_migrate_run(src, dom, dst, &job->opts, on_progress, &f, &done, error);
    virt_model_invalidate(virt_host_model(job->from), job->uuid);
    virt_model_invalidate(virt_host_model(job->to), job->uuid);
    if (!moved) {
        refusal(error);
        return FALSE;
    }
    move_owners(job, dst, disks);
    g_autofree char *msg = g_strdup_printf("on %s (libvirt job %" G_GUINT64_FORMAT
                                           " ms, paused %" G_GUINT64_FORMAT " ms)",
                                           to_name, done.elapsed_ms, done.downtime_ms);
    task_progress(task, 100, msg);
    g_autofree char *escaped = g_uri_escape_string(job->name, NULL, FALSE);
    *result = g_strdup_printf("/api/vms/%s?host=%" G_GINT64_FORMAT, escaped, virt_host_id(job->to));
    return TRUE;
}

gboolean api_vm_migrate(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"host", "live", "copy_storage", NULL};
    static const char *const required[] = {"host", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *to_name = NULL;
    int live = 1, copy_storage = 0;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) ||
        !api_json_opt_string(body, "host", 256, &to_name, error) ||
        !api_json_opt_bool(body, "live", &live, error) ||
        !api_json_opt_bool(body, "copy_storage", &copy_storage, error))
        return FALSE;
    if (!ctx->tasks)
        return api_fail(error, API_ERROR_UNAVAILABLE, "no task engine");
    g_autoptr(MigrateJob) job = g_new0(MigrateJob, 1);
    job->ctx = ctx;
    job->opts.live = live;
    job->opts.copy_storage = copy_storage;
    job->from = api_req_host(ctx, req);
    job->to = api_scope_host(req->scope, "host", to_name, error);
    if (!job->from || !job->to)
        return job->from ? FALSE : api_fail(error, API_ERROR_UNAVAILABLE, "no hosts registry");
    g_autofree char *from_name = virt_host_name(job->from);
    if (virt_host_id(job->from) == virt_host_id(job->to))
        return api_fail(error, API_ERROR_CONFLICT, "same_host: VM '%s' is on host '%s' already",
                        req->params[0], from_name);
    g_autoptr(virConnect) src = virt_conn_get(virt_host_conn(job->from), error);
    g_autoptr(virConnect) dst = src ? virt_conn_get(virt_host_conn(job->to), error) : NULL;
    g_autoptr(virDomain) dom = dst ? virt_domain_lookup(src, req->params[0], error) : NULL;
    if (!dom || virDomainGetUUIDString(dom, job->uuid) < 0)
        return dom ? api_fail(error, API_ERROR_INTERNAL, "reading the VM's UUID failed") : FALSE;
    job->name = g_strdup(virDomainGetName(dom));
    /* Checked here so that a refusal is the request's 409, not a task's. */
    if (!virt_migrate_check(src, dom, dst, &job->opts, error)) {
        refusal(error);
        return FALSE;
    }
    MigrateJob *queued = g_steal_pointer(&job);
    /* The task is the source host's: the VM is there until it moved. */
    gint64 id = tasks_submit(ctx->tasks, "vm-migrate", queued->name,
                             req->auth ? req->auth->user_id : 0, queued->from, run_migrate, queued,
                             (GDestroyNotify)migrate_job_free, error);
    return id && api_answer_task(ctx, resp, id, error);
}
