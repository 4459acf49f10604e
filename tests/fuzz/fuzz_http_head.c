/* libFuzzer target: the TLS front's request head parser (http_head_parse)
 * on any bytes a client could send first. A head it accepts must be what
 * its contract says, read back the same once written out again, and the
 * answer must not depend on how much of the input had arrived: NEED_MORE
 * on every prefix of a good head, and once ERROR, ERROR for good.
 *
 * Input layout: one byte choosing the size cap, then the bytes received. */
#include <stdint.h>

#include "fuzz_common.h"
#include "server/http_head.h"

static const gsize CAPS[8] = { 0, 8, 20, 64, 256, 1024, 8192, G_MAXSIZE };

static gboolean is_tchar(guchar c)
{
    return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Parses data[0..len) from an exact-size copy, so ASan sees overreads. */
static HttpHeadResult parse_copy(const uint8_t *data, gsize len, gsize cap, HttpHead *out)
{
    char *copy = g_memdup2(data, len);
    HttpHeadResult r = http_head_parse(copy, len, cap, out);
    g_free(copy);
    return r;
}

static void check_head(const HttpHead *h, const uint8_t *data, gsize len, gsize cap)
{
    FUZZ_CHECK(h->head_len >= 16 && h->head_len <= len && h->head_len <= cap,
               "head_len %zu of %zu bytes, cap %zu", h->head_len, len, cap);
    FUZZ_CHECK(memcmp(data + h->head_len - 4, "\r\n\r\n", 4) == 0, "head does not end in CRLFCRLF");
    FUZZ_CHECK(*h->method, "empty method");
    for (const char *c = h->method; *c; c++)
        FUZZ_CHECK(is_tchar((guchar)*c), "method byte 0x%02x", (guchar)*c);
    FUZZ_CHECK(*h->target, "empty target");
    for (const char *c = h->target; *c; c++)
        FUZZ_CHECK(*c >= 0x21 && *c <= 0x7e, "target byte 0x%02x", (guchar)*c);
    FUZZ_CHECK(strlen(h->version) == 8 && g_str_has_prefix(h->version, "HTTP/1.") &&
               g_ascii_isdigit(h->version[7]), "version '%s'", h->version);
    FUZZ_CHECK(h->headers && h->headers->len % 2 == 0, "headers not in pairs");
    for (guint i = 0; i < h->headers->len; i += 2) {
        const char *name = g_ptr_array_index(h->headers, i);
        const char *value = g_ptr_array_index(h->headers, i + 1);
        FUZZ_CHECK(*name, "empty header name");
        for (const char *c = name; *c; c++)
            FUZZ_CHECK(is_tchar((guchar)*c), "name byte 0x%02x", (guchar)*c);
        for (const guchar *c = (const guchar *)value; *c; c++)
            FUZZ_CHECK(*c == '\t' || (*c >= 0x20 && *c != 0x7f), "value byte 0x%02x", *c);
        gsize n = strlen(value);
        FUZZ_CHECK(n == 0 || (value[0] != ' ' && value[0] != '\t' && value[n - 1] != ' ' &&
                              value[n - 1] != '\t'), "value '%s' not trimmed", value);
        /* http_head_get answers the first header of that name. */
        guint first = i;
        for (guint k = 0; k < i; k += 2) {
            if (g_ascii_strcasecmp(g_ptr_array_index(h->headers, k), name) == 0) {
                first = k;
                break;
            }
        }
        FUZZ_CHECK(http_head_get(h, name) == g_ptr_array_index(h->headers, first + 1),
                   "http_head_get('%s') is not the first one", name);
    }
    guint hosts = http_head_count(h, "host");
    FUZZ_CHECK(hosts == 1 || (hosts == 0 && strcmp(h->version, "HTTP/1.0") == 0),
               "%u Host headers in %s", hosts, h->version);
}

/* Written out again in the canonical form, the head reads back the same. */
static void check_round_trip(const HttpHead *h)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%s %s %s\r\n", h->method, h->target, h->version);
    for (guint i = 0; i < h->headers->len; i += 2)
        g_string_append_printf(s, "%s: %s\r\n", (char *)g_ptr_array_index(h->headers, i),
                               (char *)g_ptr_array_index(h->headers, i + 1));
    g_string_append(s, "\r\n");
    HttpHead again = { 0 };
    HttpHeadResult r = parse_copy((const uint8_t *)s->str, s->len, G_MAXSIZE, &again);
    FUZZ_CHECK(r == HTTP_HEAD_OK, "the head written out again is refused: %s", s->str);
    FUZZ_CHECK(again.head_len == s->len, "read back %zu of %zu bytes", again.head_len, s->len);
    FUZZ_CHECK(strcmp(again.method, h->method) == 0 && strcmp(again.target, h->target) == 0 &&
               strcmp(again.version, h->version) == 0, "request line changed");
    FUZZ_CHECK(again.headers->len == h->headers->len, "header count changed");
    for (guint i = 0; i < h->headers->len; i++)
        FUZZ_CHECK(strcmp(g_ptr_array_index(again.headers, i),
                          g_ptr_array_index(h->headers, i)) == 0, "header %u changed", i);
    http_head_clear(&again);
    g_string_free(s, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    gsize cap = CAPS[data[0] & 7];
    data++;
    size--;

    /* A head parsed before: untouched unless OK, freed when replaced. */
    static const char OLD[] = "GET /old HTTP/1.1\r\nHost: old\r\n\r\n";
    HttpHead h = { 0 };
    FUZZ_CHECK(http_head_parse(OLD, sizeof(OLD) - 1, 1024, &h) == HTTP_HEAD_OK, "OLD refused");
    char *old_method = h.method;
    HttpHeadResult full = parse_copy(data, size, cap, &h);
    if (full != HTTP_HEAD_OK)
        FUZZ_CHECK(h.method == old_method && h.head_len == sizeof(OLD) - 1,
                   "result %d wrote *out", full);
    if (full == HTTP_HEAD_OK) {
        check_head(&h, data, size, cap);
        check_round_trip(&h);
    }
    if (size >= cap)
        FUZZ_CHECK(full != HTTP_HEAD_NEED_MORE, "NEED_MORE with %zu bytes, cap %zu", size, cap);

    /* Prefixes: NEED_MORE* then either ERROR* or OK with the same head. */
    gsize cuts[8] = { 0, size / 7, size / 3, size / 2, size / 5 * 4,
                      h.head_len ? h.head_len - 1 : 0, h.head_len, size ? size - 1 : 0 };
    gsize first_error = G_MAXSIZE;
    gssize last_need = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(cuts); i++) {
        gsize k = MIN(cuts[i], size);
        HttpHead p = { 0 };
        HttpHeadResult r = parse_copy(data, k, cap, &p);
        if (full == HTTP_HEAD_OK && k >= h.head_len)
            FUZZ_CHECK(r == HTTP_HEAD_OK && p.head_len == h.head_len,
                       "prefix of %zu: %d, whole: OK at %zu", k, r, h.head_len);
        else if (full == HTTP_HEAD_OK || full == HTTP_HEAD_NEED_MORE)
            FUZZ_CHECK(r == HTTP_HEAD_NEED_MORE, "prefix of %zu: %d, whole: %d", k, r, full);
        if (r == HTTP_HEAD_ERROR)
            first_error = MIN(first_error, k);
        if (r == HTTP_HEAD_NEED_MORE)
            last_need = MAX(last_need, (gssize)k);
        http_head_clear(&p);
    }
    FUZZ_CHECK(last_need < 0 || (gsize)last_need < first_error,
               "ERROR at %zu bytes but NEED_MORE at %zd", first_error, last_need);
    http_head_clear(&h);
    return 0;
}
