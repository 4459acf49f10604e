/* ApiResponse helpers: headers as name/value pairs and the JSON body. */
#include "api/core/api.h"
#include "api/core/api_gate.h"

#include <string.h>

void api_response_init(ApiResponse *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 500;
    resp->headers = g_ptr_array_new_with_free_func(g_free);
}

void api_response_clear(ApiResponse *resp)
{
    if (resp->body)
        json_decref(resp->body);
    if (resp->raw)
        g_bytes_unref(resp->raw);
    if (resp->raw_gzip)
        g_bytes_unref(resp->raw_gzip);
    if (resp->headers)
        g_ptr_array_unref(resp->headers);
    api_auth_free(resp->stream);
    g_free(resp->stream_resume);
    if (resp->console && resp->console_free)
        resp->console_free(resp->console);
    if (resp->transfer)
        resp->transfer->free(resp->transfer);
    g_free(resp->audit_user);
    g_free(resp->audit_detail);
    g_free(resp->log_note);
    memset(resp, 0, sizeof(*resp));
}

void api_response_header(ApiResponse *resp, const char *name, const char *value)
{
    g_ptr_array_add(resp->headers, g_strdup(name));
    g_ptr_array_add(resp->headers, g_strdup(value));
}

const char *api_response_get_header(const ApiResponse *resp, const char *name)
{
    for (guint i = 0; i + 1 < resp->headers->len; i += 2)
        if (g_ascii_strcasecmp(g_ptr_array_index(resp->headers, i), name) == 0)
            return g_ptr_array_index(resp->headers, i + 1);
    return NULL;
}

void api_response_json(ApiResponse *resp, unsigned status, json_t *body)
{
    if (resp->body)
        json_decref(resp->body);
    resp->status = status;
    resp->body = body;
}
