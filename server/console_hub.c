/* The console proxy's loop (see console_hub.h): one thread waits on one
 * epoll set holding every browser socket and every guest display socket.
 * Bytes are written straight through when the other side takes them; only
 * what it does not take waits in a bounded buffer, and while a buffer is
 * full its source is not read (backpressure, both ways). Serial lines are
 * fed by libvirt's event thread (console_serial.c) under the same lock. */
#include "server/console_private.h"
#include "api/core/api_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Largest frame a browser may send, and largest text message (serial
 * control messages are small). */
#define MAX_FRAME (1024 * 1024)
#define MAX_TEXT 4096
/* How often every console's permissions are checked again (expiry). */
#define CHECK_INTERVAL_US (5 * G_USEC_PER_SEC)
/* How long a closing console may take to flush its close frame. */
#define CLOSING_GRACE_US (5 * G_USEC_PER_SEC)
/* How long a session whose guest side closed waits for the VM's stop
 * event, which names the reason better. */
#define END_SOON_US (5 * G_USEC_PER_SEC)

/* ---- buffers ---- */

void console_buf_append(ConsoleBuf *b, const void *data, gsize len)
{
    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->len + len > b->cap) {
        /* Move what is left to the front before growing. */
        if (b->off > 0) {
            memmove(b->data, b->data + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
        if (b->len + len > b->cap) {
            b->cap = MAX(b->len + len, b->cap * 2);
            b->data = g_realloc(b->data, b->cap);
        }
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void console_buf_consume(ConsoleBuf *b, gsize n)
{
    b->off += n;
    /* An idle console keeps no memory. */
    if (b->off == b->len)
        console_buf_clear(b);
}

void console_buf_clear(ConsoleBuf *b)
{
    g_clear_pointer(&b->data, g_free);
    b->len = b->off = b->cap = 0;
}

/* ---- epoll ---- */

/* guest_events of a display socket taken out of the epoll set. */
#define GUEST_UNWATCHED 0xFFFFFFFFu

void console_hub_wake(ConsoleHub *hub)
{
    guint64 one = 1;
    if (write(hub->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        g_warning("console proxy: waking the loop failed: %s", g_strerror(errno));
}

void console_watch(Session *s, gboolean guest, guint32 events)
{
    guint32 *now = guest ? &s->guest_events : &s->client_events;
    int fd = guest ? s->guest_fd : s->link.fd;
    if (fd < 0 || *now == events || *now == GUEST_UNWATCHED)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = guest ? &s->guest_tag : &s->client_tag};
    if (epoll_ctl(s->hub->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        g_warning("console proxy: epoll: %s", g_strerror(errno));
    *now = events;
}

static gboolean watch_new(ConsoleHub *hub, int fd, EpollTag *tag, guint32 events)
{
    struct epoll_event ev = {.events = events, .data.ptr = tag};
    return epoll_ctl(hub->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
}

static gboolean guest_full(Session *s);

/* What the browser's socket is watched for: reads while the guest keeps up
 * and the session is not closing, writes while frames wait. Nothing else:
 * a hang-up (EPOLLRDHUP) that cannot be read yet would wake the loop
 * forever; it is seen when reading resumes, and a reset (EPOLLHUP,
 * EPOLLERR) is always reported. */
static void watch_client(Session *s)
{
    guint32 m = console_buf_size(&s->to_client) ? EPOLLOUT : 0;
    if (!s->closing && !guest_full(s))
        m |= EPOLLIN | EPOLLRDHUP;
    console_watch(s, FALSE, m);
}

/* ---- writing to the browser ---- */

gboolean console_flush_client(Session *s)
{
    ConsoleBuf *b = &s->to_client;
    while (!s->peer_gone && console_buf_size(b)) {
        gssize n = console_link_write(&s->link, b->data + b->off, console_buf_size(b));
        if (n == CONSOLE_LINK_AGAIN)
            break;
        if (n < 0) {
            s->peer_gone = TRUE;
            break;
        }
        console_buf_consume(b, (gsize)n);
    }
    if (s->peer_gone)
        console_buf_clear(b);
    watch_client(s);
    return !s->peer_gone;
}

/* Sends what it can at once and keeps the rest (in order, behind what
 * already waits). */
static void send_bytes(Session *s, const guint8 *data, gsize len)
{
    if (s->peer_gone)
        return;
    ConsoleBuf *b = &s->to_client;
    if (!console_buf_size(b)) {
        while (len) {
            gssize n = console_link_write(&s->link, data, len);
            if (n == CONSOLE_LINK_AGAIN)
                break;
            if (n < 0) {
                s->peer_gone = TRUE;
                return;
            }
            data += n;
            len -= (gsize)n;
        }
    }
    if (len) {
        console_buf_append(b, data, len);
        watch_client(s);
    }
}

void console_send_frame(Session *s, guint8 opcode, const void *data, gsize len)
{
    guint8 *frame = s->hub->frame;
    guint8 *payload = frame + CONSOLE_FRAME_HEAD;
    if (console_buf_size(&s->to_client) || len > CONSOLE_CHUNK) {
        guint8 head[CONSOLE_FRAME_HEAD];
        send_bytes(s, head, ws_frame_header(head, opcode, TRUE, len));
        send_bytes(s, data, len);
        return;
    }
    /* One write for header and payload: one TCP segment, one TLS record.
     * A guest's bytes are read straight into place (read_guest). */
    if (data != payload)
        memcpy(payload, data, len);
    guint8 head[CONSOLE_FRAME_HEAD];
    gsize hlen = ws_frame_header(head, opcode, TRUE, len);
    memcpy(payload - hlen, head, hlen);
    send_bytes(s, payload - hlen, hlen + len);
}

void console_send_json(Session *s, json_t *msg)
{
    g_autofree char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    console_send_frame(s, 0x1, text, strlen(text));
}

/* Out of the set, not just unwatched: epoll would still report its
 * hang-up, over and over. */
static void unwatch_guest(Session *s)
{
    if (s->guest_fd >= 0 && s->guest_events != GUEST_UNWATCHED) {
        epoll_ctl(s->hub->epfd, EPOLL_CTL_DEL, s->guest_fd, NULL);
        s->guest_events = GUEST_UNWATCHED;
    }
}

void console_session_end(Session *s, guint16 code, const char *why)
{
    if (s->closing)
        return;
    s->closing = TRUE;
    s->closing_since = g_get_monotonic_time();
    if (!s->why)
        s->why = g_strdup(why);
    guint8 frame[2 + 123 + 2];
    gsize n = ws_close_frame(frame, code, why);
    send_bytes(s, frame, n);
    /* Nothing more is read from either side. */
    watch_client(s);
    unwatch_guest(s);
    console_hub_wake(s->hub);
}

void console_session_end_soon(Session *s, guint16 code, const char *why)
{
    if (s->closing || s->end_at)
        return;
    s->end_at = g_get_monotonic_time() + END_SOON_US;
    s->end_code = code;
    s->end_why = g_strdup(why);
    unwatch_guest(s);
}

/* ---- sessions ---- */

static Session *session_new(ConsoleHub *hub, ConsoleLink link, GBytes *extra_in,
                            ApiConsole *console, const char *address)
{
    Session *s = g_new0(Session, 1);
    s->hub = hub;
    s->link = link;
    s->extra_in = extra_in;
    s->console = console;
    s->address = g_strdup(address);
    s->guest_fd = -1;
    s->client_tag = (EpollTag){s, FALSE};
    s->guest_tag = (EpollTag){s, TRUE};
    s->ws = ws_reader_new(MAX_FRAME, MAX_TEXT);
    return s;
}

static void session_free(Session *s)
{
    ConsoleHub *hub = s->hub;
    if (s->link.fd >= 0)
        epoll_ctl(hub->epfd, EPOLL_CTL_DEL, s->link.fd, NULL);
    if (s->guest_fd >= 0) {
        epoll_ctl(hub->epfd, EPOLL_CTL_DEL, s->guest_fd, NULL);
        close(s->guest_fd);
    }
    if (s->line)
        console_serial_leave(s);
    console_link_close(&s->link);
    api_console_ended(hub->api, s->console, s->to_browser, s->from_browser,
                      s->why ? s->why : "closed");
    api_console_free(s->console);
    ws_reader_free(s->ws);
    console_buf_clear(&s->to_client);
    console_buf_clear(&s->to_guest);
    if (s->extra_in)
        g_bytes_unref(s->extra_in);
    g_free(s->address);
    g_free(s->why);
    g_free(s->end_why);
    g_free(s);
}

/* A session ends once its close frame went out (or could not). */
static gboolean finished(Session *s)
{
    return s->peer_gone || (s->closing && !console_buf_size(&s->to_client));
}

/* ---- browser -> guest ---- */

static gboolean guest_full(Session *s)
{
    if (s->line)
        return s->line->typist == s && console_buf_size(&s->line->to_stream) >= CONSOLE_OUT_LIMIT;
    return console_buf_size(&s->to_guest) >= CONSOLE_OUT_LIMIT;
}

static void to_guest(Session *s, const guint8 *data, gsize len)
{
    s->from_browser += len;
    if (s->line) {
        console_serial_input(s, data, len);
        return;
    }
    ConsoleBuf *b = &s->to_guest;
    if (!console_buf_size(b)) {
        while (len) {
            ssize_t n = write(s->guest_fd, data, len);
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            if (n <= 0) {
                console_session_end_soon(s, 1000, "the guest's display closed");
                return;
            }
            data += n;
            len -= (gsize)n;
        }
    }
    if (len) {
        console_buf_append(b, data, len);
        console_watch(s, TRUE, s->guest_events | EPOLLOUT);
    }
}

static void on_message(Session *s, const WsEvent *ev)
{
    switch (ev->type) {
    case WS_EV_DATA: to_guest(s, ev->data, ev->len); break;
    case WS_EV_TEXT:
        if (s->line)
            console_serial_message(s, (const char *)ev->data, ev->len);
        break;
    case WS_EV_PING: console_send_frame(s, 0xA, ev->data, ev->len); break;
    case WS_EV_CLOSE:
        console_session_end(s, ev->code == 1005 ? 1000 : ev->code, "closed by the browser");
        break;
    case WS_EV_ERROR:
        console_session_end(s, ev->code, "the browser broke the WebSocket protocol");
        break;
    case WS_EV_PONG:
    case WS_EV_NONE: break;
    }
}

static void feed(Session *s, guint8 *buf, gsize len)
{
    gsize pos = 0;
    while (pos < len && !s->closing) {
        WsEvent ev = {0};
        gsize used = ws_reader_feed(s->ws, buf + pos, len - pos, &ev);
        pos += used;
        on_message(s, &ev);
        if (!used && ev.type == WS_EV_NONE)
            break;
    }
}

static void read_client(Session *s)
{
    guint8 *buf = s->hub->inbuf;
    while (!s->closing && !guest_full(s)) {
        gssize n = console_link_read(&s->link, buf, sizeof(s->hub->inbuf));
        if (n == CONSOLE_LINK_AGAIN)
            break;
        if (n <= 0) {
            s->peer_gone = n < 0 || s->peer_gone;
            console_session_end(s, 1000, "the browser went away");
            return;
        }
        feed(s, buf, (gsize)n);
        /* A short read emptied the socket: epoll says when more comes,
         * without a read that fails with EAGAIN on every message. */
        if ((gsize)n < sizeof(s->hub->inbuf))
            break;
    }
    /* Stop reading while the guest has not taken what it got. */
    watch_client(s);
}

/* Reading from the browser again, once the guest caught up. */
void console_resume_client(Session *s)
{
    watch_client(s);
}

/* ---- guest -> browser (VNC) ---- */

static void read_guest(Session *s)
{
    /* Payload after room for the frame header, so both go in one write. */
    guint8 *payload = s->hub->frame + CONSOLE_FRAME_HEAD;
    while (!s->closing && console_buf_size(&s->to_client) < CONSOLE_OUT_LIMIT) {
        ssize_t n = read(s->guest_fd, payload, CONSOLE_CHUNK);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            console_session_end_soon(s, 1000, "the guest's display closed");
            return;
        }
        s->to_browser += (guint64)n;
        console_send_frame(s, 0x2, payload, (gsize)n);
        if (n < CONSOLE_CHUNK)
            break; /* the socket is empty (see read_client) */
    }
    if (!s->closing)
        console_watch(s, TRUE,
                      (console_buf_size(&s->to_client) < CONSOLE_OUT_LIMIT ? EPOLLIN : 0) |
                          (console_buf_size(&s->to_guest) ? EPOLLOUT : 0));
}

static void flush_guest(Session *s)
{
    ConsoleBuf *b = &s->to_guest;
    while (console_buf_size(b)) {
        ssize_t n = write(s->guest_fd, b->data + b->off, console_buf_size(b));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            console_session_end_soon(s, 1000, "the guest's display closed");
            return;
        }
        console_buf_consume(b, (gsize)n);
    }
    console_watch(s, TRUE, (s->guest_events & EPOLLIN) | (console_buf_size(b) ? EPOLLOUT : 0));
    if (!guest_full(s))
        console_resume_client(s);
}

static void on_client_event(Session *s, guint32 events)
{
    if (events & EPOLLOUT) {
        console_flush_client(s);
        if (console_buf_size(&s->to_client) < CONSOLE_OUT_LIMIT && !s->closing) {
            if (s->guest_fd >= 0)
                console_watch(s, TRUE, s->guest_events | EPOLLIN);
            else if (s->line)
                console_serial_drained(s);
        }
    }
    if (events & (EPOLLHUP | EPOLLERR)) {
        /* Reset: nothing can be written any more. */
        s->peer_gone = TRUE;
        console_session_end(s, 1000, "the browser went away");
    } else if ((events & (EPOLLIN | EPOLLRDHUP)) && !s->closing) {
        read_client(s);
    }
}

static void on_guest_event(Session *s, guint32 events)
{
    if (events & EPOLLOUT)
        flush_guest(s);
    if (events & EPOLLIN)
        read_guest(s);
    /* Reported even when not asked for: the display went away. */
    if ((events & (EPOLLHUP | EPOLLERR)) && !s->closing)
        console_session_end_soon(s, 1000, "the guest's display closed");
}

/* ---- set-up ---- */

/* Connects a new session to its guest; the browser is told if it fails. */
static void setup(ConsoleHub *hub, Session *s)
{
    ApiConsole *c = s->console;
    api_console_began(hub->api, c, s->address);
    fcntl(s->link.fd, F_SETFL, fcntl(s->link.fd, F_GETFL) | O_NONBLOCK);
    s->client_events = EPOLLIN | EPOLLRDHUP;
    if (!watch_new(hub, s->link.fd, &s->client_tag, s->client_events)) {
        s->peer_gone = TRUE;
        s->why = g_strdup_printf("epoll: %s", g_strerror(errno));
        return;
    }
    g_autoptr(GError) error = NULL;
    gboolean ok;
    if (c->type == API_CONSOLE_VNC) {
        s->guest_fd = api_console_open_display(hub->api, c, &error);
        s->guest_events = EPOLLIN;
        ok = s->guest_fd >= 0 && watch_new(hub, s->guest_fd, &s->guest_tag, s->guest_events);
    } else {
        ok = console_serial_join(s, &error);
    }
    if (!ok) {
        /* The hypervisor's own words are for admins (api_error_brief). */
        g_autofree char *why = error ? api_error_message_for(error, c->auth->role == API_ROLE_ADMIN)
                                     : g_strdup(g_strerror(errno));
        g_autofree char *reason = g_utf8_make_valid(why, -1);
        console_session_end(s, 1011, reason);
        return;
    }
    if (s->extra_in) {
        gsize len;
        const guint8 *data = g_bytes_get_data(s->extra_in, &len);
        g_autofree guint8 *copy = g_memdup2(data, len);
        feed(s, copy, len);
        g_clear_pointer(&s->extra_in, g_bytes_unref);
    }
}

/* ---- the loop ---- */

static void check_permissions(ConsoleHub *hub, gboolean all)
{
    for (guint i = 0; i < hub->sessions->len; i++) {
        Session *s = g_ptr_array_index(hub->sessions, i);
        if ((all || s->recheck) && !s->closing && !api_console_still_allowed(hub->api, s->console))
            console_session_end(s, 1008, "the user may no longer open this console");
        s->recheck = FALSE;
    }
}

static void reap(ConsoleHub *hub, gint64 now)
{
    for (guint i = 0; i < hub->sessions->len;) {
        Session *s = g_ptr_array_index(hub->sessions, i);
        /* Flushes queued by other threads (serial output, close frames). */
        if (!s->peer_gone && console_buf_size(&s->to_client) && !(s->client_events & EPOLLOUT))
            console_flush_client(s);
        if (s->end_at && now >= s->end_at)
            console_session_end(s, s->end_code, s->end_why);
        if (s->closing && !s->why)
            s->why = g_strdup("closed");
        gboolean late = s->closing && now - s->closing_since > CLOSING_GRACE_US;
        if (finished(s) || late) {
            g_ptr_array_remove_index_fast(hub->sessions, i);
            session_free(s);
            continue;
        }
        i++;
    }
}

static gpointer loop(gpointer data)
{
    ConsoleHub *hub = data;
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(hub->epfd, evs, G_N_ELEMENTS(evs), 1000);
        g_mutex_lock(&hub->lock);
        if (hub->stopping)
            break;
        for (int i = 0; i < n; i++) {
            EpollTag *tag = evs[i].data.ptr;
            if (!tag) {
                guint64 count;
                if (read(hub->wakefd, &count, sizeof(count)) < 0 && errno != EAGAIN)
                    g_warning("console proxy: %s", g_strerror(errno));
                continue;
            }
            if (tag->guest)
                on_guest_event(tag->session, evs[i].events);
            else
                on_client_event(tag->session, evs[i].events);
        }
        while (hub->incoming->len) {
            Session *s = g_ptr_array_steal_index(hub->incoming, 0);
            g_ptr_array_add(hub->sessions, s);
            setup(hub, s);
        }
        gint64 now = g_get_monotonic_time();
        gboolean all = now >= hub->next_check;
        if (all)
            hub->next_check = now + CHECK_INTERVAL_US;
        check_permissions(hub, all);
        reap(hub, now);
        g_mutex_unlock(&hub->lock);
    }
    /* Stopping: every console ends now. */
    for (guint i = 0; i < hub->incoming->len; i++)
        g_ptr_array_add(hub->sessions, g_ptr_array_index(hub->incoming, i));
    g_ptr_array_set_size(hub->incoming, 0);
    for (guint i = 0; i < hub->sessions->len; i++) {
        Session *s = g_ptr_array_index(hub->sessions, i);
        console_session_end(s, 1001, "vireod is stopping");
        session_free(s);
    }
    g_ptr_array_set_size(hub->sessions, 0);
    g_mutex_unlock(&hub->lock);
    return NULL;
}

ConsoleHub *console_hub_new(ApiContext *api, GError **error)
{
    ConsoleHub *hub = g_new0(ConsoleHub, 1);
    hub->api = api;
    g_mutex_init(&hub->lock);
    hub->sessions = g_ptr_array_new();
    hub->incoming = g_ptr_array_new();
    hub->lines = g_hash_table_new(g_str_hash, g_str_equal);
    hub->epfd = epoll_create1(EPOLL_CLOEXEC);
    hub->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (hub->epfd < 0 || hub->wakefd < 0 ||
        epoll_ctl(hub->epfd, EPOLL_CTL_ADD, hub->wakefd, &ev) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "console proxy: %s",
                    g_strerror(errno));
        console_hub_free(hub);
        return NULL;
    }
    hub->next_check = g_get_monotonic_time() + CHECK_INTERVAL_US;
    hub->thread = g_thread_new("console-proxy", loop, hub);
    return hub;
}

void console_hub_close(ConsoleHub *hub)
{
    if (!hub || !hub->thread)
        return;
    g_mutex_lock(&hub->lock);
    hub->stopping = TRUE;
    g_mutex_unlock(&hub->lock);
    console_hub_wake(hub);
    g_thread_join(hub->thread);
    hub->thread = NULL;
}

void console_hub_free(ConsoleHub *hub)
{
    if (!hub)
        return;
    console_hub_close(hub);
    if (hub->epfd >= 0)
        close(hub->epfd);
    if (hub->wakefd >= 0)
        close(hub->wakefd);
    g_ptr_array_unref(hub->sessions);
    g_ptr_array_unref(hub->incoming);
    g_hash_table_unref(hub->lines);
    g_mutex_clear(&hub->lock);
    g_free(hub);
}

void console_hub_attach(ConsoleHub *hub, ConsoleLink link, GBytes *extra_in, ApiConsole *console,
                        const char *address)
{
    Session *s = session_new(hub, link, extra_in, console, address);
    g_mutex_lock(&hub->lock);
    if (hub->stopping) {
        g_mutex_unlock(&hub->lock);
        session_free(s);
        return;
    }
    g_ptr_array_add(hub->incoming, s);
    g_mutex_unlock(&hub->lock);
    console_hub_wake(hub);
}

void console_hub_vm_stopped(ConsoleHub *hub, const char *uuid)
{
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->sessions->len; i++) {
        Session *s = g_ptr_array_index(hub->sessions, i);
        if (strcmp(s->console->uuid, uuid) == 0)
            console_session_end(s, 1000, "the VM stopped");
    }
    g_mutex_unlock(&hub->lock);
    console_hub_wake(hub);
}

void console_hub_auth_changed(ConsoleHub *hub, gint64 user_id)
{
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->sessions->len; i++) {
        Session *s = g_ptr_array_index(hub->sessions, i);
        if (!user_id || s->console->auth->user_id == user_id)
            s->recheck = TRUE;
    }
    g_mutex_unlock(&hub->lock);
    console_hub_wake(hub);
}

guint console_hub_count(ConsoleHub *hub)
{
    g_mutex_lock(&hub->lock);
    guint n = hub->sessions->len + hub->incoming->len;
    g_mutex_unlock(&hub->lock);
    return n;
}
