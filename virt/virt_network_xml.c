/* Reads and writes libvirt network XML. Vireo's "mode" is libvirt's
 * <forward mode>: no <forward> is an isolated network, "route" is routed. */
#include "virt/virt_network_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <libxml/tree.h>
#include <string.h>

VirtNetworkConfig *virt_network_config_new(void)
{
    VirtNetworkConfig *cfg = g_new0(VirtNetworkConfig, 1);
    cfg->ips = g_ptr_array_new_with_free_func((GDestroyNotify)virt_net_ip_free);
    return cfg;
}

void virt_network_config_free(VirtNetworkConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->name);
    g_free(cfg->uuid);
    g_free(cfg->mode);
    g_free(cfg->bridge);
    g_ptr_array_unref(cfg->ips);
    g_free(cfg);
}

static char *mode_from_forward(const char *forward)
{
    if (!forward)
        return g_strdup("isolated");
    if (strcmp(forward, "route") == 0)
        return g_strdup("routed");
    return g_strdup(forward);
}

/* One <ip>: IPv4 may give its prefix as netmask='255.255.255.0'. */
static VirtNetIp *read_ip(xmlXPathContext *ctx, xmlNode *node)
{
    g_autofree char *family = virt_xml_string(ctx, node, "@family");
    g_autofree char *address = virt_xml_string(ctx, node, "@address");
    g_autofree char *prefix = virt_xml_string(ctx, node, "@prefix");
    g_autofree char *netmask = virt_xml_string(ctx, node, "@netmask");
    if (!address)
        return NULL;
    gboolean ipv6 = g_strcmp0(family, "ipv6") == 0 || strchr(address, ':');
    guint64 p;
    if (prefix && g_ascii_string_to_unsigned(prefix, 10, 0, ipv6 ? 128 : 32, &p, NULL)) {
        /* taken */
    } else if (!ipv6 && netmask) {
        int n = virt_net_netmask_prefix(netmask);
        if (n < 0)
            return NULL;
        p = (guint64)n;
    } else if (!prefix) {
        p = ipv6 ? 64 : 24; /* libvirt's defaults when neither is given */
    } else {
        return NULL;
    }
    VirtNetIp *ip = g_new0(VirtNetIp, 1);
    ip->ipv6 = ipv6;
    ip->address = g_steal_pointer(&address);
    ip->prefix = (guint)p;
    ip->dhcp_start = virt_xml_string(ctx, node, "dhcp/range[1]/@start");
    ip->dhcp_end = virt_xml_string(ctx, node, "dhcp/range[1]/@end");
    return ip;
}

VirtNetworkConfig *virt_network_config_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, len, error);
    if (!doc)
        return NULL;
    if (strcmp((const char *)xmlDocGetRootElement(doc)->name, "network") != 0) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "not a network definition");
        return NULL;
    }
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autoptr(VirtNetworkConfig) cfg = virt_network_config_new();
    cfg->name = virt_xml_string(ctx, NULL, "/network/name");
    cfg->uuid = virt_xml_string(ctx, NULL, "/network/uuid");
    g_autoptr(xmlXPathObject) fw = virt_xml_nodes(ctx, NULL, "/network/forward");
    gboolean has_forward = virt_xml_count(fw) > 0;
    g_autofree char *forward = virt_xml_string(ctx, NULL, "/network/forward/@mode");
    /* <forward/> without a mode means nat. */
    cfg->mode = has_forward ? mode_from_forward(forward ? forward : "nat") : g_strdup("isolated");
    cfg->bridge = virt_xml_string(ctx, NULL, "/network/bridge/@name");
    g_autoptr(xmlXPathObject) ips = virt_xml_nodes(ctx, NULL, "/network/ip");
    for (int i = 0; i < virt_xml_count(ips); i++) {
        VirtNetIp *ip = read_ip(ctx, ips->nodesetval->nodeTab[i]);
        if (ip)
            g_ptr_array_add(cfg->ips, ip);
    }
    return g_steal_pointer(&cfg);
}

static const char *forward_mode(const char *mode)
{
    if (g_strcmp0(mode, "nat") == 0)
        return "nat";
    if (g_strcmp0(mode, "routed") == 0)
        return "route";
    if (g_strcmp0(mode, "bridge") == 0)
        return "bridge";
    return NULL;
}

static void add_ip(xmlNode *root, const VirtNetIp *ip)
{
    xmlNode *node = xmlNewChild(root, NULL, BAD_CAST "ip", NULL);
    char prefix[8];
    g_snprintf(prefix, sizeof prefix, "%u", ip->prefix);
    xmlSetProp(node, BAD_CAST "family", BAD_CAST(ip->ipv6 ? "ipv6" : "ipv4"));
    xmlSetProp(node, BAD_CAST "address", BAD_CAST ip->address);
    xmlSetProp(node, BAD_CAST "prefix", BAD_CAST prefix);
    if (ip->dhcp_start && ip->dhcp_end) {
        xmlNode *dhcp = xmlNewChild(node, NULL, BAD_CAST "dhcp", NULL);
        xmlNode *range = xmlNewChild(dhcp, NULL, BAD_CAST "range", NULL);
        xmlSetProp(range, BAD_CAST "start", BAD_CAST ip->dhcp_start);
        xmlSetProp(range, BAD_CAST "end", BAD_CAST ip->dhcp_end);
    }
}

char *virt_network_xml_build(const VirtNetworkConfig *cfg, GError **error)
{
    const char *forward = forward_mode(cfg->mode);
    if (!cfg->name || (!forward && g_strcmp0(cfg->mode, "isolated") != 0)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                    "a network needs a name and a mode (isolated, nat, routed, bridge)");
        return NULL;
    }
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "network");
    xmlDocSetRootElement(doc, root);
    virt_xml_text_child(root, "name", cfg->name);
    if (cfg->uuid)
        virt_xml_text_child(root, "uuid", cfg->uuid);
    if (forward)
        virt_xml_attr_child(root, "forward", "mode", forward);
    if (cfg->bridge)
        virt_xml_attr_child(root, "bridge", "name", cfg->bridge);
    for (guint i = 0; i < cfg->ips->len; i++)
        add_ip(root, g_ptr_array_index(cfg->ips, i));
    return virt_xml_dump(doc);
}
