/* VM templates in the inventory (migration 4). */
#include "db/db_templates.h"
#include "db/db_private.h"

void db_template_free(DbTemplate *t)
{
    if (!t)
        return;
    g_free(t->name);
    g_free(t->description);
    g_free(t->spec);
    g_free(t);
}

#define TEMPLATE_COLUMNS \
    "id, name, description, spec, COALESCE(owner_id, 0), created_at, updated_at"

static gpointer template_from_row(sqlite3_stmt *st)
{
    DbTemplate *t = g_new0(DbTemplate, 1);
    t->id = sqlite3_column_int64(st, 0);
    t->name = db_column_text(st, 1);
    t->description = db_column_text(st, 2);
    t->spec = db_column_text(st, 3);
    t->owner_id = sqlite3_column_int64(st, 4);
    t->created_at = sqlite3_column_int64(st, 5);
    t->updated_at = sqlite3_column_int64(st, 6);
    return t;
}

static GPtrArray *collect(Db *db, sqlite3_stmt *st, GError **error)
{
    return db_collect(db, st, template_from_row, (GDestroyNotify)db_template_free, "templates",
                      error);
}

GPtrArray *db_template_list(Db *db, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, "SELECT " TEMPLATE_COLUMNS " FROM templates ORDER BY name", "");
    return st ? collect(db, st, error) : NULL;
}

DbTemplate *db_template_get(Db *db, const char *name, GError **error)
{
    DB_LOCK(db);
    g_autoptr(sqlite3_stmt) st = db_prepare(
        db, error, "SELECT " TEMPLATE_COLUMNS " FROM templates WHERE name = ?1", "t", name);
    g_autoptr(GPtrArray) rows = st ? collect(db, st, error) : NULL;
    return rows && rows->len ? g_ptr_array_steal_index(rows, 0) : NULL;
}

gint64 db_template_create(Db *db, const char *name, const char *description, const char *spec,
                          gint64 owner_id, GError **error)
{
    DB_LOCK(db);
    gint64 now = db_now();
    return db_insert(db, error,
                     "INSERT INTO templates (name, description, spec, owner_id, "
                     "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
                     "tttIi", name, description, spec, owner_id, now);
}

gboolean db_template_update(Db *db, gint64 id, const char *name, const char *description,
                            const char *spec, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error,
                  "UPDATE templates SET name = ?1, description = ?2, spec = ?3, "
                  "updated_at = ?4 WHERE id = ?5",
                  "tttii", name, description, spec, db_now(), id);
}

gboolean db_template_delete(Db *db, gint64 id, GError **error)
{
    DB_LOCK(db);
    return db_run(db, error, "DELETE FROM templates WHERE id = ?1", "i", id);
}
