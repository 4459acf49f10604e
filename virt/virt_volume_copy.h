/* Moving volume bytes through libvirt streams: copies between volumes
 * (keeping holes), uploads into and downloads out of a volume, clones with
 * format conversion, and spotting ISO images. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_storage.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStream, virStreamFree)

/* Told how far a copy is (`done` of `total` bytes); FALSE stops it. Called
 * with total 0 before a step that can neither report progress nor stop. */
typedef gboolean (*VirtCopyProgressFn)(guint64 done, guint64 total, gpointer data);

/* Copies the first `length` bytes of `src` into `dst` through a download
 * and an upload stream, keeping holes sparse. A stop asked by `progress`
 * fails with G_IO_ERROR_CANCELLED. `dst` keeps what was written. */
gboolean virt_volume_copy(virStorageVolPtr src, virStorageVolPtr dst, guint64 length,
                          VirtCopyProgressFn progress, gpointer data, GError **error);

/* Clones `src` as `name` in `pool`: a raw source cloned to raw is streamed
 * with progress (virt_volume_copy) where the driver has streams; any other
 * pair is converted by libvirt
 * (virStorageVolCreateXMLFrom: no progress, not cancellable once begun).
 * `format` NULL keeps the source's. A failed clone leaves no volume. */
virStorageVolPtr virt_volume_clone(virStoragePoolPtr pool, virStorageVolPtr src, const char *name,
                                   const char *format, VirtCopyProgressFn progress, gpointer data,
                                   GError **error);

/* Bytes the volume takes in its pool's storage (the file size of a file
 * volume): what a download sends. */
gboolean virt_volume_physical(virStorageVolPtr vol, guint64 *out, GError **error);

/* A blocking stream that writes `length` bytes into `vol` from offset 0
 * (upload) or reads them out of it (download). */
virStreamPtr virt_volume_upload_stream(virStorageVolPtr vol, guint64 length, GError **error);
virStreamPtr virt_volume_download_stream(virStorageVolPtr vol, guint64 length, GError **error);
/* Sends all of `data`. */
gboolean virt_stream_send_all(virStreamPtr st, const char *data, gsize len, GError **error);
/* Up to `max` bytes; 0 at the end, -1 with `error`. */
gssize virt_stream_recv(virStreamPtr st, char *buf, gsize max, GError **error);
/* Completes a stream (the volume's data is complete), or aborts it. */
gboolean virt_stream_finish(virStreamPtr st, GError **error);
void virt_stream_abort(virStreamPtr st);

/* TRUE for an ISO 9660 image: libvirt's "iso" format, a ".iso" name, or
 * the "CD001" signature at byte 0x8001 of a local file. */
gboolean virt_volume_is_iso(const VirtVolume *v);
