/* Volume data through libvirt streams. Streams are blocking: callers are
 * worker threads or an HTTP thread busy with that one transfer. */
#include "virt/virt_volume_copy.h"
#include "virt/virt_error.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#define COPY_CHUNK (256 * 1024)
#define ISO_SIGNATURE_OFFSET 0x8001

static gboolean stream_failed(GError **error, const char *what)
{
    virt_error_from_libvirt(error, what);
    return FALSE;
}

virStreamPtr virt_volume_upload_stream(virStorageVolPtr vol, guint64 length, GError **error)
{
    virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
    if (!st || virStorageVolUpload(vol, st, 0, length, 0) < 0) {
        virt_error_from_libvirt(error, "starting the upload");
        if (st)
            virStreamFree(st);
        return NULL;
    }
    return st;
}

virStreamPtr virt_volume_download_stream(virStorageVolPtr vol, guint64 length, GError **error)
{
    virStreamPtr st = virStreamNew(virStorageVolGetConnect(vol), 0);
    if (!st || virStorageVolDownload(vol, st, 0, length, 0) < 0) {
        virt_error_from_libvirt(error, "starting the download");
        if (st)
            virStreamFree(st);
        return NULL;
    }
    return st;
}

gboolean virt_stream_send_all(virStreamPtr st, const char *data, gsize len, GError **error)
{
    while (len > 0) {
        int n = virStreamSend(st, data, MIN(len, (gsize)COPY_CHUNK));
        if (n < 0)
            return stream_failed(error, "writing to the volume");
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gssize virt_stream_recv(virStreamPtr st, char *buf, gsize max, GError **error)
{
    int n = virStreamRecv(st, buf, MIN(max, (gsize)COPY_CHUNK));
    if (n < 0) {
        stream_failed(error, "reading the volume");
        return -1;
    }
    return n;
}

gboolean virt_stream_finish(virStreamPtr st, GError **error)
{
    if (virStreamFinish(st) < 0)
        return stream_failed(error, "completing the transfer");
    return TRUE;
}

void virt_stream_abort(virStreamPtr st)
{
    virStreamAbort(st);
    virResetLastError();
}

gboolean virt_volume_physical(virStorageVolPtr vol, guint64 *out, GError **error)
{
    virStorageVolInfo info;
    if (virStorageVolGetInfoFlags(vol, &info, VIR_STORAGE_VOL_GET_PHYSICAL) < 0)
        return stream_failed(error, "reading the volume's size");
    /* With the flag, "allocation" holds the physical size. */
    *out = info.allocation;
    return TRUE;
}

gboolean virt_volume_copy(virStorageVolPtr src, virStorageVolPtr dst, guint64 length,
                          VirtCopyProgressFn progress, gpointer data, GError **error)
{
    /* Each stream on its volume's own connection: the two may be on
     * different hosts (an offline migration's disk copy). */
    g_autoptr(virStream) in = virStreamNew(virStorageVolGetConnect(src), 0);
    g_autoptr(virStream) out = virStreamNew(virStorageVolGetConnect(dst), 0);
    if (!in || !out)
        return stream_failed(error, "opening streams");
    if (virStorageVolDownload(src, in, 0, length, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM) < 0)
        return stream_failed(error, "reading the source volume");
    if (virStorageVolUpload(dst, out, 0, length, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM) < 0) {
        stream_failed(error, "writing the new volume");
        virt_stream_abort(in);
        return FALSE;
    }
    g_autofree char *buf = g_malloc(COPY_CHUNK);
    guint64 done = 0;
    for (;;) {
        if (progress && !progress(done, length, data)) {
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the copy was stopped");
            goto fail;
        }
        int n = virStreamRecvFlags(in, buf, COPY_CHUNK, VIR_STREAM_RECV_STOP_AT_HOLE);
        if (n == -3) {
            long long hole = 0;
            if (virStreamRecvHole(in, &hole, 0) < 0 || virStreamSendHole(out, hole, 0) < 0) {
                stream_failed(error, "copying a hole");
                goto fail;
            }
            done += (guint64)hole;
            continue;
        }
        if (n < 0) {
            stream_failed(error, "reading the source volume");
            goto fail;
        }
        if (n == 0)
            break;
        if (!virt_stream_send_all(out, buf, (gsize)n, error))
            goto fail;
        done += (guint64)n;
    }
    if (virStreamFinish(in) < 0) {
        stream_failed(error, "finishing the read");
        virt_stream_abort(out);
        return FALSE;
    }
    return virt_stream_finish(out, error);
fail:
    virt_stream_abort(in);
    virt_stream_abort(out);
    return FALSE;
}

static void delete_quietly(virStorageVolPtr vol)
{
    if (virStorageVolDelete(vol, 0) < 0) {
        g_warning("could not delete the half-made volume '%s'", virStorageVolGetName(vol));
        virResetLastError();
    }
}

virStorageVolPtr virt_volume_clone(virStoragePoolPtr pool, virStorageVolPtr src, const char *name,
                                   const char *format, VirtCopyProgressFn progress, gpointer data,
                                   GError **error)
{
    g_autoptr(VirtVolume) info = virt_volume_info(src, error);
    if (!info)
        return NULL;
    const char *src_format = info->format ? info->format : "raw";
    if (!format)
        format = virt_storage_format_valid(src_format) ? src_format : "raw";
    if (strcmp(format, "raw") == 0 && strcmp(src_format, "raw") == 0) {
        g_autoptr(virStorageVol)
            dst = virt_volume_create(pool, name, info->capacity, "raw", NULL, error);
        if (!dst)
            return NULL;
        g_autoptr(GError) why = NULL;
        if (virt_volume_copy(src, dst, info->capacity, progress, data, &why))
            return g_steal_pointer(&dst);
        delete_quietly(dst);
        /* Drivers without streams (test:///default) still copy below. */
        if (!g_error_matches(why, VIRT_ERROR, VIRT_ERROR_UNSUPPORTED) &&
            !g_error_matches(why, VIRT_ERROR, VIRT_ERROR_NOT_SUPPORTED)) {
            g_propagate_error(error, g_steal_pointer(&why));
            return NULL;
        }
    }
    g_autofree char *xml = virt_vol_xml(name, info->capacity, format, NULL, NULL, error);
    if (!xml)
        return NULL;
    if (!virt_volume_name_free(pool, name, error))
        return NULL;
    if (progress && !progress(0, 0, data)) {
        g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the clone was stopped");
        return NULL;
    }
    virStorageVolPtr dst = virStorageVolCreateXMLFrom(pool, xml, src, 0);
    if (!dst)
        virt_error_from_libvirt(error, "converting the volume");
    return dst;
}

gboolean virt_volume_is_iso(const VirtVolume *v)
{
    if (g_strcmp0(v->format, "iso") == 0)
        return TRUE;
    gsize n = strlen(v->name);
    if (n > 4 && g_ascii_strcasecmp(v->name + n - 4, ".iso") == 0)
        return TRUE;
    if (g_strcmp0(v->type, "file") != 0 || !v->path || (v->format && strcmp(v->format, "raw") != 0))
        return FALSE;
    /* Only a local file can be peeked at; a remote host's cannot. */
    int fd = open(v->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return FALSE;
    char sig[5];
    gboolean iso = pread(fd, sig, sizeof(sig), ISO_SIGNATURE_OFFSET) == (ssize_t)sizeof(sig) &&
                   memcmp(sig, "CD001", sizeof(sig)) == 0;
    close(fd);
    return iso;
}
