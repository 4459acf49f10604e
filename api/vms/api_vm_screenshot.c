/* GET /api/vms/{vm}/screenshot: a PNG thumbnail of the VM's screen, for
 * lists that show what each VM is doing. Kept a moment per VM and width
 * (api_screenshot_cache.h) so many viewers cost QEMU one render. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/vms/api_screenshot_cache.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_image.h"
#include "virt/virt_screenshot.h"

#define WIDTH_MIN 16
#define WIDTH_MAX 1920
#define WIDTH_DEFAULT 320

static gboolean parse_width(const ApiRequest *req, guint *out, GError **error)
{
    static const char *const allowed[] = {"width", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *text = api_query_get(req, "width");
    guint64 width = WIDTH_DEFAULT;
    if (text && !g_ascii_string_to_unsigned(text, 10, WIDTH_MIN, WIDTH_MAX, &width, NULL))
        return api_invalid(error, "width must be a whole number from %d to %d, not '%s'", WIDTH_MIN,
                           WIDTH_MAX, text);
    *out = (guint)width;
    return TRUE;
}

/* Running, paused, shutting down or asleep: QEMU is there and so is its
 * screen (a paused VM's screen is the frozen one). */
static gboolean check_has_qemu(virDomainPtr dom, GError **error)
{
    int state = VIR_DOMAIN_NOSTATE;
    if (virDomainGetState(dom, &state, NULL, 0) < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return FALSE;
    }
    if (state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED && state != VIR_DOMAIN_NOSTATE)
        return TRUE;
    return api_fail(error, API_ERROR_CONFLICT,
                    "VM '%s' is %s; only a running or paused VM has a screen to show",
                    virDomainGetName(dom), virt_domain_state_name(state));
}

/* A failed screenshot of a VM without a screen says so, as a 409 (its
 * configuration is the conflict, the same kind of answer as a shut-off
 * VM, and no server fault worth a 5xx in anyone's alerts); any other
 * failure keeps libvirt's error. */
static gboolean explain_failure(virDomainPtr dom, GError **error)
{
    gboolean has_screen = TRUE;
    g_autoptr(GError) ignored = NULL;
    if (!virt_screenshot_has_screen(dom, &has_screen, &ignored) || has_screen)
        return FALSE;
    g_clear_error(error);
    return api_fail(error, API_ERROR_CONFLICT,
                    "VM '%s' has no display (it was made with graphics \"none\"), so there is "
                    "no screen to show",
                    virDomainGetName(dom));
}

static double ms_since(gint64 *t)
{
    gint64 now = g_get_monotonic_time();
    double ms = (double)(now - *t) / 1000.0;
    *t = now;
    return ms;
}

/* Asks QEMU for the screen and makes the thumbnail, logging what each
 * step cost (at debug level: the API tier counts these lines to see that
 * a cached shot did not reach libvirt). */
static GBytes *make_thumbnail(virDomainPtr dom, const char *uuid, guint width, guint64 req_id,
                              GError **error)
{
    gint64 t = g_get_monotonic_time();
    g_autofree char *mime = NULL;
    g_autoptr(GBytes) raw = virt_screenshot_take(dom, &mime, error);
    if (!raw) {
        explain_failure(dom, error);
        return NULL;
    }
    double take_ms = ms_since(&t);
    gsize raw_len = 0;
    const guint8 *raw_data = g_bytes_get_data(raw, &raw_len);
    g_autoptr(VirtImage) full = virt_image_read(mime, raw_data, raw_len, error);
    if (!full)
        return NULL;
    double read_ms = ms_since(&t);
    g_autoptr(VirtImage) small = virt_image_scale(full, width);
    double scale_ms = ms_since(&t);
    GBytes *png = virt_image_write_png(small, error);
    if (!png)
        return NULL;
    g_debug("req=%" G_GUINT64_FORMAT " screenshot of %s from libvirt: %.1f ms (%s %ux%u, %zu "
            "bytes), decode %.1f ms, scale %.1f ms (to %ux%u), encode %.1f ms (%zu bytes)",
            req_id, uuid, take_ms, mime, full->width, full->height, raw_len, read_ms, scale_ms,
            small->width, small->height, ms_since(&t), g_bytes_get_size(png));
    return png;
}

static char *etag_of(GBytes *png)
{
    g_autofree char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, png);
    return g_strdup_printf("\"%.24s\"", sum);
}

gboolean api_vm_screenshot_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                               GError **error)
{
    guint width = WIDTH_DEFAULT;
    if (!parse_width(req, &width, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (!dom || virDomainGetUUIDString(dom, uuid) < 0)
        return dom ? api_fail(error, API_ERROR_INTERNAL, "reading the VM's UUID failed") : FALSE;
    /* Checked even when a shot is kept: a VM that stopped a moment ago
     * answers 409 at once, not with its last screen. */
    if (!check_has_qemu(dom, error))
        return FALSE;
    g_autoptr(GBytes) png = NULL;
    g_autofree char *etag = NULL;
    ApiShotCache *cache = ctx->screenshots;
    if (!cache || !api_shot_cache_get(cache, uuid, width, g_get_monotonic_time(), &png, &etag)) {
        gint64 asked = g_get_monotonic_time();
        png = make_thumbnail(dom, uuid, width, req->id, error);
        if (!png) {
            if (cache)
                api_shot_cache_drop(cache, uuid, width);
            return FALSE;
        }
        etag = etag_of(png);
        if (cache)
            api_shot_cache_put(cache, uuid, width, png, etag, asked);
    }
    /* The screen is live and may show what should not linger in a
     * browser's disk cache: no-store. Clients that keep the ETag
     * themselves still get 304 for a screen that did not change. */
    api_response_header(resp, "ETag", etag);
    api_response_header(resp, "Cache-Control", "no-store");
    if (req->if_none_match && api_etag_matches(req->if_none_match, etag)) {
        resp->status = 304;
        return TRUE;
    }
    resp->status = 200;
    resp->raw = g_steal_pointer(&png);
    resp->raw_type = "image/png";
    return TRUE;
}
