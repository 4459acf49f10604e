/* Storage pools and their volumes on one libvirt connection: lists,
 * lookups, pool lifecycle, volume create/resize/wipe/delete. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_pool_xml.h"
#include "virt/virt_storage_xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStoragePool, virStoragePoolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStorageVol, virStorageVolFree)

/* Largest pool or volume size the API accepts: 64 TiB. */
#define VIRT_STORAGE_MAX_BYTES (G_GUINT64_CONSTANT(64) << 40)

typedef struct {
    char *name;
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *type;            /* dir, fs, logical ... */
    char *path;            /* target path, may be NULL */
    VirtPoolSource source; /* what it is made from (empty for dir pools) */
    int state;             /* virStoragePoolState */
    gboolean autostart;
    gboolean persistent;
    guint64 capacity, allocation, available; /* bytes; stale or 0 while inactive */
} VirtPool;

void virt_pool_free(VirtPool *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtPool, virt_pool_free)

const char *virt_pool_state_name(int state);

/* Every pool, sorted by name (one list RPC, then a few per pool: pools are
 * few, unlike domains). */
GPtrArray *virt_pool_list(virConnectPtr conn, GError **error);
virStoragePoolPtr virt_pool_lookup(virConnectPtr conn, const char *name, GError **error);
VirtPool *virt_pool_info(virStoragePoolPtr pool, GError **error);

/* Checks `cfg` (virt_pool_config_check), then defines, builds where the type
 * needs it (directory, volume group) and starts the pool; nothing is left
 * defined when a step fails. */
virStoragePoolPtr virt_pool_create(virConnectPtr conn, VirtPoolConfig *cfg, gboolean autostart,
                                   GError **error);
gboolean virt_pool_start(virStoragePoolPtr pool, GError **error);
gboolean virt_pool_stop(virStoragePoolPtr pool, GError **error);
gboolean virt_pool_refresh(virStoragePoolPtr pool, GError **error);
gboolean virt_pool_set_autostart(virStoragePoolPtr pool, gboolean on, GError **error);
/* Stops the pool if active and undefines it. With `delete_storage` (dir, fs
 * and netfs pools) its target directory is removed too, which needs it empty. */
gboolean virt_pool_delete(virStoragePoolPtr pool, gboolean delete_storage, GError **error);

typedef struct {
    char *name;
    char *path;
    char *type;    /* file, block, dir, network ... */
    char *format;  /* raw, qcow2 ... ; may be NULL */
    char *backing; /* backing file path, may be NULL */
    guint64 capacity, allocation;
    gint64 changed_at; /* latest mtime/ctime of a file volume, unix seconds; 0 unknown */
} VirtVolume;

void virt_volume_free(VirtVolume *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtVolume, virt_volume_free)

/* The pool's volumes, sorted by name. */
GPtrArray *virt_volume_list(virStoragePoolPtr pool, GError **error);
virStorageVolPtr virt_volume_lookup(virStoragePoolPtr pool, const char *name, GError **error);
/* The volume a "pool/name" reference names (INVALID_ARG when malformed,
 * NOT_FOUND when missing); `pool_out` (may be NULL) receives its pool. */
virStorageVolPtr virt_volume_lookup_ref(virConnectPtr conn, const char *ref,
                                        virStoragePoolPtr *pool_out, GError **error);
VirtVolume *virt_volume_info(virStorageVolPtr vol, GError **error);

/* EXISTS when `pool` already has a volume named `name`. */
gboolean virt_volume_name_free(virStoragePoolPtr pool, const char *name, GError **error);
/* `backing` (may be NULL): "pool/name", or a volume name of `pool`. */
virStorageVolPtr virt_volume_create(virStoragePoolPtr pool, const char *name, guint64 capacity,
                                    const char *format, const char *backing, GError **error);
/* Grows to `capacity` bytes; shrinking is refused unless `shrink`. */
gboolean virt_volume_resize(virStorageVolPtr vol, guint64 capacity, gboolean shrink,
                            GError **error);
/* Zeroes a raw volume; other formats are refused (UNSUPPORTED). */
gboolean virt_volume_wipe(virStorageVolPtr vol, GError **error);
gboolean virt_volume_delete(virStorageVolPtr vol, GError **error);
