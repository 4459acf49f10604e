/* The audit log: every state-changing request and every login attempt. */
#pragma once
#include "db/db.h"

typedef struct {
    gint64 id;
    gint64 ts;
    char *username; /* "" when unknown */
    char *address;
    char *method;
    char *path;
    char *target;
    int status; /* 0 while the request runs */
    char *detail;
    char *action;   /* what was done, e.g. "vm.start" ("" when unknown) */
    int repeats;    /* identical failures folded into this entry */
    gint64 last_ts; /* when the last of them happened */
} DbAuditEntry;

void db_audit_entry_free(DbAuditEntry *e);

/* Records `e` (status 0 for a request about to run); its id, 0 on error. */
gint64 db_audit_add(Db *db, const DbAuditEntry *e, GError **error);
/* Sets the outcome of entry `id`. A failure (status >= 400) identical to one
 * of the last `fold_s` seconds (same user, address, action, target and
 * status) is folded into it: that entry counts one more repeat and `id` is
 * removed, so a flood of refusals costs one row. */
gboolean db_audit_finish(Db *db, gint64 id, int status, const char *detail, gint64 fold_s,
                         GError **error);
/* Keeps the newest `max_rows` entries; how many went, -1 on error. */
int db_audit_bound(Db *db, gint64 max_rows, GError **error);

typedef enum {
    DB_AUDIT_ANY,
    DB_AUDIT_SUCCESS, /* status below 400 */
    DB_AUDIT_FAILURE, /* status 400 and above */
} DbAuditResult;

typedef struct {
    const char *username; /* NULL = any */
    const char *action;   /* an action, or a prefix ending in '.' ("vm."); NULL = any */
    const char *target;   /* NULL = any */
    DbAuditResult result;
    gint64 since, until; /* 0 = open */
    gint64 before_id;    /* paging: entries older than this id; 0 = newest */
    int limit;
} DbAuditQuery;

/* Newest first (DbAuditEntry*). */
GPtrArray *db_audit_query(Db *db, const DbAuditQuery *q, GError **error);
/* Deletes entries older than `before`; returns how many, -1 on error. */
int db_audit_prune(Db *db, gint64 before, GError **error);

/* Settings: small named values (e.g. audit retention). */
char *db_setting_get(Db *db, const char *key, GError **error);
gboolean db_setting_set(Db *db, const char *key, const char *value, GError **error);
