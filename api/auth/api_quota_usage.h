/* What users' things take, in the terms of their quotas (docs/quotas.md):
 * the inventory says which VMs and volumes each user owns, libvirt what
 * those take now (its figures are the truth: a VM changed or removed with
 * virsh counts as it is). */
#pragma once
#include <libvirt/libvirt.h>

#include "api/core/api.h"
#include "db/db_auth.h"
#include "virt/virt_footprint.h"

/* `vms` VMs of that footprint, as quota amounts: memory in MiB, rounded
 * up. */
void api_quota_amounts(const VirtFootprint *fp, gint64 vms, DbQuota *out);
/* sum += more, kind by kind. */
void api_quota_sum(DbQuota *sum, const DbQuota *more);

/* The usage of user `user_id`: the VMs they own (how many, their vCPUs
 * and memory, virt_domain_footprint) and the capacities of the volumes
 * they own (made by them, or for their VMs by their creates). Objects
 * libvirt no longer has count nothing. */
gboolean api_quota_usage(ApiContext *ctx, virConnectPtr conn, gint64 user_id, DbQuota *out,
                         GError **error);
/* The usage of `user_id` (of every user when 0) by user: user id
 * (gint64*) -> DbQuota*; users who own nothing are absent. */
GHashTable *api_quota_usage_by_user(ApiContext *ctx, virConnectPtr conn, gint64 user_id,
                                    GError **error);
/* The same for pages that show usage, which work without it: NULL (and a
 * log line) when libvirt cannot be asked now. */
GHashTable *api_quota_usage_shown(ApiContext *ctx, gint64 user_id);
