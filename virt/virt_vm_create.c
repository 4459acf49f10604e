/* One VM from a plan: volumes first (the long part), then the definition;
 * a failure at any step removes what this call made. */
#include "virt/virt_vm_create.h"
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_volume_copy.h"
#include "virt/virt_error.h"
#include "virt/virt_host.h"
#include "virt/virt_storage.h"

#include <gio/gio.h>
#include <libvirt/virterror.h>

#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNetwork, virNetworkFree)

struct VirtVmCreated {
    virDomainPtr dom;
    GPtrArray *made; /* virStorageVolPtr of the volumes this create made */
};

static void created_free(VirtVmCreated *c)
{
    if (c->dom)
        virDomainFree(c->dom);
    g_ptr_array_unref(c->made);
    g_free(c);
}

/* Prefixes an engine error with the field it came from; a missing pool or
 * volume named in the body is the body's fault (400), not a missing URL. */
static gboolean blame(GError **error, const char *field)
{
    if (error && *error) {
        if ((*error)->code == VIRT_ERROR_NOT_FOUND)
            (*error)->code = VIRT_ERROR_INVALID_ARG;
        g_prefix_error(error, "%s: ", field);
    }
    return FALSE;
}

static char *field_name(const VirtVmVolume *v, guint i, const char *member)
{
    if (v->label)
        return g_strdup(v->label);
    if (strcmp(v->device, "cdrom") == 0)
        return g_strdup("cdrom");
    return g_strdup_printf("disks[%u]%s%s", i, member ? "." : "", member ? member : "");
}

static const char *extension(const char *format)
{
    return g_strcmp0(format, "raw") == 0 ? "img" : format;
}

/* The name a new volume gets; `format` is its final format. */
static char *volume_name(const VirtVmPlan *plan, const VirtVmVolume *v, guint i, const char *format)
{
    if (v->name)
        return g_strdup(v->name);
    return g_strdup_printf("%s-disk%u.%s", plan->domain.name, i, extension(format));
}

/* Where a new volume goes: `pool`, or the source's pool. */
static virStoragePoolPtr target_pool(virConnectPtr conn, const VirtVmVolume *v,
                                     virStoragePoolPtr source_pool, GError **error)
{
    if (v->pool)
        return virt_pool_lookup(conn, v->pool, error);
    if (source_pool) {
        virStoragePoolRef(source_pool);
        return source_pool;
    }
    virt_fail(error, VIRT_ERROR_INVALID_ARG, "no pool given");
    return NULL;
}

static const char *format_of(const VirtVmVolume *v, const VirtVolume *source)
{
    if (v->format)
        return v->format;
    if (v->kind == VIRT_VM_VOL_CLONE && source && source->format)
        return source->format;
    return "qcow2";
}

/* What volume i of a plan stands for, looked up: the existing volume, or
 * the source, target pool, name and format of a volume to make. */
typedef struct {
    virStorageVolPtr existing;
    virStorageVolPtr source;
    VirtVolume *source_info;
    virStoragePoolPtr pool;
    char *name;
    const char *format;
} Resolved;

static void resolved_clear(Resolved *r)
{
    if (r->existing)
        virStorageVolFree(r->existing);
    if (r->source)
        virStorageVolFree(r->source);
    if (r->pool)
        virStoragePoolFree(r->pool);
    virt_volume_free(r->source_info);
    g_free(r->name);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Resolved, resolved_clear)

static gboolean resolve(virConnectPtr conn, const VirtVmPlan *plan, guint i, Resolved *r,
                        GError **error)
{
    const VirtVmVolume *v = &plan->volumes[i];
    if (v->kind == VIRT_VM_VOL_EXISTING) {
        g_autofree char *field = field_name(v, i, NULL);
        g_autoptr(virStoragePool) pool = virt_pool_lookup(conn, v->pool, error);
        if (!pool || !(r->existing = virt_volume_lookup(pool, v->name, error)))
            return blame(error, field);
        return TRUE;
    }
    g_autoptr(virStoragePool) source_pool = NULL;
    if (v->kind == VIRT_VM_VOL_CLONE || v->kind == VIRT_VM_VOL_OVERLAY) {
        g_autofree char *field = field_name(v, i,
                                            v->kind == VIRT_VM_VOL_CLONE ? "clone" : "backing");
        if (!(r->source = virt_volume_lookup_ref(conn, v->from, &source_pool, error)) ||
            !(r->source_info = virt_volume_info(r->source, error)))
            return blame(error, field);
    }
    g_autofree char *pool_field = field_name(v, i, "pool");
    if (!(r->pool = target_pool(conn, v, source_pool, error)))
        return blame(error, pool_field);
    r->format = v->kind == VIRT_VM_VOL_DATA ? "raw" : format_of(v, r->source_info);
    r->name = volume_name(plan, v, i, r->format);
    return TRUE;
}

static gboolean check_volume(virConnectPtr conn, const VirtVmPlan *plan, guint i,
                             GHashTable *new_names, GError **error)
{
    g_auto(Resolved) r = {0};
    if (!resolve(conn, plan, i, &r, error))
        return FALSE;
    if (r.existing)
        return TRUE;
    const char *pool_name = virStoragePoolGetName(r.pool);
    g_autofree char *key = g_strdup_printf("%s/%s", pool_name, r.name);
    virStorageVolPtr clash = virStorageVolLookupByName(r.pool, r.name);
    virResetLastError();
    if (clash || !g_hash_table_add(new_names, g_steal_pointer(&key))) {
        if (clash)
            virStorageVolFree(clash);
        g_autofree char *field = field_name(&plan->volumes[i], i, NULL);
        return virt_fail(error, VIRT_ERROR_EXISTS,
                         "%s: a volume named '%s' exists in storage "
                         "pool '%s'",
                         field, r.name, pool_name);
    }
    /* A copy takes at least what its source takes: refuse it now rather
     * than half-way through (a create with a copy answers 202 first). */
    if (plan->volumes[i].kind == VIRT_VM_VOL_CLONE) {
        g_autoptr(VirtPool) info = virt_pool_info(r.pool, error);
        if (!info)
            return FALSE;
        if (info->available < r.source_info->allocation) {
            g_autofree char *field = field_name(&plan->volumes[i], i, NULL);
            return virt_fail(error, VIRT_ERROR_NO_SPACE,
                             "%s: storage pool '%s' has %" G_GUINT64_FORMAT
                             " bytes free; the copy needs %" G_GUINT64_FORMAT,
                             field, pool_name, info->available, r.source_info->allocation);
        }
    }
    return TRUE;
}

static gboolean check_nic(virConnectPtr conn, const VirtNicSpec *nic, guint i, GError **error)
{
    if (g_strcmp0(nic->type, "bridge") == 0) {
        if (!virt_host_bridge_exists(nic->source))
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "nics[%u].bridge: no host bridge named '%s'", i, nic->source);
        return TRUE;
    }
    g_autoptr(virNetwork) net = virNetworkLookupByName(conn, nic->source);
    if (!net) {
        g_autoptr(GError) why = NULL;
        virt_error_from_libvirt(&why, "looking up network");
        if (why->code != VIRT_ERROR_NOT_FOUND) {
            g_propagate_error(error, g_steal_pointer(&why));
            return FALSE;
        }
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "nics[%u].network: no network named '%s'",
                         i, nic->source);
    }
    return TRUE;
}

gboolean virt_vm_plan_check(virConnectPtr conn, const VirtVmPlan *plan, GError **error)
{
    if (!virt_domain_name_valid(plan->domain.name, error))
        return FALSE;
    virDomainPtr clash = virDomainLookupByName(conn, plan->domain.name);
    virResetLastError();
    if (clash) {
        virDomainFree(clash);
        return virt_fail(error, VIRT_ERROR_EXISTS, "a VM named '%s' exists", plan->domain.name);
    }
    g_autoptr(GHashTable) new_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < plan->n_volumes; i++)
        if (!check_volume(conn, plan, i, new_names, error))
            return FALSE;
    for (guint i = 0; i < plan->domain.n_nics; i++)
        if (!check_nic(conn, &plan->domain.nics[i], i, error))
            return FALSE;
    return TRUE;
}

/* How far the whole create is while volume i is copied: its copy covers
 * its share of the first 90 percent. */
typedef struct {
    VirtVmProgress progress;
    gpointer data;
    guint base, span;
    const char *message;
} CopyProgress;

static gboolean copy_progress(guint64 done, guint64 total, gpointer data)
{
    const CopyProgress *p = data;
    if (!p->progress)
        return TRUE;
    guint percent = p->base + (total ? (guint)(p->span * done / total) : 0);
    return p->progress(percent, p->message, p->data);
}

/* A full copy of the source (streamed with progress where the formats
 * allow, see virt_volume_clone), grown to `size` when that is larger. */
static virStorageVolPtr clone_volume(Resolved *r, guint64 size, CopyProgress *progress,
                                     GError **error)
{
    if (!virt_storage_format_valid(r->format)) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "unknown format '%s'", r->format);
        return NULL;
    }
    virStorageVolPtr vol = virt_volume_clone(r->pool, r->source, r->name, r->format, copy_progress,
                                             progress, error);
    if (vol && size > r->source_info->capacity && virStorageVolResize(vol, size, 0) < 0) {
        virt_error_from_libvirt(error, "growing the copy");
        virStorageVolDelete(vol, 0);
        virStorageVolFree(vol);
        return NULL;
    }
    return vol;
}

/* A new raw volume holding `data`; a failed write leaves no volume. */
static virStorageVolPtr data_volume(Resolved *r, const VirtVmVolume *v, GError **error)
{
    virStorageVolPtr vol = virt_volume_create(r->pool, r->name, v->data_len, "raw", NULL, error);
    if (!vol)
        return NULL;
    g_autoptr(virStream) st = virt_volume_upload_stream(vol, v->data_len, error);
    gboolean sent = st && virt_stream_send_all(st, v->data, v->data_len, error);
    if (st && !sent)
        virt_stream_abort(st);
    if (sent && virt_stream_finish(st, error))
        return vol;
    g_prefix_error(error, "writing volume '%s': ", r->name);
    if (virStorageVolDelete(vol, 0) < 0)
        virResetLastError();
    virStorageVolFree(vol);
    return NULL;
}

static gboolean note(const VirtVmPlan *plan, const char *kind, const char *ref, gboolean made,
                     const char *path, GError **error)
{
    if (!plan->note || plan->note(kind, ref, made, path, plan->note_data))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_FAILED, "could not record the %s '%s' about to be made",
                     kind, ref);
}

/* Tells the plan's note that volume `vol` is made. */
static gboolean note_made(const VirtVmPlan *plan, const char *ref, virStorageVolPtr vol,
                          GError **error)
{
    g_autofree char *path = virStorageVolGetPath(vol);
    virResetLastError();
    return note(plan, "volume", ref, TRUE, path, error);
}

/* Makes (or finds) volume i; returns its handle. */
static virStorageVolPtr make_volume(virConnectPtr conn, const VirtVmPlan *plan, guint i,
                                    GPtrArray *made, CopyProgress *progress, GError **error)
{
    const VirtVmVolume *v = &plan->volumes[i];
    g_auto(Resolved) r = {0};
    if (!resolve(conn, plan, i, &r, error))
        return NULL;
    if (r.existing)
        return g_steal_pointer(&r.existing);
    g_autofree char *field = field_name(v, i, NULL);
    g_autofree char *ref = g_strdup_printf("%s/%s", virStoragePoolGetName(r.pool), r.name);
    if (!note(plan, "volume", ref, FALSE, NULL, error))
        return NULL;
    guint64 size = v->size;
    if (r.source_info && size < r.source_info->capacity)
        size = r.source_info->capacity;
    virStorageVolPtr vol = NULL;
    if (v->kind == VIRT_VM_VOL_CLONE)
        vol = clone_volume(&r, size, progress, error);
    else if (v->kind == VIRT_VM_VOL_DATA)
        vol = data_volume(&r, v, error);
    else
        vol = virt_volume_create(r.pool, r.name, size, r.format,
                                 v->kind == VIRT_VM_VOL_OVERLAY ? v->from : NULL, error);
    if (!vol) {
        if (g_error_matches(*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
            g_clear_error(error);
            virt_fail(error, VIRT_ERROR_FAILED, "cancelled");
            return NULL;
        }
        g_prefix_error(error, "%s: ", field);
        return NULL;
    }
    g_ptr_array_add(made, vol);
    virStorageVolRef(vol);
    if (!note_made(plan, ref, vol, error)) {
        virStorageVolFree(vol);
        return NULL;
    }
    return vol;
}

/* The bus a volume sits on, by the same defaults as virt_disk_append. */
static const char *bus_of(const VirtVmVolume *v)
{
    if (v->bus)
        return v->bus;
    return strcmp(v->device, "cdrom") == 0 ? "sata" : "virtio";
}

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

/* The format of the volume at `path` (an overlay's backing file). */
static char *format_at(virConnectPtr conn, const char *path)
{
    g_autoptr(virStorageVol) vol = virStorageVolLookupByPath(conn, path);
    virResetLastError();
    g_autoptr(VirtVolume) info = vol ? virt_volume_info(vol, NULL) : NULL;
    return info && info->format ? g_strdup(info->format) : NULL;
}

/* A clone's definition: the source's, with the volumes made for it. */
static char *clone_xml(virConnectPtr conn, const VirtVmPlan *plan, const VirtDiskSpec *disks,
                       GPtrArray *strings, GError **error)
{
    g_autofree VirtDiskMove *moves = g_new0(VirtDiskMove, plan->n_volumes + 1);
    for (guint i = 0; i < plan->n_volumes; i++) {
        g_autoptr(virStorageVol) vol = virStorageVolLookupByPath(conn, disks[i].path);
        g_autoptr(VirtVolume) info = vol ? virt_volume_info(vol, error) : NULL;
        if (!info) {
            if (!vol)
                virt_error_from_libvirt(error, "reading a new volume");
            return NULL;
        }
        char *backing = g_strdup(info->backing);
        g_ptr_array_add(strings, backing);
        char *backing_format = backing ? format_at(conn, backing) : NULL;
        g_ptr_array_add(strings, backing_format);
        moves[i] = (VirtDiskMove){plan->volumes[i].target, disks[i].path, disks[i].format, backing,
                                  backing_format};
    }
    return virt_domain_xml_clone(plan->clone_of, plan->domain.name, plan->domain.uuid, moves,
                                 plan->n_volumes, error);
}

static gboolean report(VirtVmProgress progress, gpointer data, guint percent, const char *msg,
                       GError **error)
{
    if (progress && !progress(percent, msg, data))
        return virt_fail(error, VIRT_ERROR_FAILED, "cancelled");
    return TRUE;
}

VirtVmCreated *virt_vm_create(virConnectPtr conn, const VirtVmPlan *plan, VirtVmProgress progress,
                              gpointer user_data, GError **error)
{
    if (!virt_vm_plan_check(conn, plan, error))
        return NULL;
    VirtVmCreated *c = g_new0(VirtVmCreated, 1);
    c->made = g_ptr_array_new_with_free_func(volume_unref);
    g_autoptr(GPtrArray) vols = g_ptr_array_new_with_free_func(volume_unref);
    g_autofree VirtDiskSpec *disks = g_new0(VirtDiskSpec, plan->n_volumes + 1);
    g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) targets = g_ptr_array_new();
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < plan->n_volumes; i++) {
        const VirtVmVolume *v = &plan->volumes[i];
        g_autofree char *msg = g_strdup_printf("preparing volume %u of %u", i + 1, plan->n_volumes);
        guint n = MAX(plan->n_volumes, 1);
        CopyProgress copy = {progress, user_data, 90 * i / n, 90 / n, msg};
        virStorageVolPtr vol = NULL;
        ok = report(progress, user_data, copy.base, msg, error) &&
             (vol = make_volume(conn, plan, i, c->made, &copy, error)) != NULL;
        if (!ok)
            break;
        g_ptr_array_add(vols, vol);
        g_autoptr(VirtVolume) info = virt_volume_info(vol, error);
        if (!(ok = info != NULL))
            break;
        g_ptr_array_add(targets, NULL);
        char *target = virt_disk_next_target(bus_of(v), (const char *const *)targets->pdata);
        g_ptr_array_remove_index(targets, targets->len - 1);
        g_ptr_array_add(strings, g_strdup(info->path));
        g_ptr_array_add(strings, g_strdup(info->format));
        g_ptr_array_add(strings, target);
        g_ptr_array_add(targets, target);
        disks[i] = (VirtDiskSpec){
            .device = v->device,
            .path = g_ptr_array_index(strings, strings->len - 3),
            .format = strcmp(v->device, "cdrom") == 0
                          ? "raw"
                          : g_ptr_array_index(strings, strings->len - 2),
            .target = target,
            .bus = v->bus,
            .alias = v->alias,
        };
    }
    g_autofree char *xml = NULL;
    if (ok && (ok = report(progress, user_data, 95, "defining the VM", error))) {
        VirtDomainBuild build = plan->domain;
        build.disks = disks;
        build.n_disks = plan->n_volumes;
        xml = plan->clone_of ? clone_xml(conn, plan, disks, strings, error)
                             : virt_domain_build_xml(&build, error);
        ok = xml != NULL;
    }
    const char *uuid = plan->domain.uuid;
    if (ok && uuid)
        ok = note(plan, "domain", uuid, FALSE, NULL, error);
    if (ok) {
        c->dom = virDomainDefineXMLFlags(conn, xml, VIR_DOMAIN_DEFINE_VALIDATE);
        if (!(ok = c->dom != NULL))
            virt_error_from_libvirt(error, "defining the VM");
    }
    if (ok && uuid)
        ok = note(plan, "domain", uuid, TRUE, NULL, error);
    if (!ok) {
        virt_vm_created_rollback(c);
        return NULL;
    }
    report(progress, user_data, 100, "defined", NULL);
    return c;
}

virDomainPtr virt_vm_created_domain(VirtVmCreated *c)
{
    return c->dom;
}

void virt_vm_created_rollback(VirtVmCreated *c)
{
    if (!c)
        return;
    if (c->dom) {
        if (virDomainIsActive(c->dom) == 1 && virDomainDestroy(c->dom) < 0)
            g_warning("rollback: powering off %s failed", virDomainGetName(c->dom));
        /* Drivers without NVRAM support (test) refuse the flag. */
        if (virDomainUndefineFlags(c->dom, VIR_DOMAIN_UNDEFINE_NVRAM |
                                               VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) < 0 &&
            virDomainUndefine(c->dom) < 0)
            g_warning("rollback: undefining %s failed", virDomainGetName(c->dom));
        virResetLastError();
    }
    /* Newest first: an overlay goes before anything it could sit on. */
    for (guint i = c->made->len; i-- > 0;) {
        virStorageVolPtr vol = g_ptr_array_index(c->made, i);
        if (virStorageVolDelete(vol, 0) < 0) {
            g_warning("rollback: deleting volume %s failed", virStorageVolGetName(vol));
            virResetLastError();
        }
    }
    created_free(c);
}

void virt_vm_created_commit(VirtVmCreated *c)
{
    if (c)
        created_free(c);
}
