/* Tasks: inventory rows and the engine (submit, progress, cancel, the
 * restart clean-up, pruning) on a temporary file, no libvirt. */
#include "unit_db.h"

#include "api/core/api_error.h"
#include "api/tasks/task_engine.h"
#include "db/db_hosts.h"
#include "db/db_tasks.h"

typedef struct {
    char *dir;
    char *path;
    Db *db;
    GMutex lock;
    GCond changed;
    int published;
    char *last_state;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->db = unit_db_open(&f->dir, &f->path);
    g_mutex_init(&f->lock);
    g_cond_init(&f->changed);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    unit_db_close(f->db, f->dir, f->path);
    g_mutex_clear(&f->lock);
    g_cond_clear(&f->changed);
    g_free(f->last_state);
    g_free(f);
    return 0;
}

static void on_publish(const DbTask *t, gpointer data)
{
    Fixture *f = data;
    g_mutex_lock(&f->lock);
    f->published++;
    g_free(f->last_state);
    f->last_state = g_strdup(t->state);
    g_cond_broadcast(&f->changed);
    g_mutex_unlock(&f->lock);
}

/* Polls the row until it reaches `state` (or 10 s pass). */
static DbTask *wait_state(Fixture *f, gint64 id, const char *state)
{
    for (int i = 0; i < 1000; i++) {
        g_autoptr(GError) error = NULL;
        DbTask *t = db_task_get(f->db, id, &error);
        assert_non_null(t);
        if (g_strcmp0(t->state, state) == 0)
            return t;
        db_task_free(t);
        g_usleep(10 * 1000);
    }
    fail_msg("task %" G_GINT64_FORMAT " never reached %s", id, state);
    return NULL;
}

static void test_rows(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    gint64 a = db_task_create(f->db, "clone", "p/a", 0, 0, TRUE, "queued", &error);
    gint64 b = db_task_create(f->db, "upload", "p/b", 0, 0, FALSE, "running", &error);
    assert_null(error);
    assert_true(a > 0 && b > a);
    assert_true(db_task_start(f->db, a, &error));
    assert_true(db_task_progress(f->db, a, 150, "copying", &error));
    g_autoptr(DbTask) t = db_task_get(f->db, a, &error);
    assert_string_equal(t->state, "running");
    assert_int_equal(t->progress, 100); /* clamped */
    assert_string_equal(t->message, "copying");
    assert_null(t->result);
    assert_true(db_task_finish(f->db, a, "succeeded", "/api/x", NULL, NULL, NULL, &error));
    g_autoptr(DbTask) done = db_task_get(f->db, a, &error);
    assert_string_equal(done->state, "succeeded");
    assert_string_equal(done->result, "/api/x");
    assert_true(done->finished_at > 0);
    assert_null(db_task_get(f->db, 999, &error));
    assert_null(error);
    /* Lists: newest first, state filter, paging. */
    DbTaskQuery q = {.limit = 10};
    g_autoptr(GPtrArray) all = db_task_list(f->db, &q, &error);
    assert_int_equal(all->len, 2);
    assert_int_equal(((DbTask *)all->pdata[0])->id, b);
    q.state = "running";
    g_autoptr(GPtrArray) running = db_task_list(f->db, &q, &error);
    assert_int_equal(running->len, 1);
    q.state = NULL;
    q.before_id = b;
    g_autoptr(GPtrArray) older = db_task_list(f->db, &q, &error);
    assert_int_equal(older->len, 1);
    assert_int_equal(((DbTask *)older->pdata[0])->id, a);
    /* A restart fails what was left running; pruning drops old finished rows. */
    assert_int_equal(db_task_interrupt_all(f->db, &error), 1);
    g_autoptr(DbTask) cut = db_task_get(f->db, b, &error);
    assert_string_equal(cut->state, "failed");
    assert_string_equal(cut->error_code, "interrupted");
    assert_int_equal(db_task_prune(f->db, g_get_real_time() / G_USEC_PER_SEC - 60, &error), 0);
    assert_int_equal(db_task_prune(f->db, g_get_real_time() / G_USEC_PER_SEC + 60, &error), 2);
}

/* A task that names no host (made before the local host's row, as on a
 * file from before hosts) is taken over by the local host's row when it
 * is made; another host's row takes nothing. */
static void test_task_without_host_adopted_by_local(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    gint64 id = db_task_create(f->db, "clone", "p/a", 0, 0, TRUE, "queued", &error);
    DbHost there = {.name = "there", .uri = "qemu+tcp://b/system"};
    DbHost here = {.name = "here", .uri = "qemu:///system", .local = TRUE};
    gint64 b = db_host_create(f->db, &there, &error);
    g_autoptr(DbTask) before = db_task_get(f->db, id, &error);
    assert_int_equal(before->host_id, 0);
    gint64 a = db_host_create(f->db, &here, &error);
    assert_null(error);
    assert_true(a > 0 && b > 0);
    g_autoptr(DbTask) after = db_task_get(f->db, id, &error);
    assert_int_equal(after->host_id, a);
    assert_string_equal(after->host_name, "here");
}

/* sqlite gives a removed host's id to the next host added: the removed
 * host's tasks name no host then, and what they left is not looked for
 * on the new one. */
static void test_removed_host_tasks_not_the_next_hosts(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    DbHost there = {.name = "there", .uri = "qemu+tcp://b/system"};
    gint64 b = db_host_create(f->db, &there, &error);
    gint64 on_b = db_task_create(f->db, "clone", "p/a", 0, b, TRUE, "running", &error);
    assert_true(db_task_artifact_add(f->db, on_b, "volume", "p/half", &error) > 0);
    assert_true(db_task_finish(f->db, on_b, "failed", NULL, "x", "x", NULL, &error));
    assert_true(db_host_delete(f->db, b, &error));
    DbHost next = {.name = "next", .uri = "qemu+tcp://c/system"};
    gint64 c = db_host_create(f->db, &next, &error);
    assert_null(error);
    assert_int_equal(c, b); /* the id is given again */
    g_autoptr(DbTask) t = db_task_get(f->db, on_b, &error);
    assert_null(t->host_name);
    g_autoptr(GPtrArray) left = db_task_artifacts_left(f->db, c, FALSE, &error);
    assert_int_equal(left->len, 0);
}

/* A task names its host: answers read the host's name, lists filter by it,
 * and what a task left half-made is looked for on its own host only (the
 * host recorded with it, else its task's). */
static void test_task_hosts(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    DbHost here = {.name = "here", .uri = "qemu:///system", .local = TRUE};
    DbHost there = {.name = "there", .uri = "qemu+tcp://b/system"};
    gint64 a = db_host_create(f->db, &here, &error);
    gint64 b = db_host_create(f->db, &there, &error);
    assert_null(error);
    gint64 on_a = db_task_create(f->db, "clone", "p/a", 0, a, TRUE, "running", &error);
    gint64 on_b = db_task_create(f->db, "clone", "p/a", 0, b, TRUE, "running", &error);
    gint64 none = db_task_create(f->db, "clone", "p/a", 0, 0, TRUE, "running", &error);
    assert_null(error);
    g_autoptr(DbTask) t = db_task_get(f->db, on_b, &error);
    assert_int_equal(t->host_id, b);
    assert_string_equal(t->host_name, "there");
    DbTaskQuery q = {.limit = 10, .host_id = b};
    g_autoptr(GPtrArray) only_b = db_task_list(f->db, &q, &error);
    assert_int_equal(only_b->len, 1);
    assert_int_equal(((DbTask *)only_b->pdata[0])->id, on_b);
    /* Each task leaves a volume of the same name, and ends. */
    gint64 tasks[] = {on_a, on_b, none};
    for (gsize i = 0; i < G_N_ELEMENTS(tasks); i++) {
        assert_true(db_task_artifact_add(f->db, tasks[i], "volume", "p/half", &error) > 0);
        assert_true(db_task_finish(f->db, tasks[i], "failed", NULL, "x", "x", NULL, &error));
    }
    /* A task on B that made something on A (a backup of B's VM writes its
     * archive on the local host): that one is A's to clean up. */
    gint64 backup = db_task_create(f->db, "backup", "j", 0, b, TRUE, "running", &error);
    assert_true(db_task_artifact_add_on(f->db, backup, a, "volume", "p/archive", &error) > 0);
    assert_true(db_task_finish(f->db, backup, "failed", NULL, "x", "x", NULL, &error));
    g_autoptr(GPtrArray) left_b = db_task_artifacts_left(f->db, b, FALSE, &error);
    assert_int_equal(left_b->len, 1);
    assert_int_equal(((DbTaskArtifact *)left_b->pdata[0])->task_id, on_b);
    /* The local host also takes those of tasks that name no host. */
    g_autoptr(GPtrArray) left_a = db_task_artifacts_left(f->db, a, TRUE, &error);
    assert_int_equal(left_a->len, 3);
    for (guint i = 0; i < left_a->len; i++)
        assert_true(((DbTaskArtifact *)left_a->pdata[i])->task_id != on_b);
    /* A removed host's tasks stay, with no host (-1, never the local's). */
    assert_true(db_host_delete(f->db, b, &error));
    g_autoptr(DbTask) orphan = db_task_get(f->db, on_b, &error);
    assert_int_equal(orphan->host_id, -1);
    assert_null(orphan->host_name);
    g_autoptr(GPtrArray) still_a = db_task_artifacts_left(f->db, a, TRUE, &error);
    assert_int_equal(still_a->len, 3);
    assert_null(error);
}

/* A task on a libvirt host that is removed while the task runs: the
 * task's own reference keeps the host and its connection working until
 * the task ends (ASan tells a use after free, or a reference never let go). */
typedef struct {
    VirtHosts *hosts;
    gint64 host_id;
    gboolean found; /* the test driver's domain, through the task's host */
    gint released;  /* atomic: the test let its own reference go */
} HostWork;

static gboolean run_on_host(Task *task, gpointer data, char **result, GError **error)
{
    (void)result;
    HostWork *w = data;
    VirtHost *h = task_host(task);
    if (!h || virt_host_id(h) != w->host_id) {
        g_set_error_literal(error, API_ERROR, API_ERROR_INTERNAL, "not the task's host");
        return FALSE;
    }
    for (int i = 0; i < 500 && !g_atomic_int_get(&w->released); i++)
        g_usleep(10000);
    virt_hosts_remove(w->hosts, w->host_id);
    virConnectPtr conn = virt_conn_get(virt_host_conn(h), error);
    if (!conn)
        return FALSE;
    virDomainPtr dom = virDomainLookupByName(conn, "test");
    w->found = dom != NULL;
    if (dom)
        virDomainFree(dom);
    virConnectClose(conn);
    return TRUE;
}

static void test_task_holds_its_host(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    virt_init();
    DbHost row = {.name = "there", .uri = "test:///default"};
    gint64 id = db_host_create(f->db, &row, &error);
    assert_true(id > 0);
    VirtHosts *hosts = virt_hosts_new(NULL);
    /* Started as the local one: connected when start returns. */
    VirtHostSpec spec = {.id = id, .name = "there", .uri = "test:///default", .local = TRUE};
    VirtHost *h = virt_hosts_add(hosts, &spec);
    virt_host_start(h);
    TaskEngine *e = task_engine_new(f->db, 1, on_publish, f, &error);
    HostWork w = {hosts, id, FALSE, 0};
    gint64 t = tasks_submit(e, "clone", "p/v", 0, h, run_on_host, &w, NULL, &error);
    assert_true(t > 0);
    /* From here the registry's and the task's references are all. */
    virt_host_unref(h);
    g_atomic_int_set(&w.released, 1);
    g_autoptr(DbTask) done = wait_state(f, t, "succeeded");
    assert_true(w.found);
    assert_int_equal(done->host_id, id);
    assert_string_equal(done->host_name, "there");
    task_engine_free(e);
    virt_hosts_free(hosts);
}

typedef struct {
    int steps;
    gboolean fail;
    gint started; /* atomic: the run function is under way */
    gint freed;   /* atomic: its free_data ran */
} Work;

static gboolean run_steps(Task *task, gpointer data, char **result, GError **error)
{
    Work *w = data;
    g_atomic_int_set(&w->started, 1);
    for (int i = 1; i <= w->steps; i++) {
        if (task_cancel_requested(task)) {
            g_set_error(error, API_ERROR, API_ERROR_CONFLICT, "stopped");
            return FALSE;
        }
        task_progress(task, i * 100 / w->steps, NULL);
        g_usleep(1000);
    }
    if (w->fail) {
        g_set_error(error, API_ERROR, API_ERROR_INSUFFICIENT_STORAGE, "pool full");
        return FALSE;
    }
    *result = g_strdup("/api/pools/p/volumes/v");
    return TRUE;
}

static void test_engine_runs_and_fails(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    TaskEngine *e = task_engine_new(f->db, 2, on_publish, f, &error);
    assert_non_null(e);
    Work ok = {.steps = 50}, bad = {.steps = 3, .fail = TRUE};
    gint64 a = tasks_submit(e, "clone", "p/v", 0, NULL, run_steps, &ok, NULL, &error);
    gint64 b = tasks_submit(e, "clone", "p/w", 0, NULL, run_steps, &bad, NULL, &error);
    assert_true(a > 0 && b > 0);
    g_autoptr(DbTask) ta = wait_state(f, a, "succeeded");
    assert_int_equal(ta->progress, 100);
    assert_string_equal(ta->result, "/api/pools/p/volumes/v");
    g_autoptr(DbTask) tb = wait_state(f, b, "failed");
    assert_string_equal(tb->error_code, "insufficient_storage");
    assert_string_equal(tb->error_message, "pool full");
    assert_null(tb->result);
    /* Ended tasks cannot be cancelled. */
    assert_false(task_engine_cancel(e, a, &error));
    assert_true(g_error_matches(error, API_ERROR, API_ERROR_CONFLICT));
    task_engine_free(e);
    g_mutex_lock(&f->lock);
    assert_true(f->published >= 4);
    g_mutex_unlock(&f->lock);
}

static void test_engine_cancel(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    TaskEngine *e = task_engine_new(f->db, 1, on_publish, f, &error);
    Work slow = {.steps = 100000}, queued = {.steps = 1};
    gint64 a = tasks_submit(e, "clone", "p/v", 0, NULL, run_steps, &slow, NULL, &error);
    gint64 b = tasks_submit(e, "clone", "p/w", 0, NULL, run_steps, &queued, NULL, &error);
    while (!g_atomic_int_get(&slow.started))
        g_usleep(1000);
    /* The second waits behind the first (one worker): cancel it queued. */
    assert_true(task_engine_cancel(e, b, &error));
    assert_true(task_engine_cancel(e, a, &error));
    g_autoptr(DbTask) ta = wait_state(f, a, "cancelled");
    assert_true(ta->cancel_requested);
    assert_string_equal(ta->error_code, "cancelled");
    g_autoptr(DbTask) tb = wait_state(f, b, "cancelled");
    assert_false(g_atomic_int_get(&queued.started));
    task_engine_free(e);
}

static void test_caller_thread_task_and_restart(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    TaskEngine *e = task_engine_new(f->db, 1, on_publish, f, &error);
    Task *up = task_begin(e, "upload", "p/iso", 0, NULL, TRUE, &error);
    assert_non_null(up);
    gint64 id = task_id(up);
    task_progress(up, 40, "40 of 100 bytes");
    g_autoptr(DbTask) mid = db_task_get(f->db, id, &error);
    assert_string_equal(mid->state, "running");
    assert_int_equal(mid->progress, 40);
    assert_true(task_engine_cancel(e, id, &error));
    assert_true(task_cancel_requested(up));
    g_autoptr(GError) why = g_error_new_literal(API_ERROR, API_ERROR_CONFLICT, "cut");
    task_finish(up, NULL, why);
    g_autoptr(DbTask) end = db_task_get(f->db, id, &error);
    assert_string_equal(end->state, "cancelled");
    /* A step that cannot stop refuses a cancel. */
    Task *fixed = task_begin(e, "clone", "p/conv", 0, NULL, TRUE, &error);
    task_set_cancellable(fixed, FALSE);
    assert_false(task_engine_cancel(e, task_id(fixed), &error));
    assert_true(g_error_matches(error, API_ERROR, API_ERROR_CONFLICT));
    g_clear_error(&error);
    assert_false(task_cancel_requested(fixed));
    g_autoptr(DbTask) row = db_task_get(f->db, task_id(fixed), &error);
    assert_false(row->cancellable);
    task_finish(fixed, "/api/x", NULL);
    /* One left running as a crash would leave it: the next engine fails it. */
    Task *left = task_begin(e, "upload", "p/big", 0, NULL, TRUE, &error);
    gint64 left_id = task_id(left);
    task_engine_free(e);
    g_free(left); /* what a crash would have lost */
    e = task_engine_new(f->db, 1, NULL, NULL, &error);
    g_autoptr(DbTask) cut = db_task_get(f->db, left_id, &error);
    assert_string_equal(cut->state, "failed");
    assert_string_equal(cut->error_code, "interrupted");
    assert_string_equal(cut->error_message, "vireod restarted");
    task_engine_free(e);
}

static void count_free(gpointer data)
{
    g_atomic_int_inc(&((Work *)data)->freed);
}

/* A task begun on the caller's thread (an import's upload) goes on on a
 * worker; its run is called even when a cancel came first, so it can undo
 * what the caller's part made. */
static void test_begun_task_continues_on_a_worker(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    TaskEngine *e = task_engine_new(f->db, 1, on_publish, f, &error);
    Task *up = task_begin(e, "import", "vm", 0, NULL, TRUE, &error);
    gint64 id = task_id(up);
    task_progress(up, 30, "received 3 of 10 MiB");
    Work rest = {.steps = 5};
    assert_true(task_continue(up, run_steps, &rest, count_free, &error));
    g_autoptr(DbTask) done = wait_state(f, id, "succeeded");
    assert_string_equal(done->result, "/api/pools/p/volumes/v");
    assert_int_equal(done->progress, 100);

    Task *cut = task_begin(e, "import", "vm2", 0, NULL, TRUE, &error);
    gint64 cut_id = task_id(cut);
    assert_true(task_engine_cancel(e, cut_id, &error));
    Work undo = {.steps = 5};
    assert_true(task_continue(cut, run_steps, &undo, count_free, &error));
    g_autoptr(DbTask) cancelled = wait_state(f, cut_id, "cancelled");
    assert_true(g_atomic_int_get(&undo.started));
    task_engine_free(e);
    assert_int_equal(g_atomic_int_get(&rest.freed), 1);
    assert_int_equal(g_atomic_int_get(&undo.freed), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_without_host_adopted_by_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_removed_host_tasks_not_the_next_hosts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_task_holds_its_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_runs_and_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_engine_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_thread_task_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begun_task_continues_on_a_worker, setup, teardown),
    };
    return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
