/* Static file policy: what paths may be served, and their MIME types. */
#include "unit.h"

#include "server/static_files.h"
#include "server/static_version.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

static void test_paths(void **state)
{
    (void)state;
    assert_true(static_path_allowed("/index.html"));
    assert_true(static_path_allowed("/js/app.js"));
    assert_false(static_path_allowed("/../etc/passwd"));
    assert_false(static_path_allowed("/js/../../etc/passwd"));
    assert_false(static_path_allowed("/.git/config"));
    assert_false(static_path_allowed("/js/./app.js"));
    assert_false(static_path_allowed("//etc/passwd"));
    assert_false(static_path_allowed("/a\\..\\b"));
    assert_false(static_path_allowed("/a\nb"));
    assert_false(static_path_allowed("index.html"));
    assert_false(static_path_allowed(NULL));
}

static void test_mime(void **state)
{
    (void)state;
    assert_string_equal(static_mime_type("/index.html"), "text/html; charset=utf-8");
    assert_string_equal(static_mime_type("/js/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(static_mime_type("/css/app.css"), "text/css; charset=utf-8");
    assert_string_equal(static_mime_type("/favicon.svg"), "image/svg+xml");
    assert_string_equal(static_mime_type("/blob"), "application/octet-stream");
}

static void test_version_strip(void **state)
{
    (void)state;
    char tag[STATIC_VERSION_LEN + 1];
    assert_string_equal(static_version_strip("/v/0123456789abcdef/js/app.js", tag), "/js/app.js");
    assert_string_equal(tag, "0123456789abcdef");
    assert_string_equal(static_version_strip("/v/0123456789abcdef/", tag), "/");
    assert_null(static_version_strip("/js/app.js", tag));
    assert_null(static_version_strip("/v/0123456789ABCDEF/js/app.js", tag));
    assert_null(static_version_strip("/v/0123456789abcde/js/app.js", tag));
    assert_null(static_version_strip("/v/0123456789abcdefa/js/app.js", tag));
    assert_null(static_version_strip("/v/0123456789abcdef", tag));
    assert_null(static_version_strip("/v/0123456789abcdeg/x", tag));
    /* What is left goes through the path policy as any other path. */
    assert_false(static_path_allowed(static_version_strip("/v/0123456789abcdef/../etc", tag)));
}

static void test_version_fill(void **state)
{
    (void)state;
    const char page[] =
        "<script src=\"{{static}}/js/a.js\"></script><link href=\"{{static}}/c.css\">";
    g_autoptr(GString) tagged = static_version_fill(page, strlen(page), "0123456789abcdef");
    assert_string_equal(tagged->str, "<script src=\"v/0123456789abcdef/js/a.js\"></script>"
                                     "<link href=\"v/0123456789abcdef/c.css\">");
    g_autoptr(GString) plain = static_version_fill(page, strlen(page), NULL);
    assert_string_equal(plain->str, "<script src=\"./js/a.js\"></script><link href=\"./c.css\">");
}

static void put(const char *dir, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(dir, rel, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    assert_int_equal(g_mkdir_with_parents(parent, 0700), 0);
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* The tag follows what may be served: a new, grown or touched file moves
 * it, a hidden one does not; a tag is current until the folder changes. */
static void test_version_read(void **state)
{
    (void)state;
    g_autofree char *dir = g_dir_make_tmp("vireo-static-XXXXXX", NULL);
    assert_non_null(dir);
    put(dir, "index.html", "<p>");
    put(dir, "js/app.js", "1");
    StaticVersion *v = static_version_new();
    char a[STATIC_VERSION_LEN + 1], b[STATIC_VERSION_LEN + 1];
    time_t newest = 0;
    assert_true(static_version_read(v, dir, a, &newest));
    assert_int_equal(strlen(a), STATIC_VERSION_LEN);
    assert_true(newest > 0);
    assert_true(static_version_read(v, dir, b, NULL));
    assert_string_equal(a, b);
    assert_true(static_version_current(v, dir, a));
    assert_false(static_version_current(v, dir, "0000000000000000"));

    put(dir, ".git/HEAD", "hidden");
    assert_true(static_version_read(v, dir, b, NULL));
    assert_string_equal(a, b);

    put(dir, "js/app.js", "22"); /* grown */
    assert_true(static_version_read(v, dir, b, NULL));
    assert_string_not_equal(a, b);
    assert_false(static_version_current(v, dir, a));
    assert_true(static_version_current(v, dir, b));

    g_autofree char *app = g_build_filename(dir, "js/app.js", NULL);
    struct utimbuf old = {.actime = 1000000000, .modtime = 1000000000};
    assert_int_equal(g_utime(app, &old), 0); /* same size, touched */
    assert_true(static_version_read(v, dir, a, NULL));
    assert_string_not_equal(a, b);

    put(dir, "css/new.css", ""); /* a new file */
    assert_true(static_version_read(v, dir, b, NULL));
    assert_string_not_equal(a, b);

    g_autofree char *gone = g_build_filename(dir, "no-such-dir", NULL);
    assert_false(static_version_read(v, gone, a, NULL));
    static_version_free(v);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),         cmocka_unit_test(test_mime),
        cmocka_unit_test(test_version_strip), cmocka_unit_test(test_version_fill),
        cmocka_unit_test(test_version_read),
    };
    return cmocka_run_group_tests_name("static", tests, NULL, NULL);
}
