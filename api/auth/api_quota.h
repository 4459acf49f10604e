/* Per-user quotas (docs/quotas.md): limits on the VMs, vCPUs, memory and
 * disk bytes of what a user owns, and the one check that every route
 * making or growing such things calls before it does.
 *
 * How to call it (create, clone, VM edit, disk attach, volume create,
 * clone and upload do; an import or a restore must too):
 *
 *   g_autoptr(ApiQuotaHold) hold = NULL;
 *   DbQuota more = {.v = {[DB_QUOTA_VMS] = 1, [DB_QUOTA_VCPUS] = vcpus,
 *                         [DB_QUOTA_MEMORY] = memory_mib, [DB_QUOTA_DISK] = bytes}};
 *   if (!api_quota_check(ctx, req, req->auth->user_id, &more, &hold, error))
 *       return FALSE;              // 403 quota_exceeded naming the limit
 *   ... make what was asked, in a task if it is long (keep `hold` in the job) ...
 *   api_quota_hold_settle(hold);   // right before it becomes the owner's
 *   db_vm_set_owner(...) / db_volume_owner_set(...)
 *   api_quota_hold_free(hold);     // or let g_autoptr / the job's free do it
 *
 * Work that goes on after its request keeps an ApiQuotaCaller and calls
 * api_quota_check_by; a VM that arrives whole (import, archive, restore)
 * or a revert calls api_quota_check_vm.
 *
 * A create from a VirtVmPlan needs only api_vm_plan_quota (api_vm_plan.h)
 * and `.quota` in its ApiVmUnit (api_vm_unit.h): the unit settles it. */
#pragma once
#include "api/core/api.h"
#include "db/db_auth.h"
#include "virt/virt_footprint.h"

/* The book of what checked requests hold (see ApiQuotaHold): one per
 * daemon, in ApiContext.quotas. */
typedef struct ApiQuotas ApiQuotas;
ApiQuotas *api_quotas_new(void);
/* Only once every hold is freed. */
void api_quotas_free(ApiQuotas *quotas);
/* The capacity of the volume at `path` as last read on host `host_id`
 * (NULL: it is not there), so that a host that is down still counts its
 * volumes in usage (api_quota_usage.h). `quotas` may be NULL: nothing
 * is kept. */
void api_quotas_remember_volume(ApiQuotas *quotas, gint64 host_id, const char *path,
                                const guint64 *capacity);
gboolean api_quotas_last_volume(ApiQuotas *quotas, gint64 host_id, const char *path,
                                guint64 *capacity);

/* What a checked request may make, held against the owner's limits until
 * it is made and counted in their usage (or failed): two requests checked
 * at once never both get the last vCPU. */
typedef struct ApiQuotaHold ApiQuotaHold;

/* The one check. `owner_id` is whose usage grows: the caller for a new VM
 * or volume (they will own it), a VM's owner for an edit of it (0: nobody,
 * nothing to check). `more` is what the request adds (what is not positive
 * counts nothing: only increases are checked).
 *
 * Passes at once when the caller or the owner is an admin (admins are not
 * limited), when the owner has no limit on what grows, or when nothing
 * grows; *hold is then NULL. Otherwise, under the owner's quota lock, their
 * usage (api_quota_usage: libvirt's figures of what they own) plus what
 * other requests hold plus `more` must fit every limit: else FALSE with a
 * 403 `quota_exceeded` whose message begins "quota 'vcpus': " (the limit's
 * name: vms, vcpus, memory, disk) and says "this would use 5 of your 4
 * vCPUs (...)". On success *hold holds `more` for the owner: keep it until
 * what it allowed exists and is theirs, then free it (api_quota_hold_*). */
gboolean api_quota_check(ApiContext *ctx, const ApiRequest *req, gint64 owner_id,
                         const DbQuota *more, ApiQuotaHold **hold, GError **error);

/* Who asks, kept by work that outlives its request (an upload's finish, a
 * restore task): what api_quota_check reads of the request. */
typedef struct {
    gint64 user_id; /* 0: nobody (the scheduler) */
    gboolean admin;
} ApiQuotaCaller;
ApiQuotaCaller api_quota_caller(const ApiRequest *req);
/* api_quota_check for `caller`. */
gboolean api_quota_check_by(ApiContext *ctx, ApiQuotaCaller caller, gint64 owner_id,
                            const DbQuota *more, ApiQuotaHold **hold, GError **error);

/* The one check of a VM that arrives whole or a definition that comes
 * back (api_quota_vm.c): with `was` NULL, one more VM taking `fp` (its
 * vCPUs, memory and the capacities of the volumes brought for it: an
 * import, an archive import, a restore); else what `fp` takes beyond
 * `was` (a snapshot revert puts back an older definition: only growth
 * counts). */
gboolean api_quota_check_vm(ApiContext *ctx, ApiQuotaCaller caller, gint64 owner_id,
                            const VirtFootprint *fp, const VirtFootprint *was, ApiQuotaHold **hold,
                            GError **error);

/* Takes the owner's quota lock, kept until the hold is freed: call it
 * right before the step that makes what was allowed count in their usage
 * (their owner row, a definition's new vCPUs), so that no check sees it
 * twice. The lock is a leaf: take no other lock after it. NULL is fine. */
void api_quota_hold_settle(ApiQuotaHold *hold);
/* Gives back what the hold holds (and the lock of a settled one); later
 * calls do nothing. NULL is fine. */
void api_quota_hold_release(ApiQuotaHold *hold);
/* Releases and frees. NULL is fine. */
void api_quota_hold_free(ApiQuotaHold *hold);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiQuotaHold, api_quota_hold_free)

/* The limit that `used` + `more` would pass (its DbQuotaKind), or -1 when
 * all fit: only kinds with a limit and a positive `more` count. */
int api_quota_exceeded(const DbQuota *limits, const DbQuota *used, const DbQuota *more);
/* "vms", "vcpus", "memory", "disk". */
const char *api_quota_kind_name(DbQuotaKind kind);
/* The refusal's message (see api_quota_check); `yours`: the caller is the
 * owner. */
char *api_quota_refusal(DbQuotaKind kind, const DbQuota *limits, const DbQuota *used,
                        const DbQuota *more, gboolean yours);
