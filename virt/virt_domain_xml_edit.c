/* Boot order and device look-ups on domain XML text, with libxml2. */
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_domain_xml.h"
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

/* Replaces the <os><boot> list of `doc` by `devs` and drops per-device
 * boot orders (libvirt refuses both kinds in one domain). */
static gboolean set_boot_doc(xmlDoc *doc, const char *const *devs, GError **error)
{
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(xmlXPathObject) os_set = virt_xml_nodes(ctx, NULL, "/domain/os");
    if (virt_xml_count(os_set) != 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "the domain has no <os> element");
        return FALSE;
    }
    xmlNode *os = os_set->nodesetval->nodeTab[0];
    g_autoptr(xmlXPathObject) old = virt_xml_nodes(ctx, NULL, "/domain/os/boot");
    unlink_all(old);
    g_autoptr(xmlXPathObject) per_device = virt_xml_nodes(ctx, NULL, "/domain/devices/*/boot");
    unlink_all(per_device);
    /* libvirt wants <boot> after <type>, <loader>, <kernel>... and before
     * <bootmenu>, <smbios> and the rest: place them after the last of the
     * elements that precede it. */
    static const char *const before[] = {
        "type", "firmware", "loader",  "nvram",   "kernel",   "initrd",    "cmdline", "dtb", "acpi",
        "init", "initarg",  "initenv", "initdir", "inituser", "initgroup", "idmap",   NULL};
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
    return TRUE;
}

char *virt_domain_xml_set_boot(const char *xml, const char *const *devs, GError **error)
{
    if (!virt_boot_order_valid(devs, error))
        return NULL;
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc || !is_domain(doc, error) || !set_boot_doc(doc, devs, error))
        return NULL;
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

char *virt_domain_xml_drop_disk(const char *xml, const char *target, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc || !is_domain(doc, error))
        return NULL;
    g_autofree char *expr = g_strdup_printf("/domain/devices/disk[target/@dev='%s']",
                                            xpath_safe(target) ? target : "");
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, expr);
    if (virt_xml_count(set) < 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "the VM has no disk '%s'",
                    target ? target : "");
        return NULL;
    }
    unlink_all(set);
    return virt_xml_dump(doc);
}

char *virt_domain_xml_set_name(const char *xml, const char *name, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc || !is_domain(doc, error))
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, "/domain/name");
    if (virt_xml_count(set) < 1) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "the definition has no name");
        return NULL;
    }
    xmlNodeSetContent(set->nodesetval->nodeTab[0], NULL);
    xmlNodeAddContent(set->nodesetval->nodeTab[0], (const xmlChar *)name);
    return virt_xml_dump(doc);
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

/* ---- after an install ---- */

/* Takes the medium out of one CD-ROM <disk> element; TRUE when it held one. */
static gboolean empty_drive(xmlNode *disk)
{
    gboolean had = FALSE;
    for (xmlNode *c = disk->children, *next; c; c = next) {
        next = c->next;
        if (c->type == XML_ELEMENT_NODE &&
            (xmlStrEqual(c->name, (const xmlChar *)"source") ||
             xmlStrEqual(c->name, (const xmlChar *)"backingStore"))) {
            had = had || xmlStrEqual(c->name, (const xmlChar *)"source");
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    /* An empty tray of a network or volume drive is refused: a file drive
     * with no file is libvirt's empty tray. */
    if (had)
        xmlSetProp(disk, (const xmlChar *)"type", (const xmlChar *)"file");
    return had;
}

char *virt_domain_xml_cdrom_emptied(const char *xml, const char *target, GError **error)
{
    g_autofree char *disk = virt_domain_xml_disk(xml, target, error);
    if (!disk)
        return NULL;
    g_autoptr(xmlDoc) doc = virt_xml_parse(disk, strlen(disk), error);
    if (!doc)
        return NULL;
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autofree char *device = (char *)xmlGetProp(root, (const xmlChar *)"device");
    if (g_strcmp0(device, "cdrom") != 0) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "disk '%s' is not a CD-ROM drive",
                    target);
        return NULL;
    }
    empty_drive(root);
    return virt_xml_dump(doc);
}

static unsigned boot_order_of(xmlNode *boot)
{
    g_autofree char *text = (char *)xmlGetProp(boot, (const xmlChar *)"order");
    guint64 v = 0;
    if (!text || !g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT, &v, NULL))
        return G_MAXUINT;
    return (unsigned)v;
}

static gint by_boot_order(gconstpointer a, gconstpointer b)
{
    unsigned x = boot_order_of(*(xmlNode *const *)a), y = boot_order_of(*(xmlNode *const *)b);
    return x < y ? -1 : x > y;
}

/* Per-device <boot order='N'/>: the disks' first, each group in its old
 * order, numbered from 1 again. A device without one does not boot at all
 * in this scheme, so when no disk has one (a VM that booted from the
 * network), the first disk gets one. TRUE when anything moved. */
static gboolean disks_first_per_device(xmlXPathContext *ctx)
{
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, "/domain/devices/*/boot");
    if (virt_xml_count(set) == 0)
        return FALSE;
    g_autoptr(xmlXPathObject) disk_boots = virt_xml_nodes(
        ctx, NULL, "/domain/devices/disk[not(@device) or @device='disk']/boot");
    g_autoptr(xmlXPathObject)
        disks = virt_xml_nodes(ctx, NULL, "/domain/devices/disk[not(@device) or @device='disk']");
    if (virt_xml_count(disk_boots) == 0 && virt_xml_count(disks) > 0) {
        /* Order 0 sorts before every other, then is renumbered 1. */
        virt_xml_attr_child(disks->nodesetval->nodeTab[0], "boot", "order", "0");
        g_clear_pointer(&set, xmlXPathFreeObject);
        set = virt_xml_nodes(ctx, NULL, "/domain/devices/*/boot");
    }
    g_autoptr(GPtrArray) boots = g_ptr_array_new();
    for (int i = 0; i < virt_xml_count(set); i++)
        g_ptr_array_add(boots, set->nodesetval->nodeTab[i]);
    g_ptr_array_sort(boots, by_boot_order);
    g_autoptr(GPtrArray) ordered = g_ptr_array_new();
    for (int pass = 0; pass < 2; pass++)
        for (guint i = 0; i < boots->len; i++) {
            xmlNode *dev = ((xmlNode *)g_ptr_array_index(boots, i))->parent;
            g_autofree char *kind = (char *)xmlGetProp(dev, (const xmlChar *)"device");
            gboolean disk = xmlStrEqual(dev->name, (const xmlChar *)"disk") &&
                            (!kind || strcmp(kind, "disk") == 0);
            if (disk == (pass == 0))
                g_ptr_array_add(ordered, g_ptr_array_index(boots, i));
        }
    gboolean moved = FALSE;
    for (guint i = 0; i < ordered->len; i++) {
        xmlNode *boot = g_ptr_array_index(ordered, i);
        if (boot_order_of(boot) != i + 1) {
            char text[16];
            g_snprintf(text, sizeof text, "%u", i + 1);
            xmlSetProp(boot, (const xmlChar *)"order", (const xmlChar *)text);
            moved = TRUE;
        }
    }
    return moved;
}

char *virt_domain_xml_eject_installer(const char *xml, GStrv *emptied, gboolean *boot_changed,
                                      GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), error);
    if (!doc || !is_domain(doc, error))
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(GStrvBuilder) targets = g_strv_builder_new();
    g_autoptr(xmlXPathObject) drives = virt_xml_nodes(
        ctx, NULL,
        "/domain/devices/disk[@device='cdrom'][not(starts-with(alias/@name, "
        "'" VIRT_DISK_ALIAS_OWNED "'))]");
    for (int i = 0; i < virt_xml_count(drives); i++) {
        xmlNode *disk = drives->nodesetval->nodeTab[i];
        g_autofree char *target = virt_xml_string(ctx, disk, "target/@dev");
        if (empty_drive(disk))
            g_strv_builder_add(targets, target ? target : "");
    }
    gboolean changed = FALSE;
    g_autoptr(xmlXPathObject) boots = virt_xml_nodes(ctx, NULL, "/domain/os/boot");
    if (virt_xml_count(boots) > 0) {
        /* "hd" in front, the others after it in their old order. */
        g_autoptr(GPtrArray) devs = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(devs, g_strdup("hd"));
        for (int i = 0; i < virt_xml_count(boots); i++) {
            char *dev = virt_xml_string(ctx, boots->nodesetval->nodeTab[i], "@dev");
            if (i == 0 && g_strcmp0(dev, "hd") != 0)
                changed = TRUE;
            if (dev && strcmp(dev, "hd") != 0)
                g_ptr_array_add(devs, dev);
            else
                g_free(dev);
        }
        g_ptr_array_add(devs, NULL);
        if (changed && !set_boot_doc(doc, (const char *const *)devs->pdata, error))
            return NULL;
    } else {
        changed = disks_first_per_device(ctx);
    }
    if (emptied)
        *emptied = g_strv_builder_end(targets);
    if (boot_changed)
        *boot_changed = changed;
    return virt_xml_dump(doc);
}
