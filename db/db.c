/* Opening the sqlite inventory: WAL, foreign keys, busy timeout, then the
 * migrations. One connection serves the daemon; sqlite runs in serialized
 * mode and Db.lock groups multi-statement units. */
#include "db/db_private.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK(db-error-quark, db_error)

void db_set_error(GError **error, Db *db, const char *what)
{
    int rc = sqlite3_extended_errcode(db->handle);
    DbErrorCode code = ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
                           ? DB_ERROR_BUSY : DB_ERROR_FAILED;
    g_set_error(error, DB_ERROR, code, "%s: %s", what, sqlite3_errmsg(db->handle));
}

gboolean db_exec(Db *db, const char *sql, GError **error)
{
    char *msg = NULL;
    if (sqlite3_exec(db->handle, sql, NULL, NULL, &msg) != SQLITE_OK) {
        g_set_error(error, DB_ERROR, DB_ERROR_FAILED, "%s", msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return FALSE;
    }
    return TRUE;
}

static gboolean ensure_parent_dir(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        g_set_error(error, DB_ERROR, DB_ERROR_FAILED, "cannot create %s: %s",
                    dir, g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

Db *db_open(const char *path, GError **error)
{
    if (!ensure_parent_dir(path, error))
        return NULL;
    Db *db = g_new0(Db, 1);
    g_mutex_init(&db->lock);
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
    if (!db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                     "PRAGMA synchronous=NORMAL;", error) ||
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
    g_mutex_clear(&db->lock);
    g_free(db);
}
