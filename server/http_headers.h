/* Header helpers shared by the API and static answers. */
#pragma once
#include <glib.h>
#include <microhttpd.h>
#include <stddef.h>
#include <time.h>

/* What an answer is, for its Content-Security-Policy. */
typedef enum {
    HTTP_BODY_DATA,     /* JSON, scripts, images: no CSP */
    HTTP_BODY_PAGE,     /* an HTML page: scripts and styles from vireod only */
    HTTP_BODY_TERMINAL, /* the console page: xterm.js adds <style> elements */
} HttpBodyKind;

/* nosniff, referrer and framing policy on every answer; the CSP of
 * `kind`; HSTS when served over TLS. */
void http_add_security_headers(struct MHD_Response *r, HttpBodyKind kind, int tls);
/* The same as "Name: value\r\n" lines, for heads written by hand. */
void http_security_headers_text(GString *out, HttpBodyKind kind, int tls);
/* IMF-fixdate (RFC 9110) formatting and parsing. */
void http_format_date(time_t t, char *buf, size_t len);
int http_parse_date(const char *s, time_t *out);
