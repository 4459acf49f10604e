/* Header helpers shared by the API and static answers. */
#pragma once
#include <microhttpd.h>
#include <stddef.h>
#include <time.h>

/* nosniff, referrer and framing policy on every answer; the page CSP on
 * documents; HSTS when served over TLS. */
void http_add_security_headers(struct MHD_Response *r, int is_document, int tls);
/* IMF-fixdate (RFC 9110) formatting and parsing. */
void http_format_date(time_t t, char *buf, size_t len);
int http_parse_date(const char *s, time_t *out);
