/* Event fan-out over libmicrohttpd: each subscriber has a queue of
 * formatted SSE frames; its content reader drains the queue, or suspends
 * the connection when it is empty, and publishing resumes it. */
#include "server/events.h"
#include "api/core/api_gate.h"
#include "virt/virt_conn.h"

#include <libvirt/libvirt.h>
#include <string.h>

typedef struct {
    EventHub *hub;
    struct MHD_Connection *conn;
    ApiAuth *auth;
    GString *pending;     /* frames not yet written */
    gsize sent;           /* bytes of `pending` already written */
    gboolean suspended;
    gboolean closing;
} Subscriber;

struct EventHub {
    ApiContext *api;
    gboolean closed;
    GMutex lock;
    GCond stop;
    GPtrArray *subs;      /* Subscriber* (not owned: freed by MHD's callback) */
    GThread *pinger;
};

void events_ping(EventHub *hub);

/* Also how soon a stream notices that its session was revoked. */
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

EventHub *events_hub_new(ApiContext *api)
{
    EventHub *hub = g_new0(EventHub, 1);
    hub->api = api;
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
    api_auth_free(s->auth);
    g_string_free(s->pending, TRUE);
    g_free(s);
}

struct MHD_Response *events_subscribe(EventHub *hub, struct MHD_Connection *conn, ApiAuth *auth)
{
    Subscriber *s = g_new0(Subscriber, 1);
    s->hub = hub;
    s->conn = conn;
    s->auth = auth;
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

static const char *event_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:     return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED:   return "undefined";
    case VIR_DOMAIN_EVENT_STARTED:     return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED:   return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED:     return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED:     return "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN:    return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED:     return "crashed";
    case VIRT_DOMAIN_EVENT_DEVICES:    return "devices";
    case VIRT_DOMAIN_EVENT_EDITED:     return "edited";
    default:                           return "changed";
    }
}

void events_publish_vm(EventHub *hub, const char *uuid, const char *name, int event)
{
    g_autoptr(json_t) data = json_pack("{s:s,s:s,s:s}", "event", event_name(event), "name", name,
                                       "uuid", uuid);
    g_autofree char *text = json_dumps(data, JSON_COMPACT);
    g_autofree char *frame = g_strdup_printf("event: vm\ndata: %s\n\n", text);
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        /* Only VMs the subscriber may see; admins see all. */
        g_autoptr(GHashTable) visible = api_visible_vms(hub->api, s->auth, NULL);
        if (s->auth->role != API_ROLE_ADMIN && (!visible || !g_hash_table_contains(visible, uuid)))
            continue;
        g_string_append(s->pending, frame);
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
}

/* libvirt numbers pool and network lifecycle events alike up to STOPPED;
 * pools add CREATED (built) and DELETED (storage removed). */
static const char *object_event_name(const char *kind, int event)
{
    static const char *const names[] = {"defined", "undefined", "started", "stopped",
                                        "created", "deleted"};
    int known = strcmp(kind, "pool") == 0 ? 6 : 4;
    return event >= 0 && event < known ? names[event] : "changed";
}

void events_publish_object(EventHub *hub, const char *kind, const char *uuid, const char *name,
                           int event)
{
    g_autoptr(json_t) data = json_pack("{s:s,s:s,s:s}", "event", object_event_name(kind, event),
                                       "name", name, "uuid", uuid);
    g_autofree char *text = json_dumps(data, JSON_COMPACT);
    g_autofree char *frame = g_strdup_printf("event: %s\ndata: %s\n\n", kind, text);
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        g_string_append(s->pending, frame);
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
}

void events_ping(EventHub *hub)
{
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        /* A stream ends with the session or token that opened it. */
        if (!api_auth_still_valid(hub->api, s->auth))
            s->closing = TRUE;
        else
            g_string_append(s->pending, ": ping\n\n");
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
}

void events_publish_task(EventHub *hub, gint64 owner_id, const char *task_json)
{
    g_autofree char *frame = g_strdup_printf("event: task\ndata: %s\n\n", task_json);
    g_mutex_lock(&hub->lock);
    for (guint i = 0; i < hub->subs->len; i++) {
        Subscriber *s = g_ptr_array_index(hub->subs, i);
        /* A task is its owner's business, and the admins'. */
        if (s->auth->role != API_ROLE_ADMIN && s->auth->user_id != owner_id)
            continue;
        g_string_append(s->pending, frame);
        wake(s);
    }
    g_mutex_unlock(&hub->lock);
}
