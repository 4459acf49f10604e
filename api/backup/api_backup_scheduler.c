/* The scheduler of backup jobs (see api_backups.h): one thread that looks
 * at every job now and then and runs those due, and the set of jobs
 * running, so that a job never runs twice at once. */
#include "api/backup/api_backup_schedule.h"
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "db/db_audit.h"
#include "virt/virt_error.h"

#include <string.h>

struct ApiBackups {
    ApiContext *ctx;
    GMutex lock;
    GCond wake;
    GHashTable *running; /* job ids */
    gboolean stopping;
    guint period_s;
    GThread *thread;
};

ApiBackups *api_backups_new(ApiContext *ctx)
{
    ApiBackups *b = g_new0(ApiBackups, 1);
    b->ctx = ctx;
    g_mutex_init(&b->lock);
    g_cond_init(&b->wake);
    b->running = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    return b;
}

gboolean api_backups_claim(ApiBackups *b, gint64 id)
{
    g_mutex_lock(&b->lock);
    gboolean free_now = !g_hash_table_contains(b->running, &id);
    if (free_now)
        g_hash_table_add(b->running, g_memdup2(&id, sizeof id));
    g_mutex_unlock(&b->lock);
    return free_now;
}

void api_backups_release(ApiBackups *b, gint64 id)
{
    g_mutex_lock(&b->lock);
    g_hash_table_remove(b->running, &id);
    g_mutex_unlock(&b->lock);
}

/* A run the scheduler began is in the audit log like one asked for. */
static void audit_run(ApiContext *ctx, const DbBackupJob *job, gint64 task, const GError *why)
{
    g_autofree char *path = g_strdup_printf("/api/backups/jobs/%s/run", job->name);
    g_autofree char *detail = why ? g_strdup(why->message)
                                  : g_strdup_printf("scheduled, task %" G_GINT64_FORMAT, task);
    DbAuditEntry e = {.username = (char *)"(scheduler)",
                      .address = (char *)"",
                      .method = (char *)"POST",
                      .path = path,
                      .target = job->name,
                      .action = (char *)"backup.job.run"};
    g_autoptr(GError) error = NULL;
    gint64 id = db_audit_add(ctx->db, &e, &error);
    if (!id || !db_audit_finish(ctx->db, id, why ? 409 : 202, detail, 0, &error))
        g_warning("backups: audit log write failed: %s", error->message);
}

static void run_due(ApiBackups *b)
{
    ApiContext *ctx = b->ctx;
    g_autoptr(GError) error = NULL;
    /* Not before libvirt answers: a run would only fail. */
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, NULL);
    virResetLastError();
    if (!conn)
        return;
    g_autoptr(GPtrArray) jobs = db_backup_job_list(ctx->db, &error);
    if (!jobs) {
        g_warning("backups: reading the jobs failed: %s", error->message);
        return;
    }
    g_autoptr(GTimeZone) tz = g_time_zone_new_local();
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    for (guint i = 0; i < jobs->len; i++) {
        const DbBackupJob *job = g_ptr_array_index(jobs, i);
        ApiBackupSchedule s = {.weekly = strcmp(job->every, "week") == 0,
                               .at_minute = job->at_minute,
                               .weekday = job->weekday};
        gint64 since = job->last_run_at ? job->last_run_at : job->created_at;
        if (!api_backup_due(&s, since, now, tz))
            continue;
        g_autoptr(GError) why = NULL;
        gint64 task = api_backups_run(ctx, job->name, 0, &why);
        if (task || !g_error_matches(why, API_ERROR, API_ERROR_CONFLICT))
            audit_run(ctx, job, task, why);
        if (!task)
            g_message("backups: job '%s' is due but did not start: %s", job->name, why->message);
    }
}

static gpointer loop(gpointer data)
{
    ApiBackups *b = data;
    g_mutex_lock(&b->lock);
    while (!b->stopping) {
        g_mutex_unlock(&b->lock);
        run_due(b);
        g_mutex_lock(&b->lock);
        gint64 until = g_get_monotonic_time() + (gint64)b->period_s * G_USEC_PER_SEC;
        while (!b->stopping && g_cond_wait_until(&b->wake, &b->lock, until))
            ;
    }
    g_mutex_unlock(&b->lock);
    return NULL;
}

void api_backups_start(ApiBackups *b, guint period_s)
{
    b->period_s = MAX(period_s, 1);
    b->thread = g_thread_new("backups", loop, b);
}

void api_backups_stop(ApiBackups *b)
{
    if (!b || !b->thread)
        return;
    g_mutex_lock(&b->lock);
    b->stopping = TRUE;
    g_cond_broadcast(&b->wake);
    g_mutex_unlock(&b->lock);
    g_thread_join(g_steal_pointer(&b->thread));
}

void api_backups_free(ApiBackups *b)
{
    if (!b)
        return;
    api_backups_stop(b);
    g_hash_table_unref(b->running);
    g_cond_clear(&b->wake);
    g_mutex_clear(&b->lock);
    g_free(b);
}
