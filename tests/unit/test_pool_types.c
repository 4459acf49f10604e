/* Pool types beyond dir (fs, netfs, logical, iscsi): the checks, the XML and
 * a define/build/start round trip through libvirt's test driver, which keeps
 * the XML of any pool type without touching real devices. */
#include "unit_libvirt.h"
#include "virt/virt_conn.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_xml.h"

#include <string.h>

static VirtPoolConfig *config(const char *type, const char *name, const char *path)
{
    VirtPoolConfig *cfg = g_new0(VirtPoolConfig, 1);
    cfg->type = g_strdup(type);
    cfg->name = g_strdup(name);
    cfg->path = g_strdup(path);
    return cfg;
}

static void expect_refused(VirtPoolConfig *cfg, const char *fragment)
{
    g_autoptr(VirtPoolConfig) owned = cfg;
    g_autoptr(GError) e = NULL;
    if (virt_pool_config_check(owned, &e))
        fail_msg("%s pool '%s' was accepted", owned->type, owned->name);
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    if (!strstr(e->message, fragment))
        fail_msg("error '%s' does not mention '%s'", e->message, fragment);
}

static void test_checks(void **state)
{
    (void)state;
    expect_refused(config("zfs", "p", "/srv/p"), "unsupported pool type");
    VirtPoolConfig *c = config("dir", "p", "/srv/p");
    c->source.host = g_strdup("nas");
    expect_refused(c, "source.host does not apply");

    c = config("fs", "p", "/srv/p");
    expect_refused(c, "exactly 1 source device");
    c = config("fs", "p", "/srv/p");
    c->source.devices = g_strsplit("/tmp/disk.img", ",", -1);
    expect_refused(c, "under /dev/");
    c = config("fs", "p", "/srv/p");
    c->source.devices = g_strsplit("/dev/sdb1", ",", -1);
    c->source.format = g_strdup("ntfs");
    expect_refused(c, "unknown fs pool format");

    c = config("netfs", "p", "/srv/p");
    c->source.host = g_strdup("nas;rm -rf");
    c->source.dir = g_strdup("/export");
    expect_refused(c, "invalid host");
    c = config("netfs", "p", "/srv/p");
    c->source.host = g_strdup("nas");
    c->source.dir = g_strdup("export/../x");
    expect_refused(c, "source dir");
    c = config("netfs", "p", "/srv/p");
    c->source.host = g_strdup("nas");
    c->source.dir = g_strdup("/export");
    c->source.format = g_strdup("sshfs");
    expect_refused(c, "unknown netfs pool format");

    c = config("logical", "p", NULL);
    c->source.name = g_strdup("-vg");
    expect_refused(c, "volume group name");
    c = config("logical", "p", "/srv/p");
    expect_refused(c, "path is /dev/p");

    c = config("iscsi", "p", NULL);
    c->source.host = g_strdup("san.example");
    c->source.iqn = g_strdup("not-an-iqn");
    expect_refused(c, "invalid target");
    c = config("iscsi", "p", NULL);
    c->source.host = g_strdup("san.example");
    c->source.iqn = g_strdup("iqn.2024-01.com.example:t");
    c->source.port = 70000;
    expect_refused(c, "invalid port");
    c = config("iscsi", "p", NULL);
    c->source.host = g_strdup("san.example");
    c->source.iqn = g_strdup("iqn.2024-01.com.example:t");
    c->source.initiator = g_strdup("iqn with space");
    expect_refused(c, "invalid initiator");
}

static void test_defaults_and_xml(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtPoolConfig) lv = config("logical", "vg0", NULL);
    lv->source.devices = g_strsplit("/dev/loop3,/dev/loop4", ",", -1);
    assert_true(virt_pool_config_check(lv, &e));
    assert_string_equal(lv->path, "/dev/vg0");
    assert_string_equal(lv->source.name, "vg0");
    assert_true(virt_pool_needs_build(lv));
    g_autofree char *xml = virt_pool_xml(lv, &e);
    g_autoptr(VirtPoolConfig) back = virt_pool_config_parse(xml, strlen(xml), &e);
    assert_non_null(back);
    assert_string_equal(back->source.format, "lvm2");
    assert_int_equal(g_strv_length(back->source.devices), 2);
    assert_string_equal(back->source.devices[1], "/dev/loop4");

    /* An existing volume group: nothing to build. */
    g_autoptr(VirtPoolConfig) existing = config("logical", "vg1", NULL);
    assert_true(virt_pool_config_check(existing, &e));
    assert_false(virt_pool_needs_build(existing));

    g_autoptr(VirtPoolConfig) iscsi = config("iscsi", "san", NULL);
    iscsi->source.host = g_strdup("192.0.2.10");
    iscsi->source.iqn = g_strdup("iqn.2024-01.com.example:store&<x>");
    assert_true(virt_pool_config_check(iscsi, &e));
    assert_string_equal(iscsi->path, "/dev/disk/by-path");
    assert_false(virt_pool_needs_build(iscsi));
    g_autofree char *ixml = virt_pool_xml(iscsi, &e);
    assert_non_null(strstr(ixml, "store&amp;&lt;x&gt;"));
    g_autoptr(VirtPoolConfig) iback = virt_pool_config_parse(ixml, strlen(ixml), &e);
    assert_string_equal(iback->source.iqn, "iqn.2024-01.com.example:store&<x>");
    assert_null(iback->source.devices);
}

/* Creates the pool on the test driver and reads it back as the API does. */
static VirtPool *round_trip(virConnectPtr conn, VirtPoolConfig *cfg)
{
    g_autoptr(VirtPoolConfig) owned = cfg;
    g_autoptr(GError) e = NULL;
    g_autoptr(virStoragePool) pool = virt_pool_create(conn, owned, FALSE, &e);
    if (!pool)
        fail_msg("creating %s pool: %s", owned->type, e->message);
    VirtPool *p = virt_pool_info(pool, &e);
    assert_non_null(p);
    assert_string_equal(p->type, owned->type);
    assert_int_equal(p->state, VIR_STORAGE_POOL_RUNNING);
    assert_true(virt_pool_delete(pool, FALSE, &e));
    return p;
}

static void test_round_trips(void **state)
{
    virConnectPtr conn = *state;
    VirtPoolConfig *fs = config("fs", "fs1", "/mnt/fs1");
    fs->source.devices = g_strsplit("/dev/sdb1", ",", -1);
    fs->source.format = g_strdup("ext4");
    g_autoptr(VirtPool) f = round_trip(conn, fs);
    assert_string_equal(f->path, "/mnt/fs1");
    assert_string_equal(f->source.devices[0], "/dev/sdb1");
    assert_string_equal(f->source.format, "ext4");

    VirtPoolConfig *nfs = config("netfs", "nfs1", "/mnt/nfs1");
    nfs->source.host = g_strdup("nas.example");
    nfs->source.dir = g_strdup("/export/vms");
    g_autoptr(VirtPool) n = round_trip(conn, nfs);
    assert_string_equal(n->source.host, "nas.example");
    assert_string_equal(n->source.dir, "/export/vms");
    assert_string_equal(n->source.format, "nfs");

    VirtPoolConfig *lv = config("logical", "lv1", NULL);
    lv->source.name = g_strdup("vg_data");
    g_autoptr(VirtPool) l = round_trip(conn, lv);
    assert_string_equal(l->path, "/dev/vg_data");
    assert_string_equal(l->source.name, "vg_data");

    VirtPoolConfig *is = config("iscsi", "san1", NULL);
    is->source.host = g_strdup("san.example");
    is->source.port = 3261;
    is->source.iqn = g_strdup("iqn.2024-01.com.example:disks");
    is->source.initiator = g_strdup("iqn.2024-01.com.example:vireo");
    g_autoptr(VirtPool) i = round_trip(conn, is);
    assert_string_equal(i->source.host, "san.example");
    assert_int_equal(i->source.port, 3261);
    assert_string_equal(i->source.iqn, "iqn.2024-01.com.example:disks");
    assert_string_equal(i->source.initiator, "iqn.2024-01.com.example:vireo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_defaults_and_xml),
        cmocka_unit_test_setup_teardown(test_round_trips, unit_libvirt_setup,
                                        unit_libvirt_teardown),
    };
    return cmocka_run_group_tests_name("pool_types", tests, NULL, NULL);
}
