/* Virtual networks: XML building (hostile names escaped) and parsing,
 * CIDR / DHCP range / overlap validation, and the engine on the built-in
 * test:///default driver (its network 'default', 192.168.122.0/24). */
#include "unit_libvirt.h"

#include "virt/virt_conn.h"
#include "virt/virt_error.h"
#include "virt/virt_network.h"

#include <libvirt/virterror.h>

static const char *const FULL_XML =
    "<network><name>lab</name><uuid>9b1a3c52-3f0e-4d7a-8d1e-2b6f0c4a7e11</uuid>"
    "<forward mode='route'/><bridge name='vrb7' stp='on'/>"
    "<ip address='10.9.8.1' netmask='255.255.255.0'><dhcp>"
    "<range start='10.9.8.100' end='10.9.8.200'/><host mac='52:54:00:00:00:01' ip='10.9.8.5'/>"
    "</dhcp></ip>"
    "<ip family='ipv6' address='fd00:9::1' prefix='64'/><unknown/></network>";

static void test_parse_full(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtNetworkConfig)
        cfg = virt_network_config_parse(FULL_XML, strlen(FULL_XML), &error);
    assert_non_null(cfg);
    assert_string_equal(cfg->name, "lab");
    assert_string_equal(cfg->uuid, "9b1a3c52-3f0e-4d7a-8d1e-2b6f0c4a7e11");
    assert_string_equal(cfg->mode, "routed");
    assert_string_equal(cfg->bridge, "vrb7");
    assert_int_equal(cfg->ips->len, 2);
    const VirtNetIp *v4 = g_ptr_array_index(cfg->ips, 0);
    assert_false(v4->ipv6);
    assert_string_equal(v4->address, "10.9.8.1");
    assert_int_equal(v4->prefix, 24);
    assert_string_equal(v4->dhcp_start, "10.9.8.100");
    assert_string_equal(v4->dhcp_end, "10.9.8.200");
    const VirtNetIp *v6 = g_ptr_array_index(cfg->ips, 1);
    assert_true(v6->ipv6);
    assert_string_equal(v6->address, "fd00:9::1");
    assert_int_equal(v6->prefix, 64);
    assert_null(v6->dhcp_start);

    const char *modes[][2] = {
        {"<network><name>a</name></network>", "isolated"},
        {"<network><name>a</name><forward/></network>", "nat"},
        {"<network><name>a</name><forward mode='bridge'/></network>", "bridge"},
        {"<network><name>a</name><forward mode='open'/></network>", "open"}};
    for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autoptr(VirtNetworkConfig)
            c = virt_network_config_parse(modes[i][0], strlen(modes[i][0]), NULL);
        assert_non_null(c);
        assert_string_equal(c->mode, modes[i][1]);
    }
    assert_null(virt_network_config_parse("<domain/>", 9, NULL));
    assert_null(virt_network_config_parse("<network>", 9, NULL));
}

static void test_build_escapes(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtNetworkConfig) cfg = virt_network_config_new();
    cfg->name = g_strdup("a<b&\"c'</name><forward mode='nat'/>");
    cfg->mode = g_strdup("isolated");
    cfg->bridge = g_strdup("br'\"<x>");
    g_ptr_array_add(cfg->ips,
                    virt_net_ip_parse(FALSE, "10.1.2.1/24", "10.1.2.10", "10.1.2.20", &error));
    g_autofree char *xml = virt_network_xml_build(cfg, &error);
    assert_non_null(xml);
    assert_null(strstr(xml, "<forward"));
    assert_non_null(strstr(xml, "a&lt;b&amp;\"c'&lt;/name&gt;"));
    /* Reading it back gives exactly what went in. */
    g_autoptr(VirtNetworkConfig) back = virt_network_config_parse(xml, strlen(xml), &error);
    assert_non_null(back);
    assert_string_equal(back->name, cfg->name);
    assert_string_equal(back->bridge, cfg->bridge);
    assert_string_equal(back->mode, "isolated");
    assert_int_equal(back->ips->len, 1);
    const VirtNetIp *ip = g_ptr_array_index(back->ips, 0);
    assert_string_equal(ip->address, "10.1.2.1");
    assert_int_equal(ip->prefix, 24);
    assert_string_equal(ip->dhcp_start, "10.1.2.10");
    assert_string_equal(ip->dhcp_end, "10.1.2.20");

    const char *modes[][2] = {{"nat", "nat"}, {"routed", "route"}, {"bridge", "bridge"}};
    for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_free(cfg->mode);
        cfg->mode = g_strdup(modes[i][0]);
        g_autofree char *x = virt_network_xml_build(cfg, &error);
        g_autofree char *want = g_strdup_printf("<forward mode=\"%s\"/>", modes[i][1]);
        assert_non_null(strstr(x, want));
    }
    g_free(cfg->mode);
    cfg->mode = g_strdup("passthrough");
    assert_null(virt_network_xml_build(cfg, NULL));
}

static void expect_invalid(gboolean ipv6, const char *cidr, const char *start, const char *end,
                           const char *fragment)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtNetIp) ip = virt_net_ip_parse(ipv6, cidr, start, end, &error);
    if (ip || !g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG) ||
        !strstr(error->message, fragment))
        fail_msg("%s %s-%s: want an error with '%s', got %s", cidr, start, end, fragment,
                 error ? error->message : "success");
}

static void test_cidr_and_range(void **state)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtNetIp)
        ok = virt_net_ip_parse(FALSE, "10.1.2.1/24", "10.1.2.2", "10.1.2.254", &error);
    assert_non_null(ok);
    assert_int_equal(ok->prefix, 24);
    g_autoptr(VirtNetIp)
        v6 = virt_net_ip_parse(TRUE, "FD00:0::1/64", "fd00::100", "fd00::1ff", &error);
    assert_non_null(v6);
    assert_string_equal(v6->address, "fd00::1");
    g_autoptr(VirtNetIp) nodhcp = virt_net_ip_parse(FALSE, "10.1.2.129/25", NULL, NULL, &error);
    assert_non_null(nodhcp);

    expect_invalid(FALSE, "10.1.2.1", NULL, NULL, "ADDRESS/PREFIX");
    expect_invalid(FALSE, "10.1.2/24", NULL, NULL, "not an IPv4 address");
    expect_invalid(FALSE, "10.1.2.300/24", NULL, NULL, "not an IPv4 address");
    expect_invalid(FALSE, "fd00::1/64", NULL, NULL, "not an IPv4 address");
    expect_invalid(TRUE, "10.1.2.1/24", NULL, NULL, "not an IPv6 address");
    expect_invalid(FALSE, "10.1.2.1/x", NULL, NULL, "not a prefix");
    expect_invalid(FALSE, "10.1.2.1/", NULL, NULL, "not a prefix");
    expect_invalid(FALSE, "10.1.2.1/31", NULL, NULL, "out of range");
    expect_invalid(FALSE, "10.1.2.1/7", NULL, NULL, "out of range");
    expect_invalid(FALSE, "10.1.2.1/33", NULL, NULL, "out of range");
    expect_invalid(TRUE, "fd00::1/127", NULL, NULL, "out of range");
    expect_invalid(FALSE, "10.1.2.0/24", NULL, NULL, "network address");
    expect_invalid(FALSE, "10.1.2.255/24", NULL, NULL, "broadcast address");
    expect_invalid(TRUE, "fd00::/64", NULL, NULL, "network address");
    expect_invalid(FALSE, "10.1.2.1/24", "10.1.3.10", "10.1.3.20", "not inside the subnet");
    expect_invalid(FALSE, "10.1.2.1/24", "10.1.2.10", "10.1.3.20", "not inside the subnet");
    expect_invalid(FALSE, "10.1.2.1/24", "10.1.2.200", "10.1.2.100", "after its end");
    expect_invalid(FALSE, "10.1.2.1/24", "10.1.2.0", "10.1.2.100", "network");
    expect_invalid(FALSE, "10.1.2.1/24", "10.1.2.10", "10.1.2.255", "broadcast");
    expect_invalid(FALSE, "10.1.2.1/24", "10.1.2.10", NULL, "both start and end");
    expect_invalid(FALSE, "10.1.2.1/24", "bogus", "10.1.2.20", "not an IPv4 address");
    expect_invalid(TRUE, "fd00::1/64", "fd01::1", "fd01::9", "not inside the subnet");
}

static VirtNetIp *ip(gboolean ipv6, const char *cidr)
{
    VirtNetIp *out = virt_net_ip_parse(ipv6, cidr, NULL, NULL, NULL);
    assert_non_null(out);
    return out;
}

static void test_overlap(void **state)
{
    g_autoptr(VirtNetIp) a = ip(FALSE, "10.1.2.1/24");
    g_autoptr(VirtNetIp) b = ip(FALSE, "10.1.2.129/25"); /* inside a */
    g_autoptr(VirtNetIp) c = ip(FALSE, "10.1.3.1/24");   /* beside a */
    g_autoptr(VirtNetIp) d = ip(FALSE, "10.1.0.1/16");   /* holds a and c */
    g_autoptr(VirtNetIp) e = ip(TRUE, "fd00:1::1/64");
    g_autoptr(VirtNetIp) f = ip(TRUE, "fd00:1:0:0:8000::1/65");
    g_autoptr(VirtNetIp) g = ip(TRUE, "fd00:2::1/64");
    assert_true(virt_net_ip_overlaps(a, b));
    assert_true(virt_net_ip_overlaps(b, a));
    assert_false(virt_net_ip_overlaps(a, c));
    assert_true(virt_net_ip_overlaps(d, c));
    assert_true(virt_net_ip_overlaps(a, d));
    assert_true(virt_net_ip_overlaps(a, a));
    assert_true(virt_net_ip_overlaps(e, f));
    assert_false(virt_net_ip_overlaps(e, g));
    assert_false(virt_net_ip_overlaps(a, e));
    assert_int_equal(virt_net_netmask_prefix("255.255.255.0"), 24);
    assert_int_equal(virt_net_netmask_prefix("255.255.254.0"), 23);
    assert_int_equal(virt_net_netmask_prefix("255.255.255.255"), 32);
    assert_int_equal(virt_net_netmask_prefix("0.0.0.0"), 0);
    assert_int_equal(virt_net_netmask_prefix("255.0.255.0"), -1);
    assert_int_equal(virt_net_netmask_prefix("junk"), -1);
}

static void test_names(void **state)
{
    assert_true(virt_network_name_valid("lab-1.x_y"));
    assert_false(virt_network_name_valid(""));
    assert_false(virt_network_name_valid(NULL));
    assert_false(virt_network_name_valid("-x"));
    assert_false(virt_network_name_valid(".x"));
    assert_false(virt_network_name_valid("a/b"));
    assert_false(virt_network_name_valid("a<b"));
    assert_false(virt_network_name_valid("a b"));
    assert_true(virt_network_ifname_valid("vrb12"));
    assert_false(virt_network_ifname_valid("abcdefghijklmnop"));
    assert_false(virt_network_ifname_valid(".."));
    assert_false(virt_network_ifname_valid("a/b"));
}

/* ---- engine on test:///default ---- */

static VirtNetworkConfig *spec(const char *name, const char *mode, const char *cidr)
{
    VirtNetworkConfig *cfg = virt_network_config_new();
    cfg->name = g_strdup(name);
    cfg->mode = g_strdup(mode);
    if (cidr)
        g_ptr_array_add(cfg->ips, ip(FALSE, cidr));
    return cfg;
}

static const VirtNetwork *find(GPtrArray *list, const char *name)
{
    for (guint i = 0; i < list->len; i++) {
        const VirtNetwork *n = g_ptr_array_index(list, i);
        if (strcmp(n->name, name) == 0)
            return n;
    }
    return NULL;
}

static void test_engine_list(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) list = virt_network_list(conn, &error);
    assert_non_null(list);
    const VirtNetwork *def = find(list, "default");
    assert_non_null(def);
    assert_true(def->active);
    assert_true(def->persistent);
    assert_string_equal(def->config->mode, "nat");
    assert_string_equal(def->config->bridge, "virbr0");
    assert_int_equal(def->config->ips->len, 1);
    const VirtNetIp *v4 = g_ptr_array_index(def->config->ips, 0);
    assert_string_equal(v4->address, "192.168.122.1");
    assert_int_equal(v4->prefix, 24);
    assert_string_equal(v4->dhcp_start, "192.168.122.2");
    assert_non_null(def->leases);

    g_autoptr(virNetwork) by_uuid = virt_network_lookup(conn, def->uuid, &error);
    assert_non_null(by_uuid);
    assert_string_equal(virNetworkGetName(by_uuid), "default");
    assert_null(virt_network_lookup(conn, "nope", &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    assert_non_null(strstr(error->message, "no network named 'nope'"));
}

static void test_engine_create_checks(void **state)
{
    virConnectPtr conn = *state;
    struct {
        VirtNetworkConfig *cfg;
        int code;
        const char *fragment;
    } cases[] = {
        {spec("default", "isolated", NULL), VIRT_ERROR_EXISTS, "exists already"},
        {spec("unit-ov", "isolated", "192.168.122.200/25"), VIRT_ERROR_EXISTS, "overlaps"},
        {spec("unit-ov", "isolated", "192.168.0.1/16"), VIRT_ERROR_EXISTS, "overlaps"},
        {spec("unit-lo", "isolated", "127.1.0.1/16"), VIRT_ERROR_EXISTS, "of host interface lo"},
        {spec("bad/name", "isolated", NULL), VIRT_ERROR_INVALID_ARG, "invalid network name"},
        {spec("unit-m", "bogus", NULL), VIRT_ERROR_INVALID_ARG, "invalid mode"},
        {spec("unit-m", "nat", NULL), VIRT_ERROR_INVALID_ARG, "needs an ipv4"},
        {spec("unit-m", "routed", NULL), VIRT_ERROR_INVALID_ARG, "needs an ipv4 or ipv6"},
        {spec("unit-m", "bridge", NULL), VIRT_ERROR_INVALID_ARG, "needs 'bridge'"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VirtNetworkConfig) cfg = cases[i].cfg;
        virNetworkPtr net = virt_network_create(conn, cfg, TRUE, FALSE, &error);
        if (net || !g_error_matches(error, VIRT_ERROR, cases[i].code) ||
            !strstr(error->message, cases[i].fragment))
            fail_msg("case %zu: want '%s', got %s", i, cases[i].fragment,
                     error ? error->message : "success");
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtNetworkConfig) taken = spec("unit-taken", "isolated", NULL);
    taken->bridge = g_strdup("virbr0");
    assert_null(virt_network_create(conn, taken, TRUE, FALSE, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_EXISTS));
    assert_non_null(strstr(error->message, "belongs to network 'default'"));
    g_clear_error(&error);
    g_free(taken->bridge);
    taken->bridge = g_strdup("lo"); /* a host interface, not a network's */
    assert_null(virt_network_create(conn, taken, TRUE, FALSE, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_EXISTS));
    assert_non_null(strstr(error->message, "already has an interface named 'lo'"));
    g_clear_error(&error);

    g_autoptr(VirtNetworkConfig) br = spec("unit-br", "bridge", NULL);
    br->bridge = g_strdup("vnobr0");
    assert_null(virt_network_create(conn, br, TRUE, FALSE, &error));
    assert_non_null(strstr(error->message, "not a bridge on this host"));
    g_clear_error(&error);
    g_ptr_array_add(br->ips, ip(FALSE, "10.7.7.1/24"));
    assert_null(virt_network_create(conn, br, TRUE, FALSE, &error));
    assert_non_null(strstr(error->message, "takes no ipv4/ipv6"));
}

static void test_engine_lifecycle(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtNetworkConfig) cfg = spec("unit-net", "isolated", NULL);
    cfg->bridge = g_strdup("vrb-unit");
    g_ptr_array_add(cfg->ips, virt_net_ip_parse(FALSE, "10.213.250.1/24", "10.213.250.10",
                                                "10.213.250.20", &error));
    g_autoptr(virNetwork) net = virt_network_create(conn, cfg, TRUE, TRUE, &error);
    assert_non_null(net);
    g_autoptr(VirtNetwork) n = virt_network_read(net, &error);
    assert_non_null(n);
    assert_true(n->active);
    assert_true(n->autostart);
    assert_string_equal(n->config->mode, "isolated");
    assert_string_equal(n->config->bridge, "vrb-unit");

    assert_false(virt_network_start(net, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    g_clear_error(&error);
    assert_true(virt_network_stop(net, &error));
    assert_false(virt_network_stop(net, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    g_clear_error(&error);
    assert_true(virt_network_set_autostart(net, FALSE, &error));
    assert_true(virt_network_start(net, &error));
    g_autoptr(VirtNetwork) again = virt_network_read(net, &error);
    assert_true(again->active);
    assert_false(again->autostart);

    /* nat and routed on the test driver: only the definition matters here. */
    const char *modes[][2] = {{"nat", "<forward mode='nat'"}, {"routed", "<forward mode='route'"}};
    for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autofree char *name = g_strdup_printf("unit-%s", modes[i][0]);
        g_autofree char *cidr = g_strdup_printf("10.213.%zu.1/24", 240 + i);
        g_autoptr(VirtNetworkConfig) c = spec(name, modes[i][0], cidr);
        g_autoptr(virNetwork) made = virt_network_create(conn, c, FALSE, FALSE, &error);
        assert_non_null(made);
        g_autofree char *xml = virNetworkGetXMLDesc(made, 0);
        assert_non_null(strstr(xml, modes[i][1]));
        g_autoptr(VirtNetwork) read = virt_network_read(made, &error);
        assert_string_equal(read->config->mode, modes[i][0]);
        assert_false(read->active);
        assert_true(virt_network_delete(made, &error));
    }

    /* Not started: defined only. */
    g_autoptr(VirtNetworkConfig) idle = spec("unit-idle", "isolated", "10.213.251.1/24");
    g_autoptr(virNetwork) idle_net = virt_network_create(conn, idle, FALSE, FALSE, &error);
    assert_non_null(idle_net);
    assert_int_equal(virNetworkIsActive(idle_net), 0);
    /* An inactive network's subnet still counts for overlap. */
    g_autoptr(VirtNetworkConfig) clash = spec("unit-clash", "isolated", "10.213.251.7/28");
    assert_null(virt_network_create(conn, clash, FALSE, FALSE, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_EXISTS));
    g_clear_error(&error);

    assert_true(virt_network_delete(net, &error));
    assert_true(virt_network_delete(idle_net, &error));
    virNetworkPtr gone = virNetworkLookupByName(conn, "unit-net");
    assert_null(gone);
    virResetLastError();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_full),
        cmocka_unit_test(test_build_escapes),
        cmocka_unit_test(test_cidr_and_range),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_engine_list, unit_libvirt_setup,
                                        unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_engine_create_checks, unit_libvirt_setup,
                                        unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_engine_lifecycle, unit_libvirt_setup,
                                        unit_libvirt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
