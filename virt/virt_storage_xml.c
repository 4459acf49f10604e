/* Builds the pool and volume XML that Vireo sends to libvirt and reads the
 * few members it shows from what libvirt answers. */
#include "virt/virt_storage_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <string.h>

#define NAME_MAX_BYTES 255

static const char *const formats[] = {"raw", "qcow2", "vdi", "vmdk", NULL};

gboolean virt_storage_format_valid(const char *format)
{
    return format && g_strv_contains(formats, format);
}

static gboolean invalid(GError **error, const char *fmt, const char *what)
{
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, fmt, what);
    return FALSE;
}

gboolean virt_storage_name_valid(const char *name, GError **error)
{
    gsize n = name ? strlen(name) : 0;
    if (n == 0 || n > NAME_MAX_BYTES)
        return invalid(error, "a name must be 1 to 255 bytes%s", "");
    if (!g_utf8_validate(name, -1, NULL))
        return invalid(error, "a name must be UTF-8%s", "");
    if (name[0] == '.')
        return invalid(error, "invalid name '%s': it must not start with '.'", name);
    for (const char *c = name; *c; c++)
        /* '/' would make a volume's file land outside its pool's directory. */
        if (*c == '/' || (guchar)*c < 0x20 || *c == 0x7f)
            return invalid(error, "invalid name '%s': no '/' or control characters", name);
    return TRUE;
}

char *virt_vol_xml(const char *name, guint64 capacity, const char *format, const char *backing_path,
                   const char *backing_format, GError **error)
{
    if (!virt_storage_name_valid(name, error))
        return NULL;
    if (!virt_storage_format_valid(format)) {
        invalid(error, "unknown volume format '%s' (raw, qcow2, vdi, vmdk)", format ? format : "");
        return NULL;
    }
    if (capacity == 0) {
        invalid(error, "the capacity must be above 0 bytes%s", "");
        return NULL;
    }
    if (backing_path && strcmp(format, "qcow2") != 0) {
        invalid(error, "only qcow2 volumes may have a backing volume, not %s", format);
        return NULL;
    }
    g_autoptr(xmlDoc) doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNode *vol = xmlNewNode(NULL, (const xmlChar *)"volume");
    xmlDocSetRootElement(doc, vol);
    virt_xml_text_child(vol, "name", name);
    g_autofree char *cap = g_strdup_printf("%" G_GUINT64_FORMAT, capacity);
    xmlSetProp(virt_xml_text_child(vol, "capacity", cap), (const xmlChar *)"unit",
               (const xmlChar *)"bytes");
    /* Allocation 0: files are sparse, space is taken as the guest writes. */
    xmlSetProp(virt_xml_text_child(vol, "allocation", "0"), (const xmlChar *)"unit",
               (const xmlChar *)"bytes");
    xmlNode *target = xmlNewChild(vol, NULL, (const xmlChar *)"target", NULL);
    xmlSetProp(xmlNewChild(target, NULL, (const xmlChar *)"format", NULL), (const xmlChar *)"type",
               (const xmlChar *)format);
    if (backing_path) {
        xmlNode *bs = xmlNewChild(vol, NULL, (const xmlChar *)"backingStore", NULL);
        virt_xml_text_child(bs, "path", backing_path);
        xmlSetProp(xmlNewChild(bs, NULL, (const xmlChar *)"format", NULL), (const xmlChar *)"type",
                   (const xmlChar *)(backing_format ? backing_format : "raw"));
    }
    return virt_xml_dump(doc);
}

static xmlDoc *parse_root(const char *xml, gsize len, const char *root, xmlXPathContext **ctx,
                          GError **error)
{
    xmlDoc *doc = virt_xml_parse(xml, len, error);
    if (!doc)
        return NULL;
    if (!xmlStrEqual(xmlDocGetRootElement(doc)->name, (const xmlChar *)root)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "not a %s XML document", root);
        xmlFreeDoc(doc);
        return NULL;
    }
    *ctx = xmlXPathNewContext(doc);
    return doc;
}

void virt_vol_config_free(VirtVolConfig *c)
{
    if (!c)
        return;
    g_free(c->format);
    g_free(c->backing_path);
    g_free(c);
}

VirtVolConfig *virt_vol_config_parse(const char *xml, gsize len, GError **error)
{
    xmlXPathContext *raw_ctx = NULL;
    g_autoptr(xmlDoc) doc = parse_root(xml, len, "volume", &raw_ctx, error);
    if (!doc)
        return NULL;
    g_autoptr(xmlXPathContext) ctx = raw_ctx;
    VirtVolConfig *c = g_new0(VirtVolConfig, 1);
    c->format = virt_xml_string(ctx, NULL, "/volume/target/format/@type");
    c->backing_path = virt_xml_string(ctx, NULL, "/volume/backingStore/path");
    static const char *const stamps[] = {"/volume/target/timestamps/mtime",
                                         "/volume/target/timestamps/ctime"};
    for (gsize i = 0; i < G_N_ELEMENTS(stamps); i++) {
        /* "seconds.nanoseconds" */
        g_autofree char *t = virt_xml_string(ctx, NULL, stamps[i]);
        guint64 secs;
        if (t)
            t[strcspn(t, ".")] = '\0';
        if (t && g_ascii_string_to_unsigned(t, 10, 0, G_MAXINT64, &secs, NULL))
            c->changed_at = MAX(c->changed_at, (gint64)secs);
    }
    return c;
}
