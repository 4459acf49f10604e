/* Internals shared by the db_*.c files; nothing above db/ includes this. */
#pragma once
#include "db/db.h"
#include <sqlite3.h>

struct Db {
    sqlite3 *handle;
    /* Held by every public db_* function: statements, their error codes and
     * change counts belong to the one shared connection, so each unit runs
     * alone. Recursive, since units call each other. */
    GRecMutex lock;
    guint64 statements;     /* prepared so far (atomic): db_statement_count */
    guint64 vm_meta_writes; /* changes to vm_meta/vm_tags (atomic): db_vm_meta_generation */
};

#define DB_LOCK(db) \
    g_autoptr(GRecMutexLocker) db_locker_ G_GNUC_UNUSED = g_rec_mutex_locker_new(&(db)->lock)

/* Sets `error` from the handle's last error, prefixed by `what`. */
void db_set_error(GError **error, Db *db, const char *what);
/* Runs SQL with no results; FALSE and `error` set on failure. */
gboolean db_exec(Db *db, const char *sql, GError **error);
/* Prepares `sql` and binds its parameters from `types`, one letter each:
 * 't' text (const char *, NULL binds NULL), 'i' integer (gint64), 'I' an
 * optional integer (gint64, 0 binds NULL), 'L' a limit (gint64, a negative
 * one binds NULL). NULL with `error` on failure. */
sqlite3_stmt *db_prepare(Db *db, GError **error, const char *sql, const char *types, ...);
/* Prepares, binds and steps a statement that returns no rows. */
gboolean db_run(Db *db, GError **error, const char *sql, const char *types, ...);
/* Runs an INSERT ... RETURNING id and answers that id (0 on error). */
gint64 db_insert(Db *db, GError **error, const char *sql, const char *types, ...);
/* Steps `st` to the end, turning each row into an element with `row`.
 * NULL with `error` (naming `what`) when a step fails. */
GPtrArray *db_collect(Db *db, sqlite3_stmt *st, gpointer (*row)(sqlite3_stmt *st),
                      GDestroyNotify free_fn, const char *what, GError **error);
/* Column helpers that never return NULL for text. */
char *db_column_text(sqlite3_stmt *st, int col);
gint64 db_now(void);
/* BEGIN IMMEDIATE ... COMMIT or ROLLBACK, for units of several statements. */
gboolean db_begin(Db *db, GError **error);
gboolean db_finish(Db *db, gboolean ok, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sqlite3_stmt, sqlite3_finalize)

/* Runs the migrations that the file has not seen yet. */
gboolean db_migrate(Db *db, GError **error);
