/* RFC 6455 framing, server side, without I/O: a streaming reader of the
 * frames a browser sends (any piece sizes, one byte at a time included)
 * and the headers of the frames vireod sends. The console proxy owns the
 * sockets; this only turns bytes into events and back. */
#pragma once
#include <glib.h>

/* Opcodes (RFC 6455 section 5.2). */
enum {
    WS_OP_CONTINUATION = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* Close codes vireod sends or reports. */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_NO_STATUS = 1005,    /* never on the wire: a close frame without a code */
    WS_CLOSE_INVALID_DATA = 1007, /* text that is not UTF-8 */
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL_ERROR = 1011,
};

/* Longest server frame header, and longest whole close frame (2 header
 * bytes + 2 code bytes + 123 reason bytes). */
#define WS_FRAME_HEADER_MAX 10
#define WS_CLOSE_FRAME_MAX 127
#define WS_CONTROL_PAYLOAD_MAX 125

typedef struct WsReader WsReader;

/* A reader for one connection. Frames whose payload is over
 * `max_frame_payload`, and text messages over `max_text_message` bytes
 * once reassembled, end the connection with 1009. Binary messages are
 * streamed and have no total limit. */
WsReader *ws_reader_new(guint64 max_frame_payload, gsize max_text_message);
void ws_reader_free(WsReader *r); /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WsReader, ws_reader_free)

typedef enum {
    WS_EV_NONE,
    WS_EV_DATA,
    WS_EV_TEXT,
    WS_EV_PING,
    WS_EV_PONG,
    WS_EV_CLOSE,
    WS_EV_ERROR,
} WsEventType;

/* One event. Where `data` points:
 * - DATA: a piece of a binary message's payload, unmasked in place inside
 *   the buffer given to ws_reader_feed (within the bytes that call
 *   consumed). Never empty, except the one empty piece that ends a message
 *   whose last frame had no payload.
 * - TEXT: the whole reassembled message, valid UTF-8, followed by a NUL
 *   not counted in `len`.
 * - PING, PONG: the payload (at most 125 bytes). CLOSE: the reason (valid
 *   UTF-8, at most 123 bytes, empty when none).
 * - ERROR: a short ASCII reason for the log and the close frame.
 * TEXT, PING, PONG and CLOSE data live in the reader and stay valid until
 * the next ws_reader_feed or ws_reader_free. */
typedef struct {
    WsEventType type;
    const guint8 *data;
    gsize len;
    gboolean message_end; /* DATA: the last piece of the message */
    guint16 code;         /* CLOSE: the peer's code (1005 when none);
                             ERROR: the close code to answer with (1002
                             protocol, 1007 bad UTF-8, 1009 too big) */
} WsEvent;

/* Consumes up to `len` bytes of `buf` and stops at the first event;
 * answers how many bytes it consumed, which is 0 only when `len` is 0.
 * ev->type is WS_EV_NONE when it consumed all `len` bytes without an
 * event; call again with the rest (buf + consumed) after an event.
 * The reader rewrites the payload bytes it consumes (unmasking in place).
 * After a CLOSE or an ERROR the connection is over for the reader: every
 * later call consumes everything and reports WS_EV_NONE. */
gsize ws_reader_feed(WsReader *r, guint8 *buf, gsize len, WsEvent *ev);

/* A server frame header (never masked) for `opcode` and a payload of
 * `length` bytes into out[10]; answers its size (2, 4 or 10). */
gsize ws_frame_header(guint8 out[WS_FRAME_HEADER_MAX], guint8 opcode, gboolean fin, guint64 length);

/* A whole close frame into out[WS_CLOSE_FRAME_MAX]; answers its size.
 * `reason` (UTF-8, may be NULL) is cut to 123 bytes on a character
 * boundary. Code 1005 makes a close frame with no payload, which is how
 * a close that came without a code is echoed. */
gsize ws_close_frame(guint8 *out, guint16 code, const char *reason);
