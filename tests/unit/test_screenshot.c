/* Screenshots: the PPM reader on good and malformed input, the area
 * scaler (a checkerboard, fractions, sizes, aspect), PNG written and read
 * back with libpng itself, the capture on libvirt's test driver, and the
 * cache (expiry, bounds, single flight). */
#include "unit_libvirt.h"

#include "api/vms/api_screenshot_cache.h"
#include "virt/virt_error.h"
#include "virt/virt_image.h"
#include "virt/virt_screenshot.h"

#include <png.h>
#include <string.h>

/* ---- helpers ---- */

static VirtImage *ppm(const char *header, gsize pixel_bytes, guint8 fill, GError **error)
{
    gsize hl = strlen(header);
    g_autofree guint8 *buf = g_malloc(hl + pixel_bytes + 1);
    memcpy(buf, header, hl);
    memset(buf + hl, fill, pixel_bytes);
    return virt_image_read_ppm(buf, hl + pixel_bytes, error);
}

/* `error` by address: read after the call in the first argument made it. */
static void assert_refused(VirtImage *img, GError **error, int code, const char *words)
{
    assert_null(img);
    assert_non_null(*error);
    if ((*error)->domain != VIRT_ERROR || (*error)->code != code ||
        !strstr((*error)->message, words))
        fail_msg("want code %d with '%s', got %d: %s", code, words, (*error)->code,
                 (*error)->message);
    g_clear_error(error);
}

static VirtImage *image_of(guint w, guint h, const guint8 *rgb)
{
    VirtImage *img = virt_image_new(w, h, NULL);
    assert_non_null(img);
    memcpy(img->rgb, rgb, (gsize)w * h * 3);
    return img;
}

static void assert_pixel(const VirtImage *img, guint x, guint y, guint8 r, guint8 g, guint8 b)
{
    const guint8 *p = img->rgb + ((gsize)y * img->width + x) * 3;
    if (p[0] != r || p[1] != g || p[2] != b)
        fail_msg("pixel %u,%u is %u,%u,%u; want %u,%u,%u", x, y, p[0], p[1], p[2], r, g, b);
}

/* ---- PPM ---- */

static void test_ppm_good(void **state)
{
    (void)state;
    static const guint8 data[] = "P6\n2 1\n255\n\x01\x02\x03\xfd\xfe\xff";
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtImage) img = virt_image_read_ppm(data, sizeof(data) - 1, &error);
    assert_non_null(img);
    assert_int_equal(img->width, 2);
    assert_int_equal(img->height, 1);
    assert_pixel(img, 0, 0, 1, 2, 3);
    assert_pixel(img, 1, 0, 253, 254, 255);
    /* Comments and any white space between header tokens, as netpbm
     * allows; the pixels may start with a white-space byte. */
    g_autoptr(VirtImage)
        commented = ppm("P6 # QEMU\n\t720\r\n# rows\n400 255\n", 720 * 400 * 3, ' ', &error);
    assert_non_null(commented);
    assert_int_equal(commented->width, 720);
    assert_int_equal(commented->height, 400);
    assert_pixel(commented, 719, 399, ' ', ' ', ' ');
    /* virt_image_read goes by the bytes, whatever libvirt calls them. */
    g_autoptr(VirtImage) sniffed = virt_image_read("image/png", data, sizeof(data) - 1, &error);
    assert_non_null(sniffed);
    assert_int_equal(sniffed->width, 2);
}

static void test_ppm_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        gsize pixels;
        int code;
        const char *words;
    } cases[] = {
        /* short data and too much of it */
        {"P6\n2 2\n255\n", 11, VIRT_ERROR_FAILED, "11 bytes of pixels, 2x2 needs 12"},
        {"P6\n2 2\n255\n", 0, VIRT_ERROR_FAILED, "0 bytes of pixels"},
        {"P6\n2 2\n255\n", 13, VIRT_ERROR_FAILED, "13 bytes where 2x2 needs 12"},
        /* the header itself short */
        {"P6\n2 2\n255", 0, VIRT_ERROR_FAILED, "ends in its maxval"},
        {"P6\n2 2\n", 0, VIRT_ERROR_FAILED, "no maxval"},
        {"P6\n2", 0, VIRT_ERROR_FAILED, "ends in its width"},
        {"P6", 0, VIRT_ERROR_FAILED, "not a binary PPM"},
        {"", 0, VIRT_ERROR_FAILED, "not a binary PPM"},
        /* wrong magic */
        {"P3\n2 2\n255\n", 12, VIRT_ERROR_FAILED, "not a binary PPM"},
        {"P5\n2 2\n255\n", 4, VIRT_ERROR_FAILED, "not a binary PPM"},
        {"P61 2 2 255\n", 12, VIRT_ERROR_FAILED, "not a binary PPM"},
        {"p6\n2 2\n255\n", 12, VIRT_ERROR_FAILED, "not a binary PPM"},
        /* maxval other than 255 */
        {"P6\n2 2\n65535\n", 24, VIRT_ERROR_UNSUPPORTED, "maxval 65535"},
        {"P6\n2 2\n254\n", 12, VIRT_ERROR_UNSUPPORTED, "maxval 254"},
        {"P6\n2 2\n0\n", 12, VIRT_ERROR_FAILED, "maxval 0"},
        {"P6\n2 2\n65536\n", 12, VIRT_ERROR_UNSUPPORTED, "maxval over 65535"},
        /* numbers that are not */
        {"P6\n-2 2\n255\n", 12, VIRT_ERROR_FAILED, "no width"},
        {"P6\n+2 2\n255\n", 12, VIRT_ERROR_FAILED, "no width"},
        {"P6\n2x 2\n255\n", 12, VIRT_ERROR_FAILED, "ends in its width"},
        {"P6\n2 2\n255#c\n", 12, VIRT_ERROR_FAILED, "no white space after maxval"},
        /* sides of 0, over the bound, and numbers that would overflow */
        {"P6\n0 2\n255\n", 0, VIRT_ERROR_FAILED, "0x2 pixels"},
        {"P6\n16385 1\n255\n", 0, VIRT_ERROR_UNSUPPORTED, "width over 16384"},
        {"P6\n1 99999999999999999999999\n255\n", 0, VIRT_ERROR_UNSUPPORTED, "height over 16384"},
        {"P6\n4294967297 4294967297\n255\n", 0, VIRT_ERROR_UNSUPPORTED, "width over 16384"},
        /* each side allowed, the product not: refused before the data is
         * looked at, let alone a buffer made */
        {"P6\n16384 16384\n255\n", 0, VIRT_ERROR_UNSUPPORTED, "16384x16384 pixels"},
        {"P6\n16384 1366\n255\n", 0, VIRT_ERROR_UNSUPPORTED, "64 MiB"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        VirtImage *img = ppm(cases[i].header, cases[i].pixels, 0, &error);
        assert_refused(img, &error, cases[i].code, cases[i].words);
    }
    /* The largest screen the bound allows is read. */
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtImage) big = ppm("P6\n16384 1365\n255\n", (gsize)16384 * 1365 * 3, 7, &error);
    assert_non_null(big);
}

/* ---- scaling ---- */

static void test_scale_checkerboard(void **state)
{
    (void)state;
    static const guint8 board[] = {0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0};
    g_autoptr(VirtImage) src = image_of(2, 2, board);
    /* Half black, half white: the box average is 127.5, rounded up. */
    g_autoptr(VirtImage) one = virt_image_scale(src, 1);
    assert_int_equal(one->width, 1);
    assert_int_equal(one->height, 1);
    assert_pixel(one, 0, 0, 128, 128, 128);
    /* Same size: the same pixels. Wider: never upscaled. */
    for (guint w = 2; w <= 4; w += 2) {
        g_autoptr(VirtImage) same = virt_image_scale(src, w);
        assert_int_equal(same->width, 2);
        assert_int_equal(same->height, 2);
        assert_memory_equal(same->rgb, board, sizeof(board));
    }
    /* 4x4 of 2x2 checker cells to 2x2: every cell is one flat pixel. */
    guint8 cells[4 * 4 * 3];
    for (guint y = 0; y < 4; y++)
        for (guint x = 0; x < 4; x++)
            memset(cells + (y * 4 + x) * 3, ((x / 2 + y / 2) % 2) ? 255 : 0, 3);
    g_autoptr(VirtImage) big = image_of(4, 4, cells);
    g_autoptr(VirtImage) half = virt_image_scale(big, 2);
    assert_memory_equal(half->rgb, board, sizeof(board));
}

static void test_scale_fractions(void **state)
{
    (void)state;
    /* 3 pixels to 2: each covers one and a half; the middle one is split.
     * (2*0 + 1*255) / 3 = 85 on each side; channels apart. */
    static const guint8 row[] = {0, 30, 90, 255, 60, 0, 0, 90, 30};
    g_autoptr(VirtImage) src = image_of(3, 1, row);
    g_autoptr(VirtImage) dst = virt_image_scale(src, 2);
    assert_int_equal(dst->width, 2);
    assert_int_equal(dst->height, 1);
    assert_pixel(dst, 0, 0, 85, 40, 60); /* (2*30+60)/3, (2*90+0)/3 */
    assert_pixel(dst, 1, 0, 85, 80, 20); /* (60+2*90)/3, (0+2*30)/3 */
    /* A flat colour stays exactly that colour at any size (no drift). */
    g_autoptr(VirtImage) flat = virt_image_new(720, 400, NULL);
    for (gsize i = 0; i < (gsize)720 * 400; i++) {
        flat->rgb[i * 3] = 10;
        flat->rgb[i * 3 + 1] = 200;
        flat->rgb[i * 3 + 2] = 77;
    }
    static const guint widths[] = {1, 16, 100, 213, 320, 719};
    for (gsize k = 0; k < G_N_ELEMENTS(widths); k++) {
        g_autoptr(VirtImage) s = virt_image_scale(flat, widths[k]);
        for (guint y = 0; y < s->height; y++)
            for (guint x = 0; x < s->width; x++)
                assert_pixel(s, x, y, 10, 200, 77);
    }
}

static void test_scale_sizes_and_aspect(void **state)
{
    (void)state;
    static const struct {
        guint sw, sh, width, dw, dh;
    } cases[] = {
        {720, 400, 320, 320, 178}, /* QEMU's text console: 177.8 rounds up */
        {720, 400, 16, 16, 9},      {720, 400, 1920, 720, 400}, /* never upscaled */
        {1024, 768, 320, 320, 240}, {1920, 1080, 320, 320, 180},
        {640, 480, 639, 639, 479}, /* 479.25 */
        {16384, 1, 16, 16, 1},     /* the height never reaches 0 */
        {1, 16384, 320, 1, 16384}, /* nor the width past the source */
        {3, 16384, 2, 2, 10923},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(VirtImage) src = virt_image_new(cases[i].sw, cases[i].sh, NULL);
        assert_non_null(src);
        g_autoptr(VirtImage) dst = virt_image_scale(src, cases[i].width);
        if (dst->width != cases[i].dw || dst->height != cases[i].dh)
            fail_msg("%ux%u to %u: %ux%u, want %ux%u", cases[i].sw, cases[i].sh, cases[i].width,
                     dst->width, dst->height, cases[i].dw, cases[i].dh);
    }
}

/* ---- PNG ---- */

/* Reads `png` with libpng itself, not with the code under test. */
static guint8 *libpng_read(GBytes *png, guint *w, guint *h)
{
    png_image img = {.version = PNG_IMAGE_VERSION};
    gsize len;
    const void *data = g_bytes_get_data(png, &len);
    assert_true(png_image_begin_read_from_memory(&img, data, len));
    assert_int_equal(img.format, PNG_FORMAT_RGB); /* as written: 8-bit RGB */
    img.format = PNG_FORMAT_RGB;
    guint8 *pixels = g_malloc(PNG_IMAGE_SIZE(img));
    assert_true(png_image_finish_read(&img, NULL, pixels, 0, NULL));
    *w = img.width;
    *h = img.height;
    return pixels;
}

static VirtImage *pattern(guint w, guint h)
{
    VirtImage *img = virt_image_new(w, h, NULL);
    for (guint y = 0; y < h; y++)
        for (guint x = 0; x < w; x++) {
            guint8 *p = img->rgb + ((gsize)y * w + x) * 3;
            p[0] = (guint8)(x * 7);
            p[1] = (guint8)(y * 11);
            p[2] = (guint8)((x ^ y) * 13);
        }
    return img;
}

static void test_png_round_trip(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtImage) img = pattern(37, 23);
    g_autoptr(GBytes) png = virt_image_write_png(img, &error);
    assert_non_null(png);
    guint w = 0, h = 0;
    g_autofree guint8 *back = libpng_read(png, &w, &h);
    assert_int_equal(w, 37);
    assert_int_equal(h, 23);
    assert_memory_equal(back, img->rgb, 37 * 23 * 3);
    /* And the reader under test agrees with libpng. */
    gsize len;
    const guint8 *data = g_bytes_get_data(png, &len);
    g_autoptr(VirtImage) again = virt_image_read(NULL, data, len, &error);
    assert_non_null(again);
    assert_memory_equal(again->rgb, img->rgb, 37 * 23 * 3);
    /* The same pixels make the same bytes (the ETag is their hash). */
    g_autoptr(GBytes) twice = virt_image_write_png(again, &error);
    assert_true(g_bytes_equal(png, twice));
    /* A scaled screen survives the trip too. */
    g_autoptr(VirtImage) screen = pattern(720, 400);
    g_autoptr(VirtImage) thumb = virt_image_scale(screen, 320);
    g_autoptr(GBytes) thumb_png = virt_image_write_png(thumb, &error);
    g_autofree guint8 *thumb_back = libpng_read(thumb_png, &w, &h);
    assert_int_equal(w, 320);
    assert_int_equal(h, 178);
    assert_memory_equal(thumb_back, thumb->rgb, 320 * 178 * 3);
}

static guint32 be32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* PNG's CRC-32 (zlib's, which the test does not link directly). */
static guint32 png_crc(const guint8 *p, gsize len)
{
    guint32 crc = 0xffffffffu;
    for (gsize i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return crc ^ 0xffffffffu;
}

static void put_be32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

static void test_png_malformed(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtImage) img = pattern(64, 48);
    g_autoptr(GBytes) png = virt_image_write_png(img, &error);
    gsize len;
    const guint8 *data = g_bytes_get_data(png, &len);
    /* Cut short: the header reads, the pixels do not. */
    VirtImage *cut = virt_image_read(NULL, data, len / 2, &error);
    assert_refused(cut, &error, VIRT_ERROR_FAILED, "PNG screenshot");
    /* Only the signature. */
    assert_refused(virt_image_read(NULL, data, 8, &error), &error, VIRT_ERROR_FAILED,
                   "reading the header");
    /* A header that promises 16000x16000 (CRC made right, so libpng
     * believes it): refused before any buffer is made. */
    g_autofree guint8 *huge = g_memdup2(data, len);
    assert_int_equal(be32(huge + 8), 13);
    assert_memory_equal(huge + 12, "IHDR", 4);
    assert_int_equal(be32(huge + 29), png_crc(huge + 12, 17));
    put_be32(huge + 16, 16000);
    put_be32(huge + 20, 16000);
    put_be32(huge + 29, png_crc(huge + 12, 17));
    assert_refused(virt_image_read(NULL, huge, len, &error), &error, VIRT_ERROR_UNSUPPORTED,
                   "16000x16000 pixels");
    /* Neither PNG nor PPM: the message names what libvirt called it. */
    static const guint8 gif[] = "GIF89a....";
    assert_refused(virt_image_read("image/gif", gif, sizeof(gif) - 1, &error), &error,
                   VIRT_ERROR_UNSUPPORTED, "libvirt calls it image/gif");
}

/* ---- capture on the test driver ---- */

static const char *const SCREEN_XML =
    "<domain type='test'><name>unit-shot</name><memory unit='MiB'>64</memory>"
    "<os><type arch='x86_64'>hvm</type></os><devices>"
    "<graphics type='vnc' port='-1'/><video><model type='vga'/></video></devices></domain>";
static const char *const BLIND_XML =
    "<domain type='test'><name>unit-blind</name><memory unit='MiB'>64</memory>"
    "<os><type arch='x86_64'>hvm</type></os><devices>"
    "<video><model type='none'/></video></devices></domain>";

static void test_capture_on_test_driver(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(GError) error = NULL;
    /* The test driver answers with its own PNG, 1120x832 grey. */
    virDomainPtr dom = virDomainLookupByName(conn, "test");
    assert_non_null(dom);
    g_autofree char *mime = NULL;
    g_autoptr(GBytes) raw = virt_screenshot_take(dom, &mime, &error);
    if (!raw)
        fail_msg("%s", error->message);
    assert_string_equal(mime, "image/png");
    gsize len;
    const guint8 *data = g_bytes_get_data(raw, &len);
    g_autoptr(VirtImage) img = virt_image_read(mime, data, len, &error);
    assert_non_null(img);
    assert_int_equal(img->width, 1120);
    assert_int_equal(img->height, 832);
    /* Grey read as RGB: three equal channels. */
    for (gsize i = 0; i < (gsize)img->width * img->height; i += 997)
        assert_true(img->rgb[i * 3] == img->rgb[i * 3 + 1] &&
                    img->rgb[i * 3 + 1] == img->rgb[i * 3 + 2]);
    virDomainFree(dom);

    /* Which domains have a screen, read from their XML. */
    static const struct {
        const char *xml;
        gboolean has;
    } doms[] = {{SCREEN_XML, TRUE}, {BLIND_XML, FALSE}};
    for (gsize i = 0; i < G_N_ELEMENTS(doms); i++) {
        virDomainPtr d = virDomainCreateXML(conn, doms[i].xml, 0);
        assert_non_null(d);
        gboolean has = !doms[i].has;
        assert_true(virt_screenshot_has_screen(d, &has, &error));
        assert_int_equal(has, doms[i].has);
        virDomainDestroy(d);
        virDomainFree(d);
    }
}

/* ---- the cache ---- */

#define S (G_USEC_PER_SEC)

static GBytes *bytes_of(const char *s)
{
    return g_bytes_new(s, strlen(s));
}

/* A kept shot of `uuid` at width 320: its ETag is `etag`. */
static void assert_hit(ApiShotCache *c, const char *uuid, gint64 now, const char *etag)
{
    g_autoptr(GBytes) png = NULL;
    g_autofree char *got = NULL;
    assert_true(api_shot_cache_get(c, uuid, 320, now, &png, &got));
    assert_non_null(png);
    assert_string_equal(got, etag);
}

static void test_cache_hits_and_expiry(void **state)
{
    (void)state;
    ApiShotCache *c = api_shot_cache_new(2 * S, 8, 1 << 20, 5 * S);
    GBytes *png = NULL;
    char *etag = NULL;
    /* A miss claims the shot; the claimer puts it. */
    assert_false(api_shot_cache_get(c, "u1", 320, 100 * S, &png, &etag));
    g_autoptr(GBytes) shot = bytes_of("png-1");
    api_shot_cache_put(c, "u1", 320, shot, "\"e1\"", 100 * S);
    /* Within the lifetime: the same bytes, for this VM and width only. */
    assert_true(api_shot_cache_get(c, "u1", 320, 100 * S + 2 * S - 1, &png, &etag));
    assert_true(g_bytes_equal(png, shot));
    assert_string_equal(etag, "\"e1\"");
    g_clear_pointer(&png, g_bytes_unref);
    g_clear_pointer(&etag, g_free);
    assert_false(api_shot_cache_get(c, "u1", 160, 101 * S, &png, &etag));
    api_shot_cache_drop(c, "u1", 160);
    assert_false(api_shot_cache_get(c, "u2", 320, 101 * S, &png, &etag));
    api_shot_cache_drop(c, "u2", 320);
    /* Its age counts from when the hypervisor was asked: at 2 s it is
     * gone, and the asker claims a new one. */
    assert_false(api_shot_cache_get(c, "u1", 320, 102 * S, &png, &etag));
    assert_null(png);
    assert_int_equal(api_shot_cache_size(c), 0);
    api_shot_cache_drop(c, "u1", 320);
    api_shot_cache_free(c);
}

static void test_cache_bounds(void **state)
{
    (void)state;
    /* At most 3 shots and 10 bytes: the oldest go first. */
    ApiShotCache *c = api_shot_cache_new(60 * S, 3, 10, 5 * S);
    GBytes *png = NULL;
    char *etag = NULL;
    static const char *const uuids[] = {"a", "b", "c", "d"};
    for (gsize i = 0; i < G_N_ELEMENTS(uuids); i++) {
        assert_false(api_shot_cache_get(c, uuids[i], 320, S, &png, &etag));
        g_autoptr(GBytes) b = bytes_of("123");
        api_shot_cache_put(c, uuids[i], 320, b, "\"x\"", S + (gint64)i);
    }
    assert_int_equal(api_shot_cache_size(c), 3);
    assert_false(api_shot_cache_get(c, "a", 320, 2 * S, &png, &etag)); /* evicted */
    api_shot_cache_drop(c, "a", 320);
    assert_hit(c, "d", 2 * S, "\"x\"");
    /* 3 + 3 + 3 + 9 bytes: over 10, so only the newest stays. */
    assert_false(api_shot_cache_get(c, "e", 320, 2 * S, &png, &etag));
    g_autoptr(GBytes) nine = bytes_of("123456789");
    api_shot_cache_put(c, "e", 320, nine, "\"y\"", 2 * S);
    assert_int_equal(api_shot_cache_size(c), 1);
    assert_hit(c, "e", 2 * S, "\"y\"");
    /* One larger than the whole budget is not kept at all. */
    assert_false(api_shot_cache_get(c, "f", 320, 2 * S, &png, &etag));
    g_autoptr(GBytes) eleven = bytes_of("12345678901");
    api_shot_cache_put(c, "f", 320, eleven, "\"z\"", 2 * S);
    assert_int_equal(api_shot_cache_size(c), 0);
    api_shot_cache_free(c);
}

typedef struct {
    ApiShotCache *cache;
    gboolean hit;
    GBytes *png;
    char *etag;
} Asker;

static gpointer ask(gpointer data)
{
    Asker *a = data;
    a->hit = api_shot_cache_get(a->cache, "u", 320, g_get_monotonic_time(), &a->png, &a->etag);
    return NULL;
}

static void wait_for_waiters(ApiShotCache *c, guint n)
{
    while (api_shot_cache_waiters(c) < n)
        g_usleep(1000);
}

static void test_cache_single_flight(void **state)
{
    (void)state;
    ApiShotCache *c = api_shot_cache_new(60 * S, 8, 1 << 20, 600 * S);
    GBytes *png = NULL;
    char *etag = NULL;
    /* The first asker claims the shot; two more wait for it instead of
     * asking QEMU, and get what it put. */
    assert_false(api_shot_cache_get(c, "u", 320, g_get_monotonic_time(), &png, &etag));
    Asker a = {.cache = c}, b = {.cache = c};
    GThread *ta = g_thread_new("asker-a", ask, &a);
    GThread *tb = g_thread_new("asker-b", ask, &b);
    wait_for_waiters(c, 2);
    g_autoptr(GBytes) shot = bytes_of("png");
    api_shot_cache_put(c, "u", 320, shot, "\"s\"", g_get_monotonic_time());
    g_thread_join(ta);
    g_thread_join(tb);
    assert_true(a.hit && b.hit);
    assert_true(g_bytes_equal(a.png, shot) && g_bytes_equal(b.png, shot));
    g_bytes_unref(a.png);
    g_bytes_unref(b.png);
    g_free(a.etag);
    g_free(b.etag);

    /* A claimer that fails hands the claim to one waiter, which then asks
     * QEMU itself; the cache keeps no trace of the failure. */
    api_shot_cache_free(c);
    c = api_shot_cache_new(60 * S, 8, 1 << 20, 600 * S);
    assert_false(api_shot_cache_get(c, "u", 320, g_get_monotonic_time(), &png, &etag));
    Asker w = {.cache = c};
    GThread *tw = g_thread_new("asker-w", ask, &w);
    wait_for_waiters(c, 1);
    api_shot_cache_drop(c, "u", 320);
    g_thread_join(tw);
    assert_false(w.hit);
    api_shot_cache_drop(c, "u", 320);
    api_shot_cache_free(c);

    /* A claimer that takes too long (a hung display): the waiter gives up
     * after wait_us and asks too. */
    c = api_shot_cache_new(60 * S, 8, 1 << 20, 1000);
    assert_false(api_shot_cache_get(c, "u", 320, g_get_monotonic_time(), &png, &etag));
    Asker late = {.cache = c};
    ask(&late);
    assert_false(late.hit);
    /* Both claimers end; the later put wins. */
    g_autoptr(GBytes) second = bytes_of("second");
    api_shot_cache_put(c, "u", 320, shot, "\"1\"", g_get_monotonic_time());
    api_shot_cache_put(c, "u", 320, second, "\"2\"", g_get_monotonic_time());
    assert_hit(c, "u", g_get_monotonic_time(), "\"2\"");
    api_shot_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ppm_good),
        cmocka_unit_test(test_ppm_malformed),
        cmocka_unit_test(test_scale_checkerboard),
        cmocka_unit_test(test_scale_fractions),
        cmocka_unit_test(test_scale_sizes_and_aspect),
        cmocka_unit_test(test_png_round_trip),
        cmocka_unit_test(test_png_malformed),
        cmocka_unit_test_setup_teardown(test_capture_on_test_driver, unit_libvirt_setup,
                                        unit_libvirt_teardown),
        cmocka_unit_test(test_cache_hits_and_expiry),
        cmocka_unit_test(test_cache_bounds),
        cmocka_unit_test(test_cache_single_flight),
    };
    return cmocka_run_group_tests_name("screenshot", tests, NULL, NULL);
}
