/* Boot order and device look-ups on domain XML text, with libxml2. */
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <string.h>

#define BOOT_DEVS_MAX 4

static const char *const boot_devs[] = {"hd", "cdrom", "network", "fd", NULL};

gboolean virt_boot_dev_valid(const char *dev)
{
    return dev && g_strv_contains(boot_devs, dev);
}

gboolean virt_boot_order_valid(const char *const *devs, GError **error)
{
    guint n = devs ? g_strv_length((char **)devs) : 0;
    if (n > BOOT_DEVS_MAX) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "a boot order has at most %d devices", BOOT_DEVS_MAX);
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        if (!virt_boot_dev_valid(devs[i])) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                        "unknown boot device '%s' (hd, cdrom, network, fd)", devs[i]);
            return FALSE;
        }
        for (guint k = 0; k < i; k++)
            if (strcmp(devs[k], devs[i]) == 0) {
                g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                            "boot device '%s' is listed twice", devs[i]);
                return FALSE;
            }
    }
    return TRUE;
}

static void unlink_all(xmlXPathObject *set)
{
    for (int i = 0; i < virt_xml_count(set); i++) {
        xmlNode *n = set->nodesetval->nodeTab[i];
        xmlUnlinkNode(n);
        xmlFreeNode(n);
    }
}

static gboolean is_domain(xmlDoc *doc, GError **error)
{
    if (xmlStrEqual(xmlDocGetRootElement(doc)->name, (const xmlChar *)"domain"))
        return TRUE;
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "not a domain XML document");
    return FALSE;
}

char *virt_domain_xml_set_boot(const char *xml, const char *const *devs, GError **error)
{
    if (!virt_boot_order_valid(devs, error))
        return NULL;
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc || !is_domain(doc, error))
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(xmlXPathObject) os_set = virt_xml_nodes(ctx, NULL, "/domain/os");
    if (virt_xml_count(os_set) != 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "the domain has no <os> element");
        return NULL;
    }
    xmlNode *os = os_set->nodesetval->nodeTab[0];
    g_autoptr(xmlXPathObject) old = virt_xml_nodes(ctx, NULL, "/domain/os/boot");
    unlink_all(old);
    g_autoptr(xmlXPathObject) per_device = virt_xml_nodes(ctx, NULL, "/domain/devices/*/boot");
    unlink_all(per_device);
    /* libvirt wants <boot> after <type>, <loader>, <kernel>... and before
     * <bootmenu>, <smbios> and the rest: place them after the last of the
     * elements that precede it. */
    static const char *const before[] = {"type", "firmware", "loader", "nvram", "kernel",
                                         "initrd", "cmdline", "dtb", "acpi", "init",
                                         "initarg", "initenv", "initdir", "inituser",
                                         "initgroup", "idmap", NULL};
    xmlNode *anchor = NULL;
    for (xmlNode *c = os->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && g_strv_contains(before, (const char *)c->name))
            anchor = c;
    for (guint i = 0; devs && devs[i]; i++) {
        xmlNode *boot = xmlNewNode(NULL, (const xmlChar *)"boot");
        xmlSetProp(boot, (const xmlChar *)"dev", (const xmlChar *)devs[i]);
        if (anchor)
            anchor = xmlAddNextSibling(anchor, boot);
        else
            anchor = os->children ? xmlAddPrevSibling(os->children, boot) : xmlAddChild(os, boot);
    }
    return virt_xml_dump(doc);
}

/* Serializes the one element `expr` selects, NOT_FOUND naming `what`. */
static char *one_element(const char *xml, const char *expr, const char *what, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc || !is_domain(doc, error))
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, expr);
    if (virt_xml_count(set) < 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "the VM has no %s", what);
        return NULL;
    }
    /* A copy: the parsed document's strings live in its dictionary. */
    g_autoptr(xmlDoc) out = xmlNewDoc((const xmlChar *)"1.0");
    xmlDocSetRootElement(out, xmlDocCopyNode(set->nodesetval->nodeTab[0], out, 1));
    return virt_xml_dump(out);
}

/* An XPath string literal for a value that cannot hold both quote kinds;
 * values here are validated names, but a quote must never end the literal. */
static gboolean xpath_safe(const char *value)
{
    return value && *value && !strchr(value, '\'') && !strchr(value, '"');
}

char *virt_domain_xml_disk(const char *xml, const char *target, GError **error)
{
    g_autofree char *what = g_strdup_printf("disk '%s'", target ? target : "");
    if (!xpath_safe(target)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "the VM has no %s", what);
        return NULL;
    }
    g_autofree char *expr = g_strdup_printf("/domain/devices/disk[target/@dev='%s']", target);
    return one_element(xml, expr, what, error);
}

char *virt_domain_xml_nic(const char *xml, const char *mac, GError **error)
{
    g_autofree char *what = g_strdup_printf("NIC with MAC '%s'", mac ? mac : "");
    if (!xpath_safe(mac)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "the VM has no %s", what);
        return NULL;
    }
    g_autofree char *lower = g_ascii_strdown(mac, -1);
    g_autofree char *expr = g_strdup_printf(
        "/domain/devices/interface[translate(mac/@address,'ABCDEF','abcdef')='%s']", lower);
    return one_element(xml, expr, what, error);
}
