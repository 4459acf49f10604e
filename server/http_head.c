/* The HTTP/1.x request head parser of the TLS front: finds where the head
 * ends, refuses anything ambiguous (RFC 9112 sections 2-5), and only then
 * copies the request line and the headers out. */
#include "server/http_head.h"

#include <string.h>

/* RFC 9110 5.6.2 tchar. */
static gboolean is_tchar(guchar c)
{
    return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static gboolean all_tchars(const char *p, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (!is_tchar((guchar)p[i]))
            return FALSE;
    }
    return n > 0;
}

static gboolean is_value_char(guchar c)
{
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7F);
}

static gboolean request_line_valid(const char *p, gsize n)
{
    const char *sp1 = memchr(p, ' ', n);
    if (!sp1 || !all_tchars(p, (gsize)(sp1 - p)))
        return FALSE;
    const char *target = sp1 + 1;
    const char *end = p + n;
    const char *sp2 = memchr(target, ' ', (gsize)(end - target));
    if (!sp2 || sp2 == target)
        return FALSE;
    for (const char *c = target; c < sp2; c++) {
        if ((guchar)*c < 0x21 || (guchar)*c > 0x7E)
            return FALSE;
    }
    const char *version = sp2 + 1;
    return end - version == 8 && memcmp(version, "HTTP/1.", 7) == 0 &&
           g_ascii_isdigit(version[7]);
}

static gboolean field_line_valid(const char *p, gsize n)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || !all_tchars(p, (gsize)(colon - p)))
        return FALSE;
    for (const char *c = colon + 1; c < p + n; c++) {
        if (!is_value_char((guchar)*c))
            return FALSE;
    }
    return TRUE;
}

/* A line still arriving: its bytes so far must be able to begin a valid
 * line (the method or the name a token up to `separator`, no control
 * bytes), which lets a TLS hello, a folded line or binary noise fail at
 * once. */
static gboolean partial_line_valid(const char *p, gsize n, char separator)
{
    if (n > 0 && p[n - 1] == '\r')
        n--;   /* its LF may come next */
    gsize i = 0;
    while (i < n && p[i] != separator && is_tchar((guchar)p[i]))
        i++;
    if (i < n && p[i] != separator)
        return FALSE;
    for (; i < n; i++) {
        if (!is_value_char((guchar)p[i]))
            return FALSE;
    }
    return TRUE;
}

/* Walks the complete lines of buf[0..len): OK with the head's length,
 * ERROR at the first bad line, NEED_MORE when no blank line came yet. */
static HttpHeadResult scan(const char *buf, gsize len, gsize *head_len)
{
    gsize pos = 0;
    for (guint line = 0;; line++) {
        if (pos == len)
            return HTTP_HEAD_NEED_MORE;
        const char *lf = memchr(buf + pos, '\n', len - pos);
        if (!lf)
            return partial_line_valid(buf + pos, len - pos, line == 0 ? ' ' : ':')
                       ? HTTP_HEAD_NEED_MORE
                       : HTTP_HEAD_ERROR;
        gsize end = (gsize)(lf - buf);
        if (end == pos || buf[end - 1] != '\r')
            return HTTP_HEAD_ERROR;
        gsize n = end - 1 - pos;
        if (line > 0 && n == 0) {
            *head_len = end + 1;
            return HTTP_HEAD_OK;
        }
        if (!(line == 0 ? request_line_valid(buf + pos, n) : field_line_valid(buf + pos, n)))
            return HTTP_HEAD_ERROR;
        pos = end + 1;
    }
}

static char *strip_dup(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return g_strndup(s, (gsize)(e - s));
}

/* Copies out a head that scan() accepted. */
static void fill(const char *buf, gsize head_len, HttpHead *h)
{
    const char *end = buf + head_len - 2;   /* the blank line's CRLF */
    const char *eol = memchr(buf, '\r', head_len);
    const char *sp1 = memchr(buf, ' ', (gsize)(eol - buf));
    const char *sp2 = memchr(sp1 + 1, ' ', (gsize)(eol - sp1 - 1));
    h->method = g_strndup(buf, (gsize)(sp1 - buf));
    h->target = g_strndup(sp1 + 1, (gsize)(sp2 - sp1 - 1));
    h->version = g_strndup(sp2 + 1, (gsize)(eol - sp2 - 1));
    h->headers = g_ptr_array_new_with_free_func(g_free);
    for (const char *p = eol + 2; p < end; p = eol + 2) {
        eol = memchr(p, '\r', (gsize)(end - p));
        const char *colon = memchr(p, ':', (gsize)(eol - p));
        g_ptr_array_add(h->headers, g_strndup(p, (gsize)(colon - p)));
        g_ptr_array_add(h->headers, strip_dup(colon + 1, eol));
    }
    h->head_len = head_len;
}

HttpHeadResult http_head_parse(const char *buf, gsize len, gsize max_len, HttpHead *out)
{
    gsize head_len = 0;
    HttpHeadResult result = scan(buf, MIN(len, max_len), &head_len);
    if (result == HTTP_HEAD_NEED_MORE && len >= max_len)
        return HTTP_HEAD_ERROR;
    if (result != HTTP_HEAD_OK)
        return result;
    g_auto(HttpHead) head = { 0 };
    fill(buf, head_len, &head);
    /* Two Hosts could route one way here and another in libmicrohttpd. */
    guint hosts = http_head_count(&head, "Host");
    if (hosts > 1 || (hosts == 0 && strcmp(head.version, "HTTP/1.0") != 0))
        return HTTP_HEAD_ERROR;
    http_head_clear(out);
    *out = head;
    memset(&head, 0, sizeof(head));
    return HTTP_HEAD_OK;
}

const char *http_head_get(const HttpHead *h, const char *name)
{
    for (guint i = 0; h->headers && i + 1 < h->headers->len; i += 2) {
        if (g_ascii_strcasecmp(g_ptr_array_index(h->headers, i), name) == 0)
            return g_ptr_array_index(h->headers, i + 1);
    }
    return NULL;
}

guint http_head_count(const HttpHead *h, const char *name)
{
    guint n = 0;
    for (guint i = 0; h->headers && i + 1 < h->headers->len; i += 2)
        n += g_ascii_strcasecmp(g_ptr_array_index(h->headers, i), name) == 0;
    return n;
}

char *http_head_join(const HttpHead *h, const char *name)
{
    GString *joined = NULL;
    for (guint i = 0; h->headers && i + 1 < h->headers->len; i += 2) {
        if (g_ascii_strcasecmp(g_ptr_array_index(h->headers, i), name) != 0)
            continue;
        if (joined)
            g_string_append(joined, ", ");
        else
            joined = g_string_new(NULL);
        g_string_append(joined, g_ptr_array_index(h->headers, i + 1));
    }
    return joined ? g_string_free(joined, FALSE) : NULL;
}

void http_head_clear(HttpHead *h)
{
    g_free(h->method);
    g_free(h->target);
    g_free(h->version);
    if (h->headers)
        g_ptr_array_unref(h->headers);
    memset(h, 0, sizeof(*h));
}
