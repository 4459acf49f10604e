/* One run of a backup job as a "backup" task (see api_backups.h): each VM
 * of the job in turn, its archive into the job's pool, then the oldest of
 * that VM's backups beyond the job's `keep` removed. A VM that fails does
 * not stop the others; the task fails naming them, and the job keeps how
 * its last run ended. */
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

typedef struct {
    ApiContext *ctx;
    DbBackupJob *job;
    ApiScope *owner; /* an operator's job runs with what they may do now */
} Run;

static void run_free(gpointer data)
{
    Run *r = data;
    api_backups_release(r->ctx->backups, r->job->id);
    db_backup_job_free(r->job);
    api_scope_free(r->owner);
    g_free(r);
}

/* The oldest backups of the VM (by UUID and host: the same UUID on two
 * hosts is two VMs) beyond `keep`: their volumes and rows. */
static void prune(ApiContext *ctx, virConnectPtr conn, const DbBackupJob *job, const char *uuid,
                  gint64 host_id, GString *notes)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) all = db_backup_list(ctx->db, job->id, uuid, &error);
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    for (guint i = 0; all && i < all->len; i++) {
        const DbBackup *b = g_ptr_array_index(all, i);
        if (api_backup_same_host(ctx, b->host_id, host_id))
            g_ptr_array_add(kept, (gpointer)b);
    }
    for (guint i = (guint)job->keep; i < kept->len; i++) {
        const DbBackup *b = g_ptr_array_index(kept, i);
        g_autofree char *ref = g_strdup_printf("%s/%s", b->pool, b->volume);
        g_autoptr(virStorageVol) vol = virt_volume_lookup_ref(conn, ref, NULL, NULL);
        virResetLastError();
        g_autoptr(GError) why = NULL;
        if (vol && !virt_volume_delete(vol, &why)) {
            g_string_append_printf(notes, "; %s stays: %s", ref, why->message);
            continue;
        }
        if (!db_backup_delete(ctx->db, b->id, &why))
            g_warning("backups: %s", why->message);
        g_string_append_printf(notes, "; removed the older %s", b->volume);
    }
    if (error)
        g_warning("backups: %s", error->message);
}

/* VM `uuid` of host `host_id` (read over that host's connection) into the
 * job's pool on vireod's own host (`target`). */
static gboolean backup_one(Run *r, Task *task, const ApiBackupTarget *target, const char *uuid,
                           gint64 host_id, GString *notes, GError **error)
{
    g_autoptr(VirtHost) host = api_backup_host(r->ctx, host_id, error);
    g_autoptr(virConnect) conn = host || !r->ctx->hosts ? api_host_conn(r->ctx, host, error) : NULL;
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, uuid, error) : NULL;
    DbBackup b = {0};
    if (dom && r->owner && !api_scope_sees_vm(r->owner, uuid, error))
        return *error ? FALSE
                      : api_fail(error, API_ERROR_FORBIDDEN,
                                 "the job's owner may no longer act on this VM");
    ApiBackupTarget to = *target;
    to.vm_host = host;
    if (!dom || !api_backup_vm(r->ctx, task, &to, dom, &b, error))
        return FALSE;
    b.job_id = r->job->id;
    b.owner_id = r->job->owner_id;
    b.job_name = g_strdup(r->job->name);
    gboolean ok = db_backup_add(r->ctx->db, &b, error) != 0;
    g_string_append_printf(notes, "; %s: %s", b.vm_name, b.volume);
    g_free(b.job_name);
    g_free(b.vm_uuid);
    g_free(b.vm_name);
    g_free(b.pool);
    g_free(b.volume);
    if (ok)
        prune(r->ctx, target->conn, r->job, uuid, host_id, notes);
    return ok;
}

static gboolean run_job(Task *task, gpointer data, char **result, GError **error)
{
    Run *r = data;
    g_autoptr(GError) db_error = NULL;
    /* Written here, where the task's id is known and once it runs: a
     * run cut short before it began is still due at the next start. */
    if (!db_backup_job_started(r->ctx->db, r->job->id, g_get_real_time() / G_USEC_PER_SEC,
                               task_id(task), &db_error))
        g_warning("backups: %s", db_error->message);
    g_clear_error(&db_error);
    g_autoptr(virConnect) conn = NULL;
    /* The owner's rights as they are now: a grant taken back since the
     * job was made stops its backups of that VM, or of that pool. */
    r->owner = api_backup_owner_scope(r->ctx, r->job->owner_id, error);
    if ((r->owner || !*error) &&
        (!r->owner || api_scope_pool(r->owner, r->job->pool, API_POOL_DISKS, error)))
        conn = virt_conn_get(r->ctx->virt, error);
    /* The archives go into the job's pool on vireod's own host. */
    g_autoptr(VirtHost) local = api_req_host(r->ctx, NULL);
    ApiBackupTarget target = {.host = local, .conn = conn, .pool = r->job->pool};
    if (!conn) {
        db_backup_job_ended(r->ctx->db, r->job->id, "failed", (*error)->message, NULL);
        return FALSE;
    }
    g_autoptr(GString) notes = g_string_new(NULL);
    g_autoptr(GString) failed = g_string_new(NULL);
    guint n = g_strv_length(r->job->vms);
    for (guint i = 0; i < n && !task_cancel_requested(task); i++) {
        g_autoptr(GError) why = NULL;
        task_progress(task, (int)(100 * i / MAX(n, 1)), r->job->vms[i]);
        if (!backup_one(r, task, &target, r->job->vms[i], r->job->vm_hosts[i], notes, &why))
            g_string_append_printf(failed, "%s%s: %s", failed->len ? "; " : "", r->job->vms[i],
                                   why->message);
    }
    gboolean ok = failed->len == 0 && !task_cancel_requested(task);
    const char *said = ok ? (notes->len ? notes->str + 2 : "no VM") : failed->str;
    if (!db_backup_job_ended(r->ctx->db, r->job->id, ok ? "succeeded" : "failed",
                             task_cancel_requested(task) ? "cancelled" : said, &db_error))
        g_warning("backups: %s", db_error->message);
    if (!ok)
        return api_fail(error, API_ERROR_CONFLICT, "backups failed: %s",
                        failed->len ? failed->str : "cancelled");
    *result = g_strdup_printf("/api/backups?job=%s", r->job->name);
    return TRUE;
}

/* The one host every VM of the job is on; 0 (the local host) when they
 * are on several. */
static gint64 job_host(ApiContext *ctx, const DbBackupJob *job)
{
    gint64 one = job->vms[0] ? job->vm_hosts[0] : 0;
    for (guint i = 1; job->vms[i]; i++)
        if (!api_backup_same_host(ctx, job->vm_hosts[i], one))
            return 0;
    return one;
}

gint64 api_backups_run(ApiContext *ctx, const char *name, gint64 owner_id, GError **error)
{
    g_autoptr(DbBackupJob) job = db_backup_job_get(ctx->db, name, error);
    if (!job) {
        if (!*error)
            api_fail(error, API_ERROR_NOT_FOUND, "no backup job named '%s'", name);
        return 0;
    }
    if (!ctx->tasks || !ctx->backups) {
        api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
        return 0;
    }
    if (!api_backups_claim(ctx->backups, job->id)) {
        api_fail(error, API_ERROR_CONFLICT, "backup job '%s' is running", name);
        return 0;
    }
    Run *r = g_new0(Run, 1);
    r->ctx = ctx;
    r->job = g_steal_pointer(&job);
    /* A scheduled run of an operator's job is their task, which they see.
     * run_free lets the claim go, also when queueing fails. */
    gint64 task_owner = owner_id ? owner_id : r->job->owner_id;
    /* The task is on the host of the job's VMs when they are all on one,
     * else on the local host; what it makes says its own host (the
     * archives the local host's, a running VM's scratch copies its own). */
    g_autoptr(VirtHost) on = api_backup_host(ctx, job_host(ctx, r->job), NULL);
    if (!on)
        on = api_req_host(ctx, NULL);
    return tasks_submit(ctx->tasks, "backup", name, task_owner, on, run_job, r, run_free, error);
}
