/* Internals shared by the console proxy's files: the hub (its one epoll
 * thread), a session (one browser WebSocket), and the shared serial lines.
 * Everything here is touched with the hub's lock held. */
#pragma once
#include <libvirt/libvirt.h>

#include "api/vms/api_consoles.h"
#include "server/console_hub.h"
#include "server/console_link.h"
#include "server/ws_frame.h"

/* Bytes a session keeps for the other side before it stops reading more. */
#define CONSOLE_OUT_LIMIT (256 * 1024)
/* What one read takes at most. */
#define CONSOLE_CHUNK (64 * 1024)
/* Room for the longest frame header before a payload. */
#define CONSOLE_FRAME_HEAD 10

/* Bytes waiting to be written, from `off` to `len`. */
typedef struct {
    guint8 *data;
    gsize len, off, cap;
} ConsoleBuf;

static inline gsize console_buf_size(const ConsoleBuf *b)
{
    return b->len - b->off;
}

void console_buf_append(ConsoleBuf *b, const void *data, gsize len);
void console_buf_consume(ConsoleBuf *b, gsize n);
void console_buf_clear(ConsoleBuf *b);

typedef struct SerialLine SerialLine;
typedef struct Session Session;

/* What an epoll event names. */
typedef struct {
    Session *session;
    gboolean guest; /* the guest's socket (VNC), else the browser's */
} EpollTag;

struct Session {
    ConsoleHub *hub;
    ApiConsole *console;
    char *address;
    ConsoleLink link;
    WsReader *ws;
    ConsoleBuf to_client; /* frames for the browser */
    GBytes *extra_in;     /* bytes read with the handshake, fed first */
    EpollTag client_tag, guest_tag;
    guint32 client_events; /* what epoll watches now */
    int guest_fd;          /* VNC: the display's socket; -1 for serial */
    ConsoleBuf to_guest;   /* VNC: bytes for the display */
    guint32 guest_events;
    SerialLine *line; /* serial: the VM's shared line */
    guint64 to_browser, from_browser;
    gboolean closing;     /* a close frame is queued: flush, then close */
    gint64 closing_since; /* monotonic µs */
    gboolean peer_gone;   /* the browser cannot be written to any more */
    gboolean recheck;     /* permissions changed: check again */
    gint64 busy_told;     /* serial: when this viewer was last told someone else types */
    char *why;            /* for the audit entry */
    gint64 end_at;        /* monotonic µs: end then (console_session_end_soon) */
    guint16 end_code;
    char *end_why;
};

struct SerialLine {
    ConsoleHub *hub;
    char uuid[VIR_UUID_STRING_BUFLEN];
    virStreamPtr stream;
    GPtrArray *viewers; /* Session* */
    Session *typist;
    ConsoleBuf to_stream; /* typed bytes not yet taken by the stream */
    gboolean paused;      /* a viewer is behind: not reading the stream */
    gboolean outside;     /* another client (not Vireo) holds the console */
    gboolean closed;
    gboolean ended; /* the stream hung up: nothing more comes */
};

struct ConsoleHub {
    ApiContext *api;
    GMutex lock;
    int epfd, wakefd;
    GThread *thread;
    gboolean stopping;
    GPtrArray *sessions;                              /* Session* */
    GPtrArray *incoming;                              /* Session* not yet set up by the loop */
    GHashTable *lines;                                /* uuid -> SerialLine* */
    guint8 inbuf[CONSOLE_CHUNK];                      /* what the loop reads from browsers */
    guint8 frame[CONSOLE_FRAME_HEAD + CONSOLE_CHUNK]; /* a frame being sent: header, payload */
    gint64 next_check; /* monotonic µs: sessions' permissions checked again */
};

/* Wakes the loop (any thread). */
void console_hub_wake(ConsoleHub *hub);
/* Sets what epoll watches for the session's browser or guest socket. */
void console_watch(Session *s, gboolean guest, guint32 events);
/* Queues a frame (opcode, payload) for the browser and tries to send it. */
void console_send_frame(Session *s, guint8 opcode, const void *data, gsize len);
/* Queues a JSON text frame. */
void console_send_json(Session *s, json_t *msg);
/* Ends the session: a close frame with `code`, then it goes. */
void console_session_end(Session *s, guint16 code, const char *why);
/* The guest's side closed, most often because the VM stopped: the
 * lifecycle event comes a moment later and ends the session saying so;
 * if it does not, the session ends with `why` after a short wait. */
void console_session_end_soon(Session *s, guint16 code, const char *why);
/* Reads from the browser again after the guest caught up. */
void console_resume_client(Session *s);
/* Flushes what waits for the browser; FALSE when the browser is gone. */
gboolean console_flush_client(Session *s);

/* Serial lines (console_serial.c). */
gboolean console_serial_join(Session *s, GError **error);
void console_serial_leave(Session *s);
/* A browser's message: terminal bytes to type, or a JSON request. */
void console_serial_input(Session *s, const guint8 *data, gsize len);
void console_serial_message(Session *s, const char *text, gsize len);
/* The loop drained a session's queue: the line may read again. */
void console_serial_drained(Session *s);
