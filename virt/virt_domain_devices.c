/* Device changes through virDomainAttach/Detach/UpdateDeviceFlags. The
 * flags follow where the device is: a running persistent VM changes live
 * and in its definition, a shut-off one in its definition only, so the
 * two never disagree after a change. */
#include "virt/virt_domain_devices.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

/* How long a hot-unplug may take before we stop waiting for the guest. */
#define UNPLUG_WAIT_US (8 * G_USEC_PER_SEC)

static VirtDomainConfig *parse(virDomainPtr dom, unsigned flags, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, flags);
    if (!xml) {
        virt_error_from_libvirt(error, "reading VM");
        return NULL;
    }
    return virt_domain_config_parse(xml, strlen(xml), error);
}

/* The VM's state as the flags of a device change need it. */
typedef struct {
    gboolean active, persistent;
    char *live_xml;   /* NULL when off */
    char *config_xml; /* NULL when transient */
} DevState;

static void dev_state_clear(DevState *s)
{
    g_free(s->live_xml);
    g_free(s->config_xml);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(DevState, dev_state_clear)

static gboolean dev_state(virDomainPtr dom, DevState *s, GError **error)
{
    int active = virDomainIsActive(dom), persistent = virDomainIsPersistent(dom);
    if (active < 0 || persistent < 0) {
        virt_error_from_libvirt(error, "reading VM");
        return FALSE;
    }
    s->active = active;
    s->persistent = persistent;
    if (active && !(s->live_xml = virDomainGetXMLDesc(dom, 0)))
        goto fail;
    if (persistent && !(s->config_xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE)))
        goto fail;
    return TRUE;
fail:
    virt_error_from_libvirt(error, "reading VM");
    return FALSE;
}

static unsigned both_flags(const DevState *s)
{
    return (s->active ? VIR_DOMAIN_AFFECT_LIVE : 0) |
           (s->persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

VirtDomainConfig *virt_domain_devices(virDomainPtr dom, GError **error)
{
    return parse(dom, 0, error);
}

static void add_targets(GPtrArray *out, const char *xml)
{
    if (!xml)
        return;
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), NULL);
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (d->target)
            g_ptr_array_add(out, g_strdup(d->target));
    }
}

static GStrv targets_of(const DevState *s)
{
    GPtrArray *out = g_ptr_array_new();
    add_targets(out, s->live_xml);
    add_targets(out, s->config_xml);
    g_ptr_array_add(out, NULL);
    return (GStrv)g_ptr_array_free(out, FALSE);
}

GStrv virt_domain_disk_targets(virDomainPtr dom, GError **error)
{
    g_auto(DevState) s = {0};
    return dev_state(dom, &s, error) ? targets_of(&s) : NULL;
}

char *virt_volume_id_of_path(virConnectPtr conn, const char *path)
{
    if (!path || path[0] != '/')
        return NULL;
    g_autoptr(virStorageVol) vol = virStorageVolLookupByPath(conn, path);
    g_autoptr(virStoragePool) pool = vol ? virStoragePoolLookupByVolume(vol) : NULL;
    virResetLastError();
    if (!pool)
        return NULL;
    return g_strdup_printf("%s/%s", virStoragePoolGetName(pool), virStorageVolGetName(vol));
}

typedef gboolean (*DomainMatch)(const VirtDomainConfig *cfg, const char *key);

static gboolean uses_path(const VirtDomainConfig *cfg, const char *path)
{
    for (guint i = 0; i < cfg->disks->len; i++)
        if (g_strcmp0(((const VirtDisk *)g_ptr_array_index(cfg->disks, i))->source, path) == 0)
            return TRUE;
    return FALSE;
}

static gboolean uses_mac(const VirtDomainConfig *cfg, const char *mac)
{
    for (guint i = 0; i < cfg->nics->len; i++) {
        const char *m = ((const VirtNic *)g_ptr_array_index(cfg->nics, i))->mac;
        if (m && g_ascii_strcasecmp(m, mac) == 0)
            return TRUE;
    }
    return FALSE;
}

/* One XML read per VM (two for a running persistent one): fine for an
 * edit, which is rare next to the lists. */
static char *find_user(virConnectPtr conn, const char *key, DomainMatch match, virDomainPtr self,
                       GError **error)
{
    char self_uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (self)
        virDomainGetUUIDString(self, self_uuid);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing VMs");
        return NULL;
    }
    char *user = NULL;
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN] = "";
        virDomainGetUUIDString(doms[i], uuid);
        if (!user && strcmp(uuid, self_uuid) != 0) {
            g_auto(DevState) s = {0};
            /* A VM gone in between uses nothing. */
            if (dev_state(doms[i], &s, NULL)) {
                const char *xmls[] = {s.live_xml, s.config_xml};
                for (gsize k = 0; k < G_N_ELEMENTS(xmls) && !user; k++) {
                    if (!xmls[k])
                        continue;
                    g_autoptr(VirtDomainConfig)
                        cfg = virt_domain_config_parse(xmls[k], strlen(xmls[k]), NULL);
                    if (cfg && match(cfg, key))
                        user = g_strdup(virDomainGetName(doms[i]));
                }
            }
            virResetLastError();
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    return user;
}

char *virt_path_user(virConnectPtr conn, const char *path, virDomainPtr self, GError **error)
{
    return find_user(conn, path, uses_path, self, error);
}

char *virt_mac_user(virConnectPtr conn, const char *mac, virDomainPtr self, GError **error)
{
    return find_user(conn, mac, uses_mac, self, error);
}

static gboolean hot_pluggable_bus(const char *bus)
{
    return g_strcmp0(bus, "virtio") == 0 || g_strcmp0(bus, "scsi") == 0 ||
           g_strcmp0(bus, "usb") == 0;
}

gboolean virt_domain_disk_attach(virDomainPtr dom, const VirtDiskSpec *spec, GError **error)
{
    g_autofree char *xml = virt_disk_xml(spec, error);
    g_auto(DevState) s = {0};
    if (!xml || !dev_state(dom, &s, error))
        return FALSE;
    g_auto(GStrv) used = targets_of(&s);
    if (g_strv_contains((const char *const *)used, spec->target)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS, "VM '%s' already has a disk '%s'",
                    virDomainGetName(dom), spec->target);
        return FALSE;
    }
    const char *bus = spec->bus                               ? spec->bus
                      : g_strcmp0(spec->device, "cdrom") == 0 ? "sata"
                                                              : "virtio";
    if (s.active && !hot_pluggable_bus(bus)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "a %s device cannot be added "
                    "to running VM '%s'; shut it down first, or use the virtio bus",
                    bus, virDomainGetName(dom));
        return FALSE;
    }
    if (virDomainAttachDeviceFlags(dom, xml, both_flags(&s)) < 0) {
        virt_error_from_libvirt(error, "attaching disk");
        return FALSE;
    }
    return TRUE;
}

static gboolean live_has_disk(virDomainPtr dom, const char *target)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    virResetLastError();
    g_autofree char *disk = xml ? virt_domain_xml_disk(xml, target, NULL) : NULL;
    return disk != NULL;
}

/* Finds one device element (by target or MAC) in the live XML and the
 * definition; NOT_FOUND naming `what` when it is in neither. */
typedef char *(*DeviceFinder)(const char *xml, const char *key, GError **error);

static gboolean find_everywhere(virDomainPtr dom, const DevState *s, DeviceFinder find,
                                const char *key, const char *what, char **live, char **config,
                                GError **error)
{
    *live = s->live_xml ? find(s->live_xml, key, NULL) : NULL;
    *config = s->config_xml ? find(s->config_xml, key, NULL) : NULL;
    if (*live || *config)
        return TRUE;
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "VM '%s' has no %s '%s'",
                virDomainGetName(dom), what, key);
    return FALSE;
}

/* Detaches the device from the running guest and from the definition,
 * each with its own element (they may differ, e.g. in PCI address). */
static gboolean detach_everywhere(virDomainPtr dom, DeviceFinder find, const char *key,
                                  const char *what, gboolean *was_live, GError **error)
{
    g_auto(DevState) s = {0};
    g_autofree char *live = NULL, *config = NULL;
    if (!dev_state(dom, &s, error) ||
        !find_everywhere(dom, &s, find, key, what, &live, &config, error))
        return FALSE;
    if ((live && virDomainDetachDeviceFlags(dom, live, VIR_DOMAIN_AFFECT_LIVE) < 0) ||
        (config && virDomainDetachDeviceFlags(dom, config, VIR_DOMAIN_AFFECT_CONFIG) < 0)) {
        g_autofree char *step = g_strdup_printf("detaching %s", what);
        virt_error_from_libvirt(error, step);
        return FALSE;
    }
    if (was_live)
        *was_live = live != NULL;
    return TRUE;
}

gboolean virt_domain_disk_detach_begin(virDomainPtr dom, const char *target, gboolean *was_live,
                                       GError **error)
{
    return detach_everywhere(dom, virt_domain_xml_disk, target, "disk", was_live, error);
}

gboolean virt_domain_disk_wait_released(virDomainPtr dom, const char *target, gint64 timeout_us)
{
    /* libvirt waits a few seconds for the guest, then answers anyway. */
    gint64 until = g_get_monotonic_time() + timeout_us;
    gboolean pending;
    while ((pending = live_has_disk(dom, target)) && g_get_monotonic_time() < until)
        g_usleep(200 * 1000);
    return !pending;
}

gboolean virt_domain_disk_detach(virDomainPtr dom, const char *target, gboolean *still_live,
                                 GError **error)
{
    gboolean live = FALSE;
    if (!virt_domain_disk_detach_begin(dom, target, &live, error))
        return FALSE;
    gboolean pending = live && !virt_domain_disk_wait_released(dom, target, UNPLUG_WAIT_US);
    if (still_live)
        *still_live = pending;
    return TRUE;
}

/* The disk `target`, from the live XML while running, else the definition. */
static VirtDisk *find_disk(const VirtDomainConfig *cfg, const char *target)
{
    for (guint i = 0; cfg && i < cfg->disks->len; i++) {
        VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (g_strcmp0(d->target, target) == 0)
            return d;
    }
    return NULL;
}

gboolean virt_domain_cdrom_media(virDomainPtr dom, const char *target, const char *path,
                                 GError **error)
{
    g_auto(DevState) s = {0};
    if (!dev_state(dom, &s, error))
        return FALSE;
    const char *xml = s.live_xml ? s.live_xml : s.config_xml;
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return FALSE;
    const VirtDisk *disk = find_disk(cfg, target);
    if (!disk) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "VM '%s' has no disk '%s'",
                    virDomainGetName(dom), target);
        return FALSE;
    }
    if (g_strcmp0(disk->device, "cdrom") != 0) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "disk '%s' is a %s, not a CD-ROM "
                    "drive: only CD-ROM media change",
                    target, disk->device);
        return FALSE;
    }
    VirtDiskSpec spec = {
        .device = "cdrom", .path = path, .format = "raw", .target = target, .bus = disk->bus};
    g_autofree char *dev = virt_disk_xml(&spec, error);
    if (!dev)
        return FALSE;
    if (virDomainUpdateDeviceFlags(dom, dev, both_flags(&s)) < 0) {
        virt_error_from_libvirt(error, path ? "changing CD-ROM medium" : "ejecting CD-ROM medium");
        return FALSE;
    }
    return TRUE;
}

/* ---- NICs ---- */

char *virt_mac_random(void)
{
    /* 52:54:00 is QEMU's locally administered prefix, as libvirt uses. */
    return g_strdup_printf("52:54:00:%02x:%02x:%02x", g_random_int_range(0, 256),
                           g_random_int_range(0, 256), g_random_int_range(0, 256));
}

gboolean virt_domain_nic_attach(virDomainPtr dom, const VirtNicSpec *spec, GError **error)
{
    g_autofree char *xml = virt_nic_xml(spec, error);
    g_auto(DevState) s = {0};
    if (!xml || !dev_state(dom, &s, error))
        return FALSE;
    if (virDomainAttachDeviceFlags(dom, xml, both_flags(&s)) < 0) {
        virt_error_from_libvirt(error, "attaching NIC");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_domain_nic_detach(virDomainPtr dom, const char *mac, GError **error)
{
    return detach_everywhere(dom, virt_domain_xml_nic, mac, "NIC", NULL, error);
}

static const VirtNic *find_nic(const VirtDomainConfig *cfg, const char *mac)
{
    for (guint i = 0; cfg && i < cfg->nics->len; i++) {
        const VirtNic *n = g_ptr_array_index(cfg->nics, i);
        if (n->mac && g_ascii_strcasecmp(n->mac, mac) == 0)
            return n;
    }
    return NULL;
}

/* Updates the NIC in one of the VM's XMLs (live or definition). */
static gboolean update_nic_in(virDomainPtr dom, const char *xml, unsigned flag, const char *mac,
                              const char *type, const char *source, int link_down, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return FALSE;
    const VirtNic *nic = find_nic(cfg, mac);
    if (!nic)
        return TRUE; /* only in the other XML */
    if (g_strcmp0(nic->type, "network") != 0 && g_strcmp0(nic->type, "bridge") != 0) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNSUPPORTED,
                    "NIC %s is of type '%s': only "
                    "network and bridge NICs can be changed here",
                    mac, nic->type);
        return FALSE;
    }
    VirtNicSpec spec = {
        .type = type ? type : nic->type,
        .source = source ? source : nic->source,
        .model = nic->model,
        .mac = nic->mac,
        .link_down = link_down >= 0 ? link_down : g_strcmp0(nic->link, "down") == 0,
    };
    /* libvirt keeps the device's PCI address when the new XML has none. */
    g_autofree char *dev = virt_nic_xml(&spec, error);
    if (!dev)
        return FALSE;
    if (virDomainUpdateDeviceFlags(dom, dev, flag) < 0) {
        virt_error_from_libvirt(error, "changing NIC");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_domain_nic_update(virDomainPtr dom, const char *mac, const char *type,
                                const char *source, int link_down, GError **error)
{
    g_auto(DevState) s = {0};
    g_autofree char *live = NULL, *config = NULL;
    if (!dev_state(dom, &s, error) ||
        !find_everywhere(dom, &s, virt_domain_xml_nic, mac, "NIC", &live, &config, error))
        return FALSE;
    return (!live || update_nic_in(dom, s.live_xml, VIR_DOMAIN_AFFECT_LIVE, mac, type, source,
                                   link_down, error)) &&
           (!config || update_nic_in(dom, s.config_xml, VIR_DOMAIN_AFFECT_CONFIG, mac, type, source,
                                     link_down, error));
}
