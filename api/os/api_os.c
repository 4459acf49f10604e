/* /api/os: the OS catalogue (libosinfo) with recommended resources and
 * virtio support, for templates and the create wizard. */
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/os/api_os_catalogue.h"

#include <string.h>

static gboolean matches(json_t *os, const char *q, const char *family)
{
    if (family && g_strcmp0(json_string_value(json_object_get(os, "family")), family) != 0)
        return FALSE;
    if (!q)
        return TRUE;
    static const char *const members[] = {"id", "name", "vendor", "distro", NULL};
    for (const char *const *m = members; *m; m++) {
        const char *v = json_string_value(json_object_get(os, *m));
        if (!v)
            continue;
        g_autofree char *low = g_utf8_casefold(v, -1);
        if (strstr(low, q))
            return TRUE;
    }
    return FALSE;
}

gboolean api_os_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"q", "family", NULL};
    json_t *list = api_query_only(req, allowed, error) ? api_os_catalogue(ctx, error) : NULL;
    if (!list)
        return FALSE;
    const char *q = api_query_get(req, "q");
    g_autofree char *folded = q ? g_utf8_casefold(q, -1) : NULL;
    const char *family = api_query_get(req, "family");
    json_t *items = json_array();
    size_t i;
    json_t *os;
    json_array_foreach (list, i, os)
        if (matches(os, folded, family))
            json_array_append(items, os);
    api_response_json(resp, 200, json_pack("{s:o}", "os", items));
    return TRUE;
}

gboolean api_os_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    json_t *os = api_query_none(req, error) ? api_os_find(ctx, req->params[0], error) : NULL;
    if (!os)
        return FALSE;
    api_answer_object(resp, 200, json_deep_copy(os));
    return TRUE;
}
