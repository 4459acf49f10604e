/* Writing a VM archive (virt_archive.h) on the fly: members are given
 * first (small ones as bytes, disks as volumes with their sizes), the
 * whole length is then known, and the bytes are pulled out in pieces as
 * a client or an upload takes them. A disk is read from libvirt's
 * download stream while it passes, so nothing is copied to a temporary
 * place; SHA256SUMS is made of the digests taken on the way. */
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
/* Adds SHA256SUMS; nothing is added after it. */
gboolean virt_archive_out_close(VirtArchiveOut *a, GError **error);
/* The archive's bytes, once closed. */
guint64 virt_archive_out_length(const VirtArchiveOut *a);
/* Up to `max` bytes of the archive: 0 at its end, -1 with `error`. */
gssize virt_archive_out_read(VirtArchiveOut *a, guint8 *buf, gsize max, GError **error);
