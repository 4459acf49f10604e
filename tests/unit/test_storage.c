/* Storage pools and volumes: the XML Vireo builds (hostile names escaped,
 * bad names and paths refused) and the engine on test:///default, whose
 * in-memory driver has the dir pool 'default-pool'. */
#include "unit_libvirt.h"

#include "api/core/api_error.h"
#include "virt/virt_conn.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"
#include "virt/virt_xml.h"

#include <libvirt/virterror.h>

#define HOSTILE "a<b&\"c'd>"
#define MIB (G_GUINT64_CONSTANT(1) << 20)

/* The text of `expr` in `xml`, read back with libxml2. */
static char *xpath(const char *xml, const char *expr)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), &e);
    assert_non_null(doc);
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    return virt_xml_string(ctx, NULL, expr);
}

/* A checked dir pool config, as the API builds it. */
static VirtPoolConfig *dir_config(const char *name, const char *path)
{
    VirtPoolConfig *cfg = g_new0(VirtPoolConfig, 1);
    cfg->type = g_strdup("dir");
    cfg->name = g_strdup(name);
    cfg->path = g_strdup(path);
    return cfg;
}

static char *dir_xml(const char *name, const char *path, GError **e)
{
    g_autoptr(VirtPoolConfig) cfg = dir_config(name, path);
    return virt_pool_config_check(cfg, e) ? virt_pool_xml(cfg, e) : NULL;
}

static virStoragePoolPtr create_dir(virConnectPtr conn, const char *name, const char *path,
                                    gboolean autostart, GError **e)
{
    g_autoptr(VirtPoolConfig) cfg = dir_config(name, path);
    return virt_pool_create(conn, cfg, autostart, e);
}

static void test_pool_xml_escapes(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = dir_xml(HOSTILE, "/srv/x&y <z>", &e);
    assert_non_null(xml);
    assert_null(strstr(xml, "a<b"));
    g_autofree char *name = xpath(xml, "/pool/name");
    g_autofree char *path = xpath(xml, "/pool/target/path");
    g_autofree char *type = xpath(xml, "/pool/@type");
    assert_string_equal(name, HOSTILE);
    assert_string_equal(path, "/srv/x&y <z>");
    assert_string_equal(type, "dir");
    /* Exactly one element per field: nothing was injected. */
    g_autofree char *count = xpath(xml, "count(/pool/*)");
    assert_string_equal(count, "2");
}

static void expect_invalid_pool(const char *name, const char *path)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = dir_xml(name, path, &e);
    if (xml)
        fail_msg("pool '%s' at '%s' was accepted", name, path);
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
}

static void test_pool_xml_refuses(void **state)
{
    (void)state;
    expect_invalid_pool("", "/srv/p");
    expect_invalid_pool("a/b", "/srv/p");
    expect_invalid_pool("..", "/srv/p");
    expect_invalid_pool(".hidden", "/srv/p");
    expect_invalid_pool("tab\there", "/srv/p");
    expect_invalid_pool("\xff\xfe", "/srv/p");
    g_autofree char *long_name = g_strnfill(256, 'n');
    expect_invalid_pool(long_name, "/srv/p");
    expect_invalid_pool("p", "relative/dir");
    expect_invalid_pool("p", "/");
    expect_invalid_pool("p", "/srv/../etc");
    expect_invalid_pool("p", "/srv/./p");
    expect_invalid_pool("p", "/srv//p");
    expect_invalid_pool("p", "/srv/p/");
    expect_invalid_pool("p", "/srv/p\nq");
    expect_invalid_pool("p", NULL);
}

static void test_volume_xml(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autofree char *xml = virt_vol_xml(HOSTILE, 5 * MIB, "qcow2", "/p/base&<1>.img", "raw", &e);
    assert_non_null(xml);
    g_autofree char *name = xpath(xml, "/volume/name");
    g_autofree char *cap = xpath(xml, "/volume/capacity");
    g_autofree char *unit = xpath(xml, "/volume/capacity/@unit");
    g_autofree char *fmt = xpath(xml, "/volume/target/format/@type");
    g_autofree char *bpath = xpath(xml, "/volume/backingStore/path");
    g_autofree char *bfmt = xpath(xml, "/volume/backingStore/format/@type");
    assert_string_equal(name, HOSTILE);
    assert_string_equal(cap, "5242880");
    assert_string_equal(unit, "bytes");
    assert_string_equal(fmt, "qcow2");
    assert_string_equal(bpath, "/p/base&<1>.img");
    assert_string_equal(bfmt, "raw");

    g_autofree char *plain = virt_vol_xml("v", 1, "raw", NULL, NULL, &e);
    assert_non_null(plain);
    assert_null(strstr(plain, "backingStore"));

    static const char *const bad_formats[] = {"", "qcow", "RAW", "iso", "raw ", NULL};
    for (const char *const *f = bad_formats; *f; f++) {
        g_autoptr(GError) e2 = NULL;
        assert_null(virt_vol_xml("v", MIB, *f, NULL, NULL, &e2));
        assert_true(g_error_matches(e2, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    }
    g_autoptr(GError) e3 = NULL;
    assert_null(virt_vol_xml("v", 0, "raw", NULL, NULL, &e3));
    assert_true(g_error_matches(e3, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_autoptr(GError) e4 = NULL;
    assert_null(virt_vol_xml("v", MIB, "raw", "/p/base", "raw", &e4));
    assert_true(g_error_matches(e4, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_autoptr(GError) e5 = NULL;
    assert_null(virt_vol_xml("../../etc/passwd", MIB, "raw", NULL, NULL, &e5));
    assert_true(g_error_matches(e5, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
}

static void test_read_xml(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    static const char pool_xml[] = "<pool type='dir'><name>p</name><target><path>/a&amp;b</path>"
                                   "</target></pool>";
    g_autoptr(VirtPoolConfig) pc = virt_pool_config_parse(pool_xml, strlen(pool_xml), &e);
    assert_non_null(pc);
    assert_string_equal(pc->type, "dir");
    assert_string_equal(pc->path, "/a&b");
    static const char vol_xml[] = "<volume><name>v</name><target><format type='qcow2'/></target>"
                                  "<backingStore><path>/b</path></backingStore></volume>";
    g_autoptr(VirtVolConfig) vc = virt_vol_config_parse(vol_xml, strlen(vol_xml), &e);
    assert_non_null(vc);
    assert_string_equal(vc->format, "qcow2");
    assert_string_equal(vc->backing_path, "/b");
    assert_null(virt_vol_config_parse(pool_xml, strlen(pool_xml), &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
}

/* ENOSPC has no libvirt error code: it is recognized by its text. */
static void test_no_space_maps_to_507(void **state)
{
    (void)state;
    virt_init();
    virError fake = {0};
    fake.code = VIR_ERR_SYSTEM_ERROR;
    fake.domain = VIR_FROM_STORAGE;
    fake.level = VIR_ERR_ERROR;
    fake.message = (char *)"cannot allocate 1048576 bytes in file '/x': No space left on device";
    assert_int_equal(virt_error_map(&fake), VIRT_ERROR_NO_SPACE);
    fake.message = (char *)"Not enough space left in storage pool";
    assert_int_equal(virt_error_map(&fake), VIRT_ERROR_NO_SPACE);
    fake.message = (char *)"failed to remove pool '/p': Directory not empty";
    assert_int_equal(virt_error_map(&fake), VIRT_ERROR_BUSY);
    fake.message = (char *)"some other failure";
    assert_int_equal(virt_error_map(&fake), VIRT_ERROR_FAILED);
    g_autoptr(GError) e = g_error_new_literal(VIRT_ERROR, VIRT_ERROR_NO_SPACE, "full");
    assert_int_equal(api_error_status(e), 507);
    assert_string_equal(api_error_code(e), "insufficient_storage");
}

/* ---- the engine on test:///default ---- */

static const VirtPool *find_pool(GPtrArray *pools, const char *name)
{
    for (guint i = 0; i < pools->len; i++) {
        const VirtPool *p = g_ptr_array_index(pools, i);
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

static void test_pool_list(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) pools = virt_pool_list(*state, &e);
    assert_non_null(pools);
    const VirtPool *p = find_pool(pools, "default-pool");
    assert_non_null(p);
    assert_string_equal(p->type, "dir");
    assert_string_equal(p->path, "/default-pool");
    assert_int_equal(p->state, VIR_STORAGE_POOL_RUNNING);
    assert_string_equal(virt_pool_state_name(p->state), "running");
    assert_true(p->persistent);
    assert_true(p->capacity > 0);
    assert_null(virt_pool_lookup(*state, "no-such-pool", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
    assert_non_null(strstr(e->message, "no-such-pool"));
}

static void test_volume_create_list_delete(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(virStoragePool) pool = virt_pool_lookup(*state, "default-pool", &e);
    assert_non_null(pool);
    g_autoptr(virStorageVol) vol = virt_volume_create(pool, HOSTILE, 8 * MIB, "qcow2", NULL, &e);
    if (!vol)
        fail_msg("create: %s", e->message);
    g_autoptr(GPtrArray) vols = virt_volume_list(pool, &e);
    assert_non_null(vols);
    assert_int_equal(vols->len, 1);
    const VirtVolume *v = g_ptr_array_index(vols, 0);
    assert_string_equal(v->name, HOSTILE);
    assert_string_equal(v->path, "/default-pool/" HOSTILE);
    assert_int_equal(v->capacity, 8 * MIB);
    assert_string_equal(v->type, "file");

    /* A clash is EXISTS; a backing volume that is not there is a bad request. */
    assert_null(virt_volume_create(pool, HOSTILE, MIB, "raw", NULL, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_EXISTS));
    g_clear_error(&e);
    assert_null(virt_volume_create(pool, "child", MIB, "qcow2", "missing", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_null(virt_volume_create(pool, "child", MIB, "qcow2", "nopool/x", &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_null(virt_volume_create(pool, "child", MIB, "raw", HOSTILE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_null(virt_volume_create(pool, "big", VIRT_STORAGE_MAX_BYTES + 1, "raw", NULL, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);

    /* Grow only, unless asked to shrink: refused before libvirt is asked.
     * The test driver cannot resize at all (the API tier resizes for real);
     * that is libvirt's NO_SUPPORT, which maps to NOT_SUPPORTED (a 409). */
    assert_false(virt_volume_resize(vol, MIB, FALSE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_false(virt_volume_resize(vol, 0, TRUE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    g_clear_error(&e);
    assert_true(virt_volume_resize(vol, 8 * MIB, FALSE, &e));
    assert_false(virt_volume_resize(vol, 16 * MIB, FALSE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_SUPPORTED));
    g_clear_error(&e);

    g_autoptr(virStorageVol) same = virt_volume_lookup(pool, HOSTILE, &e);
    assert_non_null(same);
    assert_true(virt_volume_delete(same, &e));
    assert_null(virt_volume_lookup(pool, HOSTILE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
}

static void test_pool_lifecycle(void **state)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(virStoragePool) pool = create_dir(*state, HOSTILE, "/unit/" HOSTILE, TRUE, &e);
    if (!pool)
        fail_msg("create: %s", e->message);
    g_autoptr(VirtPool) p = virt_pool_info(pool, &e);
    assert_string_equal(p->name, HOSTILE);
    assert_string_equal(p->path, "/unit/" HOSTILE);
    assert_int_equal(p->state, VIR_STORAGE_POOL_RUNNING);
    assert_true(p->autostart);

    assert_null(create_dir(*state, HOSTILE, "/unit/other", FALSE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_EXISTS));
    g_clear_error(&e);
    assert_null(create_dir(*state, "other", "/unit/" HOSTILE, FALSE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_EXISTS));
    g_clear_error(&e);
    assert_false(virt_pool_start(pool, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    g_clear_error(&e);
    assert_true(virt_pool_refresh(pool, &e));
    assert_true(virt_pool_stop(pool, &e));
    assert_false(virt_pool_stop(pool, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    g_clear_error(&e);
    assert_false(virt_pool_refresh(pool, &e));
    g_clear_error(&e);
    assert_true(virt_pool_start(pool, &e));
    assert_true(virt_pool_set_autostart(pool, FALSE, &e));

    /* A pool with volumes keeps its directory. */
    g_autoptr(virStorageVol) vol = virt_volume_create(pool, "v", MIB, "raw", NULL, &e);
    assert_non_null(vol);
    assert_false(virt_pool_delete(pool, TRUE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_STATE));
    g_clear_error(&e);
    assert_true(virt_volume_delete(vol, &e));
    assert_true(virt_pool_delete(pool, FALSE, &e));
    assert_null(virt_pool_lookup(*state, HOSTILE, &e));
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_NOT_FOUND));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_xml_escapes),
        cmocka_unit_test(test_pool_xml_refuses),
        cmocka_unit_test(test_volume_xml),
        cmocka_unit_test(test_read_xml),
        cmocka_unit_test(test_no_space_maps_to_507),
        cmocka_unit_test_setup_teardown(test_pool_list, unit_libvirt_setup, unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_volume_create_list_delete, unit_libvirt_setup,
                                        unit_libvirt_teardown),
        cmocka_unit_test_setup_teardown(test_pool_lifecycle, unit_libvirt_setup,
                                        unit_libvirt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
