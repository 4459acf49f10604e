/* The VM archive written on the fly (see virt_archive_out.h). */
#include "virt/virt_archive_out.h"
#include "virt/virt_archive.h"
#include "virt/virt_error.h"
#include "virt/virt_tar_write.h"
#include "virt/virt_volume_copy.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

typedef enum { PART_HEADER, PART_DATA, PART_PAD } Part;

typedef struct {
    char *name;
    GByteArray *header;
    GBytes *bytes;        /* small members (and SHA256SUMS once reached) */
    virStorageVolPtr vol; /* or a volume */
    int fd;               /* or an open file (-1: none) */
    guint64 size;
    char *hex; /* its digest, once read */
} Member;

struct VirtArchiveOut {
    gint64 mtime;
    VirtArchiveCheck check;
    gpointer check_data;
    GPtrArray *members; /* Member* */
    gboolean closed;
    guint64 length;
    /* where reading is */
    guint index; /* == members->len: the end blocks */
    Part part;
    guint64 offset; /* within the part */
    virStreamPtr stream;
    GChecksum *sum;
    gboolean failed;
    char *(*digest_line)(const char *hex, const char *name);
};

static void member_free(gpointer p)
{
    Member *m = p;
    g_free(m->name);
    g_byte_array_unref(m->header);
    if (m->bytes)
        g_bytes_unref(m->bytes);
    if (m->vol)
        virStorageVolFree(m->vol);
    if (m->fd >= 0)
        close(m->fd);
    g_free(m->hex);
    g_free(m);
}

VirtArchiveOut *virt_archive_out_new(gint64 mtime, VirtArchiveCheck check, gpointer data)
{
    VirtArchiveOut *a = g_new0(VirtArchiveOut, 1);
    a->mtime = mtime;
    a->check = check;
    a->check_data = data;
    a->members = g_ptr_array_new_with_free_func(member_free);
    return a;
}

void virt_archive_out_free(VirtArchiveOut *a)
{
    if (!a)
        return;
    if (a->stream) {
        virt_stream_abort(a->stream);
        virStreamFree(a->stream);
    }
    if (a->sum)
        g_checksum_free(a->sum);
    g_ptr_array_unref(a->members);
    g_free(a);
}

static Member *add(VirtArchiveOut *a, const char *name, guint64 size, GError **error)
{
    g_return_val_if_fail(!a->closed, NULL);
    Member *m = g_new0(Member, 1);
    m->header = g_byte_array_new();
    m->name = g_strdup(name);
    m->size = size;
    m->fd = -1;
    if (!virt_tar_write_header(m->header, name, size, a->mtime, error)) {
        member_free(m);
        return NULL;
    }
    g_ptr_array_add(a->members, m);
    a->length += m->header->len + size + virt_tar_padding(size);
    return m;
}

gboolean virt_archive_out_add_bytes(VirtArchiveOut *a, const char *name, const void *bytes,
                                    gsize len, GError **error)
{
    Member *m = add(a, name, len, error);
    if (m)
        m->bytes = g_bytes_new(bytes, len);
    return m != NULL;
}

gboolean virt_archive_out_add_volume(VirtArchiveOut *a, const char *name, virStorageVolPtr vol,
                                     guint64 size, GError **error)
{
    Member *m = add(a, name, size, error);
    if (m) {
        virStorageVolRef(vol);
        m->vol = vol;
    }
    return m != NULL;
}

gboolean virt_archive_out_add_fd(VirtArchiveOut *a, const char *name, int fd, guint64 size,
                                 GError **error)
{
    Member *m = add(a, name, size, error);
    if (!m) {
        close(fd);
        return FALSE;
    }
    m->fd = fd;
    return TRUE;
}

gboolean virt_archive_out_close(VirtArchiveOut *a, GError **error)
{
    static const VirtArchiveDigests sums = {VIRT_ARCHIVE_SUMS, virt_archive_sums_line,
                                            virt_archive_sums_line_len};
    return virt_archive_out_close_with(a, &sums, error);
}

gboolean virt_archive_out_close_with(VirtArchiveOut *a, const VirtArchiveDigests *digests,
                                     GError **error)
{
    gsize len = 0;
    for (guint i = 0; i < a->members->len; i++)
        len += digests->line_len(((Member *)g_ptr_array_index(a->members, i))->name);
    if (!add(a, digests->name, len, error))
        return FALSE;
    a->digest_line = digests->line;
    a->length += VIRT_TAR_END_SIZE;
    a->closed = TRUE;
    return TRUE;
}

guint64 virt_archive_out_length(const VirtArchiveOut *a)
{
    return a->length;
}

static GBytes *sums_text(VirtArchiveOut *a, guint upto)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < upto; i++) {
        const Member *m = g_ptr_array_index(a->members, i);
        g_autofree char *line = a->digest_line(m->hex, m->name);
        g_string_append(s, line);
    }
    return g_string_free_to_bytes(s);
}

/* Entering member m's data: the check, then its stream or bytes. */
static gboolean data_begin(VirtArchiveOut *a, Member *m, GError **error)
{
    gboolean last = a->index == a->members->len - 1;
    if ((m->vol || last) && a->check && !a->check(a->index, a->check_data, error))
        return FALSE;
    if (last) {
        m->bytes = sums_text(a, a->index);
        if (g_bytes_get_size(m->bytes) != m->size)
            return virt_fail(error, VIRT_ERROR_FAILED, "the archive's digests do not fit");
    }
    if (m->vol && m->size && !(a->stream = virt_volume_download_stream(m->vol, m->size, error)))
        return FALSE;
    if (m->fd >= 0 && lseek(m->fd, 0, SEEK_SET) != 0)
        return virt_fail(error, VIRT_ERROR_FAILED, "rewinding the file of %s: %s", m->name,
                         g_strerror(errno));
    a->sum = g_checksum_new(G_CHECKSUM_SHA256);
    return TRUE;
}

/* Member m's data is through: its stream must end there too. */
static gboolean data_end(VirtArchiveOut *a, Member *m, GError **error)
{
    if (a->stream) {
        char extra[1];
        gssize n = virt_stream_recv(a->stream, extra, sizeof extra, error);
        if (n > 0)
            virt_fail(error, VIRT_ERROR_FAILED, "volume '%s' grew while it was read",
                      virStorageVolGetName(m->vol));
        gboolean ok = n == 0 && virt_stream_finish(a->stream, error);
        virStreamFree(g_steal_pointer(&a->stream));
        if (!ok)
            return FALSE;
    }
    m->hex = g_strdup(g_checksum_get_string(a->sum));
    g_checksum_free(g_steal_pointer(&a->sum));
    return TRUE;
}

static gssize read_data(VirtArchiveOut *a, Member *m, guint8 *buf, gsize max, GError **error)
{
    gsize want = (gsize)MIN((guint64)max, m->size - a->offset);
    gssize n;
    if (m->bytes) {
        memcpy(buf, (const guint8 *)g_bytes_get_data(m->bytes, NULL) + a->offset, want);
        n = (gssize)want;
    } else if (m->fd >= 0) {
        do
            n = read(m->fd, buf, want);
        while (n < 0 && errno == EINTR);
        if (n <= 0) {
            virt_fail(error, VIRT_ERROR_FAILED,
                      "the file of %s ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                      " bytes%s%s",
                      m->name, a->offset, m->size, n < 0 ? ": " : "",
                      n < 0 ? g_strerror(errno) : "");
            return -1;
        }
    } else {
        n = virt_stream_recv(a->stream, (char *)buf, want, error);
        if (n == 0)
            virt_fail(error, VIRT_ERROR_FAILED,
                      "volume '%s' ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                      " bytes: it changed while it was read",
                      virStorageVolGetName(m->vol), a->offset, m->size);
        if (n <= 0)
            return -1;
    }
    g_checksum_update(a->sum, buf, (gssize)n);
    return n;
}

/* One piece of the current part; 0 when the part is through. */
static gssize piece(VirtArchiveOut *a, guint8 *buf, gsize max, GError **error)
{
    static const guint8 zeros[VIRT_TAR_END_SIZE];
    if (a->index == a->members->len) {
        gsize n = (gsize)MIN((guint64)max, VIRT_TAR_END_SIZE - a->offset);
        memcpy(buf, zeros, n);
        return (gssize)n;
    }
    Member *m = g_ptr_array_index(a->members, a->index);
    switch (a->part) {
    case PART_HEADER: {
        gsize n = (gsize)MIN((guint64)max, m->header->len - a->offset);
        memcpy(buf, m->header->data + a->offset, n);
        return (gssize)n;
    }
    case PART_DATA:
        if (a->offset == 0 && !a->sum && !data_begin(a, m, error))
            return -1;
        if (a->offset == m->size)
            return data_end(a, m, error) ? 0 : -1;
        return read_data(a, m, buf, max, error);
    case PART_PAD:
    default: {
        gsize n = (gsize)MIN((guint64)max, virt_tar_padding(m->size) - a->offset);
        memcpy(buf, zeros, n);
        return (gssize)n;
    }
    }
}

gssize virt_archive_out_read(VirtArchiveOut *a, guint8 *buf, gsize max, GError **error)
{
    g_return_val_if_fail(a->closed, -1);
    if (a->failed)
        return virt_fail(error, VIRT_ERROR_FAILED, "the archive stopped at an earlier error") ? 0
                                                                                              : -1;
    while (max > 0) {
        gssize n = piece(a, buf, max, error);
        if (n < 0) {
            a->failed = TRUE;
            return -1;
        }
        if (n > 0) {
            a->offset += (guint64)n;
            return n;
        }
        /* The part is through: on to the next. */
        if (a->index == a->members->len)
            return 0;
        a->offset = 0;
        if (a->part == PART_PAD) {
            a->part = PART_HEADER;
            a->index++;
        } else {
            a->part++;
        }
    }
    return 0;
}
