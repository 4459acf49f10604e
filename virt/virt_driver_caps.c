/* Parses capability XML into VirtDriverCaps (virt_driver_caps.h). The
 * documents come from the hypervisor's side of a connection, which may be
 * another machine: they are parsed as untrusted XML and every list is
 * bounded. */
#include "virt/virt_driver_caps.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <string.h>

/* More distinct values than any real driver lists. */
#define CAPS_LIST_MAX 64

void virt_driver_caps_free(VirtDriverCaps *c)
{
    if (!c)
        return;
    g_strfreev(c->os_types);
    g_strfreev(c->arches);
    g_strfreev(c->domain_types);
    g_free(c->host_arch);
    g_strfreev(c->graphics);
    g_strfreev(c->disk_devices);
    g_strfreev(c->disk_buses);
    g_strfreev(c->firmware);
    g_strfreev(c->cpu_modes);
    g_free(c);
}

/* The distinct string values of `expr`, in document order (never NULL). */
static GStrv distinct(xmlXPathContext *ctx, const char *expr)
{
    g_autoptr(xmlXPathObject) nodes = virt_xml_nodes(ctx, NULL, expr);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < virt_xml_count(nodes) && g_hash_table_size(seen) < CAPS_LIST_MAX; i++) {
        g_autofree char *v = virt_xml_string(ctx, nodes->nodesetval->nodeTab[i], ".");
        if (v && *v && strlen(v) <= 64 && g_hash_table_add(seen, g_strdup(v)))
            g_strv_builder_add(b, v);
    }
    return g_strv_builder_end(b);
}

static xmlDoc *parse_root(const char *xml, gsize len, const char *root, GError **error)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(xmlDoc) doc = xml ? virt_xml_parse(xml, len, &err) : NULL;
    xmlNode *top = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!top || strcmp((const char *)top->name, root) != 0) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "the driver's answer is not a <%s> document%s%s",
                  root, err ? ": " : "", err ? err->message : "");
        return NULL;
    }
    return g_steal_pointer(&doc);
}

VirtDriverCaps *virt_driver_caps_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = parse_root(xml, len, "capabilities", error);
    if (!doc)
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    VirtDriverCaps *c = g_new0(VirtDriverCaps, 1);
    c->os_types = distinct(ctx, "/capabilities/guest/os_type");
    c->arches = distinct(ctx, "/capabilities/guest/arch/@name");
    c->domain_types = distinct(ctx, "/capabilities/guest/arch/domain/@type");
    c->host_arch = virt_xml_string(ctx, NULL, "/capabilities/host/cpu/arch");
    return c;
}

gboolean virt_driver_caps_add_domcaps(VirtDriverCaps *c, const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = parse_root(xml, len, "domainCapabilities", error);
    if (!doc)
        return FALSE;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    const char *dev = "/domainCapabilities/devices";
    g_autofree char *graphics = g_strdup_printf(
        "%s/graphics[@supported='yes']/enum[@name='type']/value", dev);
    g_autofree char *disk_devices = g_strdup_printf(
        "%s/disk[@supported='yes']/enum[@name='diskDevice']/value", dev);
    g_autofree char *disk_buses = g_strdup_printf(
        "%s/disk[@supported='yes']/enum[@name='bus']/value", dev);
    c->has_domcaps = TRUE;
    g_strfreev(c->graphics);
    c->graphics = distinct(ctx, graphics);
    g_strfreev(c->disk_devices);
    c->disk_devices = distinct(ctx, disk_devices);
    g_strfreev(c->disk_buses);
    c->disk_buses = distinct(ctx, disk_buses);
    g_strfreev(c->firmware);
    c->firmware = distinct(ctx, "/domainCapabilities/os[@supported='yes']/enum[@name='firmware']"
                                "/value");
    g_strfreev(c->cpu_modes);
    c->cpu_modes = distinct(ctx, "/domainCapabilities/cpu/mode[@supported='yes']/@name");
    return TRUE;
}
