/* Registered libvirt hosts in the inventory (migration 10). */
#include "db/db_hosts.h"
#include "db/db_private.h"

void db_host_free(DbHost *h)
{
    if (!h)
        return;
    g_free(h->uuid);
    g_free(h->name);
    g_free(h->uri);
    g_free(h->ssh_key);
    g_free(h->tls_cert);
    g_free(h->tls_key);
    g_free(h->tls_ca);
    g_free(h);
}

#define HOST_COLUMNS "id, uuid, name, uri, ssh_key, tls_cert, tls_key, tls_ca, local, created_at"

static char *nullable_text(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : db_column_text(st, col);
}

static gpointer host_from_row(sqlite3_stmt *st)
{
    DbHost *h = g_new0(DbHost, 1);
    h->id = sqlite3_column_int64(st, 0);
    h->uuid = nullable_text(st, 1);
    h->name = db_column_text(st, 2);
    h->uri = db_column_text(st, 3);
    h->ssh_key = nullable_text(st, 4);
    h->tls_cert = nullable_text(st, 5);
    h->tls_key = nullable_text(st, 6);
    h->tls_ca = nullable_text(st, 7);
    h->local = sqlite3_column_int(st, 8) != 0;
    h->created_at = sqlite3_column_int64(st, 9);
    return h;
}

static GPtrArray *collect(Db *db, sqlite3_stmt *st, GError **error)
{
    return db_collect(db, st, host_from_row, (GDestroyNotify)db_host_free, "hosts", error);
}

GPtrArray *db_host_list(Db *db, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT " HOST_COLUMNS " FROM hosts ORDER BY local DESC, name", "");
    return st ? collect(db, st, error) : NULL;
}

DbHost *db_host_get(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT " HOST_COLUMNS " FROM hosts WHERE id = ?1", "i", id);
    g_autoptr(GPtrArray) rows = st ? collect(db, st, error) : NULL;
    return rows && rows->len ? g_ptr_array_steal_index(rows, 0) : NULL;
}

gint64 db_host_create(Db *db, const DbHost *h, GError **error)
{
    DB_LOCK(db);
    return db_insert(db, error,
                     "INSERT INTO hosts (uuid, name, uri, ssh_key, tls_cert, tls_key, tls_ca, "
                     "local, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                     "tttttttii", h->uuid, h->name, h->uri, h->ssh_key, h->tls_cert, h->tls_key,
                     h->tls_ca, (gint64)(h->local ? 1 : 0), db_now());
}

gboolean db_host_update(Db *db, const DbHost *h, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE hosts SET uuid = ?1, name = ?2, uri = ?3, ssh_key = ?4, tls_cert = ?5, "
                  "tls_key = ?6, tls_ca = ?7 WHERE id = ?8",
                  "ttttttti", h->uuid, h->name, h->uri, h->ssh_key, h->tls_cert, h->tls_key,
                  h->tls_ca, h->id);
}

gboolean db_host_delete(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM hosts WHERE id = ?1 AND local = 0", "i", id);
}
