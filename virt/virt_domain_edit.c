/* VM settings through libvirt. Live first, then the definition: a guest
 * without a balloon driver or hot-pluggable vCPUs still gets the value at
 * its next boot, and the caller is told so. */
#include "virt/virt_domain_edit.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"
#include "virt/virt_storage_xml.h"

#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

#define VCPUS_FALLBACK_MAX 255

const char *virt_applied_name(VirtApplied applied)
{
    return applied == VIRT_APPLIED_LIVE ? "live" : "next_boot";
}

/* -1 on error; callers report it. */
static int domain_active(virDomainPtr dom, int *persistent, GError **error)
{
    int active = virDomainIsActive(dom);
    int p = virDomainIsPersistent(dom);
    if (active < 0 || p < 0) {
        virt_error_from_libvirt(error, "reading VM");
        return -1;
    }
    if (persistent)
        *persistent = p;
    return active;
}

unsigned virt_domain_vcpus_max(virDomainPtr dom, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    if (!xml) {
        virt_error_from_libvirt(error, "reading VM");
        return 0;
    }
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return 0;
    /* The domain type ("qemu", "kvm") names the limit to ask for. */
    int max = virConnectGetMaxVcpus(virDomainGetConnect(dom), cfg->domain_type);
    if (max <= 0) {
        virResetLastError();
        max = VCPUS_FALLBACK_MAX;
    }
    return (unsigned)max;
}

guint64 virt_host_memory_mib(virConnectPtr conn, GError **error)
{
    virNodeInfo info;
    if (virNodeGetInfo(conn, &info) < 0) {
        virt_error_from_libvirt(error, "reading host memory");
        return 0;
    }
    return info.memory / 1024;
}

gboolean virt_domain_rename(virDomainPtr dom, const char *name, GError **error)
{
    if (!virt_storage_name_valid(name, error))
        return FALSE;
    if (strcmp(name, virDomainGetName(dom)) == 0)
        return TRUE;
    int persistent = 0;
    int active = domain_active(dom, &persistent, error);
    if (active < 0)
        return FALSE;
    if (active || !persistent) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "cannot rename VM '%s' while it is %s; shut it down first",
                    virDomainGetName(dom), active ? "running" : "transient");
        return FALSE;
    }
    virDomainPtr other = virDomainLookupByName(virDomainGetConnect(dom), name);
    if (other) {
        virDomainFree(other);
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS, "a VM named '%s' exists", name);
        return FALSE;
    }
    virResetLastError();
    if (virDomainRename(dom, name, 0) < 0) {
        virt_error_from_libvirt(error, "renaming VM");
        return FALSE;
    }
    return TRUE;
}

/* Tries the live change; FALSE (error cleared) when the hypervisor
 * refuses, so the caller falls back to the next boot. */
static gboolean try_live(int rc, const char *what)
{
    if (rc == 0)
        return TRUE;
    virErrorPtr e = virGetLastError();
    g_debug("%s live refused, next boot instead: %s", what, e && e->message ? e->message : "?");
    virResetLastError();
    return FALSE;
}

static gboolean need_persistent(virDomainPtr dom, int persistent, const char *what, GError **error)
{
    if (persistent)
        return TRUE;
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                "cannot change the %s of transient VM '%s' live, and it has no definition "
                "for a next boot",
                what, virDomainGetName(dom));
    return FALSE;
}

gboolean virt_domain_set_vcpus(virDomainPtr dom, unsigned vcpus, VirtApplied *applied,
                               GError **error)
{
    int persistent = 0;
    int active = domain_active(dom, &persistent, error);
    if (active < 0)
        return FALSE;
    int config_max = persistent ? virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_CONFIG |
                                                                  VIR_DOMAIN_VCPU_MAXIMUM)
                                : 0;
    if (config_max < 0) {
        virt_error_from_libvirt(error, "reading vCPUs");
        return FALSE;
    }
    if (active) {
        int live_max = virDomainGetVcpusFlags(dom,
                                              VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM);
        if (live_max < 0) {
            virt_error_from_libvirt(error, "reading vCPUs");
            return FALSE;
        }
        unsigned flags = VIR_DOMAIN_AFFECT_LIVE;
        /* LIVE|CONFIG needs the definition's maximum to allow it too. */
        if (persistent && vcpus <= (unsigned)config_max)
            flags |= VIR_DOMAIN_AFFECT_CONFIG;
        if (vcpus <= (unsigned)live_max &&
            try_live(virDomainSetVcpusFlags(dom, vcpus, flags), "vCPUs")) {
            if ((flags & VIR_DOMAIN_AFFECT_CONFIG) || !persistent) {
                *applied = VIRT_APPLIED_LIVE;
                return TRUE;
            }
        }
        if (!need_persistent(dom, persistent, "vCPUs", error))
            return FALSE;
    }
    if (vcpus > (unsigned)config_max &&
        virDomainSetVcpusFlags(dom, vcpus, VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM) <
            0) {
        virt_error_from_libvirt(error, "setting the vCPU maximum");
        return FALSE;
    }
    if (virDomainSetVcpusFlags(dom, vcpus, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        virt_error_from_libvirt(error, "setting vCPUs");
        return FALSE;
    }
    /* A live change that worked but could not be written to the
     * definition (maximum too low there) is live now and next boot too. */
    int live_now = active ? virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE) : -1;
    virResetLastError();
    *applied = live_now == (int)vcpus ? VIRT_APPLIED_LIVE : VIRT_APPLIED_NEXT_BOOT;
    return TRUE;
}

gboolean virt_domain_set_memory(virDomainPtr dom, guint64 mib, VirtApplied *applied, GError **error)
{
    unsigned long kib = (unsigned long)(mib * 1024);
    int persistent = 0;
    int active = domain_active(dom, &persistent, error);
    if (active < 0)
        return FALSE;
    if (active) {
        /* Live needs a balloon and stays within the started maximum. */
        unsigned long live_max = virDomainGetMaxMemory(dom);
        virResetLastError();
        unsigned flags = VIR_DOMAIN_AFFECT_LIVE | (persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0);
        if (live_max && kib <= live_max &&
            try_live(virDomainSetMemoryFlags(dom, kib, flags), "memory")) {
            *applied = VIRT_APPLIED_LIVE;
            return TRUE;
        }
        if (!need_persistent(dom, persistent, "memory", error))
            return FALSE;
    }
    /* For the next boot, maximum and current alike: without a balloon a
     * guest gets the maximum whatever the current value says. */
    if (virDomainSetMemoryFlags(dom, kib, VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_MEM_MAXIMUM) < 0 ||
        virDomainSetMemoryFlags(dom, kib, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
        virt_error_from_libvirt(error, "setting memory");
        return FALSE;
    }
    *applied = VIRT_APPLIED_NEXT_BOOT;
    return TRUE;
}

char *virt_domain_saved_config(virDomainPtr dom, GError **error)
{
    int persistent = 0;
    if (domain_active(dom, &persistent, error) < 0)
        return NULL;
    if (!persistent)
        return g_strdup("");
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml)
        virt_error_from_libvirt(error, "reading the VM's definition");
    return xml;
}

gboolean virt_domain_restore_config(virDomainPtr dom, const char *xml, GError **error)
{
    if (!xml || !*xml)
        return TRUE;
    virDomainPtr again = virDomainDefineXML(virDomainGetConnect(dom), xml);
    if (!again) {
        virt_error_from_libvirt(error, "restoring the VM's definition");
        return FALSE;
    }
    virDomainFree(again);
    return TRUE;
}

gboolean virt_domain_set_boot(virDomainPtr dom, const char *const *devs, GError **error)
{
    if (!virt_boot_order_valid(devs, error))
        return FALSE;
    int persistent = 0;
    if (domain_active(dom, &persistent, error) < 0)
        return FALSE;
    if (!persistent) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "VM '%s' is transient: its "
                    "boot order cannot change",
                    virDomainGetName(dom));
        return FALSE;
    }
    g_autofree char *xml = virt_domain_saved_config(dom, error);
    g_autofree char *edited = xml ? virt_domain_xml_set_boot(xml, devs, error) : NULL;
    return edited && virt_domain_restore_config(dom, edited, error);
}
