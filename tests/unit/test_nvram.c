/* UEFI NVRAM files of clones (virt/virt_nvram.c): which file a definition
 * means (its <nvram>, libvirt's own name for a firmware it picks, none
 * for BIOS), and the copy on the test driver's connection (local): bytes
 * copied, a source that never started copied as nothing, a clone that
 * would share the source's file refused. */
#include "unit.h"

#include "virt/virt_error.h"
#include "virt/virt_nvram.h"

#define DOM(os) "<domain type='kvm'><name>web</name><os>" os "</os></domain>"

static void test_paths(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autofree char *named = virt_nvram_path(
        DOM("<type>hvm</type><loader type='pflash'>/c.fd</loader><nvram>/n/web.fd</nvram>"),
        &error);
    assert_string_equal(named, "/n/web.fd");
    g_autofree char *picked = virt_nvram_path(
        "<domain><name>web</name><os firmware='efi'><type>hvm</type></os></domain>", &error);
    assert_string_equal(picked, VIRT_NVRAM_DIR "/web_VARS.fd");
    g_autofree char *pflash = virt_nvram_path(
        DOM("<type>hvm</type><loader type='pflash'>/c.fd</loader>"), &error);
    assert_string_equal(pflash, VIRT_NVRAM_DIR "/web_VARS.fd");
    assert_null(virt_nvram_path(DOM("<type>hvm</type>"), &error));
    assert_null(error);
    assert_null(virt_nvram_path("<nope", &error));
    assert_non_null(error);
}

static char *with_nvram(const char *name, const char *path)
{
    return g_strdup_printf("<domain type='kvm'><name>%s</name><os><type>hvm</type>"
                           "<loader type='pflash'>/c.fd</loader><nvram>%s</nvram></os></domain>",
                           name, path);
}

static void test_copy(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *from = g_build_filename(dir, "src_VARS.fd", NULL);
    g_autofree char *to = g_build_filename(dir, "copy_VARS.fd", NULL);
    g_autofree char *src = with_nvram("src", from);
    g_autofree char *dst = with_nvram("copy", to);
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    g_autoptr(GError) error = NULL;
    gboolean copied = TRUE;
    /* Never started: no file, nothing to copy. */
    assert_true(virt_nvram_copy(conn, src, dst, &copied, &error));
    assert_false(copied);
    assert_false(g_file_test(to, G_FILE_TEST_EXISTS));
    const char bytes[] = "boot entries\0and more";
    assert_true(g_file_set_contents(from, bytes, sizeof bytes, NULL));
    assert_true(virt_nvram_copy(conn, src, dst, &copied, &error));
    assert_true(copied);
    g_autofree char *got = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(to, &got, &len, NULL));
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(got, bytes, sizeof bytes);
    /* A BIOS source has nothing to copy; one file for both is refused. */
    assert_true(virt_nvram_copy(conn, DOM("<type>hvm</type>"), dst, &copied, &error));
    assert_false(copied);
    assert_false(virt_nvram_copy(conn, src, src, &copied, &error));
    assert_non_null(strstr(error->message, "share"));
    virConnectClose(conn);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
