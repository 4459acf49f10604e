/* Who may see and act on which VM beyond admins (the owner recorded in
 * vm_meta and explicit grants), and which pools, networks and host
 * bridges they may use. */
#include "db/db_auth.h"
#include "db/db_private.h"

gboolean db_vm_set_owner(Db *db, const char *vm_uuid, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    gint64 now = db_now();
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok = db_run(db, error,
                         "INSERT OR IGNORE INTO vm_meta (uuid, created_at, updated_at) "
                         "VALUES (?1, ?2, ?2)",
                         "ti", vm_uuid, now) &&
                  db_run(db, error, "UPDATE vm_meta SET owner_id = ?1 WHERE uuid = ?2", "It",
                         user_id, vm_uuid);
    return db_finish(db, ok, error);
}

char *db_vm_owner_name(Db *db, const char *vm_uuid, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(db, error,
                                            "SELECT u.username FROM vm_meta m JOIN users u "
                                            "ON u.id = m.owner_id WHERE m.uuid = ?1",
                                            "t", vm_uuid);
    if (!st)
        return NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return db_column_text(st, 0);
    if (rc != SQLITE_DONE)
        db_set_error(error, db, "reading the VM's owner");
    return NULL;
}

gboolean db_grant_add(Db *db, gint64 user_id, const char *vm_uuid, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "INSERT OR IGNORE INTO vm_grants (user_id, vm_uuid, created_at) "
                  "VALUES (?1, ?2, ?3)",
                  "iti", user_id, vm_uuid, db_now());
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
        db_set_error(error, db, "reading inventory");
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
        db, error, "SELECT vm_uuid FROM vm_grants WHERE user_id = ?1 ORDER BY vm_uuid", "i",
        user_id);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    if (!st || !each_text(db, st, add_to_builder, b, error))
        return NULL;
    return g_strv_builder_end(b);
}

GHashTable *db_vm_visible_set(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(db, error,
                                            "SELECT vm_uuid FROM vm_grants WHERE user_id = ?1 "
                                            "UNION SELECT uuid FROM vm_meta WHERE owner_id = ?1",
                                            "i", user_id);
    g_autoptr(GHashTable) set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!st || !each_text(db, st, add_to_set, set, error))
        return NULL;
    return g_steal_pointer(&set);
}

void db_resource_grant_free(DbResourceGrant *g)
{
    if (!g)
        return;
    g_free(g->kind);
    g_free(g->name);
    g_free(g);
}

gboolean db_resource_grant_set(Db *db, gint64 user_id, const char *kind, const char *name,
                               gboolean disks, gboolean media, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "INSERT INTO resource_grants (user_id, kind, name, disks, media, "
                  "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                  "ON CONFLICT (user_id, kind, name) DO UPDATE SET "
                  "disks = excluded.disks, media = excluded.media",
                  "ittiii", user_id, kind, name, (gint64)disks, (gint64)media, db_now());
}

gboolean db_resource_grant_remove(Db *db, gint64 user_id, const char *kind, const char *name,
                                  gboolean *found, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error,
                "DELETE FROM resource_grants WHERE user_id = ?1 AND kind = ?2 AND "
                "name = ?3",
                "itt", user_id, kind, name))
        return FALSE;
    *found = sqlite3_changes(db->handle) > 0;
    return TRUE;
}

static gpointer resource_grant_from_row(sqlite3_stmt *st)
{
    DbResourceGrant *g = g_new0(DbResourceGrant, 1);
    g->kind = db_column_text(st, 0);
    g->name = db_column_text(st, 1);
    g->disks = sqlite3_column_int(st, 2) != 0;
    g->media = sqlite3_column_int(st, 3) != 0;
    g->created_at = sqlite3_column_int64(st, 4);
    return g;
}

GPtrArray *db_resource_grant_list(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error,
                        "SELECT kind, name, disks, media, created_at FROM resource_grants "
                        "WHERE user_id = ?1 ORDER BY kind, name",
                        "i", user_id);
    return db_collect(db, st, resource_grant_from_row, (GDestroyNotify)db_resource_grant_free,
                      "grants", error);
}

gboolean db_resource_grant_forget(Db *db, const char *kind, const char *name, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM resource_grants WHERE kind = ?1 AND name = ?2", "tt",
                  kind, name);
}

gboolean db_volume_owner_set(Db *db, gint64 host_id, const char *key, gint64 owner_id,
                             GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "INSERT INTO volume_owners (host_id, key, owner_id, created_at) "
                  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (host_id, key) DO UPDATE SET "
                  "owner_id = excluded.owner_id, created_at = excluded.created_at",
                  "itii", host_id, key, owner_id, db_now());
}

GHashTable *db_volume_owned_set(Db *db, gint64 host_id, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT key FROM volume_owners WHERE host_id = ?1 AND owner_id = ?2", "ii",
        host_id, user_id);
    g_autoptr(GHashTable) set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!st || !each_text(db, st, add_to_set, set, error))
        return NULL;
    return g_steal_pointer(&set);
}

/* The row of volume `key` on host `host_id` goes (the caller holds the lock). */
static gboolean owner_row_delete(Db *db, gint64 host_id, const char *key, GError **error)
{
    return db_run(db, error, "DELETE FROM volume_owners WHERE host_id = ?1 AND key = ?2", "it",
                  host_id, key);
}

gboolean db_volume_owner_forget(Db *db, gint64 host_id, const char *key, GError **error)
{
    DB_LOCK(db);
    return owner_row_delete(db, host_id, key, error);
}

gboolean db_volume_owner_move(Db *db, gint64 from_host, const char *key, gint64 to_host,
                              const char *to_key, GError **error)
{
    DB_LOCK(db);
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok = db_run(db, error,
                         "INSERT INTO volume_owners (host_id, key, owner_id, created_at) "
                         "SELECT ?3, ?4, owner_id, created_at FROM volume_owners "
                         "WHERE host_id = ?1 AND key = ?2 ON CONFLICT (host_id, key) DO UPDATE SET "
                         "owner_id = excluded.owner_id, created_at = excluded.created_at",
                         "itit", from_host, key, to_host, to_key) &&
                  owner_row_delete(db, from_host, key, error);
    return db_finish(db, ok, error);
}

static void add_key(gpointer array, const char *key)
{
    g_ptr_array_add(array, g_strdup(key));
}

int db_volume_owner_prune(Db *db, gint64 host_id, GHashTable *alive, gint64 before, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT key FROM volume_owners WHERE host_id = ?1 AND created_at < ?2", "ii",
        host_id, before);
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    if (!st || !each_text(db, st, add_key, keys, error))
        return -1;
    int removed = 0;
    for (guint i = 0; i < keys->len; i++) {
        const char *key = g_ptr_array_index(keys, i);
        if (g_hash_table_contains(alive, key))
            continue;
        if (!owner_row_delete(db, host_id, key, error))
            return -1;
        removed++;
    }
    return removed;
}
