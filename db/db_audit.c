/* Audit log rows and settings. */
#include "db/db_audit.h"
#include "db/db_private.h"

void db_audit_entry_free(DbAuditEntry *e)
{
    if (!e)
        return;
    g_free(e->username); g_free(e->address); g_free(e->method); g_free(e->path);
    g_free(e->target); g_free(e->detail);
    g_free(e);
}

gboolean db_audit_add(Db *db, const DbAuditEntry *e, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "INSERT INTO audit (ts, username, address, method, path, target, "
                             "status, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                  "itttttit", e->ts ? e->ts : db_now(), e->username, e->address, e->method,
                  e->path, e->target, (gint64)e->status, e->detail);
}

static gpointer entry_from_row(sqlite3_stmt *st)
{
    DbAuditEntry *e = g_new0(DbAuditEntry, 1);
    e->id = sqlite3_column_int64(st, 0);
    e->ts = sqlite3_column_int64(st, 1);
    e->username = db_column_text(st, 2);
    e->address = db_column_text(st, 3);
    e->method = db_column_text(st, 4);
    e->path = db_column_text(st, 5);
    e->target = db_column_text(st, 6);
    e->status = sqlite3_column_int(st, 7);
    e->detail = db_column_text(st, 8);
    return e;
}

GPtrArray *db_audit_query(Db *db, const DbAuditQuery *q, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error,
        "SELECT id, ts, COALESCE(username, ''), COALESCE(address, ''), method, path, "
        "COALESCE(target, ''), status, COALESCE(detail, '') FROM audit "
        "WHERE (?1 IS NULL OR username = ?1) AND (?2 = 0 OR ts >= ?2) AND (?3 = 0 OR ts <= ?3) "
        "AND (?4 = 0 OR id < ?4) ORDER BY id DESC LIMIT ?5",
        "tiiii", q->username, q->since, q->until, q->before_id, (gint64)q->limit);
    return db_collect(db, st, entry_from_row, (GDestroyNotify)db_audit_entry_free, "audit log",
                      error);
}

int db_audit_prune(Db *db, gint64 before, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM audit WHERE ts < ?1", "i", before))
        return -1;
    return sqlite3_changes(db->handle);
}

char *db_setting_get(Db *db, const char *key, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(db, error, "SELECT value FROM settings WHERE key = ?1",
                                            "t", key);
    if (!st)
        return NULL;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return db_column_text(st, 0);
    if (rc != SQLITE_DONE)
        db_set_error(error, db, "reading settings");
    return NULL;
}

gboolean db_setting_set(Db *db, const char *key, const char *value, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", "tt", key, value);
}
