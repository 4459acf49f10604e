/* Who made which volume, per libvirt host (docs/hosts.md): the same path
 * on two hosts is two volumes; a disk moved with its VM carries its maker
 * to the copy; a host's prune touches only its rows; a
 * removed host's rows go; migration 13 puts older rows on the local host,
 * or (a file from before hosts) under host 0 until the local host's row is
 * made and adopts them. On a temporary file. */
#include "unit_db.h"

#include "db/db_auth.h"
#include "db/db_hosts.h"

#include <sqlite3.h>

#define DISK "/var/lib/libvirt/images/web-disk0.qcow2"

typedef struct {
    char *dir;
    char *path;
    Db *db;
    gint64 alice, bob;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->db = unit_db_open(&f->dir, &f->path);
    f->alice = db_user_create(f->db, "alice", "x", "operator", "local", NULL);
    f->bob = db_user_create(f->db, "bob", "x", "operator", "local", NULL);
    assert_true(f->alice > 0 && f->bob > 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    unit_db_close(f->db, f->dir, f->path);
    g_free(f);
    return 0;
}

static gint64 host(Fixture *f, const char *name, gboolean local)
{
    DbHost h = {.name = (char *)name, .uri = "test:///default", .local = local};
    g_autoptr(GError) error = NULL;
    gint64 id = db_host_create(f->db, &h, &error);
    if (!id)
        fail_msg("host %s: %s", name, error->message);
    return id;
}

static gboolean owns(Fixture *f, gint64 host_id, gint64 user, const char *key)
{
    g_autoptr(GHashTable) set = db_volume_owned_set(f->db, host_id, user, NULL);
    assert_non_null(set);
    return g_hash_table_contains(set, key);
}

static void test_same_path_on_two_hosts(void **state)
{
    Fixture *f = *state;
    gint64 a = host(f, "a", TRUE), b = host(f, "b", FALSE);
    assert_true(db_volume_owner_set(f->db, a, DISK, f->alice, NULL));
    /* Bob's volume at the same path on b takes nothing from Alice on a. */
    assert_true(db_volume_owner_set(f->db, b, DISK, f->bob, NULL));
    assert_true(owns(f, a, f->alice, DISK));
    assert_false(owns(f, b, f->alice, DISK));
    assert_true(owns(f, b, f->bob, DISK));
    assert_false(owns(f, a, f->bob, DISK));
    g_autoptr(GPtrArray) mine = db_owned_list(f->db, DB_OWNED_VOLUMES, f->alice, NULL);
    assert_int_equal(mine->len, 1);
    assert_int_equal(((DbOwned *)g_ptr_array_index(mine, 0))->host_id, a);
    /* Forgetting it on b leaves a's. */
    assert_true(db_volume_owner_forget(f->db, b, DISK, NULL));
    assert_false(owns(f, b, f->bob, DISK));
    assert_true(owns(f, a, f->alice, DISK));
}

static void test_moved_with_its_vm(void **state)
{
    Fixture *f = *state;
    gint64 a = host(f, "a", TRUE), b = host(f, "b", FALSE);
    assert_true(db_volume_owner_set(f->db, a, DISK, f->alice, NULL));
    /* A stale row of b's at the copy's path gives way. */
    assert_true(db_volume_owner_set(f->db, b, "/b/web-disk0.qcow2", f->bob, NULL));
    assert_true(db_volume_owner_move(f->db, a, DISK, b, "/b/web-disk0.qcow2", NULL));
    assert_false(owns(f, a, f->alice, DISK));
    assert_true(owns(f, b, f->alice, "/b/web-disk0.qcow2"));
    assert_false(owns(f, b, f->bob, "/b/web-disk0.qcow2"));
    /* Nobody made it: nothing to carry, nothing made up. */
    assert_true(db_volume_owner_move(f->db, a, "/p/nobodys.qcow2", b, "/p/nobodys.qcow2", NULL));
    g_autoptr(GPtrArray) all = db_owned_list(f->db, DB_OWNED_VOLUMES, 0, NULL);
    assert_int_equal(all->len, 1);
}

static void test_prune_is_per_host(void **state)
{
    Fixture *f = *state;
    gint64 a = host(f, "a", TRUE), b = host(f, "b", FALSE);
    assert_true(db_volume_owner_set(f->db, a, "/p/x.qcow2", f->alice, NULL));
    assert_true(db_volume_owner_set(f->db, a, "/p/y.qcow2", f->alice, NULL));
    assert_true(db_volume_owner_set(f->db, b, "/p/y.qcow2", f->bob, NULL));
    g_autoptr(GHashTable) alive = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_add(alive, "/p/x.qcow2");
    gint64 later = g_get_real_time() / G_USEC_PER_SEC + 10;
    /* Rows written since the listing started are kept. */
    assert_int_equal(db_volume_owner_prune(f->db, a, alive, 0, NULL), 0);
    assert_int_equal(db_volume_owner_prune(f->db, a, alive, later, NULL), 1);
    assert_true(owns(f, a, f->alice, "/p/x.qcow2"));
    assert_false(owns(f, a, f->alice, "/p/y.qcow2"));
    /* b's volume at that path was not b's prune's business. */
    assert_true(owns(f, b, f->bob, "/p/y.qcow2"));
    /* Rows go with their user. */
    assert_true(db_user_delete(f->db, f->bob, NULL));
    g_autoptr(GPtrArray) all = db_owned_list(f->db, DB_OWNED_VOLUMES, 0, NULL);
    assert_int_equal(all->len, 1);
}

static void test_removed_host_takes_its_rows(void **state)
{
    Fixture *f = *state;
    gint64 a = host(f, "a", TRUE), b = host(f, "b", FALSE);
    assert_true(db_volume_owner_set(f->db, a, DISK, f->alice, NULL));
    assert_true(db_volume_owner_set(f->db, b, DISK, f->alice, NULL));
    assert_true(db_host_delete(f->db, b, NULL));
    assert_false(owns(f, b, f->alice, DISK));
    assert_true(owns(f, a, f->alice, DISK));
    /* A host added later under b's id starts with nothing. */
    gint64 c = host(f, "c", FALSE);
    assert_false(owns(f, c, f->alice, DISK));
}

/* Turns the fixture's file back into schema 12 (volume_owners keyed by
 * path alone; without what migrations 14 and 15 add), with Alice's volume; `with_local`: a local host row is
 * there already (FALSE: a file from before hosts, whose local host is
 * registered only at the first start after the upgrade). */
static void as_schema_12(Fixture *f, gboolean with_local)
{
    if (with_local)
        host(f, "here", TRUE);
    db_close(f->db);
    f->db = NULL;
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    g_autofree char *sql = g_strdup_printf(
        "DROP TRIGGER tasks_adopted;"
        "DROP TRIGGER tasks_host_removed;"
        "DROP TRIGGER backups_host_removed;"
        "ALTER TABLE backup_jobs DROP COLUMN vm_hosts;"
        "ALTER TABLE backups DROP COLUMN host_id;"
        "ALTER TABLE task_artifacts DROP COLUMN host_id;"
        "DROP TRIGGER volume_owners_adopted;"
        "DROP TRIGGER volume_owners_host_removed;"
        "DROP TABLE volume_owners;"
        "CREATE TABLE volume_owners ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        "  created_at INTEGER NOT NULL);"
        "CREATE INDEX volume_owners_owner ON volume_owners(owner_id);"
        "INSERT INTO volume_owners VALUES ('" DISK "', %" G_GINT64_FORMAT ", 1);"
        "PRAGMA user_version = 12;",
        f->alice);
    char *why = NULL;
    if (sqlite3_exec(raw, sql, NULL, NULL, &why) != SQLITE_OK)
        fail_msg("schema 12: %s", why);
    sqlite3_close(raw);
    g_autoptr(GError) error = NULL;
    f->db = db_open(f->path, &error);
    assert_null(error);
    assert_int_equal(db_schema_version(f->db), db_schema_latest());
}

static void test_migration_puts_rows_on_the_local_host(void **state)
{
    Fixture *f = *state;
    as_schema_12(f, TRUE);
    g_autoptr(GPtrArray) hosts = db_host_list(f->db, NULL);
    const DbHost *local = g_ptr_array_index(hosts, 0);
    assert_true(local->local);
    assert_true(owns(f, local->id, f->alice, DISK));
    assert_false(owns(f, DB_HOST_UNREGISTERED, f->alice, DISK));
    /* Another host registered later has none of them. */
    gint64 b = host(f, "b", FALSE);
    assert_false(owns(f, b, f->alice, DISK));
}

static void test_migration_before_hosts_adopted_by_local(void **state)
{
    Fixture *f = *state;
    as_schema_12(f, FALSE);
    /* No host yet: the row waits under host 0. */
    assert_true(owns(f, DB_HOST_UNREGISTERED, f->alice, DISK));
    /* A remote host's row adopts nothing; the local host's row does. */
    gint64 b = host(f, "b", FALSE);
    assert_false(owns(f, b, f->alice, DISK));
    assert_true(owns(f, DB_HOST_UNREGISTERED, f->alice, DISK));
    gint64 here = host(f, "here", TRUE);
    assert_true(owns(f, here, f->alice, DISK));
    assert_false(owns(f, DB_HOST_UNREGISTERED, f->alice, DISK));
    assert_false(owns(f, b, f->alice, DISK));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_path_on_two_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moved_with_its_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_is_per_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_host_takes_its_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_puts_rows_on_the_local_host, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migration_before_hosts_adopted_by_local, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("volume_owners", tests, NULL, NULL);
}
