/* What a running domain's definition will boot with where it differs from
 * what runs: changes of vCPUs, memory or boot order made for its next
 * boot. Two reads (the live and the stored definition), done only when a
 * caller asks: the VM detail, and the model when an event names a domain. */
#include "virt/virt_domain.h"

#include <libvirt/virterror.h>
#include <string.h>

void virt_domain_next_boot_free(VirtDomainNextBoot *n)
{
    if (!n)
        return;
    g_strfreev(n->boot);
    g_free(n);
}

VirtDomainNextBoot *virt_domain_next_boot_copy(const VirtDomainNextBoot *n)
{
    if (!n)
        return NULL;
    VirtDomainNextBoot *c = g_new0(VirtDomainNextBoot, 1);
    c->vcpus = n->vcpus;
    c->memory_kib = n->memory_kib;
    c->boot = g_strdupv(n->boot);
    return c;
}

static VirtDomainConfig *config_of(virDomainPtr dom, unsigned flags)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, flags);
    if (!xml)
        return NULL;
    return virt_domain_config_parse(xml, strlen(xml), NULL);
}

static gboolean same_order(GStrv a, GStrv b)
{
    guint na = a ? g_strv_length(a) : 0, nb = b ? g_strv_length(b) : 0;
    if (na != nb)
        return FALSE;
    for (guint i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return FALSE;
    return TRUE;
}

VirtDomainNextBoot *virt_domain_next_boot(virDomainPtr dom)
{
    if (virDomainIsActive(dom) != 1 || virDomainIsPersistent(dom) != 1) {
        virResetLastError();
        return NULL;
    }
    g_autoptr(VirtDomainConfig) live = config_of(dom, 0);
    g_autoptr(VirtDomainConfig) next = live ? config_of(dom, VIR_DOMAIN_XML_INACTIVE) : NULL;
    virResetLastError();
    if (!next)
        return NULL;
    g_autoptr(VirtDomainNextBoot) n = g_new0(VirtDomainNextBoot, 1);
    if (next->vcpus != live->vcpus)
        n->vcpus = next->vcpus;
    if (next->memory_kib / 1024 != live->memory_kib / 1024)
        n->memory_kib = next->memory_kib;
    if (!same_order(next->boot, live->boot))
        n->boot = next->boot ? g_strdupv(next->boot) : g_new0(char *, 1);
    if (!n->vcpus && !n->memory_kib && !n->boot)
        return NULL;
    return g_steal_pointer(&n);
}
