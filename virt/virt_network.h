/* Virtual networks: the list with addresses and DHCP leases, lookup,
 * creation as one unit (define + start + autostart), start, stop,
 * autostart and deletion. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_network_xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNetwork, virNetworkFree)

typedef struct {
    char *mac;
    char *ip;       /* with its prefix: "10.1.2.50/24" */
    char *hostname; /* NULL when the client sent none */
    gint64 expires; /* Unix seconds; 0 = never */
} VirtNetLease;

typedef struct {
    char *name;
    char uuid[VIR_UUID_STRING_BUFLEN];
    gboolean active;
    gboolean persistent;
    gboolean autostart;
    VirtNetworkConfig *config;
    GPtrArray *leases; /* VirtNetLease*; empty when inactive */
} VirtNetwork;

void virt_network_free(VirtNetwork *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtNetwork, virt_network_free)

/* Every network, sorted by name. */
GPtrArray *virt_network_list(virConnectPtr conn, GError **error);
/* By UUID when `id` parses as one, else by name. */
virNetworkPtr virt_network_lookup(virConnectPtr conn, const char *id, GError **error);
VirtNetwork *virt_network_read(virNetworkPtr net, GError **error);

/* TRUE for 1-64 letters, digits, '_', '-', '.', not starting with '.' or '-'. */
gboolean virt_network_name_valid(const char *name);
/* TRUE for a usable Linux interface name (1-15 characters, no '/'). */
gboolean virt_network_ifname_valid(const char *name);

/* Checks `cfg` (name, mode, bridge, addresses against every existing
 * network), defines it, then starts it and sets autostart as asked; any
 * failure after the define undefines it again. VIRT_ERROR_INVALID_ARG for
 * bad values, VIRT_ERROR_EXISTS for a name clash or an overlapping subnet. */
virNetworkPtr virt_network_create(virConnectPtr conn, const VirtNetworkConfig *cfg, gboolean start,
                                  gboolean autostart, GError **error);

gboolean virt_network_start(virNetworkPtr net, GError **error);
gboolean virt_network_stop(virNetworkPtr net, GError **error);
gboolean virt_network_set_autostart(virNetworkPtr net, gboolean on, GError **error);
/* Stops the network when it is active, then undefines it. */
gboolean virt_network_delete(virNetworkPtr net, GError **error);
