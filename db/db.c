/* Opening the sqlite inventory: WAL, foreign keys, busy timeout, then the
 * migrations. One connection serves the daemon; sqlite runs in serialized
 * mode and Db.lock groups multi-statement units. */
#include "db/db_private.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

/* Not G_DEFINE_QUARK: its plain static cache is written by every thread that
 * calls first, at once (a data race TSan reports); g_once has one writer. */
GQuark db_error_quark(void)
{
    static gsize quark;
    if (g_once_init_enter(&quark))
        g_once_init_leave(&quark, g_quark_from_static_string("db-error-quark"));
    return (GQuark)quark;
}

void db_set_error(GError **error, Db *db, const char *what)
{
    int rc = sqlite3_extended_errcode(db->handle);
    DbErrorCode code = DB_ERROR_FAILED;
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        code = DB_ERROR_BUSY;
    else if ((rc & 0xff) == SQLITE_FULL)
        code = DB_ERROR_FULL;
    else if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = DB_ERROR_EXISTS;
    g_set_error(error, DB_ERROR, code, "%s: %s", what, sqlite3_errmsg(db->handle));
}

gboolean db_exec(Db *db, const char *sql, GError **error)
{
    char *msg = NULL;
    if (sqlite3_exec(db->handle, sql, NULL, NULL, &msg) != SQLITE_OK) {
        /* The error code says why (busy, full); the message says where. */
        db_set_error(error, db, msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return FALSE;
    }
    return TRUE;
}

static sqlite3_stmt *prepare_va(Db *db, GError **error, const char *sql, const char *types,
                                va_list ap)
{
    sqlite3_stmt *st = NULL;
    __atomic_add_fetch(&db->statements, 1, __ATOMIC_RELAXED);
    if (sqlite3_prepare_v2(db->handle, sql, -1, &st, NULL) != SQLITE_OK) {
        db_set_error(error, db, "preparing statement");
        return NULL;
    }
    for (int i = 0; types && types[i]; i++) {
        int rc;
        if (types[i] == 't') {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(st, i + 1);
        } else {
            gint64 v = va_arg(ap, gint64);
            rc = (types[i] == 'I' && v == 0) || (types[i] == 'L' && v < 0)
                     ? sqlite3_bind_null(st, i + 1)
                     : sqlite3_bind_int64(st, i + 1, v);
        }
        if (rc != SQLITE_OK) {
            db_set_error(error, db, "binding parameter");
            sqlite3_finalize(st);
            return NULL;
        }
    }
    return st;
}

sqlite3_stmt *db_prepare(Db *db, GError **error, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *st = prepare_va(db, error, sql, types, ap);
    va_end(ap);
    return st;
}

gboolean db_run(Db *db, GError **error, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    g_autoptr(sqlite3_stmt) st = prepare_va(db, error, sql, types, ap);
    va_end(ap);
    if (!st)
        return FALSE;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        db_set_error(error, db, "writing inventory");
        return FALSE;
    }
    return TRUE;
}

gint64 db_insert(Db *db, GError **error, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    g_autoptr(sqlite3_stmt) st = prepare_va(db, error, sql, types, ap);
    va_end(ap);
    if (!st)
        return 0;
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_set_error(error, db, "writing inventory");
        return 0;
    }
    gint64 id = sqlite3_column_int64(st, 0);
    /* With RETURNING the row comes before the write is done: outside a
     * transaction the commit happens at the last step, and it can fail
     * (a full disk). Only a statement stepped to its end has written. */
    if (sqlite3_step(st) != SQLITE_DONE) {
        db_set_error(error, db, "writing inventory");
        return 0;
    }
    return id;
}

GPtrArray *db_collect(Db *db, sqlite3_stmt *st, gpointer (*row)(sqlite3_stmt *st),
                      GDestroyNotify free_fn, const char *what, GError **error)
{
    if (!st)
        return NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(free_fn);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(out, row(st));
    if (rc != SQLITE_DONE) {
        g_autofree char *msg = g_strdup_printf("reading %s", what);
        db_set_error(error, db, msg);
        return NULL;
    }
    return g_steal_pointer(&out);
}

char *db_column_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return g_strdup(t ? (const char *)t : "");
}

gint64 db_now(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

gboolean db_begin(Db *db, GError **error)
{
    return db_exec(db, "BEGIN IMMEDIATE", error);
}

gboolean db_finish(Db *db, gboolean ok, GError **error)
{
    if (ok && db_exec(db, "COMMIT", error))
        return TRUE;
    db_exec(db, "ROLLBACK", NULL);
    return FALSE;
}

static gboolean ensure_parent_dir(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, DB_ERROR, DB_ERROR_FAILED, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

Db *db_open(const char *path, GError **error)
{
    if (!ensure_parent_dir(path, error))
        return NULL;
    Db *db = g_new0(Db, 1);
    g_rec_mutex_init(&db->lock);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &db->handle, flags, NULL) != SQLITE_OK) {
        g_set_error(error, DB_ERROR, DB_ERROR_FAILED, "cannot open %s: %s", path,
                    db->handle ? sqlite3_errmsg(db->handle) : "out of memory");
        db_close(db);
        return NULL;
    }
    /* The file holds session secrets later on: keep it private. */
    (void)chmod(path, 0600);
    sqlite3_busy_timeout(db->handle, 5000);
    if (!db_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                 "PRAGMA synchronous=NORMAL;",
                 error) ||
        !db_migrate(db, error)) {
        g_prefix_error(error, "%s: ", path);
        db_close(db);
        return NULL;
    }
    return db;
}

void db_close(Db *db)
{
    if (!db)
        return;
    if (db->handle)
        sqlite3_close_v2(db->handle);
    g_rec_mutex_clear(&db->lock);
    g_free(db);
}

guint64 db_statement_count(Db *db)
{
    return __atomic_load_n(&db->statements, __ATOMIC_RELAXED);
}
