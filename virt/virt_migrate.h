/* Moving a VM from one libvirt host to another with libvirt's own migration
 * (docs/migration.md): the checks the target must pass first, then a live
 * move of a running VM or an offline move of a stopped one, with progress
 * and cancel, leaving the VM defined on the target only. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

/* Why a target cannot take the VM: each is a conflict with the target's
 * state (the REST layer answers 409 with virt_migrate_refusal_name). Other
 * failures carry VIRT_ERROR codes. */
#define VIRT_MIGRATE_ERROR (virt_migrate_error_quark())
GQuark virt_migrate_error_quark(void);

typedef enum {
    VIRT_MIGRATE_SAME_HOST,        /* source and target are one libvirt host */
    VIRT_MIGRATE_NAME_TAKEN,       /* the name, UUID or a disk's volume is on the target */
    VIRT_MIGRATE_NO_NETWORK,       /* a network the VM uses is missing (or inactive) */
    VIRT_MIGRATE_NO_POOL,          /* a storage pool the VM's disks are in is missing */
    VIRT_MIGRATE_NO_DISK,          /* without copy_storage, a disk is not on the target */
    VIRT_MIGRATE_CPU_INCOMPATIBLE, /* the target cannot give the VM its CPU */
    VIRT_MIGRATE_NO_MEMORY,        /* the target has less free memory than the VM uses */
} VirtMigrateRefusal;

/* A stable machine name for a refusal ("network_missing", ...). */
const char *virt_migrate_refusal_name(int code);

typedef struct {
    /* Running VMs: TRUE moves it while it runs; FALSE pauses it for the
     * copy. Ignored for stopped VMs (always offline). */
    gboolean live;
    /* Copy the VM's disks to the target (same pool, name, size, format):
     * for hosts that do not share storage. The source's copies are deleted
     * once the VM runs (or is defined) on the target. */
    gboolean copy_storage;
} VirtMigrateOptions;

/* What the move took, from libvirt's completed job (0 when unknown). */
typedef struct {
    guint64 elapsed_ms;  /* the migration job, as libvirt timed it */
    guint64 downtime_ms; /* how long the guest was paused (live moves) */
} VirtMigrateResult;

/* Told how far the move is: `done` of `total` bytes (memory and disks) and
 * a 0..1 fraction. Runs in the caller's thread, every ~200 ms. FALSE stops
 * the move: the VM stays (running) on the source and the target keeps
 * nothing. */
typedef gboolean (*VirtMigrateProgressFn)(guint64 done, guint64 total, double fraction,
                                          gpointer data);

/* Every check, in order: same host, name/UUID (and, with copy_storage, the
 * disks' volumes) free on the target, networks, pools and disks present,
 * CPU, free memory (running VMs). FALSE with a VIRT_MIGRATE_ERROR naming
 * the first that fails (or a VIRT_ERROR when a host cannot be read). */
gboolean virt_migrate_check(virConnectPtr src, virDomainPtr dom, virConnectPtr dst,
                            const VirtMigrateOptions *opts, GError **error);

/* Checks, then moves `dom` to `dst`: persistent there, undefined on the
 * source. Blocks until done (run it in a worker thread). Answers the
 * domain on the target, or NULL with `error` (G_IO_ERROR_CANCELLED when
 * `progress` stopped it) and both hosts as they were. */
virDomainPtr virt_migrate_run(virConnectPtr src, virDomainPtr dom, virConnectPtr dst,
                              const VirtMigrateOptions *opts, VirtMigrateProgressFn progress,
                              gpointer data, VirtMigrateResult *result, GError **error);

/* The disks a migration has to find or copy: pool-backed, writable disks
 * of the VM's definition (exposed for the checks and tests). */
typedef struct {
    char *target; /* vda ... */
    char *path;   /* on the source */
    char *pool;
    char *volume;
    char *format; /* raw, qcow2 ...; may be NULL */
    guint64 capacity;
} VirtMigrateDisk;

void virt_migrate_disk_free(VirtMigrateDisk *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtMigrateDisk, virt_migrate_disk_free)
/* The VM's disks that live in a storage pool of `src` (others, like a
 * kernel file or a path no pool holds, cannot be checked or copied). */
GPtrArray *virt_migrate_disks(virConnectPtr src, virDomainPtr dom, GError **error);
