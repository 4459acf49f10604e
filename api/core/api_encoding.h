/* Content coding of answers (RFC 9110 8.4): bodies of API_GZIP_MIN bytes
 * and more go out gzip-compressed (zlib) to clients whose Accept-Encoding
 * takes gzip; others get them plain. The two are different
 * representations, so they carry different strong ETags: the gzip one is
 * the plain one with "-gzip" at its end. If-None-Match compares with the
 * tag of the representation being sent; If-Match (an edit) accepts either,
 * as both name the same state. */
#pragma once
#include "api/core/api.h"

#define API_GZIP_MIN 1024

/* TRUE when an Accept-Encoding value takes gzip (or "*") with q > 0. */
gboolean api_accepts_gzip(const char *accept_encoding);
/* `data` as a gzip member; NULL only when zlib fails. */
GBytes *api_gzip(const void *data, gsize len, int level);
/* The ETag of the gzip representation: "\"X\"" -> "\"X-gzip\"" (a weak
 * tag stays weak). */
char *api_etag_gzip(const char *etag);
/* TRUE when `tag` is `etag` itself or its gzip form. */
gboolean api_etag_same_state(const char *tag, const char *etag);
/* TRUE for media types worth compressing (text, JSON, JavaScript, SVG). */
gboolean api_compressible(const char *content_type);

/* The last step of every answer: compresses the body when the client
 * takes gzip and it is large enough (resp->raw_gzip, when the handler
 * kept a compressed copy, is used as it is), giving the answer its gzip
 * ETag; resp->content_encoding says what was done. Run after the audit
 * log read the answer. */
void api_response_encode(const ApiRequest *req, ApiResponse *resp);
