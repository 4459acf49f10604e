/* Who uses which disk file (virt_disk_usage) on libvirt's test driver, and
 * the raw libvirt text kept beside an engine error (virt_error_detail). */
#include "unit_libvirt.h"

#include "virt/virt_disk_usage.h"
#include "virt/virt_error.h"

static void define(virConnectPtr conn, const char *name, const char *devices)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='test'><name>%s</name><memory>65536</memory><vcpu>1</vcpu>"
        "<os><type>hvm</type></os><devices>%s</devices></domain>",
        name, devices);
    virDomainPtr dom = virDomainDefineXML(conn, xml);
    assert_non_null(dom);
    virDomainFree(dom);
}

static const VirtDiskUser *user_named(const GPtrArray *users, const char *name)
{
    for (guint i = 0; users && i < users->len; i++) {
        const VirtDiskUser *u = g_ptr_array_index(users, i);
        if (g_strcmp0(u->name, name) == 0)
            return u;
    }
    return NULL;
}

static void test_usage_by_path(void **state)
{
    virConnectPtr conn = *state;
    define(conn, "a",
           "<disk type='file' device='disk'><source file='/img/a.qcow2'/>"
           "<target dev='vda' bus='virtio'/></disk>"
           "<disk type='file' device='cdrom'><source file='/iso/debian.iso'/>"
           "<target dev='sda' bus='sata'/><readonly/></disk>");
    define(conn, "b",
           "<disk type='file' device='cdrom'><source file='/iso/debian.iso'/>"
           "<target dev='sda' bus='sata'/><readonly/></disk>"
           "<disk type='file' device='disk'><source file='/img/shared.raw'/>"
           "<target dev='vdb' bus='virtio'/><readonly/></disk>");
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) usage = virt_disk_usage(conn, &error);
    assert_non_null(usage);

    const GPtrArray *a = virt_disk_users(usage, "/img/a.qcow2");
    assert_int_equal(a->len, 1);
    const VirtDiskUser *ua = user_named(a, "a");
    assert_true(ua->writable && ua->disk);
    assert_true(g_uuid_string_is_valid(ua->uuid));

    const GPtrArray *iso = virt_disk_users(usage, "/iso/debian.iso");
    assert_int_equal(iso->len, 2);
    assert_false(user_named(iso, "a")->writable);
    assert_false(user_named(iso, "b")->disk);

    /* A read-only disk is a disk that does not write. */
    const VirtDiskUser *ub = user_named(virt_disk_users(usage, "/img/shared.raw"), "b");
    assert_true(ub->disk && !ub->writable);

    assert_null(virt_disk_users(usage, "/img/nobody.raw"));
    assert_null(virt_disk_users(usage, NULL));
}

static void test_libvirt_text_kept_as_detail(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(GError) error = NULL;
    virDomainPtr dom = virDomainLookupByName(conn, "no-such-vm");
    assert_null(dom);
    virt_error_from_libvirt(&error, "looking up VM");
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    const char *detail = virt_error_detail(error);
    assert_non_null(detail);
    assert_true(g_str_has_suffix(error->message, detail));
    assert_true(g_str_has_prefix(error->message, "looking up VM: "));
    /* Copies and prefixes keep it. */
    g_autoptr(GError) copy = g_error_copy(error);
    g_prefix_error(&copy, "disks[0]: ");
    assert_string_equal(virt_error_detail(copy), detail);
    assert_true(g_str_has_suffix(copy->message, detail));
    /* Errors Vireo words itself have none. */
    g_autoptr(GError) own = NULL;
    virt_fail(&own, VIRT_ERROR_BUSY, "volume in use");
    assert_null(virt_error_detail(own));
    assert_null(virt_error_detail(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usage_by_path, unit_libvirt_setup,
                                        unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_libvirt_text_kept_as_detail, unit_libvirt_setup,
                                        unit_libvirt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
