/* Backup jobs and the backups they keep (migration 7). */
#pragma once
#include "db/db.h"

typedef struct {
    gint64 id;
    char *name;
    char *every;      /* "day" or "week" */
    int at_minute;    /* local time of day, minutes after midnight */
    int weekday;      /* week: 1 Monday .. 7 Sunday; day: 0 */
    GStrv vms;        /* VM UUIDs */
    gint64 *vm_hosts; /* each VM's host id (as many as vms); 0: the local host, -1: removed */
    char *pool;       /* where the archives go */
    int keep;         /* newest backups kept per VM */
    gint64 owner_id;  /* the operator who made it; 0: an admin's (admins only) */
    gint64 created_at, updated_at;
    gint64 last_run_at; /* when the last run began; 0 never */
    gint64 last_task_id;
    char *last_state;   /* running, succeeded, failed; NULL never run */
    char *last_message; /* what the last run said */
} DbBackupJob;

void db_backup_job_free(DbBackupJob *j);
/* `n` host ids from their text (one a line; missing ones 0), for vm_hosts. */
gint64 *db_backup_job_hosts_parse(const char *text, guint n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbBackupJob, db_backup_job_free)

/* By name (DbBackupJob*). */
GPtrArray *db_backup_job_list(Db *db, GError **error);
/* NULL with no error when there is none. */
DbBackupJob *db_backup_job_get(Db *db, const char *name, GError **error);
/* Inserts `j` (its id, timestamps and last run are ignored); the new id,
 * 0 on error (DB_ERROR_EXISTS for a taken name). */
gint64 db_backup_job_create(Db *db, const DbBackupJob *j, GError **error);
/* Writes name, schedule, VMs, pool and keep of job j->id. */
gboolean db_backup_job_update(Db *db, const DbBackupJob *j, GError **error);
gboolean db_backup_job_delete(Db *db, gint64 id, GError **error);
/* A run began at `at` as task `task_id` (state "running"). */
gboolean db_backup_job_started(Db *db, gint64 id, gint64 at, gint64 task_id, GError **error);
/* The last run ended: "succeeded" or "failed", with what it said. */
gboolean db_backup_job_ended(Db *db, gint64 id, const char *state, const char *message,
                             GError **error);

typedef struct {
    gint64 id;
    gint64 job_id; /* 0: the job was deleted */
    char *job_name;
    char *vm_uuid, *vm_name;
    char *pool, *volume;
    guint64 size;
    gint64 created_at;
    gint64 owner_id; /* its job's owner when it was made; 0: admins only */
    gint64 host_id;  /* the host of the VM it is of; 0: the local host, -1: removed */
} DbBackup;

void db_backup_free(DbBackup *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbBackup, db_backup_free)

/* Its id, 0 on error. */
gint64 db_backup_add(Db *db, const DbBackup *b, GError **error);
/* Newest first; `job_id` 0: every job's, `vm_uuid` NULL: every VM's (of
 * any host: the caller tells hosts apart by host_id). */
GPtrArray *db_backup_list(Db *db, gint64 job_id, const char *vm_uuid, GError **error);
/* NULL with no error when there is none. */
DbBackup *db_backup_get(Db *db, gint64 id, GError **error);
gboolean db_backup_delete(Db *db, gint64 id, GError **error);
