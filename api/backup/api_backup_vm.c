/* One VM's backup (see api_backups.h): its archive written into a new raw
 * volume of the target pool through libvirt's upload stream. */
#include "api/backup/api_archive.h"
#include "api/backup/api_archive_watch.h"
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_locks.h"
#include "virt/virt_backup.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_volume_copy.h"

#include <string.h>

#define CHUNK (256 * 1024)

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

/* The scratch copies of a running VM: made by libvirt's backup job as
 * files of a pool of the VM's host, recorded in the task first. */
typedef struct {
    Task *task;
    VirtHost *host;         /* the VM's */
    virStoragePoolPtr pool; /* on the VM's host */
    gboolean pool_is_target;
    GHashTable *sources; /* target -> virStorageVolPtr */
    GPtrArray *paths;    /* files asked for, removed at the end */
} Scratch;

static void scratch_clear(Scratch *s)
{
    if (s->pool)
        virStoragePoolRefresh(s->pool, 0);
    for (guint i = 0; s->paths && i < s->paths->len; i++) {
        virStorageVolPtr vol = virStorageVolLookupByPath(virStoragePoolGetConnect(s->pool),
                                                         g_ptr_array_index(s->paths, i));
        if (vol && virStorageVolDelete(vol, 0) < 0)
            g_warning("backup: the scratch copy %s stays", (char *)g_ptr_array_index(s->paths, i));
        if (vol)
            virStorageVolFree(vol);
    }
    virResetLastError();
    if (s->sources)
        g_hash_table_unref(s->sources);
    if (s->paths)
        g_ptr_array_unref(s->paths);
}

static gboolean copy_progress(guint64 done, guint64 total, gpointer data)
{
    Task *task = data;
    if (task && total)
        task_progress(task, (int)(done * 40 / total), NULL);
    return !task || !task_cancel_requested(task);
}

static gboolean point_in_time(Task *task, virDomainPtr dom, Scratch *s, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    g_autoptr(VirtDomainConfig) cfg = xml ? virt_domain_config_parse(xml, strlen(xml), error)
                                          : NULL;
    g_autoptr(VirtPool) info = cfg ? virt_pool_info(s->pool, error) : NULL;
    if (!info)
        return xml ? FALSE : (virt_error_from_libvirt(error, "reading the VM's definition"), FALSE);
    if (!info->path || strcmp(info->type, "dir") != 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "storage pool '%s' is not a directory: a running VM's copy is made as "
                        "files of %s",
                        info->name,
                        s->pool_is_target ? "the target pool"
                                          : "the pool of its first disk, on its host");
    g_autoptr(GArray) targets = g_array_new(FALSE, TRUE, sizeof(VirtBackupTarget));
    g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (!virt_disk_writable(d))
            continue;
        const char *format = g_strcmp0(d->format, "qcow2") == 0 ? "qcow2" : "raw";
        char *name = g_strdup_printf("vireo-scratch-%" G_GINT64_FORMAT "-%s.%s",
                                     task ? task_id(task) : 0, d->target, format);
        char *path = g_build_filename(info->path, name, NULL);
        g_autofree char *ref = g_strdup_printf("%s/%s", info->name, name);
        g_ptr_array_add(strings, name);
        g_ptr_array_add(s->paths, path);
        if (task && !task_will_make_on(task, s->host, "volume", ref, error))
            return FALSE;
        VirtBackupTarget t = {d->target, path, format};
        g_array_append_val(targets, t);
    }
    if (!virt_backup_push(dom, (const VirtBackupTarget *)targets->data, targets->len, copy_progress,
                          task, error))
        return FALSE;
    if (!virt_pool_refresh(s->pool, error))
        return FALSE;
    for (guint i = 0; i < targets->len; i++) {
        const VirtBackupTarget *t = &g_array_index(targets, VirtBackupTarget, i);
        virStorageVolPtr vol = virStorageVolLookupByPath(virDomainGetConnect(dom), t->path);
        if (!vol) {
            virt_error_from_libvirt(error, "finding the running VM's copy");
            return FALSE;
        }
        g_hash_table_insert(s->sources, g_strdup(t->target), vol);
    }
    return TRUE;
}

/* The archive into a new volume of the pool (on `host`), noted first. */
static virStorageVolPtr write_archive(Task *task, VirtHost *host, virStoragePoolPtr pool,
                                      const char *name, VirtArchiveOut *a, GError **error)
{
    guint64 length = virt_archive_out_length(a);
    g_autoptr(VirtPool) info = virt_pool_info(pool, error);
    if (!info || !virt_volume_name_free(pool, name, error))
        return NULL;
    if (info->available < length) {
        virt_fail(error, VIRT_ERROR_NO_SPACE,
                  "storage pool '%s' has %" G_GUINT64_FORMAT
                  " bytes free; the backup needs %" G_GUINT64_FORMAT,
                  info->name, info->available, length);
        return NULL;
    }
    g_autofree char *ref = g_strdup_printf("%s/%s", info->name, name);
    gint64 noted = task ? task_will_make_on(task, host, "volume", ref, error) : -1;
    g_autoptr(virStorageVol)
        vol = noted ? virt_volume_create(pool, name, length, "raw", NULL, error) : NULL;
    if (!vol)
        return NULL;
    if (task)
        task_made(task, noted);
    g_autoptr(virStream) st = virt_volume_upload_stream(vol, length, error);
    g_autofree guint8 *buf = g_malloc(CHUNK);
    guint64 done = 0;
    gboolean ok = st != NULL;
    while (ok) {
        if (task && task_cancel_requested(task)) {
            ok = api_fail(error, API_ERROR_CONFLICT, "cancelled");
            break;
        }
        gssize n = virt_archive_out_read(a, buf, CHUNK, error);
        if (n <= 0) {
            ok = n == 0 && virt_stream_finish(st, error);
            break;
        }
        ok = virt_stream_send_all(st, (const char *)buf, (gsize)n, error);
        done += (guint64)n;
        if (task && length)
            task_progress(task, 40 + (int)(done * 60 / length), NULL);
    }
    if (!ok) {
        if (st)
            virt_stream_abort(st);
        if (virStorageVolDelete(vol, 0) < 0)
            virResetLastError();
        return NULL;
    }
    return g_steal_pointer(&vol);
}

/* "VM.YYYYmmdd-HHMMSS-TASK.vireo.tar" (UTC): two runs in one second
 * differ by their task; a VM of another host than vireod's own adds
 * "-hHOSTID", so that VMs of one name on two hosts backed up by one run
 * in the same second differ too. */
static char *backup_name(virDomainPtr dom, gint64 at, Task *task, VirtHost *remote)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(at);
    g_autofree char *stamp = g_date_time_format(t, "%Y%m%d-%H%M%S");
    g_autofree char *host = remote ? g_strdup_printf("-h%" G_GINT64_FORMAT, virt_host_id(remote))
                                   : g_strdup("");
    return g_strdup_printf("%s.%s-%" G_GINT64_FORMAT "%s.vireo.tar", virDomainGetName(dom), stamp,
                           task ? task_id(task) : 0, host);
}

/* Where a running VM of another host is copied: the pool of its first
 * writable disk, on that host. */
static virStoragePoolPtr scratch_pool(virDomainPtr dom, GError **error)
{
    virConnectPtr conn = virDomainGetConnect(dom);
    g_autoptr(GPtrArray) vols = virt_domain_disk_volumes(conn, dom, error);
    if (!vols)
        return NULL;
    for (guint i = 0; i < vols->len; i++) {
        virStoragePoolPtr p = vols->pdata[i] ? virStoragePoolLookupByVolume(vols->pdata[i]) : NULL;
        if (p)
            return p;
    }
    virResetLastError();
    api_fail(error, API_ERROR_CONFLICT,
             "the running VM has no disk in a storage pool of its host to copy it beside");
    return NULL;
}

gboolean api_backup_vm(ApiContext *ctx, Task *task, const ApiBackupTarget *target, virDomainPtr dom,
                       DbBackup *out, GError **error)
{
    const char *pool_name = target->pool;
    char uuid[VIR_UUID_STRING_BUFLEN];
    int state = 0, reason = 0;
    if (virDomainGetUUIDString(dom, uuid) < 0 || virDomainGetState(dom, &state, &reason, 0) < 0) {
        virt_error_from_libvirt(error, "reading the VM");
        return FALSE;
    }
    /* Snapshots, clones and edits wait; a start is watched for. */
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "vm:%s", uuid);
    g_autoptr(virStoragePool) pool = virt_pool_lookup(target->conn, pool_name, error);
    if (!pool)
        return FALSE;
    gboolean running = state != VIR_DOMAIN_SHUTOFF;
    /* A VM of the local host is copied into the target pool, as always;
     * one of another host on that host, whose disks it reads. */
    gboolean remote = target->vm_host && !virt_host_is_local(target->vm_host);
    g_autoptr(virStoragePool) beside = running && remote ? scratch_pool(dom, error) : NULL;
    if (running && remote && !beside)
        return FALSE;
    Scratch scratch = {
        .task = task,
        .host = remote ? target->vm_host : target->host,
        .pool = remote ? beside : pool,
        .pool_is_target = !remote,
        .sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, volume_unref),
        .paths = g_ptr_array_new_with_free_func(g_free)};
    g_autoptr(ApiArchiveWatch) watch = running ? NULL : api_archive_watch_new(dom);
    g_autoptr(GPtrArray) volumes = g_ptr_array_new_with_free_func(volume_unref);
    gint64 at = g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *name = backup_name(dom, at, task, remote ? target->vm_host : NULL);
    if (task)
        task_progress(task, 0, running ? "copying the running VM's disks" : "writing the archive");
    ApiArchiveFrom from = {.ctx = ctx,
                           .dom = dom,
                           .sources = running ? scratch.sources : NULL,
                           .check = running ? NULL : api_archive_watch_check,
                           .check_data = watch};
    g_autoptr(VirtArchiveOut) a = NULL;
    g_autoptr(virStorageVol) vol = NULL;
    if ((!running || point_in_time(task, dom, &scratch, error)) &&
        (a = api_archive_out(&from, volumes, error)) &&
        (running || api_archive_watch_begin(watch, volumes, error)))
        vol = write_archive(task, target->host, pool, name, a, error);
    scratch_clear(&scratch);
    if (!vol)
        return FALSE;
    *out = (DbBackup){.vm_uuid = g_strdup(uuid),
                      .vm_name = g_strdup(virDomainGetName(dom)),
                      .pool = g_strdup(pool_name),
                      .volume = g_strdup(name),
                      .size = virt_archive_out_length(a),
                      .created_at = at,
                      .host_id = target->vm_host ? virt_host_id(target->vm_host) : 0};
    return TRUE;
}
