/* Strict JSON input validation and ETags. */
#include "unit.h"

#include "api/core/api_error.h"
#include "api/core/api_encoding.h"
#include "api/core/api_json.h"

static json_t *body(const char *text, GError **error)
{
    ApiRequest req = {.body = text, .body_len = strlen(text)};
    return api_json_body(&req, error);
}

static void test_body_parsing(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    g_autoptr(json_t) empty = body("", &e);
    assert_true(json_is_object(empty));
    assert_null(body("{\"a\":", &e));
    assert_true(g_error_matches(e, API_ERROR, API_ERROR_INVALID_ARGUMENT));
    assert_non_null(strstr(e->message, "malformed JSON"));
    g_clear_error(&e);
    assert_null(body("[1,2]", &e));
    assert_non_null(strstr(e->message, "JSON object"));
    g_clear_error(&e);
    assert_null(body("{\"a\":1,\"a\":2}", &e));
    g_clear_error(&e);
}

static void test_members_and_types(void **state)
{
    (void)state;
    static const char *const allowed[] = {"description", "tags", "autostart", NULL};
    g_autoptr(GError) e = NULL;
    g_autoptr(json_t) bad = body("{\"descripton\":\"x\"}", &e);
    assert_false(api_json_only_members(bad, allowed, &e));
    assert_non_null(strstr(e->message, "unknown field 'descripton'"));
    g_clear_error(&e);

    g_autoptr(json_t)
        obj = body("{\"description\":5,\"tags\":[\"a\",1],\"autostart\":\"yes\"}", &e);
    const char *s = NULL;
    json_t *arr = NULL;
    int b = -1;
    assert_false(api_json_opt_string(obj, "description", 100, &s, &e));
    g_clear_error(&e);
    assert_false(api_json_opt_string_array(obj, "tags", 10, &arr, &e));
    g_clear_error(&e);
    assert_false(api_json_opt_bool(obj, "autostart", &b, &e));
    g_clear_error(&e);
    assert_true(api_json_opt_bool(obj, "absent", &b, &e));
    assert_int_equal(b, -1);

    g_autoptr(json_t) longer = body("{\"description\":\"abcdef\"}", &e);
    assert_false(api_json_opt_string(longer, "description", 5, &s, &e));
    g_clear_error(&e);
    assert_true(api_json_opt_string(longer, "description", 6, &s, &e));
    assert_string_equal(s, "abcdef");
}

static void test_query(void **state)
{
    (void)state;
    static const char *const allowed[] = {"force", NULL};
    g_autoptr(GHashTable) q = g_hash_table_new(g_str_hash, g_str_equal);
    ApiRequest req = {.query = q};
    g_autoptr(GError) e = NULL;
    gboolean v = TRUE;
    assert_true(api_query_bool(&req, "force", FALSE, &v, &e));
    assert_false(v);
    g_hash_table_insert(q, "force", "maybe");
    assert_false(api_query_bool(&req, "force", FALSE, &v, &e));
    g_clear_error(&e);
    g_hash_table_insert(q, "force", "true");
    assert_true(api_query_bool(&req, "force", FALSE, &v, &e));
    assert_true(v);
    g_hash_table_insert(q, "forse", "1");
    assert_false(api_query_only(&req, allowed, &e));
    assert_non_null(strstr(e->message, "forse"));
}

static void test_etags(void **state)
{
    (void)state;
    g_autoptr(json_t) a = json_pack("{s:i,s:s}", "x", 1, "y", "z");
    g_autoptr(json_t) b = json_pack("{s:s,s:i}", "y", "z", "x", 1);
    g_autoptr(json_t) c = json_pack("{s:i,s:s}", "x", 2, "y", "z");
    g_autofree char *ea = api_etag(a);
    g_autofree char *eb = api_etag(b);
    g_autofree char *ec = api_etag(c);
    assert_string_equal(ea, eb); /* member order does not matter */
    assert_string_not_equal(ea, ec);
    assert_true(ea[0] == '"' && ea[strlen(ea) - 1] == '"');
    g_autofree char *list = g_strdup_printf("\"nope\", W/%s", ea);
    assert_true(api_etag_matches(list, ea));
    assert_true(api_etag_matches("*", ea));
    assert_false(api_etag_matches("\"nope\"", ea));
    g_autofree char *weak = g_strdup_printf("W/%s", ea);
    assert_false(api_etag_matches_strong(weak, ea));
    assert_true(api_etag_matches_strong(ea, ea));
    assert_true(api_etag_matches_strong("*", ea));
}

/* A tag that adds what was observed: If-None-Match sees every change,
 * If-Match only the state's. */
static void test_observed_etags(void **state)
{
    (void)state;
    static const char *const seen[] = {"seen", NULL};
    g_autoptr(json_t) a = json_pack("{s:i,s:n}", "x", 1, "seen");
    g_autoptr(json_t) b = json_pack("{s:i,s:i}", "x", 1, "seen", 5);
    g_autoptr(json_t) c = json_pack("{s:i,s:i}", "x", 2, "seen", 5);
    g_autofree char *ea = api_etag_observed(a, seen);
    g_autofree char *eb = api_etag_observed(b, seen);
    g_autofree char *ec = api_etag_observed(c, seen);
    assert_true(ea[0] == '"' && ea[strlen(ea) - 1] == '"' && strchr(ea, '.'));
    assert_string_not_equal(ea, eb);
    assert_false(api_etag_matches(ea, eb));       /* a cache gets the news */
    assert_true(api_etag_matches_strong(ea, eb)); /* an edit is not stale */
    assert_false(api_etag_matches_strong(ea, ec));
    g_autofree char *gz = api_etag_gzip(ea);
    assert_true(api_etag_matches_strong(gz, eb));
    g_autofree char *weak = g_strdup_printf("W/%s", ea);
    assert_false(api_etag_matches_strong(weak, eb));
    /* Plain tags keep matching as before, with and without -gzip. */
    g_autoptr(json_t) d = json_pack("{s:i}", "x", 1);
    g_autofree char *ed = api_etag(d);
    g_autofree char *edz = api_etag_gzip(ed);
    assert_true(api_etag_matches_strong(edz, ed));
    assert_true(api_etag_matches_strong(ed, ea)); /* the same state */
    assert_false(api_etag_matches_strong(ed, ec));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_parsing),   cmocka_unit_test(test_members_and_types),
        cmocka_unit_test(test_query),          cmocka_unit_test(test_etags),
        cmocka_unit_test(test_observed_etags),
    };
    return cmocka_run_group_tests_name("json_input", tests, NULL, NULL);
}
