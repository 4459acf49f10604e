/* Subnet arithmetic for network definitions: CIDR parsing, DHCP range
 * checks and overlap tests, on GInetAddress bytes so IPv4 and IPv6 share
 * one code path. */
#include "virt/virt_net_addr.h"
#include "virt/virt_error.h"

#include <string.h>

#define IPV4_PREFIX_MIN 8
#define IPV4_PREFIX_MAX 30 /* /31 and /32 leave no host besides the gateway */
#define IPV6_PREFIX_MIN 8
#define IPV6_PREFIX_MAX 126

void virt_net_ip_free(VirtNetIp *ip)
{
    if (!ip)
        return;
    g_free(ip->address);
    g_free(ip->dhcp_start);
    g_free(ip->dhcp_end);
    g_free(ip);
}

/* An address of the wanted family, or NULL. */
static GInetAddress *parse_address(const char *text, gboolean ipv6)
{
    if (!text)
        return NULL;
    GInetAddress *a = g_inet_address_new_from_string(text);
    if (a && (g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV6) != ipv6)
        g_clear_object(&a);
    return a;
}

/* `addr` with every bit past `prefix` cleared (`set`: set instead). */
static GInetAddress *masked(GInetAddress *addr, guint prefix, gboolean set)
{
    gsize n = g_inet_address_get_native_size(addr);
    guint8 bytes[16];
    memcpy(bytes, g_inet_address_to_bytes(addr), n);
    for (gsize bit = prefix; bit < n * 8; bit++) {
        guint8 m = (guint8)(0x80u >> (bit % 8));
        bytes[bit / 8] = set ? (guint8)(bytes[bit / 8] | m) : (guint8)(bytes[bit / 8] & ~m);
    }
    return g_inet_address_new_from_bytes(bytes, g_inet_address_get_family(addr));
}

static int compare(GInetAddress *a, GInetAddress *b)
{
    return memcmp(g_inet_address_to_bytes(a), g_inet_address_to_bytes(b),
                  g_inet_address_get_native_size(a));
}

static GInetAddressMask *subnet_of(GInetAddress *addr, guint prefix)
{
    g_autoptr(GInetAddress) net = masked(addr, prefix, FALSE);
    return g_inet_address_mask_new(net, prefix, NULL);
}

static gboolean parse_prefix(const char *text, gboolean ipv6, guint *out, GError **error)
{
    guint min = ipv6 ? IPV6_PREFIX_MIN : IPV4_PREFIX_MIN;
    guint max = ipv6 ? IPV6_PREFIX_MAX : IPV4_PREFIX_MAX;
    guint64 v;
    if (!g_ascii_string_to_unsigned(text, 10, 0, 128, &v, NULL))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "'%s' is not a prefix length", text);
    if (v < min || v > max)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "%s prefix /%u is out of range: use /%u to /%u", ipv6 ? "IPv6" : "IPv4",
                         (guint)v, min, max);
    *out = (guint)v;
    return TRUE;
}

static gboolean check_range(GInetAddressMask *subnet, GInetAddress *net, GInetAddress *bcast,
                            gboolean ipv6, const char *start_text, const char *end_text,
                            GError **error)
{
    g_autoptr(GInetAddress) start = parse_address(start_text, ipv6);
    g_autoptr(GInetAddress) end = parse_address(end_text, ipv6);
    if (!start)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "DHCP start '%s' is not an %s address",
                         start_text, ipv6 ? "IPv6" : "IPv4");
    if (!end)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "DHCP end '%s' is not an %s address",
                         end_text, ipv6 ? "IPv6" : "IPv4");
    g_autofree char *cidr = g_inet_address_mask_to_string(subnet);
    if (!g_inet_address_mask_matches(subnet, start) || !g_inet_address_mask_matches(subnet, end))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "DHCP range %s - %s is not inside the subnet %s", start_text, end_text,
                         cidr);
    if (compare(start, end) > 0)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "DHCP range start %s is after its end %s",
                         start_text, end_text);
    if (compare(start, net) == 0 || (!ipv6 && compare(end, bcast) == 0))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "DHCP range %s - %s includes the %s address of %s", start_text, end_text,
                         compare(start, net) == 0 ? "network" : "broadcast", cidr);
    return TRUE;
}

VirtNetIp *virt_net_ip_parse(gboolean ipv6, const char *cidr, const char *dhcp_start,
                             const char *dhcp_end, GError **error)
{
    const char *family = ipv6 ? "IPv6" : "IPv4";
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    if (!slash) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "%s address '%s' must be ADDRESS/PREFIX, e.g. %s",
                  family, cidr ? cidr : "", ipv6 ? "fd00::1/64" : "10.1.2.1/24");
        return NULL;
    }
    g_autofree char *text = g_strndup(cidr, (gsize)(slash - cidr));
    g_autoptr(GInetAddress) addr = parse_address(text, ipv6);
    guint prefix = 0;
    if (!addr) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "'%s' is not an %s address", text, family);
        return NULL;
    }
    if (!parse_prefix(slash + 1, ipv6, &prefix, error))
        return NULL;
    g_autoptr(GInetAddressMask) subnet = subnet_of(addr, prefix);
    g_autoptr(GInetAddress) net = masked(addr, prefix, FALSE);
    g_autoptr(GInetAddress) bcast = masked(addr, prefix, TRUE);
    g_autofree char *subnet_text = g_inet_address_mask_to_string(subnet);
    if (compare(addr, net) == 0) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG,
                  "%s is the network address of %s; give the host's address, e.g. the "
                  "first one after it",
                  text, subnet_text);
        return NULL;
    }
    if (!ipv6 && compare(addr, bcast) == 0) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "%s is the broadcast address of %s", text,
                  subnet_text);
        return NULL;
    }
    if (!dhcp_start != !dhcp_end) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "a DHCP range needs both start and end");
        return NULL;
    }
    if (dhcp_start && !check_range(subnet, net, bcast, ipv6, dhcp_start, dhcp_end, error))
        return NULL;
    VirtNetIp *ip = g_new0(VirtNetIp, 1);
    ip->ipv6 = ipv6;
    ip->address = g_inet_address_to_string(addr);
    ip->prefix = prefix;
    if (dhcp_start) {
        g_autoptr(GInetAddress) s = parse_address(dhcp_start, ipv6);
        g_autoptr(GInetAddress) e = parse_address(dhcp_end, ipv6);
        ip->dhcp_start = g_inet_address_to_string(s);
        ip->dhcp_end = g_inet_address_to_string(e);
    }
    return ip;
}

gboolean virt_net_ip_overlaps(const VirtNetIp *a, const VirtNetIp *b)
{
    if (a->ipv6 != b->ipv6)
        return FALSE;
    g_autoptr(GInetAddress) x = parse_address(a->address, a->ipv6);
    g_autoptr(GInetAddress) y = parse_address(b->address, b->ipv6);
    guint max = a->ipv6 ? 128 : 32;
    if (!x || !y || a->prefix > max || b->prefix > max)
        return FALSE;
    /* Two prefixes overlap exactly when the shorter one holds the other. */
    guint shorter = MIN(a->prefix, b->prefix);
    g_autoptr(GInetAddress) nx = masked(x, shorter, FALSE);
    g_autoptr(GInetAddress) ny = masked(y, shorter, FALSE);
    return compare(nx, ny) == 0;
}

int virt_net_netmask_prefix(const char *netmask)
{
    g_autoptr(GInetAddress) m = parse_address(netmask, FALSE);
    if (!m)
        return -1;
    const guint8 *b = g_inet_address_to_bytes(m);
    guint32 v = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
    int prefix = 0;
    while (prefix < 32 && (v & (0x80000000u >> prefix)))
        prefix++;
    if (prefix < 32 && (v << prefix) != 0)
        return -1;
    return prefix;
}
