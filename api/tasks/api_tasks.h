/* Tasks as the API shows them. */
#pragma once
#include "api/core/api.h"
#include "api/tasks/task_engine.h"
#include "db/db_tasks.h"

/* The task; unless `full`, an error's message leaves out the hypervisor's
 * own words (they are for admins). */
json_t *api_task_json(const DbTask *t, gboolean full);
/* The task's URL, "/api/tasks/ID". */
char *api_task_location(gint64 id);
/* Answers 202 with the task `id` and its Location (for routes that start
 * one); the audit entry names the task. FALSE with `error` when the task
 * cannot be read back. */
gboolean api_answer_task(ApiContext *ctx, ApiResponse *resp, gint64 id, GError **error);

/* A connection (new reference) to the libvirt host `task` works on (the
 * local one when it names none); NULL with `error` while it is down. A
 * task's work takes its connection here, never from ctx->virt. */
virConnectPtr api_task_conn(ApiContext *ctx, Task *task, GError **error);

/* `link` (a result, stolen), with "?host=ID" when the task's host is not
 * the local one, so that it names the object on that host. */
char *api_task_on_host(Task *task, char *link);

/* Removes what tasks on host `h` cut short by a crash had begun to make
 * (volumes, VMs), as recorded by task_will_make; each such task says what
 * was removed. Call once `h` answers; what fails is tried at its next
 * connection. */
void api_tasks_clean_up(ApiContext *ctx, VirtHost *h);
