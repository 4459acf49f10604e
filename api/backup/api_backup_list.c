/* /api/backups: the backups jobs keep (admins see all, operators those of
 * their jobs): list (?job=, ?vm=),
 * one, delete (the archive's volume with it). */
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

json_t *api_backup_json(ApiContext *ctx, const DbBackup *b)
{
    /* `host` is the VM's; the archive (pool, volume) is on vireod's own. */
    return json_pack("{s:I,s:s,s:o,s:s,s:s,s:o,s:s,s:s,s:I,s:o}", "id", (json_int_t)b->id, "job",
                     b->job_name, "job_exists", json_boolean(b->job_id != 0), "vm", b->vm_name,
                     "vm_uuid", b->vm_uuid, "host", api_backup_host_json(ctx, b->host_id), "pool",
                     b->pool, "volume", b->volume, "size", (json_int_t)b->size, "created_at",
                     api_time_json(b->created_at));
}

DbBackup *api_backup_find(ApiContext *ctx, const ApiRequest *req, const char *id_text,
                          GError **error)
{
    guint64 id = 0;
    if (!g_ascii_string_to_unsigned(id_text, 10, 1, G_MAXINT64, &id, NULL)) {
        api_fail(error, API_ERROR_NOT_FOUND, "no backup %s", id_text);
        return NULL;
    }
    DbBackup *b = db_backup_get(ctx->db, (gint64)id, error);
    if (b && !api_backup_owned_by_caller(req, b->owner_id))
        g_clear_pointer(&b, db_backup_free);
    if (!b && !*error)
        api_fail(error, API_ERROR_NOT_FOUND, "no backup %s", id_text);
    return b;
}

gboolean api_backups_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"job", "vm", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *job = api_query_get(req, "job"), *vm = api_query_get(req, "vm");
    /* ?host= (the router's) keeps the backups of that host's VMs. */
    gint64 host = api_query_get(req, "host") ? api_host_id(ctx, req->virt_host) : -1;
    g_autoptr(GPtrArray) all = db_backup_list(ctx->db, 0, NULL, error);
    if (!all)
        return FALSE;
    json_t *list = json_array();
    for (guint i = 0; i < all->len; i++) {
        const DbBackup *b = g_ptr_array_index(all, i);
        if (!api_backup_owned_by_caller(req, b->owner_id) ||
            (job && g_strcmp0(job, b->job_name) != 0) ||
            (vm && g_strcmp0(vm, b->vm_name) != 0 && g_strcmp0(vm, b->vm_uuid) != 0) ||
            (host >= 0 && !api_backup_same_host(ctx, host, b->host_id)))
            continue;
        json_array_append_new(list, api_backup_json(ctx, b));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "backups", list));
    return TRUE;
}

gboolean api_backup_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbBackup)
        b = api_query_none(req, error) ? api_backup_find(ctx, req, req->params[0], error) : NULL;
    if (!b)
        return FALSE;
    api_answer_object(resp, 200, api_backup_json(ctx, b));
    return TRUE;
}

gboolean api_backup_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(DbBackup)
        b = api_query_none(req, error) ? api_backup_find(ctx, req, req->params[0], error) : NULL;
    g_autoptr(virConnect) conn = b ? virt_conn_get(ctx->virt, error) : NULL;
    if (!conn)
        return FALSE;
    g_autofree char *ref = g_strdup_printf("%s/%s", b->pool, b->volume);
    g_autoptr(virStorageVol) vol = virt_volume_lookup_ref(conn, ref, NULL, NULL);
    virResetLastError();
    /* A volume already gone (deleted by hand) only leaves the row. */
    if ((vol && !virt_volume_delete(vol, error)) || !db_backup_delete(ctx->db, b->id, error))
        return FALSE;
    resp->status = 204;
    return TRUE;
}
