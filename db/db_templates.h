/* VM templates: a name, a description and a VM spec (JSON text, validated
 * by the API layer before it is stored). */
#pragma once
#include "db/db.h"

typedef struct {
    gint64 id;
    char *name;
    char *description;
    char *spec;      /* JSON object text */
    gint64 owner_id; /* 0: none (the owner was deleted) */
    gint64 created_at, updated_at;
} DbTemplate;

void db_template_free(DbTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbTemplate, db_template_free)

/* All templates by name. */
GPtrArray *db_template_list(Db *db, GError **error);
/* NULL without error when there is none. */
DbTemplate *db_template_get(Db *db, const char *name, GError **error);
/* DB_ERROR_EXISTS when the name is taken; answers the new id (0 on error). */
gint64 db_template_create(Db *db, const char *name, const char *description, const char *spec,
                          gint64 owner_id, GError **error);
/* Replaces name, description and spec of template `id`. */
gboolean db_template_update(Db *db, gint64 id, const char *name, const char *description,
                            const char *spec, GError **error);
gboolean db_template_delete(Db *db, gint64 id, GError **error);
