/* Static file policy: what paths may be served, and their MIME types. */
#include "unit.h"

#include "server/static_files.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_mime),
    };
    return cmocka_run_group_tests_name("static", tests, NULL, NULL);
}
