/* Shared parts of /api/pools and /api/pools/{pool}/volumes: Location URLs,
 * strict byte sizes, ETags and If-Match. */
#include "api/storage/api_storage_json.h"
#include "api/core/api_error.h"
#include "virt/virt_storage.h"

char *api_storage_location(const char *pool, const char *volume)
{
    g_autofree char *p = g_uri_escape_string(pool, NULL, FALSE);
    if (!volume)
        return g_strdup_printf("/api/pools/%s", p);
    g_autofree char *v = g_uri_escape_string(volume, NULL, FALSE);
    return g_strdup_printf("/api/pools/%s/volumes/%s", p, v);
}

gboolean api_storage_size(json_t *obj, const char *name, guint64 *out, GError **error)
{
    json_t *v = json_object_get(obj, name);
    /* Sizes are whole bytes: 1.5 or "10G" are refused, not rounded. */
    if (!v || !json_is_integer(v) || json_integer_value(v) <= 0 ||
        (guint64)json_integer_value(v) > VIRT_STORAGE_MAX_BYTES) {
        g_set_error(
            error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
            "field '%s' must be a whole number of bytes from 1 to 64 TiB (%" G_GUINT64_FORMAT ")",
            name, VIRT_STORAGE_MAX_BYTES);
        return FALSE;
    }
    *out = (guint64)json_integer_value(v);
    return TRUE;
}
