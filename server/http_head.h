/* A small, strict HTTP/1.x request head parser for the TLS front, which
 * must read the first request of a connection before it knows who serves
 * it: the console loop or libmicrohttpd (which then parses it again). */
#pragma once
#include <glib.h>

typedef struct {
    char *method;
    char *target;          /* path + query, as sent */
    char *version;         /* "HTTP/1.0", "HTTP/1.1" */
    GPtrArray *headers;    /* name, value, name, value... (names as sent,
                              values without surrounding blanks) */
    gsize head_len;        /* bytes up to and including the blank line */
} HttpHead;

typedef enum { HTTP_HEAD_OK, HTTP_HEAD_NEED_MORE, HTTP_HEAD_ERROR } HttpHeadResult;

/* Parses the request head at the start of buf[0..len): everything the
 * connection has received so far (bytes after the head are left alone).
 * HTTP_HEAD_NEED_MORE until the blank line has arrived; HTTP_HEAD_ERROR as
 * soon as what arrived cannot begin a valid head, or when no head ends
 * within `max_len` bytes; HTTP_HEAD_OK with *out filled (what *out held
 * before is cleared: start from a zeroed HttpHead). *out is untouched
 * unless OK. Strict, so that this parser and libmicrohttpd never read one
 * head two ways:
 * - lines end in CRLF; a bare LF or CR is an error, and so is an empty
 *   line before the request line;
 * - the request line is "METHOD SP target SP HTTP/1.<digit>", the method
 *   a token, the target visible ASCII;
 * - a header is "name:" then the value, the name a token right before the
 *   colon; a line starting with a blank (obs-fold) is an error; values are
 *   visible characters, bytes of 0x80 and above, spaces and tabs;
 * - exactly one Host header in HTTP/1.1 (RFC 9112 3.2), at most one in 1.0.
 * Each call parses from the start; call it again when more bytes came. */
HttpHeadResult http_head_parse(const char *buf, gsize len, gsize max_len, HttpHead *out);

/* The value of the first header called `name` (case-insensitive), or NULL. */
const char *http_head_get(const HttpHead *h, const char *name);
/* How many headers are called `name`: security checks refuse duplicates
 * of the headers they rely on (Origin, Sec-WebSocket-Key). */
guint http_head_count(const HttpHead *h, const char *name);
/* All values of the headers called `name` joined with ", " (RFC 9110
 * 5.3), or NULL when there are none: for list headers such as Connection
 * or Sec-WebSocket-Protocol. Free with g_free. */
char *http_head_join(const HttpHead *h, const char *name);

/* Frees what *h holds and zeroes it; safe on a zeroed or cleared head. */
void http_head_clear(HttpHead *h);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HttpHead, http_head_clear)
