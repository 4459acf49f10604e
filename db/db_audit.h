/* The audit log: every state-changing request and every login attempt. */
#pragma once
#include "db/db.h"

typedef struct {
    gint64 id;
    gint64 ts;
    char *username;   /* "" when unknown */
    char *address;
    char *method;
    char *path;
    char *target;
    int status;
    char *detail;
} DbAuditEntry;

void db_audit_entry_free(DbAuditEntry *e);

gboolean db_audit_add(Db *db, const DbAuditEntry *e, GError **error);

typedef struct {
    const char *username;   /* NULL = any */
    gint64 since, until;    /* 0 = open */
    gint64 before_id;       /* paging: entries older than this id; 0 = newest */
    int limit;
} DbAuditQuery;

/* Newest first (DbAuditEntry*). */
GPtrArray *db_audit_query(Db *db, const DbAuditQuery *q, GError **error);
/* Deletes entries older than `before`; returns how many, -1 on error. */
int db_audit_prune(Db *db, gint64 before, GError **error);

/* Settings: small named values (e.g. audit retention). */
char *db_setting_get(Db *db, const char *key, GError **error);
gboolean db_setting_set(Db *db, const char *key, const char *value, GError **error);
