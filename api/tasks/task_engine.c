/* Task engine: a GThreadPool of workers, a table of live tasks (for cancel),
 * rate-limited progress writes, and publishing of every change. */
#include "api/tasks/task_engine.h"
#include "api/core/api_error.h"
#include "api/core/api_tsan.h"
#include "virt/virt_error.h"

#include <gio/gio.h>
#include <string.h>

#define PROGRESS_INTERVAL_US (250 * 1000)

struct TaskEngine {
    Db *db;
    GThreadPool *pool;
    TaskPublishFn publish;
    gpointer publish_data;
    GMutex lock;
    GHashTable *live; /* id -> Task*, queued or running */
    gboolean stopping;
};

struct Task {
    TaskEngine *engine;
    gint64 id;
    gboolean cancellable;
    gint cancel; /* atomic */
    int last_percent;
    gint64 last_write_us;
    TaskRunFn run;
    gpointer data;
    GDestroyNotify free_data;
    gboolean begun; /* running already: from task_begin, then task_continue */
    VirtHost *host; /* a reference; NULL: none named */
};

static void publish(TaskEngine *engine, gint64 id)
{
    if (!engine->publish)
        return;
    g_autoptr(GError) error = NULL;
    g_autoptr(DbTask) row = db_task_get(engine->db, id, &error);
    if (row)
        engine->publish(row, engine->publish_data);
    else if (error)
        g_warning("task %" G_GINT64_FORMAT ": %s", id, error->message);
}

static void task_free(Task *task)
{
    if (task->free_data)
        task->free_data(task->data);
    /* Its data first: it may hold the host's connections. */
    g_clear_pointer(&task->host, virt_host_unref);
    g_free(task);
}

/* Messages Vireo wrote itself in place of the error's own. */
static gboolean stopping_or_cancelled(const char *code)
{
    return g_strcmp0(code, "interrupted") == 0 || g_strcmp0(code, "cancelled") == 0;
}

static void end_task(Task *task, const char *result, const GError *error)
{
    TaskEngine *engine = task->engine;
    const char *state = "succeeded", *code = NULL, *message = NULL;
    if (error) {
        gboolean stopping;
        g_mutex_lock(&engine->lock);
        stopping = engine->stopping;
        g_mutex_unlock(&engine->lock);
        state = "failed";
        code = api_error_code(error);
        message = error->message;
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
            code = "aborted"; /* the client went away mid-transfer */
        if (stopping) {
            code = "interrupted";
            message = "vireod stopped";
        } else if (task_cancel_requested(task)) {
            state = "cancelled";
            code = "cancelled";
            message = "cancelled on request";
        }
    }
    g_autoptr(GError) db_error = NULL;
    const char *detail = error && !stopping_or_cancelled(code) ? virt_error_detail(error) : NULL;
    if (!db_task_finish(engine->db, task->id, state, error ? NULL : result, code, message, detail,
                        &db_error))
        g_warning("task %" G_GINT64_FORMAT ": %s", task->id, db_error->message);
    /* It ended: what it made is kept, or it undid it itself. */
    g_clear_error(&db_error);
    if (!db_task_artifacts_clear(engine->db, task->id, &db_error))
        g_warning("task %" G_GINT64_FORMAT ": %s", task->id, db_error->message);
    g_mutex_lock(&engine->lock);
    g_hash_table_remove(engine->live, &task->id);
    g_mutex_unlock(&engine->lock);
    g_message("task %" G_GINT64_FORMAT " %s%s%s", task->id, state, message ? ": " : "",
              message ? message : "");
    publish(engine, task->id);
    task_free(task);
}

static void work(gpointer item, gpointer user_data)
{
    Task *task = item;
    TaskEngine *engine = user_data;
    g_autoptr(GError) error = NULL;
    g_autofree char *result = NULL;
    API_TSAN_ACQUIRE(task); /* from tasks_submit, through GLib's queue */
    if (task_cancel_requested(task) && !task->begun) {
        /* Cancelled (or vireod stopping) while queued: never started. */
        g_set_error_literal(&error, API_ERROR, API_ERROR_CONFLICT, "cancelled before it started");
        end_task(task, NULL, error);
        API_TSAN_RELEASE(engine);
        return;
    }
    if (!task->begun) {
        if (!db_task_start(engine->db, task->id, &error))
            g_warning("task %" G_GINT64_FORMAT ": %s", task->id, error->message);
        g_clear_error(&error);
        publish(engine, task->id);
    }
    if (!task->run(task, task->data, &result, &error) && !error)
        g_set_error_literal(&error, API_ERROR, API_ERROR_INTERNAL, "the task failed");
    end_task(task, result, error);
    API_TSAN_RELEASE(engine); /* to task_engine_free, which waits for us */
}

TaskEngine *task_engine_new(Db *db, guint workers, TaskPublishFn publish_fn, gpointer publish_data,
                            GError **error)
{
    int n = db_task_interrupt_all(db, error);
    if (n < 0)
        return NULL;
    if (n > 0)
        g_message("%d task(s) interrupted by the last stop marked failed", n);
    TaskEngine *engine = g_new0(TaskEngine, 1);
    engine->db = db;
    engine->publish = publish_fn;
    engine->publish_data = publish_data;
    g_mutex_init(&engine->lock);
    engine->live = g_hash_table_new(g_int64_hash, g_int64_equal);
    engine->pool = g_thread_pool_new(work, engine, (gint)workers, FALSE, error);
    if (!engine->pool) {
        task_engine_free(engine);
        return NULL;
    }
    return engine;
}

void task_engine_free(TaskEngine *engine)
{
    if (!engine)
        return;
    g_mutex_lock(&engine->lock);
    engine->stopping = TRUE;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, engine->live);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_atomic_int_set(&((Task *)value)->cancel, 1);
    g_mutex_unlock(&engine->lock);
    /* Queued tasks still pass through work(), which ends them at once. */
    if (engine->pool)
        g_thread_pool_free(engine->pool, FALSE, TRUE);
    API_TSAN_ACQUIRE(engine); /* what the workers did before they ended */
    g_hash_table_unref(engine->live);
    g_mutex_clear(&engine->lock);
    g_free(engine);
}

static Task *new_task(TaskEngine *engine, const char *kind, const char *target, gint64 owner_id,
                      VirtHost *host, gboolean cancellable, const char *state, GError **error)
{
    gint64 id = db_task_create(engine->db, kind, target, owner_id, host ? virt_host_id(host) : 0,
                               cancellable, state, error);
    if (!id)
        return NULL;
    Task *task = g_new0(Task, 1);
    task->engine = engine;
    task->id = id;
    task->host = host ? virt_host_ref(host) : NULL;
    task->cancellable = cancellable;
    task->last_percent = -1;
    g_mutex_lock(&engine->lock);
    g_hash_table_insert(engine->live, &task->id, task);
    g_mutex_unlock(&engine->lock);
    publish(engine, id);
    return task;
}

/* Gives `task` its work and queues it for a worker; when that fails, the
 * task ends failed (its data freed). */
static gboolean queue(Task *task, TaskRunFn run, gpointer data, GDestroyNotify free_data,
                      GError **error)
{
    task->run = run;
    task->data = data;
    task->free_data = free_data;
    g_autoptr(GError) pool_error = NULL;
    API_TSAN_RELEASE(task); /* to work(), through GLib's queue */
    if (!g_thread_pool_push(task->engine->pool, task, &pool_error)) {
        end_task(task, NULL, pool_error);
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "cannot queue the task");
        return FALSE;
    }
    return TRUE;
}

gint64 tasks_submit(TaskEngine *engine, const char *kind, const char *target, gint64 owner_id,
                    VirtHost *host, TaskRunFn run, gpointer data, GDestroyNotify free_data,
                    GError **error)
{
    Task *task = new_task(engine, kind, target, owner_id, host, TRUE, "queued", error);
    if (!task) {
        if (free_data)
            free_data(data);
        return 0;
    }
    gint64 id = task->id;
    return queue(task, run, data, free_data, error) ? id : 0;
}

Task *task_begin(TaskEngine *engine, const char *kind, const char *target, gint64 owner_id,
                 VirtHost *host, gboolean cancellable, GError **error)
{
    Task *task = new_task(engine, kind, target, owner_id, host, cancellable, "running", error);
    if (task)
        task->begun = TRUE;
    return task;
}

gboolean task_continue(Task *task, TaskRunFn run, gpointer data, GDestroyNotify free_data,
                       GError **error)
{
    return queue(task, run, data, free_data, error);
}

void task_finish(Task *task, const char *result, const GError *error)
{
    end_task(task, result, error);
}

gint64 task_id(const Task *task)
{
    return task->id;
}

VirtHost *task_host(const Task *task)
{
    return task->host;
}

gint64 task_will_make(Task *task, const char *kind, const char *ref, GError **error)
{
    return task_will_make_on(task, NULL, kind, ref, error);
}

gint64 task_will_make_on(Task *task, VirtHost *host, const char *kind, const char *ref,
                         GError **error)
{
    gint64 id = db_task_artifact_add_on(task->engine->db, task->id, host ? virt_host_id(host) : 0,
                                        kind, ref, error);
    if (!id)
        g_prefix_error(error, "task %" G_GINT64_FORMAT " cannot record what it makes: ", task->id);
    return id;
}

void task_made(Task *task, gint64 id)
{
    g_autoptr(GError) error = NULL;
    if (id && !db_task_artifact_set_made(task->engine->db, id, &error))
        g_warning("task %" G_GINT64_FORMAT ": %s", task->id, error->message);
}

void task_progress(Task *task, int percent, const char *message)
{
    percent = CLAMP(percent, 0, 100);
    gint64 now = g_get_monotonic_time();
    if (!message && (percent == task->last_percent ||
                     (now - task->last_write_us < PROGRESS_INTERVAL_US && percent < 100)))
        return;
    task->last_percent = percent;
    task->last_write_us = now;
    g_autoptr(GError) error = NULL;
    if (!db_task_progress(task->engine->db, task->id, percent, message, &error))
        g_warning("task %" G_GINT64_FORMAT ": %s", task->id, error->message);
    publish(task->engine, task->id);
}

void task_set_cancellable(Task *task, gboolean cancellable)
{
    TaskEngine *engine = task->engine;
    g_mutex_lock(&engine->lock);
    task->cancellable = cancellable;
    g_mutex_unlock(&engine->lock);
    g_autoptr(GError) error = NULL;
    if (!db_task_set_cancellable(engine->db, task->id, cancellable, &error))
        g_warning("task %" G_GINT64_FORMAT ": %s", task->id, error->message);
    publish(engine, task->id);
}

gboolean task_cancel_requested(Task *task)
{
    return g_atomic_int_get(&task->cancel) != 0;
}

gboolean task_engine_cancel(TaskEngine *engine, gint64 id, GError **error)
{
    g_mutex_lock(&engine->lock);
    Task *task = g_hash_table_lookup(engine->live, &id);
    gboolean ok = task && task->cancellable;
    if (ok)
        g_atomic_int_set(&task->cancel, 1);
    g_mutex_unlock(&engine->lock);
    if (!ok) {
        g_set_error(error, API_ERROR, API_ERROR_CONFLICT,
                    task ? "task %" G_GINT64_FORMAT " cannot be cancelled"
                         : "task %" G_GINT64_FORMAT " has already ended",
                    id);
        return FALSE;
    }
    if (!db_task_request_cancel(engine->db, id, error))
        return FALSE;
    publish(engine, id);
    return TRUE;
}
