/* Strict JSON input: unknown members and wrong types are 400s, never
 * silently ignored, so a typo in a script shows at once. */
#include "api/core/api_json.h"
#include "api/core/api_encoding.h"
#include "api/core/api_error.h"

#include <string.h>

json_t *api_json_body(const ApiRequest *req, GError **error)
{
    if (req->body_len == 0)
        return json_object();
    json_error_t jerr;
    json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    API_ERROR_MALFORMED_JSON " at line %d column %d: %s", jerr.line, jerr.column,
                    jerr.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "request body must be a JSON object");
        return NULL;
    }
    return v;
}

gboolean api_json_only_members(json_t *obj, const char *const *allowed, GError **error)
{
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value) {
        if (!g_strv_contains(allowed, key)) {
            g_autofree char *list = g_strjoinv(", ", (char **)allowed);
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                        "unknown field '%s' (known: %s)", key, *allowed ? list : "none");
            return FALSE;
        }
    }
    return TRUE;
}

gboolean api_json_require(json_t *obj, const char *const *required, GError **error)
{
    for (const char *const *r = required; *r; r++) {
        if (!json_object_get(obj, *r)) {
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "field '%s' is required", *r);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean wrong_type(GError **error, const char *name, const char *type)
{
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "field '%s' must be %s", name, type);
    return FALSE;
}

gboolean api_json_opt_bool(json_t *obj, const char *name, int *out, GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return TRUE;
    if (!json_is_boolean(v))
        return wrong_type(error, name, "a boolean");
    *out = json_is_true(v);
    return TRUE;
}

gboolean api_json_opt_string(json_t *obj, const char *name, gsize max_len, const char **out,
                             GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return TRUE;
    if (!json_is_string(v))
        return wrong_type(error, name, "a string");
    if (json_string_length(v) > max_len ||
        memchr(json_string_value(v), '\0', json_string_length(v))) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "field '%s' must be at most %zu bytes, without NUL", name, max_len);
        return FALSE;
    }
    *out = json_string_value(v);
    return TRUE;
}

gboolean api_json_opt_int(json_t *obj, const char *name, json_int_t min, json_int_t max,
                          json_int_t *out, GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return TRUE;
    if (!json_is_integer(v))
        return wrong_type(error, name, "an integer");
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "field '%s' must be from %" JSON_INTEGER_FORMAT " to %" JSON_INTEGER_FORMAT,
                    name, min, max);
        return FALSE;
    }
    *out = n;
    return TRUE;
}

gboolean api_json_opt_object(json_t *obj, const char *name, json_t **out, GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return TRUE;
    if (!json_is_object(v))
        return wrong_type(error, name, "an object");
    *out = v;
    return TRUE;
}

gboolean api_json_opt_string_array(json_t *obj, const char *name, gsize max_items, json_t **out,
                                   GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return TRUE;
    if (!json_is_array(v))
        return wrong_type(error, name, "an array of strings");
    if (json_array_size(v) > max_items) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "field '%s' has more than %zu items", name, max_items);
        return FALSE;
    }
    size_t i;
    json_t *item;
    json_array_foreach (v, i, item) {
        if (!json_is_string(item))
            return wrong_type(error, name, "an array of strings");
    }
    *out = v;
    return TRUE;
}

const char *api_query_get(const ApiRequest *req, const char *name)
{
    return req->query ? g_hash_table_lookup(req->query, name) : NULL;
}

gboolean api_query_page(const ApiRequest *req, const char *what, gint64 *before_id, int *limit,
                        GError **error)
{
    const char *l = api_query_get(req, "limit");
    const char *b = api_query_get(req, "before");
    guint64 n;
    if (l) {
        if (!g_ascii_string_to_unsigned(l, 10, 1, 1000, &n, NULL)) {
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "limit must be 1 to 1000");
            return FALSE;
        }
        *limit = (int)n;
    }
    if (b) {
        if (!g_ascii_string_to_unsigned(b, 10, 1, G_MAXINT64, &n, NULL)) {
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "before must be %s id", what);
            return FALSE;
        }
        *before_id = (gint64)n;
    }
    return TRUE;
}

gboolean api_query_only(const ApiRequest *req, const char *const *allowed, GError **error)
{
    if (!req->query)
        return TRUE;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, req->query);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        /* ?host= is the router's, on every route (docs/hosts.md). */
        if (!g_strv_contains(allowed, key) && strcmp(key, "host") != 0) {
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                        "unknown query parameter '%s'", (const char *)key);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean api_query_none(const ApiRequest *req, GError **error)
{
    static const char *const none[] = {NULL};
    return api_query_only(req, none, error);
}

gboolean api_request_empty(const ApiRequest *req, GError **error)
{
    static const char *const none[] = {NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    return body && api_query_none(req, error) && api_json_only_members(body, none, error);
}

gboolean api_query_bool(const ApiRequest *req, const char *name, gboolean fallback, gboolean *out,
                        GError **error)
{
    const char *v = api_query_get(req, name);
    if (!v) {
        *out = fallback;
        return TRUE;
    }
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = TRUE;
    } else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = FALSE;
    } else {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "query parameter '%s' must be true or false", name);
        return FALSE;
    }
    return TRUE;
}

/* The quoted ETag of a serialized answer. */
static char *etag_of_text(const char *text, gsize len)
{
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text,
                                                       len);
    return g_strdup_printf("\"%.24s\"", sum);
}

json_t *api_time_json(gint64 unix_seconds)
{
    if (!unix_seconds)
        return json_null();
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_seconds);
    if (!t)
        return json_null();
    g_autofree char *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    return json_string(s);
}

char *api_etag(json_t *value)
{
    g_autofree char *canon = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    return etag_of_text(canon ? canon : "", canon ? strlen(canon) : 0);
}

static gboolean etag_list_matches(const char *header, const char *etag, gboolean strong)
{
    g_auto(GStrv) tags = g_strsplit(header, ",", -1);
    for (char **t = tags; *t; t++) {
        const char *tag = g_strstrip(*t);
        if (g_str_has_prefix(tag, "W/")) {
            if (strong)
                continue;
            tag += 2;
        }
        if (strcmp(tag, "*") == 0 || strcmp(tag, etag) == 0)
            return TRUE;
    }
    return FALSE;
}

gboolean api_etag_matches(const char *header, const char *etag)
{
    return etag_list_matches(header, etag, FALSE);
}

/* The state part of a tag ("STATE.SEEN", "STATE-gzip" or "STATE"), or
 * NULL when it is not a quoted tag. */
static char *state_part(const char *tag)
{
    gsize len = strlen(tag);
    if (len < 2 || tag[0] != '"' || tag[len - 1] != '"')
        return NULL;
    const char *inner = tag + 1;
    gsize n = len - 2;
    const char *dot = memchr(inner, '.', n);
    if (dot)
        n = (gsize)(dot - inner);
    else if (n >= 5 && strncmp(inner + n - 5, "-gzip", 5) == 0)
        n -= 5;
    return g_strndup(inner, n);
}

gboolean api_etag_matches_strong(const char *header, const char *etag)
{
    /* Plain and gzip answers of one state carry two tags, and a tag may
     * add what was observed of the object: an edit based on any of them
     * is based on that state. */
    g_autofree char *want = state_part(etag);
    g_auto(GStrv) tags = g_strsplit(header, ",", -1);
    for (char **t = tags; *t; t++) {
        const char *tag = g_strstrip(*t);
        if (strcmp(tag, "*") == 0)
            return TRUE;
        g_autofree char *got = state_part(tag);
        if (got && want && strcmp(got, want) == 0)
            return TRUE;
    }
    return FALSE;
}

char *api_etag_observed(json_t *value, const char *const *observed)
{
    g_autoptr(json_t) state = json_copy(value);
    g_autoptr(json_t) seen = json_object();
    for (const char *const *k = observed; *k; k++) {
        json_t *v = json_object_get(state, *k);
        if (v)
            json_object_set(seen, *k, v);
        json_object_del(state, *k);
    }
    g_autofree char *a = api_etag(state), *b = api_etag(seen);
    /* "STATE.SEEN": If-None-Match compares it whole, If-Match the state. */
    return g_strdup_printf("%.*s.%.8s\"", (int)strlen(a) - 1, a, b + 1);
}

void api_answer_object(ApiResponse *resp, unsigned status, json_t *obj)
{
    g_autofree char *etag = api_etag(obj);
    api_response_header(resp, "ETag", etag);
    api_response_json(resp, status, obj);
}

gboolean api_check_if_match(const ApiRequest *req, json_t *current, const char *what,
                            GError **error)
{
    if (!req->if_match)
        return TRUE;
    g_autofree char *etag = api_etag(current);
    return api_check_if_match_etag(req, etag, what, error);
}

gboolean api_check_if_match_etag(const ApiRequest *req, const char *etag, const char *what,
                                 GError **error)
{
    if (!req->if_match)
        return TRUE;
    if (api_etag_matches_strong(req->if_match, etag))
        return TRUE;
    g_set_error(error, API_ERROR, API_ERROR_PRECONDITION_FAILED,
                "%s changed since it was read (ETag is now %s); reload and retry", what, etag);
    return FALSE;
}

void api_json_finish_get(const ApiRequest *req, ApiResponse *resp)
{
    gboolean is_get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (!is_get || resp->status != 200 || (!resp->body && !resp->raw))
        return;
    const char *etag = api_response_get_header(resp, "ETag");
    g_autofree char *computed = NULL;
    gboolean gzip = api_accepts_gzip(req->accept_encoding);
    if (resp->body && (!etag || gzip)) {
        /* Serialize once: the text that goes out is the text that is hashed
         * (jansson keeps member order, so it is stable for equal content). */
        /* 15 digits: 12.34 stays 12.34, not 12.339999999999999. */
        char *text = json_dumps(resp->body, JSON_COMPACT | JSON_REAL_PRECISION(15));
        gsize len = strlen(text);
        if (!etag) {
            computed = etag_of_text(text, len);
            api_response_header(resp, "ETag", computed);
            etag = computed;
        }
        json_decref(resp->body);
        resp->body = NULL;
        resp->raw = g_bytes_new_with_free_func(text, len, free, text);
        resp->raw_type = "application/json";
    }
    if (!etag)
        return;
    /* The tag of what this client gets: a large answer goes out compressed
     * to a gzip client (api_response_encode) under its own tag. */
    g_autofree char *sent = NULL;
    if (gzip && resp->raw && g_bytes_get_size(resp->raw) >= API_GZIP_MIN &&
        api_compressible(resp->raw_type))
        sent = api_etag_gzip(etag);
    if (req->if_none_match && api_etag_matches(req->if_none_match, sent ? sent : etag)) {
        if (sent) {
            for (guint i = 0; i + 1 < resp->headers->len; i += 2)
                if (g_ascii_strcasecmp(g_ptr_array_index(resp->headers, i), "ETag") == 0) {
                    g_free(g_ptr_array_index(resp->headers, i + 1));
                    resp->headers->pdata[i + 1] = g_steal_pointer(&sent);
                }
        }
        if (resp->body)
            json_decref(resp->body);
        g_clear_pointer(&resp->raw, g_bytes_unref);
        g_clear_pointer(&resp->raw_gzip, g_bytes_unref);
        resp->body = NULL;
        resp->status = 304;
    }
}
