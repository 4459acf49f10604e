/* Quotas as JSON (docs/quotas.md): limits {"vms", "vcpus", "memory" (MiB),
 * "disk" (bytes)} with null for no limit, usage with the same members,
 * and the "quota" member of PATCH /api/users/{user}. */
#pragma once
#include <jansson.h>

#include "db/db_auth.h"

/* {"vms": 1, "vcpus": null, ...}: null where there is no limit. */
json_t *api_quota_limits_json(const DbQuota *limits);
/* {"vms": 1, "vcpus": 2, ...}: the usage of `user_id` in `by_user` (see
 * api_quota_usage_by_user; zeros when absent), or null when `by_user` is
 * NULL (libvirt could not be asked). */
json_t *api_quota_usage_json(GHashTable *by_user, gint64 user_id);
/* Lays the "quota" object `value` over `current` into `out`: members left
 * out keep their limit, null lifts one, a whole number from 0 sets it.
 * 400 naming the member otherwise. */
gboolean api_quota_parse(json_t *value, const DbQuota *current, DbQuota *out, GError **error);
/* "quota vcpus 2 -> 4, disk unlimited -> 1073741824" for the audit log,
 * or NULL when nothing changed. */
char *api_quota_change_text(const DbQuota *before, const DbQuota *after);
