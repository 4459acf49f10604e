/* /api/vms/{vm}/disks: list, attach (a new volume made in a pool, or an
 * existing one; hot-plugged into a running VM), read, CD-ROM media change
 * and eject, detach (optionally deleting the volume). A volume made for an
 * attach that fails is deleted again. */
#include "api/auth/api_quota.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/core/api_scope.h"
#include "api/storage/api_storage_json.h"
#include "api/vms/api_vm_devices.h"
#include "api/vms/api_vm_json.h"
#include "api/vms/api_vms.h"
#include "db/db_auth.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain_devices.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_storage_xml.h"

#include <string.h>

#define ID_MAX_BYTES 512
#define NEW_VOLUME_TRIES 100

/* A disk with its volume ("pool/name", or null for a file no pool knows)
 * and the volume's size in bytes (capacity: what the guest sees;
 * allocation: what it takes on the host), null when unknown. */
static json_t *disk_answer(virConnectPtr conn, const VirtDisk *d)
{
    json_t *obj = api_vm_disk_json(d);
    gboolean media = g_strcmp0(d->device, "disk") == 0 || g_strcmp0(d->device, "cdrom") == 0;
    g_autofree char *vol = media ? virt_volume_id_of_path(conn, d->source) : NULL;
    g_autoptr(virStorageVol) handle = vol ? virStorageVolLookupByPath(conn, d->source) : NULL;
    virStorageVolInfo info;
    gboolean sized = handle && virStorageVolGetInfo(handle, &info) == 0;
    virResetLastError();
    json_object_set_new(obj, "volume", vol ? json_string(vol) : json_null());
    json_object_set_new(obj, "capacity",
                        sized ? json_integer((json_int_t)info.capacity) : json_null());
    json_object_set_new(obj, "allocation",
                        sized ? json_integer((json_int_t)info.allocation) : json_null());
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
                      ? read_disk(conn, dom, req->params[1], error)
                      : NULL;
    if (!obj)
        return FALSE;
    api_response_json(resp, 200, obj);
    return TRUE;
}

/* ---- attach ---- */

typedef struct {
    const char *device; /* disk, cdrom */
    const char *pool;   /* new volume: pool, size, format */
    guint64 size;
    const char *format;
    const char *volume; /* or an existing "pool/name" */
    const char *media;  /* CD-ROM: the medium, may be NULL */
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
    static const char *const allowed[] = {"device", "pool", "size",   "format", "volume",
                                          "media",  "bus",  "target", NULL};
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

/* A new volume "VM-TARGET.qcow2" (or -2, -3 ... when taken), in a pool the
 * caller may make disks in. */
static virStorageVolPtr make_volume(const ApiRequest *req, virConnectPtr conn, virDomainPtr dom,
                                    const AttachSpec *a, const char *target, const char *format,
                                    GError **error)
{
    GError *cause = NULL;
    g_autoptr(virStoragePool) pool = NULL;
    if (api_scope_pool(req->scope, a->pool, API_POOL_DISKS, &cause))
        pool = virt_pool_lookup(conn, a->pool, &cause);
    if (!pool) {
        if (g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
            return api_field_error(error, "pool", cause), NULL;
        g_propagate_error(error, cause);
        return NULL;
    }
    for (int i = 1; i <= NEW_VOLUME_TRIES; i++) {
        g_autofree char *name = i == 1 ? g_strdup_printf("%s-%s.%s", virDomainGetName(dom), target,
                                                         file_suffix(format))
                                       : g_strdup_printf("%s-%s-%d.%s", virDomainGetName(dom),
                                                         target, i, file_suffix(format));
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

/* 409 when the VM itself already has the volume. */
static gboolean not_attached_yet(const ApiRequest *req, ApiVmChange *c, const char *path,
                                 const char *id, GError **error)
{
    GHashTable *usage = api_scope_disk_usage(req->scope, c->conn, error);
    const GPtrArray *users = usage ? virt_disk_users(usage, path) : NULL;
    if (!usage)
        return FALSE;
    for (guint i = 0; users && i < users->len; i++) {
        const VirtDiskUser *u = g_ptr_array_index(users, i);
        if (strcmp(u->uuid, c->uuid) == 0)
            return virt_fail(error, VIRT_ERROR_BUSY, "VM '%s' already has volume '%s' attached",
                             u->name, id);
    }
    return TRUE;
}

/* The volume of an attach: the existing one the body names (checked for
 * the use it gets and for other VMs using it), or a new one. */
static virStorageVolPtr volume_of(const ApiRequest *req, ApiVmChange *c, const AttachSpec *a,
                                  const char *target, gboolean *created, GError **error)
{
    gboolean cdrom = strcmp(a->device, "cdrom") == 0;
    const char *id = a->volume ? a->volume : a->media;
    *created = FALSE;
    if (a->pool) {
        virStorageVolPtr vol = make_volume(req, c->conn, c->dom, a, target,
                                           a->format ? a->format : "qcow2", error);
        *created = vol != NULL;
        return vol;
    }
    if (!id)
        return NULL; /* an empty CD-ROM drive */
    g_autofree char *path = NULL;
    g_autoptr(virStorageVol)
        vol = api_vm_volume_from_field(req, c->conn, a->volume ? "volume" : "media", id,
                                       cdrom ? API_VOLUME_MEDIA : API_VOLUME_DISK, &path, error);
    if (!vol || !not_attached_yet(req, c, path, id, error))
        return NULL;
    /* A writable disk has the file to itself; a medium only needs nobody
     * writing it. */
    if (!api_scope_volume_free(req->scope, c->conn, path, id, c->uuid,
                               cdrom ? API_SHARE_READERS : API_SHARE_NONE, error))
        return NULL;
    return g_steal_pointer(&vol);
}

static gboolean attach(const ApiRequest *req, ApiVmChange *c, const AttachSpec *a,
                       char **target_out, char **made_path, GError **error)
{
    gboolean cdrom = strcmp(a->device, "cdrom") == 0;
    const char *bus = a->bus ? a->bus : cdrom ? "sata" : "virtio";
    g_autofree char *target = g_strdup(a->target);
    if (!target) {
        g_auto(GStrv) used = virt_domain_disk_targets(c->dom, error);
        if (!used)
            return FALSE;
        if (!(target = virt_disk_next_target(bus, (const char *const *)used))) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_BUSY, "no free target on the %s bus", bus);
            return FALSE;
        }
    }
    if (cdrom && virDomainIsActive(c->dom) == 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "a CD-ROM drive can only be "
                    "added while VM '%s' is shut off",
                    virDomainGetName(c->dom));
        return FALSE;
    }
    gboolean created = FALSE;
    g_autoptr(virStorageVol) vol = volume_of(req, c, a, target, &created, error);
    if (!vol && *error)
        return FALSE;
    g_autoptr(VirtVolume) info = vol ? virt_volume_info(vol, error) : NULL;
    gboolean ok = !vol || info;
    if (ok) {
        VirtDiskSpec spec = {.device = a->device,
                             .path = info ? info->path : NULL,
                             .format = info && info->format ? info->format : "raw",
                             .target = target,
                             .bus = a->bus};
        GError *cause = NULL;
        ok = virt_domain_disk_attach(c->dom, &spec, &cause);
        /* Bad values of the body (a target like "xyz1") are the body's fault. */
        if (!ok && g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_INVALID_ARG) && a->target &&
            strstr(cause->message, "target"))
            api_field_error(error, "target", cause);
        else if (!ok)
            g_propagate_error(error, cause);
    }
    if (!ok && created) {
        g_autoptr(GError) e = NULL;
        if (!virt_volume_delete(vol, &e))
            g_warning("volume made for a failed attach stays: %s", e->message);
    }
    if (ok && created)
        *made_path = g_strdup(info->path);
    if (ok)
        *target_out = g_steal_pointer(&target);
    return ok;
}

/* The lock keys of the volumes a body names. */
static GStrv volume_keys(const char *ref)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autofree char *key = ref ? api_volume_lock_key(ref) : NULL;
    if (key)
        g_strv_builder_add(b, key);
    return g_strv_builder_end(b);
}

gboolean api_vm_disks_attach(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    g_autoptr(json_t) body = NULL;
    AttachSpec a = {0};
    if (!parse_attach(req, &body, &a, error))
        return FALSE;
    g_auto(GStrv) keys = volume_keys(a.volume ? a.volume : a.media);
    g_auto(ApiVmChange) c = {0};
    g_autofree char *target = NULL, *made = NULL;
    /* A new volume will be the caller's: it counts in their quota. */
    DbQuota more = {.v = {[DB_QUOTA_DISK] = a.pool ? (gint64)a.size : 0}};
    g_autoptr(ApiQuotaHold) quota = NULL;
    json_t *obj = NULL;
    gboolean ok = api_vm_change_begin(ctx, req, (const char *const *)keys, &c, error) &&
                  api_quota_check(ctx, req, req->auth->user_id, &more, &quota, error);
    api_quota_hold_settle(quota);
    if (ok && attach(req, &c, &a, &target, &made, error))
        obj = read_disk(c.conn, c.dom, target, error);
    if (!obj)
        return FALSE;
    /* The caller made it: theirs to use and delete later. */
    if (made)
        db_volume_owner_set(ctx->db, api_host_id(ctx, req->virt_host), made, req->auth->user_id,
                            NULL);
    api_quota_hold_release(quota);
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    g_autofree char *vm = g_uri_escape_string(virDomainGetName(c.dom), NULL, FALSE);
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
    const char *ref = json_is_string(media) ? json_string_value(media) : NULL;
    g_auto(GStrv) keys = volume_keys(ref);
    g_auto(ApiVmChange) c = {0};
    g_autoptr(virStorageVol) vol = NULL;
    g_autofree char *path = NULL;
    json_t *obj = NULL;
    gboolean ok = api_vm_change_begin(ctx, req, (const char *const *)keys, &c, error);
    /* A medium is read: nobody else may be writing it. */
    if (ok && ref)
        ok = (vol = api_vm_volume_from_field(req, c.conn, "media", ref, API_VOLUME_MEDIA, &path,
                                             error)) &&
             api_scope_volume_free(req->scope, c.conn, path, ref, NULL, API_SHARE_READERS, error);
    if (ok && virt_domain_cdrom_media(c.dom, req->params[1], path, error))
        obj = read_disk(c.conn, c.dom, req->params[1], error);
    if (!obj)
        return FALSE;
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    api_response_json(resp, 200, obj);
    return TRUE;
}

/* The volume behind disk `target` when the caller asked to delete it:
 * never a CD-ROM medium, never one the caller may not delete or another VM
 * uses. Its lock is added to the change's. */
static virStorageVolPtr volume_to_delete(ApiContext *ctx, const ApiRequest *req, ApiVmChange *c,
                                         const char *target, GError **error)
{
    g_autoptr(json_t) disk = read_disk(c->conn, c->dom, target, error);
    if (!disk)
        return NULL;
    const char *source = json_string_value(json_object_get(disk, "source"));
    const char *id = json_string_value(json_object_get(disk, "volume"));
    if (g_strcmp0(json_string_value(json_object_get(disk, "device")), "disk") != 0) {
        invalid(error, "volume=true is for disks; a CD-ROM medium is never deleted");
        return NULL;
    }
    if (!id) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "disk '%s' (%s) is not a "
                    "volume of any storage pool; detach it without volume=true",
                    target, source ? source : "no source");
        return NULL;
    }
    g_autofree char *key = api_volume_lock_key(id);
    /* "vm:" sorts before "volume:": added in the one lock order. */
    api_lock_set_merge(c->locks, api_lock(ctx->locks, "%s", key));
    g_autofree char *pool = g_strndup(id, strcspn(id, "/"));
    g_autoptr(virStorageVol) vol = NULL;
    if (!api_scope_volume(req->scope, c->conn, pool, id + strlen(pool) + 1, source,
                          API_VOLUME_DELETE, error) ||
        !api_scope_volume_free(req->scope, c->conn, source, id, c->uuid, API_SHARE_NONE, error)) {
        g_prefix_error(error, "the disk was not detached: ");
        return NULL;
    }
    if (!(vol = virStorageVolLookupByPath(c->conn, source)))
        virt_error_from_libvirt(error, "looking up volume");
    return g_steal_pointer(&vol);
}

/* How long a detach waits for the guest to let go of the disk. */
#define RELEASE_WAIT_US (8 * G_USEC_PER_SEC)

gboolean api_vm_disk_detach(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {"volume", NULL};
    gboolean delete_volume = FALSE;
    if (!api_query_only(req, allowed, error) ||
        !api_query_bool(req, "volume", FALSE, &delete_volume, error))
        return FALSE;
    g_auto(ApiVmChange) c = {0};
    g_autoptr(virStorageVol) vol = NULL;
    gboolean was_live = FALSE;
    if (!api_vm_change_begin(ctx, req, NULL, &c, error) ||
        (delete_volume && !(vol = volume_to_delete(ctx, req, &c, req->params[1], error))) ||
        !virt_domain_disk_detach_begin(c.dom, req->params[1], &was_live, error))
        return FALSE;
    /* Detached, whatever becomes of its volume after. */
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    g_autofree char *path = vol ? virStorageVolGetPath(vol) : NULL;
    /* Hot-unplug needs the guest's help: wait for it without holding the
     * VM's lock, then delete under the volume's lock alone, checking again
     * that nobody took the volume meanwhile. */
    g_clear_pointer(&c.locks, api_lock_set_release);
    if (was_live && !virt_domain_disk_wait_released(c.dom, req->params[1], RELEASE_WAIT_US)) {
        if (vol)
            return api_fail(error, API_ERROR_CONFLICT,
                            "disk '%s' was removed from VM '%s''s "
                            "definition, but the running guest has not released it yet; its "
                            "volume is kept: delete it once the guest lets go",
                            req->params[1], virDomainGetName(c.dom));
        g_message("req=%" G_GUINT64_FORMAT " disk %s detached from VM %s's definition; the "
                  "guest has not let go of it yet",
                  req->id, req->params[1], virDomainGetName(c.dom));
    }
    if (vol) {
        g_autoptr(virStoragePool) pool = virStoragePoolLookupByVolume(vol);
        g_autofree char *id = g_strdup_printf("%s/%s", pool ? virStoragePoolGetName(pool) : "",
                                              virStorageVolGetName(vol));
        g_autoptr(ApiLockSet) locks = api_lock(ctx->locks, "volume:%s", id);
        g_autoptr(ApiScope) fresh = api_scope_new(ctx, req->auth);
        if (!api_scope_volume_free(fresh, c.conn, path, id, NULL, API_SHARE_NONE, error) ||
            !virt_volume_delete(vol, error))
            return FALSE;
        db_volume_owner_forget(ctx->db, api_host_id(ctx, req->virt_host), path, NULL);
    }
    resp->status = 204;
    return TRUE;
}
