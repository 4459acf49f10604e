/* What VMs and create plans take, for quotas (see virt_footprint.h). */
#include "virt/virt_footprint.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

gboolean virt_domain_footprint(virDomainPtr dom, VirtFootprint *out, GError **error)
{
    *out = (VirtFootprint){0};
    /* Of the definition when shut off, else of the running guest. */
    virDomainInfo info;
    if (virDomainGetInfo(dom, &info) < 0) {
        virt_error_from_libvirt(error, "reading the VM's vCPUs and memory");
        return FALSE;
    }
    out->vcpus = info.nrVirtCpu;
    out->memory_kib = info.maxMem;
    if (info.state == VIR_DOMAIN_SHUTOFF)
        return TRUE;
    /* Running: what waits for the next boot may be more (a transient
     * domain answers its live definition here, the same figures). */
    g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml) {
        virt_error_from_libvirt(error, "reading the VM's definition");
        return FALSE;
    }
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return FALSE;
    out->vcpus = MAX(out->vcpus, cfg->vcpus);
    out->memory_kib = MAX(out->memory_kib, cfg->max_memory_kib);
    return TRUE;
}

/* What the plan's volume i adds, in bytes. */
static gboolean volume_bytes(virConnectPtr conn, const VirtVmVolume *v, guint64 *bytes,
                             GError **error)
{
    *bytes = 0;
    switch (v->kind) {
    case VIRT_VM_VOL_EXISTING: return TRUE;
    case VIRT_VM_VOL_NEW: *bytes = v->size; return TRUE;
    case VIRT_VM_VOL_DATA: *bytes = v->data_len; return TRUE;
    case VIRT_VM_VOL_CLONE:
    case VIRT_VM_VOL_OVERLAY: break;
    }
    g_autoptr(virStorageVol) src = virt_volume_lookup_ref(conn, v->from, NULL, error);
    g_autoptr(VirtVolume) info = src ? virt_volume_info(src, error) : NULL;
    if (!info)
        return FALSE;
    *bytes = MAX(v->size, info->capacity);
    return TRUE;
}

gboolean virt_vm_plan_footprint(virConnectPtr conn, const VirtVmPlan *plan, VirtFootprint *out,
                                GError **error)
{
    *out = (VirtFootprint){0};
    if (plan->clone_of) {
        g_autoptr(VirtDomainConfig)
            cfg = virt_domain_config_parse(plan->clone_of, strlen(plan->clone_of), error);
        if (!cfg)
            return FALSE;
        out->vcpus = cfg->vcpus;
        out->memory_kib = cfg->max_memory_kib;
    } else {
        out->vcpus = plan->domain.vcpus;
        out->memory_kib = plan->domain.memory_mib * 1024;
    }
    for (guint i = 0; i < plan->n_volumes; i++) {
        guint64 bytes;
        if (!volume_bytes(conn, &plan->volumes[i], &bytes, error))
            return FALSE;
        out->disk_bytes += bytes;
    }
    return TRUE;
}

gboolean virt_volume_capacity_at(virConnectPtr conn, const char *path, guint64 *capacity,
                                 GError **error)
{
    *capacity = 0;
    g_autoptr(virStorageVol) vol = virStorageVolLookupByPath(conn, path);
    virStorageVolInfo info;
    if (vol && virStorageVolGetInfo(vol, &info) == 0) {
        *capacity = info.capacity;
        return TRUE;
    }
    GError *why = NULL;
    virt_error_from_libvirt(&why, "reading a volume's capacity");
    /* Gone, or in a pool that is not running: it takes nothing now. */
    if (g_error_matches(why, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
        g_error_free(why);
    else
        g_propagate_error(error, why);
    return FALSE;
}
