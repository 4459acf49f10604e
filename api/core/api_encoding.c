/* gzip for answers (see api_encoding.h). */
#include "api/core/api_encoding.h"

#include <string.h>
#include <zlib.h>

gboolean api_accepts_gzip(const char *header)
{
    if (!header)
        return FALSE;
    gboolean gzip = FALSE, any = FALSE, gzip_named = FALSE;
    g_auto(GStrv) items = g_strsplit(header, ",", -1);
    for (char **it = items; *it; it++) {
        g_auto(GStrv) parts = g_strsplit(*it, ";", -1);
        const char *coding = g_strstrip(parts[0]);
        double q = 1.0;
        for (char **p = parts + 1; *p; p++) {
            const char *param = g_strstrip(*p);
            if ((param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
                q = g_ascii_strtod(param + 2, NULL);
        }
        if (g_ascii_strcasecmp(coding, "gzip") == 0 || g_ascii_strcasecmp(coding, "x-gzip") == 0) {
            gzip_named = TRUE;
            gzip = q > 0;
        } else if (strcmp(coding, "*") == 0) {
            any = q > 0;
        }
    }
    /* "gzip;q=0" refuses it even when "*" would take it. */
    return gzip_named ? gzip : any;
}

GBytes *api_gzip(const void *data, gsize len, int level)
{
    z_stream z = {0};
    /* 16 + 15: a gzip header and trailer around a 32 KiB window. */
    if (deflateInit2(&z, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong bound = deflateBound(&z, (uLong)len);
    guint8 *out = g_malloc(bound);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    gsize produced = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        g_free(out);
        return NULL;
    }
    return g_bytes_new_take(g_realloc(out, produced), produced);
}

char *api_etag_gzip(const char *etag)
{
    gsize n = strlen(etag);
    if (n < 2 || etag[n - 1] != '"')
        return g_strconcat(etag, "-gzip", NULL);
    return g_strdup_printf("%.*s-gzip\"", (int)(n - 1), etag);
}

gboolean api_etag_same_state(const char *tag, const char *etag)
{
    if (strcmp(tag, etag) == 0)
        return TRUE;
    g_autofree char *gz = api_etag_gzip(etag);
    return strcmp(tag, gz) == 0;
}

gboolean api_compressible(const char *type)
{
    return type &&
           (g_str_has_prefix(type, "text/") || g_str_has_prefix(type, "application/json") ||
            g_str_has_prefix(type, "application/javascript") ||
            g_str_has_prefix(type, "image/svg+xml") || g_str_has_prefix(type, "application/xml"));
}

void api_response_encode(const ApiRequest *req, ApiResponse *resp)
{
    if (!api_accepts_gzip(req->accept_encoding) || resp->status == 304 || resp->content_encoding)
        return;
    if (!resp->raw && resp->body) {
        char *text = json_dumps(resp->body, JSON_COMPACT);
        if (!text)
            return;
        resp->raw = g_bytes_new_with_free_func(text, strlen(text), free, text);
        resp->raw_type = "application/json";
        g_clear_pointer(&resp->body, json_decref);
    }
    if (!resp->raw || g_bytes_get_size(resp->raw) < API_GZIP_MIN ||
        !api_compressible(resp->raw_type))
        return;
    gsize len;
    const void *data = g_bytes_get_data(resp->raw, &len);
    /* Level 1: most of the gain for a fraction of the time (JSON is
     * repetitive); answers kept for reuse come compressed already. */
    GBytes *gz = resp->raw_gzip ? g_bytes_ref(resp->raw_gzip) : api_gzip(data, len, 1);
    if (!gz)
        return;
    g_bytes_unref(resp->raw);
    resp->raw = gz;
    resp->content_encoding = "gzip";
    /* Another representation, another tag (unless the GET already gave
     * it its own). */
    for (guint i = 0; i + 1 < resp->headers->len; i += 2) {
        if (g_ascii_strcasecmp(g_ptr_array_index(resp->headers, i), "ETag") != 0)
            continue;
        const char *etag = g_ptr_array_index(resp->headers, i + 1);
        if (!g_str_has_suffix(etag, "-gzip\"")) {
            char *gz_tag = api_etag_gzip(etag);
            g_free(g_ptr_array_index(resp->headers, i + 1));
            resp->headers->pdata[i + 1] = gz_tag;
        }
    }
}
