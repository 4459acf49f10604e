/* Per-VM metadata rows (description, tags) keyed by libvirt UUID. libvirt
 * stays the truth about which VMs exist; rows of vanished VMs are pruned. */
#include "db/db_private.h"

#include <string.h>

void db_vm_meta_free(DbVmMeta *meta)
{
    if (!meta)
        return;
    g_free(meta->description);
    g_strfreev(meta->tags);
    g_free(meta);
}

static DbVmMeta *meta_new(const char *uuid, const char *description, int64_t created_at,
                          int64_t updated_at)
{
    DbVmMeta *m = g_new0(DbVmMeta, 1);
    g_strlcpy(m->uuid, uuid, sizeof(m->uuid));
    m->description = g_strdup(description ? description : "");
    m->created_at = created_at;
    m->updated_at = updated_at;
    m->tags = g_new0(char *, 1);
    return m;
}

static void meta_add_tag(DbVmMeta *m, const char *tag)
{
    guint n = g_strv_length(m->tags);
    m->tags = g_renew(char *, m->tags, n + 2);
    m->tags[n] = g_strdup(tag);
    m->tags[n + 1] = NULL;
}

/* Loads rows (all, or the one `uuid`) into a uuid -> DbVmMeta table. */
static GHashTable *load(Db *db, const char *uuid, GError **error)
{
    /* Keys are copies: a key pointing into its own value (m->uuid at offset
     * 0) would make GLib treat the table as a set. */
    g_autoptr(GHashTable) out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify)db_vm_meta_free);
    const char *sql_meta =
        uuid ? "SELECT uuid, description, created_at, updated_at FROM vm_meta WHERE uuid = ?1"
             : "SELECT uuid, description, created_at, updated_at FROM vm_meta";
    const char *sql_tags = uuid ? "SELECT uuid, tag FROM vm_tags WHERE uuid = ?1 ORDER BY position"
                                : "SELECT uuid, tag FROM vm_tags ORDER BY uuid, position";
    sqlite3_stmt *st = NULL;
    gboolean ok = FALSE;

    if (sqlite3_prepare_v2(db->handle, sql_meta, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (uuid)
        sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        DbVmMeta *m = meta_new((const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1),
                               sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
        g_hash_table_replace(out, g_strdup(m->uuid), m);
    }
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db->handle, sql_tags, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (uuid)
        sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        DbVmMeta *m = g_hash_table_lookup(out, sqlite3_column_text(st, 0));
        if (m)
            meta_add_tag(m, (const char *)sqlite3_column_text(st, 1));
    }
    if (rc != SQLITE_DONE)
        goto fail;
    ok = TRUE;
fail:
    if (!ok)
        db_set_error(error, db, "reading VM metadata");
    sqlite3_finalize(st);
    return ok ? g_steal_pointer(&out) : NULL;
}

DbVmMeta *db_vm_meta_get(Db *db, const char *uuid, GError **error)
{
    DB_LOCK(db);
    g_autoptr(GHashTable) rows = load(db, uuid, error);
    if (!rows)
        return NULL;
    gpointer key = NULL, value = NULL;
    if (!g_hash_table_steal_extended(rows, uuid, &key, &value))
        return NULL;
    g_free(key);
    return value;
}

GHashTable *db_vm_meta_all(Db *db, GError **error)
{
    DB_LOCK(db);
    return load(db, NULL, error);
}

/* Readers that keep rows (the VM list) ask whether they changed since. */
static void wrote(Db *db)
{
    __atomic_add_fetch(&db->vm_meta_writes, 1, __ATOMIC_RELEASE);
}

guint64 db_vm_meta_generation(Db *db)
{
    return __atomic_load_n(&db->vm_meta_writes, __ATOMIC_ACQUIRE);
}

static gboolean ensure_row(Db *db, const char *uuid, int64_t now, GError **error)
{
    return db_run(db, error,
                  "INSERT OR IGNORE INTO vm_meta (uuid, created_at, updated_at) "
                  "VALUES (?1, ?2, ?2)",
                  "ti", uuid, (gint64)now);
}

gboolean db_vm_meta_update(Db *db, const char *uuid, const char *description,
                           const char *const *tags, GError **error)
{
    DB_LOCK(db);
    gint64 now = db_now();
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok = ensure_row(db, uuid, now, error) &&
                  db_run(db, error, "UPDATE vm_meta SET updated_at = ?1 WHERE uuid = ?2", "it", now,
                         uuid);
    if (ok && description)
        ok = db_run(db, error, "UPDATE vm_meta SET description = ?1 WHERE uuid = ?2", "tt",
                    description, uuid);
    if (ok && tags) {
        ok = db_run(db, error, "DELETE FROM vm_tags WHERE uuid = ?1", "t", uuid);
        for (gint64 i = 0; ok && tags[i]; i++)
            ok = db_run(db, error,
                        "INSERT OR IGNORE INTO vm_tags (uuid, position, tag) "
                        "VALUES (?1, ?2, ?3)",
                        "tit", uuid, i, tags[i]);
    }
    ok = db_finish(db, ok, error);
    /* After the commit: a reader that sees the new count reads the rows. */
    wrote(db);
    return ok;
}

gboolean db_vm_meta_touch_all(Db *db, const char *const *uuids, GError **error)
{
    DB_LOCK(db);
    gint64 now = db_now();
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok = TRUE;
    for (int i = 0; ok && uuids[i]; i++)
        ok = ensure_row(db, uuids[i], now, error);
    ok = db_finish(db, ok, error);
    /* After the commit: a reader that sees the new count reads the rows. */
    wrote(db);
    return ok;
}

gboolean db_vm_meta_delete(Db *db, const char *uuid, GError **error)
{
    DB_LOCK(db);
    gboolean ok = db_run(db, error, "DELETE FROM vm_meta WHERE uuid = ?1", "t", uuid);
    wrote(db);
    return ok;
}

int db_vm_meta_prune(Db *db, const char *const *alive, int64_t not_after, GError **error)
{
    DB_LOCK(db);
    g_autoptr(GHashTable) rows = db_vm_meta_all(db, error);
    if (!rows)
        return -1;
    g_autoptr(GHashTable) keep = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; alive[i]; i++)
        g_hash_table_add(keep, (gpointer)alive[i]);
    int removed = 0;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, rows);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const DbVmMeta *m = value;
        if (g_hash_table_contains(keep, key) || m->updated_at > not_after)
            continue;
        if (!db_vm_meta_delete(db, key, error))
            return -1;
        removed++;
    }
    return removed;
}
