/* A VM's IP addresses from leases, then the guest agent (see
 * virt_domain_addr.h). */
#include "virt/virt_domain_addr.h"
#include "virt/virt_error.h"

#include <gio/gio.h>
#include <libvirt/virterror.h>

void virt_if_addr_free(VirtIfAddr *a)
{
    if (!a)
        return;
    g_free(a->interface);
    g_free(a->mac);
    g_free(a->address);
    g_free(a);
}

/* Addresses of `ifaces` into `out`, in canonical form; loopback and
 * unparsable ones are left out (the agent reports the guest's "lo"). */
static void collect(virDomainInterfacePtr *ifaces, int n, const char *source, GPtrArray *out)
{
    for (int i = 0; i < n; i++) {
        const virDomainInterface *in = ifaces[i];
        for (unsigned j = 0; j < in->naddrs; j++) {
            const virDomainIPAddress *ip = &in->addrs[j];
            g_autoptr(GInetAddress) addr = ip->addr ? g_inet_address_new_from_string(ip->addr)
                                                    : NULL;
            if (!addr || g_inet_address_get_is_loopback(addr))
                continue;
            VirtIfAddr *a = g_new0(VirtIfAddr, 1);
            a->interface = g_strdup(in->name);
            a->mac = g_strdup(in->hwaddr);
            a->address = g_inet_address_to_string(addr);
            a->prefix = ip->prefix;
            a->ipv6 = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6;
            a->source = source;
            g_ptr_array_add(out, a);
        }
    }
}

static void free_ifaces(virDomainInterfacePtr *ifaces, int n)
{
    for (int i = 0; i < n; i++)
        virDomainInterfaceFree(ifaces[i]);
    free(ifaces);
}

static VirtAgentState ask_agent(virDomainPtr dom, GPtrArray *out)
{
    virDomainInterfacePtr *ifaces = NULL;
    int n = virDomainInterfaceAddresses(dom, &ifaces, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0);
    if (n < 0) {
        /* "not configured" (no channel in the definition) is for the
         * whole run; "not connected"/"not responding" may pass. */
        virErrorPtr e = virGetLastError();
        gboolean absent = e && (e->code == VIR_ERR_ARGUMENT_UNSUPPORTED ||
                                e->code == VIR_ERR_NO_SUPPORT ||
                                e->code == VIR_ERR_OPERATION_UNSUPPORTED);
        virResetLastError();
        return absent ? VIRT_AGENT_ABSENT : VIRT_AGENT_NOT_READY;
    }
    collect(ifaces, n, "agent", out);
    free_ifaces(ifaces, n);
    return VIRT_AGENT_ANSWERED;
}

GPtrArray *virt_domain_addresses(virDomainPtr dom, VirtAgentUse agent, VirtAgentState *agent_state,
                                 GError **error)
{
    if (agent_state)
        *agent_state = VIRT_AGENT_NOT_ASKED;
    virDomainInterfacePtr *ifaces = NULL;
    int n = virDomainInterfaceAddresses(dom, &ifaces, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "reading the VM's DHCP leases");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)virt_if_addr_free);
    collect(ifaces, n, "lease", out);
    free_ifaces(ifaces, n);
    if (out->len == 0 && agent == VIRT_AGENT_ASK) {
        VirtAgentState st = ask_agent(dom, out);
        if (agent_state)
            *agent_state = st;
    }
    return out;
}
