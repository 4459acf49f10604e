/* Inventory: migrations, metadata rows, pruning. On a temporary file. */
#include "unit.h"

#include "db/db.h"

#include <sqlite3.h>

typedef struct {
    char *dir;
    char *path;
    Db *db;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->dir = unit_tmpdir();
    f->path = g_build_filename(f->dir, "sub", "vireo.db", NULL);
    g_autoptr(GError) error = NULL;
    f->db = db_open(f->path, &error);
    assert_null(error);
    assert_non_null(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    db_close(f->db);
    unit_rmtree(f->dir);
    g_free(f->dir);
    g_free(f->path);
    g_free(f);
    return 0;
}

static void test_migrates_to_latest(void **state)
{
    Fixture *f = *state;
    assert_int_equal(db_schema_version(f->db), db_schema_latest());
    /* Reopening an up-to-date file is a no-op. */
    db_close(f->db);
    g_autoptr(GError) error = NULL;
    f->db = db_open(f->path, &error);
    assert_null(error);
    assert_int_equal(db_schema_version(f->db), db_schema_latest());
}

static void test_refuses_newer_schema(void **state)
{
    Fixture *f = *state;
    db_close(f->db);
    f->db = NULL;
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    g_autofree char *sql = g_strdup_printf("PRAGMA user_version=%d", db_schema_latest() + 1);
    assert_int_equal(sqlite3_exec(raw, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    g_autoptr(GError) error = NULL;
    Db *db = db_open(f->path, &error);
    assert_null(db);
    assert_true(g_error_matches(error, DB_ERROR, DB_ERROR_TOO_NEW));
    f->db = db_open(":memory:", NULL);
}

static void test_meta_roundtrip(void **state)
{
    Fixture *f = *state;
    const char *uuid = "11111111-2222-3333-4444-555555555555";
    g_autoptr(GError) error = NULL;
    assert_null(db_vm_meta_get(f->db, uuid, &error));
    assert_null(error);

    const char *tags[] = {"web", "prod", NULL};
    assert_true(db_vm_meta_update(f->db, uuid, "a <b> & \"c\"", tags, &error));
    g_autoptr(DbVmMeta) m = db_vm_meta_get(f->db, uuid, &error);
    assert_non_null(m);
    assert_string_equal(m->description, "a <b> & \"c\"");
    assert_int_equal(g_strv_length(m->tags), 2);
    assert_string_equal(m->tags[0], "web");
    assert_string_equal(m->tags[1], "prod");
    assert_true(m->created_at > 0);

    /* NULL fields keep their value; an empty tag list clears tags. */
    const char *none[] = {NULL};
    assert_true(db_vm_meta_update(f->db, uuid, NULL, none, &error));
    g_autoptr(DbVmMeta) m2 = db_vm_meta_get(f->db, uuid, &error);
    assert_string_equal(m2->description, "a <b> & \"c\"");
    assert_int_equal(g_strv_length(m2->tags), 0);
    assert_int_equal(m2->created_at, m->created_at);
}

static void test_touch_and_prune(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    const char *uuids[] = {"aaaaaaaa-0000-0000-0000-000000000001",
                           "aaaaaaaa-0000-0000-0000-000000000002", NULL};
    assert_true(db_vm_meta_touch_all(f->db, uuids, &error));
    const char *tags[] = {"x", NULL};
    assert_true(db_vm_meta_update(f->db, uuids[1], "gone soon", tags, &error));
    g_autoptr(GHashTable) all = db_vm_meta_all(f->db, &error);
    assert_int_equal(g_hash_table_size(all), 2);

    /* Rows written after the cut-off are spared even if not alive. */
    const char *alive[] = {uuids[0], NULL};
    assert_int_equal(db_vm_meta_prune(f->db, alive, 0, &error), 0);
    int64_t later = g_get_real_time() / G_USEC_PER_SEC + 10;
    assert_int_equal(db_vm_meta_prune(f->db, alive, later, &error), 1);
    g_autoptr(GHashTable) after = db_vm_meta_all(f->db, &error);
    assert_int_equal(g_hash_table_size(after), 1);
    assert_true(g_hash_table_contains(after, uuids[0]));
    /* Tags went with their row (foreign key cascade). */
    assert_null(db_vm_meta_get(f->db, uuids[1], &error));
    assert_null(error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrates_to_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_and_prune, setup, teardown),
    };
    return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
