/* Snapshot XML read and built with libxml2, and the snapshot tree. */
#include "virt/virt_snapshot_xml.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <libxml/tree.h>
#include <string.h>

#define DESCRIPTION_MAX 4096

void virt_snapshot_free(VirtSnapshot *s)
{
    if (!s)
        return;
    g_free(s->name);
    g_free(s->description);
    g_free(s->state);
    g_free(s->parent);
    g_free(s->domain_xml);
    if (s->children)
        g_ptr_array_unref(s->children);
    g_free(s);
}

VirtSnapshot *virt_snapshot_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, len, error);
    if (!doc)
        return NULL;
    if (!xmlStrEqual(xmlDocGetRootElement(doc)->name, BAD_CAST "domainsnapshot")) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "not a domain snapshot XML document");
        return NULL;
    }
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(VirtSnapshot) s = g_new0(VirtSnapshot, 1);
    s->name = virt_xml_string(ctx, NULL, "/domainsnapshot/name");
    if (!s->name) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "a snapshot without a name");
        return NULL;
    }
    s->description = virt_xml_string(ctx, NULL, "/domainsnapshot/description");
    s->state = virt_xml_string(ctx, NULL, "/domainsnapshot/state");
    if (!s->state)
        s->state = g_strdup("nostate");
    s->parent = virt_xml_string(ctx, NULL, "/domainsnapshot/parent/name");
    g_autofree char *created = virt_xml_string(ctx, NULL, "/domainsnapshot/creationTime");
    guint64 t = 0;
    if (created && g_ascii_string_to_unsigned(created, 10, 0, G_MAXINT64, &t, NULL))
        s->created_at = (gint64)t;
    g_autofree char *memory = virt_xml_string(ctx, NULL, "/domainsnapshot/memory/@snapshot");
    /* Without a <memory> element (older libvirt), a snapshot of a running
     * or paused VM is a full system checkpoint. */
    s->memory = memory ? strcmp(memory, "no") != 0
                       : strcmp(s->state, "running") == 0 || strcmp(s->state, "paused") == 0;
    s->children = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(xmlXPathObject) dom = virt_xml_nodes(ctx, NULL, "/domainsnapshot/domain");
    if (virt_xml_count(dom) > 0) {
        g_autoptr(xmlDoc) out = xmlNewDoc(BAD_CAST "1.0");
        xmlDocSetRootElement(out, xmlDocCopyNode(dom->nodesetval->nodeTab[0], out, 1));
        s->domain_xml = virt_xml_dump(out);
    }
    return g_steal_pointer(&s);
}

char *virt_snapshot_build_xml(const char *name, const char *description, GError **error)
{
    if (!virt_plain_name_valid("snapshot", name, error))
        return NULL;
    if (description &&
        (strlen(description) > DESCRIPTION_MAX || !g_utf8_validate(description, -1, NULL))) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG,
                  "a snapshot's description is UTF-8 of at most %d bytes", DESCRIPTION_MAX);
        return NULL;
    }
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "domainsnapshot");
    xmlDocSetRootElement(doc, root);
    virt_xml_text_child(root, "name", name);
    if (description && *description)
        virt_xml_text_child(root, "description", description);
    return virt_xml_dump(doc);
}

static gint by_age(gconstpointer a, gconstpointer b)
{
    const VirtSnapshot *x = *(VirtSnapshot *const *)a, *y = *(VirtSnapshot *const *)b;
    if (x->created_at != y->created_at)
        return x->created_at < y->created_at ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Appends `s` and its subtree to `out`, depth-first. `kids` maps a name
 * to its children (oldest first); `placed` guards against a cycle. */
static void walk(VirtSnapshot *s, guint depth, GHashTable *kids, GHashTable *placed, GPtrArray *out)
{
    if (!g_hash_table_add(placed, s->name))
        return;
    s->depth = depth;
    g_ptr_array_add(out, s);
    GPtrArray *children = g_hash_table_lookup(kids, s->name);
    for (guint i = 0; children && i < children->len; i++)
        walk(g_ptr_array_index(children, i), depth + 1, kids, placed, out);
}

void virt_snapshot_tree(GPtrArray *snaps)
{
    g_ptr_array_sort(snaps, by_age);
    g_autoptr(GHashTable) by_name = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < snaps->len; i++) {
        VirtSnapshot *s = g_ptr_array_index(snaps, i);
        g_hash_table_insert(by_name, s->name, s);
        if (s->children)
            g_ptr_array_set_size(s->children, 0);
        else
            s->children = g_ptr_array_new_with_free_func(g_free);
    }
    g_autoptr(GHashTable) kids = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify)g_ptr_array_unref);
    g_autoptr(GPtrArray) roots = g_ptr_array_new();
    for (guint i = 0; i < snaps->len; i++) {
        VirtSnapshot *s = g_ptr_array_index(snaps, i);
        VirtSnapshot *parent = s->parent ? g_hash_table_lookup(by_name, s->parent) : NULL;
        if (!parent || parent == s) {
            g_ptr_array_add(roots, s);
            continue;
        }
        GPtrArray *list = g_hash_table_lookup(kids, parent->name);
        if (!list) {
            list = g_ptr_array_new();
            g_hash_table_insert(kids, parent->name, list);
        }
        g_ptr_array_add(list, s);
        g_ptr_array_add(parent->children, g_strdup(s->name));
    }
    g_autoptr(GHashTable) placed = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) out = g_ptr_array_new();
    for (guint i = 0; i < roots->len; i++)
        walk(g_ptr_array_index(roots, i), 0, kids, placed, out);
    /* Snapshots on a cycle (never from libvirt) are kept, as roots. */
    for (guint i = 0; i < snaps->len; i++)
        walk(g_ptr_array_index(snaps, i), 0, kids, placed, out);
    for (guint i = 0; i < out->len; i++)
        snaps->pdata[i] = out->pdata[i];
}

const VirtDisk *virt_snapshot_unfit_disk(const VirtDomainConfig *cfg)
{
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (virt_disk_writable(d) && g_strcmp0(d->format, "qcow2") != 0)
            return d;
    }
    return NULL;
}

gboolean virt_snapshot_has_writable_disk(const VirtDomainConfig *cfg)
{
    for (guint i = 0; i < cfg->disks->len; i++)
        if (virt_disk_writable(g_ptr_array_index(cfg->disks, i)))
            return TRUE;
    return FALSE;
}
