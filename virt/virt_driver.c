/* Reads a connection's driver (virt_driver.h) and derives what Vireo
 * offers on it. Capability documents say what the hypervisor can run;
 * some facts only the API tells (a driver without snapshot or storage
 * support answers VIR_ERR_NO_SUPPORT), and a few are about Vireo's own
 * code paths (its VNC proxy needs virDomainOpenGraphicsFD, which only the
 * QEMU driver has). docs/drivers.md explains each rule. */
#include "virt/virt_driver.h"
#include "virt/virt_conn.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>

#include <string.h>

/* Drivers that implement virDomainOpenConsole (libvirt's driver support
 * matrix): QEMU, LXC, Xen (libxl), bhyve, Cloud Hypervisor. */
static const char *const serial_types[] = {"QEMU", "LXC", "Xen", "BHYVE", "CH", NULL};

/* Volume formats each hypervisor's disks read, in Vireo's order of choice. */
typedef struct {
    const char *type;
    const char *formats[4];
} DiskFormats;
static const DiskFormats disk_formats[] = {
    {"QEMU", {"qcow2", "raw", NULL}},
    {"Test", {"qcow2", "raw", NULL}},
    {"Xen", {"raw", "qcow2", NULL}},
    {"VBOX", {"vdi", "vmdk", "vhd", NULL}},
    {"ESX", {"vmdk", NULL}},
    {"VMWARE", {"vmdk", NULL}},
    {"HYPER-V", {"vhdx", "vhd", NULL}},
};

VirtDriver *virt_driver_ref(VirtDriver *d)
{
    return d ? g_atomic_rc_box_acquire(d) : NULL;
}

void virt_features_clear(VirtFeatures *f)
{
    g_clear_pointer(&f->disk_formats, g_strfreev);
}

static void driver_clear(gpointer p)
{
    VirtDriver *d = p;
    g_free(d->uri);
    virt_uri_clear(&d->parts);
    g_free(d->type);
    virt_driver_caps_free(d->caps);
    virt_features_clear(&d->features);
}

void virt_driver_unref(VirtDriver *d)
{
    if (d)
        g_atomic_rc_box_release_full(d, driver_clear);
}

/* Drivers spell their type in their own case ("Test", "TEST"). */
static gboolean type_in(const char *type, const char *const *types)
{
    for (; type && *types; types++)
        if (g_ascii_strcasecmp(type, *types) == 0)
            return TRUE;
    return FALSE;
}

static gboolean has(GStrv list, const char *v)
{
    return list && g_strv_contains((const char *const *)list, v);
}

void virt_driver_features(const char *type, const VirtDriverCaps *caps, const VirtFeatures *probed,
                          VirtFeatures *out)
{
    memset(out, 0, sizeof *out);
    out->vms = has(caps->os_types, "hvm") || has(caps->os_types, "xen");
    out->containers = has(caps->os_types, "exe");
    static const char *const qemu_types[] = {"QEMU", NULL};
    gboolean qemu = type_in(type, qemu_types);
    /* The VNC proxy opens the display with virDomainOpenGraphicsFD (QEMU
     * only); the domain capabilities say whether this QEMU has VNC. */
    out->vnc = qemu && out->vms && (!caps->has_domcaps || has(caps->graphics, "vnc"));
    out->serial = type_in(type, serial_types);
    out->snapshots = probed->snapshots && out->vms;
    out->storage = probed->storage;
    out->networks = probed->networks;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    gboolean disks = out->vms && out->storage &&
                     (!caps->has_domcaps || has(caps->disk_devices, "disk"));
    for (gsize i = 0; disks && i < G_N_ELEMENTS(disk_formats); i++)
        if (type && g_ascii_strcasecmp(type, disk_formats[i].type) == 0)
            g_strv_builder_addv(b, (const char **)disk_formats[i].formats);
    out->disk_formats = g_strv_builder_end(b);
    /* Vireo's cloud-init is a NoCloud ISO on a CD-ROM that QEMU reads. */
    out->cloud_init = qemu && disks && (!caps->has_domcaps || has(caps->disk_devices, "cdrom"));
}

/* FALSE when the driver answered that it lacks the call (any other
 * failure, e.g. a pool driver that is down, is taken as "has it"). */
static gboolean supported_call(int rc)
{
    if (rc >= 0)
        return TRUE;
    const virError *e = virGetLastError();
    gboolean lacks = e && (e->code == VIR_ERR_NO_SUPPORT || e->code == VIR_ERR_NO_CONNECT);
    virResetLastError();
    return !lacks;
}

/* Snapshots: asked of one domain when there is one; with none, the
 * drivers whose snapshot support is known from libvirt's matrix. */
static gboolean probe_snapshots(virConnectPtr conn, const char *type)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0)
        virResetLastError();
    gboolean answer;
    if (n > 0) {
        virDomainSnapshotPtr *snaps = NULL;
        int s = virDomainListAllSnapshots(doms[0], &snaps, 0);
        for (int i = 0; i < s; i++)
            virDomainSnapshotFree(snaps[i]);
        free(snaps);
        answer = supported_call(s);
    } else {
        static const char *const with[] = {"QEMU", "Test", "VBOX", "ESX", "vz", NULL};
        answer = type_in(type, with);
    }
    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
    return answer;
}

static void probe(virConnectPtr conn, const char *type, VirtFeatures *p)
{
    virStoragePoolPtr *pools = NULL;
    int n = virConnectListAllStoragePools(conn, &pools, 0);
    p->storage = supported_call(n);
    for (int i = 0; i < n; i++)
        virStoragePoolFree(pools[i]);
    free(pools);
    virNetworkPtr *nets = NULL;
    n = virConnectListAllNetworks(conn, &nets, 0);
    p->networks = supported_call(n);
    for (int i = 0; i < n; i++)
        virNetworkFree(nets[i]);
    free(nets);
    p->snapshots = probe_snapshots(conn, type);
}

/* The domain capabilities for the host's arch: the driver's default
 * virt type first, then each type the capabilities list. */
static void read_domcaps(virConnectPtr conn, VirtDriverCaps *caps)
{
    const char *arch = caps->host_arch;
    for (gint i = -1;
         !caps->has_domcaps && (i < 0 || (caps->domain_types && caps->domain_types[i])); i++) {
        g_autofree char *xml = virConnectGetDomainCapabilities(
            conn, NULL, arch, NULL, i < 0 ? NULL : caps->domain_types[i], 0);
        if (!xml) {
            const virError *e = virGetLastError();
            gboolean lacks = e && e->code == VIR_ERR_NO_SUPPORT;
            virResetLastError();
            if (lacks)
                return;
            continue;
        }
        virt_driver_caps_add_domcaps(caps, xml, strlen(xml), NULL);
    }
}

VirtDriver *virt_driver_read(virConnectPtr conn, const char *uri, GError **error)
{
    g_autoptr(VirtDriver) d = g_atomic_rc_box_new0(VirtDriver);
    d->uri = g_strdup(uri);
    if (!virt_uri_parse(uri, &d->parts, error))
        return NULL;
    const char *type = virConnectGetType(conn);
    if (!type) {
        virt_error_from_libvirt(error, "reading the driver's type");
        return NULL;
    }
    d->type = g_strdup(type);
    if (virConnectGetVersion(conn, &d->version) < 0)
        virResetLastError(); /* some drivers have no version: 0 */
    g_autofree char *xml = virConnectGetCapabilities(conn);
    if (!xml) {
        virt_error_from_libvirt(error, "reading the driver's capabilities");
        return NULL;
    }
    d->caps = virt_driver_caps_parse(xml, strlen(xml), error);
    if (!d->caps)
        return NULL;
    read_domcaps(conn, d->caps);
    VirtFeatures probed = {0};
    probe(conn, d->type, &probed);
    virt_driver_features(d->type, d->caps, &probed, &d->features);
    return g_steal_pointer(&d);
}

VirtDriver *virt_driver_of(VirtConn *vc, GError **error)
{
    guint64 number = 0;
    g_autoptr(virConnect) conn = virt_conn_get_numbered(vc, &number, error);
    if (!conn)
        return NULL;
    VirtDriver *d = virt_conn_driver(vc, number);
    if (d)
        return d;
    /* Two first requests may both read; the later store wins, same facts. */
    d = virt_driver_read(conn, virt_conn_uri(vc), error);
    if (d)
        virt_conn_set_driver(vc, number, d);
    return d;
}

gboolean virt_driver_require(const VirtDriver *d, gboolean supported, const char *what,
                             GError **error)
{
    if (supported)
        return TRUE;
    return virt_fail(error, VIRT_ERROR_NOT_SUPPORTED,
                     "the %s driver of this host (%s) does not support %s", d->type, d->uri, what);
}
