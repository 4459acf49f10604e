/* The OpenAPI document built into vireod names exactly the routes of the
 * router, no more, no fewer. */
#include "unit.h"

#include "api/core/api.h"

extern const char api_openapi_start[];
extern const char api_openapi_end[];

static json_t *load_doc(void)
{
    json_error_t err;
    json_t *doc = json_loadb(api_openapi_start, (size_t)(api_openapi_end - api_openapi_start), 0,
                             &err);
    if (!doc)
        fail_msg("openapi.json: %s at line %d", err.text, err.line);
    return doc;
}

static void test_every_route_documented(void **state)
{
    (void)state;
    g_autoptr(json_t) doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    for (const ApiRoute *r = api_routes; r->method; r++) {
        json_t *item = json_object_get(paths, r->pattern);
        if (!item)
            fail_msg("route %s %s is missing from openapi.json", r->method, r->pattern);
        g_autofree char *m = g_ascii_strdown(r->method, -1);
        if (!json_object_get(item, m))
            fail_msg("route %s %s has no operation in openapi.json", r->method, r->pattern);
    }
}

static void test_every_documented_route_exists(void **state)
{
    (void)state;
    static const char *const methods[] = {"get",  "put",     "post",  "delete", "patch",
                                          "head", "options", "trace", NULL};
    g_autoptr(json_t) doc = load_doc();
    const char *path;
    json_t *item;
    json_object_foreach (json_object_get(doc, "paths"), path, item) {
        const char *key;
        json_t *op;
        json_object_foreach (item, key, op) {
            if (!g_strv_contains(methods, key))
                continue; /* "parameters", "summary" ... */
            g_autofree char *m = g_ascii_strup(key, -1);
            gboolean found = FALSE;
            for (const ApiRoute *r = api_routes; r->method && !found; r++)
                found = strcmp(r->method, m) == 0 && strcmp(r->pattern, path) == 0;
            if (!found)
                fail_msg("openapi.json documents %s %s, which the router lacks", m, path);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_documented),
        cmocka_unit_test(test_every_documented_route_exists),
    };
    return cmocka_run_group_tests_name("openapi_routes", tests, NULL, NULL);
}
