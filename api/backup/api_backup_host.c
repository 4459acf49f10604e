/* Which host a backup, or a backup job's VM, is of (see api_backups.h):
 * the inventory keeps host ids, 0 (or NULL) meaning the local host, as
 * for everything kept before there were hosts, and -1 a removed host. */
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"

VirtHost *api_backup_host(ApiContext *ctx, gint64 host_id, GError **error)
{
    if (!ctx->hosts)
        return NULL;
    VirtHost *h = host_id ? virt_hosts_get(ctx->hosts, host_id) : virt_hosts_local(ctx->hosts);
    if (!h)
        api_fail(error, API_ERROR_NOT_FOUND, "its host was removed");
    return h;
}

gboolean api_backup_same_host(ApiContext *ctx, gint64 a, gint64 b)
{
    gint64 own = api_host_id(ctx, NULL);
    return (a ? a : own) == (b ? b : own);
}

json_t *api_backup_host_json(ApiContext *ctx, gint64 host_id)
{
    g_autoptr(VirtHost) h = api_backup_host(ctx, host_id, NULL);
    return api_host_ref_json(h);
}
