/* RFC 6455 frames, server side: a streaming reader that validates every
 * rule a server must enforce on what a browser sends, and the writers of
 * server frame headers and close frames. No I/O, no allocation per frame. */
#include "server/ws_frame.h"

#include <string.h>

/* Where the reader is in the byte stream. */
enum { RD_HEADER, RD_PAYLOAD, RD_DONE };
/* What the frame being read carries. */
enum { FR_BINARY, FR_TEXT, FR_CONTROL };

/* An incremental UTF-8 check (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF): `need` continuation bytes still to come, the
 * next of which must lie in [lo, hi]. Incremental so that a code point may
 * straddle frames and bad text fails at its first bad byte. */
typedef struct {
    guint8 need;
    guint8 lo;
    guint8 hi;
} Utf8Check;

struct WsReader {
    guint64 max_frame_payload;
    gsize max_text_message;
    int state;

    /* The frame being read. The header is collected here because it may
     * arrive in pieces: 2 bytes, 0/2/8 of length, 4 of mask. */
    guint8 header[14];
    guint header_have;
    guint header_need;
    guint8 opcode;
    gboolean fin;
    int kind;
    guint8 mask[4];
    guint64 left;      /* payload bytes still to come */
    guint mask_offset; /* payload bytes seen so far, modulo 4 */

    /* The data message under way (WS_OP_TEXT or WS_OP_BINARY), or 0.
     * It outlives the frames, so control frames may come in between. */
    guint8 message;
    guint8 *text; /* the text message so far, grown on demand, kept */
    gsize text_len;
    gsize text_cap;
    Utf8Check utf8;

    guint8 control[WS_CONTROL_PAYLOAD_MAX + 1];
    gsize control_len;
};

WsReader *ws_reader_new(guint64 max_frame_payload, gsize max_text_message)
{
    WsReader *r = g_new0(WsReader, 1);
    r->max_frame_payload = max_frame_payload;
    /* The text buffer holds the message and a NUL. */
    r->max_text_message = MIN(max_text_message, G_MAXSIZE - 1);
    r->state = RD_HEADER;
    r->header_need = 2;
    return r;
}

void ws_reader_free(WsReader *r)
{
    if (!r)
        return;
    g_free(r->text);
    g_free(r);
}

/* Checks p[0..n) against the running state; answers how many bytes are
 * good (n when all are). */
static gsize utf8_check(Utf8Check *u, const guint8 *p, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        guint8 b = p[i];
        if (u->need) {
            if (b < u->lo || b > u->hi)
                return i;
            u->need--;
            u->lo = 0x80;
            u->hi = 0xBF;
            continue;
        }
        if (b < 0x80)
            continue;
        u->lo = 0x80;
        u->hi = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            u->need = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            u->need = 2;
            if (b == 0xE0)
                u->lo = 0xA0; /* overlong below U+0800 */
            else if (b == 0xED)
                u->hi = 0x9F; /* U+D800..DFFF are surrogates */
        } else if (b >= 0xF0 && b <= 0xF4) {
            u->need = 3;
            if (b == 0xF0)
                u->lo = 0x90; /* overlong below U+10000 */
            else if (b == 0xF4)
                u->hi = 0x8F; /* above U+10FFFF */
        } else {
            return i; /* continuation byte, C0, C1, F5..FF */
        }
    }
    return n;
}

static gboolean utf8_valid(const guint8 *p, gsize n)
{
    Utf8Check u = {0};
    return utf8_check(&u, p, n) == n && u.need == 0;
}

/* XOR with the mask, continuing at `*offset` where the previous piece of
 * the same frame stopped. Eight bytes at a time: the console's bulk path. */
static void unmask(guint8 *p, gsize n, const guint8 mask[4], guint *offset)
{
    guint o = *offset;
    gsize i = 0;
    if (n >= 16) {
        guint8 wide[8];
        for (guint k = 0; k < 8; k++)
            wide[k] = mask[(o + k) & 3];
        guint64 m;
        memcpy(&m, wide, 8);
        for (; i + 8 <= n; i += 8) {
            guint64 w;
            memcpy(&w, p + i, 8);
            w ^= m;
            memcpy(p + i, &w, 8);
        }
    }
    for (; i < n; i++)
        p[i] ^= mask[(o + i) & 3];
    *offset = (guint)((o + n) & 3);
}

/* Ends the connection for the reader with an ERROR event. Always TRUE,
 * so that callers can `return fail(...)` from an event-or-not check. */
static gboolean fail(WsReader *r, WsEvent *ev, guint16 code, const char *why)
{
    r->state = RD_DONE;
    ev->type = WS_EV_ERROR;
    ev->code = code;
    ev->data = (const guint8 *)why;
    ev->len = strlen(why);
    return TRUE;
}

static void next_frame(WsReader *r)
{
    r->state = RD_HEADER;
    r->header_have = 0;
    r->header_need = 2;
}

/* The first header byte: FIN, RSV, opcode, and whether that opcode may
 * come now. TRUE with an ERROR event when it may not. */
static gboolean check_first_byte(WsReader *r, WsEvent *ev)
{
    guint8 b = r->header[0];
    r->fin = (b & 0x80) != 0;
    r->opcode = b & 0x0F;
    /* No extension is ever negotiated, so no RSV bit has a meaning. */
    if (b & 0x70)
        return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "reserved bits set");
    switch (r->opcode) {
    case WS_OP_CONTINUATION:
        if (!r->message)
            return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "continuation without a message");
        r->kind = r->message == WS_OP_TEXT ? FR_TEXT : FR_BINARY;
        return FALSE;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (r->message)
            return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one");
        r->kind = r->opcode == WS_OP_TEXT ? FR_TEXT : FR_BINARY;
        return FALSE;
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!r->fin)
            return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "fragmented control frame");
        r->kind = FR_CONTROL;
        return FALSE;
    default: return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "unknown opcode");
    }
}

/* The payload length is known: the limits, before any payload is read. */
static gboolean check_length(WsReader *r, WsEvent *ev, guint64 length)
{
    if (length > r->max_frame_payload)
        return fail(r, ev, WS_CLOSE_TOO_BIG, "frame too big");
    if (r->kind == FR_TEXT) {
        gsize so_far = r->opcode == WS_OP_TEXT ? 0 : r->text_len;
        if (length > r->max_text_message - so_far)
            return fail(r, ev, WS_CLOSE_TOO_BIG, "text message too big");
    }
    r->left = length;
    return FALSE;
}

/* The second header byte: the mask bit and the 7-bit length. */
static gboolean check_second_byte(WsReader *r, WsEvent *ev)
{
    guint8 b = r->header[1];
    guint8 len7 = b & 0x7F;
    if (!(b & 0x80))
        return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "unmasked client frame");
    if (r->kind == FR_CONTROL && len7 > WS_CONTROL_PAYLOAD_MAX)
        return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "control frame over 125 bytes");
    r->header_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
    return len7 < 126 ? check_length(r, ev, len7) : FALSE;
}

/* The 16- or 64-bit length. RFC 6455 5.2 says the minimal encoding MUST
 * be used; browsers do, so a longer one is refused rather than guessed at. */
static gboolean check_extended_length(WsReader *r, WsEvent *ev)
{
    guint64 length = 0;
    guint n = r->header_need - 6;
    for (guint i = 0; i < n; i++)
        length = length << 8 | r->header[2 + i];
    if (n == 8 && (length >> 63))
        return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "64-bit length with the top bit set");
    if (length < (n == 2 ? 126 : 0x10000))
        return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "length not minimally encoded");
    return check_length(r, ev, length);
}

/* Makes room for `extra` more bytes of text and the NUL. Called as the
 * payload arrives, not for the length a header claims: a peer that sends
 * a header alone must not make the reader allocate what it promised. The
 * buffer grows geometrically up to the limit and is kept: an allocation
 * happens only when a message is longer than any before it. */
static void text_reserve(WsReader *r, gsize extra)
{
    gsize need = r->text_len + extra + 1;
    if (need <= r->text_cap)
        return;
    gsize cap = MAX(r->text_cap, 256);
    while (cap < need)
        cap = cap > G_MAXSIZE / 2 ? need : cap * 2;
    cap = MIN(cap, r->max_text_message + 1);
    r->text = g_realloc(r->text, cap);
    r->text_cap = cap;
}

/* The header is complete: set up for the payload. */
static void begin_payload(WsReader *r)
{
    memcpy(r->mask, r->header + r->header_need - 4, 4);
    r->mask_offset = 0;
    r->state = RD_PAYLOAD;
    if (r->opcode == WS_OP_TEXT || r->opcode == WS_OP_BINARY) {
        r->message = r->opcode;
        r->text_len = 0;
        memset(&r->utf8, 0, sizeof(r->utf8));
    }
    if (r->kind == FR_TEXT)
        text_reserve(r, 0); /* the NUL of an empty message */
    else if (r->kind == FR_CONTROL)
        r->control_len = 0;
}

static gboolean close_code_valid(guint code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
           (code >= 3000 && code <= 4999);
}

static gboolean end_close(WsReader *r, WsEvent *ev)
{
    const guint8 *p = r->control;
    gsize n = r->control_len;
    if (n == 1)
        return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "close frame of one byte");
    guint16 code = WS_CLOSE_NO_STATUS;
    if (n >= 2) {
        code = (guint16)(p[0] << 8 | p[1]);
        if (!close_code_valid(code))
            return fail(r, ev, WS_CLOSE_PROTOCOL_ERROR, "invalid close code");
        if (!utf8_valid(p + 2, n - 2))
            return fail(r, ev, WS_CLOSE_INVALID_DATA, "close reason not UTF-8");
    }
    r->state = RD_DONE;
    ev->type = WS_EV_CLOSE;
    ev->code = code;
    ev->data = n >= 2 ? p + 2 : p;
    ev->len = n >= 2 ? n - 2 : 0;
    return TRUE;
}

/* The frame's payload is all in. TRUE when that makes an event; `at` is
 * where the caller's buffer stands, for the empty DATA piece that ends a
 * binary message. */
static gboolean end_frame(WsReader *r, WsEvent *ev, const guint8 *at)
{
    next_frame(r);
    if (r->kind == FR_CONTROL) {
        if (r->opcode == WS_OP_CLOSE)
            return end_close(r, ev);
        ev->type = r->opcode == WS_OP_PING ? WS_EV_PING : WS_EV_PONG;
        ev->data = r->control;
        ev->len = r->control_len;
        return TRUE;
    }
    if (!r->fin)
        return FALSE;
    r->message = 0;
    if (r->kind == FR_BINARY) {
        /* Only reached for a last frame without payload: the pieces of a
         * non-empty one are reported as they arrive. */
        ev->type = WS_EV_DATA;
        ev->data = at;
        ev->len = 0;
        ev->message_end = TRUE;
        return TRUE;
    }
    if (r->utf8.need)
        return fail(r, ev, WS_CLOSE_INVALID_DATA, "text ends inside a character");
    r->text[r->text_len] = '\0';
    ev->type = WS_EV_TEXT;
    ev->data = r->text;
    ev->len = r->text_len;
    return TRUE;
}

/* One header byte more. TRUE when it ends in an event. */
static gboolean header_byte(WsReader *r, guint8 b, WsEvent *ev, const guint8 *at)
{
    r->header[r->header_have++] = b;
    if (r->header_have == 1)
        return check_first_byte(r, ev);
    if (r->header_have == 2 && check_second_byte(r, ev))
        return TRUE;
    if (r->header_have > 2 && r->header_have == r->header_need - 4 && check_extended_length(r, ev))
        return TRUE;
    if (r->header_have < r->header_need)
        return FALSE;
    begin_payload(r);
    return r->left == 0 && end_frame(r, ev, at);
}

/* Payload bytes p[0..n) of the current frame, n <= r->left. Answers how
 * many it consumed; *ev is set when that made an event. */
static gsize payload(WsReader *r, guint8 *p, gsize n, WsEvent *ev)
{
    unmask(p, n, r->mask, &r->mask_offset);
    r->left -= n;
    switch (r->kind) {
    case FR_BINARY:
        ev->type = WS_EV_DATA;
        ev->data = p;
        ev->len = n;
        ev->message_end = r->left == 0 && r->fin;
        if (r->left == 0) {
            next_frame(r);
            if (r->fin)
                r->message = 0;
        }
        return n;
    case FR_TEXT: {
        gsize good = utf8_check(&r->utf8, p, n);
        if (good < n) {
            fail(r, ev, WS_CLOSE_INVALID_DATA, "text not UTF-8");
            return good + 1;
        }
        text_reserve(r, n);
        memcpy(r->text + r->text_len, p, n);
        r->text_len += n;
        break;
    }
    default:
        memcpy(r->control + r->control_len, p, n);
        r->control_len += n;
        break;
    }
    if (r->left == 0)
        end_frame(r, ev, p + n);
    return n;
}

gsize ws_reader_feed(WsReader *r, guint8 *buf, gsize len, WsEvent *ev)
{
    memset(ev, 0, sizeof(*ev));
    if (r->state == RD_DONE)
        return len;
    gsize pos = 0;
    while (pos < len) {
        if (r->state == RD_HEADER) {
            guint8 b = buf[pos++];
            if (header_byte(r, b, ev, buf + pos))
                return pos;
            continue;
        }
        gsize n = (gsize)MIN(r->left, (guint64)(len - pos));
        pos += payload(r, buf + pos, n, ev);
        if (ev->type != WS_EV_NONE)
            return pos;
    }
    return pos;
}

gsize ws_frame_header(guint8 out[WS_FRAME_HEADER_MAX], guint8 opcode, gboolean fin, guint64 length)
{
    g_return_val_if_fail(opcode <= 0xF && length <= G_MAXINT64, 0);
    g_return_val_if_fail(opcode < WS_OP_CLOSE || (fin && length <= WS_CONTROL_PAYLOAD_MAX), 0);
    out[0] = (guint8)((fin ? 0x80 : 0) | opcode);
    if (length < 126) {
        out[1] = (guint8)length;
        return 2;
    }
    if (length <= 0xFFFF) {
        out[1] = 126;
        out[2] = (guint8)(length >> 8);
        out[3] = (guint8)length;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (guint8)(length >> (56 - 8 * i));
    return 10;
}

gsize ws_close_frame(guint8 *out, guint16 code, const char *reason)
{
    if (code == WS_CLOSE_NO_STATUS)
        return ws_frame_header(out, WS_OP_CLOSE, TRUE, 0);
    g_return_val_if_fail(close_code_valid(code), 0);
    gsize n = reason ? strlen(reason) : 0;
    if (n > WS_CONTROL_PAYLOAD_MAX - 2) {
        n = WS_CONTROL_PAYLOAD_MAX - 2;
        /* Do not cut a character in two: the peer checks the reason too. */
        while (n > 0 && ((guint8)reason[n] & 0xC0) == 0x80)
            n--;
    }
    gsize h = ws_frame_header(out, WS_OP_CLOSE, TRUE, n + 2);
    out[h] = (guint8)(code >> 8);
    out[h + 1] = (guint8)code;
    if (n)
        memcpy(out + h + 2, reason, n);
    return h + 2 + n;
}
