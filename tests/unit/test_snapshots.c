/* Snapshots and clones: snapshot XML read and built, the snapshot tree,
 * the disks that rule out an internal snapshot, a clone's definition and
 * its per-VM paths (all pure), and snapshots on the test:///default
 * driver. */
#include "unit_libvirt.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_snapshot.h"
#include "virt/virt_xml.h"

#include <string.h>

static VirtSnapshot *snap(const char *name, const char *parent, gint64 created)
{
    VirtSnapshot *s = g_new0(VirtSnapshot, 1);
    s->name = g_strdup(name);
    s->parent = g_strdup(parent);
    s->created_at = created;
    s->state = g_strdup("shutoff");
    return s;
}

static GString *shape(GPtrArray *snaps)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < snaps->len; i++) {
        const VirtSnapshot *s = g_ptr_array_index(snaps, i);
        g_string_append_printf(out, "%s%s:%u(", i ? " " : "", s->name, s->depth);
        for (guint k = 0; k < s->children->len; k++)
            g_string_append_printf(out, "%s%s", k ? "," : "", (char *)s->children->pdata[k]);
        g_string_append_c(out, ')');
    }
    return out;
}

static void test_tree(void **state)
{
    (void)state;
    g_autoptr(GPtrArray) snaps = g_ptr_array_new_with_free_func((GDestroyNotify)virt_snapshot_free);
    /* Given out of order; "orphan" names a parent that is gone. */
    g_ptr_array_add(snaps, snap("c2", "b", 40));
    g_ptr_array_add(snaps, snap("b", "a", 20));
    g_ptr_array_add(snaps, snap("orphan", "gone", 5));
    g_ptr_array_add(snaps, snap("a", NULL, 10));
    g_ptr_array_add(snaps, snap("c1", "b", 30));
    g_ptr_array_add(snaps, snap("b2", "a", 35));
    g_ptr_array_add(snaps, snap("z", NULL, 10));
    virt_snapshot_tree(snaps);
    g_autoptr(GString) got = shape(snaps);
    assert_string_equal(got->str, "orphan:0() a:0(b,b2) b:1(c1,c2) c1:2() c2:2() b2:1() z:0()");
    /* Again: children are rebuilt, not doubled. */
    virt_snapshot_tree(snaps);
    g_autoptr(GString) again = shape(snaps);
    assert_string_equal(again->str, got->str);

    /* A cycle (never from libvirt) loses nothing. */
    g_autoptr(GPtrArray) loop = g_ptr_array_new_with_free_func((GDestroyNotify)virt_snapshot_free);
    g_ptr_array_add(loop, snap("x", "y", 1));
    g_ptr_array_add(loop, snap("y", "x", 2));
    virt_snapshot_tree(loop);
    assert_int_equal(loop->len, 2);
    g_autoptr(GString) l = shape(loop);
    assert_string_equal(l->str, "x:0(y) y:1(x)");
}

static void test_parse_and_build(void **state)
{
    (void)state;
    static const char xml[] = "<domainsnapshot><name>s1</name><description>a &amp; b</description>"
                              "<state>running</state><parent><name>s0</name></parent>"
                              "<creationTime>1796598483</creationTime><memory snapshot='internal'/>"
                              "<domain><name>vm</name><vcpu current='2'>4</vcpu>"
                              "<memory unit='MiB'>96</memory></domain></domainsnapshot>";
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtSnapshot) s = virt_snapshot_parse(xml, strlen(xml), &e);
    assert_non_null(s);
    assert_string_equal(s->name, "s1");
    assert_string_equal(s->description, "a & b");
    assert_string_equal(s->state, "running");
    assert_string_equal(s->parent, "s0");
    assert_int_equal(s->created_at, 1796598483);
    assert_true(s->memory);
    /* The definition it kept, for a revert's quota check. */
    assert_non_null(s->domain_xml);
    g_autoptr(VirtDomainConfig)
        kept = virt_domain_config_parse(s->domain_xml, strlen(s->domain_xml), &e);
    assert_non_null(kept);
    assert_int_equal(kept->vcpus, 2);
    assert_int_equal(kept->max_memory_kib, 96 * 1024);

    static const char off[] = "<domainsnapshot><name>d</name><state>shutoff</state>"
                              "<memory snapshot='no'/></domainsnapshot>";
    g_autoptr(VirtSnapshot) d = virt_snapshot_parse(off, strlen(off), &e);
    assert_non_null(d);
    assert_false(d->memory);
    assert_null(d->parent);
    assert_null(d->description);
    assert_null(d->domain_xml);

    static const char bad[] = "<domain><name>x</name></domain>";
    assert_null(virt_snapshot_parse(bad, strlen(bad), &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);

    g_autofree char *built = virt_snapshot_build_xml("pre-1.0", "<b>&\"", &e);
    assert_non_null(built);
    g_autoptr(VirtSnapshot) back = virt_snapshot_parse(built, strlen(built), &e);
    assert_non_null(back);
    assert_string_equal(back->name, "pre-1.0");
    assert_string_equal(back->description, "<b>&\"");
    const char *const names[] = {"", "-a", ".a", "a/b", "a<b", "a b", NULL};
    for (const char *const *n = names; *n; n++) {
        assert_null(virt_snapshot_build_xml(*n, NULL, &e));
        assert_non_null(strstr(e->message, "snapshot name"));
        g_clear_error(&e);
    }
}

static VirtDomainConfig *config_of(const char *xml)
{
    g_autoptr(GError) e = NULL;
    VirtDomainConfig *cfg = virt_domain_config_parse(xml, strlen(xml), &e);
    assert_non_null(cfg);
    return cfg;
}

static void test_unfit_disks(void **state)
{
    (void)state;
    g_autoptr(VirtDomainConfig) ok = config_of(
        "<domain><name>a</name><devices>"
        "<disk device='disk'><driver type='qcow2'/><source file='/a'/><target dev='vda'/></disk>"
        "<disk device='cdrom'><driver type='raw'/><source file='/i.iso'/><target dev='sda'/>"
        "</disk><disk device='disk'><driver type='raw'/><source file='/r'/>"
        "<target dev='vdb'/><readonly/></disk></devices></domain>");
    assert_null(virt_snapshot_unfit_disk(ok));
    assert_true(virt_snapshot_has_writable_disk(ok));
    g_autoptr(VirtDomainConfig) raw = config_of(
        "<domain><name>a</name><devices>"
        "<disk device='disk'><driver type='qcow2'/><source file='/a'/><target dev='vda'/></disk>"
        "<disk type='file'><driver type='raw'/><source file='/b'/><target dev='vdb'/></disk>"
        "</devices></domain>");
    const VirtDisk *d = virt_snapshot_unfit_disk(raw);
    assert_non_null(d);
    assert_string_equal(d->target, "vdb");
    g_autoptr(VirtDomainConfig) none = config_of("<domain><name>a</name><devices/></domain>");
    assert_false(virt_snapshot_has_writable_disk(none));
}

static void test_clone_path(void **state)
{
    (void)state;
    const char *uuid = "11111111-2222-3333-4444-555555555555";
    struct {
        const char *path, *want;
    } cases[] = {
        {"/var/log/libvirt/qemu/vireo-serial/11111111-2222-3333-4444-555555555555.log",
         "/var/log/libvirt/qemu/vireo-serial/NEW-UUID.log"},
        {"/var/log/libvirt/qemu/web-serial.log", "/var/log/libvirt/qemu/web-2-serial.log"},
        {"/var/lib/libvirt/qemu/nvram/web_VARS.fd", "/var/lib/libvirt/qemu/nvram/web-2_VARS.fd"},
        {"/logs/web", "/logs/web-2"},
        {"/web/other.log", NULL},      /* the name only in a folder */
        {"/logs/webserver.log", NULL}, /* not a whole word */
        {"/logs/cobweb.log", NULL},    /* not a whole word */
        {"/logs/x.webby-web.log", "/logs/x.webby-web-2.log"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = virt_clone_path(cases[i].path, "web", uuid, "web-2", "NEW-UUID");
        if (cases[i].want)
            assert_string_equal(got, cases[i].want);
        else
            assert_null(got);
    }
}

static const char SOURCE_XML[] =
    "<domain type='qemu' id='7'><name>web</name>"
    "<uuid>11111111-2222-3333-4444-555555555555</uuid>"
    "<description>front end</description>"
    "<metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/"
    "domain/1.0'><libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo>"
    "</metadata>"
    "<os><type>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/CODE.fd</loader>"
    "<nvram>/var/lib/libvirt/qemu/nvram/web_VARS.fd</nvram></os><devices>"
    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
    "<source file='/p/web-disk0.img'/><target dev='vda' bus='virtio'/></disk>"
    "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
    "<source pool='p' volume='data.qcow2'/><target dev='vdb' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
    "<source file='/isos/debian.iso'/><target dev='sda' bus='sata'/><readonly/></disk>"
    "<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='n1'/>"
    "</interface>"
    "<serial type='pty'><log file='/var/log/libvirt/qemu/vireo-serial/"
    "11111111-2222-3333-4444-555555555555.log' append='off'/><target port='0'/></serial>"
    "<console type='pty'><log file='/var/log/shared.log'/><target type='serial'/></console>"
    "</devices></domain>";

static void test_clone_xml(void **state)
{
    (void)state;
    const char *uuid = "99999999-8888-7777-6666-555555555555";
    VirtDiskMove moves[] = {
        {"vda", "/p/web-2-disk0.img", "raw", NULL, NULL},
        {"vdb", "/dev/vg/web-2-disk1", "qcow2", "/p/data.qcow2", "qcow2"},
    };
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_domain_xml_clone(SOURCE_XML, "web-2", uuid, moves, 2, &e);
    assert_non_null(xml);
    g_autoptr(VirtDomainConfig) cfg = config_of(xml);
    assert_string_equal(cfg->name, "web-2");
    assert_string_equal(cfg->uuid, uuid);
    assert_string_equal(cfg->description, "front end");
    assert_string_equal(cfg->osinfo_id, "http://debian.org/debian/12");
    assert_int_equal(cfg->disks->len, 3);
    const VirtDisk *a = cfg->disks->pdata[0], *b = cfg->disks->pdata[1], *cd = cfg->disks->pdata[2];
    assert_string_equal(a->source, "/p/web-2-disk0.img");
    assert_string_equal(a->format, "raw");
    assert_string_equal(b->source, "/dev/vg/web-2-disk1");
    assert_string_equal(b->format, "qcow2");
    assert_non_null(b->backing);
    assert_string_equal(b->backing[0], "/p/data.qcow2");
    assert_string_equal(cd->source, "/isos/debian.iso");
    assert_non_null(strstr(xml, "<disk type=\"block\" device=\"disk\">"));
    assert_null(strstr(xml, "pool="));
    /* No MAC (libvirt makes one), no id, the serial log by the new UUID,
     * the shared console log left out, the NVRAM renamed. */
    assert_int_equal(cfg->nics->len, 1);
    assert_null(((VirtNic *)cfg->nics->pdata[0])->mac);
    assert_null(strstr(xml, "id=\"7\""));
    assert_non_null(strstr(xml, "vireo-serial/99999999-8888-7777-6666-555555555555.log"));
    assert_null(strstr(xml, "11111111-2222"));
    assert_null(strstr(xml, "shared.log"));
    assert_non_null(strstr(xml, "<nvram>/var/lib/libvirt/qemu/nvram/web-2_VARS.fd</nvram>"));

    /* A missing disk fails; nothing else is half-made (a pure function). */
    VirtDiskMove wrong[] = {{"vdz", "/x", "raw", NULL, NULL}};
    assert_null(virt_domain_xml_clone(SOURCE_XML, "web-2", uuid, wrong, 1, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    g_clear_error(&e);
    /* Names are escaped, never pasted. */
    g_autofree char *odd = virt_domain_xml_clone(SOURCE_XML, "a<b&\"c", uuid, NULL, 0, &e);
    assert_non_null(odd);
    g_autoptr(VirtDomainConfig) odd_cfg = config_of(odd);
    assert_string_equal(odd_cfg->name, "a<b&\"c");
}

static void test_move_disks(void **state)
{
    (void)state;
    VirtDiskMove moves[] = {
        {"vdb", "/p/web-disk1.after-web-2.qcow2", "qcow2", "/p/data.qcow2", "qcow2"}};
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_domain_xml_move_disks(SOURCE_XML, moves, 1, &e);
    assert_non_null(xml);
    g_autoptr(VirtDomainConfig) cfg = config_of(xml);
    assert_string_equal(cfg->name, "web");
    assert_string_equal(((VirtNic *)cfg->nics->pdata[0])->mac, "52:54:00:aa:bb:cc");
    assert_string_equal(((VirtDisk *)cfg->disks->pdata[0])->source, "/p/web-disk0.img");
    const VirtDisk *b = cfg->disks->pdata[1];
    assert_string_equal(b->source, "/p/web-disk1.after-web-2.qcow2");
    assert_string_equal(b->backing[0], "/p/data.qcow2");
    assert_non_null(strstr(xml, "shared.log"));
}

/* libvirt's test driver keeps snapshots in memory: the engine's calls. */
static void test_engine(void **state)
{
    virConnectPtr conn = *state;
    g_autoptr(GError) e = NULL;
    virDomainPtr dom = virt_domain_lookup(conn, "test", &e);
    assert_non_null(dom);
    assert_true(virt_snapshot_create(dom, "one", "first", &e));
    assert_true(virt_snapshot_create(dom, "two", NULL, &e));
    assert_false(virt_snapshot_create(dom, "two", NULL, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_EXISTS));
    g_clear_error(&e);
    assert_int_equal(virt_snapshot_count(dom, &e), 2);
    g_autoptr(GPtrArray) all = virt_snapshot_list(dom, &e);
    assert_non_null(all);
    assert_int_equal(all->len, 2);
    const VirtSnapshot *one = all->pdata[0], *two = all->pdata[1];
    assert_string_equal(one->name, "one");
    assert_string_equal(two->parent, "one");
    assert_true(two->current);
    assert_true(virt_snapshot_revert(dom, "one", &e));
    g_autoptr(VirtSnapshot) now = virt_snapshot_get(dom, "one", &e);
    assert_non_null(now);
    assert_true(now->current);
    assert_string_equal(now->children->pdata[0], "two");
    assert_true(virt_snapshot_delete(dom, "one", &e));
    g_autoptr(VirtSnapshot) orphan = virt_snapshot_get(dom, "two", &e);
    assert_non_null(orphan);
    assert_null(orphan->parent);
    assert_null(virt_snapshot_get(dom, "one", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    assert_non_null(strstr(e->message, "'one'"));
    virDomainFree(dom);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_parse_and_build),
        cmocka_unit_test(test_unfit_disks),
        cmocka_unit_test(test_clone_path),
        cmocka_unit_test(test_clone_xml),
        cmocka_unit_test(test_move_disks),
        cmocka_unit_test_setup_teardown(test_engine, unit_libvirt_setup, unit_libvirt_teardown),
    };
    return cmocka_run_group_tests_name("snapshots", tests, NULL, NULL);
}
