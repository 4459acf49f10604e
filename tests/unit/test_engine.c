/* The libvirt engine on the built-in test:///default driver: the bulk
 * list, lookup, details, actions with state checks, autostart, delete. */
#include "unit.h"

#include "virt/virt_conn.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_host.h"

#include <libvirt/virterror.h>

static const char *const EXTRA_XML =
    "<domain type='test'><name>unit-b&lt;x&gt;</name><memory unit='MiB'>256</memory>"
    "<vcpu>3</vcpu><os><type arch='x86_64'>hvm</type><boot dev='cdrom'/><boot dev='hd'/></os>"
    "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source file='/var/tmp/unit-b.qcow2'/><target dev='vda' bus='virtio'/></disk>"
    "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
    "<model type='virtio'/></interface>"
    "<graphics type='vnc' port='5905' listen='127.0.0.1'/></devices></domain>";

static int setup(void **state)
{
    virt_init();
    /* A private test driver instance: its own domains, fresh per test. */
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    virDomainPtr d = virDomainDefineXML(conn, EXTRA_XML);
    assert_non_null(d);
    virDomainFree(d);
    *state = conn;
    return 0;
}

static int teardown(void **state)
{
    virConnectPtr conn = *state;
    virDomainPtr d = virDomainLookupByName(conn, "unit-b<x>");
    if (d) {
        if (virDomainIsActive(d) == 1)
            virDomainDestroy(d);
        virDomainUndefine(d);
        virDomainFree(d);
    }
    virResetLastError();
    virConnectClose(conn);
    return 0;
}

static const VirtDomainSummary *find(GPtrArray *list, const char *name)
{
    for (guint i = 0; i < list->len; i++) {
        const VirtDomainSummary *s = g_ptr_array_index(list, i);
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

static void test_list(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) list = virt_domain_list(*state, &e);
    assert_non_null(list);
    assert_true(list->len >= 2);
    const VirtDomainSummary *t = find(list, "test");
    const VirtDomainSummary *b = find(list, "unit-b<x>");
    assert_non_null(t);
    assert_non_null(b);
    assert_int_equal(t->state, VIR_DOMAIN_RUNNING);
    assert_int_equal(b->state, VIR_DOMAIN_SHUTOFF);
    assert_int_equal(b->vcpus, 3);
    assert_int_equal(b->memory_kib, 256 * 1024);
    assert_true(b->persistent);
    assert_false(b->autostart);
    /* sorted by name */
    for (guint i = 1; i < list->len; i++) {
        const VirtDomainSummary *x = g_ptr_array_index(list, i - 1);
        const VirtDomainSummary *y = g_ptr_array_index(list, i);
        assert_true(strcmp(x->name, y->name) < 0);
    }
    g_auto(GStrv) uuids = virt_domain_list_uuids(*state, &e);
    assert_int_equal(g_strv_length(uuids), list->len);
}

static void test_detail_and_lookup(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(virDomain) dom = virt_domain_lookup(*state, "unit-b<x>", &e);
    assert_non_null(dom);
    g_autoptr(VirtDomainDetail) d = virt_domain_detail(dom, &e);
    assert_non_null(d);
    g_autoptr(virDomain) by_uuid = virt_domain_lookup(*state, d->summary.uuid, &e);
    assert_non_null(by_uuid);
    assert_string_equal(virDomainGetName(by_uuid), "unit-b<x>");
    const VirtDomainConfig *c = d->config;
    assert_int_equal(c->disks->len, 1);
    const VirtDisk *disk = g_ptr_array_index(c->disks, 0);
    assert_string_equal(disk->source, "/var/tmp/unit-b.qcow2");
    assert_string_equal(disk->format, "qcow2");
    assert_string_equal(disk->bus, "virtio");
    const VirtNic *nic = g_ptr_array_index(c->nics, 0);
    assert_string_equal(nic->type, "bridge");
    assert_string_equal(nic->source, "br0");
    assert_string_equal(nic->mac, "52:54:00:aa:bb:cc");
    const VirtGraphics *g = g_ptr_array_index(c->graphics, 0);
    assert_int_equal(g->port, 5905);
    assert_string_equal(c->boot[0], "cdrom");
    assert_string_equal(c->boot[1], "hd");

    assert_null(virt_domain_lookup(*state, "nope", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    assert_non_null(strstr(e->message, "'nope'"));
}

static void expect_conflict(virDomainPtr dom, VirtAction a)
{
    g_autoptr(GError) e = NULL;
    assert_false(virt_domain_act(dom, a, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
}

static void test_actions(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(virDomain) dom = virt_domain_lookup(*state, "unit-b<x>", &e);
    expect_conflict(dom, VIRT_ACTION_SHUTDOWN);
    expect_conflict(dom, VIRT_ACTION_SUSPEND);
    expect_conflict(dom, VIRT_ACTION_RESUME);
    assert_true(virt_domain_act(dom, VIRT_ACTION_START, &e));
    expect_conflict(dom, VIRT_ACTION_START);
    expect_conflict(dom, VIRT_ACTION_RESUME);
    assert_true(virt_domain_act(dom, VIRT_ACTION_SUSPEND, &e));
    expect_conflict(dom, VIRT_ACTION_SUSPEND);
    assert_true(virt_domain_act(dom, VIRT_ACTION_RESUME, &e));
    assert_true(virt_domain_act(dom, VIRT_ACTION_POWEROFF, &e));
    int st, reason;
    assert_int_equal(virDomainGetState(dom, &st, &reason, 0), 0);
    assert_int_equal(st, VIR_DOMAIN_SHUTOFF);

    VirtAction a;
    assert_true(virt_action_from_name("reboot", &a));
    assert_int_equal(a, VIRT_ACTION_REBOOT);
    assert_false(virt_action_from_name("explode", &a));
}

static void test_autostart_and_delete(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(virDomain) dom = virt_domain_lookup(*state, "unit-b<x>", &e);
    assert_true(virt_domain_set_autostart(dom, TRUE, &e));
    g_autoptr(GPtrArray) list = virt_domain_list(*state, &e);
    assert_true(find(list, "unit-b<x>")->autostart);

    assert_true(virt_domain_act(dom, VIRT_ACTION_START, &e));
    assert_false(virt_domain_delete(dom, FALSE, NULL, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    g_clear_error(&e);
    if (!virt_domain_delete(dom, TRUE, NULL, &e))
        fail_msg("delete: %s", e->message);
    assert_null(virt_domain_lookup(*state, "unit-b<x>", &e));
}

static void test_host(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtHostInfo) h = virt_host_info(*state, &e);
    assert_non_null(h);
    assert_true(h->cpus > 0);
    assert_true(h->memory_total_kib > 0);
    assert_string_equal(h->default_domain_type, h->domain_types[0]);
    g_autofree char *v = virt_version_string(9000001);
    assert_string_equal(v, "9.0.1");

    assert_string_equal(virt_host_cpu_flag("flags\t\t: fpu vmx sse\n"), "vmx");
    assert_string_equal(virt_host_cpu_flag("x\nflags : fpu svm\n"), "svm");
    assert_null(virt_host_cpu_flag("flags : fpu vmxnet sse\nmodel name : vmx cpu\n"));
    assert_null(virt_host_cpu_flag(NULL));
    assert_true(virt_host_kvm_usable("vmx", TRUE, FALSE));
    assert_false(virt_host_kvm_usable("vmx", TRUE, TRUE)); /* nested sandbox */
    assert_false(virt_host_kvm_usable(NULL, TRUE, FALSE));
    assert_false(virt_host_kvm_usable("svm", FALSE, FALSE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detail_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autostart_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host, setup, teardown),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
