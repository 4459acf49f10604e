/* The quota check of a VM that arrives whole (an import, an archive
 * import, a restore) or of a definition that comes back (a snapshot
 * revert): one path for all of them (see api_quota.h). */
#include "api/auth/api_quota.h"
#include "api/auth/api_quota_usage.h"

gboolean api_quota_check_vm(ApiContext *ctx, ApiQuotaCaller caller, gint64 owner_id,
                            const VirtFootprint *fp, const VirtFootprint *was, ApiQuotaHold **hold,
                            GError **error)
{
    DbQuota more, before = {0};
    api_quota_amounts(fp, was ? 0 : 1, &more);
    if (was)
        api_quota_amounts(was, 0, &before);
    /* Only what grows is checked: api_quota_check_by ignores the rest. */
    for (int k = 0; k < DB_QUOTA_KINDS; k++)
        more.v[k] -= before.v[k];
    return api_quota_check_by(ctx, caller, owner_id, &more, hold, error);
}
