/* Router: matching, captures, 404/405 with Allow, body checks. */
#include "unit.h"

#include "api/core/api.h"
#include "api/core/api_error.h"

static const char *error_code(const ApiResponse *resp)
{
    return json_string_value(json_object_get(json_object_get(resp->body, "error"), "code"));
}

static void dispatch(const char *method, const char *path, const char *type, const char *body,
                     ApiResponse *resp)
{
    /* No engine behind it: only requests the router answers alone. */
    static ApiContext ctx;
    ApiRequest req = {.method = method,
                      .path = path,
                      .content_type = type,
                      .body = body,
                      .body_len = body ? strlen(body) : 0};
    api_response_init(resp);
    api_dispatch(&ctx, &req, resp);
}

static void test_match(void **state)
{
    (void)state;
    ApiRequest req = {0};
    assert_non_null(api_route_match("GET", "/api/vms", &req, NULL));
    assert_non_null(api_route_match("GET", "/api/vms/web-1", &req, NULL));
    assert_non_null(api_route_match("HEAD", "/api/vms/web-1", &req, NULL));
    assert_non_null(api_route_match("POST", "/api/vms/web-1/start", &req, NULL));
    assert_null(api_route_match("POST", "/api/vms/web-1/explode", &req, NULL));
    assert_null(api_route_match("GET", "/api/vms/", &req, NULL));
    assert_null(api_route_match("GET", "/api/vms//start", &req, NULL));
    assert_null(api_route_match("GET", "/api", &req, NULL));
    g_autoptr(GString) allow = g_string_new(NULL);
    assert_null(api_route_match("PUT", "/api/vms/x", &req, allow));
    assert_string_equal(allow->str, "GET, HEAD, PATCH, DELETE");
}

static void test_unknown_route_is_json_404(void **state)
{
    (void)state;
    ApiResponse resp;
    dispatch("GET", "/api/nope", NULL, NULL, &resp);
    assert_int_equal(resp.status, 404);
    assert_string_equal(error_code(&resp), "not_found");
    api_response_clear(&resp);
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    ApiResponse resp;
    dispatch("DELETE", "/api/host", NULL, NULL, &resp);
    assert_int_equal(resp.status, 405);
    assert_string_equal(error_code(&resp), "method_not_allowed");
    assert_string_equal(api_response_get_header(&resp, "Allow"), "GET, HEAD");
    api_response_clear(&resp);
}

static void test_non_json_body_is_415(void **state)
{
    (void)state;
    ApiResponse resp;
    /* Login is public, so the body check is what answers. */
    dispatch("POST", "/api/session", "text/plain", "hello", &resp);
    assert_int_equal(resp.status, 415);
    assert_string_equal(error_code(&resp), "unsupported_media_type");
    api_response_clear(&resp);
    dispatch("POST", "/api/session", NULL, "{}", &resp);
    assert_int_equal(resp.status, 415);
    api_response_clear(&resp);
    /* Elsewhere credentials come first: 401 before any look at the body. */
    dispatch("PATCH", "/api/vms/x", "text/plain", "hello", &resp);
    assert_int_equal(resp.status, 401);
    api_response_clear(&resp);
}

/* A failure's cause goes to the request's log line, once; a malformed
 * body's quoted text does not (it may hold a password). */
static void test_log_note(void **state)
{
    (void)state;
    ApiResponse resp;
    dispatch("GET", "/api/nope", NULL, NULL, &resp);
    assert_string_equal(resp.log_note, "not_found: no such API route: /api/nope");
    api_response_clear(&resp);
    dispatch("POST", "/api/session", "application/json", "{\"password\":\"pw-secret", &resp);
    assert_int_equal(resp.status, 400);
    const char *message = json_string_value(
        json_object_get(json_object_get(resp.body, "error"), "message"));
    assert_non_null(strstr(message, "pw-secret"));
    assert_true(g_str_has_prefix(resp.log_note, "invalid_argument: malformed JSON at line 1"));
    assert_null(strstr(resp.log_note, "pw-secret"));
    api_response_clear(&resp);
}

static void test_error_shape(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    assert_false(api_fail(&error, API_ERROR_CONFLICT, "VM %s is running", "a<b"));
    ApiResponse resp;
    api_response_init(&resp);
    api_response_error(&resp, error);
    assert_int_equal(resp.status, 409);
    assert_int_equal(json_object_size(resp.body), 1);
    json_t *err = json_object_get(resp.body, "error");
    assert_int_equal(json_object_size(err), 2);
    assert_string_equal(json_string_value(json_object_get(err, "code")), "conflict");
    assert_string_equal(json_string_value(json_object_get(err, "message")), "VM a<b is running");
    api_response_clear(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_unknown_route_is_json_404),
        cmocka_unit_test(test_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_non_json_body_is_415),
        cmocka_unit_test(test_log_note),
        cmocka_unit_test(test_error_shape),
    };
    return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
