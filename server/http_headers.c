/* Security headers, HTTP dates and ETag lists. */
#include "server/http_headers.h"

#include <glib.h>
#include <string.h>

#define CSP_REST \
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " \
    "object-src 'none'; base-uri 'none'; form-action 'self'; " \
    "frame-ancestors 'none'"
#define PAGE_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " CSP_REST
/* xterm.js sizes and colours its rows through <style> elements it makes;
 * scripts stay vireod's own, and the page shows no HTML from elsewhere. */
#define TERMINAL_CSP \
    "default-src 'self'; script-src 'self'; " \
    "style-src 'self' 'unsafe-inline'; " CSP_REST

/* The one list of security headers, for libmicrohttpd's answers and for
 * the heads vireod writes itself (the event stream's). */
static void each_security_header(HttpBodyKind kind, int tls,
                                 void (*add)(const char *name, const char *value, void *data),
                                 void *data)
{
    if (tls)
        add("Strict-Transport-Security", "max-age=31536000", data);
    add("X-Content-Type-Options", "nosniff", data);
    add("Referrer-Policy", "no-referrer", data);
    add("X-Frame-Options", "DENY", data);
    if (kind != HTTP_BODY_DATA)
        add("Content-Security-Policy", kind == HTTP_BODY_TERMINAL ? TERMINAL_CSP : PAGE_CSP, data);
}

static void add_to_response(const char *name, const char *value, void *data)
{
    MHD_add_response_header(data, name, value);
}

static void add_to_text(const char *name, const char *value, void *data)
{
    g_string_append_printf(data, "%s: %s\r\n", name, value);
}

void http_add_security_headers(struct MHD_Response *r, HttpBodyKind kind, int tls)
{
    each_security_header(kind, tls, add_to_response, r);
}

void http_security_headers_text(GString *out, HttpBodyKind kind, int tls)
{
    each_security_header(kind, tls, add_to_text, out);
}

void http_format_date(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int http_parse_date(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return 0;
    *out = timegm(&tm);
    return 1;
}
