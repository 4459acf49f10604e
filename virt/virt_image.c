/* Screen images: PPM and PNG readers (outside input: sizes checked before
 * any arithmetic or allocation), an exact area-average down-scaler, and a
 * PNG writer. libpng's simplified API keeps setjmp out of this file. */
#include "virt/virt_image.h"
#include "virt/virt_error.h"

#include <png.h>
#include <string.h>

/* ---- images ---- */

/* Sides and byte count are checked here, once, so every later product of
 * width, height and 3 fits a gsize (16384 * 16384 * 3 < 2^30). */
static gboolean size_ok(guint width, guint height, GError **error)
{
    if (width == 0 || height == 0)
        return virt_fail(error, VIRT_ERROR_FAILED, "the screenshot is %ux%u pixels", width, height);
    if (width > VIRT_IMAGE_MAX_SIDE || height > VIRT_IMAGE_MAX_SIDE ||
        (gsize)width * height * 3 > VIRT_IMAGE_MAX_BYTES)
        return virt_fail(error, VIRT_ERROR_UNSUPPORTED,
                         "the screen is %ux%u pixels; Vireo reads at most %u pixels a side and "
                         "%zu MiB of pixels",
                         width, height, VIRT_IMAGE_MAX_SIDE, VIRT_IMAGE_MAX_BYTES >> 20);
    return TRUE;
}

VirtImage *virt_image_new(guint width, guint height, GError **error)
{
    if (!size_ok(width, height, error))
        return NULL;
    VirtImage *img = g_new0(VirtImage, 1);
    img->width = width;
    img->height = height;
    img->rgb = g_malloc0((gsize)width * height * 3);
    return img;
}

void virt_image_free(VirtImage *img)
{
    if (!img)
        return;
    g_free(img->rgb);
    g_free(img);
}

/* ---- PPM (P6) ---- */

static gboolean ppm_space(guint8 c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Skips white space and comments ('#' to the end of the line) before a
 * header token. */
static void ppm_skip(const guint8 *d, gsize len, gsize *pos)
{
    while (*pos < len) {
        if (ppm_space(d[*pos])) {
            (*pos)++;
        } else if (d[*pos] == '#') {
            while (*pos < len && d[*pos] != '\n' && d[*pos] != '\r')
                (*pos)++;
        } else {
            return;
        }
    }
}

/* A decimal header number of at most `max`; digits only (no sign), and it
 * must end in white space or a comment, not in the middle of other bytes. */
static gboolean ppm_number(const guint8 *d, gsize len, gsize *pos, const char *what, guint max,
                           guint *out, GError **error)
{
    ppm_skip(d, len, pos);
    guint64 v = 0;
    gsize start = *pos;
    while (*pos < len && g_ascii_isdigit(d[*pos])) {
        v = v * 10 + (guint)(d[*pos] - '0');
        if (v > max)
            return virt_fail(error, VIRT_ERROR_UNSUPPORTED, "PPM screenshot: %s over %u", what,
                             max);
        (*pos)++;
    }
    if (*pos == start)
        return virt_fail(error, VIRT_ERROR_FAILED, "PPM screenshot: no %s in the header", what);
    if (*pos >= len || !(ppm_space(d[*pos]) || d[*pos] == '#'))
        return virt_fail(error, VIRT_ERROR_FAILED, "PPM screenshot: the header ends in its %s",
                         what);
    *out = (guint)v;
    return TRUE;
}

VirtImage *virt_image_read_ppm(const guint8 *data, gsize len, GError **error)
{
    if (len < 3 || data[0] != 'P' || data[1] != '6' || !(ppm_space(data[2]) || data[2] == '#')) {
        virt_fail(error, VIRT_ERROR_FAILED, "PPM screenshot: not a binary PPM (P6) file");
        return NULL;
    }
    gsize pos = 2;
    guint width, height, maxval;
    if (!ppm_number(data, len, &pos, "width", VIRT_IMAGE_MAX_SIDE, &width, error) ||
        !ppm_number(data, len, &pos, "height", VIRT_IMAGE_MAX_SIDE, &height, error) ||
        !ppm_number(data, len, &pos, "maxval", 65535, &maxval, error))
        return NULL;
    if (maxval != 255) {
        virt_fail(error, maxval == 0 ? VIRT_ERROR_FAILED : VIRT_ERROR_UNSUPPORTED,
                  "PPM screenshot: maxval %u (only 255 is read)", maxval);
        return NULL;
    }
    /* Exactly one white space byte ends the header; a comment may not. */
    if (!ppm_space(data[pos])) {
        virt_fail(error, VIRT_ERROR_FAILED, "PPM screenshot: no white space after maxval");
        return NULL;
    }
    pos++;
    if (!size_ok(width, height, error))
        return NULL;
    gsize need = (gsize)width * height * 3;
    gsize have = len - pos;
    if (have != need) {
        virt_fail(error, VIRT_ERROR_FAILED,
                  have < need ? "PPM screenshot: %zu bytes of pixels, %ux%u needs %zu"
                              : "PPM screenshot: %zu bytes where %ux%u needs %zu",
                  have, width, height, need);
        return NULL;
    }
    VirtImage *img = virt_image_new(width, height, error);
    memcpy(img->rgb, data + pos, need);
    return img;
}

/* ---- PNG ---- */

static void png_failed(GError **error, png_image *png, const char *doing)
{
    virt_fail(error, VIRT_ERROR_FAILED, "PNG screenshot: %s: %s", doing,
              png->message[0] ? png->message : "libpng failed");
    png_image_free(png);
}

VirtImage *virt_image_read_png(const guint8 *data, gsize len, GError **error)
{
    png_image png = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_memory(&png, data, len)) {
        png_failed(error, &png, "reading the header");
        return NULL;
    }
    /* Before a byte is allocated: the header's sides are only a claim. */
    if (!size_ok(png.width, png.height, error)) {
        png_image_free(&png);
        return NULL;
    }
    png.format = PNG_FORMAT_RGB;
    /* Zeroed: with a NULL background libpng composes alpha onto the
     * buffer's contents, here black. */
    g_autoptr(VirtImage) img = virt_image_new(png.width, png.height, error);
    if (!png_image_finish_read(&png, NULL, img->rgb, (png_int_32)(img->width * 3), NULL)) {
        png_failed(error, &png, "reading the pixels");
        return NULL;
    }
    png_image_free(&png);
    return g_steal_pointer(&img);
}

VirtImage *virt_image_read(const char *mime, const guint8 *data, gsize len, GError **error)
{
    static const guint8 png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= sizeof(png_signature) && memcmp(data, png_signature, sizeof(png_signature)) == 0)
        return virt_image_read_png(data, len, error);
    if (len >= 2 && data[0] == 'P' && data[1] == '6')
        return virt_image_read_ppm(data, len, error);
    virt_fail(error, VIRT_ERROR_UNSUPPORTED,
              "the screenshot is neither PNG nor PPM (libvirt calls it %s)",
              mime ? mime : "nothing");
    return NULL;
}

/* ---- scaling ---- */

/* How the `dst` pixels of one axis cover its `src` pixels (dst <= src).
 * Lengths are measured in 1/dst of a source pixel: source pixel j spans
 * [j*dst, (j+1)*dst), destination pixel i spans [i*src, (i+1)*src), so
 * every overlap is a whole number and each destination pixel's weights sum
 * to `src`. */
typedef struct {
    guint *first;  /* first source pixel of each destination pixel */
    guint *count;  /* how many source pixels it covers */
    guint *offset; /* where its weights start in `weight` */
    guint *weight;
} AxisMap;

static void axis_map_clear(AxisMap *m)
{
    g_free(m->first);
    g_free(m->count);
    g_free(m->offset);
    g_free(m->weight);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AxisMap, axis_map_clear)

static void axis_map_init(AxisMap *m, guint src, guint dst)
{
    m->first = g_new(guint, dst);
    m->count = g_new(guint, dst);
    m->offset = g_new(guint, dst);
    /* A destination pixel covers at most src/dst + 2 source pixels; in
     * total, at most src + dst overlaps. */
    m->weight = g_new(guint, (gsize)src + dst);
    guint n = 0;
    for (guint i = 0; i < dst; i++) {
        guint64 lo = (guint64)i * src, hi = lo + src;
        guint j = (guint)(lo / dst);
        m->first[i] = j;
        m->offset[i] = n;
        m->count[i] = 0;
        for (; j < src && (guint64)j * dst < hi; j++) {
            guint64 a = MAX(lo, (guint64)j * dst), b = MIN(hi, (guint64)(j + 1) * dst);
            m->weight[n++] = (guint)(b - a);
            m->count[i]++;
        }
    }
}

/* One source row reduced to the destination's width: per pixel and
 * channel, the weighted sum (at most 255 * src width, < 2^23). */
static void reduce_row(const guint8 *row, const AxisMap *xs, guint dst_w, guint32 *out)
{
    for (guint x = 0; x < dst_w; x++) {
        guint32 r = 0, g = 0, b = 0;
        const guint8 *p = row + (gsize)xs->first[x] * 3;
        const guint *w = xs->weight + xs->offset[x];
        for (guint k = 0; k < xs->count[x]; k++, p += 3) {
            r += w[k] * p[0];
            g += w[k] * p[1];
            b += w[k] * p[2];
        }
        out[x * 3] = r;
        out[x * 3 + 1] = g;
        out[x * 3 + 2] = b;
    }
}

VirtImage *virt_image_scale(const VirtImage *src, guint width)
{
    guint dst_w = CLAMP(width, 1, src->width);
    guint64 h = ((guint64)src->height * dst_w + src->width / 2) / src->width;
    guint dst_h = (guint)CLAMP(h, 1, src->height);
    /* Both sides are at most the source's, which was in bounds. */
    VirtImage *dst = virt_image_new(dst_w, dst_h, NULL);
    if (dst_w == src->width && dst_h == src->height) {
        memcpy(dst->rgb, src->rgb, (gsize)dst_w * dst_h * 3);
        return dst;
    }
    g_auto(AxisMap) xs = {0};
    g_auto(AxisMap) ys = {0};
    axis_map_init(&xs, src->width, dst_w);
    axis_map_init(&ys, src->height, dst_h);
    g_autofree guint32 *row = g_new(guint32, (gsize)dst_w * 3);
    g_autofree guint64 *acc = g_new(guint64, (gsize)dst_w * 3);
    /* Each channel sum is at most 255 * src->width * src->height < 2^37. */
    guint64 total = (guint64)src->width * src->height;
    for (guint y = 0; y < dst_h; y++) {
        memset(acc, 0, (gsize)dst_w * 3 * sizeof(*acc));
        for (guint k = 0; k < ys.count[y]; k++) {
            guint j = ys.first[y] + k;
            guint64 wy = ys.weight[ys.offset[y] + k];
            reduce_row(src->rgb + (gsize)j * src->width * 3, &xs, dst_w, row);
            for (gsize i = 0; i < (gsize)dst_w * 3; i++)
                acc[i] += row[i] * wy;
        }
        guint8 *out = dst->rgb + (gsize)y * dst_w * 3;
        for (gsize i = 0; i < (gsize)dst_w * 3; i++)
            out[i] = (guint8)((acc[i] + total / 2) / total);
    }
    return dst;
}

/* ---- PNG out ---- */

GBytes *virt_image_write_png(const VirtImage *img, GError **error)
{
    png_image png = {.version = PNG_IMAGE_VERSION,
                     .width = img->width,
                     .height = img->height,
                     .format = PNG_FORMAT_RGB};
    /* The worst case (incompressible) bound, so the image is compressed
     * once rather than measured first. */
    png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(png);
    g_autofree guint8 *buf = g_malloc(size);
    if (!png_image_write_to_memory(&png, buf, &size, 0, img->rgb, 0, NULL)) {
        png_failed(error, &png, "writing");
        return NULL;
    }
    return g_bytes_new(buf, size);
}
