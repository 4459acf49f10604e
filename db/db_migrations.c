/* The schema, as an append-only list of migrations. Entry N takes the file
 * from user_version N to N+1; never edit a released entry, add a new one. */
#include "db/db_private.h"

static const char *const migrations[] = {
    /* 1: per-VM metadata keyed by libvirt UUID */
    "CREATE TABLE vm_meta ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE vm_tags ("
    "  uuid TEXT NOT NULL REFERENCES vm_meta(uuid) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  tag TEXT NOT NULL,"
    "  PRIMARY KEY (uuid, tag));",
};

int db_schema_latest(void)
{
    return G_N_ELEMENTS(migrations);
}

int db_schema_version(Db *db)
{
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db->handle, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

gboolean db_migrate(Db *db, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&db->lock);
    int version = db_schema_version(db);
    if (version < 0) {
        db_set_error(error, db, "reading schema version");
        return FALSE;
    }
    if (version > db_schema_latest()) {
        g_set_error(error, DB_ERROR, DB_ERROR_TOO_NEW,
                    "schema version %d is newer than this vireod knows (%d)",
                    version, db_schema_latest());
        return FALSE;
    }
    for (int v = version; v < db_schema_latest(); v++) {
        /* Each step and its version bump commit together, or not at all. */
        g_autofree char *sql = g_strdup_printf(
            "BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;", migrations[v], v + 1);
        if (!db_exec(db, sql, error)) {
            db_exec(db, "ROLLBACK;", NULL);
            g_prefix_error(error, "migration %d: ", v + 1);
            return FALSE;
        }
    }
    return TRUE;
}
