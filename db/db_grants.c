/* Who may see and act on which VM beyond admins: the owner recorded in
 * vm_meta and explicit grants. */
#include "db/db_auth.h"
#include "db/db_private.h"

gboolean db_vm_set_owner(Db *db, const char *vm_uuid, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    gint64 now = db_now();
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok = db_run(db, error, "INSERT OR IGNORE INTO vm_meta (uuid, created_at, updated_at) "
                                    "VALUES (?1, ?2, ?2)", "ti", vm_uuid, now) &&
                  db_run(db, error, "UPDATE vm_meta SET owner_id = ?1 WHERE uuid = ?2", "It",
                         user_id, vm_uuid);
    return db_finish(db, ok, error);
}

gboolean db_grant_add(Db *db, gint64 user_id, const char *vm_uuid, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "INSERT OR IGNORE INTO vm_grants (user_id, vm_uuid, created_at) "
                             "VALUES (?1, ?2, ?3)", "iti", user_id, vm_uuid, db_now());
}

gboolean db_grant_remove(Db *db, gint64 user_id, const char *vm_uuid, gboolean *found,
                         GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM vm_grants WHERE user_id = ?1 AND vm_uuid = ?2", "it",
                user_id, vm_uuid))
        return FALSE;
    *found = sqlite3_changes(db->handle) > 0;
    return TRUE;
}

/* Collects the first column of every row. */
static gboolean each_text(Db *db, sqlite3_stmt *st, void (*add)(gpointer, const char *),
                          gpointer target, GError **error)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        add(target, (const char *)sqlite3_column_text(st, 0));
    if (rc != SQLITE_DONE) {
        db_set_error(error, db, "reading grants");
        return FALSE;
    }
    return TRUE;
}

static void add_to_builder(gpointer b, const char *s)
{
    g_strv_builder_add(b, s);
}

static void add_to_set(gpointer set, const char *s)
{
    g_hash_table_add(set, g_strdup(s));
}

GStrv db_grant_list(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT vm_uuid FROM vm_grants WHERE user_id = ?1 ORDER BY vm_uuid", "i", user_id);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    if (!st || !each_text(db, st, add_to_builder, b, error))
        return NULL;
    return g_strv_builder_end(b);
}

GHashTable *db_vm_visible_set(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT vm_uuid FROM vm_grants WHERE user_id = ?1 "
                   "UNION SELECT uuid FROM vm_meta WHERE owner_id = ?1", "i", user_id);
    g_autoptr(GHashTable) set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!st || !each_text(db, st, add_to_set, set, error))
        return NULL;
    return g_steal_pointer(&set);
}
