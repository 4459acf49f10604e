/* The task engine: long work runs as a task with state and progress in the
 * inventory, either on one of a few worker threads (tasks_submit) or on
 * the caller's own thread (task_begin, e.g. an upload on an HTTP thread).
 * Every change is handed to a publish callback (the event stream). */
#pragma once
#include <glib.h>

#include "db/db_tasks.h"
#include "virt/virt_hosts.h"

typedef struct TaskEngine TaskEngine;
typedef struct Task Task;

/* The work of a task, on a worker thread. Answers TRUE with *result (a link
 * to what it made, e.g. "/api/pools/p/volumes/v"; may stay NULL) or FALSE
 * with `error` (an API, engine or inventory GError: its API code becomes the
 * task's error code). When it fails after task_cancel_requested() the task
 * ends "cancelled". It must undo its half-done work before failing. */
typedef gboolean (*TaskRunFn)(Task *task, gpointer data, char **result, GError **error);
/* Called after every change of a task with its row; any thread. */
typedef void (*TaskPublishFn)(const DbTask *task, gpointer user_data);

/* Marks tasks a previous vireod left queued or running as failed
 * ("interrupted"), then starts `workers` threads. */
TaskEngine *task_engine_new(Db *db, guint workers, TaskPublishFn publish, gpointer publish_data,
                            GError **error);
/* Asks running tasks to cancel, fails queued ones ("interrupted") and waits
 * for the workers. Tasks begun with task_begin must have ended. */
void task_engine_free(TaskEngine *engine);

/* Queues `run(task, data)` on libvirt host `host` (may be NULL: none
 * named); `free_data` (may be NULL) frees `data` once the task has ended,
 * also when queueing fails. The task holds a reference to `host` until it
 * ends, so a host removed meanwhile stays usable for it. Answers the task
 * id, 0 with `error` on failure. */
gint64 tasks_submit(TaskEngine *engine, const char *kind, const char *target, gint64 owner_id,
                    VirtHost *host, TaskRunFn run, gpointer data, GDestroyNotify free_data,
                    GError **error);
/* A running task for work done on the caller's thread, on `host` as for
 * tasks_submit; end it with task_finish. NULL with `error` on failure. */
Task *task_begin(TaskEngine *engine, const char *kind, const char *target, gint64 owner_id,
                 VirtHost *host, gboolean cancellable, GError **error);
/* Ends a task from task_begin and frees it: succeeded when `error` is NULL,
 * else failed (or cancelled, when a cancel was asked for). */
void task_finish(Task *task, const char *result, const GError *error);
/* Hands a task from task_begin (e.g. an import whose upload is over) to a
 * worker, which runs `run(task, data)` and ends it as for tasks_submit;
 * `run` is called even when a cancel came meanwhile, so it can undo what
 * the task made. `free_data` (may be NULL) frees `data` once the task has
 * ended. The caller no longer owns `task`. FALSE (the task ended failed,
 * `data` freed) when no worker can take it. */
gboolean task_continue(Task *task, TaskRunFn run, gpointer data, GDestroyNotify free_data,
                       GError **error);

gint64 task_id(const Task *task);
/* The libvirt host the task works on (borrowed: the task's own reference);
 * NULL when none was named. Its work uses this host's connection. */
VirtHost *task_host(const Task *task);
/* Writes down, before it is made, what the task is about to make (`kind`
 * "volume" with "pool/name", or "domain" with its UUID): should vireod die
 * before the task ends, the next start removes it (api_tasks_clean_up).
 * Answers the record's id; 0 when it could not be written (`error` set:
 * then make nothing). */
gint64 task_will_make(Task *task, const char *kind, const char *ref, GError **error);
/* The same for something made on `host` rather than on the task's own
 * (NULL: the task's), e.g. a backup of another host's VM, whose archive
 * goes into a pool of the local host. */
gint64 task_will_make_on(Task *task, VirtHost *host, const char *kind, const char *ref,
                         GError **error);
/* What record `id` names has been made. */
void task_made(Task *task, gint64 id);
/* Records progress (0-100) and an optional message. Writes are rate-limited
 * (4 a second), so calling it for every chunk is fine. */
void task_progress(Task *task, int percent, const char *message);
/* Whether a cancel is accepted from now on (a step that cannot stop, such
 * as a conversion by libvirt, turns it off). */
void task_set_cancellable(Task *task, gboolean cancellable);
/* TRUE once someone asked to cancel (or vireod is stopping). */
gboolean task_cancel_requested(Task *task);

/* POST /api/tasks/{id}/cancel: CONFLICT (API_ERROR) when the task has
 * ended or cannot be cancelled. */
gboolean task_engine_cancel(TaskEngine *engine, gint64 id, GError **error);
