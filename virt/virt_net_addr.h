/* IP subnets of virtual networks: parsing "address/prefix", checking DHCP
 * ranges against the subnet, and overlap between two subnets (GIO's
 * GInetAddress/GInetAddressMask do the byte work). */
#pragma once
#include <gio/gio.h>

/* One address block of a network: the host's (gateway) address, its prefix
 * and an optional DHCP range. Strings are in canonical text form. */
typedef struct {
    gboolean ipv6;
    char *address; /* "10.1.2.1", "fd00::1" */
    guint prefix;
    char *dhcp_start; /* NULL: no DHCP */
    char *dhcp_end;
} VirtNetIp;

void virt_net_ip_free(VirtNetIp *ip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtNetIp, virt_net_ip_free)

/* Parses and validates a block given as "ADDRESS/PREFIX" of the family
 * `ipv6`, with an optional DHCP range (both ends or neither): the prefix
 * leaves room for hosts, the address is neither the network's nor (IPv4)
 * the broadcast address, the range lies in the subnet with start <= end.
 * VIRT_ERROR_INVALID_ARG names the faulty value. */
VirtNetIp *virt_net_ip_parse(gboolean ipv6, const char *cidr, const char *dhcp_start,
                             const char *dhcp_end, GError **error);

/* TRUE when the two blocks' subnets share any address (never across
 * families). Blocks that do not parse never overlap. */
gboolean virt_net_ip_overlaps(const VirtNetIp *a, const VirtNetIp *b);

/* Prefix length of a dotted IPv4 netmask ("255.255.255.0" -> 24), -1 when
 * it is not a contiguous mask. */
int virt_net_netmask_prefix(const char *netmask);
