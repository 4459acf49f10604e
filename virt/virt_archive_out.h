/* Writing a tar archive on the fly: Vireo's VM archive (virt_archive.h)
 * or an OVA. Members are given first (small ones as bytes, disks as
 * volumes or open files with their sizes), the whole length is then
 * known, and the bytes are pulled out in pieces as a client or an upload
 * takes them. A volume is read from libvirt's download stream while it
 * passes, so nothing is copied to a temporary place; the last member
 * lists the digests taken on the way (SHA256SUMS, or an OVA's manifest). */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

typedef struct VirtArchiveOut VirtArchiveOut;

/* Called before a volume's bytes are read (`member` its index) and before
 * SHA256SUMS (member = the number of members): FALSE (with `error`) cuts
 * the archive there, so that no reader takes it. */
typedef gboolean (*VirtArchiveCheck)(guint member, gpointer data, GError **error);

VirtArchiveOut *virt_archive_out_new(gint64 mtime, VirtArchiveCheck check, gpointer data);
void virt_archive_out_free(VirtArchiveOut *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtArchiveOut, virt_archive_out_free)

gboolean virt_archive_out_add_bytes(VirtArchiveOut *a, const char *name, const void *bytes,
                                    gsize len, GError **error);
/* `size` bytes of `vol` (referenced; its download sends exactly them). */
gboolean virt_archive_out_add_volume(VirtArchiveOut *a, const char *name, virStorageVolPtr vol,
                                     guint64 size, GError **error);
/* `size` bytes of the open file `fd`, read from its start; the archive
 * takes the descriptor and closes it. */
gboolean virt_archive_out_add_fd(VirtArchiveOut *a, const char *name, int fd, guint64 size,
                                 GError **error);

/* How the last member lists the others' SHA-256 digests. */
typedef struct {
    const char *name;                                 /* the member's */
    char *(*line)(const char *hex, const char *name); /* one member's line */
    gsize (*line_len)(const char *name);              /* its bytes, known before the digest */
} VirtArchiveDigests;

/* Adds SHA256SUMS; nothing is added after it. */
gboolean virt_archive_out_close(VirtArchiveOut *a, GError **error);
/* Adds the digests' member as `digests` says; nothing is added after it. */
gboolean virt_archive_out_close_with(VirtArchiveOut *a, const VirtArchiveDigests *digests,
                                     GError **error);
/* The archive's bytes, once closed. */
guint64 virt_archive_out_length(const VirtArchiveOut *a);
/* Up to `max` bytes of the archive: 0 at its end, -1 with `error`. */
gssize virt_archive_out_read(VirtArchiveOut *a, guint8 *buf, gsize max, GError **error);
