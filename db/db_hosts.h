/* Registered libvirt hosts (migration 9): a display name, the URI and the
 * paths of the credentials its transport needs. The credentials' contents
 * never enter the inventory, only where they are. */
#pragma once
#include "db/db.h"

typedef struct {
    gint64 id;
    char *uuid; /* libvirt's host UUID; NULL until the host was first reached */
    char *name;
    char *uri;
    char *ssh_key, *tls_cert, *tls_key, *tls_ca; /* paths, NULL when unset */
    gboolean local; /* the host vireod starts with (--connect): never deleted */
    gint64 created_at;
} DbHost;

void db_host_free(DbHost *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbHost, db_host_free)

/* All hosts, the local one first, then by name. */
GPtrArray *db_host_list(Db *db, GError **error);
/* NULL without error when there is none. */
DbHost *db_host_get(Db *db, gint64 id, GError **error);
/* DB_ERROR_EXISTS when the name or the UUID is taken; answers the new id
 * (0 on error). `h->id` and `h->created_at` are ignored. */
gint64 db_host_create(Db *db, const DbHost *h, GError **error);
/* Replaces every field but id, local and created_at of host `h->id`. */
gboolean db_host_update(Db *db, const DbHost *h, GError **error);
gboolean db_host_delete(Db *db, gint64 id, GError **error);
