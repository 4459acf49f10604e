/* Network XML: reading a libvirt network definition into a plain struct and
 * building one from the same struct, both with libxml2. */
#pragma once
#include <glib.h>

#include "virt/virt_net_addr.h"

typedef struct {
    char *name;
    char *uuid;
    char *mode;     /* isolated, nat, routed, bridge, or libvirt's other forward modes */
    char *bridge;   /* the bridge libvirt makes, or the host's bridge in bridge mode */
    GPtrArray *ips; /* VirtNetIp* */
} VirtNetworkConfig;

VirtNetworkConfig *virt_network_config_new(void);
void virt_network_config_free(VirtNetworkConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtNetworkConfig, virt_network_config_free)

/* Unknown elements are ignored; <ip> blocks that do not parse are skipped. */
VirtNetworkConfig *virt_network_config_parse(const char *xml, gsize len, GError **error);

/* The definition of `cfg` (mode isolated, nat, routed or bridge). Values
 * are escaped by libxml2, never pasted. */
char *virt_network_xml_build(const VirtNetworkConfig *cfg, GError **error);
