/* Event fan-out (see events.h). One lock guards everything; publishers
 * only queue frames and wake the hub's thread, which writes them without
 * blocking, watches every stream's socket for the client going away, sends
 * heartbeats, and is the only one that closes and frees streams (so a
 * stream an epoll event points to is never freed under it). */
#include "server/events.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "server/event_ring.h"
#include "server/http_headers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* How often a heartbeat goes out; also how soon a stream notices that its
 * session expired. */
#define PING_INTERVAL_MS 5000
/* How long a browser waits before reconnecting (the `retry:` field). */
#define RETRY_MS 1000
/* Recent events kept for clients that reconnect (--event-history): minutes
 * of ordinary activity; a burst (hundreds of VMs started at once) may push
 * older ones out, and their clients then reload. */
#define RING_EVENTS 1024
#define RING_BYTES_PER_EVENT 512
/* Bytes a stream may have waiting for a slow client before it is told to
 * reload instead. */
#define MAX_QUEUED (256 * 1024)
/* A client has nothing to say on its stream; one that talks this much is
 * not an event stream client. */
#define MAX_CLIENT_BYTES (64 * 1024)

/* Bytes waiting for one client: nothing is held while it keeps up. */
typedef struct {
    char *data;
    gsize len, off, cap;
} Queue;

typedef struct {
    EventHub *hub;
    int fd;
    char address[64];
    ApiEventViewer *viewer; /* who it is and what it may see (api/) */
    Queue out;
    gsize heard;      /* bytes the client sent */
    gsize head;       /* bytes of the answer head still queued: never dropped */
    guint32 watching; /* epoll events asked for */
    gboolean dirty;   /* in hub->dirty: has bytes to write */
    gboolean closing; /* to be closed by the hub's thread */
    gboolean behind;  /* its queue overflowed: a reload waits to go out */
} Stream;

struct EventHub {
    ApiContext *api;
    EventHubSettings set;
    char epoch[24]; /* names this process's event numbers */
    GMutex lock;
    GPtrArray *streams; /* Stream* (owned) */
    GPtrArray *dirty;   /* Stream* with bytes queued, for the thread */
    EventRing *ring;    /* ApiEventRecord*, newest events */
    ApiEventViews *views;
    int epfd;
    int wakefd;
    gboolean closed;
    GThread *thread;
};

/* A sample is skipped for a stream that has this much not yet written:
 * the next one says the same, newer, and a stalled reader must not make
 * vireod hold samples for it without end. */
#define STATS_BACKLOG_MAX (64 * 1024)

/* ---- queues ---- */

static void queue_add(Queue *q, const char *data, gsize len)
{
    if (q->off == q->len)
        q->off = q->len = 0;
    if (q->len + len > q->cap) {
        q->cap = MAX(MAX(q->len + len, 2 * q->cap), 256);
        q->data = g_realloc(q->data, q->cap);
    }
    memcpy(q->data + q->len, data, len);
    q->len += len;
}

static gsize queue_size(const Queue *q)
{
    return q->len - q->off;
}

static void queue_clear(Queue *q)
{
    g_clear_pointer(&q->data, g_free);
    q->len = q->off = q->cap = 0;
}

/* ---- writing ---- */

static void hub_wake(EventHub *hub)
{
    guint64 one = 1;
    if (write(hub->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        g_warning("event stream: waking its thread failed: %s", g_strerror(errno));
}

static void watch(Stream *s)
{
    /* EPOLLRDHUP tells at once that a client went away; clients never
     * send anything, so reading never stalls. */
    guint32 events = EPOLLIN | EPOLLRDHUP | (queue_size(&s->out) ? EPOLLOUT : 0);
    if (events == s->watching)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = s};
    if (epoll_ctl(s->hub->epfd, s->watching ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &ev) < 0) {
        g_warning("event stream: epoll: %s", g_strerror(errno));
        s->closing = TRUE;
        return;
    }
    s->watching = events;
}

static void mark_dirty(Stream *s)
{
    if (!s->dirty) {
        s->dirty = TRUE;
        g_ptr_array_add(s->hub->dirty, s);
    }
}

/* Writes what the client takes without waiting. */
static void flush(Stream *s)
{
    Queue *q = &s->out;
    while (!s->closing && queue_size(q)) {
        ssize_t n = send(s->fd, q->data + q->off, queue_size(q), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            s->closing = TRUE;
            break;
        }
        q->off += (gsize)n;
        s->head -= MIN(s->head, (gsize)n);
    }
    if (!queue_size(q)) {
        queue_clear(q);
        /* The reload it was told of is out: events flow again. */
        s->behind = FALSE;
    }
    if (!s->closing)
        watch(s);
}

static char *id_line(EventHub *hub, guint64 seq)
{
    return g_strdup_printf("id: %s-%" G_GUINT64_FORMAT "\n", hub->epoch, seq);
}

static void append_reload(Stream *s, const char *reason)
{
    g_autofree char *id = id_line(s->hub, event_ring_last(s->hub->ring));
    g_autofree char *frame = g_strdup_printf("%sevent: reload\ndata: {\"reason\":\"%s\"}\n\n", id,
                                             reason);
    queue_add(&s->out, frame, strlen(frame));
}

/* A client too slow for the events: the frames not begun are dropped and
 * one `reload` replaces them (and all events until it is written). */
static void overflow(Stream *s)
{
    Queue *q = &s->out;
    /* Keep the frame being written whole: frames end with a blank line
     * and data lines never hold a raw newline (JSON escapes them). */
    gsize keep = q->off + s->head;
    gboolean at_boundary = keep == 0 ||
                           (keep >= 2 && q->data[keep - 2] == '\n' && q->data[keep - 1] == '\n');
    if (!at_boundary) {
        const char *end = g_strstr_len(q->data + keep - 1, (gssize)(q->len - keep + 1), "\n\n");
        keep = end ? (gsize)(end - q->data) + 2 : q->len;
    }
    q->len = keep;
    append_reload(s, "overflow");
    s->behind = TRUE;
}

static void queue_frame(Stream *s, const char *id, const char *frame)
{
    if (s->closing || s->behind)
        return;
    gsize len = (id ? strlen(id) : 0) + strlen(frame);
    if (queue_size(&s->out) + len > MAX_QUEUED) {
        overflow(s);
    } else {
        if (id)
            queue_add(&s->out, id, strlen(id));
        queue_add(&s->out, frame, strlen(frame));
    }
    mark_dirty(s);
}

/* ---- the hub's thread ---- */

static void stream_free(Stream *s)
{
    api_event_viewer_free(s->viewer);
    queue_clear(&s->out);
    g_free(s);
}

static void stream_close(Stream *s)
{
    if (s->watching)
        epoll_ctl(s->hub->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    stream_free(s);
}

/* The client went away (or talks, which event clients never do). */
static void hear(Stream *s)
{
    char buf[512];
    for (;;) {
        ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        s->heard += n > 0 ? (gsize)n : 0;
        if (n <= 0 || s->heard > MAX_CLIENT_BYTES) {
            s->closing = TRUE;
            return;
        }
    }
}

static void ping_locked(EventHub *hub)
{
    api_event_views_new_round(hub->views);
    g_autofree char *id = id_line(hub, event_ring_last(hub->ring));
    /* A comment keeps proxies from timing out and shows the browser the
     * stream is alive; the id moves the client past events it may not
     * see, which a reconnect then need not look for. */
    g_autofree char *beat = g_strdup_printf(": ping\n%s\n", id);
    for (guint i = 0; i < hub->streams->len; i++) {
        Stream *s = g_ptr_array_index(hub->streams, i);
        /* A stream ends with the session or token that opened it. */
        if (!s->closing && !api_event_viewer_valid(s->viewer))
            s->closing = TRUE;
        else
            queue_frame(s, NULL, beat);
    }
}

/* Writes what waits and frees the streams that ended. */
static void settle(EventHub *hub)
{
    for (guint i = 0; i < hub->dirty->len; i++) {
        Stream *s = g_ptr_array_index(hub->dirty, i);
        s->dirty = FALSE;
        flush(s);
    }
    g_ptr_array_set_size(hub->dirty, 0);
    for (guint i = 0; i < hub->streams->len;) {
        Stream *s = g_ptr_array_index(hub->streams, i);
        if (s->closing || hub->closed) {
            g_ptr_array_remove_index_fast(hub->streams, i);
            stream_close(s);
        } else {
            i++;
        }
    }
}

static gpointer hub_loop(gpointer data)
{
    EventHub *hub = data;
    const gint64 interval = (gint64)hub->set.ping_interval_ms * 1000;
    gint64 next_ping = g_get_monotonic_time() + interval;
    struct epoll_event evs[64];
    for (;;) {
        gint64 wait_ms = (next_ping - g_get_monotonic_time()) / 1000;
        int n = epoll_wait(hub->epfd, evs, G_N_ELEMENTS(evs), (int)CLAMP(wait_ms, 0, 60000));
        if (n < 0 && errno != EINTR) {
            g_warning("event stream: epoll_wait: %s", g_strerror(errno));
            g_usleep(100 * 1000);
        }
        g_mutex_lock(&hub->lock);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == hub) {
                guint64 count;
                while (read(hub->wakefd, &count, sizeof(count)) > 0) {
                }
                continue;
            }
            Stream *s = evs[i].data.ptr;
            if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                hear(s);
            if (evs[i].events & EPOLLOUT)
                mark_dirty(s);
        }
        if (!hub->closed && g_get_monotonic_time() >= next_ping) {
            ping_locked(hub);
            next_ping = g_get_monotonic_time() + interval;
        }
        settle(hub);
        gboolean done = hub->closed;
        g_mutex_unlock(&hub->lock);
        if (done)
            return NULL;
    }
}

/* ---- the hub ---- */

EventHub *events_hub_new(ApiContext *api, const EventHubSettings *settings)
{
    EventHub *hub = g_new0(EventHub, 1);
    hub->api = api;
    hub->set = *settings;
    if (!hub->set.ping_interval_ms)
        hub->set.ping_interval_ms = PING_INTERVAL_MS;
    /* Ids of another vireod (restarted) must never be taken for ours. */
    g_snprintf(hub->epoch, sizeof(hub->epoch), "%" G_GINT64_MODIFIER "x%04x", g_get_real_time(),
               g_random_int_range(0, 0x10000));
    g_mutex_init(&hub->lock);
    hub->streams = g_ptr_array_new();
    hub->dirty = g_ptr_array_new();
    if (!hub->set.history)
        hub->set.history = RING_EVENTS;
    hub->ring = event_ring_new(hub->set.history, (gsize)hub->set.history * RING_BYTES_PER_EVENT,
                               (GDestroyNotify)api_event_record_unref);
    hub->views = api_event_views_new(api);
    hub->epfd = epoll_create1(EPOLL_CLOEXEC);
    hub->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (hub->epfd < 0 || hub->wakefd < 0)
        g_error("event stream: epoll/eventfd: %s", g_strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = hub};
    if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, hub->wakefd, &ev) < 0)
        g_error("event stream: epoll: %s", g_strerror(errno));
    hub->thread = g_thread_new("event-stream", hub_loop, hub);
    return hub;
}

void events_hub_close(EventHub *hub)
{
    g_mutex_lock(&hub->lock);
    hub->closed = TRUE;
    hub_wake(hub);
    g_mutex_unlock(&hub->lock);
}

void events_hub_free(EventHub *hub)
{
    if (!hub)
        return;
    events_hub_close(hub);
    g_thread_join(hub->thread);
    g_ptr_array_unref(hub->streams);
    g_ptr_array_unref(hub->dirty);
    event_ring_free(hub->ring);
    api_event_views_free(hub->views);
    close(hub->epfd);
    close(hub->wakefd);
    g_mutex_clear(&hub->lock);
    g_free(hub);
}

static gboolean admit(EventHub *hub, const Stream *s, GError **error)
{
    guint same_credential = 0, same_address = 0;
    for (guint i = 0; i < hub->streams->len; i++) {
        const Stream *o = g_ptr_array_index(hub->streams, i);
        if (o->closing)
            continue;
        same_credential += api_event_viewer_same_credential(o->viewer, s->viewer);
        same_address += strcmp(o->address, s->address) == 0;
    }
    /* One session or token, or one address, cannot hold every stream. */
    if (same_credential >= hub->set.max_per_credential)
        return api_fail(error, API_ERROR_TOO_MANY_REQUESTS,
                        "this session or token has the most "
                        "event streams open it may; close one (or log in again) first");
    if (same_address >= hub->set.max_per_address || hub->streams->len >= hub->set.max_streams)
        return api_fail(error, API_ERROR_TOO_MANY_REQUESTS,
                        "too many event streams are open; close one first");
    return TRUE;
}

static void head(Stream *s, gboolean tls)
{
    g_autoptr(GString) h = g_string_new("HTTP/1.1 200 OK\r\n"
                                        "Content-Type: text/event-stream\r\n"
                                        "Cache-Control: no-cache\r\n"
                                        "X-Accel-Buffering: no\r\n"
                                        "Connection: close\r\n");
    http_security_headers_text(h, HTTP_BODY_DATA, tls);
    /* An opening comment, so the client knows it is live, and how soon
     * to come back after the stream breaks. */
    g_string_append_printf(h, "\r\n: vireo events\nretry: %d\n\n", RETRY_MS);
    queue_add(&s->out, h->str, h->len);
    s->head = h->len;
}

typedef struct {
    Stream *s;
    guint64 last;
} Replay;

static void replay_one(guint64 seq, gpointer item, gpointer data)
{
    Replay *r = data;
    const char *frame = api_event_viewer_frame(r->s->viewer, item);
    if (!frame)
        return;
    g_autofree char *id = id_line(r->s->hub, seq);
    queue_frame(r->s, id, frame);
    r->last = seq;
}

gboolean events_subscribe(EventHub *hub, int fd, const char *address, ApiAuth *auth,
                          const char *last_id, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&hub->lock);
    if (hub->closed) {
        api_auth_free(auth);
        return api_fail(error, API_ERROR_UNAVAILABLE, "vireod is stopping");
    }
    Stream *s = g_new0(Stream, 1);
    s->hub = hub;
    s->fd = -1;
    g_strlcpy(s->address, address ? address : "", sizeof(s->address));
    s->viewer = api_event_viewer_new(hub->views, auth);
    if (!admit(hub, s, error)) {
        stream_free(s);
        return FALSE;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        stream_free(s);
        return api_fail(error, API_ERROR_INTERNAL, "event stream socket: %s", g_strerror(errno));
    }
    s->fd = fd;
    head(s, hub->set.tls);
    guint64 after = 0;
    guint64 last = event_ring_last(hub->ring);
    switch (event_ring_resume(hub->ring, hub->epoch, last_id, &after)) {
    case EVENT_RESUME_REPLAY: {
        Replay r = {s, after};
        event_ring_each_after(hub->ring, after, replay_one, &r);
        if (r.last == last)
            break;
        /* Nothing more it may see: move its id to now (an id with no data
         * is not an event, just the client's new resume point). */
    }
        G_GNUC_FALLTHROUGH;
    case EVENT_RESUME_FRESH: {
        g_autofree char *id = id_line(hub, last);
        g_autofree char *mark = g_strconcat(id, "\n", NULL);
        queue_frame(s, NULL, mark);
        break;
    }
    case EVENT_RESUME_LOST: append_reload(s, "gap"); break;
    }
    g_ptr_array_add(hub->streams, s);
    mark_dirty(s);
    hub_wake(hub);
    return TRUE;
}

void events_publish(EventHub *hub, const ApiEvent *e)
{
    ApiEventRecord *rec = api_event_record_new(e);
    g_mutex_lock(&hub->lock);
    g_autofree char *id = NULL;
    if (api_event_record_resumable(rec)) {
        guint64 seq = event_ring_push(hub->ring, api_event_record_ref(rec),
                                      api_event_record_size(rec));
        id = id_line(hub, seq);
    }
    gboolean any = FALSE;
    for (guint i = 0; i < hub->streams->len; i++) {
        Stream *s = g_ptr_array_index(hub->streams, i);
        if (e->kind == API_EVENT_STATS && queue_size(&s->out) > STATS_BACKLOG_MAX)
            continue;
        const char *frame = s->closing ? NULL : api_event_viewer_frame(s->viewer, rec);
        if (frame) {
            queue_frame(s, id, frame);
            any = TRUE;
        }
    }
    if (any)
        hub_wake(hub);
    g_mutex_unlock(&hub->lock);
    api_event_record_unref(rec);
}

void events_auth_changed(EventHub *hub, gint64 user_id)
{
    g_mutex_lock(&hub->lock);
    /* What the user may see is read again now, once per user; a stream
     * whose credentials went ends. */
    api_event_views_new_round(hub->views);
    api_event_views_refresh(hub->views, user_id);
    gboolean any = FALSE;
    for (guint i = 0; i < hub->streams->len; i++) {
        Stream *s = g_ptr_array_index(hub->streams, i);
        if (s->closing || (user_id && api_event_viewer_user(s->viewer) != user_id))
            continue;
        if (!api_event_viewer_valid(s->viewer)) {
            s->closing = TRUE;
            any = TRUE;
        }
    }
    if (any)
        hub_wake(hub);
    g_mutex_unlock(&hub->lock);
}

guint events_subscriber_count(EventHub *hub)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&hub->lock);
    return hub->streams->len;
}
