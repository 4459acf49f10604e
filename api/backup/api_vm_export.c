/* GET /api/vms/{vm}/export: the VM's archive (api_archive.h) as the
 * answer, written while the client takes it; no copy of the disks is
 * made. Only a shut-off VM is exported: VM actions take no lock, so the
 * export watches instead: before each disk and before the digests it
 * checks that the VM is still shut off and that no disk changed since the
 * export began, and cuts the archive short (no end, no digests: no reader
 * takes it) when one did. A running VM is backed up by a backup job.
 * ?format=ova answers an OVA instead (api_ova_out.h), whose disks are
 * converted copies made before the first byte: in the transfer's
 * `prepare`, which server/ runs off its HTTP threads. */
#include "api/core/api_host_resolve.h"
#include "api/backup/api_archive.h"
#include "api/backup/api_archive_watch.h"
#include "api/backup/api_ova_out.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

typedef struct {
    ApiTransfer base;
    ApiContext *ctx;
    virDomainPtr dom;
    ApiArchiveWatch *watch;
    VirtArchiveOut *archive;
} Export;

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

static gssize export_read(ApiTransfer *base, char *buf, gsize max)
{
    Export *e = (Export *)base;
    g_autoptr(GError) error = NULL;
    gssize n = virt_archive_out_read(e->archive, (guint8 *)buf, max, &error);
    if (n < 0)
        g_warning("export of VM '%s': %s", virDomainGetName(e->dom), error->message);
    return n;
}

static gboolean export_prepare_ova(ApiTransfer *base, GCancellable *stop, GError **error)
{
    Export *e = (Export *)base;
    e->archive = api_ova_out(e->ctx, e->dom, stop, error);
    if (!e->archive)
        return FALSE;
    e->base.length = virt_archive_out_length(e->archive);
    return TRUE;
}

/* Nothing to undo: an export makes nothing. */
static void export_abort(ApiTransfer *base G_GNUC_UNUSED, const char *why G_GNUC_UNUSED) {}

static void export_free(ApiTransfer *base)
{
    Export *e = (Export *)base;
    virt_archive_out_free(e->archive);
    api_archive_watch_free(e->watch);
    virDomainFree(e->dom);
    g_free(e);
}

gboolean api_vm_export(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"format", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *format = api_query_get(req, "format");
    gboolean ova = g_strcmp0(format, "ova") == 0;
    if (format && !ova && strcmp(format, "vireo") != 0)
        return api_invalid(error,
                           "format '%s' is not offered: exports are Vireo's own archive "
                           "(format=vireo) or an OVA (format=ova), docs/backups.md",
                           format);
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    if (!dom || !api_archive_shut_off(dom, error))
        return FALSE;
    Export *e = g_new0(Export, 1);
    e->ctx = ctx;
    e->dom = g_steal_pointer(&dom);
    e->base = (ApiTransfer){.read = export_read, .abort = export_abort, .free = export_free};
    if (ova) {
        e->base.prepare = export_prepare_ova;
    } else {
        e->watch = api_archive_watch_new(e->dom);
        g_autoptr(GPtrArray) volumes = g_ptr_array_new_with_free_func(volume_unref);
        ApiArchiveFrom from = {
            .ctx = ctx, .dom = e->dom, .check = api_archive_watch_check, .check_data = e->watch};
        e->archive = api_archive_out(&from, volumes, error);
        if (e->archive && !api_archive_watch_begin(e->watch, volumes, error))
            g_clear_pointer(&e->archive, virt_archive_out_free);
        if (!e->archive) {
            export_free(&e->base);
            return FALSE;
        }
        e->base.length = virt_archive_out_length(e->archive);
    }
    g_autofree char *file = ova ? api_ova_file_name(virDomainGetName(e->dom))
                                : api_archive_file_name(virDomainGetName(e->dom));
    g_autofree char *disposition = g_strdup_printf("attachment; filename=\"%s\"", file);
    api_response_header(resp, "Content-Disposition", disposition);
    resp->status = 200;
    if (strcmp(req->method, "HEAD") == 0) {
        export_free(&e->base);
        return TRUE;
    }
    resp->audit_detail = ova ? g_strdup("OVA, its disks converted first")
                             : g_strdup_printf("%" G_GUINT64_FORMAT " bytes", e->base.length);
    resp->transfer = &e->base;
    return TRUE;
}
