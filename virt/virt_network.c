/* Network operations on one libvirt connection. libvirt has no bulk call
 * for network state, but hosts have a handful of networks, so the list
 * reads each one's XML and flags. */
#include "virt/virt_network.h"
#include "virt/virt_error.h"

#include <ifaddrs.h>
#include <libvirt/virterror.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define NAME_MAX_LEN 64
#define IFNAME_MAX_LEN 15 /* IFNAMSIZ - 1 */

static void lease_free(gpointer p)
{
    VirtNetLease *l = p;
    g_free(l->mac);
    g_free(l->ip);
    g_free(l->hostname);
    g_free(l);
}

void virt_network_free(VirtNetwork *n)
{
    if (!n)
        return;
    g_free(n->name);
    virt_network_config_free(n->config);
    if (n->leases)
        g_ptr_array_unref(n->leases);
    g_free(n);
}

gboolean virt_network_name_valid(const char *name)
{
    gsize n = name ? strlen(name) : 0;
    if (n == 0 || n > NAME_MAX_LEN || name[0] == '.' || name[0] == '-')
        return FALSE;
    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("_-.", *c))
            return FALSE;
    return TRUE;
}

gboolean virt_network_ifname_valid(const char *name)
{
    gsize n = name ? strlen(name) : 0;
    if (n == 0 || n > IFNAME_MAX_LEN || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return FALSE;
    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("_-.", *c))
            return FALSE;
    return TRUE;
}

/* Drivers without lease support (or a network without DHCP) give none. */
static GPtrArray *read_leases(virNetworkPtr net)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(lease_free);
    virNetworkDHCPLeasePtr *leases = NULL;
    int n = virNetworkGetDHCPLeases(net, NULL, &leases, 0);
    if (n < 0) {
        virResetLastError();
        return out;
    }
    for (int i = 0; i < n; i++) {
        VirtNetLease *l = g_new0(VirtNetLease, 1);
        l->mac = g_strdup(leases[i]->mac);
        l->ip = g_strdup_printf("%s/%u", leases[i]->ipaddr, leases[i]->prefix);
        l->hostname = g_strdup(leases[i]->hostname);
        l->expires = leases[i]->expirytime;
        g_ptr_array_add(out, l);
        virNetworkDHCPLeaseFree(leases[i]);
    }
    free(leases);
    return out;
}

VirtNetwork *virt_network_read(virNetworkPtr net, GError **error)
{
    g_autoptr(VirtNetwork) n = g_new0(VirtNetwork, 1);
    g_autofree char *xml = virNetworkGetXMLDesc(net, 0);
    int active = virNetworkIsActive(net);
    int persistent = virNetworkIsPersistent(net);
    int autostart = 0;
    if (!xml || active < 0 || persistent < 0 ||
        (persistent && virNetworkGetAutostart(net, &autostart) < 0)) {
        virt_error_from_libvirt(error, "reading network");
        return NULL;
    }
    n->config = virt_network_config_parse(xml, strlen(xml), error);
    if (!n->config)
        return NULL;
    n->name = g_strdup(virNetworkGetName(net));
    virNetworkGetUUIDString(net, n->uuid);
    n->active = active != 0;
    n->persistent = persistent != 0;
    n->autostart = autostart != 0;
    n->leases = active ? read_leases(net) : g_ptr_array_new_with_free_func(lease_free);
    return g_steal_pointer(&n);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    const VirtNetwork *x = *(VirtNetwork *const *)a;
    const VirtNetwork *y = *(VirtNetwork *const *)b;
    return strcmp(x->name, y->name);
}

GPtrArray *virt_network_list(virConnectPtr conn, GError **error)
{
    virNetworkPtr *nets = NULL;
    int n = virConnectListAllNetworks(conn, &nets, 0);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing networks");
        return NULL;
    }
    g_autoptr(GPtrArray) out = g_ptr_array_new_full(n, (GDestroyNotify)virt_network_free);
    g_autoptr(GError) first = NULL;
    for (int i = 0; i < n; i++) {
        g_autoptr(GError) e = NULL;
        VirtNetwork *net = virt_network_read(nets[i], &e);
        /* A network removed between the list and the read is simply gone. */
        if (net)
            g_ptr_array_add(out, net);
        else if (!first && !g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
            first = g_steal_pointer(&e);
        virNetworkFree(nets[i]);
    }
    free(nets);
    if (first) {
        g_propagate_error(error, g_steal_pointer(&first));
        return NULL;
    }
    g_ptr_array_sort(out, by_name);
    return g_steal_pointer(&out);
}

virNetworkPtr virt_network_lookup(virConnectPtr conn, const char *id, GError **error)
{
    virNetworkPtr net = NULL;
    if (g_uuid_string_is_valid(id))
        net = virNetworkLookupByUUIDString(conn, id);
    if (!net) {
        virResetLastError();
        net = virNetworkLookupByName(conn, id);
    }
    if (!net) {
        virt_error_from_libvirt(error, "looking up network");
        if (error && *error && (*error)->code == VIRT_ERROR_NOT_FOUND) {
            g_clear_error(error);
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "no network named '%s'", id);
        }
    }
    return net;
}

static gboolean host_bridge_exists(const char *name)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s/bridge", name);
    return g_file_test(path, G_FILE_TEST_IS_DIR);
}

/* libvirt makes the bridge of a non-bridge-mode network itself and cannot
 * when the name is taken by any interface. */
static gboolean host_interface_exists(const char *name)
{
    g_autofree char *path = g_strdup_printf("/sys/class/net/%s", name);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* What libvirt itself would refuse, said in terms of the API's fields. */
static gboolean check_config(const VirtNetworkConfig *cfg, GError **error)
{
    if (!virt_network_name_valid(cfg->name))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "invalid network name '%s': use 1-64 letters, digits, _ - . "
                         "(not starting with . or -)",
                         cfg->name ? cfg->name : "");
    static const char *const modes[] = {"isolated", "nat", "routed", "bridge", NULL};
    if (!cfg->mode || !g_strv_contains(modes, cfg->mode))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "invalid mode '%s': use isolated, nat, routed or bridge",
                         cfg->mode ? cfg->mode : "");
    if (cfg->bridge && !virt_network_ifname_valid(cfg->bridge))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "invalid bridge name '%s': use 1-15 letters, digits, _ - .", cfg->bridge);
    gboolean has_v4 = FALSE;
    for (guint i = 0; i < cfg->ips->len; i++)
        has_v4 |= !((const VirtNetIp *)g_ptr_array_index(cfg->ips, i))->ipv6;
    if (strcmp(cfg->mode, "bridge") == 0) {
        if (!cfg->bridge)
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "bridge mode needs 'bridge': the name of an existing host bridge");
        if (cfg->ips->len)
            return virt_fail(
                error, VIRT_ERROR_INVALID_ARG,
                "bridge mode takes no ipv4/ipv6: addresses come from the host's bridge");
        if (!host_bridge_exists(cfg->bridge))
            return virt_fail(error, VIRT_ERROR_INVALID_ARG, "'%s' is not a bridge on this host",
                             cfg->bridge);
        return TRUE;
    }
    if (strcmp(cfg->mode, "nat") == 0 && !has_v4)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "nat mode needs an ipv4 address");
    if (strcmp(cfg->mode, "routed") == 0 && !cfg->ips->len)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "routed mode needs an ipv4 or ipv6 address");
    return TRUE;
}

/* VIRT_ERROR_EXISTS when a subnet or the bridge name of `cfg` is another
 * network's (active or not: an inactive one would clash when it starts). */
static gboolean check_overlap(virConnectPtr conn, const VirtNetworkConfig *cfg, GError **error)
{
    if (!cfg->ips->len && !cfg->bridge)
        return TRUE;
    g_autoptr(GPtrArray) nets = virt_network_list(conn, error);
    if (!nets)
        return FALSE;
    for (guint i = 0; i < nets->len; i++) {
        const VirtNetwork *other = g_ptr_array_index(nets, i);
        /* Bridge-mode networks may share the host's bridge; others own theirs. */
        if (cfg->bridge && strcmp(cfg->mode, "bridge") != 0 &&
            g_strcmp0(other->config->bridge, cfg->bridge) == 0)
            return virt_fail(error, VIRT_ERROR_EXISTS, "bridge '%s' belongs to network '%s'",
                             cfg->bridge, other->name);
        for (guint j = 0; j < other->config->ips->len; j++) {
            const VirtNetIp *theirs = g_ptr_array_index(other->config->ips, j);
            for (guint k = 0; k < cfg->ips->len; k++) {
                const VirtNetIp *mine = g_ptr_array_index(cfg->ips, k);
                if (virt_net_ip_overlaps(mine, theirs))
                    return virt_fail(error, VIRT_ERROR_EXISTS,
                                     "%s/%u overlaps %s/%u of network '%s'", mine->address,
                                     mine->prefix, theirs->address, theirs->prefix, other->name);
            }
        }
    }
    return TRUE;
}

/* The address and prefix of one host interface address, or NULL. */
static VirtNetIp *host_ip(const struct ifaddrs *ifa)
{
    if (!ifa->ifa_addr || !ifa->ifa_netmask)
        return NULL;
    const guint8 *addr, *mask;
    gsize len;
    GSocketFamily family;
    if (ifa->ifa_addr->sa_family == AF_INET) {
        addr = (const guint8 *)&((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
        mask = (const guint8 *)&((const struct sockaddr_in *)ifa->ifa_netmask)->sin_addr;
        len = 4;
        family = G_SOCKET_FAMILY_IPV4;
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
        addr = (const guint8 *)&((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
        mask = (const guint8 *)&((const struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr;
        len = 16;
        family = G_SOCKET_FAMILY_IPV6;
    } else {
        return NULL;
    }
    guint prefix = 0;
    for (gsize i = 0; i < len; i++)
        for (int bit = 7; bit >= 0; bit--)
            prefix += (mask[i] >> bit) & 1u;
    g_autoptr(GInetAddress) a = g_inet_address_new_from_bytes(addr, family);
    VirtNetIp *ip = g_new0(VirtNetIp, 1);
    ip->ipv6 = family == G_SOCKET_FAMILY_IPV6;
    ip->address = g_inet_address_to_string(a);
    ip->prefix = prefix;
    return ip;
}

/* libvirt refuses to start a network whose subnet is already routed to a
 * host interface, with an internal error; saying so up front makes it a
 * conflict with a clear message instead. */
static gboolean check_host_addresses(const VirtNetworkConfig *cfg, GError **error)
{
    struct ifaddrs *all = NULL;
    if (!cfg->ips->len || getifaddrs(&all) < 0)
        return TRUE; /* nothing to compare, or libvirt will tell at start */
    gboolean ok = TRUE;
    for (const struct ifaddrs *ifa = all; ifa && ok; ifa = ifa->ifa_next) {
        g_autoptr(VirtNetIp) host = host_ip(ifa);
        for (guint k = 0; host && ok && k < cfg->ips->len; k++) {
            const VirtNetIp *mine = g_ptr_array_index(cfg->ips, k);
            if (virt_net_ip_overlaps(mine, host))
                ok = virt_fail(error, VIRT_ERROR_EXISTS,
                               "%s/%u overlaps %s/%u of host interface %s", mine->address,
                               mine->prefix, host->address, host->prefix, ifa->ifa_name);
        }
    }
    freeifaddrs(all);
    return ok;
}

virNetworkPtr virt_network_create(virConnectPtr conn, const VirtNetworkConfig *cfg, gboolean start,
                                  gboolean autostart, GError **error)
{
    if (!check_config(cfg, error))
        return NULL;
    virNetworkPtr clash = virNetworkLookupByName(conn, cfg->name);
    if (clash) {
        virNetworkFree(clash);
        virt_fail(error, VIRT_ERROR_EXISTS, "a network named '%s' exists already", cfg->name);
        return NULL;
    }
    virResetLastError();
    if (!check_overlap(conn, cfg, error) || !check_host_addresses(cfg, error))
        return NULL;
    /* After the networks, whose own bridges are named better above. */
    if (cfg->bridge && strcmp(cfg->mode, "bridge") != 0 && host_interface_exists(cfg->bridge)) {
        virt_fail(error, VIRT_ERROR_EXISTS,
                  "the host already has an interface named '%s'; pick another bridge name",
                  cfg->bridge);
        return NULL;
    }
    g_autofree char *xml = virt_network_xml_build(cfg, error);
    if (!xml)
        return NULL;
    g_autoptr(virNetwork) net = virNetworkDefineXML(conn, xml);
    if (!net) {
        virt_error_from_libvirt(error, "defining network");
        return NULL;
    }
    gboolean ok = TRUE;
    if (start && virNetworkCreate(net) < 0) {
        virt_error_from_libvirt(error, "starting network");
        ok = FALSE;
    }
    if (ok && autostart && virNetworkSetAutostart(net, 1) < 0) {
        virt_error_from_libvirt(error, "setting network autostart");
        ok = FALSE;
    }
    if (!ok) {
        /* One unit: leave nothing behind of a network that did not come up. */
        if (virNetworkIsActive(net) == 1)
            virNetworkDestroy(net);
        virNetworkUndefine(net);
        virResetLastError();
        return NULL;
    }
    return g_steal_pointer(&net);
}

gboolean virt_network_start(virNetworkPtr net, GError **error)
{
    int active = virNetworkIsActive(net);
    if (active == 1)
        return virt_fail(error, VIRT_ERROR_INVALID_STATE, "network '%s' is already active",
                         virNetworkGetName(net));
    if (active < 0 || virNetworkCreate(net) < 0) {
        virt_error_from_libvirt(error, "starting network");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_network_stop(virNetworkPtr net, GError **error)
{
    int active = virNetworkIsActive(net);
    if (active == 0)
        return virt_fail(error, VIRT_ERROR_INVALID_STATE, "network '%s' is not active",
                         virNetworkGetName(net));
    if (active < 0 || virNetworkDestroy(net) < 0) {
        virt_error_from_libvirt(error, "stopping network");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_network_set_autostart(virNetworkPtr net, gboolean on, GError **error)
{
    if (virNetworkSetAutostart(net, on ? 1 : 0) < 0) {
        virt_error_from_libvirt(error, "setting network autostart");
        return FALSE;
    }
    return TRUE;
}

gboolean virt_network_delete(virNetworkPtr net, GError **error)
{
    int active = virNetworkIsActive(net);
    int persistent = virNetworkIsPersistent(net);
    if (active < 0 || persistent < 0) {
        virt_error_from_libvirt(error, "reading network");
        return FALSE;
    }
    if (active && virNetworkDestroy(net) < 0) {
        virt_error_from_libvirt(error, "stopping network");
        return FALSE;
    }
    /* A transient network is gone once it is stopped. */
    if (persistent && virNetworkUndefine(net) < 0) {
        virt_error_from_libvirt(error, "undefining network");
        return FALSE;
    }
    return TRUE;
}
