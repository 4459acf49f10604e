/* Login sessions, stored by the hash of their secret id. */
#include "db/db_auth.h"
#include "db/db_private.h"

void db_session_free(DbSession *s)
{
    if (!s)
        return;
    g_free(s->id_hash);
    g_free(s->address);
    g_free(s->user_agent);
    g_free(s);
}

#define SESSION_COLUMNS "id_hash, user_id, created_at, last_seen, address, user_agent"

static gpointer session_from_row(sqlite3_stmt *st)
{
    DbSession *s = g_new0(DbSession, 1);
    s->id_hash = db_column_text(st, 0);
    s->user_id = sqlite3_column_int64(st, 1);
    s->created_at = sqlite3_column_int64(st, 2);
    s->last_seen = sqlite3_column_int64(st, 3);
    s->address = db_column_text(st, 4);
    s->user_agent = db_column_text(st, 5);
    return s;
}

static GPtrArray *collect(Db *db, sqlite3_stmt *st, GError **error)
{
    return db_collect(db, st, session_from_row, (GDestroyNotify)db_session_free, "sessions", error);
}

gboolean db_session_create(Db *db, const char *id_hash, gint64 user_id, const char *address,
                           const char *user_agent, GError **error)
{
    DB_LOCK(db);
    gint64 now = db_now();
    return db_run(
        db, error, "INSERT INTO sessions (" SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
        "tiitt", id_hash, user_id, now, address ? address : "", user_agent ? user_agent : "");
}

DbSession *db_session_get(Db *db, const char *id_hash, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id_hash = ?1", "t", id_hash);
    g_autoptr(GPtrArray) rows = st ? collect(db, st, error) : NULL;
    return rows && rows->len ? g_ptr_array_steal_index(rows, 0) : NULL;
}

gboolean db_session_touch(Db *db, const char *id_hash, gint64 now, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "UPDATE sessions SET last_seen = ?1 WHERE id_hash = ?2", "it", now,
                  id_hash);
}

gboolean db_session_delete(Db *db, const char *id_hash, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM sessions WHERE id_hash = ?1", "t", id_hash);
}

gboolean db_session_delete_owned(Db *db, const char *id_hash, gint64 user_id, gboolean *found,
                                 GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM sessions WHERE id_hash = ?1 AND user_id = ?2", "ti",
                id_hash, user_id))
        return FALSE;
    *found = sqlite3_changes(db->handle) > 0;
    return TRUE;
}

gboolean db_session_delete_user(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM sessions WHERE user_id = ?1", "i", user_id);
}

GPtrArray *db_session_list(Db *db, gint64 user_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error,
        "SELECT " SESSION_COLUMNS " FROM sessions WHERE user_id = ?1 ORDER BY created_at DESC", "i",
        user_id);
    return st ? collect(db, st, error) : NULL;
}

int db_session_expire(Db *db, gint64 idle_before, gint64 created_before, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2", "ii",
                idle_before, created_before))
        return -1;
    return sqlite3_changes(db->handle);
}

int db_session_trim(Db *db, gint64 user_id, guint keep, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error,
                "DELETE FROM sessions WHERE user_id = ?1 AND id_hash NOT IN "
                "(SELECT id_hash FROM sessions WHERE user_id = ?1 "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
                "ii", user_id, (gint64)keep))
        return -1;
    return sqlite3_changes(db->handle);
}
