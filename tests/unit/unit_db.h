/* A fresh inventory on a file of its own temporary folder: what the unit
 * tests of db/ start from. */
#pragma once
#include "unit.h"

#include "db/db.h"

/* Opens a new inventory at *path (a new folder *dir, "vireo.db" in it);
 * the test fails when it cannot. */
static inline Db *unit_db_open(char **dir, char **path)
{
    *dir = unit_tmpdir();
    *path = g_build_filename(*dir, "vireo.db", NULL);
    g_autoptr(GError) error = NULL;
    Db *db = db_open(*path, &error);
    if (!db)
        fail_msg("opening %s: %s", *path, error->message);
    return db;
}

/* Closes what unit_db_open opened and removes its folder. */
static inline void unit_db_close(Db *db, char *dir, char *path)
{
    db_close(db);
    unit_rmtree(dir);
    g_free(dir);
    g_free(path);
}
