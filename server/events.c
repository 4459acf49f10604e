/* Event fan-out over libmicrohttpd: each subscriber has a queue of
 * formatted SSE frames; its content reader drains the queue, or suspends
 * the connection when it is empty, and publishing resumes it. */
#include "server/events.h"

#include <libvirt/libvirt.h>
#include <string.h>

typedef struct {
    EventHub *hub;
    struct MHD_Connection *conn;
    ApiEventViewer *viewer;   /* who it is and what it may see (api/) */
    GString *pending;     /* frames not yet written */
    gsize sent;           /* bytes of `pending` already written */
    gboolean suspended;
    gboolean closing;
} Subscriber;

struct EventHub {
    ApiContext *api;
    guint max_per_credential;
    gboolean closed;
    GMutex lock;
    GCond stop;
    GPtrArray *subs;      /* Subscriber* (not owned: freed by MHD's callback) */
    GThread *pinger;
};

/* A sample is skipped for a stream that has this much not yet written:
 * the next one says the same, newer, and a stalled reader must not make
 * vireod hold samples for it without end. */
#define STATS_BACKLOG_MAX (64 * 1024)

/* Also how soon a stream notices that its session expired. */
#define PING_INTERVAL_US (5 * G_USEC_PER_SEC)

static gpointer ping_loop(gpointer data)
{
    EventHub *hub = data;
    g_mutex_lock(&hub->lock);
    while (!hub->closed) {
        gint64 until = g_get_monotonic_time() + PING_INTERVAL_US;
        if (g_cond_wait_until(&hub->stop, &hub->lock, until))
            continue;
        g_mutex_unlock(&hub->lock);
        events_ping(hub);
        g_mutex_lock(&hub->lock);
    }
    g_mutex_unlock(&hub->lock);
    return NULL;
}

EventHub *events_hub_new(ApiContext *api, guint max_per_credential)
{
    EventHub *hub = g_new0(EventHub, 1);
    hub->api = api;
    hub->max_per_credential = max_per_credential;
    g_mutex_init(&hub->lock);
    g_cond_init(&hub->stop);
    hub->subs = g_ptr_array_new();
    hub->pinger = g_thread_new("event-ping", ping_loop, hub);
    return hub;
}

static void wake(Subscriber *s)
{
    if (s->suspended) {
        s->suspended = FALSE;
        MHD_resume_connection(s->conn);
    }
}

void events_hub_close(EventHub *hub)
{
    g_mutex_lock(&hub->lock);
    hub->closed = TRUE;
    g_cond_signal(&hub->stop);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        s->closing = TRUE;
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
}

void events_hub_free(EventHub *hub)
{
    if (!hub)
        return;
    g_thread_join(hub->pinger);
    g_ptr_array_unref(hub->subs);
    g_cond_clear(&hub->stop);
    g_mutex_clear(&hub->lock);
    g_free(hub);
}

static ssize_t read_events(void *cls, uint64_t pos G_GNUC_UNUSED, char *buf, size_t max)
{
    Subscriber *s = cls;
    EventHub *hub = s->hub;
    g_mutex_lock(&hub->lock);
    ssize_t n = 0;
    if (s->sent < s->pending->len) {
        n = (ssize_t)MIN(max, s->pending->len - s->sent);
        memcpy(buf, s->pending->str + s->sent, (size_t)n);
        s->sent += (gsize)n;
        if (s->sent == s->pending->len) {
            g_string_truncate(s->pending, 0);
            s->sent = 0;
        }
    } else if (s->closing) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* Nothing to say: wait, without a thread, until publish wakes us. */
        s->suspended = TRUE;
        MHD_suspend_connection(s->conn);
    }
    g_mutex_unlock(&hub->lock);
    return n;
}

static void free_subscriber(void *cls)
{
    Subscriber *s = cls;
    EventHub *hub = s->hub;
    g_mutex_lock(&hub->lock);
    g_ptr_array_remove_fast(hub->subs, s);
    g_mutex_unlock(&hub->lock);
    api_event_viewer_free(s->viewer);
    g_string_free(s->pending, TRUE);
    g_free(s);
}

static guint streams_of(EventHub *hub, const ApiEventViewer *viewer)
{
    guint n = 0;
    for (guint i = 0; i < hub->subs->len; i++) {
        const Subscriber *s = g_ptr_array_index(hub->subs, i);
        if (!s->closing && api_event_viewer_same_credential(s->viewer, viewer))
            n++;
    }
    return n;
}

struct MHD_Response *events_subscribe(EventHub *hub, struct MHD_Connection *conn, ApiAuth *auth)
{
    ApiEventViewer *viewer = api_event_viewer_new(hub->api, auth);
    g_mutex_lock(&hub->lock);
    /* One session or token cannot hold every connection there is. */
    gboolean full = streams_of(hub, viewer) >= hub->max_per_credential;
    g_mutex_unlock(&hub->lock);
    if (full) {
        api_event_viewer_free(viewer);
        return NULL;
    }
    Subscriber *s = g_new0(Subscriber, 1);
    s->hub = hub;
    s->conn = conn;
    s->viewer = viewer;
    /* An opening comment and a retry hint, so the client knows it is live. */
    s->pending = g_string_new(": vireo events\nretry: 3000\n\n");
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_events, s, free_subscriber);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    g_mutex_lock(&hub->lock);
    s->closing = hub->closed;
    g_ptr_array_add(hub->subs, s);
    g_mutex_unlock(&hub->lock);
    return r;
}

void events_publish(EventHub *hub, const ApiEvent *e)
{
    ApiEventFrames frames = {0};
    api_event_frames_init(&frames, e);
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        if (e->kind == API_EVENT_STATS && s->pending->len - s->sent > STATS_BACKLOG_MAX)
            continue;
        const char *frame = s->closing ? NULL : api_event_viewer_frame(s->viewer, e, &frames);
        if (!frame)
            continue;
        g_string_append(s->pending, frame);
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
    api_event_frames_clear(&frames);
}

guint events_subscriber_count(EventHub *hub)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&hub->lock);
    guint n = 0;
    for (guint i = 0; i < hub->subs->len; i++)
        if (!((Subscriber *)g_ptr_array_index(hub->subs, i))->closing)
            n++;
    return n;
}

void events_auth_changed(EventHub *hub, gint64 user_id)
{
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        if (s->closing || (user_id && api_event_viewer_user(s->viewer) != user_id))
            continue;
        /* What the user may see is read again now, not at the next ping;
         * a stream whose credentials went ends. */
        if (!api_event_viewer_refresh(s->viewer)) {
            s->closing = TRUE;
            wake(s);
        }
    }
    g_mutex_unlock(&hub->lock);
}

void events_ping(EventHub *hub)
{
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        /* A stream ends with the session or token that opened it. */
        if (!api_event_viewer_valid(s->viewer))
            s->closing = TRUE;
        else
            g_string_append(s->pending, ": ping\n\n");
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
}
