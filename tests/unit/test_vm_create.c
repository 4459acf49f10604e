/* Creating VMs: the spec parser, the domain XML of a new VM read back by
 * the API's own parser, the engine's create and rollback on
 * test:///default, and templates in the inventory. */
#include "unit.h"
#include "api/core/api_error.h"
#include "api/vms/api_vm_spec.h"
#include "db/db_templates.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_vm_create.h"

#include <string.h>

static ApiVmSpec *parse(const char *text, ApiVmSpecKind kind, GError **error)
{
    g_autoptr(json_t) obj = json_loads(text, 0, NULL);
    assert_non_null(obj);
    return api_vm_spec_parse(obj, kind, error);
}

static void expect_bad(const char *text, ApiVmSpecKind kind, const char *field)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(ApiVmSpec) spec = parse(text, kind, &e);
    assert_null(spec);
    assert_non_null(e);
    assert_int_equal(api_error_status(e), 400);
    if (!strstr(e->message, field))
        fail_msg("%s: message '%s' does not name '%s'", text, e->message, field);
}

static void test_spec_rejects(void **state)
{
    (void)state;
    const ApiVmSpecKind C = API_VM_SPEC_CREATE, T = API_VM_SPEC_TEMPLATE;
    expect_bad("{\"vcpus\":1,\"memory\":64}", C, "name");
    expect_bad("{\"name\":\"a\",\"vcpus\":1,\"memory\":64,\"x\":1}", C, "x");
    expect_bad("{\"name\":\"a\",\"vcpus\":1,\"memory\":64}", T, "name");
    expect_bad("{\"name\":\"a/b\",\"vcpus\":1,\"memory\":64}", C, "name");
    expect_bad("{\"name\":\"a\",\"vcpus\":0,\"memory\":64}", C, "vcpus");
    expect_bad("{\"name\":\"a\",\"vcpus\":1,\"memory\":15}", C, "memory");
    expect_bad("{\"disks\":[{\"pool\":\"p\"}]}", T, "disks[0]");
    expect_bad("{\"disks\":[{\"volume\":\"p\"}]}", T, "disks[0]");
    expect_bad("{\"disks\":[{\"backing\":\"p/b\",\"format\":\"raw\"}]}", T, "disks[0]");
    expect_bad("{\"disks\":[{\"volume\":\"p/v\",\"size\":1}]}", T, "disks[0]");
    expect_bad("{\"nics\":[{\"network\":\"n\",\"bridge\":\"b\"}]}", T, "nics[0]");
    expect_bad("{\"nics\":[{\"network\":\"n\",\"mac\":\"ff:ff:ff:ff:ff:ff\"}]}", T, "nics[0]");
    expect_bad("{\"boot\":[\"cdrom\"]}", T, "cdrom");
    expect_bad("{\"boot\":[\"network\",\"hd\"]}", T, "NIC");
    expect_bad("{\"boot\":[\"hd\",\"hd\"]}", T, "boot");
    expect_bad("{\"cdrom\":\"x\"}", T, "cdrom");
    expect_bad("{\"os\":\"a b\"}", T, "os");
}

static void test_spec_host_check(void **state)
{
    (void)state;
    char *machines[] = {"pc", "q35", NULL};
    VirtHostInfo host = {.arch = "x86_64",
                         .cpus = 2,
                         .memory_total_kib = 1 << 20,
                         .default_domain_type = "qemu",
                         .machines = machines};
    struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{\"vcpus\":3}", "vcpus"},
        {"{\"memory\":1025}", "memory"},
        {"{\"cpu_mode\":\"host-passthrough\"}", "cpu_mode"},
        {"{\"machine\":\"virt\"}", "machine"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(ApiVmSpec) spec = parse(cases[i].json, API_VM_SPEC_TEMPLATE, NULL);
        assert_non_null(spec);
        g_autoptr(GError) e = NULL;
        assert_false(api_vm_spec_check_host(spec, &host, &e));
        assert_non_null(strstr(e->message, cases[i].field));
    }
    g_autoptr(ApiVmSpec)
        pxe = parse("{\"boot\":[\"network\",\"hd\"],\"nics\":[{\"network\":\"n\"}]}",
                    API_VM_SPEC_TEMPLATE, NULL);
    assert_non_null(pxe);
    g_autoptr(ApiVmSpec)
        ok = parse("{\"vcpus\":2,\"memory\":1024,\"machine\":\"q35\"}", API_VM_SPEC_TEMPLATE, NULL);
    assert_true(api_vm_spec_check_host(ok, &host, NULL));
    host.kvm_usable = TRUE;
    g_autoptr(ApiVmSpec)
        pt = parse("{\"cpu_mode\":\"host-passthrough\"}", API_VM_SPEC_TEMPLATE, NULL);
    assert_true(api_vm_spec_check_host(pt, &host, NULL));
}

static void test_domain_xml_round_trip(void **state)
{
    (void)state;
    VirtDiskSpec disks[] = {
        {.device = "disk", .path = "/p/a&b.qcow2", .format = "qcow2", .target = "vda"},
        {.device = "cdrom", .path = "/p/<x>.iso", .target = "sda"},
    };
    VirtNicSpec nics[] = {{.type = "network", .source = "n&1", .model = "e1000e"}};
    const char *boot[] = {"cdrom", "hd", NULL};
    VirtDomainBuild b = {.name = "web.1",
                         .domain_type = "qemu",
                         .arch = "x86_64",
                         .machine = "q35",
                         .vcpus = 2,
                         .memory_mib = 512,
                         .vnc = TRUE,
                         .serial_log = "/log/web.1-serial.log",
                         .boot = boot,
                         .osinfo_id = "http://debian.org/debian/12",
                         .disks = disks,
                         .n_disks = 2,
                         .nics = nics,
                         .n_nics = 1};
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_domain_build_xml(&b, &e);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "a&amp;b.qcow2"));
    assert_non_null(strstr(xml, "<acpi/>"));
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), &e);
    assert_non_null(cfg);
    assert_int_equal(cfg->disks->len, 2);
    assert_int_equal(cfg->nics->len, 1);
    VirtDisk *d = g_ptr_array_index(cfg->disks, 0);
    assert_string_equal(d->source, "/p/a&b.qcow2");
    /* The OS as virt-install keeps it, read back by its namespace. */
    assert_non_null(
        strstr(xml, "xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\""));
    assert_string_equal(cfg->osinfo_id, "http://debian.org/debian/12");
    static const char other_prefix[] =
        "<domain><name>x</name><metadata><o:libosinfo xmlns:o='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
        "<o:os id='http://fedoraproject.org/fedora/38'/></o:libosinfo>"
        "<libosinfo><os id='http://not/namespaced'/></libosinfo></metadata></domain>";
    g_autoptr(VirtDomainConfig)
        other = virt_domain_config_parse(other_prefix, strlen(other_prefix), &e);
    assert_string_equal(other->osinfo_id, "http://fedoraproject.org/fedora/38");
    static const char none[] = "<domain><name>y</name></domain>";
    g_autoptr(VirtDomainConfig) plain = virt_domain_config_parse(none, strlen(none), &e);
    assert_null(plain->osinfo_id);

    const char *bad_ids[] = {"debian12", "http://a b", ""};
    for (gsize i = 0; i < G_N_ELEMENTS(bad_ids); i++) {
        b.osinfo_id = bad_ids[i];
        assert_null(virt_domain_build_xml(&b, NULL));
    }
    b.osinfo_id = NULL;
    g_autofree char *no_os = virt_domain_build_xml(&b, &e);
    assert_null(strstr(no_os, "<metadata"));
    b.name = "a<b";
    assert_null(virt_domain_build_xml(&b, NULL));
    b.name = "ok";
    const char *bad_boot[] = {"floppy", NULL};
    b.boot = bad_boot;
    assert_null(virt_domain_build_xml(&b, NULL));
}

/* test:///default: a VM with a new and a cloned volume, a clash refused
 * before anything is made, and a rollback that removes what was made. */
static void test_engine_create_and_rollback(void **state)
{
    (void)state;
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    g_autoptr(virStoragePool) pool = virt_pool_lookup(conn, "default-pool", NULL);
    assert_non_null(pool);
    g_autoptr(virStorageVol)
        base = virt_volume_create(pool, "unit-base.img", 1 << 20, "raw", NULL, NULL);
    assert_non_null(base);
    VirtVmVolume vols[] = {
        {.kind = VIRT_VM_VOL_NEW, .device = "disk", .pool = "default-pool", .size = 1 << 20},
        {.kind = VIRT_VM_VOL_CLONE, .device = "disk", .from = "default-pool/unit-base.img"},
    };
    VirtNicSpec nics[] = {{.type = "network", .source = "default"}};
    VirtVmPlan plan = {.domain = {.name = "unit-new",
                                  .domain_type = "qemu",
                                  .vcpus = 1,
                                  .memory_mib = 64,
                                  .nics = nics,
                                  .n_nics = 1},
                       .volumes = vols,
                       .n_volumes = 2};
    g_autoptr(GError) e = NULL;
    VirtVmCreated *c = virt_vm_create(conn, &plan, NULL, NULL, &e);
    if (!c)
        fail_msg("create: %s", e->message);
    virt_vm_created_commit(c);
    g_autoptr(virStorageVol) made = virt_volume_lookup(pool, "unit-new-disk0.qcow2", NULL);
    assert_non_null(made);
    g_autoptr(virStorageVol) copy = virt_volume_lookup(pool, "unit-new-disk1.img", NULL);
    assert_non_null(copy);

    /* Same name again: refused before anything is made. */
    assert_null(virt_vm_create(conn, &plan, NULL, NULL, &e));
    assert_int_equal(e->code, VIRT_ERROR_EXISTS);
    g_clear_error(&e);

    /* A rollback removes the domain and the volumes it made, never the
     * source of a clone. */
    plan.domain.name = "unit-rolled";
    c = virt_vm_create(conn, &plan, NULL, NULL, &e);
    assert_non_null(c);
    virt_vm_created_rollback(c);
    virDomainPtr gone = virDomainLookupByName(conn, "unit-rolled");
    assert_null(gone);
    virResetLastError();
    virStorageVolPtr vol = virStorageVolLookupByName(pool, "unit-rolled-disk0.qcow2");
    assert_null(vol);
    virResetLastError();
    g_autoptr(virStorageVol) still = virt_volume_lookup(pool, "unit-base.img", NULL);
    assert_non_null(still);
    virConnectClose(conn);
}

static void test_templates_db(void **state)
{
    (void)state;
    g_autoptr(Db) db = db_open(":memory:", NULL);
    assert_non_null(db);
    g_autoptr(GError) e = NULL;
    gint64 id = db_template_create(db, "small", "", "{\"vcpus\":1}", 0, &e);
    assert_true(id > 0);
    assert_int_equal(db_template_create(db, "small", "", "{}", 0, &e), 0);
    assert_int_equal(e->code, DB_ERROR_EXISTS);
    g_clear_error(&e);
    assert_true(db_template_update(db, id, "smaller", "d", "{\"vcpus\":2}", &e));
    g_autoptr(DbTemplate) t = db_template_get(db, "smaller", &e);
    assert_non_null(t);
    assert_string_equal(t->spec, "{\"vcpus\":2}");
    assert_true(db_template_delete(db, id, &e));
    g_autoptr(GPtrArray) all = db_template_list(db, &e);
    assert_int_equal(all->len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_rejects),
        cmocka_unit_test(test_spec_host_check),
        cmocka_unit_test(test_domain_xml_round_trip),
        cmocka_unit_test(test_engine_create_and_rollback),
        cmocka_unit_test(test_templates_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
