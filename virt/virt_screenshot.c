/* virDomainScreenshot: asking libvirt for the screen and reading the
 * stream it answers on, whole and bounded; and the domain XML's answer to
 * "is there a screen?", asked only when a screenshot failed. */
#include "virt/virt_screenshot.h"
#include "virt/virt_error.h"
#include "virt/virt_volume_copy.h"
#include "virt/virt_xml.h"

#include <string.h>

#define RECV_CHUNK (256 * 1024)

static GBytes *stream_failed(virStreamPtr st, GError **error, const char *what)
{
    virt_error_from_libvirt(error, what);
    virt_stream_abort(st);
    return NULL;
}

GBytes *virt_screenshot_take(virDomainPtr dom, char **ret_mime, GError **error)
{
    g_autoptr(virStream) st = virStreamNew(virDomainGetConnect(dom), 0);
    if (!st) {
        virt_error_from_libvirt(error, "taking a screenshot");
        return NULL;
    }
    g_autofree char *mime = virDomainScreenshot(dom, st, 0, 0);
    if (!mime)
        return stream_failed(st, error, "taking a screenshot");
    g_autoptr(GByteArray) data = g_byte_array_new();
    for (;;) {
        /* Room for one more chunk, never past the bound. */
        gsize room = MIN((gsize)RECV_CHUNK, VIRT_SCREENSHOT_MAX_BYTES + 1 - data->len);
        guint old = data->len;
        g_byte_array_set_size(data, old + (guint)room);
        int n = virStreamRecv(st, (char *)data->data + old, room);
        if (n < 0)
            return stream_failed(st, error, "reading the screenshot");
        g_byte_array_set_size(data, old + (guint)n);
        if (n == 0)
            break;
        if (data->len > VIRT_SCREENSHOT_MAX_BYTES) {
            virt_stream_abort(st);
            virt_fail(error, VIRT_ERROR_UNSUPPORTED, "the screenshot is larger than %zu MiB",
                      VIRT_SCREENSHOT_MAX_BYTES >> 20);
            return NULL;
        }
    }
    if (virStreamFinish(st) < 0)
        return stream_failed(st, error, "reading the screenshot");
    *ret_mime = g_steal_pointer(&mime);
    return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

gboolean virt_screenshot_has_screen(virDomainPtr dom, gboolean *ret_has, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    if (!xml) {
        virt_error_from_libvirt(error, "reading the VM's devices");
        return FALSE;
    }
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc)
        return FALSE;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(xmlXPathObject)
        screens = virt_xml_nodes(ctx, NULL, "/domain/devices/video[not(model/@type='none')]");
    *ret_has = virt_xml_count(screens) > 0;
    return TRUE;
}
