/* Pixels of a VM's screen: reading what the hypervisor sends (PNG, or PPM
 * P6 from QEMU before 7.1), scaling it down with an area filter, and
 * writing PNG. The readers take outside input: every size is checked. */
#pragma once
#include <glib.h>

/* Largest side and largest decoded image (RGB bytes) Vireo reads: a 4K
 * screen is 24 MiB, 5K 42 MiB. A PNG can promise more pixels than its
 * bytes hold, so the decoded size is bounded, not only the input. */
#define VIRT_IMAGE_MAX_SIDE 16384u
#define VIRT_IMAGE_MAX_BYTES ((gsize)64 << 20)

typedef struct {
    guint width;
    guint height;
    guint8 *rgb; /* width * height * 3 bytes, rows top to bottom */
} VirtImage;

/* A black image; NULL with VIRT_ERROR_UNSUPPORTED when a side is 0 or the
 * size is over the bounds above. */
VirtImage *virt_image_new(guint width, guint height, GError **error);
void virt_image_free(VirtImage *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtImage, virt_image_free)

/* Binary PPM (P6) with maxval 255, the only kind QEMU writes. Malformed or
 * short data is VIRT_ERROR_FAILED; another maxval or a size over the bounds
 * VIRT_ERROR_UNSUPPORTED. Bytes after the pixels are refused too. */
VirtImage *virt_image_read_ppm(const guint8 *data, gsize len, GError **error);
/* Any PNG libpng reads (grey, palette, 16-bit, alpha composed on black),
 * as 8-bit RGB; errors as for PPM. */
VirtImage *virt_image_read_png(const guint8 *data, gsize len, GError **error);
/* PNG or PPM by the data's own signature (the MIME type libvirt names is
 * only a claim); `mime` is for the message when neither matches. */
VirtImage *virt_image_read(const char *mime, const guint8 *data, gsize len, GError **error);

/* `src` scaled to `width` pixels wide (never wider than it is), the height
 * keeping the aspect ratio (at least 1). Each pixel is the exact area
 * average of the source pixels it covers (a box filter), so thin strokes of
 * text fade into grey instead of vanishing as with point sampling. */
VirtImage *virt_image_scale(const VirtImage *src, guint width);

/* `img` as a PNG file (8-bit RGB, zlib's default level). */
GBytes *virt_image_write_png(const VirtImage *img, GError **error);
