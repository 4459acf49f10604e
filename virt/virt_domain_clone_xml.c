/* A clone's definition from its source's (see virt_domain_clone_xml.h). */
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <libxml/tree.h>
#include <string.h>

static gboolean is_sep(char c)
{
    return c && strchr("-_.", c);
}

char *virt_clone_path(const char *path, const char *old_name, const char *old_uuid,
                      const char *name, const char *uuid)
{
    if (!path || !old_name || !*old_name)
        return NULL;
    if (old_uuid && *old_uuid && strstr(path, old_uuid)) {
        g_auto(GStrv) parts = g_strsplit(path, old_uuid, -1);
        return g_strjoinv(uuid, parts);
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    gsize n = strlen(old_name);
    for (const char *p = strstr(base, old_name); p; p = strstr(p + 1, old_name)) {
        gboolean starts = p == base || is_sep(p[-1]);
        gboolean ends = p[n] == '\0' || is_sep(p[n]);
        if (starts && ends)
            return g_strdup_printf("%.*s%s%s", (int)(p - path), path, name, p + n);
    }
    return NULL;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST name))
            return c;
    return NULL;
}

static void drop_children(xmlNode *parent, const char *name)
{
    xmlNode *c;
    while ((c = child(parent, name))) {
        xmlUnlinkNode(c);
        xmlFreeNode(c);
    }
}

static void drop(xmlNode *n)
{
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

/* The <disk> whose target is `target`, or NULL. */
static xmlNode *find_disk(xmlXPathContext *ctx, const char *target)
{
    g_autoptr(xmlXPathObject) disks = virt_xml_nodes(ctx, NULL, "/domain/devices/disk");
    for (int i = 0; i < virt_xml_count(disks); i++) {
        xmlNode *d = disks->nodesetval->nodeTab[i];
        g_autofree char *dev = virt_xml_string(ctx, d, "target/@dev");
        if (g_strcmp0(dev, target) == 0)
            return d;
    }
    return NULL;
}

static void set_source(xmlNode *parent, const char *path)
{
    gboolean block = g_str_has_prefix(path, "/dev/");
    xmlSetProp(parent, BAD_CAST "type", BAD_CAST(block ? "block" : "file"));
    virt_xml_attr_child(parent, "source", block ? "dev" : "file", path);
}

static gboolean move_disk(xmlXPathContext *ctx, const VirtDiskMove *m, GError **error)
{
    xmlNode *disk = find_disk(ctx, m->target);
    if (!disk)
        return virt_fail(error, VIRT_ERROR_NOT_FOUND, "the VM has no disk '%s'", m->target);
    drop_children(disk, "source");
    drop_children(disk, "backingStore");
    set_source(disk, m->path);
    xmlNode *driver = child(disk, "driver");
    if (!driver) {
        driver = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
        xmlSetProp(driver, BAD_CAST "name", BAD_CAST "qemu");
    }
    xmlSetProp(driver, BAD_CAST "type", BAD_CAST m->format);
    if (m->backing) {
        xmlNode *store = xmlNewChild(disk, NULL, BAD_CAST "backingStore", NULL);
        virt_xml_attr_child(store, "format", "type", m->backing_format ? m->backing_format : "raw");
        set_source(store, m->backing);
        /* An empty <backingStore/> ends the chain: libvirt probes no further. */
        xmlNewChild(store, NULL, BAD_CAST "backingStore", NULL);
    }
    return TRUE;
}

static xmlDoc *parse_domain(const char *xml, xmlXPathContext **ctx_out, GError **error)
{
    xmlDoc *doc = virt_xml_parse(xml, strlen(xml), error);
    if (doc && !xmlStrEqual(xmlDocGetRootElement(doc)->name, BAD_CAST "domain")) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "not a domain XML document");
        xmlFreeDoc(doc);
        return NULL;
    }
    if (doc)
        *ctx_out = xmlXPathNewContext(doc);
    return doc;
}

char *virt_domain_xml_move_disks(const char *xml, const VirtDiskMove *moves, guint n_moves,
                                 GError **error)
{
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlDoc) doc = parse_domain(xml, &ctx, error);
    if (!doc)
        return NULL;
    for (guint i = 0; i < n_moves; i++)
        if (!move_disk(ctx, &moves[i], error))
            return NULL;
    return virt_xml_dump(doc);
}

/* Sets the text of `parent`'s child `name`, making it when missing. */
static void set_text(xmlNode *parent, const char *name, const char *text)
{
    xmlNode *n = child(parent, name);
    if (n)
        xmlNodeSetContent(n, NULL);
    else
        n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    xmlNodeAddContent(n, BAD_CAST text);
}

typedef struct {
    const char *old_name, *old_uuid, *name, *uuid;
} Rename;

/* A per-VM file (the @file of a <log>, the text of an <nvram>): renamed
 * when it names the VM, else left out. */
static void rename_file(xmlXPathContext *ctx, xmlNode *n, const char *attr, const Rename *r)
{
    g_autofree char *path = virt_xml_string(ctx, n, attr ? attr : ".");
    g_autofree char *renamed = virt_clone_path(path, r->old_name, r->old_uuid, r->name, r->uuid);
    if (!renamed) {
        drop(n);
    } else if (attr) {
        xmlSetProp(n, BAD_CAST(attr + 1), BAD_CAST renamed);
    } else {
        xmlNodeSetContent(n, NULL);
        xmlNodeAddContent(n, BAD_CAST renamed);
    }
}

static void rename_files(xmlXPathContext *ctx, const Rename *r)
{
    g_autoptr(xmlXPathObject) logs = virt_xml_nodes(ctx, NULL, "/domain/devices/*/log[@file]");
    for (int i = 0; i < virt_xml_count(logs); i++)
        rename_file(ctx, logs->nodesetval->nodeTab[i], "@file", r);
    g_autoptr(xmlXPathObject) nvram = virt_xml_nodes(ctx, NULL, "/domain/os/nvram");
    for (int i = 0; i < virt_xml_count(nvram); i++)
        rename_file(ctx, nvram->nodesetval->nodeTab[i], NULL, r);
}

char *virt_domain_xml_clone(const char *xml, const char *name, const char *uuid,
                            const VirtDiskMove *moves, guint n_moves, GError **error)
{
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlDoc) doc = parse_domain(xml, &ctx, error);
    if (!doc)
        return NULL;
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autofree char *old_name = virt_xml_string(ctx, NULL, "/domain/name");
    g_autofree char *old_uuid = virt_xml_string(ctx, NULL, "/domain/uuid");
    if (!old_name) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "the domain has no name");
        return NULL;
    }
    xmlUnsetProp(root, BAD_CAST "id");
    set_text(root, "name", name);
    if (uuid)
        set_text(root, "uuid", uuid);
    else
        drop_children(root, "uuid");
    g_autoptr(xmlXPathObject) macs = virt_xml_nodes(ctx, NULL, "/domain/devices/interface/mac");
    for (int i = 0; i < virt_xml_count(macs); i++)
        drop(macs->nodesetval->nodeTab[i]);
    Rename r = {old_name, old_uuid, name, uuid ? uuid : ""};
    rename_files(ctx, &r);
    for (guint i = 0; i < n_moves; i++)
        if (!move_disk(ctx, &moves[i], error))
            return NULL;
    return virt_xml_dump(doc);
}
