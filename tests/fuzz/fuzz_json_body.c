/* libFuzzer target: strict JSON request bodies (api/core/api_json.h):
 * api_json_body, api_json_only_members and the api_json_opt_* readers, plus
 * the error answer each failure turns into.
 *
 * Input layout: one selector byte, then the body. The selector picks the
 * allowed-member list and the length/item limits, so the fuzzer can reach
 * both sides of every limit. */
#include <stdint.h>

#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "fuzz_common.h"

static const char *const allowed_patch[] = {"description", "tags", "autostart", NULL};
static const char *const allowed_none[] = {NULL};
static const char *const allowed_misc[] = {"name", "force", "volumes", "a", "", NULL};
static const char *const *const allowed_lists[] = {allowed_patch, allowed_none, allowed_misc};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_object_seed(1);
    return 0;
}

/* A failure is one 400 invalid_argument, and its answer has the one error
 * shape (which also proves the message is valid UTF-8). */
static void check_failure(GError *error, const char *what)
{
    FUZZ_CHECK(error != NULL, "%s failed without an error", what);
    FUZZ_CHECK(error->domain == API_ERROR && error->code == API_ERROR_INVALID_ARGUMENT,
               "%s: error is not API_ERROR_INVALID_ARGUMENT: %s", what, error->message);
    FUZZ_CHECK(api_error_status(error) == 400, "%s: status %u", what, api_error_status(error));
    ApiResponse resp;
    api_response_init(&resp);
    api_response_error(&resp, error);
    FUZZ_CHECK(resp.status == 400, "%s: answered %u", what, resp.status);
    fuzz_check_error_body(&resp);
    api_response_clear(&resp);
    g_error_free(error);
}

static void check_member(json_t *obj, const char *name, gsize max_len, gsize max_items)
{
    json_t *v = json_object_get(obj, name);
    GError *error = NULL;

    int b = 7;
    if (api_json_opt_bool(obj, name, &b, &error)) {
        FUZZ_CHECK(!error, "opt_bool: success with error");
        if (!v)
            FUZZ_CHECK(b == 7, "opt_bool wrote an absent member");
        else
            FUZZ_CHECK(json_is_boolean(v) && b == json_is_true(v), "opt_bool accepted a %d",
                       json_typeof(v));
    } else {
        FUZZ_CHECK(v && !json_is_boolean(v), "opt_bool refused a boolean or absent member");
        check_failure(error, "opt_bool");
        error = NULL;
    }

    const char *s = (const char *)&b;
    if (api_json_opt_string(obj, name, max_len, &s, &error)) {
        FUZZ_CHECK(!error, "opt_string: success with error");
        if (!v) {
            FUZZ_CHECK(s == (const char *)&b, "opt_string wrote an absent member");
        } else {
            FUZZ_CHECK(json_is_string(v) && s == json_string_value(v),
                       "opt_string accepted a non-string");
            FUZZ_CHECK(strlen(s) == json_string_length(v) && strlen(s) <= max_len,
                       "opt_string gave %zu bytes (JSON length %zu, max %zu)", strlen(s),
                       json_string_length(v), max_len);
            FUZZ_CHECK(g_utf8_validate(s, -1, NULL), "opt_string gave invalid UTF-8");
        }
    } else {
        FUZZ_CHECK(v && (!json_is_string(v) || json_string_length(v) > max_len ||
                         strlen(json_string_value(v)) != json_string_length(v)),
                   "opt_string refused an acceptable member");
        check_failure(error, "opt_string");
        error = NULL;
    }

    json_t *arr = (json_t *)&b;
    if (api_json_opt_string_array(obj, name, max_items, &arr, &error)) {
        FUZZ_CHECK(!error, "opt_string_array: success with error");
        if (!v) {
            FUZZ_CHECK(arr == (json_t *)&b, "opt_string_array wrote an absent member");
        } else {
            FUZZ_CHECK(arr == v && json_is_array(arr) && json_array_size(arr) <= max_items,
                       "opt_string_array accepted a non-array or too many items");
            size_t i;
            json_t *item;
            json_array_foreach (arr, i, item)
                FUZZ_CHECK(json_is_string(item), "opt_string_array item %zu not a string", i);
        }
    } else {
        gboolean bad = !v || !json_is_array(v) || json_array_size(v) > max_items;
        size_t i;
        json_t *item;
        if (v && json_is_array(v))
            json_array_foreach (v, i, item)
                bad = bad || !json_is_string(item);
        FUZZ_CHECK(v && bad, "opt_string_array refused an acceptable member");
        check_failure(error, "opt_string_array");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const char *const *allowed = allowed_lists[(sel & 3) % G_N_ELEMENTS(allowed_lists)];
    gsize max_len = (sel >> 2) & 1 ? 4096 : (sel >> 3) & 7;
    gsize max_items = (sel >> 5) & 1 ? 32 : (sel >> 6) & 3;

    size_t body_len = size - 1;
    char *body = body_len ? g_memdup2(data + 1, body_len) : NULL;
    ApiRequest req = {.method = "PATCH", .path = "/api/vms/x", .body = body, .body_len = body_len};
    GError *error = NULL;
    json_t *obj = api_json_body(&req, &error);
    if (!obj) {
        check_failure(error, "api_json_body");
        g_free(body);
        return 0;
    }
    FUZZ_CHECK(!error, "api_json_body: object and error");
    FUZZ_CHECK(json_is_object(obj), "api_json_body returned a non-object");
    if (body_len == 0)
        FUZZ_CHECK(json_object_size(obj) == 0, "empty body is not {}");

    /* only_members agrees with a plain membership test. */
    gboolean all_known = TRUE;
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value)
        if (!g_strv_contains(allowed, key))
            all_known = FALSE;
    gboolean ok = api_json_only_members(obj, allowed, &error);
    FUZZ_CHECK(ok == all_known, "only_members said %d, membership says %d", ok, all_known);
    if (!ok)
        check_failure(error, "only_members");
    else
        FUZZ_CHECK(!error, "only_members: success with error");

    /* Every present member, and the well-known ones whether present or not. */
    json_object_foreach (obj, key, value)
        check_member(obj, key, max_len, max_items);
    for (const char *const *a = allowed_patch; *a; a++)
        check_member(obj, *a, max_len, max_items);
    check_member(obj, "absent-member", max_len, max_items);

    json_decref(obj);
    g_free(body);
    return 0;
}
