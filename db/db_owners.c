/* Who owns which VM (vm_meta.owner_id) and which volume (volume_owners),
 * read for quotas: a user's usage is what they own (docs/quotas.md). */
#include "db/db_auth.h"
#include "db/db_private.h"

void db_owned_free(DbOwned *o)
{
    if (!o)
        return;
    g_free(o->ref);
    g_free(o);
}

static gpointer owned_from_row(sqlite3_stmt *st)
{
    DbOwned *o = g_new0(DbOwned, 1);
    o->ref = db_column_text(st, 0);
    o->owner_id = sqlite3_column_int64(st, 1);
    o->host_id = sqlite3_column_int64(st, 2);
    return o;
}

GPtrArray *db_owned_list(Db *db, DbOwnedKind kind, gint64 owner_id, GError **error)
{
    DB_LOCK(db);
    const char *sql = kind == DB_OWNED_VMS
                          ? "SELECT uuid, owner_id, 0 FROM vm_meta WHERE owner_id IS NOT NULL "
                            "AND (?1 = 0 OR owner_id = ?1)"
                          : "SELECT key, owner_id, host_id FROM volume_owners "
                            "WHERE ?1 = 0 OR owner_id = ?1";
    g_autoptr(sqlite3_stmt) st = db_prepare(db, error, sql, "i", owner_id);
    if (!st)
        return NULL;
    return db_collect(db, st, owned_from_row, (GDestroyNotify)db_owned_free, "owners", error);
}

gboolean db_vm_owner(Db *db, const char *vm_uuid, gint64 *owner_id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT COALESCE(owner_id, 0) FROM vm_meta WHERE uuid = ?1", "t", vm_uuid);
    if (!st)
        return FALSE;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_set_error(error, db, "reading the VM's owner");
        return FALSE;
    }
    *owner_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return TRUE;
}
