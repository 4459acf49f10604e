/* GET /api/openapi.json: the API description, built into the binary
 * (api/core/openapi_blob.S) so it always matches the routes of this build. */
#include "api/core/api_handlers.h"

extern const char api_openapi_start[];
extern const char api_openapi_end[];

gboolean api_openapi_get(ApiContext *ctx G_GNUC_UNUSED, const ApiRequest *req G_GNUC_UNUSED,
                         ApiResponse *resp, GError **error)
{
    resp->status = 200;
    resp->raw = g_bytes_new_static(api_openapi_start, (gsize)(api_openapi_end - api_openapi_start));
    resp->raw_type = "application/json";
    return TRUE;
}
