/* Backup jobs (docs/backups.md): a scheduler thread runs due jobs as
 * "backup" tasks; each run writes one archive (api_archive.h) per VM as a
 * volume of the job's pool and keeps the newest N per VM. */
#pragma once
#include "api/core/api.h"
#include "api/core/api_scope.h"
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

/* Runs job `name` now as a task owned by `owner_id` (0: the job's owner,
 * or nobody for an admin's job); the
 * task's id, or 0 with `error` (NOT_FOUND, or CONFLICT while it runs). */
gint64 api_backups_run(ApiContext *ctx, const char *name, gint64 owner_id, GError **error);

/* Where a backup goes: a pool of vireod's own host (`host`, `conn`),
 * whichever host the VM is on (`vm_host`, NULL: the local one). */
typedef struct {
    VirtHost *host;
    virConnectPtr conn;
    const char *pool;
    VirtHost *vm_host;
} ApiBackupTarget;

/* One VM's backup into a new volume of the target pool (with task
 * progress and cancel); fills `out` (vm, its host, pool, volume, size,
 * time). A shut-off VM is read as it is, under its lock and watched; a
 * running or paused one through a point-in-time copy (virt_backup.h) in
 * scratch volumes, removed afterwards: of the target pool for a VM of the
 * local host, of its first disk's pool on its host for another host's.
 * Nothing is left behind on failure. */
gboolean api_backup_vm(ApiContext *ctx, Task *task, const ApiBackupTarget *target, virDomainPtr dom,
                       DbBackup *out, GError **error);

/* ---- which host a backup or a job's VM is of (api_backup_host.c) ----
 * Ids as the inventory keeps them: 0 is the local host. */
/* A new reference to the host, NULL (NOT_FOUND) once it was removed. */
VirtHost *api_backup_host(ApiContext *ctx, gint64 host_id, GError **error);
/* Whether two kept ids name the same host. */
gboolean api_backup_same_host(ApiContext *ctx, gint64 a, gint64 b);
/* {"id", "name"} of the host, null once it was removed. */
json_t *api_backup_host_json(ApiContext *ctx, gint64 host_id);

/* A kept backup as the API answers it. */
json_t *api_backup_json(ApiContext *ctx, const DbBackup *b);
/* Backup {id} of a URL; NOT_FOUND when there is none or the caller may
 * not see it. */
DbBackup *api_backup_find(ApiContext *ctx, const ApiRequest *req, const char *id, GError **error);

/* ---- who may see and use what (api_backup_access.c) ----
 * Admins see every job and backup; an operator sees the jobs they made
 * and the backups those made, and what they may not see answers as if it
 * did not exist (404). */
gboolean api_backup_owned_by_caller(const ApiRequest *req, gint64 owner_id);
/* The scope of a job's owner when it runs (no request then): NULL for an
 * admin's job, or when the owner is an admin; FORBIDDEN when the owner
 * may no longer make backups (no longer an operator). */
ApiScope *api_backup_owner_scope(ApiContext *ctx, gint64 owner_id, GError **error);
