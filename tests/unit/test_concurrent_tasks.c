/* The task engine (api/tasks/task_engine.c) with several workers, tasks
 * submitted from several threads and cancels racing their start and end;
 * then a stop while tasks still run. Run in the ASan and TSan tiers. */
#include "unit.h"

#include "api/core/api_error.h"
#include "api/tasks/task_engine.h"
#include "db/db_tasks.h"

#define WORKERS 4
#define SUBMITTERS 2
#define TASKS 48 /* per submitter */
#define CANCELLERS 2

typedef struct {
    Db *db;
    TaskEngine *engine;
    gint freed; /* atomic: free_data calls */
    gint runs;  /* atomic: run() calls */
    GMutex lock;
    guint published;
    gint64 ids[SUBMITTERS * TASKS];
    gint accepted[SUBMITTERS * TASKS]; /* atomic: a cancel of ids[i] was accepted */
} Shared;

typedef struct {
    Shared *shared;
    int steps;
    int checked; /* written by run() on its worker, read at free */
} Work;

typedef struct {
    Shared *shared;
    int index;
} Thread;

static void on_publish(const DbTask *t, gpointer data)
{
    Shared *s = data;
    g_mutex_lock(&s->lock);
    s->published++;
    g_mutex_unlock(&s->lock);
}

static gboolean run_steps(Task *task, gpointer data, char **result, GError **error)
{
    Work *w = data;
    g_atomic_int_inc(&w->shared->runs);
    for (int i = 1; i <= w->steps; i++) {
        if (task_cancel_requested(task)) {
            g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "stopped");
            return FALSE;
        }
        w->checked = i;
        task_progress(task, i * 100 / w->steps, NULL);
        g_usleep(200);
    }
    *result = g_strdup("/api/x");
    return TRUE;
}

static void free_work(gpointer data)
{
    Work *w = data;
    /* The data comes back to be freed on whichever thread ended the task. */
    g_assert(w->checked <= w->steps);
    g_atomic_int_inc(&w->shared->freed);
    g_free(w);
}

static gpointer submit(gpointer data)
{
    Thread *t = data;
    Shared *s = t->shared;
    for (int i = 0; i < TASKS; i++) {
        Work *w = g_new0(Work, 1);
        w->shared = s;
        w->steps = 1 + (t->index * 31 + i * 17) % 40;
        g_autoptr(GError) error = NULL;
        gint64 id = tasks_submit(s->engine, "clone", "p/v", 0, NULL, run_steps, w, free_work,
                                 &error);
        g_assert_no_error(error);
        s->ids[t->index * TASKS + i] = id;
    }
    return NULL;
}

static gpointer cancel_some(gpointer data)
{
    Thread *t = data;
    Shared *s = t->shared;
    g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)t->index + 17u);
    /* Until every task has ended, so cancels keep meeting tasks that are
     * just starting or just ending. */
    while (g_atomic_int_get(&s->freed) < SUBMITTERS * TASKS) {
        int i = g_rand_int_range(rand, 0, SUBMITTERS * TASKS);
        g_autoptr(GError) error = NULL;
        if (task_engine_cancel(s->engine, s->ids[i], &error)) {
            g_atomic_int_set(&s->accepted[i], 1);
            g_usleep(g_rand_int_range(rand, 0, 2000));
        } else {
            g_assert_true(g_error_matches(error, API_ERROR, API_ERROR_CONFLICT));
        }
    }
    return NULL;
}

static DbTask *wait_ended(Db *db, gint64 id)
{
    for (int i = 0; i < 3000; i++) {
        g_autoptr(GError) error = NULL;
        DbTask *t = db_task_get(db, id, &error);
        assert_non_null(t);
        if (strcmp(t->state, "queued") != 0 && strcmp(t->state, "running") != 0)
            return t;
        db_task_free(t);
        g_usleep(10 * 1000);
    }
    fail_msg("task %" G_GINT64_FORMAT " never ended", id);
    return NULL;
}

static Shared *shared_new(const char *dir)
{
    Shared *s = g_new0(Shared, 1);
    g_autofree char *path = g_build_filename(dir, "vireo.db", NULL);
    g_autoptr(GError) error = NULL;
    s->db = db_open(path, &error);
    assert_non_null(s->db);
    g_mutex_init(&s->lock);
    s->engine = task_engine_new(s->db, WORKERS, on_publish, s, &error);
    assert_non_null(s->engine);
    return s;
}

static void shared_free(Shared *s)
{
    db_close(s->db);
    g_mutex_clear(&s->lock);
    g_free(s);
}

static void run_threads(Shared *s, int n, GThreadFunc fn, const char *name)
{
    Thread args[8];
    GThread *threads[8];
    g_assert(n <= 8);
    for (int i = 0; i < n; i++) {
        args[i] = (Thread){.shared = s, .index = i};
        threads[i] = g_thread_new(name, fn, &args[i]);
    }
    for (int i = 0; i < n; i++)
        g_thread_join(threads[i]);
}

static void test_cancels_race(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    Shared *s = shared_new(dir);
    run_threads(s, SUBMITTERS, submit, "submit");
    run_threads(s, CANCELLERS, cancel_some, "cancel");
    int cancelled = 0;
    for (int i = 0; i < SUBMITTERS * TASKS; i++) {
        g_autoptr(DbTask) t = wait_ended(s->db, s->ids[i]);
        /* An accepted cancel may still lose to the task's own end; a
         * refused one never cancels it. */
        if (strcmp(t->state, "cancelled") == 0) {
            assert_true(g_atomic_int_get(&s->accepted[i]));
            assert_true(t->cancel_requested);
            cancelled++;
        } else {
            assert_string_equal(t->state, "succeeded");
        }
    }
    task_engine_free(s->engine);
    assert_true(cancelled > 0);
    assert_int_equal(g_atomic_int_get(&s->freed), SUBMITTERS * TASKS);
    /* Every task was published queued and ended, at least. */
    g_mutex_lock(&s->lock);
    assert_true(s->published >= 2 * SUBMITTERS * TASKS);
    g_mutex_unlock(&s->lock);
    shared_free(s);
    unit_rmtree(dir);
}

static void test_stop_while_running(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    Shared *s = shared_new(dir);
    run_threads(s, SUBMITTERS, submit, "submit");
    /* Stop at once: running tasks are asked to cancel, queued ones end
     * without running, and every task's data is freed once. */
    task_engine_free(s->engine);
    assert_int_equal(g_atomic_int_get(&s->freed), SUBMITTERS * TASKS);
    for (int i = 0; i < SUBMITTERS * TASKS; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DbTask) t = db_task_get(s->db, s->ids[i], &error);
        assert_non_null(t);
        if (strcmp(t->state, "succeeded") != 0) {
            assert_string_equal(t->state, "failed");
            assert_string_equal(t->error_code, "interrupted");
        }
    }
    assert_true(g_atomic_int_get(&s->runs) < SUBMITTERS * TASKS);
    shared_free(s);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancels_race),
        cmocka_unit_test(test_stop_while_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
