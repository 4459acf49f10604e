/* The users table. Names are unique; the role is checked by the schema. */
#include "db/db_auth.h"
#include "db/db_private.h"

void db_user_free(DbUser *u)
{
    if (!u)
        return;
    g_free(u->username);
    g_free(u->password_hash);
    g_free(u->role);
    g_free(u->source);
    g_free(u);
}

#define USER_COLUMNS \
    "id, username, COALESCE(password_hash, ''), role, source, created_at, updated_at, " \
    "quota_vms, quota_vcpus, quota_memory_mib, quota_disk_bytes"
#define QUOTA_FIRST_COLUMN 7

static gpointer user_from_row(sqlite3_stmt *st)
{
    DbUser *u = g_new0(DbUser, 1);
    u->id = sqlite3_column_int64(st, 0);
    u->username = db_column_text(st, 1);
    u->password_hash = db_column_text(st, 2);
    u->role = db_column_text(st, 3);
    u->source = db_column_text(st, 4);
    u->created_at = sqlite3_column_int64(st, 5);
    u->updated_at = sqlite3_column_int64(st, 6);
    for (int k = 0; k < DB_QUOTA_KINDS; k++) {
        int col = QUOTA_FIRST_COLUMN + k;
        u->quota.v[k] = sqlite3_column_type(st, col) == SQLITE_NULL ? DB_QUOTA_NONE
                                                                    : sqlite3_column_int64(st, col);
    }
    return u;
}

static GPtrArray *collect(Db *db, sqlite3_stmt *st, GError **error)
{
    return db_collect(db, st, user_from_row, (GDestroyNotify)db_user_free, "users", error);
}

static DbUser *first(Db *db, sqlite3_stmt *st, GError **error)
{
    if (!st)
        return NULL;
    g_autoptr(GPtrArray) rows = collect(db, st, error);
    sqlite3_finalize(st);
    if (!rows || rows->len == 0)
        return NULL;
    return g_ptr_array_steal_index(rows, 0);
}

DbUser *db_user_by_name(Db *db, const char *username, GError **error)
{
    DB_LOCK(db);
    return first(db,
                 db_prepare(db, error, "SELECT " USER_COLUMNS " FROM users WHERE username = ?1",
                            "t", username),
                 error);
}

DbUser *db_user_by_id(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return first(db,
                 db_prepare(db, error, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", "i", id),
                 error);
}

GPtrArray *db_user_list(Db *db, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT " USER_COLUMNS " FROM users ORDER BY username", NULL);
    return st ? collect(db, st, error) : NULL;
}

gint64 db_user_create(Db *db, const char *username, const char *password_hash, const char *role,
                      const char *source, GError **error)
{
    DB_LOCK(db);
    return db_insert(db, error,
                     "INSERT INTO users (username, password_hash, role, source, "
                     "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
                     "tttti", username, password_hash, role, source, db_now());
}

gboolean db_user_update(Db *db, gint64 id, const char *password_hash, const char *role,
                        GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE users SET password_hash = COALESCE(?1, password_hash), "
                  "role = COALESCE(?2, role), updated_at = ?3 WHERE id = ?4",
                  "ttii", password_hash, role, db_now(), id);
}

gboolean db_user_set_quota(Db *db, gint64 id, const DbQuota *quota, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE users SET quota_vms = ?1, quota_vcpus = ?2, quota_memory_mib = ?3, "
                  "quota_disk_bytes = ?4, updated_at = ?5 WHERE id = ?6",
                  "LLLLii", quota->v[DB_QUOTA_VMS], quota->v[DB_QUOTA_VCPUS],
                  quota->v[DB_QUOTA_MEMORY], quota->v[DB_QUOTA_DISK], db_now(), id);
}

gboolean db_user_delete(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM users WHERE id = ?1", "i", id);
}

int db_user_count(Db *db, const char *role, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT COUNT(*) FROM users WHERE ?1 IS NULL OR role = ?1", "t", role);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_set_error(error, db, "counting users");
        return -1;
    }
    return sqlite3_column_int(st, 0);
}

gboolean db_user_set_password(Db *db, gint64 id, const char *password_hash,
                              const char *keep_session, gboolean keep_tokens, GError **error)
{
    DB_LOCK(db);
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok =
        db_run(db, error, "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
               "tii", password_hash, db_now(), id) &&
        db_run(db, error, "DELETE FROM sessions WHERE user_id = ?1 AND id_hash IS NOT ?2", "it", id,
               keep_session) &&
        (keep_tokens || db_run(db, error, "DELETE FROM tokens WHERE user_id = ?1", "i", id));
    return db_finish(db, ok, error);
}
