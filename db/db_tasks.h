/* Tasks in the inventory: long work (copies, uploads, creates) with its
 * state, progress, result link and error, so it outlives a page reload and
 * a restart tells what was cut short. */
#pragma once
#include "db/db.h"

typedef struct {
    gint64 id;
    char *kind;   /* "clone", "upload" ... */
    char *state;  /* queued, running, succeeded, failed, cancelled */
    int progress; /* 0-100 */
    char *message;
    char *target;     /* what it works on, e.g. "pool/volume" */
    char *result;     /* a link to what it made, or NULL */
    char *error_code; /* NULL unless failed or cancelled */
    char *error_message;
    char *error_detail; /* the hypervisor's own words at the end of the message, or NULL */
    gint64 owner_id;    /* 0: no owner (user deleted) */
    char *owner_name;   /* NULL without owner */
    gint64 host_id;     /* the libvirt host it works on; 0: the local one (before hosts) */
    char *host_name;    /* NULL without host, or once that host was removed */
    gboolean cancel_requested;
    gboolean cancellable;
    gint64 created_at, started_at, finished_at; /* unix seconds; 0 = not yet */
} DbTask;

void db_task_free(DbTask *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbTask, db_task_free)

/* Every state a task may be in, NULL-terminated. */
extern const char *const db_task_states[];
/* How many tasks are in each of db_task_states (counts[i]); FALSE on error. */
gboolean db_task_count_by_state(Db *db, gint64 *counts, GError **error);

/* TRUE for the states a task never leaves. */
gboolean db_task_state_final(const char *state);

/* A new task in state `state` ("queued" or "running") on host `host_id`
 * (0: none named); its id, 0 on error. */
gint64 db_task_create(Db *db, const char *kind, const char *target, gint64 owner_id, gint64 host_id,
                      gboolean cancellable, const char *state, GError **error);
/* The task, or NULL with no error when there is none. */
DbTask *db_task_get(Db *db, gint64 id, GError **error);

typedef struct {
    gint64 owner_id;   /* 0: everyone's */
    gint64 host_id;    /* 0: every host's */
    const char *state; /* NULL: any */
    gint64 before_id;  /* paging: tasks older than this id; 0 = newest */
    int limit;
} DbTaskQuery;

/* Newest first (DbTask*). */
GPtrArray *db_task_list(Db *db, const DbTaskQuery *q, GError **error);

/* queued -> running. */
gboolean db_task_start(Db *db, gint64 id, GError **error);
/* Progress of a running task; `message` NULL keeps the last one. */
gboolean db_task_progress(Db *db, gint64 id, int percent, const char *message, GError **error);
gboolean db_task_request_cancel(Db *db, gint64 id, GError **error);
gboolean db_task_set_cancellable(Db *db, gint64 id, gboolean cancellable, GError **error);
/* Ends a task: `state` is succeeded (progress becomes 100), failed or
 * cancelled. */
gboolean db_task_finish(Db *db, gint64 id, const char *state, const char *result,
                        const char *error_code, const char *error_message, const char *error_detail,
                        GError **error);
/* At start-up: every task left queued or running by a previous vireod
 * fails with error code "interrupted". Returns how many, -1 on error. */
int db_task_interrupt_all(Db *db, GError **error);
/* Deletes finished tasks that ended before `before`; how many, -1 on error. */
int db_task_prune(Db *db, gint64 before, GError **error);

/* What a task is about to make (a volume "pool/name", a domain UUID),
 * recorded before it is made: a vireod killed mid-task leaves these rows,
 * and the next start removes what they name. */
typedef struct {
    gint64 id;
    gint64 task_id;
    char *kind; /* "volume" or "domain" */
    char *ref;
    gboolean made; /* the make step returned */
    gint64 created_at;
} DbTaskArtifact;

void db_task_artifact_free(DbTaskArtifact *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbTaskArtifact, db_task_artifact_free)

/* Its id, 0 on error. */
gint64 db_task_artifact_add(Db *db, gint64 task_id, const char *kind, const char *ref,
                            GError **error);
/* The same for something made on host `host_id` rather than on the
 * task's own host (0: the task's). */
gint64 db_task_artifact_add_on(Db *db, gint64 task_id, gint64 host_id, const char *kind,
                               const char *ref, GError **error);
gboolean db_task_artifact_set_made(Db *db, gint64 id, GError **error);
gboolean db_task_artifact_forget(Db *db, gint64 id, GError **error);
/* Forgets everything task `task_id` recorded: it kept or undid it all. */
gboolean db_task_artifacts_clear(Db *db, gint64 task_id, GError **error);
/* Artifacts on host `host_id` (their own host, else their task's) of
 * tasks that are no longer queued or running (DbTaskArtifact*); `local`
 * also takes those of tasks that name no host (made before hosts were). */
GPtrArray *db_task_artifacts_left(Db *db, gint64 host_id, gboolean local, GError **error);
/* Adds `note` to the error message of ended task `task_id`. */
gboolean db_task_add_note(Db *db, gint64 task_id, const char *note, GError **error);
