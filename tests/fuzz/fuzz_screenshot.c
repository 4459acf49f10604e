/* libFuzzer target: a screenshot as the hypervisor might send it, through
 * what vireod does with it: read (PNG or PPM by signature), scale to a
 * thumbnail, write PNG, and that PNG read back. The first byte picks the
 * width (16 + 7 * byte: 16 to 1801); the rest is the image file. */
#include <stdint.h>

#include "fuzz_common.h"
#include "virt/virt_error.h"
#include "virt/virt_image.h"

/* Every output channel is an average of source values, so it lies within
 * the source's range of that channel. */
static void check_range(const VirtImage *src, const VirtImage *dst)
{
    guint8 lo[3] = {255, 255, 255}, hi[3] = {0, 0, 0};
    for (gsize i = 0; i < (gsize)src->width * src->height * 3; i++) {
        lo[i % 3] = MIN(lo[i % 3], src->rgb[i]);
        hi[i % 3] = MAX(hi[i % 3], src->rgb[i]);
    }
    for (gsize i = 0; i < (gsize)dst->width * dst->height * 3; i++)
        FUZZ_CHECK(dst->rgb[i] >= lo[i % 3] && dst->rgb[i] <= hi[i % 3],
                   "scaled value %u outside the source's %u..%u", dst->rgb[i], lo[i % 3],
                   hi[i % 3]);
}

static void check_scaled(const VirtImage *src, const VirtImage *dst, guint width)
{
    FUZZ_CHECK(dst->width == MIN(width, src->width), "width %u for %u of %u", dst->width, width,
               src->width);
    FUZZ_CHECK(dst->height >= 1 && dst->height <= src->height, "height %u of %u", dst->height,
               src->height);
    /* The aspect ratio to within rounding: |h - H*w/W| <= 1/2, or the
     * height was raised to 1. */
    gint64 twice = 2 * (gint64)dst->height * src->width - 2 * (gint64)src->height * dst->width;
    FUZZ_CHECK(ABS(twice) <= (gint64)src->width || dst->height == 1,
               "%ux%u scaled to %ux%u loses the aspect", src->width, src->height, dst->width,
               dst->height);
    check_range(src, dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    guint width = 16 + 7u * data[0];
    GError *error = NULL;
    VirtImage *img = virt_image_read("image/x-fuzz", data + 1, size - 1, &error);
    if (!img) {
        FUZZ_CHECK(error != NULL, "no image and no error");
        FUZZ_CHECK(error->domain == VIRT_ERROR &&
                       (error->code == VIRT_ERROR_FAILED || error->code == VIRT_ERROR_UNSUPPORTED),
                   "refusal with code %d: %s", error->code, error->message);
        FUZZ_CHECK(error->message[0], "empty message");
        g_error_free(error);
        return 0;
    }
    FUZZ_CHECK(error == NULL, "image with an error: %s", error->message);
    FUZZ_CHECK(img->width >= 1 && img->height >= 1 && img->width <= VIRT_IMAGE_MAX_SIDE &&
                   img->height <= VIRT_IMAGE_MAX_SIDE &&
                   (gsize)img->width * img->height * 3 <= VIRT_IMAGE_MAX_BYTES,
               "image of %ux%u read", img->width, img->height);

    VirtImage *small = virt_image_scale(img, width);
    check_scaled(img, small, width);

    GBytes *png = virt_image_write_png(small, &error);
    FUZZ_CHECK(png, "writing PNG failed: %s", error ? error->message : "?");
    gsize len = 0;
    const guint8 *bytes = g_bytes_get_data(png, &len);
    VirtImage *back = virt_image_read_png(bytes, len, &error);
    FUZZ_CHECK(back, "own PNG does not read: %s", error ? error->message : "?");
    FUZZ_CHECK(back->width == small->width && back->height == small->height,
               "own PNG is %ux%u, wrote %ux%u", back->width, back->height, small->width,
               small->height);
    FUZZ_CHECK(memcmp(back->rgb, small->rgb, (gsize)small->width * small->height * 3) == 0,
               "own PNG reads back other pixels");

    virt_image_free(back);
    g_bytes_unref(png);
    virt_image_free(small);
    virt_image_free(img);
    return 0;
}
