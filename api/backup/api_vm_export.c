/* GET /api/vms/{vm}/export: the VM's archive (api_archive.h) as the
 * answer, written while the client takes it; no copy of the disks is
 * made. Only a shut-off VM is exported: VM actions take no lock, so the
 * export watches instead: before each disk and before the digests it
 * checks that the VM is still shut off and that no disk changed since the
 * export began, and cuts the archive short (no end, no digests: no reader
 * takes it) when one did. A running VM is backed up by a backup job. */
#include "api/backup/api_archive.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

typedef struct {
    ApiTransfer base;
    virDomainPtr dom;
    GPtrArray *volumes; /* virStorageVolPtr of the disks */
    GArray *changed;    /* gint64: each one's change time when the export began */
    VirtArchiveOut *archive;
    gboolean ended;
} Export;

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

static gboolean shut_off(virDomainPtr dom, GError **error)
{
    int state = 0, reason = 0;
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return FALSE;
    }
    if (state != VIR_DOMAIN_SHUTOFF)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' is %s: only a shut-off VM is exported, since its disks must not "
                        "change while they are read; shut it down first, or back it up with a "
                        "backup job, which copies a running VM's disks as they were at one "
                        "instant",
                        virDomainGetName(dom), virt_domain_state_name(state));
    return TRUE;
}

static gint64 changed_at(virStorageVolPtr vol, GError **error)
{
    g_autoptr(VirtVolume) info = virt_volume_info(vol, error);
    return info ? info->changed_at : -1;
}

/* Before each disk and before the digests: nothing moved. */
static gboolean still_off(guint member, gpointer data, GError **error)
{
    Export *e = data;
    if (!shut_off(e->dom, error)) {
        g_prefix_error(error, "the export was cut short: ");
        return FALSE;
    }
    for (guint i = 0; i < e->volumes->len; i++) {
        gint64 now = changed_at(g_ptr_array_index(e->volumes, i), error);
        if (now < 0)
            return FALSE;
        if (now != g_array_index(e->changed, gint64, i))
            return api_fail(error, API_ERROR_CONFLICT,
                            "the export was cut short: volume '%s' changed while it was read",
                            virStorageVolGetName(g_ptr_array_index(e->volumes, i)));
    }
    return TRUE;
}

static gssize export_read(ApiTransfer *base, char *buf, gsize max)
{
    Export *e = (Export *)base;
    g_autoptr(GError) error = NULL;
    gssize n = virt_archive_out_read(e->archive, (guint8 *)buf, max, &error);
    if (n <= 0)
        e->ended = TRUE;
    if (n < 0)
        g_warning("export of VM '%s': %s", virDomainGetName(e->dom), error->message);
    return n;
}

static void export_abort(ApiTransfer *base, const char *why G_GNUC_UNUSED)
{
    ((Export *)base)->ended = TRUE;
}

static void export_free(ApiTransfer *base)
{
    Export *e = (Export *)base;
    virt_archive_out_free(e->archive);
    g_ptr_array_unref(e->volumes);
    g_array_unref(e->changed);
    virDomainFree(e->dom);
    g_free(e);
}

gboolean api_vm_export(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"format", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *format = api_query_get(req, "format");
    if (format && strcmp(format, "vireo") != 0)
        return api_fail(error,
                        format && strcmp(format, "ova") == 0 ? API_ERROR_UNSUPPORTED
                                                             : API_ERROR_INVALID_ARGUMENT,
                        "format '%s' is not offered: exports are Vireo's own archive "
                        "(format=vireo, docs/backups.md)",
                        format);
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    if (!dom || !shut_off(dom, error))
        return FALSE;
    Export *e = g_new0(Export, 1);
    e->dom = g_steal_pointer(&dom);
    e->volumes = g_ptr_array_new_with_free_func(volume_unref);
    e->changed = g_array_new(FALSE, TRUE, sizeof(gint64));
    ApiArchiveFrom from = {.ctx = ctx, .dom = e->dom, .check = still_off, .check_data = e};
    e->archive = api_archive_out(&from, e->volumes, error);
    for (guint i = 0; e->archive && i < e->volumes->len; i++) {
        gint64 t = changed_at(g_ptr_array_index(e->volumes, i), error);
        if (t < 0)
            g_clear_pointer(&e->archive, virt_archive_out_free);
        else
            g_array_append_val(e->changed, t);
    }
    if (!e->archive) {
        export_free(&e->base);
        return FALSE;
    }
    e->base = (ApiTransfer){.read = export_read,
                            .abort = export_abort,
                            .free = export_free,
                            .length = virt_archive_out_length(e->archive)};
    g_autofree char *file = api_archive_file_name(virDomainGetName(e->dom));
    g_autofree char *disposition = g_strdup_printf("attachment; filename=\"%s\"", file);
    api_response_header(resp, "Content-Disposition", disposition);
    resp->status = 200;
    if (strcmp(req->method, "HEAD") == 0) {
        export_free(&e->base);
        return TRUE;
    }
    resp->audit_detail = g_strdup_printf("%" G_GUINT64_FORMAT " bytes", e->base.length);
    resp->transfer = &e->base;
    return TRUE;
}
