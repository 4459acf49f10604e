/* Backup jobs and kept backups in the inventory (see db_backups.h). */
#include "db/db_backups.h"
#include "db/db_private.h"

void db_backup_job_free(DbBackupJob *j)
{
    if (!j)
        return;
    g_free(j->name);
    g_free(j->every);
    g_strfreev(j->vms);
    g_free(j->vm_hosts);
    g_free(j->pool);
    g_free(j->last_state);
    g_free(j->last_message);
    g_free(j);
}

void db_backup_free(DbBackup *b)
{
    if (!b)
        return;
    g_free(b->job_name);
    g_free(b->vm_uuid);
    g_free(b->vm_name);
    g_free(b->pool);
    g_free(b->volume);
    g_free(b);
}

gint64 *db_backup_job_hosts_parse(const char *text, guint n)
{
    gint64 *hosts = g_new0(gint64, MAX(n, 1));
    g_auto(GStrv) ids = g_strsplit(text ? text : "", "\n", -1);
    for (guint i = 0; i < n && ids[i]; i++)
        if (!g_ascii_string_to_signed(ids[i], 10, -1, G_MAXINT64, &hosts[i], NULL))
            hosts[i] = 0;
    return hosts;
}

/* One host id a line beside `vms`; NULL when every VM is the local host's. */
static char *hosts_text(const DbBackupJob *j)
{
    guint n = g_strv_length(j->vms);
    gboolean any = FALSE;
    g_autoptr(GString) s = g_string_new(NULL);
    for (guint i = 0; i < n; i++) {
        gint64 h = j->vm_hosts ? j->vm_hosts[i] : 0;
        any |= h != 0;
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "\n" : "", h);
    }
    return any ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

#define JOB_COLUMNS \
    "id, name, every, at_minute, weekday, vms, pool, keep, created_at, updated_at, " \
    "COALESCE(last_run_at, 0), COALESCE(last_task_id, 0), last_state, last_message, " \
    "COALESCE(owner_id, 0), COALESCE(vm_hosts, '')"

static char *text_or_null(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : db_column_text(st, col);
}

static gpointer job_from_row(sqlite3_stmt *st)
{
    DbBackupJob *j = g_new0(DbBackupJob, 1);
    j->id = sqlite3_column_int64(st, 0);
    j->name = db_column_text(st, 1);
    j->every = db_column_text(st, 2);
    j->at_minute = sqlite3_column_int(st, 3);
    j->weekday = sqlite3_column_int(st, 4);
    g_autofree char *vms = db_column_text(st, 5);
    j->vms = *vms ? g_strsplit(vms, "\n", -1) : g_new0(char *, 1);
    j->pool = db_column_text(st, 6);
    j->keep = sqlite3_column_int(st, 7);
    j->created_at = sqlite3_column_int64(st, 8);
    j->updated_at = sqlite3_column_int64(st, 9);
    j->last_run_at = sqlite3_column_int64(st, 10);
    j->last_task_id = sqlite3_column_int64(st, 11);
    j->last_state = text_or_null(st, 12);
    j->last_message = text_or_null(st, 13);
    j->owner_id = sqlite3_column_int64(st, 14);
    g_autofree char *hosts = db_column_text(st, 15);
    j->vm_hosts = db_backup_job_hosts_parse(hosts, g_strv_length(j->vms));
    return j;
}

GPtrArray *db_backup_job_list(Db *db, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT " JOB_COLUMNS " FROM backup_jobs ORDER BY name", "");
    return st ? db_collect(db, st, job_from_row, (GDestroyNotify)db_backup_job_free, "backup jobs",
                           error)
              : NULL;
}

DbBackupJob *db_backup_job_get(Db *db, const char *name, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT " JOB_COLUMNS " FROM backup_jobs WHERE name = ?1", "t", name);
    g_autoptr(GPtrArray)
        rows = st ? db_collect(db, st, job_from_row, (GDestroyNotify)db_backup_job_free,
                               "backup jobs", error)
                  : NULL;
    return rows && rows->len ? g_ptr_array_steal_index(rows, 0) : NULL;
}

gint64 db_backup_job_create(Db *db, const DbBackupJob *j, GError **error)
{
    DB_LOCK(db);
    g_autofree char *vms = g_strjoinv("\n", j->vms);
    g_autofree char *hosts = hosts_text(j);
    return db_insert(db, error,
                     "INSERT INTO backup_jobs (name, every, at_minute, weekday, vms, pool, keep, "
                     "created_at, updated_at, owner_id, vm_hosts) VALUES (?1, ?2, ?3, ?4, ?5, "
                     "?6, ?7, ?8, ?8, ?9, ?10) RETURNING id",
                     "ttiittiiIt", j->name, j->every, (gint64)j->at_minute, (gint64)j->weekday, vms,
                     j->pool, (gint64)j->keep, db_now(), j->owner_id, hosts);
}

gboolean db_backup_job_update(Db *db, const DbBackupJob *j, GError **error)
{
    DB_LOCK(db);
    g_autofree char *vms = g_strjoinv("\n", j->vms);
    g_autofree char *hosts = hosts_text(j);
    return db_run(db, error,
                  "UPDATE backup_jobs SET name = ?1, every = ?2, at_minute = ?3, weekday = ?4, "
                  "vms = ?5, pool = ?6, keep = ?7, updated_at = ?8, vm_hosts = ?10 WHERE id = ?9",
                  "ttiittiiit", j->name, j->every, (gint64)j->at_minute, (gint64)j->weekday, vms,
                  j->pool, (gint64)j->keep, db_now(), j->id, hosts);
}

gboolean db_backup_job_delete(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM backup_jobs WHERE id = ?1", "i", id);
}

gboolean db_backup_job_started(Db *db, gint64 id, gint64 at, gint64 task_id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE backup_jobs SET last_run_at = ?1, last_task_id = ?2, "
                  "last_state = 'running', last_message = NULL WHERE id = ?3",
                  "iIi", at, task_id, id);
}

gboolean db_backup_job_ended(Db *db, gint64 id, const char *state, const char *message,
                             GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE backup_jobs SET last_state = ?1, last_message = ?2 WHERE id = ?3", "tti",
                  state, message, id);
}

#define BACKUP_COLUMNS \
    "id, COALESCE(job_id, 0), job_name, vm_uuid, vm_name, pool, volume, size, created_at, " \
    "COALESCE(owner_id, 0), COALESCE(host_id, 0)"

static gpointer backup_from_row(sqlite3_stmt *st)
{
    DbBackup *b = g_new0(DbBackup, 1);
    b->id = sqlite3_column_int64(st, 0);
    b->job_id = sqlite3_column_int64(st, 1);
    b->job_name = db_column_text(st, 2);
    b->vm_uuid = db_column_text(st, 3);
    b->vm_name = db_column_text(st, 4);
    b->pool = db_column_text(st, 5);
    b->volume = db_column_text(st, 6);
    b->size = (guint64)sqlite3_column_int64(st, 7);
    b->created_at = sqlite3_column_int64(st, 8);
    b->owner_id = sqlite3_column_int64(st, 9);
    b->host_id = sqlite3_column_int64(st, 10);
    return b;
}

gint64 db_backup_add(Db *db, const DbBackup *b, GError **error)
{
    DB_LOCK(db);
    return db_insert(db, error,
                     "INSERT INTO backups (job_id, job_name, vm_uuid, vm_name, pool, volume, size, "
                     "created_at, owner_id, host_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                     "?10) RETURNING id",
                     "ItttttiiII", b->job_id, b->job_name, b->vm_uuid, b->vm_name, b->pool,
                     b->volume, (gint64)b->size, b->created_at, b->owner_id, b->host_id);
}

GPtrArray *db_backup_list(Db *db, gint64 job_id, const char *vm_uuid, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error,
                        "SELECT " BACKUP_COLUMNS " FROM backups WHERE (?1 = 0 OR job_id = ?1) AND "
                        "(?2 IS NULL OR vm_uuid = ?2) ORDER BY created_at DESC, id DESC",
                        "it", job_id, vm_uuid);
    return st ? db_collect(db, st, backup_from_row, (GDestroyNotify)db_backup_free, "backups",
                           error)
              : NULL;
}

DbBackup *db_backup_get(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT " BACKUP_COLUMNS " FROM backups WHERE id = ?1", "i", id);
    g_autoptr(GPtrArray) rows = st ? db_collect(db, st, backup_from_row,
                                                (GDestroyNotify)db_backup_free, "backups", error)
                                   : NULL;
    return rows && rows->len ? g_ptr_array_steal_index(rows, 0) : NULL;
}

gboolean db_backup_delete(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM backups WHERE id = ?1", "i", id);
}
