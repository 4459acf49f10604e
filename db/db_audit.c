/* Audit log rows and settings. */
#include "db/db_audit.h"
#include "db/db_private.h"

void db_audit_entry_free(DbAuditEntry *e)
{
    if (!e)
        return;
    g_free(e->username);
    g_free(e->address);
    g_free(e->method);
    g_free(e->path);
    g_free(e->target);
    g_free(e->detail);
    g_free(e->action);
    g_free(e);
}

gint64 db_audit_add(Db *db, const DbAuditEntry *e, GError **error)
{
    DB_LOCK(db);
    gint64 ts = e->ts ? e->ts : db_now();
    return db_insert(db, error,
                     "INSERT INTO audit (ts, username, address, method, path, target, "
                     "status, detail, action, last_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                     "?7, ?8, ?9, ?1) RETURNING id",
                     "itttttitt", ts, e->username, e->address, e->method, e->path, e->target,
                     (gint64)e->status, e->detail, e->action);
}

/* The id of an older failure identical to failure `id` within `fold_s`
 * seconds, or 0. */
static gint64 twin_of(Db *db, gint64 id, gint64 fold_s, GError **error)
{
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error,
        "SELECT o.id FROM audit n JOIN audit o ON o.id < n.id AND o.status = n.status "
        "AND o.username IS n.username AND o.address IS n.address AND o.action IS n.action "
        "AND o.target IS n.target AND o.method = n.method AND o.path = n.path "
        "WHERE n.id = ?1 AND o.last_ts >= n.ts - ?2 ORDER BY o.id DESC LIMIT 1",
        "ii", id, fold_s);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return sqlite3_column_int64(st, 0);
    if (rc != SQLITE_DONE) {
        db_set_error(error, db, "reading audit log");
        return -1;
    }
    return 0;
}

gboolean db_audit_finish(Db *db, gint64 id, int status, const char *detail, gint64 fold_s,
                         GError **error)
{
    DB_LOCK(db);
    if (!db_begin(db, error))
        return FALSE;
    gboolean ok = db_run(db, error,
                         "UPDATE audit SET status = ?2, detail = ?3, last_ts = ?4 "
                         "WHERE id = ?1",
                         "iiti", id, (gint64)status, detail, db_now());
    gint64 twin = ok && status >= 400 && fold_s > 0 ? twin_of(db, id, fold_s, error) : 0;
    ok = ok && twin >= 0;
    if (ok && twin > 0)
        ok = db_run(db, error,
                    "UPDATE audit SET repeats = repeats + 1, last_ts = ?2, "
                    "detail = (SELECT detail FROM audit WHERE id = ?3) WHERE id = ?1",
                    "iii", twin, db_now(), id) &&
             db_run(db, error, "DELETE FROM audit WHERE id = ?1", "i", id);
    return db_finish(db, ok, error);
}

int db_audit_bound(Db *db, gint64 max_rows, GError **error)
{
    DB_LOCK(db);
    if (!db_run(db, error, "DELETE FROM audit WHERE id <= (SELECT MAX(id) FROM audit) - ?1", "i",
                max_rows))
        return -1;
    return sqlite3_changes(db->handle);
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
    e->action = db_column_text(st, 9);
    e->repeats = sqlite3_column_int(st, 10);
    e->last_ts = sqlite3_column_int64(st, 11);
    return e;
}

GPtrArray *db_audit_query(Db *db, const DbAuditQuery *q, GError **error)
{
    DB_LOCK(db);
    /* A prefix such as "vm." matches every VM action. */
    g_autofree char *action_like = NULL;
    if (q->action && g_str_has_suffix(q->action, "."))
        action_like = g_strconcat(q->action, "%", NULL);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error,
        "SELECT id, ts, COALESCE(username, ''), COALESCE(address, ''), method, path, "
        "COALESCE(target, ''), status, COALESCE(detail, ''), COALESCE(action, ''), repeats, "
        "COALESCE(last_ts, ts) FROM audit "
        "WHERE (?1 IS NULL OR username = ?1) AND (?2 = 0 OR ts >= ?2) AND (?3 = 0 OR ts <= ?3) "
        "AND (?4 = 0 OR id < ?4) AND ((?6 IS NULL AND ?7 IS NULL) OR action = ?6 OR action LIKE ?7) "
        "AND (?8 IS NULL OR target = ?8) "
        "AND (?9 = 0 OR (?9 = 1 AND status > 0 AND status < 400) OR (?9 = 2 AND status >= 400)) "
        "ORDER BY id DESC LIMIT ?5",
        "tiiiittti", q->username, q->since, q->until, q->before_id, (gint64)q->limit,
        action_like ? NULL : q->action, action_like, q->target, (gint64)q->result);
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
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT value FROM settings WHERE key = ?1", "t", key);
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
    return db_run(db, error,
                  "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  "tt", key, value);
}
