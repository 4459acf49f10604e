/* Disk, CD-ROM and NIC elements of a domain, built with libxml2. */
#include "virt/virt_device_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_storage_xml.h"
#include "virt/virt_xml.h"

#include <string.h>

static const char *const disk_buses[] = {"virtio", "sata", "scsi", "ide", "usb", NULL};
static const char *const nic_models[] = {"virtio", "e1000e", "e1000", "rtl8139", NULL};

gboolean virt_disk_bus_valid(const char *bus)
{
    return bus && g_strv_contains(disk_buses, bus);
}

gboolean virt_nic_model_valid(const char *model)
{
    return model && g_strv_contains(nic_models, model);
}

static gboolean invalid(GError **error, const char *fmt, const char *what)
{
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, fmt, what ? what : "");
    return FALSE;
}

gboolean virt_mac_valid(const char *mac, GError **error)
{
    static const char form[] = "hh:hh:hh:hh:hh:hh";
    if (!mac || strlen(mac) != sizeof form - 1)
        return invalid(error, "invalid MAC address '%s': use the form 52:54:00:xx:xx:xx", mac);
    gboolean zero = TRUE;
    for (gsize i = 0; form[i]; i++) {
        if (form[i] == ':' ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
            return invalid(error, "invalid MAC address '%s': use the form 52:54:00:xx:xx:xx", mac);
        if (form[i] == 'h' && mac[i] != '0')
            zero = FALSE;
    }
    if (zero)
        return invalid(error, "invalid MAC address '%s': all zeros", mac);
    if (g_ascii_xdigit_value(mac[1]) & 1)
        return invalid(error, "invalid MAC address '%s': a multicast address", mac);
    return TRUE;
}

static const char *target_prefix(const char *bus)
{
    if (g_strcmp0(bus, "virtio") == 0)
        return "vd";
    if (g_strcmp0(bus, "ide") == 0)
        return "hd";
    return "sd";
}

/* Targets run a..z, then aa..zz, like the kernel names disks. */
static void target_suffix(unsigned index, char out[3])
{
    if (index < 26) {
        out[0] = (char)('a' + index);
        out[1] = '\0';
    } else {
        index -= 26;
        out[0] = (char)('a' + index / 26);
        out[1] = (char)('a' + index % 26);
        out[2] = '\0';
    }
}

char *virt_disk_next_target(const char *bus, const char *const *used)
{
    const char *prefix = target_prefix(bus);
    for (unsigned i = 0; i < 26 + 26 * 26; i++) {
        char suffix[3];
        target_suffix(i, suffix);
        g_autofree char *name = g_strconcat(prefix, suffix, NULL);
        if (!used || !g_strv_contains(used, name))
            return g_steal_pointer(&name);
    }
    return NULL;
}

static gboolean target_valid(const char *target)
{
    gsize n = target ? strlen(target) : 0;
    if (n < 3 || n > 4)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_islower(target[i]))
            return FALSE;
    return TRUE;
}

static void add_boot(xmlNode *dev, unsigned order)
{
    if (!order)
        return;
    char text[16];
    g_snprintf(text, sizeof text, "%u", order);
    virt_xml_attr_child(dev, "boot", "order", text);
}

/* libvirt keeps only aliases with its user prefix in a definition. */
static gboolean alias_valid(const char *alias)
{
    if (!g_str_has_prefix(alias, "ua-") || strlen(alias) > 64 || !alias[3])
        return FALSE;
    for (const char *c = alias; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_')
            return FALSE;
    return TRUE;
}

gboolean virt_disk_append(xmlNode *devices, const VirtDiskSpec *spec, GError **error)
{
    gboolean cdrom = g_strcmp0(spec->device, "cdrom") == 0;
    if (!cdrom && g_strcmp0(spec->device, "disk") != 0)
        return invalid(error, "unknown disk device '%s' (disk, cdrom)", spec->device);
    const char *bus = spec->bus ? spec->bus : cdrom ? "sata" : "virtio";
    if (!virt_disk_bus_valid(bus))
        return invalid(error, "unknown disk bus '%s' (virtio, sata, scsi, ide, usb)", bus);
    if (cdrom && strcmp(bus, "virtio") == 0)
        return invalid(error, "a CD-ROM cannot be on the '%s' bus", bus);
    if (!target_valid(spec->target))
        return invalid(error, "invalid disk target '%s' (e.g. vda, sdb)", spec->target);
    if (!spec->path && !cdrom)
        return invalid(error, "disk %s has no source", spec->target);
    if (spec->path && (!g_path_is_absolute(spec->path) || !g_utf8_validate(spec->path, -1, NULL)))
        return invalid(error, "disk source '%s' must be an absolute path", spec->path);
    const char *format = spec->format ? spec->format : "raw";
    if (!virt_storage_format_valid(format) && strcmp(format, "iso") != 0)
        return invalid(error, "unknown disk format '%s'", format);
    if (spec->alias && !alias_valid(spec->alias))
        return invalid(error, "invalid device alias '%s' (ua-name)", spec->alias);

    gboolean block = spec->path && g_str_has_prefix(spec->path, "/dev/");
    xmlNode *disk = xmlNewChild(devices, NULL, BAD_CAST "disk", NULL);
    xmlSetProp(disk, BAD_CAST "type", BAD_CAST(block ? "block" : "file"));
    xmlSetProp(disk, BAD_CAST "device", BAD_CAST(cdrom ? "cdrom" : "disk"));
    xmlNode *driver = virt_xml_attr_child(disk, "driver", "name", "qemu");
    /* An ISO is raw bytes to QEMU. */
    xmlSetProp(driver, BAD_CAST "type", BAD_CAST(strcmp(format, "iso") == 0 ? "raw" : format));
    if (spec->path)
        virt_xml_attr_child(disk, "source", block ? "dev" : "file", spec->path);
    xmlNode *target = virt_xml_attr_child(disk, "target", "dev", spec->target);
    xmlSetProp(target, BAD_CAST "bus", BAD_CAST bus);
    if (cdrom || spec->readonly)
        xmlNewChild(disk, NULL, BAD_CAST "readonly", NULL);
    add_boot(disk, spec->boot_order);
    if (spec->alias)
        virt_xml_attr_child(disk, "alias", "name", spec->alias);
    return TRUE;
}

gboolean virt_nic_append(xmlNode *devices, const VirtNicSpec *spec, GError **error)
{
    gboolean bridge = g_strcmp0(spec->type, "bridge") == 0;
    if (!bridge && g_strcmp0(spec->type, "network") != 0)
        return invalid(error, "unknown NIC type '%s' (network, bridge)", spec->type);
    if (!spec->source || !*spec->source)
        return invalid(error, "a NIC needs a %s", bridge ? "bridge" : "network");
    if (!virt_storage_name_valid(spec->source, error))
        return FALSE;
    const char *model = spec->model ? spec->model : "virtio";
    if (!virt_nic_model_valid(model))
        return invalid(error, "unknown NIC model '%s' (virtio, e1000e, e1000, rtl8139)", model);
    if (spec->mac && !virt_mac_valid(spec->mac, error))
        return FALSE;

    xmlNode *nic = xmlNewChild(devices, NULL, BAD_CAST "interface", NULL);
    xmlSetProp(nic, BAD_CAST "type", BAD_CAST(bridge ? "bridge" : "network"));
    if (spec->mac)
        virt_xml_attr_child(nic, "mac", "address", spec->mac);
    virt_xml_attr_child(nic, "source", bridge ? "bridge" : "network", spec->source);
    virt_xml_attr_child(nic, "model", "type", model);
    virt_xml_attr_child(nic, "link", "state", spec->link_down ? "down" : "up");
    add_boot(nic, spec->boot_order);
    return TRUE;
}

/* Builds one device into a scratch <devices> and dumps it alone. */
static char *standalone(gboolean (*append)(xmlNode *, const void *, GError **), const void *spec,
                        GError **error)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *devices = xmlNewNode(NULL, BAD_CAST "devices");
    xmlDocSetRootElement(doc, devices);
    if (!append(devices, spec, error))
        return NULL;
    xmlNode *dev = devices->children;
    xmlUnlinkNode(dev);
    xmlDocSetRootElement(doc, dev);
    xmlFreeNode(devices);
    return virt_xml_dump(doc);
}

static gboolean disk_append_any(xmlNode *devices, const void *spec, GError **error)
{
    return virt_disk_append(devices, spec, error);
}

static gboolean nic_append_any(xmlNode *devices, const void *spec, GError **error)
{
    return virt_nic_append(devices, spec, error);
}

char *virt_disk_xml(const VirtDiskSpec *spec, GError **error)
{
    return standalone(disk_append_any, spec, error);
}

char *virt_nic_xml(const VirtNicSpec *spec, GError **error)
{
    return standalone(nic_append_any, spec, error);
}
