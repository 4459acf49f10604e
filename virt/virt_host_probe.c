/* libvirt's open has no time limit of its own: over TCP or TLS it waits as
 * long as the peer holds the socket without answering, and a request must
 * not. So the open runs on a thread of its own, which the request waits for
 * a while and then leaves; the thread cleans up whenever libvirt returns.
 * Vireo does not cut such an open (docs/hosts.md: cutting an opening made
 * libvirt 9.0's daemon crash), so the threads left behind are bounded. */
#include "virt/virt_host_probe.h"

#include <libvirt/libvirt.h>

#include "virt/virt_error.h"
#include "virt/virt_hosts.h"

typedef struct {
    gint refs; /* atomic: the thread's and the waiter's */
    GMutex lock;
    GCond finished;
    gboolean done;
    char *uri;
    char *uuid;    /* answer */
    GError *error; /* or why not */
} Probe;

static gint pending; /* atomic: probe threads not yet returned */

static void probe_unref(Probe *p)
{
    if (!g_atomic_int_dec_and_test(&p->refs))
        return;
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->finished);
    g_free(p->uri);
    g_free(p->uuid);
    g_clear_error(&p->error);
    g_free(p);
}

static gpointer probe_thread(gpointer data)
{
    Probe *p = data;
    GError *error = NULL;
    char *uuid = NULL;
    virConnectPtr conn = virConnectOpen(p->uri);
    if (!conn) {
        virt_error_from_libvirt(&error, "connect");
    } else {
        uuid = virt_host_read_uuid(conn, &error);
        virConnectClose(conn);
    }
    g_mutex_lock(&p->lock);
    p->uuid = uuid;
    p->error = error;
    p->done = TRUE;
    g_cond_signal(&p->finished);
    g_mutex_unlock(&p->lock);
    probe_unref(p);
    g_atomic_int_add(&pending, -1);
    return NULL;
}

char *virt_host_probe_uuid(const char *uri, guint timeout_s, GError **error)
{
    if (g_atomic_int_add(&pending, 1) >= VIRT_HOST_PROBE_MAX_PENDING) {
        g_atomic_int_add(&pending, -1);
        virt_fail(error, VIRT_ERROR_UNAVAILABLE,
                  "%d earlier attempts to reach hosts still wait for an answer; try again "
                  "later",
                  VIRT_HOST_PROBE_MAX_PENDING);
        return NULL;
    }
    Probe *p = g_new0(Probe, 1);
    p->refs = 2;
    g_mutex_init(&p->lock);
    g_cond_init(&p->finished);
    p->uri = g_strdup(uri);
    GError *thread_error = NULL;
    GThread *t = g_thread_try_new("host-probe", probe_thread, p, &thread_error);
    if (!t) {
        g_atomic_int_add(&pending, -1);
        virt_fail(error, VIRT_ERROR_FAILED, "cannot start a thread: %s", thread_error->message);
        g_error_free(thread_error);
        probe_unref(p);
        probe_unref(p);
        return NULL;
    }
    g_thread_unref(t); /* it ends alone */

    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_TIME_SPAN_SECOND;
    char *uuid = NULL;
    g_mutex_lock(&p->lock);
    while (!p->done && g_cond_wait_until(&p->finished, &p->lock, deadline))
        ;
    if (!p->done)
        virt_fail(error, VIRT_ERROR_UNAVAILABLE, "no answer within %u s", timeout_s);
    else if (p->uuid)
        uuid = g_steal_pointer(&p->uuid);
    else
        g_propagate_error(error, g_steal_pointer(&p->error));
    g_mutex_unlock(&p->lock);
    probe_unref(p);
    return uuid;
}

guint virt_host_probe_pending(void)
{
    return (guint)g_atomic_int_get(&pending);
}
