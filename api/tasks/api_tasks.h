/* Tasks as the API shows them. */
#pragma once
#include "api/core/api.h"
#include "db/db_tasks.h"

json_t *api_task_json(const DbTask *t);
/* The task's URL, "/api/tasks/ID". */
char *api_task_location(gint64 id);
/* Answers 202 with the task `id` and its Location (for routes that start
 * one); the audit entry names the task. FALSE with `error` when the task
 * cannot be read back. */
gboolean api_answer_task(ApiContext *ctx, ApiResponse *resp, gint64 id, GError **error);
