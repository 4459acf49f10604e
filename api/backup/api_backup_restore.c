/* POST /api/backups/{id}/restore {"name"?, "pool"?, "start"?, "replace"?}:
 * a backup becomes a new VM, or with "replace" is put back over the VM it
 * was taken from (api_archive_replace.c), as a "restore" task: the archive's volume is read
 * through libvirt's download stream into the same reader as
 * import-archive (api_archive.h), so digests are checked and nothing is
 * left behind on failure. */
#include "api/backup/api_archive.h"
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/tasks/api_tasks.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_volume_copy.h"

#define CHUNK (256 * 1024)

typedef struct {
    ApiContext *ctx;
    DbBackup *backup;
    char *name, *pool;
    gboolean start;
    ApiQuotaCaller caller;
    gint64 owner_id; /* 0: the archive's owner (an admin's restore) */
    char *replace;   /* the UUID of the VM restored over; NULL: a new VM */
} Restore;

static void restore_free(gpointer data)
{
    Restore *r = data;
    db_backup_free(r->backup);
    g_free(r->name);
    g_free(r->pool);
    g_free(r->replace);
    g_free(r);
}

static gboolean run_restore(Task *task, gpointer data, char **result, GError **error)
{
    Restore *r = data;
    /* The archive is read on vireod's own host; the VM is made on the
     * task's (api_archive_in_new takes its connection). */
    g_autoptr(virConnect) conn = virt_conn_get(r->ctx->virt, error);
    g_autofree char *ref = g_strdup_printf("%s/%s", r->backup->pool, r->backup->volume);
    g_autoptr(virStorageVol) vol = conn ? virt_volume_lookup_ref(conn, ref, NULL, error) : NULL;
    guint64 length = 0;
    if (!vol || !virt_volume_physical(vol, &length, error))
        return FALSE;
    ApiArchiveTo to = {.ctx = r->ctx,
                       .name = r->name,
                       .pool = r->pool,
                       .start = r->start,
                       .caller = r->caller,
                       .owner_id = r->owner_id,
                       .replace = r->replace,
                       .task = task,
                       .length = length};
    g_autoptr(ApiArchiveIn) in = api_archive_in_new(&to, error);
    g_autoptr(virStream) st = in ? virt_volume_download_stream(vol, length, error) : NULL;
    if (!st)
        return FALSE;
    g_autofree guint8 *buf = g_malloc(CHUNK);
    for (;;) {
        gssize n = virt_stream_recv(st, (char *)buf, CHUNK, error);
        if (n < 0)
            return FALSE;
        if (n == 0)
            break;
        if (!api_archive_in_feed(in, buf, (gsize)n, error)) {
            virt_stream_abort(st);
            return FALSE;
        }
    }
    g_autofree char *name = virt_stream_finish(st, error) ? api_archive_in_finish(in, error) : NULL;
    if (!name)
        return FALSE;
    g_autofree char *escaped = g_uri_escape_string(name, NULL, FALSE);
    *result = api_task_on_host(task, g_strconcat("/api/vms/", escaped, NULL));
    return TRUE;
}

/* *pool: the pool of the VM's first disk (NULL when none is in a pool). */
static gboolean first_disk_pool(virConnectPtr conn, virDomainPtr dom, char **pool, GError **error)
{
    g_autoptr(GPtrArray) vols = virt_domain_disk_volumes(conn, dom, error);
    if (!vols)
        return FALSE;
    g_autoptr(virStoragePool) p = vols->len ? virStoragePoolLookupByVolume(vols->pdata[0]) : NULL;
    virResetLastError();
    *pool = p ? g_strdup(virStoragePoolGetName(p)) : NULL;
    return TRUE;
}

/* The VM a backup is restored over: the backup's own VM, which the caller
 * may act on (else 404, as for a VM that does not exist), shut off and
 * without snapshots (409). *pool: where its first disk is, for the new
 * disks. */
static virDomainPtr replaced_vm(const ApiRequest *req, virConnectPtr conn, const DbBackup *b,
                                char **pool, GError **error)
{
    g_autoptr(GError) why = NULL;
    g_autoptr(virDomain) dom = virDomainLookupByUUIDString(conn, b->vm_uuid);
    virResetLastError();
    if (!dom || !api_scope_sees_vm(req->scope, b->vm_uuid, &why)) {
        api_fail(error, API_ERROR_NOT_FOUND,
                 "VM '%s' of this backup no longer exists: restore the backup as a new VM",
                 b->vm_name);
        return NULL;
    }
    if (!api_archive_replace_ready(dom, error))
        return NULL;
    if (!first_disk_pool(conn, dom, pool, error))
        return NULL;
    return g_steal_pointer(&dom);
}

gboolean api_backup_restore(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {"name", "pool", "start", "replace", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *pool = NULL;
    int start = 0, replace = 0;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_string(body, "pool", 255, &pool, error) ||
        !api_json_opt_bool(body, "start", &start, error) ||
        !api_json_opt_bool(body, "replace", &replace, error))
        return FALSE;
    if (replace == 1 && name)
        return api_invalid(error, "name: a restore with \"replace\" keeps the VM's name");
    g_autoptr(DbBackup) b = api_backup_find(ctx, req, req->params[0], error);
    if (!b)
        return FALSE;
    GError *why = NULL;
    if (!name)
        name = b->vm_name;
    else if (!virt_domain_name_valid(name, &why))
        return api_field_error(error, "name", why);
    /* Onto the host ?host= names, else the host of the backup's VM. */
    g_autoptr(GError) gone = NULL;
    g_autoptr(VirtHost) on = api_query_get(req, "host") ? api_req_host(ctx, req)
                                                        : api_backup_host(ctx, b->host_id, &gone);
    if (gone)
        return api_fail(error, API_ERROR_CONFLICT,
                        "the host of backup %s's VM was removed: name the host to restore onto "
                        "with ?host=",
                        req->params[0]);
    g_autoptr(virConnect) conn = api_host_conn(ctx, on, error);
    if (!conn)
        return FALSE;
    g_autofree char *default_pool = NULL, *replaced_name = NULL;
    if (replace == 1) {
        g_autoptr(virDomain) dom = replaced_vm(req, conn, b, &default_pool, error);
        if (!dom)
            return FALSE;
        name = replaced_name = g_strdup(virDomainGetName(dom));
        if (!pool && default_pool)
            pool = default_pool;
    } else {
        g_autoptr(virDomain) taken = virDomainLookupByName(conn, name);
        virResetLastError();
        if (taken)
            return api_fail(error, API_ERROR_CONFLICT,
                            "a VM named '%s' exists: restore the backup under another name "
                            "({\"name\": ...}) or over that VM ({\"replace\": true})",
                            name);
        /* On another host than vireod's own, the disks go beside those
         * of the backup's VM when it is still there, else into a pool of
         * the backup pool's name (which that host must have: else 400). */
        g_autoptr(virDomain) was = on && !virt_host_is_local(on)
                                       ? virDomainLookupByUUIDString(conn, b->vm_uuid)
                                       : NULL;
        virResetLastError();
        if (!pool && was && !first_disk_pool(conn, was, &default_pool, error))
            return FALSE;
        if (!pool && default_pool)
            pool = default_pool;
    }
    /* An operator restores into a pool they may make volumes in, and owns
     * what they restore (their quota is checked once the definition is
     * read). */
    if (!api_scope_pool(req->scope, pool ? pool : b->pool, API_POOL_DISKS, error))
        return FALSE;
    g_autoptr(GError) missing = NULL;
    g_autoptr(virStoragePool) p = virt_pool_lookup(conn, pool ? pool : b->pool, &missing);
    if (!p)
        return api_invalid(error, "pool: no storage pool named '%s'", pool ? pool : b->pool);
    if (!ctx->tasks)
        return api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
    Restore *r = g_new0(Restore, 1);
    r->ctx = ctx;
    r->name = g_strdup(name);
    r->pool = g_strdup(pool ? pool : b->pool);
    r->start = start == 1;
    r->caller = api_quota_caller(req);
    r->owner_id = r->caller.admin ? 0 : r->caller.user_id;
    r->replace = replace == 1 ? g_strdup(b->vm_uuid) : NULL;
    r->backup = g_steal_pointer(&b);
    gint64 id = tasks_submit(ctx->tasks, "restore", r->name, req->auth ? req->auth->user_id : 0, on,
                             run_restore, r, restore_free, error);
    return id && api_answer_task(ctx, resp, id, error);
}
