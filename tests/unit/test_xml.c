/* Domain XML reading: units, sources of every kind, hostile input. */
#include "unit.h"

#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"

static VirtDomainConfig *parse(const char *xml, GError **e)
{
    return virt_domain_config_parse(xml, strlen(xml), e);
}

static void test_full_domain(void **state)
{
    (void)state;
    const char *xml =
        "<domain type='kvm'><name>web</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>"
        "<memory unit='GiB'>2</memory><currentMemory unit='MiB'>1536</currentMemory>"
        "<vcpu current='2'>4</vcpu>"
        "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><kernel>/boot/vmlinuz</kernel>"
        "<boot dev='network'/><boot dev='hd'/></os><devices>"
        "<disk type='volume' device='disk'><source pool='default' volume='web.qcow2'/>"
        "<target dev='vda' bus='virtio'/></disk>"
        "<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='sda' bus='sata'/></disk>"
        "<disk type='network' device='disk'><source protocol='rbd' name='pool/img'/>"
        "<target dev='vdb'/></disk>"
        "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>"
        "<interface type='user'><mac address='52:54:00:00:00:02'/></interface>"
        "<graphics type='vnc' port='-1' autoport='yes'><listen type='address' address='0.0.0.0'/></graphics>"
        "<graphics type='spice' port='5901'/>"
        "</devices></domain>";
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtDomainConfig) c = parse(xml, &e);
    assert_non_null(c);
    assert_string_equal(c->name, "web");
    assert_string_equal(c->domain_type, "kvm");
    assert_string_equal(c->machine, "pc-q35-7.2");
    assert_string_equal(c->kernel, "/boot/vmlinuz");
    assert_int_equal(c->vcpus, 2);
    assert_int_equal(c->memory_kib, 1536 * 1024);
    assert_int_equal(g_strv_length(c->boot), 2);
    assert_int_equal(c->disks->len, 3);
    assert_string_equal(((VirtDisk *)g_ptr_array_index(c->disks, 0))->source, "default/web.qcow2");
    assert_string_equal(((VirtDisk *)g_ptr_array_index(c->disks, 1))->device, "cdrom");
    assert_string_equal(((VirtDisk *)g_ptr_array_index(c->disks, 1))->source, "/dev/sr0");
    assert_string_equal(((VirtDisk *)g_ptr_array_index(c->disks, 2))->source, "pool/img");
    assert_null(((VirtDisk *)g_ptr_array_index(c->disks, 2))->bus);
    assert_int_equal(c->nics->len, 2);
    assert_null(((VirtNic *)g_ptr_array_index(c->nics, 1))->source);
    VirtGraphics *vnc = g_ptr_array_index(c->graphics, 0);
    assert_int_equal(vnc->port, -1);
    assert_string_equal(vnc->listen, "0.0.0.0");
    assert_int_equal(((VirtGraphics *)g_ptr_array_index(c->graphics, 1))->port, 5901);
}

static void test_minimal_and_memory_units(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtDomainConfig) c = parse("<domain><memory>65536</memory></domain>", &e);
    assert_non_null(c);
    assert_int_equal(c->memory_kib, 65536);
    assert_int_equal(c->vcpus, 1);
    assert_int_equal(c->disks->len, 0);
    assert_int_equal(g_strv_length(c->boot), 0);
    g_autoptr(VirtDomainConfig) b = parse("<domain><memory unit='b'>1048576</memory></domain>", &e);
    assert_int_equal(b->memory_kib, 1024);
    g_autoptr(VirtDomainConfig) t = parse("<domain><memory unit='TiB'>1</memory></domain>", &e);
    assert_int_equal(t->memory_kib, 1ULL << 30);
    g_autoptr(VirtDomainConfig) mb = parse("<domain><memory unit='MB'>1024</memory></domain>", &e);
    assert_int_equal(mb->memory_kib, 1000000);
    /* Past 64 bits, or an unknown unit: unknown (0), never a wrapped value. */
    g_autoptr(VirtDomainConfig) huge = parse("<domain><memory unit='GiB'>18014398509481985</memory>"
                                             "<vcpu current='4294967297'>2</vcpu></domain>",
                                             &e);
    assert_int_equal(huge->memory_kib, 0);
    assert_int_equal(huge->vcpus, 0);
    g_autoptr(VirtDomainConfig)
        odd = parse("<domain><memory unit='furlongs'>3</memory></domain>", &e);
    assert_int_equal(odd->memory_kib, 0);
}

static void test_rejects_garbage(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    assert_null(parse("", &e));
    g_clear_error(&e);
    assert_null(parse("<domain>", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_null(parse("<network><name>x</name></network>", &e));
    g_clear_error(&e);
    /* No entity expansion, no external fetches. */
    const char *xxe = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                      "<domain><name>&x;</name></domain>";
    g_autoptr(VirtDomainConfig) c = parse(xxe, &e);
    if (c)
        assert_true(c->name == NULL || strstr(c->name, "root:") == NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_domain),
        cmocka_unit_test(test_minimal_and_memory_units),
        cmocka_unit_test(test_rejects_garbage),
    };
    return cmocka_run_group_tests_name("xml", tests, NULL, NULL);
}
