/* The sqlite inventory: what libvirt has no place for (metadata keyed by
 * domain UUID, later users, tasks, audit). Schema is versioned by
 * PRAGMA user_version; see db_migrations.c. */
#pragma once
#include <glib.h>
#include <stdint.h>

#define DB_ERROR (db_error_quark())
GQuark db_error_quark(void);

typedef enum {
    DB_ERROR_FAILED,
    DB_ERROR_BUSY,    /* locked past the busy timeout */
    DB_ERROR_TOO_NEW, /* the file was written by a newer Vireo */
    DB_ERROR_EXISTS,  /* a unique name is taken */
    DB_ERROR_FULL,    /* the disk (or the database's size bound) is full */
} DbErrorCode;

typedef struct Db Db;

/* Opens (creating if needed) and migrates the database at `path`. */
Db *db_open(const char *path, GError **error);
void db_close(Db *db);
/* Statements run so far: tests check that a path touches the inventory
 * as little as it claims (the event stream: not at all per event). */
guint64 db_statement_count(Db *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Db, db_close)

/* Schema version after migrations, and the newest this build knows. */
int db_schema_version(Db *db);
int db_schema_latest(void);

/* Per-VM metadata (description, tags), keyed by libvirt UUID. */
typedef struct {
    char uuid[37];
    char *description;
    GStrv tags;
    int64_t created_at; /* unix seconds */
    int64_t updated_at;
} DbVmMeta;

void db_vm_meta_free(DbVmMeta *meta);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbVmMeta, db_vm_meta_free)

/* Returns the row for `uuid`, or NULL with no error when there is none. */
DbVmMeta *db_vm_meta_get(Db *db, const char *uuid, GError **error);
/* All rows, as uuid -> DbVmMeta*; the table owns the values. */
GHashTable *db_vm_meta_all(Db *db, GError **error);
/* Creates the row if missing (created_at = now); fields left NULL keep their
 * value. */
gboolean db_vm_meta_update(Db *db, const char *uuid, const char *description,
                           const char *const *tags, GError **error);
/* Makes sure a row exists for every UUID given (first sight sets created_at). */
gboolean db_vm_meta_touch_all(Db *db, const char *const *uuids, GError **error);
gboolean db_vm_meta_delete(Db *db, const char *uuid, GError **error);
/* Counts writes to VM metadata: a reader that keeps rows reads them again
 * when it moved. */
guint64 db_vm_meta_generation(Db *db);
/* Deletes rows whose UUID is not in `alive` and that were not written after
 * `not_after` (so a VM created while the list was taken is spared). Returns
 * the number of rows removed, or -1 on error. */
int db_vm_meta_prune(Db *db, const char *const *alive, int64_t not_after, GError **error);
