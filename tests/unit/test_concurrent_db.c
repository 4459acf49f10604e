/* One inventory (db/) shared by many threads, as vireod's HTTP threads,
 * task workers and metadata sync share it: multi-statement writes, reads
 * and inserts all succeed and nothing is lost. Without Db.lock the
 * transactions of one connection interleave and fail. ASan and TSan tiers. */
#include "unit.h"

#include "db/db.h"
#include "db/db_tasks.h"

#define WRITERS 4
#define READERS 2
#define ROWS 60 /* per writer */

typedef struct {
    Db *db;
    int index;
    gint *stop;    /* atomic: readers stop when set */
    GError *error; /* the first failure of this thread */
} Worker;

static char *uuid_of(int writer, int row)
{
    return g_strdup_printf("%08x-0000-4000-8000-%012x", writer, row);
}

static gpointer write_rows(gpointer data)
{
    Worker *w = data;
    for (int row = 0; row < ROWS && !w->error; row++) {
        g_autofree char *uuid = uuid_of(w->index, row);
        g_autofree char *desc = g_strdup_printf("writer %d row %d", w->index, row);
        g_autofree char *tag = g_strdup_printf("w%d", w->index);
        const char *tags[] = {"first", tag, "last", NULL};
        /* A transaction of several statements... */
        if (!db_vm_meta_update(w->db, uuid, desc, tags, &w->error))
            break;
        /* ... and an INSERT ... RETURNING, then an update of that row. */
        gint64 id = db_task_create(w->db, "clone", uuid, 0, 0, TRUE, "queued", &w->error);
        if (!id || !db_task_progress(w->db, id, row, NULL, &w->error))
            break;
    }
    return NULL;
}

static gpointer read_rows(gpointer data)
{
    Worker *w = data;
    while (!g_atomic_int_get(w->stop) && !w->error) {
        g_autoptr(GHashTable) all = db_vm_meta_all(w->db, &w->error);
        if (!all)
            break;
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, all);
        /* A row is read whole: a writer's transaction is all or nothing. */
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            const DbVmMeta *m = value;
            if (g_strv_length(m->tags) != 3 || !m->description) {
                g_set_error(&w->error, DB_ERROR, DB_ERROR_FAILED, "half-written row %s", m->uuid);
                break;
            }
        }
    }
    return NULL;
}

static void test_shared_connection(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(dir, "vireo.db", NULL);
    g_autoptr(GError) error = NULL;
    Db *db = db_open(path, &error);
    assert_non_null(db);
    gint stop = 0;
    Worker workers[WRITERS + READERS];
    GThread *threads[WRITERS + READERS];
    for (int i = 0; i < WRITERS + READERS; i++) {
        workers[i] = (Worker){.db = db, .index = i, .stop = &stop};
        threads[i] = g_thread_new("db", i < WRITERS ? write_rows : read_rows, &workers[i]);
    }
    for (int i = 0; i < WRITERS; i++)
        g_thread_join(threads[i]);
    g_atomic_int_set(&stop, 1);
    for (int i = WRITERS; i < WRITERS + READERS; i++)
        g_thread_join(threads[i]);
    for (int i = 0; i < WRITERS + READERS; i++) {
        if (workers[i].error)
            fail_msg("thread %d: %s", i, workers[i].error->message);
    }

    g_autoptr(GHashTable) all = db_vm_meta_all(db, &error);
    assert_non_null(all);
    assert_int_equal(g_hash_table_size(all), WRITERS * ROWS);
    for (int i = 0; i < WRITERS; i++) {
        for (int row = 0; row < ROWS; row++) {
            g_autofree char *uuid = uuid_of(i, row);
            g_autofree char *desc = g_strdup_printf("writer %d row %d", i, row);
            const DbVmMeta *m = g_hash_table_lookup(all, uuid);
            assert_non_null(m);
            assert_string_equal(m->description, desc);
            assert_int_equal(g_strv_length(m->tags), 3);
        }
    }
    DbTaskQuery q = {.limit = 1000};
    g_autoptr(GPtrArray) tasks = db_task_list(db, &q, &error);
    assert_non_null(tasks);
    assert_int_equal(tasks->len, WRITERS * ROWS);
    db_close(db);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
