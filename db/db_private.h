/* Internals shared by the db_*.c files; nothing above db/ includes this. */
#pragma once
#include "db/db.h"
#include <sqlite3.h>

struct Db {
    sqlite3 *handle;
    GMutex lock;   /* one writer or multi-statement unit at a time */
};

/* Sets `error` from the handle's last error, prefixed by `what`. */
void db_set_error(GError **error, Db *db, const char *what);
/* Runs SQL with no results; FALSE and `error` set on failure. */
gboolean db_exec(Db *db, const char *sql, GError **error);
/* Runs the migrations that the file has not seen yet. */
gboolean db_migrate(Db *db, GError **error);
