/* API tokens, stored by the hash of their secret. Revoking deletes the row,
 * so a revoked token fails on its very next request. */
#include "db/db_auth.h"
#include "db/db_private.h"

void db_token_free(DbToken *t)
{
    if (!t)
        return;
    g_free(t->name);
    g_free(t->scope);
    g_free(t);
}

#define TOKEN_COLUMNS \
    "id, user_id, name, created_at, COALESCE(expires_at, 0), COALESCE(last_used, 0), scope"

static gpointer token_from_row(sqlite3_stmt *st)
{
    DbToken *t = g_new0(DbToken, 1);
    t->id = sqlite3_column_int64(st, 0);
    t->user_id = sqlite3_column_int64(st, 1);
    t->name = db_column_text(st, 2);
    t->created_at = sqlite3_column_int64(st, 3);
    t->expires_at = sqlite3_column_int64(st, 4);
    t->last_used = sqlite3_column_int64(st, 5);
    t->scope = db_column_text(st, 6);
    return t;
}

static GPtrArray *collect(Db *db, sqlite3_stmt *st, GError **error)
{
    return db_collect(db, st, token_from_row, (GDestroyNotify)db_token_free, "tokens", error);
}

gint64 db_token_create(Db *db, gint64 user_id, const char *name, const char *secret_hash,
                       gint64 expires_at, GError **error)
{
    return db_token_create_scoped(db, user_id, name, secret_hash, expires_at, "full", error);
}

gint64 db_token_create_scoped(Db *db, gint64 user_id, const char *name, const char *secret_hash,
                              gint64 expires_at, const char *scope, GError **error)
{
    DB_LOCK(db);
    return db_insert(db, error,
                     "INSERT INTO tokens (user_id, name, secret_hash, created_at, "
                     "expires_at, scope) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                     "ittiIt", user_id, name, secret_hash, db_now(), expires_at, scope);
}

DbToken *db_token_by_hash(Db *db, const char *secret_hash, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE secret_hash = ?1", "t", secret_hash);
    g_autoptr(GPtrArray) rows = st ? collect(db, st, error) : NULL;
    return rows && rows->len ? g_ptr_array_steal_index(rows, 0) : NULL;
}

GPtrArray *db_token_list(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error,
                        "SELECT " TOKEN_COLUMNS " FROM tokens WHERE ?1 = 0 OR user_id = ?1 "
                        "ORDER BY created_at DESC, id DESC",
                        "i", user_id);
    return st ? collect(db, st, error) : NULL;
}

gboolean db_token_delete(Db *db, gint64 id, gint64 user_id, gboolean *found, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM tokens WHERE id = ?1 AND (?2 = 0 OR user_id = ?2)", "ii",
                id, user_id))
        return FALSE;
    *found = sqlite3_changes(db->handle) > 0;
    return TRUE;
}

gboolean db_token_touch(Db *db, gint64 id, gint64 now, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "UPDATE tokens SET last_used = ?1 WHERE id = ?2", "ii", now, id);
}

gboolean db_token_valid(Db *db, gint64 id, gint64 now)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, NULL, "SELECT 1 FROM tokens WHERE id = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
        "ii", id, now);
    return st && sqlite3_step(st) == SQLITE_ROW;
}

int db_token_delete_user(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM tokens WHERE user_id = ?1", "i", user_id))
        return -1;
    return sqlite3_changes(db->handle);
}
