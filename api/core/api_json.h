/* Validating JSON request bodies and query strings, and answer ETags. */
#pragma once
#include "api/core/api.h"

/* The body as a JSON object ({} when empty); 400 when malformed or not an
 * object. */
json_t *api_json_body(const ApiRequest *req, GError **error);
/* 400 naming the first member of `obj` that is not in `allowed`. */
gboolean api_json_only_members(json_t *obj, const char *const *allowed, GError **error);
/* Optional typed members: absent leaves *out untouched and answers TRUE;
 * present with the wrong type is a 400. */
gboolean api_json_opt_bool(json_t *obj, const char *name, int *out, GError **error);
gboolean api_json_opt_string(json_t *obj, const char *name, gsize max_len, const char **out,
                             GError **error);
gboolean api_json_opt_string_array(json_t *obj, const char *name, gsize max_items, json_t **out,
                                   GError **error);
/* An integer from `min` to `max` (a 400 naming the range otherwise). */
gboolean api_json_opt_int(json_t *obj, const char *name, json_int_t min, json_int_t max,
                          json_int_t *out, GError **error);
/* A nested object (borrowed reference). */
gboolean api_json_opt_object(json_t *obj, const char *name, json_t **out, GError **error);

/* 400 naming the first of `required` that `obj` lacks. */
gboolean api_json_require(json_t *obj, const char *const *required, GError **error);

/* 400 for query parameters not in `allowed`. */
gboolean api_query_only(const ApiRequest *req, const char *const *allowed, GError **error);
/* 400 for any query parameter: for routes that take none. */
gboolean api_query_none(const ApiRequest *req, GError **error);
/* 400 unless the request has no query and its body is empty or {} (verbs
 * such as eject-installer and revert that take nothing). */
gboolean api_request_empty(const ApiRequest *req, GError **error);
/* true/false/1/0 (absent = `fallback`); anything else is a 400. */
gboolean api_query_bool(const ApiRequest *req, const char *name, gboolean fallback, gboolean *out,
                        GError **error);
const char *api_query_get(const ApiRequest *req, const char *name);
/* Paging of newest-first lists: ?limit= (1 to 1000; *limit keeps its
 * default when absent) and ?before= (an id, `what` names it: "an entry"). */
gboolean api_query_page(const ApiRequest *req, const char *what, gint64 *before_id, int *limit,
                        GError **error);

/* A time as ISO 8601 UTC ("2026-01-02T03:04:05Z"), or null for 0. */
json_t *api_time_json(gint64 unix_seconds);

/* Strong ETag of a JSON value: a hash of its canonical form, quoted. */
char *api_etag(json_t *value);
/* TRUE when an If-None-Match value names `etag` or "*" (weak comparison:
 * W/ prefixes are ignored, RFC 9110 13.1.2). */
gboolean api_etag_matches(const char *header, const char *etag);
/* TRUE when an If-Match value names `etag`, its gzip form (the same state
 * sent compressed, api_encoding.h) or "*" (strong comparison: a weak tag
 * never matches, RFC 9110 13.1.1). */
gboolean api_etag_matches_strong(const char *header, const char *etag);
/* Answers one object with its ETag. */
void api_answer_object(ApiResponse *resp, unsigned status, json_t *obj);
/* 412 (naming `what`, e.g. "the VM") unless If-Match is absent or names
 * the current representation `current`. */
gboolean api_check_if_match(const ApiRequest *req, json_t *current, const char *what,
                            GError **error);
/* For successful GETs: adds the ETag and turns an If-None-Match that names
 * the representation this client gets (plain or gzip) into 304. */
void api_json_finish_get(const ApiRequest *req, ApiResponse *resp);
