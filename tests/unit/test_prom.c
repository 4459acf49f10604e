/* The Prometheus text format writer: label values escaped (a VM's name is
 * anyone's choice), invalid UTF-8 replaced, families with HELP and TYPE,
 * numbers without binary noise; and the request and error counters. */
#include "unit.h"

#include "api/core/api_counters.h"
#include "api/stats/api_prom.h"

#include <math.h>

static void test_escape(void **state)
{
    (void)state;
    g_autofree char *a = api_prom_escape("plain-name_1.x");
    assert_string_equal(a, "plain-name_1.x");
    g_autofree char *b = api_prom_escape("q\"uo\\te\nnext");
    assert_string_equal(b, "q\\\"uo\\\\te\\nnext");
    g_autofree char *c = api_prom_escape("caf\xc3\xa9 \xff!");
    assert_true(g_utf8_validate(c, -1, NULL));
    assert_true(g_str_has_prefix(c, "caf\xc3\xa9 "));
    assert_null(strchr(c, '\xff'));
    g_autofree char *d = api_prom_escape(NULL);
    assert_string_equal(d, "");
}

static void test_lines(void **state)
{
    (void)state;
    g_autoptr(GString) out = g_string_new(NULL);
    api_prom_family(out, "vireo_vm_x_total", "counter", "Bytes \\ of\nthe VM.");
    g_autoptr(GString) labels = g_string_new(NULL);
    api_prom_label(labels, "name", "a\"b");
    api_prom_label(labels, "uuid", "u-1");
    api_prom_sample(out, "vireo_vm_x_total", labels, 4643.65);
    api_prom_sample(out, "vireo_vm_x_total", NULL, NAN);
    api_prom_sample_u64(out, "vireo_vm_x_total", labels, G_MAXUINT64);
    g_autoptr(GString) empty = g_string_new(NULL);
    api_prom_sample(out, "vireo_vm_x_total", empty, 1e20);
    assert_string_equal(out->str,
                        "# HELP vireo_vm_x_total Bytes \\\\ of\\nthe VM.\n"
                        "# TYPE vireo_vm_x_total counter\n"
                        "vireo_vm_x_total{name=\"a\\\"b\",uuid=\"u-1\"} 4643.65\n"
                        "vireo_vm_x_total NaN\n"
                        "vireo_vm_x_total{name=\"a\\\"b\",uuid=\"u-1\"} 18446744073709551615\n"
                        "vireo_vm_x_total 1e+20\n");
}

static void test_counters(void **state)
{
    (void)state;
    ApiCounters *c = api_counters_new();
    api_counters_request(c, 200);
    api_counters_request(c, 204);
    api_counters_request(c, 404);
    api_counters_request(c, 999);
    api_counters_request(NULL, 200);
    assert_int_equal(api_counters_requests(c, 2), 2);
    assert_int_equal(api_counters_requests(c, 4), 1);
    assert_int_equal(api_counters_requests(c, 0), 1);
    g_autoptr(GError) e = NULL;
    api_fail(&e, API_ERROR_NOT_FOUND, "no VM named 'x'");
    api_counters_error(c, e);
    api_counters_error(c, e);
    assert_int_equal(api_counters_errors(c, API_ERROR_NOT_FOUND), 2);
    assert_int_equal(api_counters_errors(c, API_ERROR_INTERNAL), 0);
    assert_string_equal(api_error_code_name(API_ERROR_INSUFFICIENT_STORAGE),
                        "insufficient_storage");
    api_counters_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
