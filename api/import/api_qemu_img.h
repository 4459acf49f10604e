/* qemu-img, run on uploaded disk images: `info` to learn what an image
 * really is (never its name's word) and `convert` to turn it into a
 * volume; and on a VM's own disks to export them as VMDK. Each runs as a child with an argv (no shell), in the C locale,
 * under memory (and for `info`, CPU) limits, as QEMU's documentation
 * advises for untrusted images. It lives in api/ because its answer is
 * JSON, which only this layer reads. */
#pragma once
#include <gio/gio.h>

typedef struct {
    char *format;         /* as qemu-img probes it: "vmdk", "qcow2", "raw" ... */
    guint64 virtual_size; /* bytes */
    char *backing;        /* a backing file the image names, or NULL */
    char *data_file;      /* qcow2's external data file, or NULL */
    GPtrArray *extents;   /* vmdk: the files its extents live in (char *) */
} ApiImageInfo;

void api_image_info_free(ApiImageInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiImageInfo, api_image_info_free)

/* `qemu-img info --output=json PATH`, the format probed. An image qemu-img
 * cannot read is INVALID_ARGUMENT. */
ApiImageInfo *api_qemu_img_info(const char *path, GError **error);

/* Whether an uploaded image at `path` may be imported: a format Vireo
 * imports (vmdk, vdi, qcow2, raw) and, when `expected` is given, that
 * one; no backing file, external data file or extent outside the file
 * itself (any of those would read other files of the host). `what` names
 * the image in messages. INVALID_ARGUMENT otherwise. */
gboolean api_image_check(const ApiImageInfo *info, const char *path, const char *what,
                         const char *expected, GError **error);

/* Progress of a conversion, 0-100; FALSE stops it (cancelled). */
typedef gboolean (*ApiImageProgress)(int percent, gpointer data);

/* `qemu-img convert -n --target-is-zero -f FROM -O TO SRC DST` into an
 * existing, empty DST of at least SRC's virtual size. INSUFFICIENT_STORAGE
 * when the disk fills up, CONFLICT (message "cancelled") when `progress`
 * said stop. */
gboolean api_qemu_img_convert(const char *src, const char *from, const char *dst, const char *to,
                              ApiImageProgress progress, gpointer data, GError **error);

/* `qemu-img convert -f FROM -O vmdk -o subformat=streamOptimized SRC DST`:
 * a new file DST (an OVA's disk, compressed, read in one pass) of a disk
 * Vireo manages. INSUFFICIENT_STORAGE when DST's file system fills up,
 * CONFLICT ("cancelled") once `cancel` (may be NULL) is. */
gboolean api_qemu_img_to_stream_vmdk(const char *src, const char *from, const char *dst,
                                     GCancellable *cancel, GError **error);
