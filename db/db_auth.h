/* Inventory tables of access control: users, sessions, API tokens, per-VM
 * ownership and grants. Secrets are never stored: sessions and tokens are
 * kept as SHA-256 hashes, passwords as Argon2id strings made by api/. */
#pragma once
#include "db/db.h"

/* Amounts of what a user's VMs and volumes take, one per kind: as limits
 * (-1: none, stored as NULL), as usage, or as what a request adds. */
typedef enum {
    DB_QUOTA_VMS,    /* VMs they own */
    DB_QUOTA_VCPUS,  /* vCPUs of those VMs */
    DB_QUOTA_MEMORY, /* MiB of memory of those VMs */
    DB_QUOTA_DISK,   /* bytes: capacities of the volumes they own */
    DB_QUOTA_KINDS,
} DbQuotaKind;

typedef struct {
    gint64 v[DB_QUOTA_KINDS];
} DbQuota;

#define DB_QUOTA_NONE (-1)

typedef struct {
    gint64 id;
    char *username;
    char *password_hash; /* "" for users who log in through PAM */
    char *role;          /* admin, operator, viewer */
    char *source;        /* local, pam */
    gint64 created_at;
    gint64 updated_at;
    DbQuota quota; /* limits; DB_QUOTA_NONE where there is none */
} DbUser;

void db_user_free(DbUser *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbUser, db_user_free)

/* NULL with no error when there is no such user. */
DbUser *db_user_by_name(Db *db, const char *username, GError **error);
DbUser *db_user_by_id(Db *db, gint64 id, GError **error);
/* All users, by name (DbUser*). */
GPtrArray *db_user_list(Db *db, GError **error);
/* The new user's id, or 0 with DB_ERROR_EXISTS when the name is taken. */
gint64 db_user_create(Db *db, const char *username, const char *password_hash, const char *role,
                      const char *source, GError **error);
/* NULL fields are left as they are. */
gboolean db_user_update(Db *db, gint64 id, const char *password_hash, const char *role,
                        GError **error);
gboolean db_user_delete(Db *db, gint64 id, GError **error);
/* Sets all four limits of the user (DB_QUOTA_NONE: no limit). */
gboolean db_user_set_quota(Db *db, gint64 id, const DbQuota *quota, GError **error);
/* A new password in one unit: the hash is stored, every session of the
 * user but `keep_session` (may be NULL) ends, and unless `keep_tokens`
 * every API token of the user is revoked. */
gboolean db_user_set_password(Db *db, gint64 id, const char *password_hash,
                              const char *keep_session, gboolean keep_tokens, GError **error);
/* Number of users, or of users with `role` when it is not NULL; -1 on error. */
int db_user_count(Db *db, const char *role, GError **error);

typedef struct {
    char *id_hash;
    gint64 user_id;
    gint64 created_at;
    gint64 last_seen;
    char *address;
    char *user_agent;
} DbSession;

void db_session_free(DbSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbSession, db_session_free)

gboolean db_session_create(Db *db, const char *id_hash, gint64 user_id, const char *address,
                           const char *user_agent, GError **error);
DbSession *db_session_get(Db *db, const char *id_hash, GError **error);
gboolean db_session_touch(Db *db, const char *id_hash, gint64 now, GError **error);
gboolean db_session_delete(Db *db, const char *id_hash, GError **error);
/* Deletes one of `user_id`'s sessions; FALSE with no error if none. */
gboolean db_session_delete_owned(Db *db, const char *id_hash, gint64 user_id, gboolean *found,
                                 GError **error);
gboolean db_session_delete_user(Db *db, gint64 user_id, GError **error);
/* The user's sessions, newest first (DbSession*). */
GPtrArray *db_session_list(Db *db, gint64 user_id, GError **error);
/* Removes sessions idle since `idle_before` or created before
 * `created_before`; returns how many, -1 on error. */
int db_session_expire(Db *db, gint64 idle_before, gint64 created_before, GError **error);

typedef struct {
    gint64 id;
    gint64 user_id;
    char *name;
    gint64 created_at;
    gint64 expires_at; /* 0 = never */
    gint64 last_used;  /* 0 = never */
    char *scope;       /* "full": acts as its owner; "metrics": may only read /metrics */
} DbToken;

void db_token_free(DbToken *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbToken, db_token_free)

gint64 db_token_create(Db *db, gint64 user_id, const char *name, const char *secret_hash,
                       gint64 expires_at, GError **error);
/* The same with a scope: "full" or "metrics". */
gint64 db_token_create_scoped(Db *db, gint64 user_id, const char *name, const char *secret_hash,
                              gint64 expires_at, const char *scope, GError **error);
DbToken *db_token_by_hash(Db *db, const char *secret_hash, GError **error);
/* Tokens of `user_id` (all users' when it is 0), newest first. */
GPtrArray *db_token_list(Db *db, gint64 user_id, GError **error);
/* Deletes token `id` (of `user_id` unless it is 0); *found says if it was. */
gboolean db_token_delete(Db *db, gint64 id, gint64 user_id, gboolean *found, GError **error);
gboolean db_token_touch(Db *db, gint64 id, gint64 now, GError **error);
/* TRUE while token `id` exists and has not expired at `now`. */
gboolean db_token_valid(Db *db, gint64 id, gint64 now);

/* Per-VM access: the VM's owner and explicit grants. */
gboolean db_vm_set_owner(Db *db, const char *vm_uuid, gint64 user_id, GError **error);
/* The user name of the VM's owner; NULL with no error when it has none. */
char *db_vm_owner_name(Db *db, const char *vm_uuid, GError **error);
gboolean db_grant_add(Db *db, gint64 user_id, const char *vm_uuid, GError **error);
gboolean db_grant_remove(Db *db, gint64 user_id, const char *vm_uuid, gboolean *found,
                         GError **error);
/* VM UUIDs granted to the user (NULL-terminated). */
GStrv db_grant_list(Db *db, gint64 user_id, GError **error);
/* UUIDs the user owns or was granted, as a set (uuid -> uuid). */
GHashTable *db_vm_visible_set(Db *db, gint64 user_id, GError **error);

/* Grants of storage pools, networks and host bridges: which of them a
 * user may use beyond what they own. A pool is granted for new disks
 * (`disks`), for read-only use of every volume in it (`media`: ISO images,
 * clone sources, backing files), or both; networks and bridges simply are. */
typedef struct {
    char *kind; /* "pool", "network", "bridge" */
    char *name;
    gboolean disks;
    gboolean media;
    gint64 created_at;
} DbResourceGrant;

void db_resource_grant_free(DbResourceGrant *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbResourceGrant, db_resource_grant_free)

/* Adds the grant, or replaces the uses of an existing one. */
gboolean db_resource_grant_set(Db *db, gint64 user_id, const char *kind, const char *name,
                               gboolean disks, gboolean media, GError **error);
gboolean db_resource_grant_remove(Db *db, gint64 user_id, const char *kind, const char *name,
                                  gboolean *found, GError **error);
/* The user's grants of pools, networks and bridges, by kind and name. */
GPtrArray *db_resource_grant_list(Db *db, gint64 user_id, GError **error);
/* Drops every user's grant of `kind` `name` (the object was deleted). */
gboolean db_resource_grant_forget(Db *db, const char *kind, const char *name, GError **error);

/* Who made which volume on which libvirt host (the inventory's host id),
 * by libvirt's volume key (the path, for file pools): a user may use what
 * they made there. The same path on another host is another volume (every
 * host's default pool is /var/lib/libvirt/images). */
gboolean db_volume_owner_set(Db *db, gint64 host_id, const char *key, gint64 owner_id,
                             GError **error);
/* The keys of the volumes `user_id` made on host `host_id`, as a set. */
GHashTable *db_volume_owned_set(Db *db, gint64 host_id, gint64 user_id, GError **error);
gboolean db_volume_owner_forget(Db *db, gint64 host_id, const char *key, GError **error);
/* The volume at `key` on host `from_host` was moved to `to_key` on
 * `to_host` (a migration that copied it and deleted the source): its
 * owner, if any, owns the copy. */
gboolean db_volume_owner_move(Db *db, gint64 from_host, const char *key, gint64 to_host,
                              const char *to_key, GError **error);
/* Forgets the volumes of host `host_id` whose key is not in `alive` (a
 * set), among the rows written before `before` (later ones are of volumes
 * made since `alive` was listed); how many, -1 on error. */
int db_volume_owner_prune(Db *db, gint64 host_id, GHashTable *alive, gint64 before, GError **error);
/* Host 0 stands for the local host before it has a row: rows of a file
 * from before hosts wait there until the local host's row adopts them
 * (migration 13), and a context without hosts (tests) keeps its rows
 * there. */
#define DB_HOST_UNREGISTERED 0

/* What users own, for their usage: VMs (by UUID, from vm_meta) or
 * volumes (by host and key, from volume_owners). */
typedef struct {
    char *ref; /* the VM's UUID or the volume's key */
    gint64 owner_id;
    gint64 host_id; /* a volume's host; 0 for a VM */
} DbOwned;

void db_owned_free(DbOwned *o);
typedef enum {
    DB_OWNED_VMS,
    DB_OWNED_VOLUMES,
} DbOwnedKind;
/* The VMs or volumes of `owner_id` (of every user when it is 0), as
 * DbOwned*; rows of objects libvirt no longer has may be among them. */
GPtrArray *db_owned_list(Db *db, DbOwnedKind kind, gint64 owner_id, GError **error);
/* The owner of the VM (0: none), in *owner_id. */
gboolean db_vm_owner(Db *db, const char *vm_uuid, gint64 *owner_id, GError **error);

/* Deletes the user's sessions beyond the `keep` newest; how many, -1 on
 * error. */
int db_session_trim(Db *db, gint64 user_id, guint keep, GError **error);
/* Deletes every API token of the user; how many, -1 on error. */
int db_token_delete_user(Db *db, gint64 user_id, GError **error);
