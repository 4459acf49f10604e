/* Runs a VM's move between two libvirt hosts (virt_migrate.h). Vireo holds
 * both connections, so the move is libvirt's managed migration
 * (virDomainMigrate3 with the target's connection): the client library
 * drives both daemons and only the two QEMUs talk to each other. Peer to
 * peer would need the source libvirtd to hold credentials for the target
 * (SSH keys, TLS client certificates) that Vireo already has. */
#include "virt/virt_migrate.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_volume_copy.h"

#include <gio/gio.h>

#define POLL_US (200 * 1000)

/* The blocking libvirt call, in a thread of its own so that the caller's
 * thread can follow its progress and abort it. */
typedef struct {
    virDomainPtr dom;
    virConnectPtr dst;
    unsigned int flags;
    virDomainPtr moved;
    GError *error;
    GMutex lock;
    GCond ended_cond;
    gboolean ended;
} MigrateCall;

static gpointer migrate_thread(gpointer p)
{
    MigrateCall *c = p;
    virDomainPtr moved = virDomainMigrate3(c->dom, c->dst, NULL, 0, c->flags);
    GError *error = NULL;
    if (!moved)
        virt_error_from_libvirt(&error, "migrating the VM");
    g_mutex_lock(&c->lock);
    c->moved = moved;
    c->error = error;
    c->ended = TRUE;
    g_cond_signal(&c->ended_cond);
    g_mutex_unlock(&c->lock);
    return NULL;
}

/* Bytes done and to do of the running job (memory and disks). */
static void job_progress(virDomainPtr dom, guint64 *done, guint64 *total)
{
    int type = VIR_DOMAIN_JOB_NONE;
    virTypedParameterPtr params = NULL;
    int n = 0;
    *done = *total = 0;
    if (virDomainGetJobStats(dom, &type, &params, &n, 0) < 0) {
        virResetLastError();
        return;
    }
    unsigned long long v = 0;
    if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1)
        *done = v;
    if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_DATA_TOTAL, &v) == 1)
        *total = v;
    virTypedParamsFree(params, n);
}

static double fraction_of(guint64 done, guint64 total)
{
    return total ? MIN(1.0, (double)done / (double)total) : 0.0;
}

/* Waits for the call to end, telling `progress` every POLL_US and
 * aborting the job once it says stop. An abort asked before the job
 * starts on the source is asked again until libvirt takes it. */
static virDomainPtr follow(MigrateCall *c, VirtMigrateProgressFn progress, gpointer data,
                           gboolean *stopped)
{
    g_mutex_lock(&c->lock);
    while (!c->ended) {
        gint64 until = g_get_monotonic_time() + POLL_US;
        if (g_cond_wait_until(&c->ended_cond, &c->lock, until) || c->ended)
            continue;
        g_mutex_unlock(&c->lock);
        guint64 done, total;
        job_progress(c->dom, &done, &total);
        if (!*stopped && progress && !progress(done, total, fraction_of(done, total), data))
            *stopped = TRUE;
        if (*stopped && virDomainAbortJob(c->dom) < 0)
            virResetLastError();
        g_mutex_lock(&c->lock);
    }
    g_mutex_unlock(&c->lock);
    return c->moved;
}

static void read_result(virDomainPtr moved, VirtMigrateResult *result)
{
    int type = VIR_DOMAIN_JOB_NONE;
    virTypedParameterPtr params = NULL;
    int n = 0;
    /* KEEP: reading them would otherwise discard them for everyone else. */
    if (virDomainGetJobStats(moved, &type, &params, &n,
                             VIR_DOMAIN_JOB_STATS_COMPLETED | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED) <
        0) {
        virResetLastError();
        return;
    }
    unsigned long long v = 0;
    if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
        result->elapsed_ms = v;
    if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
        result->downtime_ms = v;
    virTypedParamsFree(params, n);
}

/* Deletes the named volumes of `disks` on `conn`, quietly: clean-up after
 * a move (the source's copies) or after a failed one (the target's). */
static void delete_volumes(virConnectPtr conn, GPtrArray *disks)
{
    for (guint i = 0; i < disks->len; i++) {
        VirtMigrateDisk *d = disks->pdata[i];
        virStoragePoolPtr pool = virStoragePoolLookupByName(conn, d->pool);
        virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, d->volume) : NULL;
        if (vol) {
            if (virStorageVolDelete(vol, 0) < 0)
                g_warning("migration: could not delete volume %s/%s: %s", d->pool, d->volume,
                          virGetLastErrorMessage());
            virStorageVolFree(vol);
        }
        if (pool)
            virStoragePoolFree(pool);
        virResetLastError();
    }
}

/* The offline copy's progress, summed over the disks. */
typedef struct {
    VirtMigrateProgressFn progress;
    gpointer data;
    guint64 before, total;
} CopyProgress;

static gboolean copy_progress(guint64 done, guint64 total, gpointer p)
{
    CopyProgress *cp = p;
    guint64 now = cp->before + done;
    return !cp->progress || cp->progress(now, cp->total, fraction_of(now, cp->total), cp->data);
}

/* One disk, byte for byte, into a new volume of the same name in the
 * target's pool of the same name. The new volume is made raw with the
 * source's file size and then overwritten, so whatever the format
 * (qcow2 ...) the copy is the same file, which the pool then reads again. */
static gboolean copy_disk(virConnectPtr src, virConnectPtr dst, VirtMigrateDisk *d,
                          CopyProgress *cp, GError **error)
{
    g_autoptr(virStoragePool) spool = virt_pool_lookup(src, d->pool, error);
    g_autoptr(virStorageVol) svol = spool ? virt_volume_lookup(spool, d->volume, error) : NULL;
    guint64 length = 0;
    if (!svol || !virt_volume_physical(svol, &length, error))
        return FALSE;
    g_autoptr(virStoragePool) dpool = virt_pool_lookup(dst, d->pool, error);
    if (!dpool)
        return FALSE;
    g_autoptr(virStorageVol)
        dvol = virt_volume_create(dpool, d->volume, length, "raw", NULL, error);
    if (!dvol || !virt_volume_copy(svol, dvol, length, copy_progress, cp, error))
        return FALSE;
    cp->before += length;
    virStoragePoolRefresh(dpool, 0);
    virResetLastError();
    return TRUE;
}

static gboolean copy_disks(virConnectPtr src, virConnectPtr dst, GPtrArray *disks,
                           VirtMigrateProgressFn progress, gpointer data, GError **error)
{
    CopyProgress cp = {progress, data, 0, 0};
    for (guint i = 0; i < disks->len; i++)
        cp.total += ((VirtMigrateDisk *)disks->pdata[i])->capacity;
    for (guint i = 0; i < disks->len; i++)
        if (!copy_disk(src, dst, disks->pdata[i], &cp, error))
            return FALSE;
    return TRUE;
}

virDomainPtr virt_migrate_run(virConnectPtr src, virDomainPtr dom, virConnectPtr dst,
                              const VirtMigrateOptions *opts, VirtMigrateProgressFn progress,
                              gpointer data, VirtMigrateResult *result, GError **error)
{
    if (result)
        *result = (VirtMigrateResult){0, 0};
    if (!virt_migrate_check(src, dom, dst, opts, error))
        return NULL;
    int running = virDomainIsActive(dom);
    if (running < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return NULL;
    }
    g_autoptr(GPtrArray) disks = opts->copy_storage ? virt_migrate_disks(src, dom, error) : NULL;
    if (opts->copy_storage && !disks)
        return NULL;

    MigrateCall c = {.dom = dom, .dst = dst};
    c.flags = VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE;
    if (running) {
        if (opts->live)
            c.flags |= VIR_MIGRATE_LIVE;
        if (opts->copy_storage)
            c.flags |= VIR_MIGRATE_NON_SHARED_DISK;
    } else {
        /* libvirt's offline migration moves the definition only ("offline
         * migration cannot handle non-shared storage"): the disks are
         * copied first, here. */
        c.flags |= VIR_MIGRATE_OFFLINE;
        if (disks && !copy_disks(src, dst, disks, progress, data, error)) {
            delete_volumes(dst, disks);
            return NULL;
        }
    }

    g_mutex_init(&c.lock);
    g_cond_init(&c.ended_cond);
    GThread *t = g_thread_new("vireo-migrate", migrate_thread, &c);
    gboolean stopped = FALSE;
    virDomainPtr moved = follow(&c, progress, data, &stopped);
    g_thread_join(t);
    g_mutex_clear(&c.lock);
    g_cond_clear(&c.ended_cond);

    if (!moved) {
        /* libvirt made the target's disks for a live copy (or we did for an
         * offline one): none of them existed before (virt_migrate_check). */
        if (disks)
            delete_volumes(dst, disks);
        if (stopped) {
            g_clear_error(&c.error);
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                "the migration was stopped; the VM stays on its host");
        } else {
            g_propagate_error(error, c.error);
        }
        return NULL;
    }
    /* Moved, even if a stop came too late to abort it. The source's disks
     * are now stale copies. */
    if (disks)
        delete_volumes(src, disks);
    if (result)
        read_result(moved, result);
    return moved;
}
