/* What a target host must have before a VM moves to it (virt_migrate.h):
 * each missing piece is its own refusal, found before anything changes. */
#include "virt/virt_migrate.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_xml.h"

#include <libxml/tree.h>
#include <string.h>

G_DEFINE_QUARK(vireo - migrate - error - quark, virt_migrate_error)

const char *virt_migrate_refusal_name(int code)
{
    switch (code) {
    case VIRT_MIGRATE_SAME_HOST: return "same_host";
    case VIRT_MIGRATE_NAME_TAKEN: return "name_taken";
    case VIRT_MIGRATE_NO_NETWORK: return "network_missing";
    case VIRT_MIGRATE_NO_POOL: return "pool_missing";
    case VIRT_MIGRATE_NO_DISK: return "disk_missing";
    case VIRT_MIGRATE_CPU_INCOMPATIBLE: return "cpu_incompatible";
    case VIRT_MIGRATE_NO_MEMORY: return "memory_short";
    default: return "conflict";
    }
}

static gboolean refuse(GError **error, VirtMigrateRefusal code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static gboolean refuse(GError **error, VirtMigrateRefusal code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, VIRT_MIGRATE_ERROR, code, msg);
    return FALSE;
}

void virt_migrate_disk_free(VirtMigrateDisk *d)
{
    if (!d)
        return;
    g_free(d->target);
    g_free(d->path);
    g_free(d->pool);
    g_free(d->volume);
    g_free(d->format);
    g_free(d);
}

/* The definition that moves: the live one of a running VM (it is what
 * the target starts), the persistent one of a stopped VM. */
static xmlDoc *domain_doc(virDomainPtr dom, GError **error)
{
    int active = virDomainIsActive(dom);
    if (active < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return NULL;
    }
    g_autofree char *xml = virDomainGetXMLDesc(dom, active ? VIR_DOMAIN_XML_SECURE
                                                           : VIR_DOMAIN_XML_INACTIVE);
    if (!xml) {
        virt_error_from_libvirt(error, "reading the VM's definition");
        return NULL;
    }
    return virt_xml_parse(xml, strlen(xml), error);
}

/* The pool-backed volume behind one <disk>, or NULL when no pool of `src`
 * holds it (a path outside every pool is not Vireo's to check or copy). */
static virStorageVolPtr disk_volume(virConnectPtr src, xmlXPathContext *ctx, xmlNode *disk)
{
    g_autofree char *pool = virt_xml_string(ctx, disk, "source/@pool");
    g_autofree char *volume = virt_xml_string(ctx, disk, "source/@volume");
    if (pool && volume) {
        virStoragePoolPtr p = virStoragePoolLookupByName(src, pool);
        virStorageVolPtr v = p ? virStorageVolLookupByName(p, volume) : NULL;
        if (p)
            virStoragePoolFree(p);
        virResetLastError();
        return v;
    }
    g_autofree char *path = virt_xml_string(ctx, disk, "source/@file | source/@dev");
    virStorageVolPtr v = path ? virStorageVolLookupByPath(src, path) : NULL;
    virResetLastError();
    return v;
}

static VirtMigrateDisk *disk_from_volume(virStorageVolPtr vol, const char *target, GError **error)
{
    virStoragePoolPtr pool = virStoragePoolLookupByVolume(vol);
    if (!pool) {
        virt_error_from_libvirt(error, "finding a disk's storage pool");
        return NULL;
    }
    g_autoptr(VirtVolume) info = virt_volume_info(vol, error);
    VirtMigrateDisk *d = NULL;
    if (info) {
        d = g_new0(VirtMigrateDisk, 1);
        d->target = g_strdup(target);
        d->path = g_strdup(info->path);
        d->pool = g_strdup(virStoragePoolGetName(pool));
        d->volume = g_strdup(info->name);
        d->format = g_strdup(info->format);
        d->capacity = info->capacity;
    }
    virStoragePoolFree(pool);
    return d;
}

GPtrArray *virt_migrate_disks(virConnectPtr src, virDomainPtr dom, GError **error)
{
    g_autoptr(xmlDoc) doc = domain_doc(dom, error);
    if (!doc)
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    /* CD-ROMs, floppies and read-only disks are media a migration neither
     * copies nor writes. */
    g_autoptr(xmlXPathObject)
        disks = virt_xml_nodes(ctx, NULL, "/domain/devices/disk[@device='disk' and not(readonly)]");
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)virt_migrate_disk_free);
    for (int i = 0; i < virt_xml_count(disks); i++) {
        xmlNode *node = disks->nodesetval->nodeTab[i];
        virStorageVolPtr vol = disk_volume(src, ctx, node);
        if (!vol)
            continue;
        g_autofree char *target = virt_xml_string(ctx, node, "target/@dev");
        VirtMigrateDisk *d = disk_from_volume(vol, target, error);
        virStorageVolFree(vol);
        if (!d) {
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(out, d);
    }
    return out;
}

/* One element as XML text. */
static char *node_xml(xmlNode *node)
{
    xmlBuffer *buf = xmlBufferCreate();
    xmlNodeDump(buf, node->doc, node, 0, 0);
    char *text = g_strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return text;
}

/* The XML text of what `expr` selects in a host's capabilities (the first
 * match, whole), or its string value with `as_text`; NULL when absent. */
static char *caps_select(virConnectPtr conn, const char *expr, gboolean as_text, GError **error)
{
    g_autofree char *caps = virConnectGetCapabilities(conn);
    if (!caps) {
        virt_error_from_libvirt(error, "reading a host's capabilities");
        return NULL;
    }
    g_autoptr(xmlDoc) doc = virt_xml_parse(caps, strlen(caps), error);
    if (!doc)
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    if (as_text)
        return virt_xml_string(ctx, NULL, expr);
    g_autoptr(xmlXPathObject) nodes = virt_xml_nodes(ctx, NULL, expr);
    if (virt_xml_count(nodes) == 0)
        return NULL;
    return node_xml(nodes->nodesetval->nodeTab[0]);
}

static gboolean check_same_host(virConnectPtr src, virConnectPtr dst, GError **error)
{
    g_autofree char *a = caps_select(src, "/capabilities/host/uuid", TRUE, error);
    if (error && *error)
        return FALSE;
    g_autofree char *b = caps_select(dst, "/capabilities/host/uuid", TRUE, error);
    if (error && *error)
        return FALSE;
    if (a && b && strcmp(a, b) == 0)
        return refuse(error, VIRT_MIGRATE_SAME_HOST, "the target is the VM's own host (%s)", a);
    return TRUE;
}

static gboolean check_name_free(virDomainPtr dom, virConnectPtr dst, GError **error)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(dom, uuid) < 0) {
        virt_error_from_libvirt(error, "reading the VM's UUID");
        return FALSE;
    }
    const char *name = virDomainGetName(dom);
    virDomainPtr there = virDomainLookupByName(dst, name);
    const char *clash = "name";
    if (!there) {
        there = virDomainLookupByUUIDString(dst, uuid);
        clash = "UUID";
    }
    virResetLastError();
    if (!there)
        return TRUE;
    g_autofree char *other = g_strdup(virDomainGetName(there));
    virDomainFree(there);
    return refuse(error, VIRT_MIGRATE_NAME_TAKEN, "the target already has a VM with this %s (%s)",
                  clash, other ? other : name);
}

static gboolean check_networks(xmlXPathContext *ctx, virConnectPtr dst, gboolean running,
                               GError **error)
{
    g_autoptr(xmlXPathObject) nets = virt_xml_nodes(
        ctx, NULL, "/domain/devices/interface[@type='network']/source/@network");
    for (int i = 0; i < virt_xml_count(nets); i++) {
        g_autofree char *name = (char *)xmlNodeGetContent(nets->nodesetval->nodeTab[i]);
        virNetworkPtr net = virNetworkLookupByName(dst, name);
        virResetLastError();
        if (!net)
            return refuse(error, VIRT_MIGRATE_NO_NETWORK, "the target has no network '%s'", name);
        int active = virNetworkIsActive(net);
        virNetworkFree(net);
        /* A running VM plugs into the network as it lands. */
        if (running && active != 1)
            return refuse(error, VIRT_MIGRATE_NO_NETWORK,
                          "the network '%s' is not active on the target", name);
    }
    return TRUE;
}

static gboolean check_disks(virConnectPtr src, virDomainPtr dom, virConnectPtr dst,
                            gboolean copy_storage, GError **error)
{
    g_autoptr(GPtrArray) disks = virt_migrate_disks(src, dom, error);
    if (!disks)
        return FALSE;
    for (guint i = 0; i < disks->len; i++) {
        VirtMigrateDisk *d = disks->pdata[i];
        virStoragePoolPtr pool = virStoragePoolLookupByName(dst, d->pool);
        virResetLastError();
        if (!pool)
            return refuse(error, VIRT_MIGRATE_NO_POOL,
                          "the target has no storage pool '%s' (disk %s)", d->pool, d->target);
        virStorageVolPtr there = NULL;
        if (virStoragePoolIsActive(pool) == 1) {
            virStoragePoolRefresh(pool, 0);
            there = virStorageVolLookupByName(pool, d->volume);
        }
        virResetLastError();
        int active = virStoragePoolIsActive(pool);
        virStoragePoolFree(pool);
        if (there)
            virStorageVolFree(there);
        if (active != 1)
            return refuse(error, VIRT_MIGRATE_NO_POOL,
                          "the storage pool '%s' is not active on the target", d->pool);
        /* A copy never overwrites a volume of the target; without a copy
         * the disk must already be there (shared storage). */
        if (copy_storage && there)
            return refuse(error, VIRT_MIGRATE_NAME_TAKEN,
                          "the target's pool '%s' already has a volume '%s' (disk %s)", d->pool,
                          d->volume, d->target);
        if (!copy_storage && !there)
            return refuse(error, VIRT_MIGRATE_NO_DISK,
                          "the disk %s (%s/%s) is not on the target: copy the storage", d->target,
                          d->pool, d->volume);
    }
    return TRUE;
}

/* The CPU the VM sees must be one the target can give. A <cpu> with a
 * model (custom, or host-model as a running VM's live XML spells it out)
 * is compared with what the target's hypervisor can run for that virt
 * type (virConnectCompareHypervisorCPU: right for TCG, whose CPUs do not
 * depend on the host's); host-passthrough compares the source host's CPU
 * with the target's (virConnectCompareCPU). No <cpu>, or a model-less
 * one, is QEMU's default model for the type, which any target with the
 * same emulator runs. */
static gboolean check_cpu(virConnectPtr src, xmlXPathContext *ctx, virConnectPtr dst,
                          GError **error)
{
    g_autoptr(xmlXPathObject) cpus = virt_xml_nodes(ctx, NULL, "/domain/cpu");
    if (virt_xml_count(cpus) == 0)
        return TRUE;
    xmlNode *cpu = cpus->nodesetval->nodeTab[0];
    g_autofree char *mode = virt_xml_string(ctx, cpu, "@mode");
    g_autofree char *model = virt_xml_string(ctx, cpu, "model");
    int result;
    if (mode && strcmp(mode, "host-passthrough") == 0) {
        g_autofree char *host = caps_select(src, "/capabilities/host/cpu", FALSE, error);
        if (!host)
            return !(error && *error);
        result = virConnectCompareCPU(dst, host, VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE);
    } else if (model) {
        g_autofree char *arch = virt_xml_string(ctx, NULL, "/domain/os/type/@arch");
        g_autofree char *machine = virt_xml_string(ctx, NULL, "/domain/os/type/@machine");
        g_autofree char *virttype = virt_xml_string(ctx, NULL, "/domain/@type");
        g_autofree char *emulator = virt_xml_string(ctx, NULL, "/domain/devices/emulator");
        g_autofree char *xml = node_xml(cpu);
        result = virConnectCompareHypervisorCPU(dst, emulator, arch, machine, virttype, xml,
                                                VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE);
    } else {
        return TRUE;
    }
    if (result == VIR_CPU_COMPARE_INCOMPATIBLE ||
        (result < 0 && virGetLastErrorCode() == VIR_ERR_CPU_INCOMPATIBLE)) {
        const char *why = virGetLastErrorMessage();
        g_autofree char *detail = g_strdup(result < 0 && why ? why : "");
        virResetLastError();
        return refuse(error, VIRT_MIGRATE_CPU_INCOMPATIBLE,
                      "the target cannot give the VM its CPU (%s)%s%s", model ? model : mode,
                      *detail ? ": " : "", detail);
    }
    if (result < 0) {
        virt_error_from_libvirt(error, "comparing the VM's CPU with the target's");
        return FALSE;
    }
    return TRUE;
}

/* A running VM lands with all its memory; a stopped one needs none now. */
static gboolean check_memory(virDomainPtr dom, virConnectPtr dst, GError **error)
{
    virDomainInfo info;
    if (virDomainGetInfo(dom, &info) < 0) {
        virt_error_from_libvirt(error, "reading the VM's memory");
        return FALSE;
    }
    unsigned long long free_bytes = virNodeGetFreeMemory(dst);
    if (free_bytes == 0) {
        virt_error_from_libvirt(error, "reading the target's free memory");
        return FALSE;
    }
    guint64 need = (guint64)info.memory * 1024;
    if (free_bytes < need)
        return refuse(error, VIRT_MIGRATE_NO_MEMORY,
                      "the target has %llu MiB free, the VM uses %" G_GUINT64_FORMAT " MiB",
                      free_bytes >> 20, need >> 20);
    return TRUE;
}

gboolean virt_migrate_check(virConnectPtr src, virDomainPtr dom, virConnectPtr dst,
                            const VirtMigrateOptions *opts, GError **error)
{
    int running = virDomainIsActive(dom);
    if (running < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return FALSE;
    }
    g_autoptr(xmlDoc) doc = domain_doc(dom, error);
    if (!doc)
        return FALSE;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    return check_same_host(src, dst, error) && check_name_free(dom, dst, error) &&
           check_networks(ctx, dst, running, error) &&
           check_disks(src, dom, dst, opts->copy_storage, error) &&
           check_cpu(src, ctx, dst, error) && (!running || check_memory(dom, dst, error));
}
