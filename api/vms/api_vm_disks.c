/* /api/vms/{vm}/disks: list, attach (a new volume made in a pool, or an
 * existing one; hot-plugged into a running VM), read, CD-ROM media change
 * and eject, detach (optionally deleting the volume). A volume made for an
 * attach that fails is deleted again. */
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/storage/api_storage_json.h"
#include "api/vms/api_vm_devices.h"
#include "api/vms/api_vm_json.h"
#include "api/vms/api_vms.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain_devices.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_storage_xml.h"

#include <string.h>

#define ID_MAX_BYTES 512
#define NEW_VOLUME_TRIES 100

static json_t *disk_answer(virConnectPtr conn, const VirtDisk *d)
{
    json_t *obj = api_vm_disk_json(d);
    g_autofree char *vol = g_strcmp0(d->device, "disk") == 0 || g_strcmp0(d->device, "cdrom") == 0
                               ? virt_volume_id_of_path(conn, d->source) : NULL;
    json_object_set_new(obj, "volume", vol ? json_string(vol) : json_null());
    return obj;
}

/* The disk `target` of the VM as it is now, or NOT_FOUND. */
static json_t *read_disk(virConnectPtr conn, virDomainPtr dom, const char *target, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_devices(dom, error);
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (g_strcmp0(d->target, target) == 0)
            return disk_answer(conn, d);
    }
    if (cfg)
        g_set_error(error, API_ERROR, API_ERROR_NOT_FOUND, "VM '%s' has no disk '%s'",
                    virDomainGetName(dom), target);
    return NULL;
}

gboolean api_vm_disks_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(VirtDomainConfig) cfg = api_vm_devices_read(ctx, req, &conn, &dom, error);
    if (!cfg)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < cfg->disks->len; i++)
        json_array_append_new(items, disk_answer(conn, g_ptr_array_index(cfg->disks, i)));
    api_response_json(resp, 200, json_pack("{s:o}", "disks", items));
    return TRUE;
}

gboolean api_vm_disk_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    json_t *obj = api_vm_device_read(ctx, req, &conn, &dom, error)
                      ? read_disk(conn, dom, req->params[1], error) : NULL;
    if (!obj)
        return FALSE;
    api_response_json(resp, 200, obj);
    return TRUE;
}

/* ---- attach ---- */

typedef struct {
    const char *device;   /* disk, cdrom */
    const char *pool;     /* new volume: pool, size, format */
    guint64 size;
    const char *format;
    const char *volume;   /* or an existing "pool/name" */
    const char *media;    /* CD-ROM: the medium, may be NULL */
    const char *bus;
    const char *target;
} AttachSpec;

static gboolean invalid(GError **error, const char *msg)
{
    g_set_error_literal(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, msg);
    return FALSE;
}

static gboolean parse_attach(const ApiRequest *req, json_t **body_out, AttachSpec *a,
                             GError **error)
{
    static const char *const allowed[] = {"device", "pool", "size", "format", "volume", "media",
                                          "bus", "target", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    a->device = "disk";
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "device", 16, &a->device, error) ||
        !api_json_opt_string(body, "pool", ID_MAX_BYTES, &a->pool, error) ||
        !api_json_opt_string(body, "format", 16, &a->format, error) ||
        !api_json_opt_string(body, "volume", ID_MAX_BYTES, &a->volume, error) ||
        !api_json_opt_string(body, "media", ID_MAX_BYTES, &a->media, error) ||
        !api_json_opt_string(body, "bus", 16, &a->bus, error) ||
        !api_json_opt_string(body, "target", 16, &a->target, error))
        return FALSE;
    gboolean cdrom = strcmp(a->device, "cdrom") == 0;
    if (!cdrom && strcmp(a->device, "disk") != 0)
        return invalid(error, "field 'device' must be 'disk' or 'cdrom'");
    if (json_object_get(body, "size") && !api_storage_size(body, "size", &a->size, error))
        return FALSE;
    if (cdrom) {
        if (a->pool || a->size || a->format || a->volume)
            return invalid(error, "a CD-ROM drive takes 'media' (a volume 'pool/name'), not "
                                  "'pool', 'size', 'format' or 'volume'");
    } else {
        if (a->media)
            return invalid(error, "field 'media' is for CD-ROM drives (\"device\": \"cdrom\")");
        if (!a->volume == !a->pool)
            return invalid(error, "give either 'volume' (an existing 'pool/name') or 'pool' "
                                  "and 'size' (a new volume)");
        if (a->pool && !a->size)
            return invalid(error, "field 'size' (bytes) is required with 'pool'");
        if (a->volume && (a->size || a->format))
            return invalid(error, "'size' and 'format' are for a new volume, not with 'volume'");
        if (a->format && !virt_storage_format_valid(a->format))
            return invalid(error, "field 'format' must be raw, qcow2, vdi or vmdk");
    }
    if (a->bus && !virt_disk_bus_valid(a->bus))
        return invalid(error, "field 'bus' must be virtio, sata, scsi, ide or usb");
    *body_out = g_steal_pointer(&body);
    return TRUE;
}

static const char *file_suffix(const char *format)
{
    return strcmp(format, "raw") == 0 ? "img" : format;
}

/* A new volume "VM-TARGET.qcow2" (or -2, -3 ... when taken). */
static virStorageVolPtr make_volume(virConnectPtr conn, virDomainPtr dom, const AttachSpec *a,
                                    const char *target, const char *format, GError **error)
{
    GError *cause = NULL;
    g_autoptr(virStoragePool) pool = virt_pool_lookup(conn, a->pool, &cause);
    if (!pool) {
        if (g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
            return api_field_error(error, "pool", cause), NULL;
        g_propagate_error(error, cause);
        return NULL;
    }
    for (int i = 1; i <= NEW_VOLUME_TRIES; i++) {
        g_autofree char *name = i == 1
            ? g_strdup_printf("%s-%s.%s", virDomainGetName(dom), target, file_suffix(format))
            : g_strdup_printf("%s-%s-%d.%s", virDomainGetName(dom), target, i, file_suffix(format));
        virStorageVolPtr vol = virt_volume_create(pool, name, a->size, format, NULL, &cause);
        if (vol || !g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_EXISTS)) {
            if (!vol)
                g_propagate_error(error, cause);
            return vol;
        }
        g_clear_error(&cause);
    }
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS, "no free volume name for disk %s", target);
    return NULL;
}

/* 409 when another VM (or this one) already uses the file. */
static gboolean check_unused(virConnectPtr conn, virDomainPtr dom, const char *path,
                             const char *id, GError **error)
{
    g_autofree char *user = virt_path_user(conn, path, NULL, error);
    if (error && *error)
        return FALSE;
    if (!user)
        return TRUE;
    if (strcmp(user, virDomainGetName(dom)) == 0)
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_BUSY, "VM '%s' already has volume '%s' attached",
                    user, id);
    else
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_BUSY, "volume '%s' is in use by VM '%s'", id,
                    user);
    return FALSE;
}

static gboolean attach(virConnectPtr conn, virDomainPtr dom, const AttachSpec *a,
                       char **target_out, GError **error)
{
    gboolean cdrom = strcmp(a->device, "cdrom") == 0;
    const char *bus = a->bus ? a->bus : cdrom ? "sata" : "virtio";
    g_autofree char *target = g_strdup(a->target);
    if (!target) {
        g_auto(GStrv) used = virt_domain_disk_targets(dom, error);
        if (!used)
            return FALSE;
        if (!(target = virt_disk_next_target(bus, (const char *const *)used))) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_BUSY, "no free target on the %s bus", bus);
            return FALSE;
        }
    }
    if (cdrom && virDomainIsActive(dom) == 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE, "a CD-ROM drive can only be "
                    "added while VM '%s' is shut off", virDomainGetName(dom));
        return FALSE;
    }
    g_autoptr(virStorageVol) created = NULL;
    g_autoptr(virStorageVol) existing = NULL;
    const char *id = a->volume ? a->volume : a->media;
    if (id && !(existing = api_vm_volume_from_field(conn, a->volume ? "volume" : "media", id, error)))
        return FALSE;
    if (a->pool && !(created = make_volume(conn, dom, a, target, a->format ? a->format : "qcow2",
                                           error)))
        return FALSE;
    virStorageVolPtr vol = created ? created : existing;
    g_autoptr(VirtVolume) info = vol ? virt_volume_info(vol, error) : NULL;
    gboolean ok = !vol || info;
    if (ok && existing && !cdrom)
        ok = check_unused(conn, dom, info->path, id, error);
    if (ok) {
        VirtDiskSpec spec = {.device = a->device, .path = info ? info->path : NULL,
                             .format = info && info->format ? info->format : "raw",
                             .target = target, .bus = a->bus};
        GError *cause = NULL;
        ok = virt_domain_disk_attach(dom, &spec, &cause);
        /* Bad values of the body (a target like "xyz1") are the body's fault. */
        if (!ok && g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_INVALID_ARG) && a->target &&
            strstr(cause->message, "target"))
            api_field_error(error, "target", cause);
        else if (!ok)
            g_propagate_error(error, cause);
    }
    if (!ok && created) {
        g_autoptr(GError) e = NULL;
        if (!virt_volume_delete(created, &e))
            g_warning("volume made for a failed attach stays: %s", e->message);
    }
    if (ok)
        *target_out = g_steal_pointer(&target);
    return ok;
}

gboolean api_vm_disks_attach(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    g_autoptr(json_t) body = NULL;
    AttachSpec a = {0};
    if (!parse_attach(req, &body, &a, error))
        return FALSE;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->edit_lock);
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *target = NULL;
    json_t *obj = NULL;
    if (api_vm_device_begin(ctx, req, &conn, &dom, error) &&
        attach(conn, dom, &a, &target, error))
        obj = read_disk(conn, dom, target, error);
    if (!obj)
        return FALSE;
    api_vm_changed(ctx, dom, VIRT_DOMAIN_EVENT_DEVICES);
    g_autofree char *vm = g_uri_escape_string(virDomainGetName(dom), NULL, FALSE);
    g_autofree char *location = g_strdup_printf("/api/vms/%s/disks/%s", vm, target);
    api_response_header(resp, "Location", location);
    api_response_json(resp, 201, obj);
    return TRUE;
}

/* ---- media, detach ---- */

gboolean api_vm_disk_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    static const char *const allowed[] = {"media", NULL};
    static const char *const required[] = {"media", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    json_t *media = body ? json_object_get(body, "media") : NULL;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) ||
        (!json_is_null(media) &&
         (!json_is_string(media) || json_string_length(media) > ID_MAX_BYTES) &&
         !invalid(error, "field 'media' must be a volume 'pool/name', or null to eject")))
        return FALSE;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->edit_lock);
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    g_autofree char *path = NULL;
    json_t *obj = NULL;
    gboolean ok = api_vm_device_begin(ctx, req, &conn, &dom, error);
    if (ok && json_is_string(media)) {
        vol = api_vm_volume_from_field(conn, "media", json_string_value(media), error);
        ok = vol && (path = virStorageVolGetPath(vol));
        if (vol && !path)
            virt_error_from_libvirt(error, "reading volume");
    }
    if (ok && virt_domain_cdrom_media(dom, req->params[1], path, error))
        obj = read_disk(conn, dom, req->params[1], error);
    if (!obj)
        return FALSE;
    api_vm_changed(ctx, dom, VIRT_DOMAIN_EVENT_DEVICES);
    api_response_json(resp, 200, obj);
    return TRUE;
}

/* The volume behind disk `target` when the caller asked to delete it:
 * never a CD-ROM medium, never a volume another VM uses. */
static virStorageVolPtr volume_to_delete(virConnectPtr conn, virDomainPtr dom, const char *target,
                                         GError **error)
{
    g_autoptr(json_t) disk = read_disk(conn, dom, target, error);
    if (!disk)
        return NULL;
    const char *source = json_string_value(json_object_get(disk, "source"));
    const char *id = json_string_value(json_object_get(disk, "volume"));
    if (g_strcmp0(json_string_value(json_object_get(disk, "device")), "disk") != 0) {
        invalid(error, "volume=true is for disks; a CD-ROM medium is never deleted");
        return NULL;
    }
    if (!id) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "disk '%s' (%s) is not a "
                    "volume of any storage pool; detach it without volume=true", target,
                    source ? source : "no source");
        return NULL;
    }
    g_autofree char *user = virt_path_user(conn, source, dom, error);
    if (error && *error)
        return NULL;
    if (user) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_BUSY, "volume '%s' is also used by VM '%s'; "
                    "it is not deleted (detach without volume=true)", id, user);
        return NULL;
    }
    virStorageVolPtr vol = virStorageVolLookupByPath(conn, source);
    if (!vol)
        virt_error_from_libvirt(error, "looking up volume");
    return vol;
}

gboolean api_vm_disk_detach(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {"volume", NULL};
    gboolean delete_volume = FALSE;
    if (!api_query_only(req, allowed, error) ||
        !api_query_bool(req, "volume", FALSE, &delete_volume, error))
        return FALSE;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->edit_lock);
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    gboolean still_live = FALSE;
    gboolean ok = api_vm_device_begin(ctx, req, &conn, &dom, error) &&
                  (!delete_volume || (vol = volume_to_delete(conn, dom, req->params[1], error))) &&
                  virt_domain_disk_detach(dom, req->params[1], &still_live, error);
    /* Detached, whatever becomes of its volume after. */
    if (ok)
        api_vm_changed(ctx, dom, VIRT_DOMAIN_EVENT_DEVICES);
    if (ok && vol && still_live) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_BUSY, "disk '%s' was removed from VM '%s''s "
                    "definition, but the running guest has not released it yet; its volume is "
                    "kept: delete it once the guest lets go", req->params[1],
                    virDomainGetName(dom));
        ok = FALSE;
    }
    if (ok && vol)
        ok = virt_volume_delete(vol, error);
    if (!ok)
        return FALSE;
    resp->status = 204;
    return TRUE;
}
