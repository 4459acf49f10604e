/* Driver facts (virt_uri.h, virt_driver_caps.h, virt_driver.h): URI
 * classification, capability XML captured on this machine (qemu:///system,
 * test:///default, lxc:///) and written after libvirt's docs (Xen,
 * VirtualBox, ESX), the features derived from them, and a real read of
 * test:///default. */
#include "unit_libvirt.h"
#include "virt/virt_container_xml.h"
#include "virt/virt_driver.h"
#include "virt/virt_error.h"

#include <string.h>

#ifndef VIREO_SOURCE_DIR
#define VIREO_SOURCE_DIR "."
#endif

static char *fixture(const char *name)
{
    g_autofree char *path = g_build_filename(VIREO_SOURCE_DIR, "tests/unit/fixtures/capabilities",
                                             name, NULL);
    char *text = NULL;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(path, &text, NULL, &e))
        fail_msg("%s", e->message);
    return text;
}

static VirtDriverCaps *caps_of(const char *caps, const char *domcaps)
{
    g_autofree char *xml = fixture(caps);
    g_autoptr(GError) e = NULL;
    VirtDriverCaps *c = virt_driver_caps_parse(xml, strlen(xml), &e);
    assert_non_null(c);
    if (domcaps) {
        g_autofree char *d = fixture(domcaps);
        assert_true(virt_driver_caps_add_domcaps(c, d, strlen(d), &e));
    }
    return c;
}

static gboolean in(GStrv v, const char *s)
{
    return v && g_strv_contains((const char *const *)v, s);
}

static void check_uri(const char *uri, const char *driver, const char *transport, const char *host,
                      gboolean remote)
{
    g_auto(VirtUri) u = {0};
    g_autoptr(GError) e = NULL;
    assert_true(virt_uri_parse(uri, &u, &e));
    assert_string_equal(u.driver, driver);
    assert_string_equal(u.transport, transport);
    assert_string_equal(u.host ? u.host : "", host ? host : "");
    assert_int_equal(u.remote, remote);
    assert_true(u.known);
}

static void test_uris(void **state)
{
    check_uri("xen://", "xen", "unix", NULL, FALSE);
    check_uri("xen:///system", "xen", "unix", NULL, FALSE);
    check_uri("vbox:///session", "vbox", "unix", NULL, FALSE);
    check_uri("esx://esx1.example.org/", "esx", "https", "esx1.example.org", TRUE);
    check_uri("esx://root@esx1.example.org/?transport=http&no_verify=1", "esx", "http",
              "esx1.example.org", TRUE);
    check_uri("hyperv://hv1.example.org", "hyperv", "https", "hv1.example.org", TRUE);
    check_uri("qemu+ssh://root@kvm2.example.org/system", "qemu", "ssh", "kvm2.example.org", TRUE);
    check_uri("qemu+tls://kvm2.example.org/system", "qemu", "tls", "kvm2.example.org", TRUE);
    check_uri("qemu+tcp://10.0.0.2:16509/system", "qemu", "tcp", "10.0.0.2", TRUE);
    check_uri("qemu+unix:///system?socket=/run/x", "qemu", "unix", NULL, FALSE);
    check_uri("qemu+ssh://localhost/system", "qemu", "ssh", "localhost", FALSE);
    check_uri("qemu://kvm3/system", "qemu", "tls", "kvm3", TRUE);
    check_uri("lxc:///", "lxc", "unix", NULL, FALSE);
    check_uri("LXC:///system?socket=/run/lxc-sock", "lxc", "unix", NULL, FALSE);
    check_uri("test:///default", "test", "local", NULL, FALSE);
    check_uri("qemu:///system", "qemu", "unix", NULL, FALSE);
    /* An unknown driver is accepted (a newer libvirt may know it). */
    g_auto(VirtUri) u = {0};
    g_autoptr(GError) e = NULL;
    assert_true(virt_uri_parse("newhv:///system", &u, &e));
    assert_false(u.known);
    assert_int_equal(u.port, 0);
    assert_null(u.socket);
    /* What reaches the daemon: its port and its socket, when named. */
    g_auto(VirtUri) p = {0};
    assert_true(virt_uri_parse("qemu+tcp://10.0.0.2:16600/system", &p, &e));
    assert_int_equal(p.port, 16600);
    g_auto(VirtUri) sk = {0};
    assert_true(virt_uri_parse("qemu+unix:///system?socket=/run/my%20sock", &sk, &e));
    assert_string_equal(sk.socket, "/run/my sock");
    const char *bad[] = {"",
                         "qemu",
                         "qemu:/system",
                         "qemu+pigeon://h/system",
                         "://h",
                         "q emu:///system",
                         "qemu+ssh+tls://h/",
                         "esx:///",
                         "hyperv://",
                         "qemu:///sys tem",
                         NULL};
    for (const char **b = bad; *b; b++) {
        g_auto(VirtUri) v = {0};
        g_autoptr(GError) err = NULL;
        assert_false(virt_uri_parse(*b, &v, &err));
        assert_true(g_error_matches(err, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
        assert_non_null(strstr(err->message, "not a libvirt URI"));
        assert_null(v.driver);
    }
}

static void features_of(const char *type, const VirtDriverCaps *c, gboolean snapshots,
                        VirtFeatures *f)
{
    VirtFeatures probed = {.snapshots = snapshots, .storage = TRUE, .networks = TRUE};
    virt_driver_features(type, c, &probed, f);
}

static void test_qemu(void **state)
{
    g_autoptr(VirtDriverCaps) c = caps_of("qemu-caps.xml", "qemu-domcaps.xml");
    assert_true(in(c->os_types, "hvm"));
    assert_false(in(c->os_types, "exe"));
    assert_true(in(c->arches, "x86_64"));
    assert_true(in(c->domain_types, "qemu"));
    assert_true(c->has_domcaps);
    assert_true(in(c->graphics, "vnc"));
    assert_true(in(c->disk_devices, "cdrom"));
    assert_true(in(c->disk_buses, "virtio"));
    assert_true(in(c->firmware, "efi"));
    assert_true(in(c->cpu_modes, "custom"));
    assert_false(in(c->cpu_modes, "host-passthrough")); /* supported='no' here */
    assert_string_equal(c->host_arch, "x86_64");
    VirtFeatures f;
    features_of("QEMU", c, TRUE, &f);
    assert_true(f.vms && f.vnc && f.serial && f.snapshots && f.cloud_init);
    assert_false(f.containers);
    assert_string_equal(f.disk_formats[0], "qcow2");
    assert_string_equal(f.disk_formats[1], "raw");
    virt_features_clear(&f);
    /* A QEMU built without VNC: no graphical console. */
    g_strfreev(c->graphics);
    c->graphics = g_strsplit("spice", ",", -1);
    features_of("QEMU", c, TRUE, &f);
    assert_false(f.vnc);
    virt_features_clear(&f);
}

static void test_test_and_lxc(void **state)
{
    g_autoptr(VirtDriverCaps) t = caps_of("test-caps.xml", NULL);
    assert_true(in(t->os_types, "hvm"));
    assert_true(in(t->domain_types, "test"));
    assert_false(t->has_domcaps);
    VirtFeatures f;
    features_of("TEST", t, TRUE, &f);
    assert_true(f.vms && f.snapshots);
    assert_false(f.vnc || f.serial || f.cloud_init || f.containers);
    assert_string_equal(f.disk_formats[0], "qcow2");
    virt_features_clear(&f);

    g_autoptr(VirtDriverCaps) l = caps_of("lxc-caps.xml", NULL);
    assert_true(in(l->os_types, "exe"));
    assert_false(in(l->os_types, "hvm"));
    assert_true(in(l->domain_types, "lxc"));
    features_of("LXC", l, FALSE, &f);
    assert_true(f.containers && f.serial && f.storage);
    assert_false(f.vms || f.vnc || f.snapshots || f.cloud_init);
    assert_null(f.disk_formats[0]);
    virt_features_clear(&f);
    /* Even a driver that claimed snapshots has none without VMs. */
    features_of("LXC", l, TRUE, &f);
    assert_false(f.snapshots);
    virt_features_clear(&f);
}

static void test_documented_drivers(void **state)
{
    g_autoptr(VirtDriverCaps) x = caps_of("xen-caps.xml", "xen-domcaps.xml");
    assert_true(in(x->os_types, "xen") && in(x->os_types, "hvm"));
    assert_true(in(x->domain_types, "xen"));
    assert_true(in(x->graphics, "vnc"));
    assert_true(in(x->firmware, "bios"));
    VirtFeatures f;
    features_of("Xen", x, FALSE, &f);
    /* Xen has VNC, but Vireo's proxy needs virDomainOpenGraphicsFD. */
    assert_true(f.vms && f.serial);
    assert_false(f.vnc || f.snapshots || f.cloud_init || f.containers);
    assert_string_equal(f.disk_formats[0], "raw");
    virt_features_clear(&f);

    g_autoptr(VirtDriverCaps) v = caps_of("vbox-caps.xml", NULL);
    assert_true(in(v->domain_types, "vbox"));
    features_of("VBOX", v, TRUE, &f);
    assert_true(f.vms && f.snapshots);
    assert_false(f.vnc || f.serial || f.cloud_init);
    assert_string_equal(f.disk_formats[0], "vdi");
    virt_features_clear(&f);

    g_autoptr(VirtDriverCaps) e = caps_of("esx-caps.xml", NULL);
    assert_true(in(e->domain_types, "vmware"));
    assert_true(in(e->arches, "i686") && in(e->arches, "x86_64"));
    features_of("ESX", e, TRUE, &f);
    assert_true(f.vms && f.snapshots);
    assert_false(f.vnc || f.serial || f.cloud_init || f.containers);
    assert_string_equal(f.disk_formats[0], "vmdk");
    assert_null(f.disk_formats[1]);
    virt_features_clear(&f);
    /* Hyper-V without storage pools: no disk formats to offer. */
    VirtFeatures probed = {0};
    virt_driver_features("HYPER-V", e, &probed, &f);
    assert_null(f.disk_formats[0]);
    assert_false(f.storage || f.networks || f.snapshots);
    virt_features_clear(&f);
}

static void test_bad_documents(void **state)
{
    const char *bad[] = {"", "<x/>", "<capabilities", "<domainCapabilities/>", "not xml", NULL};
    for (const char **b = bad; *b; b++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(VirtDriverCaps) c = virt_driver_caps_parse(*b, strlen(*b), &e);
        assert_null(c);
        assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    }
    g_autoptr(VirtDriverCaps) c = caps_of("lxc-caps.xml", NULL);
    g_autoptr(GError) e = NULL;
    assert_false(virt_driver_caps_add_domcaps(c, "<capabilities/>", 15, &e));
    assert_false(c->has_domcaps);
}

static void test_read_test_driver(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtDriver) d = virt_driver_read(*state, "test:///default", &e);
    assert_non_null(d);
    assert_int_equal(g_ascii_strcasecmp(d->type, "test"), 0);
    assert_string_equal(d->parts.driver, "test");
    assert_true(d->features.vms);
    assert_true(d->features.snapshots); /* probed on the domain "test" */
    assert_true(d->features.storage);
    assert_true(d->features.networks);
    assert_false(d->features.vnc);
    e = NULL;
    assert_true(virt_driver_require(d, TRUE, "x", &e));
    assert_false(virt_driver_require(d, FALSE, "snapshots", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_SUPPORTED));
    assert_non_null(strstr(e->message, "snapshots"));
    assert_non_null(strstr(e->message, d->type));
}

static void test_container_xml(void **state)
{
    VirtContainerSpec s = {.name = "ct1",
                           .domain_type = "lxc",
                           .root_dir = "/srv/a&b<c",
                           .init = "/sbin/init",
                           .memory_mib = 64,
                           .vcpus = 2};
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_container_xml(&s, &e);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<domain type=\"lxc\">"));
    assert_non_null(strstr(xml, "<type>exe</type>"));
    assert_non_null(strstr(xml, "<init>/sbin/init</init>"));
    assert_non_null(strstr(xml, "dir=\"/srv/a&amp;b&lt;c\""));
    assert_non_null(strstr(xml, "<memory unit=\"MiB\">64</memory>"));
    assert_non_null(strstr(xml, "<console type=\"pty\"/>"));
    assert_null(strstr(xml, "<disk"));
    assert_null(strstr(xml, "<graphics"));
    VirtContainerSpec bad[] = {
        {.name = "a<b", .root_dir = "/srv", .init = "/sbin/init", .memory_mib = 64},
        {.name = "ok", .root_dir = "srv", .init = "/sbin/init", .memory_mib = 64},
        {.name = "ok", .root_dir = "/srv/../etc", .init = "/sbin/init", .memory_mib = 64},
        {.name = "ok", .root_dir = "/srv", .init = "init", .memory_mib = 64},
        {.name = "ok", .root_dir = "/srv", .init = "/sbin/init", .memory_mib = 8},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *x = virt_container_xml(&bad[i], &err);
        assert_null(x);
        assert_true(g_error_matches(err, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uris),
        cmocka_unit_test(test_qemu),
        cmocka_unit_test(test_test_and_lxc),
        cmocka_unit_test(test_documented_drivers),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_container_xml),
        cmocka_unit_test_setup_teardown(test_read_test_driver, unit_libvirt_setup,
                                        unit_libvirt_teardown),
    };
    return cmocka_run_group_tests_name("drivers", tests, NULL, NULL);
}
