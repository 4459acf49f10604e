/* VM edits: boot order, device look-ups and ejecting the installer on
 * domain XML (pure), and rename, vCPUs, memory, boot order and ejecting
 * the installer on the test:///default driver. */
#include "unit_libvirt.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_edit.h"
#include "virt/virt_domain_installer.h"
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
        {"", NULL},       {"HD", NULL},
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

static const char INSTALL_XML[] =
    "<domain type='qemu'><name>inst</name>"
    "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/><boot dev='network'/>"
    "<boot dev='hd'/><bootmenu enable='no'/></os>"
    "<devices><disk type='file' device='disk'><driver type='qcow2'/><source file='/a.qcow2'/>"
    "<target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><driver type='raw'/><source file='/i.iso'/>"
    "<target dev='sda' bus='sata'/><readonly/><address type='drive' unit='0'/></disk>"
    "<disk type='network' device='cdrom'><source protocol='http' name='/x.iso'>"
    "<host name='h'/></source><target dev='sdb' bus='sata'/><readonly/></disk>"
    "<disk type='file' device='cdrom'><target dev='sdc' bus='sata'/><readonly/></disk>"
    "</devices></domain>";

static const VirtDisk *disk_of(const VirtDomainConfig *cfg, const char *target)
{
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (g_strcmp0(d->target, target) == 0)
            return d;
    }
    fail_msg("no disk %s", target);
    return NULL;
}

static void test_eject_installer_xml(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_auto(GStrv) emptied = NULL;
    gboolean moved = FALSE;
    g_autofree char *xml = virt_domain_xml_eject_installer(INSTALL_XML, &emptied, &moved, &e);
    assert_non_null(xml);
    assert_true(moved);
    /* sdc was empty already */
    assert_int_equal(g_strv_length(emptied), 2);
    assert_string_equal(emptied[0], "sda");
    assert_string_equal(emptied[1], "sdb");
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), &e);
    assert_non_null(cfg);
    assert_int_equal(g_strv_length(cfg->boot), 3);
    assert_string_equal(cfg->boot[0], "hd");
    assert_string_equal(cfg->boot[1], "cdrom");
    assert_string_equal(cfg->boot[2], "network");
    assert_string_equal(disk_of(cfg, "vda")->source, "/a.qcow2");
    assert_null(disk_of(cfg, "sda")->source);
    assert_null(disk_of(cfg, "sdb")->source);
    assert_null(strstr(xml, "type=\"network\""));
    /* the rest of a drive stays: its address */
    assert_non_null(strstr(xml, "unit=\"0\""));

    /* Done once, nothing moves the second time. */
    g_auto(GStrv) again = NULL;
    g_autofree char *xml2 = virt_domain_xml_eject_installer(xml, &again, &moved, &e);
    assert_non_null(xml2);
    assert_false(moved);
    assert_int_equal(g_strv_length(again), 0);

    /* One drive for the live update: the medium out, the rest kept. */
    g_autofree char *drive = virt_domain_xml_cdrom_emptied(INSTALL_XML, "sda", &e);
    assert_non_null(drive);
    assert_null(strstr(drive, "i.iso"));
    assert_non_null(strstr(drive, "sata"));
    assert_null(virt_domain_xml_cdrom_emptied(INSTALL_XML, "vda", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_null(virt_domain_xml_cdrom_emptied(INSTALL_XML, "sdz", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
}

static void test_eject_installer_per_device(void **state)
{
    (void)state;
    /* Per-device orders: the disk goes first, the others keep their order. */
    static const char per_device[] =
        "<domain type='qemu'><name>pd</name><os><type>hvm</type></os><devices>"
        "<disk type='file' device='cdrom'><source file='/i.iso'/><target dev='sda'/>"
        "<boot order='1'/></disk>"
        "<disk type='file' device='disk'><source file='/a.img'/><target dev='vda'/>"
        "<boot order='3'/></disk>"
        "<interface type='network'><source network='n'/><boot order='2'/></interface>"
        "</devices></domain>";
    g_autoptr(GError) e = NULL;
    gboolean moved = FALSE;
    g_autofree char *xml = virt_domain_xml_eject_installer(per_device, NULL, &moved, &e);
    assert_non_null(xml);
    assert_true(moved);
    const char *disk = strstr(xml, "/a.img"), *cd = strstr(xml, "target dev=\"sda\"");
    const char *nic = strstr(xml, "network=\"n\"");
    assert_non_null(strstr(disk, "order=\"1\""));
    assert_true(strstr(cd, "order=\"2\"") < disk);
    assert_non_null(strstr(nic, "order=\"3\""));
    assert_null(strstr(xml, "<os><boot"));

    /* A VM that booted from the network alone: its disk becomes bootable. */
    static const char pxe_only[] =
        "<domain type='qemu'><name>px</name><os><type>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/a.img'/><target dev='vda'/></disk>"
        "<interface type='network'><source network='n'/><boot order='1'/></interface>"
        "</devices></domain>";
    g_autofree char *pxe = virt_domain_xml_eject_installer(pxe_only, NULL, &moved, &e);
    assert_non_null(pxe);
    assert_true(moved);
    assert_non_null(strstr(strstr(pxe, "/a.img"), "order=\"1\""));
    assert_non_null(strstr(strstr(pxe, "network=\"n\""), "order=\"2\""));

    /* No order at all: libvirt boots the first disk; nothing changes. */
    static const char plain[] =
        "<domain type='qemu'><name>pl</name><os><type>hvm</type></os><devices>"
        "<disk type='file' device='disk'><source file='/a.img'/><target dev='vda'/></disk>"
        "</devices></domain>";
    g_autofree char *same = virt_domain_xml_eject_installer(plain, NULL, &moved, &e);
    assert_non_null(same);
    assert_false(moved);
    assert_null(virt_domain_xml_eject_installer("<pool/>", NULL, NULL, &e));
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

/* An imported VM's drive whose medium is not here is left out; a restored
 * definition takes the VM's current name. */
static void test_drop_disk_and_set_name(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_domain_xml_drop_disk(DOMAIN_XML, "sda", &e);
    assert_non_null(xml);
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), &e);
    assert_non_null(cfg);
    assert_int_equal(cfg->disks->len, 1);
    assert_string_equal(((VirtDisk *)g_ptr_array_index(cfg->disks, 0))->target, "vda");
    assert_int_equal(cfg->nics->len, 1);
    assert_null(virt_domain_xml_drop_disk(DOMAIN_XML, "sdz", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    g_clear_error(&e);
    assert_null(virt_domain_xml_drop_disk(DOMAIN_XML, "sda' or '1'='1", &e));
    g_clear_error(&e);
    g_autofree char *named = virt_domain_xml_set_name(DOMAIN_XML, "a&<b", &e);
    assert_non_null(named);
    g_autoptr(VirtDomainConfig) cfg2 = virt_domain_config_parse(named, strlen(named), &e);
    assert_non_null(cfg2);
    assert_string_equal(cfg2->name, "a&<b");
    assert_int_equal(cfg2->disks->len, 2);
    assert_null(virt_domain_xml_set_name("<pool/>", "x", &e));
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

/* The test driver's domain with an installer in a CD-ROM drive, the
 * CD-ROM first in the boot order. */
static virDomainPtr with_installer(virConnectPtr conn, const char *xml)
{
    const char *devs[] = {"cdrom", "hd", NULL};
    g_autoptr(GError) e = NULL;
    g_autofree char *booting = virt_domain_xml_set_boot(xml, devs, &e);
    assert_non_null(booting);
    GString *s = g_string_new(booting);
    g_string_replace(s, "</devices>",
                     "<disk type='file' device='cdrom'><source file='/i.iso'/>"
                     "<target dev='hdc' bus='ide'/><readonly/></disk></devices>",
                     1);
    g_autofree char *def = g_string_free(s, FALSE);
    virDomainPtr dom = virDomainDefineXML(conn, def);
    assert_non_null(dom);
    return dom;
}

static VirtDomainConfig *definition(virDomainPtr dom)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    assert_non_null(xml);
    return virt_domain_config_parse(xml, strlen(xml), NULL);
}

static void test_eject_installer_engine(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(virDomain) dom = fresh_domain(conn);
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_domain_saved_config(dom, &e);
    assert_non_null(xml);

    /* Shut off: the definition alone changes. */
    g_autoptr(virDomain) off = with_installer(conn, xml);
    g_auto(GStrv) ejected = NULL;
    gboolean moved = FALSE;
    if (!virt_domain_eject_installer(off, &ejected, &moved, &e))
        fail_msg("eject: %s", e->message);
    assert_true(moved);
    assert_int_equal(g_strv_length(ejected), 1);
    assert_string_equal(ejected[0], "hdc");
    g_autoptr(VirtDomainConfig) cfg = definition(off);
    assert_string_equal(cfg->boot[0], "hd");
    assert_null(disk_of(cfg, "hdc")->source);
    /* A second time: nothing to do, and no error. */
    g_auto(GStrv) none = NULL;
    assert_true(virt_domain_eject_installer(off, &none, &moved, &e));
    assert_int_equal(g_strv_length(none), 0);
    assert_false(moved);

    /* Running: the test driver cannot change media live, so the eject
     * fails after the definition was written, which is then restored. */
    g_autoptr(virDomain) on = with_installer(conn, xml);
    assert_int_equal(virDomainCreate(on), 0);
    assert_false(virt_domain_eject_installer(on, NULL, NULL, &e));
    assert_non_null(strstr(e->message, "hdc"));
    g_autoptr(VirtDomainConfig) kept = definition(on);
    assert_string_equal(kept->boot[0], "cdrom");
    assert_string_equal(disk_of(kept, "hdc")->source, "/i.iso");
    assert_int_equal(virDomainDestroy(on), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_boot),
        cmocka_unit_test(test_boot_order_rules),
        cmocka_unit_test(test_find_devices),
        cmocka_unit_test(test_eject_installer_xml),
        cmocka_unit_test(test_eject_installer_per_device),
        cmocka_unit_test(test_drop_disk_and_set_name),
        cmocka_unit_test_setup_teardown(test_rename, unit_libvirt_setup, unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_vcpus_memory_boot, unit_libvirt_setup,
                                        unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_eject_installer_engine, unit_libvirt_setup,
                                        unit_libvirt_teardown),
    };
    return cmocka_run_group_tests_name("domain_edit", tests, NULL, NULL);
}
