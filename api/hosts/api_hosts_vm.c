/* Which host has a VM, by its UUID, from each host's VM model: no call to
 * libvirt, so a host that hangs holds nobody up (see api_hosts.h). */
#include "api/hosts/api_hosts.h"
#include "virt/virt_hosts.h"

#include <string.h>

VirtHost *api_hosts_find_vm(ApiContext *ctx, const char *uuid, VirtModelSnapshot **snap,
                            const VirtDomainSummary **found)
{
    g_autoptr(GPtrArray) hosts = ctx->hosts ? virt_hosts_list(ctx->hosts) : NULL;
    for (guint i = 0; hosts && i < hosts->len; i++) {
        VirtHost *h = g_ptr_array_index(hosts, i);
        g_autoptr(VirtModelSnapshot) last = virt_model_last(virt_host_model(h));
        for (guint j = 0; last && j < last->domains->len; j++) {
            const VirtDomainSummary *d = g_ptr_array_index(last->domains, j);
            if (strcmp(d->uuid, uuid) != 0)
                continue;
            *found = d;
            *snap = g_steal_pointer(&last);
            return virt_host_ref(h);
        }
    }
    return NULL;
}
