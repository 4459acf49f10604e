/* Storage pool and volume operations. State conflicts (starting an active
 * pool, stopping an inactive one) are checked here, as for domains, so the
 * API answers 409 whatever the driver's own error code. */
#include "virt/virt_storage.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>
#include <string.h>

static const char *const pool_states[] = {
    [VIR_STORAGE_POOL_INACTIVE] = "inactive",         [VIR_STORAGE_POOL_BUILDING] = "building",
    [VIR_STORAGE_POOL_RUNNING] = "running",           [VIR_STORAGE_POOL_DEGRADED] = "degraded",
    [VIR_STORAGE_POOL_INACCESSIBLE] = "inaccessible",
};

static const char *const vol_types[] = {
    [VIR_STORAGE_VOL_FILE] = "file",     [VIR_STORAGE_VOL_BLOCK] = "block",
    [VIR_STORAGE_VOL_DIR] = "dir",       [VIR_STORAGE_VOL_NETWORK] = "network",
    [VIR_STORAGE_VOL_NETDIR] = "netdir", [VIR_STORAGE_VOL_PLOOP] = "ploop",
};

const char *virt_pool_state_name(int state)
{
    if (state < 0 || state >= (int)G_N_ELEMENTS(pool_states))
        return "inactive";
    return pool_states[state];
}

static const char *vol_type_name(int type)
{
    if (type < 0 || type >= (int)G_N_ELEMENTS(vol_types) || !vol_types[type])
        return "file";
    return vol_types[type];
}

/* libvirt's error, or a not-found message naming what the client asked for. */
static void lookup_failed(GError **error, const char *what, const char *name)
{
    virt_error_from_libvirt(error, "looking up storage");
    if (error && *error && (*error)->code == VIRT_ERROR_NOT_FOUND) {
        g_clear_error(error);
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "no %s named '%s'", what, name);
    }
}

/* ---- pools ---- */

void virt_pool_free(VirtPool *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->type);
    g_free(p->path);
    virt_pool_source_clear(&p->source);
    g_free(p);
}

VirtPool *virt_pool_info(virStoragePoolPtr pool, GError **error)
{
    virStoragePoolInfo info;
    int autostart = 0;
    int persistent = virStoragePoolIsPersistent(pool);
    g_autofree char *xml = virStoragePoolGetXMLDesc(pool, 0);
    if (!xml || persistent < 0 || virStoragePoolGetInfo(pool, &info) < 0 ||
        virStoragePoolGetAutostart(pool, &autostart) < 0) {
        virt_error_from_libvirt(error, "reading storage pool");
        return NULL;
    }
    g_autoptr(VirtPoolConfig) cfg = virt_pool_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    VirtPool *p = g_new0(VirtPool, 1);
    p->name = g_strdup(virStoragePoolGetName(pool));
    virStoragePoolGetUUIDString(pool, p->uuid);
    p->type = g_steal_pointer(&cfg->type);
    p->path = g_steal_pointer(&cfg->path);
    p->source = cfg->source;
    memset(&cfg->source, 0, sizeof cfg->source);
    p->state = info.state;
    p->autostart = autostart != 0;
    p->persistent = persistent != 0;
    p->capacity = info.capacity;
    p->allocation = info.allocation;
    p->available = info.available;
    return p;
}

static gint pool_by_name(gconstpointer a, gconstpointer b)
{
    return strcmp((*(VirtPool *const *)a)->name, (*(VirtPool *const *)b)->name);
}

GPtrArray *virt_pool_list(virConnectPtr conn, GError **error)
{
    virStoragePoolPtr *pools = NULL;
    int n = virConnectListAllStoragePools(conn, &pools, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing storage pools");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_full(n, (GDestroyNotify)virt_pool_free);
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) e = NULL;
        VirtPool *p = virt_pool_info(pools[i], &e);
        /* A pool undefined between the list and its info is simply gone. */
        if (p)
            g_ptr_array_add(out, p);
        else if (!g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND) && error && !*error)
            g_propagate_error(error, g_steal_pointer(&e));
        virStoragePoolFree(pools[i]);
    }
    free(pools);
    if (error && *error) {
        g_ptr_array_unref(out);
        return NULL;
    }
    g_ptr_array_sort(out, pool_by_name);
    return out;
}

virStoragePoolPtr virt_pool_lookup(virConnectPtr conn, const char *name, GError **error)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, name);
    if (!pool)
        lookup_failed(error, "storage pool", name);
    return pool;
}

virStoragePoolPtr virt_pool_create(virConnectPtr conn, VirtPoolConfig *cfg, gboolean autostart,
                                   GError **error)
{
    if (!virt_pool_config_check(cfg, error))
        return NULL;
    g_autofree char *xml = virt_pool_xml(cfg, error);
    if (!xml)
        return NULL;
    const char *name = cfg->name, *path = cfg->path;
    /* libvirt reports a name clash as a generic failure: ask first. */
    virStoragePoolPtr existing = virStoragePoolLookupByName(conn, name);
    if (existing) {
        virStoragePoolFree(existing);
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS, "a storage pool named '%s' exists", name);
        return NULL;
    }
    virResetLastError();
    /* Nor does it tell a second pool on the same directory apart. */
    g_autoptr(GPtrArray) pools = virt_pool_list(conn, error);
    if (!pools)
        return NULL;
    for (guint i = 0; i < pools->len; i++) {
        const VirtPool *p = g_ptr_array_index(pools, i);
        if (g_strcmp0(p->path, path) == 0 && strcmp(cfg->type, "iscsi") != 0) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS,
                        "storage pool '%s' already uses "
                        "the path '%s'",
                        p->name, path);
            return NULL;
        }
    }
    g_autoptr(virStoragePool) pool = virStoragePoolDefineXML(conn, xml, 0);
    if (!pool) {
        virt_error_from_libvirt(error, "defining storage pool");
        return NULL;
    }
    const char *step = "building storage pool";
    gboolean built = FALSE;
    if (!virt_pool_needs_build(cfg) || (built = virStoragePoolBuild(pool, 0) == 0)) {
        step = "starting storage pool";
        if (virStoragePoolCreate(pool, 0) == 0) {
            step = "setting autostart";
            if (!autostart || virStoragePoolSetAutostart(pool, 1) == 0)
                return g_steal_pointer(&pool);
        }
    }
    virt_error_from_libvirt(error, step);
    if (virStoragePoolIsActive(pool) == 1)
        virStoragePoolDestroy(pool);
    /* A volume group made by this request is removed again; a directory
     * stays (it may have existed before). */
    if (built && strcmp(cfg->type, "logical") == 0)
        virStoragePoolDelete(pool, 0);
    virStoragePoolUndefine(pool);
    virResetLastError();
    return NULL;
}

static gboolean check_active(virStoragePoolPtr pool, gboolean want, const char *verb,
                             GError **error)
{
    int active = virStoragePoolIsActive(pool);
    if (active < 0) {
        virt_error_from_libvirt(error, "reading storage pool");
        return FALSE;
    }
    if ((active != 0) != want) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "cannot %s storage pool '%s': "
                    "it is %s",
                    verb, virStoragePoolGetName(pool), active ? "active" : "inactive");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_pool_start(virStoragePoolPtr pool, GError **error)
{
    if (!check_active(pool, FALSE, "start", error))
        return FALSE;
    if (virStoragePoolCreate(pool, 0) < 0) {
        virt_error_from_libvirt(error, "starting storage pool");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_pool_stop(virStoragePoolPtr pool, GError **error)
{
    if (!check_active(pool, TRUE, "stop", error))
        return FALSE;
    if (virStoragePoolDestroy(pool) < 0) {
        virt_error_from_libvirt(error, "stopping storage pool");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_pool_refresh(virStoragePoolPtr pool, GError **error)
{
    if (!check_active(pool, TRUE, "refresh", error))
        return FALSE;
    if (virStoragePoolRefresh(pool, 0) < 0) {
        virt_error_from_libvirt(error, "refreshing storage pool");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_pool_set_autostart(virStoragePoolPtr pool, gboolean on, GError **error)
{
    if (virStoragePoolSetAutostart(pool, on ? 1 : 0) < 0) {
        virt_error_from_libvirt(error, "setting autostart");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_pool_delete(virStoragePoolPtr pool, gboolean delete_storage, GError **error)
{
    g_autoptr(VirtPool) info = virt_pool_info(pool, error);
    if (!info)
        return FALSE;
    /* Only the target directory of these types is removed; for a logical
     * pool "delete" would wipe a volume group, which Vireo never does. */
    static const char *const dir_types[] = {"dir", "fs", "netfs", NULL};
    if (delete_storage && !g_strv_contains(dir_types, info->type ? info->type : "")) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNSUPPORTED,
                    "deleting the storage of a "
                    "'%s' pool is not supported; only the directory of dir, fs and netfs "
                    "pools",
                    info->type);
        return FALSE;
    }
    if (delete_storage && info->state == VIR_STORAGE_POOL_RUNNING) {
        /* Refused before anything is stopped, so a failure changes nothing. */
        int n = virStoragePoolNumOfVolumes(pool);
        if (n < 0) {
            virt_error_from_libvirt(error, "counting volumes");
            return FALSE;
        }
        if (n > 0) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                        "storage pool '%s' still "
                        "holds %d volume(s); delete them first",
                        info->name, n);
            return FALSE;
        }
    }
    if (info->state != VIR_STORAGE_POOL_INACTIVE && virStoragePoolDestroy(pool) < 0) {
        virt_error_from_libvirt(error, "stopping storage pool");
        return FALSE;
    }
    if (delete_storage && virStoragePoolDelete(pool, 0) < 0) {
        virt_error_from_libvirt(error, "deleting the storage pool's directory");
        return FALSE;
    }
    /* A transient pool is gone once it is stopped. */
    if (info->persistent && virStoragePoolUndefine(pool) < 0) {
        virt_error_from_libvirt(error, "undefining storage pool");
        return FALSE;
    }
    return TRUE;
}

/* ---- volumes ---- */

void virt_volume_free(VirtVolume *v)
{
    if (!v)
        return;
    g_free(v->name);
    g_free(v->path);
    g_free(v->type);
    g_free(v->format);
    g_free(v->backing);
    g_free(v);
}

VirtVolume *virt_volume_info(virStorageVolPtr vol, GError **error)
{
    virStorageVolInfo info;
    g_autofree char *xml = virStorageVolGetXMLDesc(vol, 0);
    g_autofree char *path = xml ? virStorageVolGetPath(vol) : NULL;
    if (!path || virStorageVolGetInfo(vol, &info) < 0) {
        virt_error_from_libvirt(error, "reading storage volume");
        return NULL;
    }
    g_autoptr(VirtVolConfig) cfg = virt_vol_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    VirtVolume *v = g_new0(VirtVolume, 1);
    v->name = g_strdup(virStorageVolGetName(vol));
    v->path = g_strdup(path);
    v->type = g_strdup(vol_type_name(info.type));
    v->format = g_steal_pointer(&cfg->format);
    v->backing = g_steal_pointer(&cfg->backing_path);
    v->capacity = info.capacity;
    v->allocation = info.allocation;
    v->changed_at = cfg->changed_at;
    return v;
}

static gint vol_by_name(gconstpointer a, gconstpointer b)
{
    return strcmp((*(VirtVolume *const *)a)->name, (*(VirtVolume *const *)b)->name);
}

GPtrArray *virt_volume_list(virStoragePoolPtr pool, GError **error)
{
    virStorageVolPtr *vols = NULL;
    int n = virStoragePoolListAllVolumes(pool, &vols, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing volumes");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_full(n, (GDestroyNotify)virt_volume_free);
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) e = NULL;
        VirtVolume *v = virt_volume_info(vols[i], &e);
        /* A volume deleted between the list and its info is simply gone. */
        if (v)
            g_ptr_array_add(out, v);
        else if (!g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND) && error && !*error)
            g_propagate_error(error, g_steal_pointer(&e));
        virStorageVolFree(vols[i]);
    }
    free(vols);
    if (error && *error) {
        g_ptr_array_unref(out);
        return NULL;
    }
    g_ptr_array_sort(out, vol_by_name);
    return out;
}

virStorageVolPtr virt_volume_lookup(virStoragePoolPtr pool, const char *name, GError **error)
{
    virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
    if (!vol)
        lookup_failed(error, "volume", name);
    return vol;
}

virStorageVolPtr virt_volume_lookup_ref(virConnectPtr conn, const char *ref,
                                        virStoragePoolPtr *pool_out, GError **error)
{
    const char *slash = ref ? strchr(ref, '/') : NULL;
    if (!slash || slash == ref || !slash[1] || strchr(slash + 1, '/')) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "'%s' is not a volume: use \"pool/name\"", ref ? ref : "");
        return NULL;
    }
    g_autofree char *pool_name = g_strndup(ref, (gsize)(slash - ref));
    g_autoptr(virStoragePool) pool = virt_pool_lookup(conn, pool_name, error);
    virStorageVolPtr vol = pool ? virt_volume_lookup(pool, slash + 1, error) : NULL;
    if (vol && pool_out)
        *pool_out = g_steal_pointer(&pool);
    return vol;
}

/* The volume named "pool/name", or "name" in `pool`. */
static VirtVolume *lookup_backing(virStoragePoolPtr pool, const char *backing, GError **error)
{
    const char *slash = strchr(backing, '/');
    if (!slash) {
        g_autoptr(virStorageVol) vol = virt_volume_lookup(pool, backing, error);
        return vol ? virt_volume_info(vol, error) : NULL;
    }
    g_autofree char *pool_name = g_strndup(backing, (gsize)(slash - backing));
    g_autoptr(virStoragePool)
        other = virt_pool_lookup(virStoragePoolGetConnect(pool), pool_name, error);
    g_autoptr(virStorageVol) vol = other ? virt_volume_lookup(other, slash + 1, error) : NULL;
    return vol ? virt_volume_info(vol, error) : NULL;
}

/* A missing backing volume is a bad request (the body is wrong), not a
 * missing resource: the URL's pool exists. */
static VirtVolume *find_backing(virStoragePoolPtr pool, const char *backing, GError **error)
{
    VirtVolume *v = lookup_backing(pool, backing, error);
    if (!v && error && *error && (*error)->code == VIRT_ERROR_NOT_FOUND) {
        g_autofree char *why = g_strdup((*error)->message);
        g_clear_error(error);
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "backing volume '%s': %s", backing,
                    why);
    }
    return v;
}

gboolean virt_volume_name_free(virStoragePoolPtr pool, const char *name, GError **error)
{
    /* Drivers disagree on the error for a name clash (qemu: volume exists,
     * test: operation failed): ask first. */
    virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
    if (vol) {
        virStorageVolFree(vol);
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS,
                    "a volume named '%s' exists in "
                    "storage pool '%s'",
                    name, virStoragePoolGetName(pool));
        return FALSE;
    }
    virResetLastError();
    return TRUE;
}

virStorageVolPtr virt_volume_create(virStoragePoolPtr pool, const char *name, guint64 capacity,
                                    const char *format, const char *backing, GError **error)
{
    if (capacity > VIRT_STORAGE_MAX_BYTES) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "the capacity must be at most "
                    "64 TiB (%" G_GUINT64_FORMAT " bytes)",
                    VIRT_STORAGE_MAX_BYTES);
        return NULL;
    }
    g_autoptr(VirtVolume) base = NULL;
    if (backing) {
        if (g_strcmp0(format, "qcow2") != 0) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                        "only qcow2 volumes may have a backing volume");
            return NULL;
        }
        if (!(base = find_backing(pool, backing, error)))
            return NULL;
    }
    g_autofree char *xml = virt_vol_xml(name, capacity, format, base ? base->path : NULL,
                                        base ? base->format : NULL, error);
    if (!xml)
        return NULL;
    if (!virt_volume_name_free(pool, name, error))
        return NULL;
    virStorageVolPtr vol = virStorageVolCreateXML(pool, xml, 0);
    if (!vol)
        virt_error_from_libvirt(error, "creating volume");
    return vol;
}

gboolean virt_volume_resize(virStorageVolPtr vol, guint64 capacity, gboolean shrink, GError **error)
{
    virStorageVolInfo info;
    if (capacity == 0 || capacity > VIRT_STORAGE_MAX_BYTES) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "the capacity must be 1 byte to 64 TiB");
        return FALSE;
    }
    if (virStorageVolGetInfo(vol, &info) < 0) {
        virt_error_from_libvirt(error, "reading volume");
        return FALSE;
    }
    if (capacity == info.capacity)
        return TRUE;
    if (capacity < info.capacity && !shrink) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "volume '%s' has %llu bytes; "
                    "shrinking to %" G_GUINT64_FORMAT " loses data: ask with shrink=true",
                    virStorageVolGetName(vol), info.capacity, capacity);
        return FALSE;
    }
    unsigned flags = capacity < info.capacity ? VIR_STORAGE_VOL_RESIZE_SHRINK : 0;
    if (virStorageVolResize(vol, capacity, flags) < 0) {
        virt_error_from_libvirt(error, "resizing volume");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_volume_wipe(virStorageVolPtr vol, GError **error)
{
    /* libvirt zeroes the whole file whatever its format: a qcow2, vdi or
     * vmdk image would lose its header and become a raw file of zeros. */
    g_autoptr(VirtVolume) v = virt_volume_info(vol, error);
    if (!v)
        return FALSE;
    if (v->format && strcmp(v->format, "raw") != 0) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNSUPPORTED,
                    "volume '%s' is %s: only raw "
                    "volumes can be wiped (zeroing would destroy the image format); delete "
                    "and create it again instead",
                    v->name, v->format);
        return FALSE;
    }
    if (virStorageVolWipe(vol, 0) < 0) {
        virt_error_from_libvirt(error, "wiping volume");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_volume_delete(virStorageVolPtr vol, GError **error)
{
    if (virStorageVolDelete(vol, 0) < 0) {
        virt_error_from_libvirt(error, "deleting volume");
        return FALSE;
    }
    return TRUE;
}
