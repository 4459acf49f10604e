/* libFuzzer target: reading libvirt network XML (virt_network_config_parse),
 * writing it back (virt_network_xml_build) and the subnet helpers on every
 * address read. The input is the document, as bytes with an explicit length. */
#include <stdint.h>

#include "fuzz_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_network_xml.h"

/* Every block read must survive the CIDR parser without harm; one that
 * passes it overlaps itself. */
static void check_ip(const VirtNetIp *ip)
{
    FUZZ_CHECK(ip->address && *ip->address, "ip without an address");
    FUZZ_CHECK(ip->prefix <= (ip->ipv6 ? 128u : 32u), "prefix %u too long", ip->prefix);
    check_str("dhcp start", ip->dhcp_start);
    check_str("dhcp end", ip->dhcp_end);
    g_autofree char *cidr = g_strdup_printf("%s/%u", ip->address, ip->prefix);
    GError *error = NULL;
    VirtNetIp *parsed = virt_net_ip_parse(ip->ipv6, cidr, ip->dhcp_start, ip->dhcp_end, &error);
    if (parsed) {
        FUZZ_CHECK(virt_net_ip_overlaps(parsed, parsed), "%s does not overlap itself", cidr);
        FUZZ_CHECK(virt_net_ip_overlaps(parsed, ip) || !virt_net_ip_overlaps(ip, ip),
                   "%s does not overlap what it was read from", cidr);
        virt_net_ip_free(parsed);
    } else {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "CIDR refusal is not VIRT_ERROR_INVALID_ARG");
        g_error_free(error);
    }
}

/* Written back and read again, a config of a mode Vireo creates keeps its
 * name, mode, bridge and address blocks. */
static void check_round_trip(const VirtNetworkConfig *cfg)
{
    static const char *const modes[] = {"isolated", "nat", "routed", "bridge", NULL};
    if (!cfg->name || !g_strv_contains(modes, cfg->mode))
        return;
    GError *error = NULL;
    char *xml = virt_network_xml_build(cfg, &error);
    FUZZ_CHECK(xml, "build failed: %s", error ? error->message : "?");
    VirtNetworkConfig *back = virt_network_config_parse(xml, strlen(xml), &error);
    FUZZ_CHECK(back, "own XML does not parse: %s\n%s", error ? error->message : "?", xml);
    FUZZ_CHECK(g_strcmp0(back->name, cfg->name) == 0, "name changed: %s", xml);
    FUZZ_CHECK(g_strcmp0(back->mode, cfg->mode) == 0, "mode changed: %s", xml);
    FUZZ_CHECK(g_strcmp0(back->bridge, cfg->bridge) == 0, "bridge changed: %s", xml);
    FUZZ_CHECK(back->ips->len == cfg->ips->len, "ip count changed: %s", xml);
    for (guint i = 0; i < cfg->ips->len; i++) {
        const VirtNetIp *a = g_ptr_array_index(cfg->ips, i);
        const VirtNetIp *b = g_ptr_array_index(back->ips, i);
        FUZZ_CHECK(a->ipv6 == b->ipv6 && a->prefix == b->prefix &&
                       g_strcmp0(a->address, b->address) == 0,
                   "ip %u changed: %s", i, xml);
        if (a->dhcp_start && a->dhcp_end)
            FUZZ_CHECK(g_strcmp0(a->dhcp_start, b->dhcp_start) == 0 &&
                           g_strcmp0(a->dhcp_end, b->dhcp_end) == 0,
                       "dhcp %u changed: %s", i, xml);
    }
    virt_network_config_free(back);
    g_free(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *xml = size ? g_memdup2(data, size) : NULL;
    GError *error = NULL;
    VirtNetworkConfig *cfg = virt_network_config_parse(xml, size, &error);
    if (!cfg) {
        FUZZ_CHECK(error != NULL, "NULL config without an error");
        FUZZ_CHECK(error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "parse error is not VIRT_ERROR_INVALID_ARG: %s", error->message);
        g_error_free(error);
        g_free(xml);
        return 0;
    }
    FUZZ_CHECK(error == NULL, "config returned with an error set: %s", error->message);
    FUZZ_CHECK(cfg->mode && *cfg->mode && cfg->ips, "mode or ip array missing");
    check_str("name", cfg->name);
    check_str("uuid", cfg->uuid);
    check_str("bridge", cfg->bridge);
    for (guint i = 0; i < cfg->ips->len; i++)
        check_ip(g_ptr_array_index(cfg->ips, i));
    check_round_trip(cfg);
    virt_network_config_free(cfg);
    g_free(xml);
    return 0;
}
