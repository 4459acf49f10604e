/* WebSocket framing (server/ws_frame.c) and the upgrade handshake
 * (server/ws_handshake.c): every rule of RFC 6455 the reader enforces,
 * each stream read whole, one byte at a time and in random pieces, the
 * Autobahn testsuite's cases that apply to a server without extensions,
 * and round trips through a masked client writer. */
#include "unit.h"

#include <string.h>

#include "server/ws_frame.h"
#include "server/ws_handshake.h"

#define MAX_FRAME (1u << 20)
#define MAX_TEXT 65536
#define FIN 0x80

static const guint8 MASK[4] = {0x37, 0xfa, 0x21, 0x3d}; /* RFC 6455 5.7's example */

/* ---- a client writer ---- */

/* Length forms: the minimal one, or forced to the 16- or 64-bit form. */
enum { LEN_MIN = 0, LEN_16 = 2, LEN_64 = 8 };

/* A client frame: `b0` is FIN, RSV and opcode; masked with `mask` unless
 * it is NULL; the length written in `form`. A NULL payload writes the
 * header alone. */
static void put_frame_full(GByteArray *out, guint8 b0, const guint8 *mask, const void *payload,
                           guint64 len, int form)
{
    guint8 h[14];
    gsize n = 0;
    h[n++] = b0;
    guint8 mbit = mask ? 0x80 : 0;
    if (form == LEN_MIN && len < 126) {
        h[n++] = mbit | (guint8)len;
    } else if (form == LEN_16 || (form == LEN_MIN && len <= 0xFFFF)) {
        h[n++] = mbit | 126;
        h[n++] = (guint8)(len >> 8);
        h[n++] = (guint8)len;
    } else {
        h[n++] = mbit | 127;
        for (int i = 0; i < 8; i++)
            h[n++] = (guint8)(len >> (56 - 8 * i));
    }
    if (mask) {
        memcpy(h + n, mask, 4);
        n += 4;
    }
    g_byte_array_append(out, h, (guint)n);
    gsize at = out->len;
    if (payload && len)
        g_byte_array_append(out, payload, (guint)len);
    for (gsize i = 0; mask && payload && i < len; i++)
        out->data[at + i] ^= mask[i & 3];
}

static void put_frame(GByteArray *out, guint8 b0, const void *payload, gsize len)
{
    put_frame_full(out, b0, MASK, payload, len, LEN_MIN);
}

static void put_str(GByteArray *out, guint8 b0, const char *s)
{
    put_frame(out, b0, s, strlen(s));
}

static void put_close(GByteArray *out, guint code, const char *reason, gsize reason_len)
{
    guint8 p[256];
    p[0] = (guint8)(code >> 8);
    p[1] = (guint8)code;
    memcpy(p + 2, reason, reason_len);
    put_frame(out, FIN | WS_OP_CLOSE, p, reason_len + 2);
}

/* ---- reading back ---- */

/* An event as the tests compare it: DATA pieces are joined up to the end
 * of their message or the next other event, so that every way of cutting
 * the stream gives the same list. */
typedef struct {
    WsEventType type;
    guint16 code;
    gboolean end;
    GByteArray *data;
} Ev;

static void ev_free(gpointer p)
{
    Ev *e = p;
    g_byte_array_unref(e->data);
    g_free(e);
}

static Ev *ev_add(GPtrArray *evs, WsEventType type)
{
    Ev *e = g_new0(Ev, 1);
    e->type = type;
    e->data = g_byte_array_new();
    g_ptr_array_add(evs, e);
    return e;
}

/* Piece sizes: 0 reads the stream whole, 1 byte by byte, -1 random sizes
 * (from `seed`), any other number pieces of that size. */
static gsize next_piece(int piece, GRand *rand, gsize left)
{
    if (piece == 0)
        return left;
    if (piece > 0)
        return MIN((gsize)piece, left);
    gsize n = (gsize)g_rand_int_range(rand, 1, g_rand_boolean(rand) ? 8 : 300);
    return MIN(n, left);
}

/* Feeds `stream` in pieces, each in a buffer of its exact size (so ASan
 * sees any read beyond it), checking the feed contract on every call. */
static GPtrArray *read_stream(const guint8 *stream, gsize len, int piece, guint32 seed,
                              guint64 max_frame, gsize max_text)
{
    g_autoptr(WsReader) r = ws_reader_new(max_frame, max_text);
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    GPtrArray *evs = g_ptr_array_new_with_free_func(ev_free);
    Ev *pending = NULL; /* DATA being joined */
    gboolean over = FALSE;
    for (gsize off = 0; off < len;) {
        gsize n = next_piece(piece, rand, len - off);
        g_autofree guint8 *buf = g_memdup2(stream + off, n);
        gsize pos = 0;
        while (pos < n) {
            WsEvent ev;
            gsize used = ws_reader_feed(r, buf + pos, n - pos, &ev);
            assert_true(used > 0 && used <= n - pos);
            if (over) {
                /* After CLOSE or ERROR: everything is swallowed, silently. */
                assert_int_equal(ev.type, WS_EV_NONE);
                assert_int_equal(used, n - pos);
            }
            if (ev.type == WS_EV_NONE)
                assert_int_equal(used, n - pos);
            if (ev.type == WS_EV_DATA) {
                assert_true(ev.data >= buf + pos && ev.data + ev.len <= buf + pos + used);
                assert_true(ev.len > 0 || ev.message_end);
                if (!pending)
                    pending = ev_add(evs, WS_EV_DATA);
                g_byte_array_append(pending->data, ev.data, (guint)ev.len);
                if (ev.message_end) {
                    pending->end = TRUE;
                    pending = NULL;
                }
            } else if (ev.type != WS_EV_NONE) {
                pending = NULL;
                Ev *e = ev_add(evs, ev.type);
                e->code = ev.code;
                g_byte_array_append(e->data, ev.data, (guint)ev.len);
                if (ev.type == WS_EV_TEXT)
                    assert_int_equal(ev.data[ev.len], '\0');
                if (ev.type == WS_EV_CLOSE || ev.type == WS_EV_ERROR)
                    over = TRUE;
            }
            pos += used;
        }
        off += n;
    }
    WsEvent ev;
    assert_int_equal(ws_reader_feed(r, NULL, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_NONE);
    return evs;
}

static void assert_same_events(GPtrArray *a, GPtrArray *b)
{
    assert_int_equal(a->len, b->len);
    for (guint i = 0; i < a->len; i++) {
        Ev *x = a->pdata[i], *y = b->pdata[i];
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->code, y->code);
        assert_int_equal(x->end, y->end);
        assert_int_equal(x->data->len, y->data->len);
        assert_memory_equal(x->data->data, y->data->data, x->data->len);
    }
}

/* What a test expects; len -1 means strlen(data). ERROR events are
 * compared by code only (their reason is for people). */
typedef struct {
    WsEventType type;
    guint16 code;
    gboolean end;
    const char *data;
    gssize len;
} Want;

#define W_DATA(s, e) \
    { \
        WS_EV_DATA, 0, (e), (s), -1 \
    }
#define W_TEXT(s) \
    { \
        WS_EV_TEXT, 0, FALSE, (s), -1 \
    }
#define W_PING(s) \
    { \
        WS_EV_PING, 0, FALSE, (s), -1 \
    }
#define W_PONG(s) \
    { \
        WS_EV_PONG, 0, FALSE, (s), -1 \
    }
#define W_CLOSE(c, s) \
    { \
        WS_EV_CLOSE, (c), FALSE, (s), -1 \
    }
#define W_ERR(c) \
    { \
        WS_EV_ERROR, (c), FALSE, NULL, 0 \
    }

/* Reads `s` whole, byte by byte, in pieces of 2, 3 and 7 bytes and in
 * random pieces: all must give the same events, and `want`. */
static void expect_limits(GByteArray *s, guint64 max_frame, gsize max_text, const Want *want,
                          gsize n_want)
{
    g_autoptr(GPtrArray) whole = read_stream(s->data, s->len, 0, 0, max_frame, max_text);
    const int pieces[] = {1, 2, 3, 7, -1, -1, -1};
    for (gsize i = 0; i < G_N_ELEMENTS(pieces); i++) {
        g_autoptr(GPtrArray)
            other = read_stream(s->data, s->len, pieces[i], (guint32)i, max_frame, max_text);
        assert_same_events(whole, other);
    }
    assert_int_equal(whole->len, n_want);
    for (gsize i = 0; i < n_want; i++) {
        Ev *e = whole->pdata[i];
        assert_int_equal(e->type, want[i].type);
        assert_int_equal(e->code, want[i].code);
        if (e->type == WS_EV_ERROR) {
            assert_true(e->data->len > 0);
            continue;
        }
        assert_int_equal(e->end, want[i].end);
        gsize n = want[i].len < 0 ? strlen(want[i].data) : (gsize)want[i].len;
        assert_int_equal(e->data->len, n);
        assert_memory_equal(e->data->data, want[i].data, n);
    }
}

#define EXPECT(s, ...) \
    do { \
        const Want want_[] = {__VA_ARGS__}; \
        expect_limits((s), MAX_FRAME, MAX_TEXT, want_, G_N_ELEMENTS(want_)); \
    } while (0)

static GByteArray *stream_new(void)
{
    return g_byte_array_new();
}

/* ---- lengths and masking ---- */

/* Every length form, text and binary (Autobahn 1.1.x, 1.2.x). */
static void test_length_forms(void **state)
{
    (void)state;
    const gsize lens[] = {0, 1, 125, 126, 127, 128, 65535, 65536, 100000};
    for (gsize i = 0; i < G_N_ELEMENTS(lens); i++) {
        gsize n = lens[i];
        g_autofree char *text = g_malloc(n + 1);
        for (gsize k = 0; k < n; k++)
            text[k] = (char)('a' + k % 26);
        text[n] = '\0';
        g_autoptr(GByteArray) s = stream_new();
        put_frame(s, FIN | WS_OP_BINARY, text, n);
        put_frame(s, FIN | WS_OP_TEXT, text, n);
        const Want want[] = {{WS_EV_DATA, 0, TRUE, text, (gssize)n}, W_TEXT(text)};
        expect_limits(s, MAX_FRAME, 200000, want, 2);
    }
}

/* The 16- and 64-bit forms must be minimal: decided strict (RFC 6455 5.2
 * "MUST"; browsers comply). The top bit of a 64-bit length is an error. */
static void test_length_encodings_refused(void **state)
{
    (void)state;
    struct {
        guint64 len;
        int form;
    } bad[] = {
        {0, LEN_16},
        {125, LEN_16},
        {0, LEN_64},
        {125, LEN_64},
        {126, LEN_64},
        {65535, LEN_64},
        {G_GUINT64_CONSTANT(1) << 63, LEN_64},
        {G_MAXUINT64, LEN_64},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GByteArray) s = stream_new();
        put_frame_full(s, FIN | WS_OP_BINARY, MASK, NULL, bad[i].len, bad[i].form);
        EXPECT(s, W_ERR(1002));
    }
    /* The smallest lengths of each long form are fine. */
    g_autofree char *p = g_malloc0(65536);
    g_autoptr(GByteArray) s = stream_new();
    put_frame_full(s, FIN | WS_OP_BINARY, MASK, p, 126, LEN_16);
    put_frame_full(s, FIN | WS_OP_BINARY, MASK, p, 65536, LEN_64);
    const Want want[] = {{WS_EV_DATA, 0, TRUE, p, 126}, {WS_EV_DATA, 0, TRUE, p, 65536}};
    expect_limits(s, MAX_FRAME, MAX_TEXT, want, 2);
}

/* Pieces of one frame are unmasked where they lie, the mask continuing
 * at the right offset whatever the cut. */
static void test_mask_across_pieces(void **state)
{
    (void)state;
    guint8 payload[61];
    for (gsize i = 0; i < sizeof(payload); i++)
        payload[i] = (guint8)(i * 7 + 3);
    const guint8 masks[][4] = {{0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff}, {1, 2, 3, 4}};
    for (gsize m = 0; m < G_N_ELEMENTS(masks); m++) {
        g_autoptr(GByteArray) s = g_byte_array_new();
        put_frame_full(s, FIN | WS_OP_BINARY, masks[m], payload, sizeof(payload), LEN_MIN);
        for (gsize cut1 = 1; cut1 < s->len; cut1 += 3) {
            for (gsize cut2 = cut1; cut2 < s->len; cut2 += 5) {
                g_autoptr(WsReader) r = ws_reader_new(MAX_FRAME, MAX_TEXT);
                g_autofree guint8 *buf = g_memdup2(s->data, s->len);
                const gsize cuts[] = {0, cut1, cut2, s->len};
                GByteArray *got = g_byte_array_new();
                for (gsize c = 0; c + 1 < G_N_ELEMENTS(cuts); c++) {
                    gsize pos = cuts[c];
                    while (pos < cuts[c + 1]) {
                        WsEvent ev;
                        pos += ws_reader_feed(r, buf + pos, cuts[c + 1] - pos, &ev);
                        if (ev.type == WS_EV_DATA) {
                            /* In place: the piece is the tail of what was fed. */
                            assert_ptr_equal(ev.data + ev.len, buf + pos);
                            g_byte_array_append(got, ev.data, (guint)ev.len);
                        }
                    }
                }
                assert_int_equal(got->len, sizeof(payload));
                assert_memory_equal(got->data, payload, sizeof(payload));
                assert_memory_equal(buf + 6, payload, sizeof(payload));
                g_byte_array_unref(got);
            }
        }
    }
}

static void test_unmasked_refused(void **state)
{
    (void)state;
    const guint8 ops[] = {WS_OP_TEXT, WS_OP_BINARY, WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_autoptr(GByteArray) s = stream_new();
        put_str(s, FIN | WS_OP_TEXT, "ok");
        put_frame_full(s, FIN | ops[i], NULL, "x", 1, LEN_MIN);
        put_str(s, FIN | WS_OP_TEXT, "never read");
        EXPECT(s, W_TEXT("ok"), W_ERR(1002));
    }
}

/* ---- reserved bits, opcodes (Autobahn 3.x, 4.x) ---- */

static void test_reserved_bits(void **state)
{
    (void)state;
    for (guint rsv = 1; rsv <= 7; rsv++) {
        const guint8 ops[] = {WS_OP_TEXT, WS_OP_BINARY, WS_OP_PING, WS_OP_CLOSE};
        for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
            g_autoptr(GByteArray) s = stream_new();
            put_str(s, FIN | WS_OP_TEXT, "before");
            put_str(s, (guint8)(FIN | rsv << 4 | ops[i]), "");
            put_str(s, FIN | WS_OP_PING, "after");
            EXPECT(s, W_TEXT("before"), W_ERR(1002));
        }
    }
}

static void test_unknown_opcodes(void **state)
{
    (void)state;
    const guint8 ops[] = {3, 4, 5, 6, 7, 11, 12, 13, 14, 15};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_autoptr(GByteArray) s = stream_new();
        put_str(s, FIN | WS_OP_TEXT, "before");
        put_str(s, FIN | ops[i], "payload");
        put_str(s, FIN | WS_OP_PING, "after");
        EXPECT(s, W_TEXT("before"), W_ERR(1002));
    }
}

/* ---- control frames (Autobahn 2.x, 5.1, 5.2) ---- */

static void test_ping_pong(void **state)
{
    (void)state;
    g_autofree char *p125 = g_strnfill(125, 'p');
    const guint8 bin[] = {0x00, 0xff, 0xfe, 0x80, 0x00};
    g_autoptr(GByteArray) s = stream_new();
    put_str(s, FIN | WS_OP_PING, "");
    put_str(s, FIN | WS_OP_PING, "Hello, world!");
    put_frame(s, FIN | WS_OP_PING, bin, sizeof(bin));
    put_str(s, FIN | WS_OP_PING, p125);
    put_str(s, FIN | WS_OP_PONG, "unsolicited");
    put_str(s, FIN | WS_OP_PONG, "");
    const Want want[] = {
        W_PING(""),   W_PING("Hello, world!"), {WS_EV_PING, 0, FALSE, (const char *)bin, 5},
        W_PING(p125), W_PONG("unsolicited"),   W_PONG(""),
    };
    expect_limits(s, MAX_FRAME, MAX_TEXT, want, G_N_ELEMENTS(want));
}

static void test_control_frame_rules(void **state)
{
    (void)state;
    g_autofree char *p126 = g_strnfill(126, 'p');
    const guint8 ops[] = {WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
        /* Over 125 bytes, whatever the length form. */
        g_autoptr(GByteArray) big = stream_new();
        put_str(big, FIN | ops[i], p126);
        EXPECT(big, W_ERR(1002));
        g_autoptr(GByteArray) big64 = stream_new();
        put_frame_full(big64, FIN | ops[i], MASK, p126, 126, LEN_64);
        EXPECT(big64, W_ERR(1002));
        /* Fragmented (FIN=0), alone or continued. */
        g_autoptr(GByteArray) frag = stream_new();
        put_str(frag, ops[i], "frag");
        put_str(frag, FIN | WS_OP_CONTINUATION, "ment");
        EXPECT(frag, W_ERR(1002));
    }
}

/* ---- fragmentation (Autobahn 5.x) ---- */

static void test_fragmented_messages(void **state)
{
    (void)state;
    g_autoptr(GByteArray) s = stream_new();
    put_str(s, WS_OP_TEXT, "frag");
    put_str(s, WS_OP_CONTINUATION, "men");
    put_str(s, FIN | WS_OP_CONTINUATION, "ted");
    put_str(s, WS_OP_BINARY, "bin");
    put_str(s, FIN | WS_OP_CONTINUATION, "ary");
    /* The test joins DATA pieces up to the message's end. */
    EXPECT(s, W_TEXT("fragmented"), W_DATA("binary", TRUE));
}

/* Control frames may come between fragments (5.6-5.8, 5.19, 5.20). */
static void test_control_between_fragments(void **state)
{
    (void)state;
    g_autoptr(GByteArray) s = stream_new();
    put_str(s, WS_OP_TEXT, "fragment1");
    put_str(s, FIN | WS_OP_PING, "ping1");
    put_str(s, WS_OP_CONTINUATION, "fragment2");
    put_str(s, FIN | WS_OP_PONG, "pong");
    put_str(s, FIN | WS_OP_PING, "ping2");
    put_str(s, FIN | WS_OP_CONTINUATION, "fragment3");
    put_str(s, WS_OP_BINARY, "b1");
    put_str(s, FIN | WS_OP_PING, "ping3");
    put_str(s, FIN | WS_OP_CONTINUATION, "b2");
    put_str(s, WS_OP_TEXT, "t");
    put_close(s, 1000, "bye", 3);
    EXPECT(s, W_PING("ping1"), W_PONG("pong"), W_PING("ping2"),
           W_TEXT("fragment1fragment2fragment3"), W_DATA("b1", FALSE), W_PING("ping3"),
           W_DATA("b2", TRUE), W_CLOSE(1000, "bye"));
}

static void test_fragmentation_errors(void **state)
{
    (void)state;
    /* 5.9, 5.10: a continuation with nothing to continue. */
    g_autoptr(GByteArray) a = stream_new();
    put_str(a, FIN | WS_OP_CONTINUATION, "x");
    EXPECT(a, W_ERR(1002));
    g_autoptr(GByteArray) b = stream_new();
    put_str(b, WS_OP_CONTINUATION, "x");
    put_str(b, FIN | WS_OP_TEXT, "y");
    EXPECT(b, W_ERR(1002));
    /* 5.15: a message ended, then a continuation. */
    g_autoptr(GByteArray) c = stream_new();
    put_str(c, WS_OP_TEXT, "frag1");
    put_str(c, FIN | WS_OP_CONTINUATION, "frag2");
    put_str(c, WS_OP_CONTINUATION, "frag3");
    EXPECT(c, W_TEXT("frag1frag2"), W_ERR(1002));
    /* 5.18 and its kin: a new data frame while one is fragmented. */
    const guint8 first[] = {WS_OP_TEXT, WS_OP_BINARY};
    const guint8 second[] = {WS_OP_TEXT, WS_OP_BINARY, FIN | WS_OP_TEXT, FIN | WS_OP_BINARY};
    for (gsize i = 0; i < G_N_ELEMENTS(first); i++) {
        for (gsize k = 0; k < G_N_ELEMENTS(second); k++) {
            g_autoptr(GByteArray) d = stream_new();
            put_str(d, first[i], "");
            put_str(d, second[k], "x");
            EXPECT(d, W_ERR(1002));
        }
    }
}

/* 6.1: empty fragments; an empty binary message still says where it ends. */
static void test_empty_fragments(void **state)
{
    (void)state;
    g_autoptr(GByteArray) s = stream_new();
    put_str(s, FIN | WS_OP_TEXT, "");
    put_str(s, WS_OP_TEXT, "");
    put_str(s, WS_OP_CONTINUATION, "");
    put_str(s, FIN | WS_OP_CONTINUATION, "");
    put_str(s, WS_OP_TEXT, "");
    put_str(s, WS_OP_CONTINUATION, "middle");
    put_str(s, FIN | WS_OP_CONTINUATION, "");
    put_str(s, FIN | WS_OP_BINARY, "");
    put_str(s, WS_OP_BINARY, "");
    put_str(s, FIN | WS_OP_CONTINUATION, "");
    put_str(s, WS_OP_BINARY, "x");
    put_str(s, FIN | WS_OP_CONTINUATION, "");
    EXPECT(s, W_TEXT(""), W_TEXT(""), W_TEXT("middle"), W_DATA("", TRUE), W_DATA("", TRUE),
           W_DATA("x", TRUE));
}

/* ---- limits ---- */

static void test_frame_limit(void **state)
{
    (void)state;
    g_autofree char *p = g_strnfill(1000, 'z');
    g_autoptr(GByteArray) ok = stream_new();
    put_frame(ok, WS_OP_BINARY, p, 1000);
    put_frame(ok, FIN | WS_OP_CONTINUATION, p, 1000);
    put_frame(ok, FIN | WS_OP_TEXT, p, 1000);
    g_autofree char *p2000 = g_strnfill(2000, 'z');
    const Want want[] = {{WS_EV_DATA, 0, TRUE, p2000, 2000}, W_TEXT(p)};
    expect_limits(ok, 1000, MAX_TEXT, want, 2);

    const guint8 ops[] = {FIN | WS_OP_BINARY, FIN | WS_OP_TEXT, WS_OP_BINARY};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
        g_autoptr(GByteArray) s = stream_new();
        put_frame(s, ops[i], p, 1000);
        const Want w_err[] = {W_ERR(1009)};
        expect_limits(s, 999, MAX_TEXT, w_err, 1);
    }
    /* Refused from the header alone, before a payload byte arrives. */
    g_autoptr(WsReader) r = ws_reader_new(999, MAX_TEXT);
    g_autoptr(GByteArray) s = stream_new();
    put_frame_full(s, FIN | WS_OP_BINARY, MASK, NULL, G_MAXINT64, LEN_64);
    WsEvent ev;
    assert_int_equal(ws_reader_feed(r, s->data, 10, &ev), 10);
    assert_int_equal(ev.type, WS_EV_ERROR);
    assert_int_equal(ev.code, 1009);
}

static void test_text_limit(void **state)
{
    (void)state;
    g_autofree char *p = g_strnfill(100, 't');
    g_autofree char *p300 = g_strnfill(300, 't');
    g_autoptr(GByteArray) ok = stream_new();
    put_frame(ok, WS_OP_TEXT, p, 100);
    put_frame(ok, FIN | WS_OP_PING, "", 0);
    put_frame(ok, WS_OP_CONTINUATION, p, 100);
    put_frame(ok, FIN | WS_OP_CONTINUATION, p, 100);
    put_frame(ok, FIN | WS_OP_TEXT, p300, 300);
    const Want want[] = {W_PING(""), W_TEXT(p300), W_TEXT(p300)};
    expect_limits(ok, MAX_FRAME, 300, want, 3);

    g_autoptr(GByteArray) big = stream_new();
    put_frame(big, WS_OP_TEXT, p, 100);
    put_frame(big, WS_OP_CONTINUATION, p, 100);
    put_frame(big, FIN | WS_OP_CONTINUATION, p, 100);
    const Want w_err[] = {W_ERR(1009)};
    expect_limits(big, MAX_FRAME, 299, w_err, 1);
    /* Binary messages are streamed: only their frames are limited. */
    g_autoptr(GByteArray) bin = stream_new();
    put_frame(bin, WS_OP_BINARY, p, 100);
    put_frame(bin, WS_OP_CONTINUATION, p, 100);
    put_frame(bin, FIN | WS_OP_CONTINUATION, p, 100);
    const Want w_bin[] = {{WS_EV_DATA, 0, TRUE, p300, 300}};
    expect_limits(bin, 100, 10, w_bin, 1);
}

/* A header alone promises nothing: without limits, a text frame that
 * claims 2^40 bytes makes the reader hold only the bytes that came (an
 * allocation of the claim aborts under ASan and glibc alike). */
static void test_text_claim_not_allocated(void **state)
{
    (void)state;
    g_autoptr(WsReader) r = ws_reader_new(G_MAXINT64, G_MAXSIZE);
    g_autoptr(GByteArray) s = stream_new();
    put_frame_full(s, FIN | WS_OP_TEXT, MASK, NULL, (guint64)1 << 40, LEN_64);
    for (int i = 0; i < 5; i++) { /* "hello", masked */
        guint8 b = (guint8)("hello"[i] ^ MASK[i & 3]);
        g_byte_array_append(s, &b, 1);
    }
    WsEvent ev;
    assert_int_equal(ws_reader_feed(r, s->data, s->len, &ev), s->len);
    assert_int_equal(ev.type, WS_EV_NONE);
}

/* ---- UTF-8 (Autobahn 6.x) ---- */

/* GLib's validator, which refuses NUL where WebSocket allows it: the
 * reference the reader's own incremental check is compared with. */
static gboolean reference_utf8(const char *s, gsize n)
{
    const char *end = s + n;
    while (s < end) {
        const char *nul = memchr(s, '\0', (gsize)(end - s));
        gsize seg = (gsize)((nul ? nul : end) - s);
        if (!g_utf8_validate_len(s, seg, NULL))
            return FALSE;
        s += seg + (nul ? 1 : 0);
    }
    return TRUE;
}

typedef struct {
    const char *s;
    gsize n;
} Sample;
#define S(lit) \
    { \
        (lit), sizeof(lit) - 1 \
    }

static const Sample VALID_UTF8[] = {
    /* 6.2 */
    S("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"),
    /* 6.5.1 κόσμε */
    S("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
    /* 6.7 firsts */
    S("\x00"),
    S("\xc2\x80"),
    S("\xe0\xa0\x80"),
    S("\xf0\x90\x80\x80"),
    /* 6.8 lasts */
    S("\x7f"),
    S("\xdf\xbf"),
    S("\xef\xbf\xbf"),
    S("\xf4\x8f\xbf\xbf"),
    /* 6.9 boundaries */
    S("\xed\x9f\xbf"),
    S("\xee\x80\x80"),
    S("\xef\xbf\xbd"),
    /* 6.22: noncharacters are valid UTF-8 */
    S("\xef\xbf\xbe"),
    S("\xef\xb7\x90"),
    S("\xf0\x9f\xbf\xbe"),
    S("\xf4\x8f\xbf\xbe"),
    S("a\x00"
      "b"),
    S(""),
};

static const Sample INVALID_UTF8[] = {
    /* 6.3 surrogate */
    S("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
      "edited"),
    /* 6.7.3-4, 6.8 */
    S("\xf8\x88\x80\x80\x80"),
    S("\xfc\x84\x80\x80\x80\x80"),
    /* above U+10FFFF */
    S("\xf4\x90\x80\x80"),
    S("\xf7\xbf\xbf\xbf"),
    /* 6.12 */
    S("\x80"),
    S("\xbf"),
    S("\x80\xbf"),
    S("\x80\xbf\x80"),
    /* 6.13 lonely starts */
    S("\xc0 "),
    S("\xe0 "),
    S("\xf0 "),
    S("\xf8 "),
    S("\xfc "),
    /* 6.14: the last continuation byte missing */
    S("\xc0"),
    S("\xe0\x80"),
    S("\xf0\x80\x80"),
    S("\xdf"),
    S("\xef\xbf"),
    S("\xf7\xbf\xbf"),
    /* 6.16 impossible */
    S("\xfe"),
    S("\xff"),
    S("\xfe\xfe\xff\xff"),
    /* 6.17 overlong / */
    S("\xc0\xaf"),
    S("\xe0\x80\xaf"),
    S("\xf0\x80\x80\xaf"),
    /* 6.18 max overlong */
    S("\xc1\xbf"),
    S("\xe0\x9f\xbf"),
    S("\xf0\x8f\xbf\xbf"),
    /* 6.19 overlong NUL */
    S("\xc0\x80"),
    S("\xe0\x80\x80"),
    S("\xf0\x80\x80\x80"),
    /* 6.20 surrogates */
    S("\xed\xa0\x80"),
    S("\xed\xad\xbf"),
    S("\xed\xae\x80"),
    S("\xed\xbf\xbf"),
    /* 6.21 pairs */
    S("\xed\xa0\x80\xed\xb0\x80"),
    S("\xed\xaf\xbf\xed\xbf\xbf"),
    S("\xf5\x80\x80\x80"),
    S("\xc2\x41"),
};

/* 6.2-6.9, 6.22: valid text in one frame, and cut into two fragments at
 * every byte, a code point split between them included (6.6). */
static void test_utf8_valid(void **state)
{
    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(VALID_UTF8); i++) {
        const char *t = VALID_UTF8[i].s;
        gsize n = VALID_UTF8[i].n;
        assert_true(reference_utf8(t, n));
        for (gsize cut = 0; cut <= n; cut++) {
            g_autoptr(GByteArray) s = stream_new();
            put_frame(s, WS_OP_TEXT, t, cut);
            put_frame(s, FIN | WS_OP_PING, "", 0);
            put_frame(s, FIN | WS_OP_CONTINUATION, t + cut, n - cut);
            const Want want[] = {W_PING(""), {WS_EV_TEXT, 0, FALSE, t, (gssize)n}};
            expect_limits(s, MAX_FRAME, MAX_TEXT, want, 2);
        }
    }
}

/* 6.3, 6.7-6.21: invalid text is 1007, whole or cut into two fragments
 * anywhere; the reference validator agrees on every sample. */
static void test_utf8_invalid(void **state)
{
    (void)state;
    for (gsize i = 0; i < G_N_ELEMENTS(INVALID_UTF8); i++) {
        const char *t = INVALID_UTF8[i].s;
        gsize n = INVALID_UTF8[i].n;
        assert_false(reference_utf8(t, n));
        for (gsize cut = 0; cut <= n; cut++) {
            g_autoptr(GByteArray) s = stream_new();
            put_frame(s, WS_OP_TEXT, t, cut);
            put_frame(s, FIN | WS_OP_CONTINUATION, t + cut, n - cut);
            put_str(s, FIN | WS_OP_PING, "never");
            EXPECT(s, W_ERR(1007));
        }
    }
}

/* 6.4: fail fast: the error comes at the bad byte, not at the end of the
 * frame or message. */
static void test_utf8_fails_fast(void **state)
{
    (void)state;
    g_autofree char *text = g_strnfill(1000, 'a');
    memcpy(text + 10, "\xed\xa0\x80", 3);
    g_autoptr(GByteArray) s = stream_new();
    put_frame(s, FIN | WS_OP_TEXT, text, 1000);
    g_autoptr(WsReader) r = ws_reader_new(MAX_FRAME, MAX_TEXT);
    WsEvent ev;
    gsize used = ws_reader_feed(r, s->data, s->len, &ev);
    assert_int_equal(ev.type, WS_EV_ERROR);
    assert_int_equal(ev.code, 1007);
    assert_int_equal(used, 8 + 12); /* header, 10 good bytes, ED, A0 */
}

/* Random byte strings: the reader's verdict is the reference's. */
static void test_utf8_random(void **state)
{
    (void)state;
    g_autoptr(GRand) rand = g_rand_new_with_seed(6);
    static const guint8 alphabet[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0,
                                      0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed,
                                      0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
    for (int round = 0; round < 20000; round++) {
        guint8 t[8];
        gsize n = (gsize)g_rand_int_range(rand, 1, sizeof(t) + 1);
        for (gsize k = 0; k < n; k++)
            t[k] = alphabet[g_rand_int_range(rand, 0, G_N_ELEMENTS(alphabet))];
        gboolean valid = reference_utf8((const char *)t, n);
        g_autoptr(GByteArray) s = stream_new();
        gsize cut = (gsize)g_rand_int_range(rand, 0, (gint32)n + 1);
        put_frame(s, WS_OP_TEXT, t, cut);
        put_frame(s, FIN | WS_OP_CONTINUATION, t + cut, n - cut);
        g_autoptr(GPtrArray) evs = read_stream(s->data, s->len, 0, 0, MAX_FRAME, MAX_TEXT);
        assert_int_equal(evs->len, 1);
        Ev *e = evs->pdata[0];
        assert_int_equal(e->type, valid ? WS_EV_TEXT : WS_EV_ERROR);
        if (!valid)
            assert_int_equal(e->code, 1007);
    }
}

/* ---- close (Autobahn 7.x) ---- */

static void test_close_frames(void **state)
{
    (void)state;
    g_autoptr(GByteArray) empty = stream_new();
    put_str(empty, FIN | WS_OP_CLOSE, "");
    EXPECT(empty, W_CLOSE(1005, ""));
    g_autoptr(GByteArray) one = stream_new();
    put_str(one, FIN | WS_OP_CLOSE, "\x03");
    EXPECT(one, W_ERR(1002));
    g_autoptr(GByteArray) reason = stream_new();
    put_close(reason, 1000, "Hello World!", 12);
    EXPECT(reason, W_CLOSE(1000, "Hello World!"));
    g_autofree char *r123 = g_strnfill(123, 'r');
    g_autoptr(GByteArray) longest = stream_new();
    put_close(longest, 1001, r123, 123);
    EXPECT(longest, W_CLOSE(1001, r123));
    g_autoptr(GByteArray) too_long = stream_new();
    put_close(too_long, 1000, r123, 124); /* 126 bytes of payload */
    EXPECT(too_long, W_ERR(1002));
    g_autoptr(GByteArray) bad_reason = stream_new();
    put_close(bad_reason, 1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", 14);
    EXPECT(bad_reason, W_ERR(1007));
    g_autoptr(GByteArray) cut_reason = stream_new();
    put_close(cut_reason, 1000, "\xce", 1);
    EXPECT(cut_reason, W_ERR(1007));
}

/* 7.7 valid codes, 7.9 and 7.13 invalid ones. */
static void test_close_codes(void **state)
{
    (void)state;
    const guint valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                           1010, 1011, 3000, 3999, 4000, 4999};
    for (gsize i = 0; i < G_N_ELEMENTS(valid); i++) {
        g_autoptr(GByteArray) s = stream_new();
        put_close(s, valid[i], "", 0);
        EXPECT(s, W_CLOSE((guint16)valid[i], ""));
    }
    const guint invalid[] = {0,    999,  1004, 1005, 1006, 1012, 1013, 1014,
                             1015, 1016, 1100, 2000, 2999, 5000, 65535};
    for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
        g_autoptr(GByteArray) s = stream_new();
        put_close(s, invalid[i], "x", 1);
        EXPECT(s, W_ERR(1002));
    }
}

/* 7.1.x: nothing after a close counts; nor after an error. */
static void test_nothing_after_close(void **state)
{
    (void)state;
    g_autoptr(GByteArray) s = stream_new();
    put_str(s, FIN | WS_OP_TEXT, "first");
    put_close(s, 1000, "", 0);
    put_close(s, 1000, "", 0);
    put_str(s, FIN | WS_OP_PING, "ping");
    put_str(s, FIN | WS_OP_TEXT, "text");
    put_frame_full(s, 0xff, NULL, "junk", 4, LEN_MIN);
    EXPECT(s, W_TEXT("first"), W_CLOSE(1000, ""));
    g_autoptr(GByteArray) e = stream_new();
    put_str(e, FIN | 0x40 | WS_OP_TEXT, "rsv1");
    put_str(e, FIN | WS_OP_TEXT, "text");
    put_close(e, 1000, "", 0);
    EXPECT(e, W_ERR(1002));
}

/* ---- round trips ---- */

/* Random conversations: text and binary messages, fragmented or not, with
 * pings and pongs between fragments, each frame with its own mask and lengths
 * of every form; read back in random pieces, they come out as sent. */
static void test_round_trip(void **state)
{
    (void)state;
    g_autoptr(GRand) rand = g_rand_new_with_seed(6455);
    for (int round = 0; round < 200; round++) {
        g_autoptr(GByteArray) s = stream_new();
        g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(ev_free);
        int messages = g_rand_int_range(rand, 1, 8);
        for (int m = 0; m < messages; m++) {
            gboolean text = g_rand_boolean(rand);
            gsize total = (gsize)g_rand_int_range(rand, 0, g_rand_boolean(rand) ? 40 : 70000);
            g_autofree guint8 *msg = g_malloc(total + 1);
            for (gsize k = 0; k < total; k++)
                msg[k] = text ? (guint8)g_rand_int_range(rand, 0x20, 0x7f)
                              : (guint8)g_rand_int_range(rand, 0, 256);
            int frags = g_rand_int_range(rand, 1, 5);
            gsize at = 0;
            for (int f = 0; f < frags; f++) {
                gboolean last = f == frags - 1;
                gsize n = last ? total - at
                               : (gsize)g_rand_int_range(rand, 0, (gint32)(total - at) + 1);
                guint8 op = f == 0 ? (text ? WS_OP_TEXT : WS_OP_BINARY) : WS_OP_CONTINUATION;
                guint8 mask[4];
                for (int k = 0; k < 4; k++)
                    mask[k] = (guint8)g_rand_int_range(rand, 0, 256);
                put_frame_full(s, (guint8)((last ? FIN : 0) | op), mask, msg + at, n, LEN_MIN);
                if (!text && (n > 0 || last)) {
                    Ev *e = want->len ? want->pdata[want->len - 1] : NULL;
                    if (!e || e->type != WS_EV_DATA || e->end)
                        e = ev_add(want, WS_EV_DATA);
                    g_byte_array_append(e->data, msg + at, (guint)n);
                    e->end = last;
                }
                at += n;
                if (!last && g_rand_boolean(rand)) {
                    guint8 op2 = g_rand_boolean(rand) ? WS_OP_PING : WS_OP_PONG;
                    gsize pn = (gsize)g_rand_int_range(rand, 0, 126);
                    put_frame_full(s, FIN | op2, mask, msg, MIN(pn, total), LEN_MIN);
                    Ev *e = ev_add(want, op2 == WS_OP_PING ? WS_EV_PING : WS_EV_PONG);
                    g_byte_array_append(e->data, msg, (guint)MIN(pn, total));
                }
            }
            if (text) {
                Ev *e = ev_add(want, WS_EV_TEXT);
                g_byte_array_append(e->data, msg, (guint)total);
            }
        }
        put_close(s, 4000 + (guint)round, "done", 4);
        Ev *e = ev_add(want, WS_EV_CLOSE);
        e->code = (guint16)(4000 + round);
        g_byte_array_append(e->data, (const guint8 *)"done", 4);
        g_autoptr(GPtrArray)
            got = read_stream(s->data, s->len, -1, (guint32)round, MAX_FRAME, 100000);
        assert_same_events(got, want);
    }
}

/* ---- the writer ---- */

/* A server frame read back: masked with a zero mask, which leaves the
 * payload alone, so the reader accepts it. */
static GPtrArray *read_server_frame(const guint8 *frame, gsize len)
{
    g_autoptr(GByteArray) s = g_byte_array_new();
    gsize h = (frame[1] & 0x7f) == 127 ? 10 : (frame[1] & 0x7f) == 126 ? 4 : 2;
    g_byte_array_append(s, frame, (guint)h);
    s->data[1] |= 0x80;
    const guint8 zero[4] = {0};
    g_byte_array_append(s, zero, 4);
    g_byte_array_append(s, frame + h, (guint)(len - h));
    return read_stream(s->data, s->len, 1, 0, G_MAXUINT64, MAX_TEXT);
}

static void test_frame_header(void **state)
{
    (void)state;
    guint8 out[WS_FRAME_HEADER_MAX];
    assert_int_equal(ws_frame_header(out, WS_OP_BINARY, TRUE, 0), 2);
    assert_memory_equal(out, "\x82\x00", 2);
    assert_int_equal(ws_frame_header(out, WS_OP_TEXT, FALSE, 125), 2);
    assert_memory_equal(out, "\x01\x7d", 2);
    assert_int_equal(ws_frame_header(out, WS_OP_CONTINUATION, TRUE, 126), 4);
    assert_memory_equal(out, "\x80\x7e\x00\x7e", 4);
    assert_int_equal(ws_frame_header(out, WS_OP_BINARY, TRUE, 65535), 4);
    assert_memory_equal(out, "\x82\x7e\xff\xff", 4);
    assert_int_equal(ws_frame_header(out, WS_OP_BINARY, TRUE, 65536), 10);
    assert_memory_equal(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    assert_int_equal(ws_frame_header(out, WS_OP_BINARY, TRUE, G_GUINT64_CONSTANT(0x0102030405)),
                     10);
    assert_memory_equal(out, "\x82\x7f\x00\x00\x00\x01\x02\x03\x04\x05", 10);
    assert_int_equal(ws_frame_header(out, WS_OP_PONG, TRUE, 5), 2);
    assert_memory_equal(out, "\x8a\x05", 2);
    /* Each form read back by the reader gives the payload it announced. */
    const gsize lens[] = {0, 125, 126, 65535, 65536};
    for (gsize i = 0; i < G_N_ELEMENTS(lens); i++) {
        g_autoptr(GByteArray) f = g_byte_array_new();
        gsize h = ws_frame_header(out, WS_OP_BINARY, TRUE, lens[i]);
        g_byte_array_append(f, out, (guint)h);
        g_autofree guint8 *p = g_malloc0(lens[i] + 1);
        g_byte_array_append(f, p, (guint)lens[i]);
        g_autoptr(GPtrArray) evs = read_server_frame(f->data, f->len);
        assert_int_equal(evs->len, 1);
        assert_int_equal(((Ev *)evs->pdata[0])->data->len, lens[i]);
    }
}

static void test_close_frame_writer(void **state)
{
    (void)state;
    guint8 out[WS_CLOSE_FRAME_MAX];
    gsize n = ws_close_frame(out, 1000, "bye");
    assert_int_equal(n, 7);
    assert_memory_equal(out,
                        "\x88\x05\x03\xe8"
                        "bye",
                        7);
    assert_int_equal(ws_close_frame(out, 1009, NULL), 4);
    assert_memory_equal(out, "\x88\x02\x03\xf1", 4);
    /* 1005 is "no code": echoed as an empty close. */
    assert_int_equal(ws_close_frame(out, WS_CLOSE_NO_STATUS, "ignored"), 2);
    assert_memory_equal(out, "\x88\x00", 2);
    /* A long reason is cut to 123 bytes, never inside a character. */
    g_autofree char *ascii = g_strnfill(200, 'a');
    assert_int_equal(ws_close_frame(out, 1000, ascii), WS_CLOSE_FRAME_MAX);
    g_autofree char *base = g_strnfill(122, 'a');
    g_autofree char *accent = g_strconcat(base, "\xc3\xa9", NULL); /* 124 bytes */
    n = ws_close_frame(out, 4001, accent);
    assert_int_equal(n, 4 + 122);
    g_autoptr(GPtrArray) evs = read_server_frame(out, n);
    assert_int_equal(evs->len, 1);
    Ev *e = evs->pdata[0];
    assert_int_equal(e->type, WS_EV_CLOSE);
    assert_int_equal(e->code, 4001);
    assert_int_equal(e->data->len, 122);
    g_autofree char *euro = g_strconcat(base, "\xe2\x82\xac", NULL);
    assert_int_equal(ws_close_frame(out, 1000, euro), 4 + 122);
}

/* ---- the handshake ---- */

static const char *const SUPPORTED[] = {"binary", "vireo.serial", NULL};

static gboolean check(const char *method, const char *upgrade, const char *connection,
                      const char *version, const char *key, const char *offered,
                      const char **protocol, GError **error)
{
    return ws_handshake_check(method, upgrade, connection, version, key, offered, SUPPORTED,
                              protocol, error);
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static void test_accept_value(void **state)
{
    (void)state;
    /* RFC 6455 1.3's example (and MDN's, and Python's hashlib). */
    g_autofree char *accept = ws_accept_value(KEY);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    g_autofree char *other = ws_accept_value("x3JJHMbDL1EzLkh9GBhXDw==");
    assert_string_equal(other, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

static void test_handshake_accepts(void **state)
{
    (void)state;
    const char *proto = "unset";
    g_autoptr(GError) error = NULL;
    assert_true(check("GET", "websocket", "Upgrade", "13", KEY, NULL, &proto, &error));
    assert_null(proto);
    /* Firefox's Connection list; case-insensitive tokens; blanks. */
    assert_true(
        check("GET", "WebSocket", "keep-alive, Upgrade", "13", KEY, "binary", &proto, &error));
    assert_string_equal(proto, "binary");
    assert_true(check("GET", "h2c,  websocket ", "upgrade,keep-alive", "13",
                      "AAAAAAAAAAAAAAAAAAAAAA==", " base64 ,vireo.serial, binary", &proto, &error));
    assert_ptr_equal(proto, SUPPORTED[1]);
    /* No match is no protocol, not an error; nor is a NULL list. */
    assert_true(check("GET", "websocket", "Upgrade", "13", KEY, "chat, Binary", &proto, &error));
    assert_null(proto);
    assert_true(ws_handshake_check("GET", "websocket", "Upgrade", "13", KEY, "binary", NULL, &proto,
                                   &error));
    assert_null(proto);
    assert_true(ws_handshake_check("GET", "websocket", "Upgrade", "13", KEY, "binary", SUPPORTED,
                                   NULL, &error));
    assert_null(error);
}

static void test_handshake_refuses(void **state)
{
    (void)state;
    enum { BAD = G_IO_ERROR_INVALID_ARGUMENT, VERSION = G_IO_ERROR_NOT_SUPPORTED };
    struct {
        const char *method, *upgrade, *connection, *version, *key;
        int code;
    } bad[] = {
        {"POST", "websocket", "Upgrade", "13", KEY, BAD},
        {"get", "websocket", "Upgrade", "13", KEY, BAD},
        {NULL, "websocket", "Upgrade", "13", KEY, BAD},
        {"GET", NULL, "Upgrade", "13", KEY, BAD},
        {"GET", "websockets", "Upgrade", "13", KEY, BAD},
        {"GET", "websocket/13", "Upgrade", "13", KEY, BAD},
        {"GET", "", "Upgrade", "13", KEY, BAD},
        {"GET", "websocket", NULL, "13", KEY, BAD},
        {"GET", "websocket", "keep-alive", "13", KEY, BAD},
        {"GET", "websocket", "Upgraded", "13", KEY, BAD},
        {"GET", "websocket", "Upgrade", NULL, KEY, BAD},
        {"GET", "websocket", "Upgrade", "13", NULL, BAD},
        {"GET", "websocket", "Upgrade", "13", "", BAD},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ=", BAD},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ===", BAD},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQA=", BAD},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25j-Q==", BAD},
        {"GET", "websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZSBi", BAD},
        {"GET", "websocket", "Upgrade", "8", KEY, VERSION},
        {"GET", "websocket", "Upgrade", "13, 8", KEY, VERSION},
        {"GET", "websocket", "Upgrade", "", KEY, VERSION},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *proto = "unset";
        g_autoptr(GError) error = NULL;
        assert_false(check(bad[i].method, bad[i].upgrade, bad[i].connection, bad[i].version,
                           bad[i].key, "binary", &proto, &error));
        assert_null(proto);
        assert_true(g_error_matches(error, G_IO_ERROR, bad[i].code));
        assert_true(strlen(error->message) > 10);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_forms),
        cmocka_unit_test(test_length_encodings_refused),
        cmocka_unit_test(test_mask_across_pieces),
        cmocka_unit_test(test_unmasked_refused),
        cmocka_unit_test(test_reserved_bits),
        cmocka_unit_test(test_unknown_opcodes),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_control_frame_rules),
        cmocka_unit_test(test_fragmented_messages),
        cmocka_unit_test(test_control_between_fragments),
        cmocka_unit_test(test_fragmentation_errors),
        cmocka_unit_test(test_empty_fragments),
        cmocka_unit_test(test_frame_limit),
        cmocka_unit_test(test_text_limit),
        cmocka_unit_test(test_text_claim_not_allocated),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_utf8_fails_fast),
        cmocka_unit_test(test_utf8_random),
        cmocka_unit_test(test_close_frames),
        cmocka_unit_test(test_close_codes),
        cmocka_unit_test(test_nothing_after_close),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_frame_header),
        cmocka_unit_test(test_close_frame_writer),
        cmocka_unit_test(test_accept_value),
        cmocka_unit_test(test_handshake_accepts),
        cmocka_unit_test(test_handshake_refuses),
    };
    return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
