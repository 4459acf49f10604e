/* Reads the parts of a domain's XML that Vireo shows: OS (and the guest OS
 * libosinfo names in <metadata>), boot order, disks, NICs and graphics. Unknown elements are ignored, never fatal. */
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <libxml/xpathInternals.h>

#include <stdlib.h>
#include <string.h>

static void disk_free(gpointer p)
{
    VirtDisk *d = p;
    g_free(d->device);
    g_free(d->target);
    g_free(d->bus);
    g_free(d->source);
    g_free(d->format);
    g_strfreev(d->backing);
    g_free(d->alias);
    g_free(d);
}

gboolean virt_disk_owned(const VirtDisk *d)
{
    return d->alias && g_str_has_prefix(d->alias, VIRT_DISK_ALIAS_OWNED);
}

static void nic_free(gpointer p)
{
    VirtNic *n = p;
    g_free(n->type);
    g_free(n->mac);
    g_free(n->source);
    g_free(n->model);
    g_free(n->link);
    g_free(n);
}

static void graphics_free(gpointer p)
{
    VirtGraphics *g = p;
    g_free(g->type);
    g_free(g->listen);
    g_free(g);
}

void virt_domain_config_free(VirtDomainConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->name);
    g_free(cfg->uuid);
    g_free(cfg->domain_type);
    g_free(cfg->os_type);
    g_free(cfg->arch);
    g_free(cfg->machine);
    g_free(cfg->kernel);
    g_free(cfg->nvram);
    g_free(cfg->osinfo_id);
    g_free(cfg->description);
    g_strfreev(cfg->boot);
    g_ptr_array_unref(cfg->disks);
    g_ptr_array_unref(cfg->nics);
    g_ptr_array_unref(cfg->graphics);
    g_free(cfg);
}

/* Unsigned number from `expr`, or `fallback` when absent or not a number. */
static unsigned long long read_number(xmlXPathContext *ctx, xmlNode *node, const char *expr,
                                      unsigned long long fallback)
{
    g_autofree char *s = virt_xml_string(ctx, node, expr);
    guint64 v;
    if (!s || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, &v, NULL))
        return fallback;
    return v;
}

/* Bytes per `unit` as libvirt reads them: "b"/"bytes", then k m g t p e
 * alone or with "iB" (powers of 1024) or with "B" (powers of 1000). NULL
 * means KiB; 0 for anything else. */
static guint64 unit_bytes(const char *unit)
{
    if (!unit)
        return 1024;
    if (g_ascii_strcasecmp(unit, "b") == 0 || g_ascii_strcasecmp(unit, "bytes") == 0)
        return 1;
    const char *p = strchr("kmgtpe", g_ascii_tolower(unit[0]));
    if (!unit[0] || !p)
        return 0;
    int power = (int)(p - "kmgtpe") + 1;
    guint64 base;
    if (!unit[1] || g_ascii_strcasecmp(unit + 1, "ib") == 0)
        base = 1024;
    else if (g_ascii_strcasecmp(unit + 1, "b") == 0)
        base = 1000;
    else
        return 0;
    guint64 bytes = 1;
    for (int i = 0; i < power; i++)
        bytes *= base;
    return bytes;
}

/* Memory in KiB; 0 when absent, of an unknown unit, or past 64 bits. */
static unsigned long long read_memory_kib(xmlXPathContext *ctx, const char *element)
{
    g_autofree char *value_expr = g_strdup_printf("/domain/%s", element);
    g_autofree char *unit_expr = g_strdup_printf("/domain/%s/@unit", element);
    guint64 v = read_number(ctx, NULL, value_expr, 0);
    g_autofree char *unit = virt_xml_string(ctx, NULL, unit_expr);
    guint64 per = unit_bytes(unit), bytes;
    if (!per || !g_uint64_checked_mul(&bytes, v, per))
        return 0;
    return bytes / 1024;
}

static gboolean has_child(xmlXPathContext *ctx, xmlNode *n, const char *expr)
{
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, n, expr);
    return virt_xml_count(set) > 0;
}

/* Every file of the disk's backing chain, outermost first. */
static GStrv read_backing(xmlXPathContext *ctx, xmlNode *disk)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, disk, ".//backingStore/source");
    for (int i = 0; i < virt_xml_count(set); i++) {
        g_autofree char *file = virt_xml_string(ctx, set->nodesetval->nodeTab[i], "@file");
        if (file)
            g_strv_builder_add(b, file);
    }
    return g_strv_builder_end(b);
}

static void read_disks(xmlXPathContext *ctx, VirtDomainConfig *cfg)
{
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, "/domain/devices/disk");
    for (int i = 0; i < virt_xml_count(set); i++) {
        xmlNode *n = set->nodesetval->nodeTab[i];
        VirtDisk *d = g_new0(VirtDisk, 1);
        d->device = virt_xml_string(ctx, n, "@device");
        if (!d->device)
            d->device = g_strdup("disk");
        d->target = virt_xml_string(ctx, n, "target/@dev");
        d->bus = virt_xml_string(ctx, n, "target/@bus");
        d->format = virt_xml_string(ctx, n, "driver/@type");
        d->source = virt_xml_string(ctx, n, "source/@file");
        if (!d->source)
            d->source = virt_xml_string(ctx, n, "source/@dev");
        if (!d->source) {
            g_autofree char *pool = virt_xml_string(ctx, n, "source/@pool");
            g_autofree char *vol = virt_xml_string(ctx, n, "source/@volume");
            if (pool && vol)
                d->source = g_strdup_printf("%s/%s", pool, vol);
        }
        if (!d->source)
            d->source = virt_xml_string(ctx, n, "source/@name");
        d->readonly = strcmp(d->device, "cdrom") == 0 || strcmp(d->device, "floppy") == 0 ||
                      has_child(ctx, n, "readonly");
        d->backing = read_backing(ctx, n);
        d->alias = virt_xml_string(ctx, n, "alias/@name");
        g_ptr_array_add(cfg->disks, d);
    }
}

static void read_nics(xmlXPathContext *ctx, VirtDomainConfig *cfg)
{
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, "/domain/devices/interface");
    for (int i = 0; i < virt_xml_count(set); i++) {
        xmlNode *n = set->nodesetval->nodeTab[i];
        VirtNic *nic = g_new0(VirtNic, 1);
        nic->type = virt_xml_string(ctx, n, "@type");
        nic->mac = virt_xml_string(ctx, n, "mac/@address");
        nic->model = virt_xml_string(ctx, n, "model/@type");
        /* libvirt leaves the element out while the link is up. */
        nic->link = virt_xml_string(ctx, n, "link/@state");
        if (!nic->link)
            nic->link = g_strdup("up");
        static const char *const source_attrs[] = {"source/@network", "source/@bridge",
                                                   "source/@dev", "source/@address"};
        for (gsize k = 0; !nic->source && k < G_N_ELEMENTS(source_attrs); k++)
            nic->source = virt_xml_string(ctx, n, source_attrs[k]);
        g_ptr_array_add(cfg->nics, nic);
    }
}

static void read_graphics(xmlXPathContext *ctx, VirtDomainConfig *cfg)
{
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, "/domain/devices/graphics");
    for (int i = 0; i < virt_xml_count(set); i++) {
        xmlNode *n = set->nodesetval->nodeTab[i];
        VirtGraphics *g = g_new0(VirtGraphics, 1);
        g->type = virt_xml_string(ctx, n, "@type");
        long long port = (long long)read_number(ctx, n, "@port", 0);
        g->port = port > 0 && port < 65536 ? (int)port : -1;
        g->listen = virt_xml_string(ctx, n, "@listen");
        if (!g->listen)
            g->listen = virt_xml_string(ctx, n, "listen/@address");
        g_ptr_array_add(cfg->graphics, g);
    }
}

static GStrv read_boot_order(xmlXPathContext *ctx)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(xmlXPathObject) set = virt_xml_nodes(ctx, NULL, "/domain/os/boot");
    for (int i = 0; i < virt_xml_count(set); i++) {
        g_autofree char *dev = virt_xml_string(ctx, set->nodesetval->nodeTab[i], "@dev");
        if (dev)
            g_strv_builder_add(b, dev);
    }
    return g_strv_builder_end(b);
}

VirtDomainConfig *virt_domain_config_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, len, error);
    if (!doc)
        return NULL;
    if (!xmlStrEqual(xmlDocGetRootElement(doc)->name, (const xmlChar *)"domain")) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "not a domain XML document");
        return NULL;
    }
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    VirtDomainConfig *cfg = g_new0(VirtDomainConfig, 1);
    cfg->disks = g_ptr_array_new_with_free_func(disk_free);
    cfg->nics = g_ptr_array_new_with_free_func(nic_free);
    cfg->graphics = g_ptr_array_new_with_free_func(graphics_free);
    cfg->name = virt_xml_string(ctx, NULL, "/domain/name");
    cfg->uuid = virt_xml_string(ctx, NULL, "/domain/uuid");
    cfg->domain_type = virt_xml_string(ctx, NULL, "/domain/@type");
    cfg->os_type = virt_xml_string(ctx, NULL, "/domain/os/type");
    cfg->arch = virt_xml_string(ctx, NULL, "/domain/os/type/@arch");
    cfg->machine = virt_xml_string(ctx, NULL, "/domain/os/type/@machine");
    cfg->kernel = virt_xml_string(ctx, NULL, "/domain/os/kernel");
    g_autofree char *uefi = virt_xml_string(
        ctx, NULL, "/domain/os[@firmware='efi' or loader/@type='pflash']/type");
    cfg->uefi = uefi != NULL;
    cfg->nvram = virt_xml_string(ctx, NULL, "/domain/os/nvram");
    cfg->description = virt_xml_string(ctx, NULL, "/domain/description");
    cfg->boot = read_boot_order(ctx);
    /* Whatever prefix the writer chose: match the namespace, not the name. */
    xmlXPathRegisterNs(ctx, (const xmlChar *)"lo", (const xmlChar *)VIRT_LIBOSINFO_NS);
    cfg->osinfo_id = virt_xml_string(ctx, NULL, "/domain/metadata/lo:libosinfo/lo:os/@id");
    unsigned long long vcpus = read_number(ctx, NULL, "/domain/vcpu/@current",
                                           read_number(ctx, NULL, "/domain/vcpu", 1));
    cfg->vcpus = vcpus <= G_MAXUINT ? (unsigned)vcpus : 0;
    cfg->max_memory_kib = read_memory_kib(ctx, "memory");
    cfg->memory_kib = read_memory_kib(ctx, "currentMemory");
    if (!cfg->memory_kib)
        cfg->memory_kib = cfg->max_memory_kib;
    read_disks(ctx, cfg);
    read_nics(ctx, cfg);
    read_graphics(ctx, cfg);
    return cfg;
}

gboolean virt_disk_writable(const VirtDisk *d)
{
    return g_strcmp0(d->device, "disk") == 0 && !d->readonly;
}
