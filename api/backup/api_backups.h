/* Backup jobs (docs/backups.md): a scheduler thread runs due jobs as
 * "backup" tasks; each run writes one archive (api_archive.h) per VM as a
 * volume of the job's pool and keeps the newest N per VM. */
#pragma once
#include "api/core/api.h"
#include "api/tasks/task_engine.h"
#include "db/db_backups.h"

typedef struct ApiBackups ApiBackups;

/* The scheduler (not yet running) and the set of jobs running now. */
ApiBackups *api_backups_new(ApiContext *ctx);
/* Starts the thread: at once (runs missed while vireod was down are due
 * now), then about every `period_s` seconds. */
void api_backups_start(ApiBackups *b, guint period_s);
void api_backups_stop(ApiBackups *b);
void api_backups_free(ApiBackups *b);

/* Marks job `id` running; FALSE when it already is. */
gboolean api_backups_claim(ApiBackups *b, gint64 id);
void api_backups_release(ApiBackups *b, gint64 id);

/* Runs job `name` now as a task owned by `owner_id` (0: nobody); the
 * task's id, or 0 with `error` (NOT_FOUND, or CONFLICT while it runs). */
gint64 api_backups_run(ApiContext *ctx, const char *name, gint64 owner_id, GError **error);

/* One VM's backup into a new volume of `pool` (with task progress and
 * cancel); fills `out` (vm, pool, volume, size, time). A shut-off VM is
 * read as it is, under its lock and watched; a running or paused one
 * through a point-in-time copy (virt_backup.h) in scratch volumes of the
 * same pool, removed afterwards. Nothing is left behind on failure. */
gboolean api_backup_vm(ApiContext *ctx, Task *task, virDomainPtr dom, const char *pool,
                       DbBackup *out, GError **error);

/* A kept backup as the API answers it. */
json_t *api_backup_json(const DbBackup *b);
/* Backup {id} of a URL; NOT_FOUND when there is none. */
DbBackup *api_backup_find(ApiContext *ctx, const char *id, GError **error);
