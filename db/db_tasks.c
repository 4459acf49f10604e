/* Task rows: create, read, list, progress, finish, and the clean-up after a
 * restart and of old finished tasks. */
#include "db/db_tasks.h"
#include "db/db_private.h"

#include <string.h>

/* Tasks with their owner's and host's names (NULL once the user or the
 * host is deleted). */
#define TASK_SELECT \
    "SELECT t.id, t.kind, t.state, t.progress, t.message, t.target, t.result, t.error_code, " \
    "t.error_message, COALESCE(t.owner_id, 0), t.cancel_requested, t.cancellable, " \
    "t.created_at, COALESCE(t.started_at, 0), COALESCE(t.finished_at, 0), u.username, " \
    "t.error_detail, COALESCE(t.host_id, 0), h.name " \
    "FROM tasks t LEFT JOIN users u ON u.id = t.owner_id LEFT JOIN hosts h ON h.id = t.host_id "

void db_task_free(DbTask *t)
{
    if (!t)
        return;
    g_free(t->kind);
    g_free(t->state);
    g_free(t->message);
    g_free(t->target);
    g_free(t->result);
    g_free(t->error_code);
    g_free(t->error_message);
    g_free(t->owner_name);
    g_free(t->host_name);
    g_free(t->error_detail);
    g_free(t);
}

gboolean db_task_state_final(const char *state)
{
    return g_strcmp0(state, "succeeded") == 0 || g_strcmp0(state, "failed") == 0 ||
           g_strcmp0(state, "cancelled") == 0;
}

static char *column_or_null(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? g_strdup((const char *)t) : NULL;
}

static gpointer task_from_row(sqlite3_stmt *st)
{
    DbTask *t = g_new0(DbTask, 1);
    t->id = sqlite3_column_int64(st, 0);
    t->kind = db_column_text(st, 1);
    t->state = db_column_text(st, 2);
    t->progress = sqlite3_column_int(st, 3);
    t->message = db_column_text(st, 4);
    t->target = db_column_text(st, 5);
    t->result = column_or_null(st, 6);
    t->error_code = column_or_null(st, 7);
    t->error_message = column_or_null(st, 8);
    t->owner_id = sqlite3_column_int64(st, 9);
    t->cancel_requested = sqlite3_column_int(st, 10) != 0;
    t->cancellable = sqlite3_column_int(st, 11) != 0;
    t->created_at = sqlite3_column_int64(st, 12);
    t->started_at = sqlite3_column_int64(st, 13);
    t->finished_at = sqlite3_column_int64(st, 14);
    t->owner_name = column_or_null(st, 15);
    t->error_detail = column_or_null(st, 16);
    t->host_id = sqlite3_column_int64(st, 17);
    t->host_name = column_or_null(st, 18);
    return t;
}

gint64 db_task_create(Db *db, const char *kind, const char *target, gint64 owner_id, gint64 host_id,
                      gboolean cancellable, const char *state, GError **error)
{
    DB_LOCK(db);
    gboolean running = strcmp(state, "running") == 0;
    return db_insert(db, error,
                     "INSERT INTO tasks (kind, state, target, owner_id, cancellable, created_at, "
                     "started_at, host_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                     "tttIiiII", kind, state, target ? target : "", owner_id,
                     (gint64)(cancellable ? 1 : 0), db_now(), running ? db_now() : (gint64)0,
                     host_id);
}

DbTask *db_task_get(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(db, error, TASK_SELECT "WHERE t.id = ?1", "i", id);
    g_autoptr(GPtrArray)
        rows = db_collect(db, st, task_from_row, (GDestroyNotify)db_task_free, "task", error);
    if (!rows || rows->len == 0)
        return NULL;
    return g_ptr_array_steal_index(rows, 0);
}

GPtrArray *db_task_list(Db *db, const DbTaskQuery *q, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error,
        TASK_SELECT
        "WHERE (?1 = 0 OR t.owner_id = ?1) AND (?2 IS NULL OR t.state = ?2) "
        "AND (?3 = 0 OR t.id < ?3) AND (?5 = 0 OR t.host_id = ?5) ORDER BY t.id DESC LIMIT ?4",
        "itiii", q->owner_id, q->state, q->before_id, (gint64)q->limit, q->host_id);
    return db_collect(db, st, task_from_row, (GDestroyNotify)db_task_free, "tasks", error);
}

const char *const db_task_states[] = {"queued", "running",   "succeeded",
                                      "failed", "cancelled", NULL};

gboolean db_task_count_by_state(Db *db, gint64 *counts, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT state, count(*) FROM tasks GROUP BY state", NULL);
    if (!st)
        return FALSE;
    for (int i = 0; db_task_states[i]; i++)
        counts[i] = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        for (int i = 0; db_task_states[i]; i++)
            if (g_strcmp0(state, db_task_states[i]) == 0)
                counts[i] = sqlite3_column_int64(st, 1);
    }
    if (rc != SQLITE_DONE) {
        db_set_error(error, db, "counting tasks");
        return FALSE;
    }
    return TRUE;
}

gboolean db_task_start(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE tasks SET state = 'running', started_at = ?2 "
                  "WHERE id = ?1 AND state = 'queued'",
                  "ii", id, db_now());
}

gboolean db_task_progress(Db *db, gint64 id, int percent, const char *message, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE tasks SET progress = ?2, message = COALESCE(?3, message) "
                  "WHERE id = ?1 AND state = 'running'",
                  "iit", id, (gint64)CLAMP(percent, 0, 100), message);
}

gboolean db_task_request_cancel(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "UPDATE tasks SET cancel_requested = 1 WHERE id = ?1", "i", id);
}

gboolean db_task_set_cancellable(Db *db, gint64 id, gboolean cancellable, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "UPDATE tasks SET cancellable = ?2 WHERE id = ?1", "ii", id,
                  (gint64)(cancellable ? 1 : 0));
}

gboolean db_task_finish(Db *db, gint64 id, const char *state, const char *result,
                        const char *error_code, const char *error_message, const char *error_detail,
                        GError **error)
{
    DB_LOCK(db);
    gboolean ok = strcmp(state, "succeeded") == 0;
    return db_run(db, error,
                  "UPDATE tasks SET state = ?2, result = ?3, error_code = ?4, error_message = ?5, "
                  "finished_at = ?6, progress = CASE WHEN ?7 THEN 100 ELSE progress END, "
                  "started_at = COALESCE(started_at, ?6), error_detail = ?8 WHERE id = ?1",
                  "ittttiit", id, state, result, error_code, error_message, db_now(),
                  (gint64)(ok ? 1 : 0), error_detail);
}

int db_task_interrupt_all(Db *db, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error,
                "UPDATE tasks SET state = 'failed', error_code = 'interrupted', "
                "error_message = 'vireod restarted', finished_at = ?1 "
                "WHERE state IN ('queued', 'running')",
                "i", db_now()))
        return -1;
    return sqlite3_changes(db->handle);
}

int db_task_prune(Db *db, gint64 before, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM tasks WHERE finished_at IS NOT NULL AND finished_at < ?1",
                "i", before))
        return -1;
    return sqlite3_changes(db->handle);
}

void db_task_artifact_free(DbTaskArtifact *a)
{
    if (!a)
        return;
    g_free(a->kind);
    g_free(a->ref);
    g_free(a);
}

gint64 db_task_artifact_add(Db *db, gint64 task_id, const char *kind, const char *ref,
                            GError **error)
{
    return db_task_artifact_add_on(db, task_id, 0, kind, ref, error);
}

gint64 db_task_artifact_add_on(Db *db, gint64 task_id, gint64 host_id, const char *kind,
                               const char *ref, GError **error)
{
    DB_LOCK(db);
    return db_insert(db, error,
                     "INSERT INTO task_artifacts (task_id, kind, ref, created_at, host_id) "
                     "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                     "ittiI", task_id, kind, ref, db_now(), host_id);
}

gboolean db_task_artifact_set_made(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "UPDATE task_artifacts SET made = 1 WHERE id = ?1", "i", id);
}

gboolean db_task_artifact_forget(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM task_artifacts WHERE id = ?1", "i", id);
}

gboolean db_task_artifacts_clear(Db *db, gint64 task_id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM task_artifacts WHERE task_id = ?1", "i", task_id);
}

static gpointer artifact_from_row(sqlite3_stmt *st)
{
    DbTaskArtifact *a = g_new0(DbTaskArtifact, 1);
    a->id = sqlite3_column_int64(st, 0);
    a->task_id = sqlite3_column_int64(st, 1);
    a->kind = db_column_text(st, 2);
    a->ref = db_column_text(st, 3);
    a->made = sqlite3_column_int(st, 4) != 0;
    a->created_at = sqlite3_column_int64(st, 5);
    return a;
}

GPtrArray *db_task_artifacts_left(Db *db, gint64 host_id, gboolean local, GError **error)
{
    DB_LOCK(db);
    /* Domains after the volumes they use, newest first within a kind: an
     * overlay goes before the volume it sits on. */
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error,
                        "SELECT a.id, a.task_id, a.kind, a.ref, a.made, a.created_at "
                        "FROM task_artifacts a JOIN tasks t ON t.id = a.task_id "
                        "WHERE t.state NOT IN ('queued', 'running') "
                        "AND (COALESCE(a.host_id, t.host_id) = ?1 "
                        "OR (?2 AND COALESCE(a.host_id, t.host_id) IS NULL)) "
                        "ORDER BY a.kind = 'volume', a.id DESC",
                        "ii", host_id, (gint64)(local ? 1 : 0));
    return db_collect(db, st, artifact_from_row, (GDestroyNotify)db_task_artifact_free,
                      "task artifacts", error);
}

gboolean db_task_add_note(Db *db, gint64 task_id, const char *note, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE tasks SET error_message = "
                  "CASE WHEN COALESCE(error_message, '') = '' THEN ?2 "
                  "ELSE error_message || '; ' || ?2 END WHERE id = ?1",
                  "it", task_id, note);
}
