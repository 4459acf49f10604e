/* The request head parser of the TLS front (server/http_head.c): what it
 * accepts, what it refuses and how early, its size cap, and that every
 * prefix of a good head asks for more. */
#include "unit.h"

#include <string.h>

#include "server/http_head.h"

#define LIMIT 8192

static HttpHeadResult parse(const char *s, HttpHead *out)
{
    return http_head_parse(s, strlen(s), LIMIT, out);
}

static const char REQUEST[] =
    "GET /api/consoles/abc?x=1&y=%20 HTTP/1.1\r\n"
    "Host: vireo.example:8443\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "sec-websocket-protocol: binary\r\n"
    "Sec-WebSocket-Protocol:   vireo.serial  \t\r\n"
    "X-Empty:\r\n"
    "X-Inner:  a  b\tc \r\n"
    "\r\n";

static void test_request(void **state)
{
    (void)state;
    g_auto(HttpHead) h = { 0 };
    /* What follows the head (a body, the next request) is not its business. */
    g_autofree char *more = g_strconcat(REQUEST, "\x81\x85 frame bytes", NULL);
    assert_int_equal(parse(more, &h), HTTP_HEAD_OK);
    assert_int_equal(h.head_len, strlen(REQUEST));
    assert_string_equal(h.method, "GET");
    assert_string_equal(h.target, "/api/consoles/abc?x=1&y=%20");
    assert_string_equal(h.version, "HTTP/1.1");
    assert_int_equal(h.headers->len, 16);
    assert_string_equal(g_ptr_array_index(h.headers, 0), "Host");
    assert_string_equal(g_ptr_array_index(h.headers, 1), "vireo.example:8443");
    assert_string_equal(g_ptr_array_index(h.headers, 8), "sec-websocket-protocol");
    assert_string_equal(http_head_get(&h, "UPGRADE"), "websocket");
    assert_string_equal(http_head_get(&h, "connection"), "keep-alive, Upgrade");
    assert_string_equal(http_head_get(&h, "Sec-WebSocket-Protocol"), "binary");
    assert_string_equal(http_head_get(&h, "x-empty"), "");
    assert_string_equal(http_head_get(&h, "X-Inner"), "a  b\tc");
    assert_null(http_head_get(&h, "Origin"));
    assert_null(http_head_get(&h, "Hos"));
    assert_int_equal(http_head_count(&h, "sec-websocket-protocol"), 2);
    assert_int_equal(http_head_count(&h, "Host"), 1);
    assert_int_equal(http_head_count(&h, "Origin"), 0);
    g_autofree char *joined = http_head_join(&h, "Sec-WebSocket-Protocol");
    assert_string_equal(joined, "binary, vireo.serial");
    g_autofree char *one = http_head_join(&h, "host");
    assert_string_equal(one, "vireo.example:8443");
    assert_null(http_head_join(&h, "Origin"));
}

/* Every prefix of a head asks for more; the whole head, with or without
 * what follows, is the same head. */
static void test_prefixes_need_more(void **state)
{
    (void)state;
    gsize n = strlen(REQUEST);
    for (gsize i = 0; i < n; i++) {
        HttpHead h = { 0 };
        g_autofree char *copy = g_memdup2(REQUEST, i);   /* exact size: ASan sees overreads */
        assert_int_equal(http_head_parse(copy, i, LIMIT, &h), HTTP_HEAD_NEED_MORE);
        assert_null(h.method);
    }
    g_autofree char *copy = g_memdup2(REQUEST, n);
    g_auto(HttpHead) h = { 0 };
    assert_int_equal(http_head_parse(copy, n, LIMIT, &h), HTTP_HEAD_OK);
    assert_int_equal(h.head_len, n);
}

static void test_minimal_heads(void **state)
{
    (void)state;
    g_auto(HttpHead) h = { 0 };
    /* HTTP/1.0 may leave Host out; other methods and target forms pass. */
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &h), HTTP_HEAD_OK);
    assert_int_equal(h.headers->len, 0);
    assert_int_equal(h.head_len, 18);
    assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &h), HTTP_HEAD_OK);
    assert_string_equal(h.target, "*");
    assert_int_equal(parse("CONNECT vireo:443 HTTP/1.1\r\nHost: vireo:443\r\n\r\n", &h),
                     HTTP_HEAD_OK);
    assert_int_equal(parse("M-SEARCH http://h/p?q HTTP/1.1\r\nhost:\r\n\r\n", &h), HTTP_HEAD_OK);
    assert_string_equal(h.method, "M-SEARCH");
    assert_string_equal(http_head_get(&h, "Host"), "");
    /* Values may carry obs-text (bytes of 0x80 and above). */
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9\r\n\r\n", &h),
                     HTTP_HEAD_OK);
    assert_string_equal(http_head_get(&h, "x-name"), "caf\xc3\xa9");
}

/* Each refused whole, and in pieces: the refusal never needs the blank
 * line to arrive. */
static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "GET / HTTP/1.1\nHost: h\n\n",                 /* bare LF: decided, refused */
        "GET / HTTP/1.1\r\nHost: h\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n\n",
        "GET / HTTP/1.1\rHost: h\r\n\r\n",             /* bare CR */
        "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
        "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",       /* empty line first */
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  folded\r\n\r\n",   /* obs-fold */
        "GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\tHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : h\r\n\r\n",          /* blank before the colon */
        "GET / HTTP/1.1\r\nHost\t: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost h\r\n\r\n",            /* no colon */
        "GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n",    /* empty name */
        "GET / HTTP/1.1\r\nHo(st: h\r\n\r\n",          /* not a token */
        "GET / HTTP/1.1\r\nH\xc3\xb6st: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n",       /* control bytes in a value */
        "GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\x1b[2J\r\n\r\n",
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",          /* the request line */
        "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /\r\nHost: h\r\n\r\n",
        "GET HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.x\r\nHost: h\r\n\r\n",
        "GET / http/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1\r\nHost: h\r\n\r\n",
        "G(ET / HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n",                      /* Host: none in 1.1 */
        "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",   /* two */
        "GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",    /* a TLS hello, at once */
        "\r\n\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        HttpHead h = { 0 };
        gsize n = strlen(bad[i]);
        g_autofree char *copy = g_memdup2(bad[i], n);
        if (http_head_parse(copy, n, LIMIT, &h) != HTTP_HEAD_ERROR)
            fail_msg("accepted bad head #%zu: %s", i, bad[i]);
        assert_null(h.method);
    }
}

/* A malformed line fails as soon as it is complete (or, for control
 * bytes, as soon as it arrives), not when the head ends. */
static void test_fails_early(void **state)
{
    (void)state;
    HttpHead h = { 0 };
    const char *early[] = {
        "GET / HTTP/1.1\n",
        "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n",
        "GET / HTTP/1.1\r\n folded",
        "GET /\x01",
        "\x16\x03",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(early); i++) {
        if (parse(early[i], &h) != HTTP_HEAD_ERROR)
            fail_msg("no early refusal of #%zu: %s", i, early[i]);
    }
}

/* The cap counts the whole head, blank line included. */
static void test_max_len(void **state)
{
    (void)state;
    const char *head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    gsize n = strlen(head);
    g_autofree char *more = g_strconcat(head, "GET / HTTP/1.1\r\n", NULL);
    g_auto(HttpHead) h = { 0 };
    assert_int_equal(http_head_parse(head, n, n, &h), HTTP_HEAD_OK);
    assert_int_equal(http_head_parse(more, strlen(more), n, &h), HTTP_HEAD_OK);
    assert_int_equal(h.head_len, n);
    assert_int_equal(http_head_parse(head, n, n - 1, &h), HTTP_HEAD_ERROR);
    assert_int_equal(http_head_parse(head, n - 1, n - 1, &h), HTTP_HEAD_ERROR);
    assert_int_equal(http_head_parse(head, n - 2, n - 1, &h), HTTP_HEAD_NEED_MORE);
    assert_int_equal(http_head_parse(head, 0, 0, &h), HTTP_HEAD_ERROR);
    assert_int_equal(http_head_parse(NULL, 0, LIMIT, &h), HTTP_HEAD_NEED_MORE);
    /* A flood of small headers stops at the cap too. */
    GString *flood = g_string_new("GET / HTTP/1.1\r\nHost: h\r\n");
    while (flood->len < 2 * LIMIT)
        g_string_append(flood, "X: y\r\n");
    assert_int_equal(http_head_parse(flood->str, flood->len, LIMIT, &h), HTTP_HEAD_ERROR);
    g_string_free(flood, TRUE);
}

/* *out is only written on OK, and then what it held is freed (ASan's leak
 * check sees it); clearing twice is harmless. */
static void test_out_lifecycle(void **state)
{
    (void)state;
    HttpHead h = { 0 };
    assert_int_equal(parse("GET /a HTTP/1.1\r\nHost: a\r\n\r\n", &h), HTTP_HEAD_OK);
    assert_int_equal(parse("GET /b HTTP/1.1\r\nHo", &h), HTTP_HEAD_NEED_MORE);
    assert_int_equal(parse("GET /c HTTP/1.1\nHost: c\n\n", &h), HTTP_HEAD_ERROR);
    assert_string_equal(h.target, "/a");
    assert_int_equal(parse("POST /d HTTP/1.0\r\nX: 1\r\n\r\n", &h), HTTP_HEAD_OK);
    assert_string_equal(h.target, "/d");
    assert_string_equal(h.version, "HTTP/1.0");
    http_head_clear(&h);
    http_head_clear(&h);
    assert_null(h.method);
    assert_null(h.headers);
    assert_null(http_head_get(&h, "X"));
    assert_int_equal(http_head_count(&h, "X"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_prefixes_need_more),
        cmocka_unit_test(test_minimal_heads),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_fails_early),
        cmocka_unit_test(test_max_len),
        cmocka_unit_test(test_out_lifecycle),
    };
    return cmocka_run_group_tests_name("http_head", tests, NULL, NULL);
}
