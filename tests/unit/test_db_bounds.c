/* Inventory bounds and scope tables: a full database answers DB_ERROR_FULL
 * and stores nothing, the audit log folds repeated failures and keeps a
 * bounded number of rows, sessions per user are trimmed, grants of pools,
 * networks and bridges, and task artifacts (volume owners: test_volume_owners). */
#include "unit.h"

#include "db/db_audit.h"
#include "db/db_auth.h"
#include "db/db_private.h"
#include "db/db_tasks.h"

typedef struct {
    char *dir;
    Db *db;
    gint64 alice, bob;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(f->dir, "vireo.db", NULL);
    g_autoptr(GError) error = NULL;
    f->db = db_open(path, &error);
    assert_non_null(f->db);
    f->alice = db_user_create(f->db, "alice", "x", "operator", "local", &error);
    f->bob = db_user_create(f->db, "bob", "x", "viewer", "local", &error);
    assert_true(f->alice > 0 && f->bob > 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    db_close(f->db);
    unit_rmtree(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

/* Caps the file at its current size, as a full disk would. */
static void fill_up(Db *db)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db->handle, "PRAGMA page_count", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    g_autofree char *sql = g_strdup_printf("PRAGMA max_page_count = %d", pages);
    assert_int_equal(sqlite3_exec(db->handle, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_full_database_stores_nothing(void **state)
{
    Fixture *f = *state;
    fill_up(f->db);
    g_autoptr(GError) error = NULL;
    int added = 0;
    /* Enough rows to need a new page whatever the free space left. */
    for (int i = 0; i < 2000 && !error; i++) {
        g_autofree char *name = g_strdup_printf("token-%d-with-a-long-name-to-fill-pages", i);
        g_autofree char *hash = g_strdup_printf("%064d", i);
        if (db_token_create(f->db, f->alice, name, hash, 0, &error))
            added++;
    }
    assert_true(g_error_matches(error, DB_ERROR, DB_ERROR_FULL));
    /* What was answered as made is there; the refused one is not. */
    g_autoptr(GPtrArray) tokens = db_token_list(f->db, f->alice, NULL);
    assert_int_equal((int)tokens->len, added);
    /* Reads still work. */
    g_autoptr(DbUser) u = db_user_by_id(f->db, f->alice, NULL);
    assert_non_null(u);
}

static gint64 audit_failure(Db *db, const char *user, const char *target, int status)
{
    DbAuditEntry e = {.username = (char *)user,
                      .address = "10.0.0.1",
                      .method = "POST",
                      .path = "/api/vms/x/start",
                      .target = (char *)target,
                      .action = "vm.start"};
    gint64 id = db_audit_add(db, &e, NULL);
    assert_true(id > 0);
    assert_true(db_audit_finish(db, id, status, "conflict", 60, NULL));
    return id;
}

static void test_audit_folds_repeated_failures(void **state)
{
    Fixture *f = *state;
    for (int i = 0; i < 50; i++)
        audit_failure(f->db, "alice", "x", 409);
    audit_failure(f->db, "alice", "y", 409); /* another target: its own row */
    audit_failure(f->db, "bob", "x", 409);   /* another user */
    audit_failure(f->db, "alice", "x", 200); /* a success is never folded */
    audit_failure(f->db, "alice", "x", 200);
    DbAuditQuery q = {.limit = 100};
    g_autoptr(GPtrArray) rows = db_audit_query(f->db, &q, NULL);
    assert_int_equal(rows->len, 5);
    const DbAuditEntry *first = g_ptr_array_index(rows, rows->len - 1);
    assert_int_equal(first->repeats, 50);
    assert_string_equal(first->action, "vm.start");

    DbAuditQuery failures = {.limit = 100, .result = DB_AUDIT_FAILURE, .target = "x"};
    g_autoptr(GPtrArray) x = db_audit_query(f->db, &failures, NULL);
    assert_int_equal(x->len, 2);
    DbAuditQuery vm = {.limit = 100, .action = "vm.", .result = DB_AUDIT_SUCCESS};
    g_autoptr(GPtrArray) ok = db_audit_query(f->db, &vm, NULL);
    assert_int_equal(ok->len, 2);
    DbAuditQuery other = {.limit = 100, .action = "user."};
    g_autoptr(GPtrArray) none = db_audit_query(f->db, &other, NULL);
    assert_int_equal(none->len, 0);
}

static void test_audit_is_bounded(void **state)
{
    Fixture *f = *state;
    for (int i = 0; i < 120; i++) {
        g_autofree char *target = g_strdup_printf("vm%d", i);
        audit_failure(f->db, "alice", target, 403);
    }
    assert_int_equal(db_audit_bound(f->db, 100, NULL), 20);
    DbAuditQuery q = {.limit = 1000};
    g_autoptr(GPtrArray) rows = db_audit_query(f->db, &q, NULL);
    assert_int_equal(rows->len, 100);
    /* The newest are kept. */
    assert_string_equal(((DbAuditEntry *)g_ptr_array_index(rows, 0))->target, "vm119");
}

static void test_sessions_trimmed_oldest_first(void **state)
{
    Fixture *f = *state;
    for (int i = 0; i < 10; i++) {
        g_autofree char *hash = g_strdup_printf("s%02d", i);
        assert_true(db_session_create(f->db, hash, f->alice, "a", "ua", NULL));
    }
    assert_true(db_session_create(f->db, "bobs", f->bob, "a", "ua", NULL));
    assert_int_equal(db_session_trim(f->db, f->alice, 4, NULL), 6);
    g_autoptr(GPtrArray) left = db_session_list(f->db, f->alice, NULL);
    assert_int_equal(left->len, 4);
    g_autoptr(DbSession) newest = db_session_get(f->db, "s09", NULL);
    g_autoptr(DbSession) oldest = db_session_get(f->db, "s00", NULL);
    assert_non_null(newest);
    assert_null(oldest);
    g_autoptr(DbSession) bobs = db_session_get(f->db, "bobs", NULL);
    assert_non_null(bobs);
}

static void test_tokens_of_a_user_deleted(void **state)
{
    Fixture *f = *state;
    assert_true(db_token_create(f->db, f->alice, "a", "h1", 0, NULL) > 0);
    assert_true(db_token_create(f->db, f->alice, "b", "h2", 0, NULL) > 0);
    assert_true(db_token_create(f->db, f->bob, "a", "h3", 0, NULL) > 0);
    assert_int_equal(db_token_delete_user(f->db, f->alice, NULL), 2);
    g_autoptr(GPtrArray) all = db_token_list(f->db, 0, NULL);
    assert_int_equal(all->len, 1);
}

static void test_resource_grants(void **state)
{
    Fixture *f = *state;
    assert_true(db_resource_grant_set(f->db, f->alice, "pool", "images", FALSE, TRUE, NULL));
    assert_true(db_resource_grant_set(f->db, f->alice, "pool", "disks", TRUE, FALSE, NULL));
    assert_true(db_resource_grant_set(f->db, f->alice, "network", "lab", FALSE, FALSE, NULL));
    /* Setting again replaces the uses. */
    assert_true(db_resource_grant_set(f->db, f->alice, "pool", "images", TRUE, TRUE, NULL));
    g_autoptr(GError) error = NULL;
    assert_false(db_resource_grant_set(f->db, f->alice, "volume", "x", FALSE, FALSE, &error));
    g_autoptr(GPtrArray) list = db_resource_grant_list(f->db, f->alice, NULL);
    assert_int_equal(list->len, 3);
    const DbResourceGrant *g = g_ptr_array_index(list, 2); /* network, pool disks, pool images */
    assert_string_equal(g->kind, "pool");
    assert_string_equal(g->name, "images");
    assert_true(g->disks && g->media);
    gboolean found = FALSE;
    assert_true(db_resource_grant_remove(f->db, f->alice, "pool", "disks", &found, NULL));
    assert_true(found);
    assert_true(db_resource_grant_remove(f->db, f->alice, "pool", "disks", &found, NULL));
    assert_false(found);
    assert_true(db_resource_grant_set(f->db, f->bob, "network", "lab", FALSE, FALSE, NULL));
    assert_true(db_resource_grant_forget(f->db, "network", "lab", NULL));
    g_autoptr(GPtrArray) bobs = db_resource_grant_list(f->db, f->bob, NULL);
    assert_int_equal(bobs->len, 0);
    /* Grants go with their user. */
    assert_true(db_user_delete(f->db, f->alice, NULL));
    g_autoptr(GPtrArray) gone = db_resource_grant_list(f->db, f->alice, NULL);
    assert_int_equal(gone->len, 0);
}

static void test_task_artifacts_left_by_a_crash(void **state)
{
    Fixture *f = *state;
    gint64 done = db_task_create(f->db, "clone", "p/a", f->alice, 0, TRUE, "running", NULL);
    gint64 killed = db_task_create(f->db, "create", "vm", f->alice, 0, TRUE, "running", NULL);
    gint64 a1 = db_task_artifact_add(f->db, done, "volume", "p/copy", NULL);
    gint64 a2 = db_task_artifact_add(f->db, killed, "volume", "p/vm-disk0.qcow2", NULL);
    gint64 a3 = db_task_artifact_add(f->db, killed, "domain",
                                     "0b0e1c3a-0000-4000-8000-000000000001", NULL);
    assert_true(a1 && a2 && a3);
    assert_true(db_task_artifact_set_made(f->db, a2, NULL));
    /* Running tasks' artifacts are theirs to handle. */
    g_autoptr(GPtrArray) none = db_task_artifacts_left(f->db, 0, TRUE, NULL);
    assert_int_equal(none->len, 0);
    assert_true(db_task_finish(f->db, done, "succeeded", NULL, NULL, NULL, NULL, NULL));
    assert_true(db_task_artifacts_clear(f->db, done, NULL));
    /* A restart: the killed task is interrupted, its artifacts are left. */
    assert_int_equal(db_task_interrupt_all(f->db, NULL), 1);
    g_autoptr(GPtrArray) left = db_task_artifacts_left(f->db, 0, TRUE, NULL);
    assert_int_equal(left->len, 2);
    const DbTaskArtifact *first = g_ptr_array_index(left, 0);
    assert_string_equal(first->kind, "domain");
    const DbTaskArtifact *second = g_ptr_array_index(left, 1);
    assert_string_equal(second->ref, "p/vm-disk0.qcow2");
    assert_true(second->made);
    assert_true(db_task_add_note(f->db, killed, "removed volume p/vm-disk0.qcow2", NULL));
    g_autoptr(DbTask) t = db_task_get(f->db, killed, NULL);
    assert_non_null(strstr(t->error_message, "removed volume p/vm-disk0.qcow2"));
    assert_true(db_task_artifact_forget(f->db, second->id, NULL));
    g_autoptr(GPtrArray) last = db_task_artifacts_left(f->db, 0, TRUE, NULL);
    assert_int_equal(last->len, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_database_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_folds_repeated_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions_trimmed_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_of_a_user_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_artifacts_left_by_a_crash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
