/* The XML of a new domain: <os>, resources, CPU, firmware, devices. */
#include "virt/virt_domain_build.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <string.h>

#define DOMAIN_NAME_MAX 64
#define OSINFO_ID_MAX 256

static gboolean invalid(GError **error, const char *fmt, const char *what)
{
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, fmt, what ? what : "");
    return FALSE;
}

gboolean virt_plain_name_valid(const char *what, const char *name, GError **error)
{
    gsize n = name ? strlen(name) : 0;
    const char *shown = name ? name : "";
    if (n == 0 || n > DOMAIN_NAME_MAX)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "invalid %s name '%s': use 1-64 characters",
                         what, shown);
    if (name[0] == '.' || name[0] == '-')
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "invalid %s name '%s': it may not start with '.' or '-'", what, name);
    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("_.+-", *c))
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "invalid %s name '%s': use letters, digits and _ . + -", what, name);
    return TRUE;
}

gboolean virt_domain_name_valid(const char *name, GError **error)
{
    return virt_plain_name_valid("VM", name, error);
}

static void add_number(xmlNode *parent, const char *name, guint64 value, const char *unit)
{
    char text[32];
    g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT, value);
    xmlNode *node = virt_xml_text_child(parent, name, text);
    if (unit)
        xmlSetProp(node, BAD_CAST "unit", BAD_CAST unit);
}

static gboolean add_os(xmlNode *domain, const VirtDomainBuild *b, GError **error)
{
    static const char *const boot_devs[] = {"hd", "cdrom", "network", NULL};
    xmlNode *os = xmlNewChild(domain, NULL, BAD_CAST "os", NULL);
    if (b->uefi)
        xmlSetProp(os, BAD_CAST "firmware", BAD_CAST "efi");
    xmlNode *type = virt_xml_text_child(os, "type", "hvm");
    xmlSetProp(type, BAD_CAST "arch", BAD_CAST(b->arch ? b->arch : "x86_64"));
    if (b->machine)
        xmlSetProp(type, BAD_CAST "machine", BAD_CAST b->machine);
    const char *const default_boot[] = {"hd", NULL};
    for (const char *const *d = b->boot ? b->boot : default_boot; *d; d++) {
        if (!g_strv_contains(boot_devs, *d))
            return invalid(error, "unknown boot device '%s' (hd, cdrom, network)", *d);
        virt_xml_attr_child(os, "boot", "dev", *d);
    }
    return TRUE;
}

/* libosinfo ids are URIs ("http://debian.org/debian/12"): printable ASCII,
 * no spaces. libxml2 escapes them anyway; this keeps nonsense out. */
static gboolean osinfo_id_valid(const char *id)
{
    gsize n = strlen(id);
    if (n == 0 || n > OSINFO_ID_MAX || !strstr(id, "://"))
        return FALSE;
    for (const char *c = id; *c; c++)
        if (!g_ascii_isgraph(*c))
            return FALSE;
    return TRUE;
}

/* The guest OS as virt-install records it, so that virt-manager, virt-install
 * and Vireo all read the same thing back. */
static void add_osinfo(xmlNode *domain, const char *osinfo_id)
{
    xmlNode *metadata = xmlNewChild(domain, NULL, BAD_CAST "metadata", NULL);
    xmlNode *lo = xmlNewChild(metadata, NULL, BAD_CAST "libosinfo", NULL);
    xmlNs *ns = xmlNewNs(lo, BAD_CAST VIRT_LIBOSINFO_NS, BAD_CAST "libosinfo");
    xmlSetNs(lo, ns);
    xmlNode *os = xmlNewChild(lo, ns, BAD_CAST "os", NULL);
    xmlSetProp(os, BAD_CAST "id", BAD_CAST osinfo_id);
}

static void add_serial(xmlNode *devices, const char *log_path)
{
    xmlNode *serial = xmlNewChild(devices, NULL, BAD_CAST "serial", NULL);
    xmlSetProp(serial, BAD_CAST "type", BAD_CAST "pty");
    if (log_path) {
        xmlNode *log = virt_xml_attr_child(serial, "log", "file", log_path);
        xmlSetProp(log, BAD_CAST "append", BAD_CAST "off");
    }
    virt_xml_attr_child(serial, "target", "port", "0");
    xmlNode *console = xmlNewChild(devices, NULL, BAD_CAST "console", NULL);
    xmlSetProp(console, BAD_CAST "type", BAD_CAST "pty");
    xmlNode *target = virt_xml_attr_child(console, "target", "type", "serial");
    xmlSetProp(target, BAD_CAST "port", BAD_CAST "0");
}

static void add_graphics(xmlNode *devices)
{
    /* Consoles go through vireod's proxy, which gets a socket already
     * connected to the display from libvirt (virDomainOpenGraphicsFD):
     * QEMU listens on no port at all, not even on loopback. */
    xmlNode *g = virt_xml_attr_child(devices, "graphics", "type", "vnc");
    virt_xml_attr_child(g, "listen", "type", "none");
    xmlNode *video = xmlNewChild(devices, NULL, BAD_CAST "video", NULL);
    virt_xml_attr_child(video, "model", "type", "vga");
}

char *virt_domain_build_xml(const VirtDomainBuild *b, GError **error)
{
    if (!virt_domain_name_valid(b->name, error))
        return NULL;
    if (g_strcmp0(b->domain_type, "kvm") != 0 && g_strcmp0(b->domain_type, "qemu") != 0) {
        invalid(error, "unknown domain type '%s' (kvm, qemu)", b->domain_type);
        return NULL;
    }
    if (b->uuid && !g_uuid_string_is_valid(b->uuid)) {
        invalid(error, "'%s' is not a UUID", b->uuid);
        return NULL;
    }
    if (b->osinfo_id && !osinfo_id_valid(b->osinfo_id)) {
        invalid(error, "'%s' is not a libosinfo OS id (e.g. http://debian.org/debian/12)",
                b->osinfo_id);
        return NULL;
    }
    if (b->vcpus == 0 || b->memory_mib == 0) {
        invalid(error, "a VM needs at least one vCPU and some memory%s", "");
        return NULL;
    }
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *domain = xmlNewNode(NULL, BAD_CAST "domain");
    xmlDocSetRootElement(doc, domain);
    xmlSetProp(domain, BAD_CAST "type", BAD_CAST b->domain_type);
    virt_xml_text_child(domain, "name", b->name);
    if (b->uuid)
        virt_xml_text_child(domain, "uuid", b->uuid);
    if (b->osinfo_id)
        add_osinfo(domain, b->osinfo_id);
    add_number(domain, "memory", b->memory_mib, "MiB");
    add_number(domain, "currentMemory", b->memory_mib, "MiB");
    add_number(domain, "vcpu", b->vcpus, NULL);
    if (!add_os(domain, b, error))
        return NULL;
    xmlNode *features = xmlNewChild(domain, NULL, BAD_CAST "features", NULL);
    xmlNewChild(features, NULL, BAD_CAST "acpi", NULL);
    xmlNewChild(features, NULL, BAD_CAST "apic", NULL);
    if (b->cpu_mode) {
        xmlNode *cpu = virt_xml_attr_child(domain, "cpu", "mode", b->cpu_mode);
        if (strcmp(b->cpu_mode, "host-passthrough") == 0)
            xmlSetProp(cpu, BAD_CAST "check", BAD_CAST "none");
    }
    virt_xml_attr_child(domain, "clock", "offset", "utc");
    virt_xml_text_child(domain, "on_poweroff", "destroy");
    virt_xml_text_child(domain, "on_reboot", "restart");
    virt_xml_text_child(domain, "on_crash", "destroy");

    xmlNode *devices = xmlNewChild(domain, NULL, BAD_CAST "devices", NULL);
    gboolean scsi = FALSE;
    for (guint i = 0; i < b->n_disks; i++) {
        if (!virt_disk_append(devices, &b->disks[i], error))
            return NULL;
        scsi = scsi || g_strcmp0(b->disks[i].bus, "scsi") == 0;
    }
    /* libvirt's default SCSI controller on x86 is an LSI one, which
     * cloud kernels (Debian's included) leave out; virtio-scsi is in
     * every guest that has virtio. */
    if (scsi) {
        xmlNode *ctl = virt_xml_attr_child(devices, "controller", "type", "scsi");
        xmlSetProp(ctl, BAD_CAST "model", BAD_CAST "virtio-scsi");
    }
    for (guint i = 0; i < b->n_nics; i++)
        if (!virt_nic_append(devices, &b->nics[i], error))
            return NULL;
    add_serial(devices, b->serial_log);
    if (b->vnc)
        add_graphics(devices);
    xmlNode *balloon = virt_xml_attr_child(devices, "memballoon", "model", "virtio");
    (void)balloon;
    return virt_xml_dump(doc);
}
