/* libFuzzer target: the WebSocket frame reader (ws_reader_feed) on any
 * bytes a browser could send, read whole, in random pieces and one byte at
 * a time: the three readings must give the same events, and every event
 * must keep the reader's promises (see the checks below). The writers
 * answer each ping, close and error, and the answer must read back as
 * what it answers.
 *
 * Input layout: one byte choosing the limits (low nibble: the frame
 * payload limit, high nibble: the text message limit), one byte seeding
 * the piece sizes, then the stream. */
#include <stdint.h>

#include "fuzz_common.h"
#include "server/ws_frame.h"

static const guint64 FRAME_LIMITS[16] = {
    0, 1, 2, 16, 125, 126, 127, 1000, 65535, 65536, 1 << 20, G_MAXINT64, G_MAXUINT64, 4, 300, 70000,
};
static const gsize TEXT_LIMITS[16] = {
    0, 1, 2, 3, 4, 5, 16, 125, 126, 1000, 65536, 1 << 20, G_MAXSIZE, 6, 7, 300,
};

typedef struct {
    guint64 max_frame;
    gsize max_text;
    guint32 seed;
} Limits;

/* WebSocket allows NUL in text; GLib's validator does not: check around it. */
static gboolean reference_utf8(const guint8 *p, gsize n)
{
    const char *s = (const char *)p, *end = s + n;
    while (s < end) {
        const char *nul = memchr(s, '\0', (gsize)(end - s));
        gsize seg = (gsize)((nul ? nul : end) - s);
        if (!g_utf8_validate_len(s, seg, NULL))
            return FALSE;
        s += seg + (nul ? 1 : 0);
    }
    return TRUE;
}

static gboolean close_code_valid(guint code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
           (code >= 3000 && code <= 4999);
}

/* The promises of one event, whatever the input. */
static void check_event(const WsEvent *ev, const guint8 *buf, gsize used, const Limits *lim)
{
    switch (ev->type) {
    case WS_EV_NONE: break;
    case WS_EV_DATA:
        FUZZ_CHECK(ev->data >= buf && ev->data + ev->len <= buf + used,
                   "DATA [%p, +%zu) outside the %zu bytes consumed at %p", (void *)ev->data,
                   ev->len, used, (void *)buf);
        FUZZ_CHECK(ev->len > 0 || ev->message_end, "empty DATA piece that ends nothing");
        FUZZ_CHECK(ev->len <= lim->max_frame, "DATA of %zu over the frame limit", ev->len);
        break;
    case WS_EV_TEXT:
        FUZZ_CHECK(ev->len <= lim->max_text, "TEXT of %zu over %zu", ev->len, lim->max_text);
        FUZZ_CHECK(reference_utf8(ev->data, ev->len), "TEXT of %zu bytes not UTF-8", ev->len);
        FUZZ_CHECK(ev->data[ev->len] == '\0', "TEXT not NUL-terminated");
        break;
    case WS_EV_PING:
    case WS_EV_PONG: FUZZ_CHECK(ev->len <= 125, "control payload of %zu", ev->len); break;
    case WS_EV_CLOSE:
        FUZZ_CHECK(ev->code == 1005 ? ev->len == 0 : close_code_valid(ev->code),
                   "CLOSE with code %u and %zu bytes", ev->code, ev->len);
        FUZZ_CHECK(ev->len <= 123, "close reason of %zu", ev->len);
        FUZZ_CHECK(reference_utf8(ev->data, ev->len), "close reason not UTF-8");
        break;
    case WS_EV_ERROR:
        FUZZ_CHECK(ev->code == 1002 || ev->code == 1007 || ev->code == 1009, "ERROR with code %u",
                   ev->code);
        FUZZ_CHECK(ev->len > 0 && ev->data, "ERROR without a reason");
        break;
    default: FUZZ_CHECK(FALSE, "unknown event type %d", ev->type);
    }
}

/* Reads one server frame back: with the mask bit set and a zero mask
 * (which leaves the payload as it is), the reader accepts it. */
static void read_back(const guint8 *frame, gsize n, WsEvent *ev, WsReader **r)
{
    gsize h = (frame[1] & 0x7f) == 126 ? 4 : 2; /* control frames: never 127 */
    guint8 client[4 + 4 + WS_CONTROL_PAYLOAD_MAX] = {0};
    memcpy(client, frame, h);
    client[1] |= 0x80;
    memcpy(client + h + 4, frame + h, n - h);
    *r = ws_reader_new(G_MAXUINT64, G_MAXSIZE);
    gsize len = n + 4;
    gsize used = ws_reader_feed(*r, client, len, ev);
    FUZZ_CHECK(used == len, "read back %zu of %zu bytes", used, len);
}

/* The answer vireod would send to a ping (a pong with its payload), to a
 * close (the same code and reason) and to an error (a close with its code
 * and reason), read back. */
static void check_answer(const WsEvent *ev)
{
    guint8 frame[WS_FRAME_HEADER_MAX + WS_CONTROL_PAYLOAD_MAX];
    gsize n;
    g_autofree char *reason = NULL;
    if (ev->type == WS_EV_PING) {
        n = ws_frame_header(frame, WS_OP_PONG, TRUE, ev->len);
        memcpy(frame + n, ev->data, ev->len);
        n += ev->len;
    } else if (ev->type == WS_EV_CLOSE || ev->type == WS_EV_ERROR) {
        reason = g_strndup((const char *)ev->data, ev->len); /* a NUL ends it */
        n = ws_close_frame(frame, ev->code, reason);
        FUZZ_CHECK(n <= WS_CLOSE_FRAME_MAX, "close frame of %zu bytes", n);
    } else {
        return;
    }
    WsEvent back;
    WsReader *r = NULL;
    read_back(frame, n, &back, &r);
    if (ev->type == WS_EV_PING) {
        FUZZ_CHECK(back.type == WS_EV_PONG && back.len == ev->len &&
                       (ev->len == 0 || memcmp(back.data, ev->data, ev->len) == 0),
                   "the pong does not read back as the ping's payload");
    } else {
        gsize want = ev->code == WS_CLOSE_NO_STATUS ? 0 : strlen(reason);
        FUZZ_CHECK(back.type == WS_EV_CLOSE && back.code == ev->code && back.len == want &&
                       (want == 0 || memcmp(back.data, reason, want) == 0),
                   "close %u does not read back: type %d code %u len %zu", ev->code, back.type,
                   back.code, back.len);
    }
    ws_reader_free(r);
}

static guint32 xorshift(guint32 *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Reads the stream in pieces (0: whole, 1: byte by byte, -1: random sizes),
 * each piece in a buffer of its exact size. Answers the events as a byte
 * log in which DATA pieces are joined up to a message end or another
 * event, so that every way of cutting gives the same log. */
static GByteArray *read_stream(const guint8 *stream, gsize len, int piece, const Limits *lim)
{
    WsReader *r = ws_reader_new(lim->max_frame, lim->max_text);
    GByteArray *log = g_byte_array_new();
    guint32 rng = lim->seed * 2654435761u + 1;
    gboolean over = FALSE, joining = FALSE;
    for (gsize off = 0; off < len;) {
        gsize n = len - off;
        if (piece == 1)
            n = 1;
        else if (piece < 0) {
            guint32 x = xorshift(&rng);
            n = MIN(n, 1 + x % ((x & 0x100) ? 7 : 200));
        }
        guint8 *buf = g_memdup2(stream + off, n);
        for (gsize pos = 0; pos < n;) {
            WsEvent ev;
            gsize used = ws_reader_feed(r, buf + pos, n - pos, &ev);
            FUZZ_CHECK(used > 0 && used <= n - pos, "consumed %zu of %zu", used, n - pos);
            FUZZ_CHECK(ev.type != WS_EV_NONE || used == n - pos,
                       "no event, yet %zu of %zu bytes left", n - pos - used, n - pos);
            FUZZ_CHECK(!over || ev.type == WS_EV_NONE, "event %d after CLOSE or ERROR", ev.type);
            check_event(&ev, buf + pos, used, lim);
            if (piece == 0)
                check_answer(&ev);
            if (ev.type == WS_EV_DATA) {
                if (!joining)
                    g_byte_array_append(log, (const guint8 *)"D", 1);
                g_byte_array_append(log, ev.data, (guint)ev.len);
                joining = !ev.message_end;
                if (ev.message_end)
                    g_byte_array_append(log, (const guint8 *)"|end|", 5);
            } else if (ev.type != WS_EV_NONE) {
                joining = FALSE;
                guint8 head[8] = {'#',
                                  (guint8)ev.type,
                                  (guint8)(ev.code >> 8),
                                  (guint8)ev.code,
                                  (guint8)(ev.len >> 8),
                                  (guint8)ev.len,
                                  ':',
                                  0};
                g_byte_array_append(log, head, 7);
                if (ev.type != WS_EV_ERROR)
                    g_byte_array_append(log, ev.data, (guint)ev.len);
                over = ev.type == WS_EV_CLOSE || ev.type == WS_EV_ERROR;
            }
            pos += used;
        }
        g_free(buf);
        off += n;
    }
    WsEvent ev;
    FUZZ_CHECK(ws_reader_feed(r, NULL, 0, &ev) == 0 && ev.type == WS_EV_NONE,
               "an empty feed did something");
    ws_reader_free(r);
    return log;
}

static void check_same(GByteArray *a, GByteArray *b, const char *how)
{
    FUZZ_CHECK(a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0),
               "read whole and %s, the events differ (%u vs %u log bytes)", how, a->len, b->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    Limits lim = {FRAME_LIMITS[data[0] & 15], TEXT_LIMITS[data[0] >> 4], data[1]};
    const guint8 *stream = data + 2;
    gsize len = size - 2;
    GByteArray *whole = read_stream(stream, len, 0, &lim);
    GByteArray *random = read_stream(stream, len, -1, &lim);
    check_same(whole, random, "in random pieces");
    g_byte_array_unref(random);
    if (len <= 4096) {
        GByteArray *bytes = read_stream(stream, len, 1, &lim);
        check_same(whole, bytes, "byte by byte");
        g_byte_array_unref(bytes);
    }
    g_byte_array_unref(whole);
    return 0;
}
