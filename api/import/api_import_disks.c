/* The disks of an import (see api_import.h): each arrives into a scratch
 * volume of the target pool (the same file system as the result, and
 * counted against the pool's space), is inspected by qemu-img, then
 * converted into the VM's volume; the scratch goes once converted. */
#include "api/import/api_import.h"
#include "api/core/api_error.h"
#include "virt/virt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

ImportDisk *import_disk_add(ImportJob *job, char *label, const char *expected, guint64 capacity)
{
    ImportDisk *d = g_new0(ImportDisk, 1);
    d->label = label;
    d->expected = expected;
    d->capacity = capacity;
    d->fd = -1;
    g_ptr_array_add(job->disks, d);
    return d;
}

/* Makes volume `name` of `pool` after writing it down as the task's, so
 * that a crash in between leaves nothing behind. */
static virStorageVolPtr make_volume(ImportJob *job, const char *name, guint64 capacity,
                                    const char *format, GError **error)
{
    g_autofree char *ref = g_strdup_printf("%s/%s", job->pool_name, name);
    gint64 noted = task_will_make(job->task, "volume", ref, error);
    virStorageVolPtr vol = noted
                               ? virt_volume_create(job->pool, name, capacity, format, NULL, error)
                               : NULL;
    if (vol)
        task_made(job->task, noted);
    return vol;
}

gboolean import_disk_open(ImportJob *job, ImportDisk *d, guint64 size, GError **error)
{
    if (size == 0)
        return api_invalid(error, "%s is empty", d->label);
    guint i;
    g_ptr_array_find(job->disks, d, &i);
    /* Named after the task: two imports of one name never share one. */
    g_autofree char *name = g_strdup_printf("%s-disk%u.import-%" G_GINT64_FORMAT, job->name, i,
                                            task_id(job->task));
    d->size = size;
    if (!(d->scratch = make_volume(job, name, size, "raw", error)))
        return FALSE;
    d->scratch_path = virStorageVolGetPath(d->scratch);
    /* O_NOFOLLOW: the file libvirt just made, never where a link points. */
    d->fd = d->scratch_path ? open(d->scratch_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (d->fd < 0)
        return api_fail(error, API_ERROR_INTERNAL, "cannot open the scratch volume of %s: %s",
                        d->label, d->scratch_path ? g_strerror(errno) : "no path");
    return TRUE;
}

static gboolean write_failed(const ImportDisk *d, int err, GError **error)
{
    if (err == ENOSPC || err == EDQUOT)
        return api_fail(error, API_ERROR_INSUFFICIENT_STORAGE,
                        "the storage pool filled up while %s arrived", d->label);
    return api_fail(error, API_ERROR_INTERNAL, "writing %s failed: %s", d->label, g_strerror(err));
}

gboolean import_disk_write(ImportDisk *d, const guint8 *buf, gsize len, GError **error)
{
    if (d->written + len > d->size)
        return api_fail(error, API_ERROR_INTERNAL, "%s got more bytes than announced", d->label);
    while (len > 0) {
        ssize_t n = write(d->fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return write_failed(d, n < 0 ? errno : EIO, error);
        buf += n;
        len -= (gsize)n;
        d->written += (guint64)n;
    }
    return TRUE;
}

gboolean import_disk_close(ImportDisk *d, GError **error)
{
    int fd = d->fd;
    d->fd = -1;
    if (fd >= 0 && close(fd) < 0)
        return write_failed(d, errno, error);
    return TRUE;
}

gboolean import_disk_inspect(ImportDisk *d, GError **error)
{
    if (!(d->info = api_qemu_img_info(d->scratch_path, error))) {
        if (g_error_matches(*error, API_ERROR, API_ERROR_INVALID_ARGUMENT))
            g_prefix_error(error, "%s: ", d->label);
        return FALSE;
    }
    if (!api_image_check(d->info, d->scratch_path, d->label, d->expected, error))
        return FALSE;
    if (d->capacity && d->info->virtual_size > d->capacity)
        return api_invalid(error,
                           "%s holds a disk of %" G_GUINT64_FORMAT
                           " bytes, more than the %" G_GUINT64_FORMAT " its descriptor declares",
                           d->label, d->info->virtual_size, d->capacity);
    if (d->info->virtual_size > VIRT_STORAGE_MAX_BYTES)
        return api_invalid(error, "%s is larger than 64 TiB", d->label);
    return TRUE;
}

char *import_disk_name(const ImportJob *job, guint i)
{
    return g_strdup_printf("%s-disk%u.%s", job->name, i,
                           strcmp(job->format, "raw") == 0 ? "img" : job->format);
}

static void delete_volume(virStorageVolPtr *vol)
{
    if (!*vol)
        return;
    g_autoptr(GError) error = NULL;
    if (!virt_volume_delete(*vol, &error))
        g_warning("import: %s (its task's record stays, for the next start)", error->message);
    virStorageVolFree(*vol);
    *vol = NULL;
}

gboolean import_disk_convert(ImportJob *job, guint i, ApiImageProgress progress, gpointer data,
                             GError **error)
{
    ImportDisk *d = g_ptr_array_index(job->disks, i);
    d->name = import_disk_name(job, i);
    if (!(d->vol = make_volume(job, d->name, d->info->virtual_size, job->format, error)))
        return FALSE;
    d->path = virStorageVolGetPath(d->vol);
    if (!d->path)
        return api_fail(error, API_ERROR_INTERNAL, "the new volume %s has no path", d->name);
    if (!api_qemu_img_convert(d->scratch_path, d->info->format, d->path, job->format, progress,
                              data, error)) {
        g_prefix_error(error, "%s: ", d->label);
        return FALSE;
    }
    delete_volume(&d->scratch);
    return TRUE;
}

void import_disk_undo(ImportDisk *d, gboolean keep)
{
    g_autoptr(GError) ignored = NULL;
    import_disk_close(d, &ignored);
    delete_volume(&d->scratch);
    if (keep && d->vol)
        virStorageVolFree(g_steal_pointer(&d->vol));
    delete_volume(&d->vol);
}
