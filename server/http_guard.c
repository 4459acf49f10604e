/* The head-of-request deadline (see http_guard.h). Each connection gets a
 * record when libmicrohttpd opens it; the record leaves the list, under the
 * guard's lock, in the "closed" notification, which libmicrohttpd sends
 * before it closes the socket: so the watchdog never touches an fd that
 * has been closed and reused. */
#include "server/http_guard.h"

#include <sys/socket.h>

#define WATCH_INTERVAL_US (250 * 1000)

typedef struct {
    HttpGuard *guard;
    int fd;
    gint64 deadline; /* monotonic µs; 0 while a request is being served */
    GList link;      /* in guard->conns */
} GuardedConn;

struct HttpGuard {
    gint64 header_timeout_us;
    GMutex lock;
    GCond stop;
    gboolean stopping;
    GQueue conns; /* GuardedConn, by their embedded link */
    guint64 cut;
    GThread *watcher;
};

static gpointer watch(gpointer data)
{
    HttpGuard *g = data;
    g_mutex_lock(&g->lock);
    while (!g->stopping) {
        gint64 now = g_get_monotonic_time();
        for (GList *l = g->conns.head; l; l = l->next) {
            GuardedConn *c = l->data;
            if (c->deadline && c->deadline <= now) {
                /* libmicrohttpd sees the end of the stream and closes the
                 * connection itself; shutdown() leaves the fd to it. */
                shutdown(c->fd, SHUT_RDWR);
                c->deadline = 0;
                g->cut++;
                g_debug("connection fd %d sent no whole request head in time: closed", c->fd);
            }
        }
        g_cond_wait_until(&g->stop, &g->lock, now + WATCH_INTERVAL_US);
    }
    g_mutex_unlock(&g->lock);
    return NULL;
}

HttpGuard *http_guard_new(unsigned header_timeout_s)
{
    HttpGuard *g = g_new0(HttpGuard, 1);
    g->header_timeout_us = (gint64)header_timeout_s * G_USEC_PER_SEC;
    g_mutex_init(&g->lock);
    g_cond_init(&g->stop);
    g_queue_init(&g->conns);
    g->watcher = g_thread_new("http-guard", watch, g);
    return g;
}

void http_guard_free(HttpGuard *g)
{
    if (!g)
        return;
    g_mutex_lock(&g->lock);
    g->stopping = TRUE;
    g_cond_signal(&g->stop);
    g_mutex_unlock(&g->lock);
    g_thread_join(g->watcher);
    /* The daemon has stopped: every connection was notified closed. */
    g_warn_if_fail(g->conns.length == 0);
    g_cond_clear(&g->stop);
    g_mutex_clear(&g->lock);
    g_free(g);
}

void http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe)
{
    HttpGuard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(
            conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        GuardedConn *c = g_new0(GuardedConn, 1);
        c->guard = g;
        c->fd = info ? info->connect_fd : -1;
        c->link.data = c;
        g_mutex_lock(&g->lock);
        c->deadline = c->fd >= 0 ? g_get_monotonic_time() + g->header_timeout_us : 0;
        g_queue_push_tail_link(&g->conns, &c->link);
        g_mutex_unlock(&g->lock);
        *socket_context = c;
        return;
    }
    GuardedConn *c = *socket_context;
    if (!c)
        return;
    g_mutex_lock(&g->lock);
    g_queue_unlink(&g->conns, &c->link);
    g_mutex_unlock(&g->lock);
    g_free(c);
    *socket_context = NULL;
}

static void set_deadline(struct MHD_Connection *conn, gboolean serving)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    GuardedConn *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    HttpGuard *g = c->guard;
    g_mutex_lock(&g->lock);
    c->deadline = serving || c->fd < 0 ? 0 : g_get_monotonic_time() + g->header_timeout_us;
    g_mutex_unlock(&g->lock);
}

void http_guard_request_began(struct MHD_Connection *conn)
{
    set_deadline(conn, TRUE);
}

void http_guard_request_ended(struct MHD_Connection *conn)
{
    set_deadline(conn, FALSE);
}

guint64 http_guard_cut_count(HttpGuard *g)
{
    g_mutex_lock(&g->lock);
    guint64 n = g->cut;
    g_mutex_unlock(&g->lock);
    return n;
}
