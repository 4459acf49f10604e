/* Security headers, HTTP dates and ETag lists. */
#include "server/http_headers.h"

#include <glib.h>
#include <string.h>

#define CSP_REST "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " \
                 "object-src 'none'; base-uri 'none'; form-action 'self'; " \
                 "frame-ancestors 'none'"
#define PAGE_CSP "default-src 'self'; script-src 'self'; style-src 'self'; " CSP_REST
/* xterm.js sizes and colours its rows through <style> elements it makes;
 * scripts stay vireod's own, and the page shows no HTML from elsewhere. */
#define TERMINAL_CSP "default-src 'self'; script-src 'self'; " \
                     "style-src 'self' 'unsafe-inline'; " CSP_REST

void http_add_security_headers(struct MHD_Response *r, HttpBodyKind kind, int tls)
{
    if (tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    if (kind != HTTP_BODY_DATA)
        MHD_add_response_header(r, "Content-Security-Policy",
                                kind == HTTP_BODY_TERMINAL ? TERMINAL_CSP : PAGE_CSP);
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
