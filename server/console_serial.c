/* Serial consoles, shared: libvirt lets one client hold a VM's console, so
 * each VM with viewers has one line (one non-blocking virStream) whose
 * output goes to every viewer, and whose input comes from one viewer at a
 * time, the typist. The stream's callbacks run on libvirt's event thread
 * and take the hub's lock; a viewer that falls behind pauses the line for
 * everyone, as flow control would on a real serial line. */
#include "server/console_private.h"

#include <string.h>
#include <libvirt/virterror.h>

/* Recent output a new viewer gets first. */
#define TAIL_BYTES (64 * 1024)
/* A "busy" notice is repeated at most this often while a viewer types. */
#define BUSY_NOTICE_US (2 * G_USEC_PER_SEC)

static void line_free(SerialLine *line)
{
    console_buf_clear(&line->to_stream);
    g_ptr_array_unref(line->viewers);
    g_free(line);
}

static json_t *status(SerialLine *line, Session *to)
{
    return json_pack(
        "{s:s,s:o,s:b,s:i,s:b}", "type", "status", "typist",
        line->typist ? json_string(line->typist->console->auth->username) : json_null(), "you_type",
        line->typist == to, "viewers", (int)line->viewers->len, "held_elsewhere", line->outside);
}

static void tell_everyone(SerialLine *line)
{
    for (guint i = 0; i < line->viewers->len; i++) {
        Session *v = g_ptr_array_index(line->viewers, i);
        console_send_json(v, status(line, v));
    }
}

/* Ends every viewer's console: the line is gone. */
static void line_failed(SerialLine *line, const char *why)
{
    for (guint i = 0; i < line->viewers->len; i++)
        console_session_end(g_ptr_array_index(line->viewers, i), 1000, why);
}

/* The stream hung up: nothing more is read or sent; the viewers end when
 * the VM's stop event says why, or shortly after. */
static void line_ended(SerialLine *line)
{
    line->ended = TRUE;
    virStreamEventUpdateCallback(line->stream, 0);
    for (guint i = 0; i < line->viewers->len; i++)
        console_session_end_soon(g_ptr_array_index(line->viewers, i), 1000,
                                 "the serial line closed");
}

static int wanted_events(SerialLine *line)
{
    return VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP |
           (line->paused ? 0 : VIR_STREAM_EVENT_READABLE) |
           (console_buf_size(&line->to_stream) ? VIR_STREAM_EVENT_WRITABLE : 0);
}

static void broadcast(SerialLine *line, const guint8 *data, gsize len)
{
    for (guint i = 0; i < line->viewers->len; i++) {
        Session *v = g_ptr_array_index(line->viewers, i);
        if (v->closing)
            continue;
        v->to_browser += len;
        console_send_frame(v, 0x2, data, len);
        if (console_buf_size(&v->to_client) >= CONSOLE_OUT_LIMIT)
            line->paused = TRUE;
    }
}

static void flush_stream(SerialLine *line)
{
    ConsoleBuf *b = &line->to_stream;
    while (line->stream && !line->ended && console_buf_size(b)) {
        int n = virStreamSend(line->stream, (const char *)b->data + b->off, console_buf_size(b));
        if (n == -2)
            break;
        if (n < 0) {
            line_failed(line, "the serial console failed");
            return;
        }
        console_buf_consume(b, (gsize)n);
    }
    if (line->typist && !console_buf_size(b))
        console_resume_client(line->typist);
}

/* The open line reading `st`, or NULL once it went. */
static SerialLine *line_of(ConsoleHub *hub, virStreamPtr st)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, hub->lines);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (((SerialLine *)value)->stream == st && !((SerialLine *)value)->closed)
            return value;
    return NULL;
}

/* libvirt's event thread; `opaque` is the hub, which outlives libvirt's
 * event loop, and not the line: a dispatch may already wait for the lock
 * when the line goes, and libvirt 9.0's remote driver never calls a
 * stream callback's free function, so no reference can be handed to it. */
static void on_stream(virStreamPtr st, int events, void *opaque)
{
    ConsoleHub *hub = opaque;
    g_mutex_lock(&hub->lock);
    SerialLine *line = line_of(hub, st);
    if (!line) {
        g_mutex_unlock(&hub->lock);
        return;
    }
    if (events & VIR_STREAM_EVENT_WRITABLE)
        flush_stream(line);
    gboolean ended = (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) != 0;
    if (!ended && (events & VIR_STREAM_EVENT_READABLE)) {
        char buf[16 * 1024];
        while (!line->paused) {
            int n = virStreamRecv(st, buf, sizeof(buf));
            if (n == -2)
                break;
            if (n <= 0) {
                ended = TRUE;
                break;
            }
            broadcast(line, (const guint8 *)buf, (gsize)n);
        }
    }
    if (ended)
        line_ended(line);
    else
        virStreamEventUpdateCallback(st, wanted_events(line));
    g_mutex_unlock(&hub->lock);
    console_hub_wake(hub);
}

/* Opens (or, with `force`, takes from another client) the VM's stream. */
static gboolean open_stream(SerialLine *line, Session *s, gboolean force, GError **error)
{
    GError *why = NULL;
    virStreamPtr st = api_console_open_serial(s->hub->api, s->console, force, &why);
    if (!st) {
        gboolean busy = api_console_held_elsewhere(why);
        if (busy && !force) {
            /* Someone outside Vireo (virsh console) holds it: viewers are
             * told, and one may take it over. */
            line->outside = TRUE;
            g_error_free(why);
            return TRUE;
        }
        g_propagate_error(error, why);
        return FALSE;
    }
    if (virStreamEventAddCallback(st, wanted_events(line), on_stream, s->hub, NULL) < 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "watching the serial console failed");
        virStreamAbort(st);
        virStreamFree(st);
        return FALSE;
    }
    line->stream = st;
    line->outside = FALSE;
    return TRUE;
}

static void close_stream(SerialLine *line)
{
    if (!line->stream)
        return;
    virStreamEventRemoveCallback(line->stream);
    virStreamAbort(line->stream);
    virStreamFree(line->stream);
    virResetLastError();
    line->stream = NULL;
}

gboolean console_serial_join(Session *s, GError **error)
{
    ConsoleHub *hub = s->hub;
    SerialLine *line = g_hash_table_lookup(hub->lines, s->console->uuid);
    if (!line) {
        line = g_new0(SerialLine, 1);
        line->hub = hub;
        g_strlcpy(line->uuid, s->console->uuid, sizeof(line->uuid));
        line->viewers = g_ptr_array_new();
        if (!open_stream(line, s, FALSE, error)) {
            line_free(line);
            return FALSE;
        }
        g_hash_table_insert(hub->lines, line->uuid, line);
    }
    s->line = line;
    g_ptr_array_add(line->viewers, s);
    /* What the guest said before this viewer came. */
    g_autoptr(GBytes) tail = api_console_serial_tail(hub->api, s->console, TAIL_BYTES);
    gsize len;
    const guint8 *data = g_bytes_get_data(tail, &len);
    if (len) {
        s->to_browser += len;
        console_send_frame(s, 0x2, data, len);
    }
    tell_everyone(line);
    return TRUE;
}

void console_serial_leave(Session *s)
{
    SerialLine *line = s->line;
    s->line = NULL;
    g_ptr_array_remove_fast(line->viewers, s);
    if (line->typist == s) {
        line->typist = NULL;
        console_buf_clear(&line->to_stream);
    }
    if (line->viewers->len) {
        console_serial_drained(s);
        tell_everyone(line);
        return;
    }
    line->closed = TRUE;
    close_stream(line);
    g_hash_table_remove(s->hub->lines, line->uuid);
    line_free(line);
}

void console_serial_input(Session *s, const guint8 *data, gsize len)
{
    SerialLine *line = s->line;
    if (!line->typist && line->stream) {
        line->typist = s;
        tell_everyone(line);
    }
    if (line->typist != s) {
        /* Another viewer types: say who, now and then, not per keystroke. */
        gint64 now = g_get_monotonic_time();
        if (now - s->busy_told < BUSY_NOTICE_US)
            return;
        s->busy_told = now;
        console_send_json(s, json_pack("{s:s,s:o}", "type", "busy", "typist",
                                       line->typist
                                           ? json_string(line->typist->console->auth->username)
                                           : json_null()));
        return;
    }
    console_buf_append(&line->to_stream, data, len);
    flush_stream(line);
    if (line->stream && !line->ended)
        virStreamEventUpdateCallback(line->stream, wanted_events(line));
}

void console_serial_message(Session *s, const char *text, gsize len)
{
    SerialLine *line = s->line;
    g_autoptr(json_t) msg = json_loadb(text, len, 0, NULL);
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (g_strcmp0(type, "take") != 0)
        return;
    if (line->outside) {
        g_autoptr(GError) error = NULL;
        if (!open_stream(line, s, TRUE, &error)) {
            console_send_json(s,
                              json_pack("{s:s,s:s}", "type", "error", "message", error->message));
            return;
        }
    }
    if (line->typist && line->typist != s)
        console_buf_clear(&line->to_stream);
    line->typist = s;
    tell_everyone(line);
}

void console_serial_drained(Session *s)
{
    SerialLine *line = s->line;
    if (!line || !line->paused)
        return;
    for (guint i = 0; i < line->viewers->len; i++) {
        Session *v = g_ptr_array_index(line->viewers, i);
        if (v != s && !v->closing && console_buf_size(&v->to_client) >= CONSOLE_OUT_LIMIT)
            return;
    }
    line->paused = FALSE;
    if (line->stream && !line->ended)
        virStreamEventUpdateCallback(line->stream, wanted_events(line));
}
