/* The schema, as an append-only list of migrations. Entry N takes the file
 * from user_version N to N+1; never edit a released entry, add a new one. */
#include "db/db_private.h"

static const char *const migrations[] = {
    /* 1: per-VM metadata keyed by libvirt UUID */
    "CREATE TABLE vm_meta ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE vm_tags ("
    "  uuid TEXT NOT NULL REFERENCES vm_meta(uuid) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  tag TEXT NOT NULL,"
    "  PRIMARY KEY (uuid, tag));",
    /* 2: access control: users, sessions, API tokens, per-VM ownership and
     * grants, the audit log, settings */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  password_hash TEXT,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),"
    "  source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'pam')),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE TABLE sessions ("
    "  id_hash TEXT PRIMARY KEY NOT NULL,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  address TEXT NOT NULL DEFAULT '',"
    "  user_agent TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  secret_hash TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER,"
    "  last_used INTEGER,"
    "  UNIQUE (user_id, name));"
    "CREATE TABLE vm_grants ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  vm_uuid TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, vm_uuid));"
    "ALTER TABLE vm_meta ADD COLUMN owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL;"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  username TEXT,"
    "  address TEXT,"
    "  method TEXT NOT NULL,"
    "  path TEXT NOT NULL,"
    "  target TEXT,"
    "  status INTEGER NOT NULL,"
    "  detail TEXT);"
    "CREATE INDEX audit_ts ON audit(ts);"
    "CREATE TABLE settings ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  value TEXT NOT NULL);",
    /* 3: long work (copies, uploads, creates) as tasks with progress */
    "CREATE TABLE tasks ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('queued', 'running', 'succeeded', 'failed', 'cancelled')),"
    "  progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),"
    "  message TEXT NOT NULL DEFAULT '',"
    "  target TEXT NOT NULL DEFAULT '',"
    "  result TEXT,"
    "  error_code TEXT,"
    "  error_message TEXT,"
    "  owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  cancel_requested INTEGER NOT NULL DEFAULT 0,"
    "  cancellable INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL,"
    "  started_at INTEGER,"
    "  finished_at INTEGER);"
    "CREATE INDEX tasks_state ON tasks(state);"
    "CREATE INDEX tasks_owner ON tasks(owner_id);",
    /* 4: VM templates; the spec is the JSON a create request would carry */
    "CREATE TABLE templates ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  spec TEXT NOT NULL,"
    "  owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);",
    /* 5: storage and network scope (grants of pools, networks and host
     * bridges; who made which volume), what running tasks are making (so a
     * crash leaves nothing behind), and an audit log that names actions and
     * folds repeated failures */
    "CREATE TABLE resource_grants ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('pool', 'network', 'bridge')),"
    "  name TEXT NOT NULL,"
    "  disks INTEGER NOT NULL DEFAULT 0,"
    "  media INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, kind, name));"
    "CREATE TABLE volume_owners ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX volume_owners_owner ON volume_owners(owner_id);"
    "CREATE TABLE task_artifacts ("
    "  id INTEGER PRIMARY KEY,"
    "  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('volume', 'domain')),"
    "  ref TEXT NOT NULL,"
    "  made INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX task_artifacts_task ON task_artifacts(task_id);"
    "ALTER TABLE tasks ADD COLUMN error_detail TEXT;"
    "ALTER TABLE audit ADD COLUMN action TEXT;"
    "ALTER TABLE audit ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE audit ADD COLUMN last_ts INTEGER;"
    "CREATE INDEX audit_action ON audit(action);",
    /* 6: metric history (the host and each VM by UUID: one series each;
     * per tier, one row per bucket holding the average and the maximum of
     * the samples in it, see db_stats.c), and API tokens that may only
     * read /metrics */
    "CREATE TABLE stats_series ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE);"
    "CREATE TABLE stats ("
    "  series INTEGER NOT NULL REFERENCES stats_series(id) ON DELETE CASCADE,"
    "  tier INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  cpu INTEGER, cpu_max INTEGER,"
    "  cpu_vcpus INTEGER, cpu_vcpus_max INTEGER,"
    "  mem_used INTEGER, mem_used_max INTEGER,"
    "  mem_total INTEGER, mem_total_max INTEGER,"
    "  disk_read INTEGER, disk_read_max INTEGER,"
    "  disk_write INTEGER, disk_write_max INTEGER,"
    "  net_rx INTEGER, net_rx_max INTEGER,"
    "  net_tx INTEGER, net_tx_max INTEGER,"
    "  PRIMARY KEY (series, tier, ts)) WITHOUT ROWID;"
    "ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full'"
    "  CHECK (scope IN ('full', 'metrics'));",
    /* 7: backup jobs (a schedule in local time, the VMs by UUID one per
     * line, the target pool, how many backups to keep per VM, the last
     * run) and the backups they keep (archives in volumes of a pool) */
    "CREATE TABLE backup_jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  every TEXT NOT NULL CHECK (every IN ('day', 'week')),"
    "  at_minute INTEGER NOT NULL CHECK (at_minute BETWEEN 0 AND 1439),"
    "  weekday INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 7),"
    "  vms TEXT NOT NULL,"
    "  pool TEXT NOT NULL,"
    "  keep INTEGER NOT NULL CHECK (keep >= 1),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  last_run_at INTEGER,"
    "  last_task_id INTEGER,"
    "  last_state TEXT,"
    "  last_message TEXT);"
    "CREATE TABLE backups ("
    "  id INTEGER PRIMARY KEY,"
    "  job_id INTEGER REFERENCES backup_jobs(id) ON DELETE SET NULL,"
    "  job_name TEXT NOT NULL,"
    "  vm_uuid TEXT NOT NULL,"
    "  vm_name TEXT NOT NULL,"
    "  pool TEXT NOT NULL,"
    "  volume TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (pool, volume));"
    "CREATE INDEX backups_job_vm ON backups(job_id, vm_uuid, created_at);",
    /* 8: per-user quotas (docs/quotas.md): NULL is no limit, the default */
    "ALTER TABLE users ADD COLUMN quota_vms INTEGER CHECK (quota_vms >= 0);"
    "ALTER TABLE users ADD COLUMN quota_vcpus INTEGER CHECK (quota_vcpus >= 0);"
    "ALTER TABLE users ADD COLUMN quota_memory_mib INTEGER CHECK (quota_memory_mib >= 0);"
    "ALTER TABLE users ADD COLUMN quota_disk_bytes INTEGER CHECK (quota_disk_bytes >= 0);",
    /* 9: who a backup job and its backups belong to (docs/backups.md):
     * NULL for those an admin made, which only admins see. A job goes
     * with its owner; the backups stay, for admins. */
    "ALTER TABLE backup_jobs ADD COLUMN owner_id INTEGER REFERENCES users(id) ON DELETE CASCADE;"
    "ALTER TABLE backups ADD COLUMN owner_id INTEGER REFERENCES users(id) ON DELETE SET NULL;",
    /* 10: libvirt hosts (docs/hosts.md): known by libvirt's host UUID (NULL
     * until first reached); `local` is the one vireod starts with */
    "CREATE TABLE hosts ("
    "  id INTEGER PRIMARY KEY,"
    "  uuid TEXT UNIQUE,"
    "  name TEXT NOT NULL UNIQUE,"
    "  uri TEXT NOT NULL,"
    "  ssh_key TEXT,"
    "  tls_cert TEXT,"
    "  tls_key TEXT,"
    "  tls_ca TEXT,"
    "  local INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX hosts_one_local ON hosts(local) WHERE local = 1;",
    /* 11: each host's metric history (docs/stats.md): a series belongs to
     * its host (NULL: the local host, whose keys stay as they were), and
     * goes with it when the host is removed */
    "ALTER TABLE stats_series ADD COLUMN host INTEGER REFERENCES hosts(id) ON DELETE CASCADE;"
    "CREATE INDEX stats_series_host ON stats_series(host);",
    /* 12: the libvirt host a task works on (docs/hosts.md). Tasks before it
     * were the local host's. No foreign key: a removed host's tasks stay
     * (their host then reads null; migration 15 marks them -1, as sqlite
     * gives the id to the next host), and what they left half-made is
     * never looked for on another host. */
    "ALTER TABLE tasks ADD COLUMN host_id INTEGER;"
    "UPDATE tasks SET host_id = (SELECT id FROM hosts WHERE local = 1);",
    /* 13: who made which volume, per libvirt host (docs/hosts.md): every
     * host's default pool has the same path, and the same path on another
     * host is another volume. Rows before it were the local host's; on a
     * file from before hosts (whose local host is registered at first
     * start, after this) they wait under host 0 and the local host's row
     * adopts them when it is made. A removed host's rows go with it (no
     * foreign key: host 0 is no row). */
    "CREATE TABLE volume_owners_by_host ("
    "  host_id INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (host_id, key));"
    "INSERT INTO volume_owners_by_host (host_id, key, owner_id, created_at)"
    "  SELECT COALESCE((SELECT id FROM hosts WHERE local = 1), 0), key, owner_id, created_at"
    "  FROM volume_owners;"
    "DROP TABLE volume_owners;"
    "ALTER TABLE volume_owners_by_host RENAME TO volume_owners;"
    "CREATE INDEX volume_owners_owner ON volume_owners(owner_id);"
    "CREATE TRIGGER volume_owners_adopted AFTER INSERT ON hosts WHEN new.local = 1 BEGIN"
    "  UPDATE volume_owners SET host_id = new.id WHERE host_id = 0; END;"
    "CREATE TRIGGER volume_owners_host_removed AFTER DELETE ON hosts BEGIN"
    "  DELETE FROM volume_owners WHERE host_id = old.id; END;",
    /* 14: tasks that name no host (those of a file from before hosts, which
     * migration 12 found without a local host row) are the local host's:
     * taken over now, or by the local host's row when it is made. */
    "UPDATE tasks SET host_id = (SELECT id FROM hosts WHERE local = 1) WHERE host_id IS NULL;"
    "CREATE TRIGGER tasks_adopted AFTER INSERT ON hosts WHEN new.local = 1 BEGIN"
    "  UPDATE tasks SET host_id = new.id WHERE host_id IS NULL; END;",
    /* 15: backups of VMs of any host (docs/backups.md): each job VM's host
     * (host ids, one a line beside `vms`; NULL: all the local host's),
     * each backup's VM's host (NULL: the local host's, as every backup
     * before it), and the host of what a task is about to make when it is
     * not the task's own (a backup of host B's VM writes its archive on
     * the local host; NULL: the task's host). A removed host's id may be
     * given to the next host added, so its backups and job VMs are marked
     * -1 (a removed host) when it goes, never taken for the next one's;
     * ids one a line are matched whole (twice: neighbours share their
     * newline). */
    "ALTER TABLE backup_jobs ADD COLUMN vm_hosts TEXT;"
    "ALTER TABLE backups ADD COLUMN host_id INTEGER;"
    "UPDATE backups SET host_id = (SELECT id FROM hosts WHERE local = 1);"
    "ALTER TABLE task_artifacts ADD COLUMN host_id INTEGER;"
    "CREATE TRIGGER backups_host_removed AFTER DELETE ON hosts BEGIN"
    "  UPDATE backups SET host_id = -1 WHERE host_id = old.id;"
    "  UPDATE backup_jobs SET vm_hosts = trim(replace(replace("
    "    char(10) || vm_hosts || char(10),"
    "    char(10) || old.id || char(10), char(10) || '-1' || char(10)),"
    "    char(10) || old.id || char(10), char(10) || '-1' || char(10)), char(10))"
    "  WHERE vm_hosts IS NOT NULL; END;"
    /* The same for tasks and what they left: a removed host's tasks read
     * no host, and their leftovers are never looked for on the next host
     * given its id (they are on the removed one). */
    "CREATE TRIGGER tasks_host_removed AFTER DELETE ON hosts BEGIN"
    "  UPDATE tasks SET host_id = -1 WHERE host_id = old.id;"
    "  UPDATE task_artifacts SET host_id = -1 WHERE host_id = old.id; END;",
};

int db_schema_latest(void)
{
    return G_N_ELEMENTS(migrations);
}

int db_schema_version(Db *db)
{
    DB_LOCK(db);
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(db->handle, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

gboolean db_migrate(Db *db, GError **error)
{
    DB_LOCK(db);
    int version = db_schema_version(db);
    if (version < 0) {
        db_set_error(error, db, "reading schema version");
        return FALSE;
    }
    if (version > db_schema_latest()) {
        g_set_error(error, DB_ERROR, DB_ERROR_TOO_NEW,
                    "schema version %d is newer than this vireod knows (%d)", version,
                    db_schema_latest());
        return FALSE;
    }
    for (int v = version; v < db_schema_latest(); v++) {
        /* Each step and its version bump commit together, or not at all. */
        g_autofree char *sql = g_strdup_printf(
            "BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;", migrations[v], v + 1);
        if (!db_exec(db, sql, error)) {
            db_exec(db, "ROLLBACK;", NULL);
            g_prefix_error(error, "migration %d: ", v + 1);
            return FALSE;
        }
    }
    return TRUE;
}
