/* A running VM's IP addresses (virDomainInterfaceAddresses): from the DHCP
 * leases of libvirt's own networks first, then from the QEMU guest agent
 * where the guest runs one. The agent may take seconds to answer: callers
 * that must not wait ask for leases only. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

typedef struct {
    char *interface; /* the host's tap device (leases) or the guest's name (agent) */
    char *mac;       /* may be NULL */
    char *address;   /* canonical text */
    guint prefix;
    gboolean ipv6;
    const char *source; /* "lease" or "agent" */
} VirtIfAddr;

void virt_if_addr_free(VirtIfAddr *a);

typedef enum {
    VIRT_AGENT_SKIP, /* leases only */
    VIRT_AGENT_ASK,  /* the agent too, when leases give nothing */
} VirtAgentUse;

typedef enum {
    VIRT_AGENT_NOT_ASKED,
    VIRT_AGENT_ANSWERED,
    VIRT_AGENT_ABSENT,    /* the domain has no agent channel: do not ask again this run */
    VIRT_AGENT_NOT_READY, /* there is one, but no agent answers (yet) */
} VirtAgentState;

/* The addresses (VirtIfAddr*), loopback ones left out; NULL with `error`
 * when the leases cannot be read (the VM stopped, libvirt went). An agent
 * that fails is no error: `agent_state` (may be NULL) says how it went. */
GPtrArray *virt_domain_addresses(virDomainPtr dom, VirtAgentUse agent, VirtAgentState *agent_state,
                                 GError **error);
