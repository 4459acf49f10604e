/* Device XML: disks, CD-ROMs and NICs built by virt_device_xml.c, read back
 * with the same parser the API uses for domains. */
#include "unit.h"
#include "virt/virt_device_xml.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_xml.h"

#include <string.h>

/* Wraps device XML in a domain and parses it like libvirt's answer. */
static VirtDomainConfig *as_domain(const char *device_xml)
{
    const char *body = strstr(device_xml, "?>");
    body = body ? body + 2 : device_xml;
    g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>t</name><devices>%s"
                                           "</devices></domain>",
                                           body);
    g_autoptr(GError) e = NULL;
    VirtDomainConfig *cfg = virt_domain_config_parse(xml, strlen(xml), &e);
    assert_null(e);
    return cfg;
}

static void test_disk_round_trip(void **state)
{
    (void)state;
    VirtDiskSpec d = {.device = "disk",
                      .path = "/var/lib/a&b <c>.qcow2",
                      .format = "qcow2",
                      .target = "vdb",
                      .boot_order = 1};
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_disk_xml(&d, &e);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "a&amp;b &lt;c&gt;"));
    assert_non_null(strstr(xml, "<boot order=\"1\"/>"));
    g_autoptr(VirtDomainConfig) cfg = as_domain(xml);
    assert_int_equal(cfg->disks->len, 1);
    VirtDisk *disk = g_ptr_array_index(cfg->disks, 0);
    assert_string_equal(disk->device, "disk");
    assert_string_equal(disk->target, "vdb");
    assert_string_equal(disk->bus, "virtio");
    assert_string_equal(disk->format, "qcow2");
    assert_string_equal(disk->source, "/var/lib/a&b <c>.qcow2");
}

static void test_cdrom_empty_and_block(void **state)
{
    (void)state;
    VirtDiskSpec cd = {.device = "cdrom", .target = "sda"};
    g_autofree char *xml = virt_disk_xml(&cd, NULL);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "bus=\"sata\""));
    assert_non_null(strstr(xml, "<readonly/>"));
    assert_null(strstr(xml, "<source"));

    VirtDiskSpec blk = {.device = "disk", .path = "/dev/vg0/lv", .target = "vdc"};
    g_autofree char *bxml = virt_disk_xml(&blk, NULL);
    assert_non_null(strstr(bxml, "type=\"block\""));
    assert_non_null(strstr(bxml, "dev=\"/dev/vg0/lv\""));
}

static void test_disk_rejects(void **state)
{
    (void)state;
    const VirtDiskSpec bad[] = {
        {.device = "floppy", .path = "/a", .target = "vda"},
        {.device = "disk", .path = "/a", .target = "vda", .bus = "pci"},
        {.device = "cdrom", .target = "vda", .bus = "virtio"},
        {.device = "disk", .path = "/a", .target = "../x"},
        {.device = "disk", .path = "/a", .target = NULL},
        {.device = "disk", .path = NULL, .target = "vda"},
        {.device = "disk", .path = "relative", .target = "vda"},
        {.device = "disk", .path = "/a", .target = "vda", .format = "qed"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *xml = virt_disk_xml(&bad[i], &e);
        assert_null(xml);
        assert_non_null(e);
        assert_true(e->message[0] != '\0');
    }
}

static void test_nic_round_trip(void **state)
{
    (void)state;
    VirtNicSpec n = {
        .type = "network", .source = "net'\"&", .mac = "52:54:00:ab:CD:01", .link_down = TRUE};
    g_autofree char *xml = virt_nic_xml(&n, NULL);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<link state=\"down\"/>"));
    g_autoptr(VirtDomainConfig) cfg = as_domain(xml);
    assert_int_equal(cfg->nics->len, 1);
    VirtNic *nic = g_ptr_array_index(cfg->nics, 0);
    assert_string_equal(nic->type, "network");
    assert_string_equal(nic->source, "net'\"&");
    assert_string_equal(nic->model, "virtio");
    assert_string_equal(nic->mac, "52:54:00:ab:CD:01");

    VirtNicSpec bad_model = {.type = "bridge", .source = "br0", .model = "ne2k"};
    g_autoptr(GError) e = NULL;
    assert_null(virt_nic_xml(&bad_model, &e));
    assert_non_null(e);
}

static void test_mac_rules(void **state)
{
    (void)state;
    assert_true(virt_mac_valid("52:54:00:00:00:01", NULL));
    const char *bad[] = {"",
                         "52:54:00:00:00",
                         "52-54-00-00-00-01",
                         "01:00:5e:00:00:01",
                         "00:00:00:00:00:00",
                         "52:54:00:00:00:0g",
                         "52:54:00:00:00:001",
                         NULL};
    for (const char **m = bad; *m; m++)
        assert_false(virt_mac_valid(*m, NULL));
    assert_false(virt_mac_valid(NULL, NULL));
}

static void test_next_target(void **state)
{
    (void)state;
    g_autofree char *a = virt_disk_next_target("virtio", NULL);
    assert_string_equal(a, "vda");
    const char *used[] = {"vda", "vdb", "sda", NULL};
    g_autofree char *c = virt_disk_next_target("virtio", used);
    assert_string_equal(c, "vdc");
    g_autofree char *s = virt_disk_next_target("sata", used);
    assert_string_equal(s, "sdb");
    g_autofree char *h = virt_disk_next_target("ide", used);
    assert_string_equal(h, "hda");

    g_autoptr(GPtrArray) many = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < 26; i++)
        g_ptr_array_add(many, g_strdup_printf("vd%c", 'a' + i));
    g_ptr_array_add(many, NULL);
    g_autofree char *aa = virt_disk_next_target("virtio", (const char *const *)many->pdata);
    assert_string_equal(aa, "vdaa");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_round_trip), cmocka_unit_test(test_cdrom_empty_and_block),
        cmocka_unit_test(test_disk_rejects),    cmocka_unit_test(test_nic_round_trip),
        cmocka_unit_test(test_mac_rules),       cmocka_unit_test(test_next_target),
    };
    return cmocka_run_group_tests_name("device_xml", tests, NULL, NULL);
}
