/* OVF descriptor reader (see virt_ovf.h). Elements of the envelope are
 * found by namespace; the hardware items' children by local name, since
 * OVF 1 writes them in the rasd namespace and OVF 2 also in epasd/sasd. */
#include "virt/virt_ovf.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_tar.h"
#include "virt/virt_xml.h"

#include <libxml/xpathInternals.h>
#include <string.h>

#define NS_OVF1 "http://schemas.dmtf.org/ovf/envelope/1"
#define NS_OVF2 "http://schemas.dmtf.org/ovf/envelope/2"
#define NS_VMW "http://www.vmware.com/schema/ovf"
#define NS_VBOX "http://www.virtualbox.org/ovf/machine"

/* Memory accepted from a descriptor: 16 MiB to 4 TiB. */
#define MEMORY_MIN_MIB 16
#define MEMORY_MAX_MIB (G_GUINT64_CONSTANT(4) << 20)

/* CIM resource types (DSP1041) of the hardware items read here. */
enum {
    RT_CPU = 3,
    RT_MEMORY = 4,
    RT_ETHERNET = 10,
    RT_FLOPPY = 14,
    RT_CDROM = 15,
    RT_DVD = 16,
    RT_DISK = 17,
};

/* A refusal (INVALID_ARG) whose message says what was read; the format
 * is always a literal. */
#define bad(error, fmt, ...) virt_fail((error), VIRT_ERROR_INVALID_ARG, "OVF: " fmt, ##__VA_ARGS__)

static void file_free(VirtOvfFile *f)
{
    g_free(f->id);
    g_free(f->href);
    g_free(f);
}

static void disk_free(VirtOvfDisk *d)
{
    g_free(d->id);
    g_free(d->format);
    g_free(d);
}

void virt_ovf_free(VirtOvf *ovf)
{
    if (!ovf)
        return;
    g_free(ovf->name);
    g_free(ovf->os_type);
    g_ptr_array_unref(ovf->files);
    g_ptr_array_unref(ovf->disks);
    g_ptr_array_unref(ovf->nic_models);
    g_ptr_array_unref(ovf->notes);
    g_free(ovf);
}

const VirtOvfFile *virt_ovf_file_by_href(const VirtOvf *ovf, const char *href)
{
    for (guint i = 0; i < ovf->files->len; i++) {
        const VirtOvfFile *f = g_ptr_array_index(ovf->files, i);
        if (strcmp(f->href, href) == 0)
            return f;
    }
    return NULL;
}

/* A whole number, white space around it allowed; FALSE when absent too. */
static gboolean number(const char *text, guint64 max, guint64 *out)
{
    if (!text)
        return FALSE;
    g_autofree char *s = g_strstrip(g_strdup(text));
    return g_ascii_string_to_unsigned(s, 10, 0, max, out, NULL);
}

/* Bytes per unit of OVF/CIM allocation units: "byte", "byte * 2^20" and
 * the names KiloBytes, MegaBytes, GigaBytes, TeraBytes. */
static gboolean unit_bytes(const char *units, guint64 *out)
{
    static const struct {
        const char *name;
        guint shift;
    } names[] = {{"byte", 0},       {"bytes", 0}, {"kilobytes", 10}, {"kb", 10},
                 {"megabytes", 20}, {"mb", 20},   {"gigabytes", 30}, {"gb", 30},
                 {"terabytes", 40}, {"tb", 40},   {NULL, 0}};
    g_autofree char *u = g_ascii_strdown(units, -1);
    g_strstrip(u);
    for (guint i = 0; names[i].name; i++)
        if (strcmp(u, names[i].name) == 0) {
            *out = G_GUINT64_CONSTANT(1) << names[i].shift;
            return TRUE;
        }
    /* "byte * 2^N", spaces optional. */
    g_autofree char *packed = g_strdup(u);
    char *w = packed;
    for (const char *c = u; *c; c++)
        if (*c != ' ' && *c != '\t')
            *w++ = *c;
    *w = '\0';
    guint64 shift;
    if (!g_str_has_prefix(packed, "byte*2^") ||
        !g_ascii_string_to_unsigned(packed + strlen("byte*2^"), 10, 0, 50, &shift, NULL))
        return FALSE;
    *out = G_GUINT64_CONSTANT(1) << shift;
    return TRUE;
}

/* quantity * unit, or FALSE on overflow. */
static gboolean scaled(guint64 quantity, guint64 unit, guint64 *out)
{
    if (unit && quantity > G_MAXUINT64 / unit)
        return FALSE;
    *out = quantity * unit;
    return TRUE;
}

static char *attr(xmlNode *node, const char *ns, const char *name)
{
    xmlChar *v = ns ? xmlGetNsProp(node, BAD_CAST name, BAD_CAST ns)
                    : xmlGetNoNsProp(node, BAD_CAST name);
    char *out = v ? g_strdup((const char *)v) : NULL;
    xmlFree(v);
    return out;
}

/* The text of `node`'s first child element of local name `name`. */
static char *child_text(xmlNode *node, const char *name)
{
    for (xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
            xmlChar *v = xmlNodeGetContent(c);
            char *out = v ? g_strstrip(g_strdup((const char *)v)) : NULL;
            xmlFree(v);
            return out;
        }
    return NULL;
}

typedef struct {
    VirtOvf *ovf;
    xmlXPathContext *xp;
    const char *ns; /* the envelope's namespace */
} Reader;

static void note(Reader *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void note(Reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    for (guint i = 0; i < r->ovf->notes->len; i++)
        if (strcmp(g_ptr_array_index(r->ovf->notes, i), msg) == 0) {
            g_free(msg);
            return;
        }
    g_ptr_array_add(r->ovf->notes, msg);
}

static gboolean read_file(Reader *r, xmlNode *node, GError **error)
{
    g_autofree char *compression = attr(node, r->ns, "compression");
    g_autofree char *chunk = attr(node, r->ns, "chunkSize");
    g_autofree char *size = attr(node, r->ns, "size");
    VirtOvfFile *f = g_new0(VirtOvfFile, 1);
    f->id = attr(node, r->ns, "id");
    f->href = attr(node, r->ns, "href");
    f->disk_index = -1;
    g_ptr_array_add(r->ovf->files, f);
    if (!f->id || !*f->id || !f->href || !*f->href)
        return bad(error, "a File of References lacks ovf:id or ovf:href");
    if (strstr(f->href, "://"))
        return bad(error,
                   "file '%s' lies outside the archive: only files inside the OVA are imported",
                   f->href);
    g_autoptr(GError) why = NULL;
    if (!virt_tar_name_valid(f->href, &why))
        return bad(error, "file '%s': %s", f->id, why->message);
    if (compression && *compression && strcmp(compression, "identity") != 0)
        return bad(error, "file '%s' is %s-compressed, which is not supported", f->href,
                   compression);
    if (chunk)
        return bad(error, "file '%s' is split into chunks, which is not supported", f->href);
    if (size && !number(size, VIRT_STORAGE_MAX_BYTES, &f->size))
        return bad(error, "file '%s' has an ovf:size that is not a number of bytes up to 64 TiB",
                   f->href);
    for (guint i = 0; i + 1 < r->ovf->files->len; i++) {
        const VirtOvfFile *o = g_ptr_array_index(r->ovf->files, i);
        if (strcmp(o->id, f->id) == 0 || strcmp(o->href, f->href) == 0)
            return bad(error, "References list file '%s' twice", f->href);
    }
    return TRUE;
}

static gboolean read_files(Reader *r, GError **error)
{
    g_autoptr(xmlXPathObject) files = virt_xml_nodes(r->xp, NULL, "ovf:References/ovf:File");
    int n = virt_xml_count(files);
    if (n > VIRT_OVF_MAX_FILES)
        return bad(error, "References list %d files, more than the %d accepted", n,
                   VIRT_OVF_MAX_FILES);
    for (int i = 0; i < n; i++)
        if (!read_file(r, files->nodesetval->nodeTab[i], error))
            return FALSE;
    return TRUE;
}

/* The format of a disk: ovf:format names a specification (VMware's vmdk
 * URL for VMware and VirtualBox alike); else the file's extension. */
static char *disk_format(const char *format_uri, const char *href)
{
    static const char *const formats[] = {"vmdk", "vdi", "qcow2", NULL};
    g_autofree char *uri = format_uri ? g_ascii_strdown(format_uri, -1) : NULL;
    for (const char *const *f = formats; uri && *f; f++)
        if (strstr(uri, *f))
            return g_strdup(*f);
    g_autofree char *name = g_ascii_strdown(href, -1);
    for (const char *const *f = formats; *f; f++) {
        g_autofree char *ext = g_strconcat(".", *f, NULL);
        if (g_str_has_suffix(name, ext))
            return g_strdup(*f);
    }
    if (g_str_has_suffix(name, ".img") || g_str_has_suffix(name, ".raw"))
        return g_strdup("raw");
    return NULL;
}

/* One Disk of DiskSection, unless it has no file (an empty disk the
 * importer would make): that one is left out and said so. */
static gboolean read_disk(Reader *r, xmlNode *node, GPtrArray *all, GError **error)
{
    g_autofree char *id = attr(node, r->ns, "diskId");
    g_autofree char *file_ref = attr(node, r->ns, "fileRef");
    g_autofree char *capacity = attr(node, r->ns, "capacity");
    g_autofree char *units = attr(node, r->ns, "capacityAllocationUnits");
    g_autofree char *format = attr(node, r->ns, "format");
    if (!id || !*id)
        return bad(error, "a Disk lacks ovf:diskId");
    for (guint i = 0; i < all->len; i++)
        if (strcmp(((VirtOvfDisk *)g_ptr_array_index(all, i))->id, id) == 0)
            return bad(error, "DiskSection lists disk '%s' twice", id);
    VirtOvfDisk *d = g_new0(VirtOvfDisk, 1);
    d->id = g_steal_pointer(&id);
    g_ptr_array_add(all, d);
    if (!file_ref) {
        d->file_index = G_MAXUINT;
        return TRUE;
    }
    guint fi;
    for (fi = 0; fi < r->ovf->files->len; fi++)
        if (strcmp(((VirtOvfFile *)g_ptr_array_index(r->ovf->files, fi))->id, file_ref) == 0)
            break;
    if (fi == r->ovf->files->len)
        return bad(error, "disk '%s' names file '%s', which References lack", d->id, file_ref);
    d->file_index = fi;
    const VirtOvfFile *f = g_ptr_array_index(r->ovf->files, fi);
    guint64 quantity, unit = 1;
    if (!number(capacity, G_MAXUINT64, &quantity))
        return bad(error, "disk '%s' has no ovf:capacity in whole units", d->id);
    if (units && !unit_bytes(units, &unit))
        return bad(error, "disk '%s' has capacity units '%s', which Vireo does not know", d->id,
                   units);
    if (!scaled(quantity, unit, &d->capacity) || d->capacity == 0 ||
        d->capacity > VIRT_STORAGE_MAX_BYTES)
        return bad(error, "disk '%s' has a capacity of 0 or over 64 TiB", d->id);
    if (!(d->format = disk_format(format, f->href)))
        return bad(error,
                   "disk '%s' is in a format Vireo cannot import (%s); it takes vmdk, vdi, "
                   "qcow2 and raw",
                   d->id, format ? format : f->href);
    return TRUE;
}

/* The disk an item's HostResource names: "ovf:/disk/ID" (VMware) or
 * "/disk/ID" (VirtualBox). */
static VirtOvfDisk *disk_of_item(Reader *r, GPtrArray *all, const char *host, GError **error)
{
    const char *id = NULL;
    if (g_str_has_prefix(host, "ovf:/disk/"))
        id = host + strlen("ovf:/disk/");
    else if (g_str_has_prefix(host, "/disk/"))
        id = host + strlen("/disk/");
    if (!id) {
        bad(error, "a disk drive's HostResource '%s' names no disk of DiskSection", host);
        return NULL;
    }
    for (guint i = 0; i < all->len; i++) {
        VirtOvfDisk *d = g_ptr_array_index(all, i);
        if (strcmp(d->id, id) == 0)
            return d;
    }
    for (guint i = 0; i < r->ovf->disks->len; i++)
        if (strcmp(((VirtOvfDisk *)g_ptr_array_index(r->ovf->disks, i))->id, id) == 0) {
            bad(error, "disk '%s' is attached to two drives", id);
            return NULL;
        }
    bad(error, "a disk drive names disk '%s', which DiskSection lacks", id);
    return NULL;
}

/* Moves an attached disk from `all` into the VM's disks, in item order. */
static gboolean attach_disk(Reader *r, GPtrArray *all, const char *host, GError **error)
{
    VirtOvfDisk *d = disk_of_item(r, all, host, error);
    if (!d)
        return FALSE;
    if (d->file_index == G_MAXUINT) {
        note(r, "disk '%s' is an empty disk with no file: left out", d->id);
        return TRUE;
    }
    VirtOvfFile *f = g_ptr_array_index(r->ovf->files, d->file_index);
    if (f->disk_index >= 0)
        return bad(error, "file '%s' backs two disks", f->href);
    if (r->ovf->disks->len >= VIRT_OVF_MAX_DISKS)
        return bad(error, "more than %d disks", VIRT_OVF_MAX_DISKS);
    f->disk_index = (int)r->ovf->disks->len;
    guint i;
    g_ptr_array_find(all, d, &i);
    g_ptr_array_add(r->ovf->disks, g_ptr_array_steal_index(all, i));
    return TRUE;
}

static const char *nic_model(const char *subtype)
{
    static const struct {
        const char *word, *model;
    } models[] = {{"e1000e", "e1000e"},   {"e1000", "e1000"},   {"virtio", "virtio"},
                  {"pcnet32", "rtl8139"}, {"pcnet", "rtl8139"}, {NULL, NULL}};
    for (guint i = 0; subtype && models[i].word; i++)
        if (g_ascii_strcasecmp(subtype, models[i].word) == 0)
            return models[i].model;
    return NULL;
}

static gboolean read_memory(Reader *r, xmlNode *item, GError **error)
{
    g_autofree char *quantity = child_text(item, "VirtualQuantity");
    g_autofree char *units = child_text(item, "AllocationUnits");
    guint64 q, unit = G_GUINT64_CONSTANT(1) << 20, bytes;
    if (!number(quantity, G_MAXUINT64, &q))
        return bad(error, "the memory item has no VirtualQuantity in whole units");
    if (units && !unit_bytes(units, &unit))
        return bad(error, "memory units '%s' are not known to Vireo", units);
    if (!scaled(q, unit, &bytes) || bytes / (1 << 20) < MEMORY_MIN_MIB ||
        bytes / (1 << 20) > MEMORY_MAX_MIB)
        return bad(error, "the memory must be %d MiB to 4 TiB", MEMORY_MIN_MIB);
    r->ovf->memory_mib = bytes / (1 << 20);
    return TRUE;
}

static gboolean read_item(Reader *r, xmlNode *item, GPtrArray *all, GError **error)
{
    g_autofree char *type = child_text(item, "ResourceType");
    guint64 rt, n;
    if (!number(type, 1000, &rt))
        return TRUE; /* not a resource Vireo reads */
    if (rt == RT_CPU && !r->ovf->vcpus) {
        g_autofree char *quantity = child_text(item, "VirtualQuantity");
        if (!number(quantity, 4096, &n) || n == 0)
            return bad(error, "the CPU item must ask for 1 to 4096 vCPUs");
        r->ovf->vcpus = (guint)n;
    } else if (rt == RT_MEMORY && !r->ovf->memory_mib) {
        return read_memory(r, item, error);
    } else if (rt == RT_ETHERNET) {
        g_autofree char *subtype = child_text(item, "ResourceSubType");
        if (r->ovf->nic_models->len >= VIRT_OVF_MAX_NICS)
            note(r, "only the first %d network adapters are imported", VIRT_OVF_MAX_NICS);
        else
            g_ptr_array_add(r->ovf->nic_models, (gpointer)nic_model(subtype));
    } else if (rt == RT_DISK) {
        g_autofree char *host = child_text(item, "HostResource");
        if (!host || !*host) {
            note(r, "an empty disk drive is left out");
            return TRUE;
        }
        return attach_disk(r, all, host, error);
    } else if (rt == RT_CDROM || rt == RT_DVD) {
        note(r, "CD/DVD drives are left out");
    } else if (rt == RT_FLOPPY) {
        note(r, "floppy drives are left out");
    }
    return TRUE;
}

static gboolean read_hardware(Reader *r, xmlNode *system, GError **error)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)disk_free);
    g_autoptr(xmlXPathObject) disks = virt_xml_nodes(r->xp, NULL, "//ovf:DiskSection/ovf:Disk");
    for (int i = 0; i < virt_xml_count(disks); i++)
        if (!read_disk(r, disks->nodesetval->nodeTab[i], all, error))
            return FALSE;
    g_autoptr(xmlXPathObject) items = virt_xml_nodes(
        r->xp, system,
        "ovf:VirtualHardwareSection[1]/*[local-name()='Item' or local-name()='StorageItem' or "
        "local-name()='EthernetPortItem']");
    for (int i = 0; i < virt_xml_count(items); i++)
        if (!read_item(r, items->nodesetval->nodeTab[i], all, error))
            return FALSE;
    for (guint i = 0; i < all->len; i++)
        note(r, "disk '%s' is attached to no drive: left out",
             ((VirtOvfDisk *)g_ptr_array_index(all, i))->id);
    if (r->ovf->disks->len == 0)
        return bad(error, "the virtual system has no disk to import");
    return TRUE;
}

/* A firmware setting of either tool: VMware's <vmw:Config vmw:key=
 * "firmware" vmw:value="efi"/>, OVF 2's and other tools' key/value
 * elements, VirtualBox's <Firmware type="EFI"/>. */
static gboolean says_efi(xmlNode *node)
{
    static const char *const key_attrs[] = {"key", "Name", "name", NULL};
    const char *local = (const char *)node->name;
    if (strcmp(local, "Firmware") == 0) {
        g_autofree char *type = attr(node, NULL, "type");
        return type && g_ascii_strncasecmp(type, "efi", 3) == 0;
    }
    g_autofree char *key = NULL;
    for (const char *const *a = key_attrs; !key && *a; a++) {
        key = attr(node, NS_VMW, *a);
        if (!key)
            key = attr(node, NULL, *a);
    }
    g_autofree char *key_lower = key ? g_ascii_strdown(key, -1) : NULL;
    if (!key_lower || !strstr(key_lower, "firmware"))
        return FALSE;
    g_autofree char *value = attr(node, NS_VMW, "value");
    if (!value)
        value = attr(node, NULL, "value");
    if (!value) {
        xmlChar *text = xmlNodeGetContent(node);
        value = g_strdup(text ? (const char *)text : "");
        xmlFree(text);
    }
    g_autofree char *lower = g_ascii_strdown(value, -1);
    return strstr(lower, "efi") != NULL;
}

static void read_firmware(Reader *r, xmlNode *system)
{
    g_autoptr(xmlXPathObject) nodes = virt_xml_nodes(
        r->xp, system,
        ".//*[local-name()='Config' or local-name()='ExtraConfig' or "
        "local-name()='VirtualSystemOtherConfigurationData' or local-name()='Firmware']");
    for (int i = 0; i < virt_xml_count(nodes); i++)
        if (says_efi(nodes->nodesetval->nodeTab[i]))
            r->ovf->uefi = TRUE;
}

static void read_os(Reader *r, xmlNode *system)
{
    g_autoptr(xmlXPathObject)
        sections = virt_xml_nodes(r->xp, system, "ovf:OperatingSystemSection");
    g_autofree char *vmw = NULL, *vbox = NULL, *cim = NULL;
    if (virt_xml_count(sections) > 0) {
        xmlNode *os = sections->nodesetval->nodeTab[0];
        vmw = attr(os, NS_VMW, "osType");
        cim = attr(os, r->ns, "id");
        vbox = virt_xml_string(r->xp, os, "vbox:OSType");
    }
    if (!vbox)
        vbox = virt_xml_string(r->xp, system, "vbox:Machine/@OSType");
    r->ovf->os_type = g_strdup(vmw ? vmw : vbox ? vbox : cim);
    virt_ovf_guess_os(vmw, vbox, cim, &r->ovf->os_family, &r->ovf->os_id);
}

/* Refused before parsing: a DTD may declare entities that read files or
 * expand without bound. (libxml2 would not load or expand them with the
 * flags virt_xml_parse uses; a descriptor never needs one.) */
static gboolean has_dtd(const char *xml, gsize len)
{
    return memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8);
}

static xmlNode *the_system(Reader *r, GError **error)
{
    g_autoptr(xmlXPathObject) systems = virt_xml_nodes(r->xp, NULL, "ovf:VirtualSystem");
    int n = virt_xml_count(systems);
    if (n == 1)
        return systems->nodesetval->nodeTab[0];
    g_autoptr(xmlXPathObject)
        collections = virt_xml_nodes(r->xp, NULL, "ovf:VirtualSystemCollection");
    if (virt_xml_count(collections) > 0 || n > 1)
        bad(error, "the package holds several virtual systems; Vireo imports one VM at a time");
    else
        bad(error, "the descriptor has no VirtualSystem");
    return NULL;
}

VirtOvf *virt_ovf_parse(const char *xml, gsize len, GError **error)
{
    if (len > VIRT_OVF_MAX_BYTES) {
        bad(error, "the descriptor is over %d MiB", VIRT_OVF_MAX_BYTES >> 20);
        return NULL;
    }
    if (len == 0) {
        bad(error, "the descriptor is empty");
        return NULL;
    }
    if (has_dtd(xml, len)) {
        bad(error, "the descriptor has a DTD (<!DOCTYPE or <!ENTITY): refused");
        return NULL;
    }
    g_autoptr(GError) why = NULL;
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, len, &why);
    if (!doc) {
        bad(error, "%s", why->message);
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        bad(error, "the descriptor has a DTD: refused");
        return NULL;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    const char *ns = root->ns ? (const char *)root->ns->href : "";
    if (strcmp((const char *)root->name, "Envelope") != 0 ||
        (strcmp(ns, NS_OVF1) != 0 && strcmp(ns, NS_OVF2) != 0)) {
        bad(error, "the document is not an OVF Envelope (namespace %s or %s)", NS_OVF1, NS_OVF2);
        return NULL;
    }
    g_autoptr(xmlXPathContext) xp = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(xp, BAD_CAST "ovf", BAD_CAST ns);
    xmlXPathRegisterNs(xp, BAD_CAST "vmw", BAD_CAST NS_VMW);
    xmlXPathRegisterNs(xp, BAD_CAST "vbox", BAD_CAST NS_VBOX);
    g_autoptr(VirtOvf) ovf = g_new0(VirtOvf, 1);
    ovf->files = g_ptr_array_new_with_free_func((GDestroyNotify)file_free);
    ovf->disks = g_ptr_array_new_with_free_func((GDestroyNotify)disk_free);
    ovf->nic_models = g_ptr_array_new();
    ovf->notes = g_ptr_array_new_with_free_func(g_free);
    ovf->os_family = "other";
    Reader r = {.ovf = ovf, .xp = xp, .ns = ns};
    xmlNode *system = the_system(&r, error);
    if (!system || !read_files(&r, error) || !read_hardware(&r, system, error))
        return NULL;
    ovf->name = virt_xml_string(xp, system, "ovf:Name");
    if (!ovf->name)
        ovf->name = attr(system, ns, "id");
    read_os(&r, system);
    read_firmware(&r, system);
    for (guint i = 0; i < ovf->files->len; i++) {
        const VirtOvfFile *f = g_ptr_array_index(ovf->files, i);
        if (f->disk_index < 0)
            note(&r, "file '%s' is not a disk of the VM: skipped", f->href);
    }
    return g_steal_pointer(&ovf);
}
