/* VM edits: boot order and device look-ups on domain XML (pure), and
 * rename, vCPUs, memory and boot order on the test:///default driver. */
#include "unit_libvirt.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_edit.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"

#include <string.h>

static const char DOMAIN_XML[] =
    "<domain type='qemu'><name>edit</name>"
    "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>/k</kernel><boot dev='hd'/>"
    "<bootmenu enable='no'/></os>"
    "<devices><disk type='file' device='disk'><source file='/a.img'/>"
    "<target dev='vda' bus='virtio'/><boot order='1'/></disk>"
    "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>"
    "<interface type='network'><mac address='52:54:00:AA:bb:01'/><source network='n1'/>"
    "<boot order='2'/></interface></devices></domain>";

static GStrv boots_of(const char *xml)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), &e);
    assert_non_null(cfg);
    return g_steal_pointer(&cfg->boot);
}

static void test_set_boot(void **state)
{
    (void)state;
    const char *devs[] = {"cdrom", "network", NULL};
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_domain_xml_set_boot(DOMAIN_XML, devs, &e);
    assert_non_null(xml);
    g_auto(GStrv) boots = boots_of(xml);
    assert_int_equal(g_strv_length(boots), 2);
    assert_string_equal(boots[0], "cdrom");
    assert_string_equal(boots[1], "network");
    /* per-device orders are gone; <boot> sits after <kernel>, before <bootmenu> */
    assert_null(strstr(xml, "order="));
    const char *kernel = strstr(xml, "<kernel>"), *boot = strstr(xml, "<boot dev");
    const char *menu = strstr(xml, "<bootmenu");
    assert_true(kernel && boot && menu && kernel < boot && boot < menu);

    const char *none[] = {NULL};
    g_autofree char *cleared = virt_domain_xml_set_boot(DOMAIN_XML, none, &e);
    assert_non_null(cleared);
    assert_null(strstr(cleared, "<boot "));
    assert_null(strstr(cleared, "<boot/>"));
}

static void test_boot_order_rules(void **state)
{
    (void)state;
    const char *const bad[][6] = {
        {"floppy", NULL}, {"hd", "hd", NULL}, {"hd", "cdrom", "network", "fd", "hd", NULL},
        {"", NULL}, {"HD", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        assert_false(virt_boot_order_valid(bad[i], &e));
        assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
        g_autofree char *xml = virt_domain_xml_set_boot(DOMAIN_XML, bad[i], NULL);
        assert_null(xml);
    }
    const char *good[] = {"fd", "network", "cdrom", "hd", NULL};
    assert_true(virt_boot_order_valid(good, NULL));
    assert_true(virt_boot_order_valid(NULL, NULL));
    g_autoptr(GError) e = NULL;
    assert_null(virt_domain_xml_set_boot("<pool/>", good, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
}

static void test_find_devices(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autofree char *disk = virt_domain_xml_disk(DOMAIN_XML, "vda", &e);
    assert_non_null(disk);
    assert_non_null(strstr(disk, "/a.img"));
    assert_null(strstr(disk, "sata"));
    g_autofree char *cd = virt_domain_xml_disk(DOMAIN_XML, "sda", &e);
    assert_non_null(strstr(cd, "cdrom"));
    /* MACs compare without regard to case */
    g_autofree char *nic = virt_domain_xml_nic(DOMAIN_XML, "52:54:00:aa:BB:01", &e);
    assert_non_null(nic);
    assert_non_null(strstr(nic, "n1"));
    const char *missing[] = {"vdb", "", "vda' or '1'='1", "x\"y"};
    for (gsize i = 0; i < G_N_ELEMENTS(missing); i++) {
        g_autoptr(GError) me = NULL;
        assert_null(virt_domain_xml_disk(DOMAIN_XML, missing[i], &me));
        assert_true(g_error_matches(me, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    }
    g_autoptr(GError) ne = NULL;
    assert_null(virt_domain_xml_nic(DOMAIN_XML, "52:54:00:00:00:09", &ne));
    assert_true(g_error_matches(ne, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
}

/* ---- the engine on test:///default ---- */

static virDomainPtr fresh_domain(virConnectPtr conn)
{
    /* test:///default's "test" domain runs; stop it so every edit is open. */
    virDomainPtr dom = virDomainLookupByName(conn, "test");
    assert_non_null(dom);
    if (virDomainIsActive(dom) == 1)
        assert_int_equal(virDomainDestroy(dom), 0);
    return dom;
}

static void test_rename(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(virDomain) dom = fresh_domain(conn);
    g_autoptr(GError) e = NULL;
    assert_true(virt_domain_rename(dom, "renamed", &e));
    g_autoptr(virDomain) again = virt_domain_lookup(conn, "renamed", &e);
    assert_non_null(again);
    assert_false(virt_domain_rename(again, "bad/name", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_int_equal(virDomainCreate(again), 0);
    assert_false(virt_domain_rename(again, "other", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    assert_int_equal(virDomainDestroy(again), 0);
    g_clear_error(&e);
    assert_true(virt_domain_rename(again, "test", &e));
}

static void test_vcpus_memory_boot(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(virDomain) dom = fresh_domain(conn);
    g_autoptr(GError) e = NULL;
    VirtApplied how = VIRT_APPLIED_LIVE;
    assert_true(virt_domain_vcpus_max(dom, &e) >= 2);
    assert_true(virt_host_memory_mib(conn, &e) > 0);
    assert_true(virt_domain_set_vcpus(dom, 2, &how, &e));
    assert_int_equal(how, VIRT_APPLIED_NEXT_BOOT);
    assert_true(virt_domain_set_memory(dom, 256, &how, &e));
    assert_int_equal(how, VIRT_APPLIED_NEXT_BOOT);
    const char *devs[] = {"cdrom", "hd", NULL};
    assert_true(virt_domain_set_boot(dom, devs, &e));
    g_autoptr(VirtDomainDetail) d = virt_domain_detail(dom, &e);
    assert_non_null(d);
    assert_int_equal(d->config->vcpus, 2);
    assert_int_equal(d->config->memory_kib, 256 * 1024);
    assert_string_equal(d->config->boot[0], "cdrom");
    assert_string_equal(d->config->boot[1], "hd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_boot),
        cmocka_unit_test(test_boot_order_rules),
        cmocka_unit_test(test_find_devices),
        cmocka_unit_test_setup_teardown(test_rename, unit_libvirt_setup, unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_vcpus_memory_boot, unit_libvirt_setup, unit_libvirt_teardown),
    };
    return cmocka_run_group_tests_name("domain_edit", tests, NULL, NULL);
}
