/* Connection manager: libvirt's default event loop runs on its own thread
 * (events need it); a second thread per connection opens it, probes it and
 * reopens it whenever the close callback reports it dead; a watchdog
 * thread cuts the transport of a connection that stopped answering.
 *
 * Why not libvirt's keepalive: when it gives up on a hung daemon it ends
 * the call in progress from the event thread, and libvirt 9.0's client
 * then leaves that call's socket watch attached to the connection, with a
 * pointer into the stack of the call that has returned. The next thread
 * waiting on the connection runs the watch once the socket stirs (the
 * daemon answers again or dies) and crashes (virNetClientIOEventFD with a
 * NULL client; tests/api/test_hosts_hung.py made it happen on the first
 * hang). Instead, a probe thread per connection asks the daemon something
 * cheap every PROBE_INTERVAL (virConnectGetLibVersion: a high-priority
 * call, answered even when all the daemon's workers are busy), and the
 * watchdog shuts down the sockets of a connection whose probe waited
 * HANG_LIMIT, or whose opening or close waited STOPPING_HANG_LIMIT while it
 * is being stopped (virt_sever.h): every waiting call then wakes to an end
 * of file in its own thread, and the close callback reconnects as before.
 * The owner's work after a connect (on_connected) is not timed: it may be
 * long, and a hang under it is a hang of the probe too. */
#include "virt/virt_conn.h"
#include "virt/virt_driver.h"
#include "virt/virt_error.h"
#include "virt/virt_sever.h"
#include "virt/virt_uri.h"

#include <libvirt/virterror.h>
#include <string.h>

#define RECONNECT_INTERVAL_US (1 * G_USEC_PER_SEC)
#define PROBE_INTERVAL_US (2 * G_USEC_PER_SEC)
/* A probe or an opening that waited this long is hung (libvirt's keepalive
 * at 2 s x 3 gave up after 6 to 8 s). While stopping, no more than this. */
#define HANG_LIMIT_US (6 * G_USEC_PER_SEC)
#define STOPPING_HANG_LIMIT_US (G_USEC_PER_SEC)
#define WATCHDOG_TICK_US (G_USEC_PER_SEC / 4)
/* A lost connection is "reconnecting" this long, then "unreachable". */
#define RECONNECTING_GRACE_US (10 * G_USEC_PER_SEC)

/* libvirt's ids of our event registrations on one connection. */
typedef struct {
    int domain, pool, network, device_added, device_removed, metadata, balloon;
} EventIds;

static const EventIds no_events = {-1, -1, -1, -1, -1, -1, -1};

struct VirtConn {
    char *uri;
    char *connect_uri; /* what is opened: uri with credentials; NULL: uri */
    VirtDomainEventFunc on_event;
    VirtObjectEventFunc on_object;
    VirtConnectedFunc on_connected;
    gpointer user_data;

    GMutex lock;
    GCond wake;
    virConnectPtr conn; /* NULL while down */
    guint64 number;     /* connections made so far */
    EventIds events;
    gboolean broken; /* set by the close callback */
    gboolean stopping;
    GThread *reconnect_thread;
    struct VirtDriver *driver; /* facts of connection driver_number (virt_driver.h) */
    guint64 driver_number;
    /* Health (virt_conn_health): when the connection last went up or down,
     * and why the last attempt failed. */
    gint64 changed_at, changed_mono;
    char *reason;
    /* The watchdog's: since when the reconnect thread's opening or close
     * and the probe thread's probe wait (0: not waiting), when it last cut
     * the transport, whether it did since the last opening began (so the
     * loss is a hang), and what to cut. */
    gint64 open_since, probe_since, cut_at;
    gboolean severed;
    VirtSeverTarget *sever;
    GThread *probe_thread;
};

static char *hang_reason(void)
{
    return g_strdup_printf("libvirt did not answer within %d s",
                           (int)(HANG_LIMIT_US / G_USEC_PER_SEC));
}

/* Lock held. */
static void note_change(VirtConn *vc)
{
    vc->changed_at = g_get_real_time();
    vc->changed_mono = g_get_monotonic_time();
}

static GThread *event_thread;
static volatile gint event_loop_stop;

static gpointer event_loop(gpointer data G_GNUC_UNUSED)
{
    while (!g_atomic_int_get(&event_loop_stop))
        if (virEventRunDefaultImpl() < 0)
            g_usleep(G_USEC_PER_SEC / 10);
    return NULL;
}

/* Silences libvirt's default printing of every error to stderr: we report
 * errors ourselves, with context. */
static void quiet_errors(void *data G_GNUC_UNUSED, virErrorPtr e G_GNUC_UNUSED) {}

void virt_init(void)
{
    if (event_thread)
        return;
    virInitialize();
    virSetErrorFunc(NULL, quiet_errors);
    virEventRegisterDefaultImpl();
    event_thread = g_thread_new("virt-events", event_loop, NULL);
}

static void on_close(virConnectPtr conn G_GNUC_UNUSED, int reason G_GNUC_UNUSED, void *opaque)
{
    VirtConn *vc = opaque;
    g_mutex_lock(&vc->lock);
    if (!vc->broken) {
        note_change(vc);
        g_free(vc->reason);
        vc->reason = vc->severed ? hang_reason() : g_strdup("the connection was lost");
    }
    vc->broken = TRUE;
    g_cond_broadcast(&vc->wake);
    g_mutex_unlock(&vc->lock);
}

static int on_lifecycle(virConnectPtr conn G_GNUC_UNUSED, virDomainPtr dom, int event, int detail,
                        void *opaque)
{
    VirtConn *vc = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    if (vc->on_event)
        vc->on_event(uuid, virDomainGetName(dom), event, detail, vc->user_data);
    return 0;
}

/* Device added and removed events share this shape (alias is unused). */
static void on_device(virConnectPtr conn G_GNUC_UNUSED, virDomainPtr dom,
                      const char *alias G_GNUC_UNUSED, void *opaque)
{
    VirtConn *vc = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    if (vc->on_event)
        vc->on_event(uuid, virDomainGetName(dom), VIRT_DOMAIN_EVENT_DEVICES, 0, vc->user_data);
}

static void on_metadata(virConnectPtr conn G_GNUC_UNUSED, virDomainPtr dom, int type G_GNUC_UNUSED,
                        const char *nsuri G_GNUC_UNUSED, void *opaque)
{
    VirtConn *vc = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    if (vc->on_event)
        vc->on_event(uuid, virDomainGetName(dom), VIRT_DOMAIN_EVENT_METADATA, 0, vc->user_data);
}

static void on_balloon(virConnectPtr conn G_GNUC_UNUSED, virDomainPtr dom,
                       unsigned long long actual G_GNUC_UNUSED, void *opaque)
{
    VirtConn *vc = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virDomainGetUUIDString(dom, uuid);
    if (vc->on_event)
        vc->on_event(uuid, virDomainGetName(dom), VIRT_DOMAIN_EVENT_BALLOON, 0, vc->user_data);
}

static int on_pool_lifecycle(virConnectPtr conn G_GNUC_UNUSED, virStoragePoolPtr pool, int event,
                             int detail G_GNUC_UNUSED, void *opaque)
{
    VirtConn *vc = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virStoragePoolGetUUIDString(pool, uuid);
    if (vc->on_object)
        vc->on_object("pool", uuid, virStoragePoolGetName(pool), event, vc->user_data);
    return 0;
}

static int on_network_lifecycle(virConnectPtr conn G_GNUC_UNUSED, virNetworkPtr net, int event,
                                int detail G_GNUC_UNUSED, void *opaque)
{
    VirtConn *vc = opaque;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    virNetworkGetUUIDString(net, uuid);
    if (vc->on_object)
        vc->on_object("network", uuid, virNetworkGetName(net), event, vc->user_data);
    return 0;
}

/* Registers the event callbacks; a driver without some kind of events
 * (or a refusal) leaves that id at -1. */
static EventIds register_events(VirtConn *vc, virConnectPtr conn)
{
    EventIds ids = no_events;
    ids.domain = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                  VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), vc,
                                                  NULL);
    ids.device_added = virConnectDomainEventRegisterAny(
        conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_device), vc,
        NULL);
    ids.device_removed = virConnectDomainEventRegisterAny(
        conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_device), vc,
        NULL);
    ids.metadata = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                                    VIR_DOMAIN_EVENT_CALLBACK(on_metadata), vc,
                                                    NULL);
    ids.balloon = virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
                                                   VIR_DOMAIN_EVENT_CALLBACK(on_balloon), vc, NULL);
    if (vc->on_object) {
        ids.pool = virConnectStoragePoolEventRegisterAny(
            conn, NULL, VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
            VIR_STORAGE_POOL_EVENT_CALLBACK(on_pool_lifecycle), vc, NULL);
        ids.network = virConnectNetworkEventRegisterAny(
            conn, NULL, VIR_NETWORK_EVENT_ID_LIFECYCLE,
            VIR_NETWORK_EVENT_CALLBACK(on_network_lifecycle), vc, NULL);
    }
    virResetLastError();
    return ids;
}

/* The watchdog times this thread's calls from now (or no more). */
static void stamp(VirtConn *vc, gint64 *since, gboolean waiting)
{
    g_mutex_lock(&vc->lock);
    *since = waiting ? g_get_monotonic_time() : 0;
    g_mutex_unlock(&vc->lock);
}

/* Opens the connection; on failure keeps why in vc->reason. */
static virConnectPtr open_connection(VirtConn *vc, EventIds *ids)
{
    const char *uri = vc->connect_uri ? vc->connect_uri : vc->uri;
    VirtSeverTarget *target = virt_sever_target_new(uri); /* resolved afresh */
    g_mutex_lock(&vc->lock);
    virt_sever_target_free(vc->sever);
    vc->sever = target;
    vc->severed = FALSE;
    vc->open_since = g_get_monotonic_time();
    g_mutex_unlock(&vc->lock);

    virConnectPtr conn = virConnectOpen(uri);
    if (!conn) {
        g_autoptr(GError) err = NULL;
        virt_error_from_libvirt(&err, "connect");
        g_debug("libvirt %s unreachable: %s", vc->uri, err->message);
        g_mutex_lock(&vc->lock);
        vc->open_since = 0;
        g_free(vc->reason);
        vc->reason = vc->severed ? hang_reason() : g_strdup(err->message);
        g_mutex_unlock(&vc->lock);
        return NULL;
    }
    virConnectRegisterCloseCallback(conn, on_close, vc, NULL);
    /* No virConnectSetKeepAlive: the probes and the watchdog do its work
     * (see the top of this file). Registering events asks the daemon too. */
    *ids = register_events(vc, conn);
    stamp(vc, &vc->open_since, FALSE);
    return conn;
}

/* One cheap question to the daemon every PROBE_INTERVAL while connected,
 * timed by the watchdog. A failure that loses the connection reaches
 * on_close; any other answer will do. */
static gpointer probe_loop(gpointer data)
{
    VirtConn *vc = data;
    g_mutex_lock(&vc->lock);
    while (!vc->stopping) {
        g_cond_wait_until(&vc->wake, &vc->lock, g_get_monotonic_time() + PROBE_INTERVAL_US);
        if (vc->stopping || !vc->conn || vc->broken)
            continue;
        virConnectPtr conn = vc->conn;
        virConnectRef(conn);
        vc->probe_since = g_get_monotonic_time();
        g_mutex_unlock(&vc->lock);
        unsigned long version = 0;
        if (virConnectGetLibVersion(conn, &version) < 0)
            virResetLastError();
        virConnectClose(conn);
        g_mutex_lock(&vc->lock);
        vc->probe_since = 0;
    }
    g_mutex_unlock(&vc->lock);
    return NULL;
}

/* ---- the watchdog: one thread for every connection ---- */

static GMutex watch_lock;
static GPtrArray *watched; /* VirtConn *, under watch_lock */

/* A wait that began after the last cut and has lasted `limit`. */
static gboolean overdue(gint64 since, gint64 cut_at, gint64 now, gint64 limit)
{
    return since && since > cut_at && now - since >= limit;
}

/* Both locks held. */
static void watch_one(VirtConn *vc, gint64 now)
{
    gint64 limit = vc->stopping ? STOPPING_HANG_LIMIT_US : HANG_LIMIT_US;
    /* An opening (or close) is cut only while stopping: one to a daemon
     * that hangs waits until it answers, as it did under keepalive. Cut
     * every HANG_LIMIT, it would leave that daemon a dead client with
     * calls in flight each time, and libvirt 9.0's daemon may crash on
     * those when it comes back (docs/hosts.md). */
    gint64 since = vc->stopping && overdue(vc->open_since, vc->cut_at, now, limit) ? vc->open_since
                   : overdue(vc->probe_since, vc->cut_at, now, limit)              ? vc->probe_since
                                                                                   : 0;
    if (!since)
        return;
    vc->cut_at = now;
    vc->severed = TRUE;
    guint cut = virt_sever(vc->sever);
    g_warning("libvirt at %s did not answer for %.0f s: cut %u connection(s) to %s", vc->uri,
              (double)(now - since) / G_USEC_PER_SEC, cut, virt_sever_target_describe(vc->sever));
}

static gpointer watchdog_loop(gpointer data G_GNUC_UNUSED)
{
    for (;;) {
        g_usleep(WATCHDOG_TICK_US);
        g_mutex_lock(&watch_lock);
        gint64 now = g_get_monotonic_time();
        for (guint i = 0; i < watched->len; i++) {
            VirtConn *vc = g_ptr_array_index(watched, i);
            g_mutex_lock(&vc->lock);
            watch_one(vc, now);
            g_mutex_unlock(&vc->lock);
        }
        g_mutex_unlock(&watch_lock);
    }
    return NULL;
}

static void watch_add(VirtConn *vc)
{
    g_mutex_lock(&watch_lock);
    if (!watched) {
        watched = g_ptr_array_new();
        g_thread_unref(g_thread_new("virt-watchdog", watchdog_loop, NULL));
    }
    g_ptr_array_add(watched, vc);
    g_mutex_unlock(&watch_lock);
}

static void watch_remove(VirtConn *vc)
{
    g_mutex_lock(&watch_lock);
    if (watched)
        g_ptr_array_remove(watched, vc);
    g_mutex_unlock(&watch_lock);
}

static void close_connection(VirtConn *vc, virConnectPtr conn, const EventIds *ids)
{
    if (!conn)
        return;
    const int domain_ids[] = {ids->domain, ids->device_added, ids->device_removed, ids->metadata,
                              ids->balloon};
    for (gsize i = 0; i < G_N_ELEMENTS(domain_ids); i++)
        if (domain_ids[i] >= 0)
            virConnectDomainEventDeregisterAny(conn, domain_ids[i]);
    if (ids->pool >= 0)
        virConnectStoragePoolEventDeregisterAny(conn, ids->pool);
    if (ids->network >= 0)
        virConnectNetworkEventDeregisterAny(conn, ids->network);
    virConnectUnregisterCloseCallback(conn, on_close);
    virResetLastError();
    virConnectClose(conn);
    (void)vc;
}

static gpointer reconnect_loop(gpointer data)
{
    VirtConn *vc = data;
    g_mutex_lock(&vc->lock);
    while (!vc->stopping) {
        if (vc->broken || !vc->conn) {
            virConnectPtr old = g_steal_pointer(&vc->conn);
            EventIds old_ids = vc->events;
            gboolean was_broken = vc->broken;
            vc->broken = FALSE;
            g_mutex_unlock(&vc->lock);

            if (old) {
                g_warning("libvirt connection to %s lost; reconnecting", vc->uri);
                g_mutex_lock(&vc->lock);
                if (!was_broken)
                    note_change(vc);
                g_mutex_unlock(&vc->lock);
                close_connection(vc, old, &old_ids);
            }
            EventIds ids = no_events;
            virConnectPtr conn = open_connection(vc, &ids);

            g_mutex_lock(&vc->lock);
            if (conn) {
                vc->conn = conn;
                vc->number++;
                vc->events = ids;
                note_change(vc);
                g_mutex_unlock(&vc->lock);
                g_message("libvirt connected to %s%s", vc->uri, was_broken ? " again" : "");
                if (vc->on_connected)
                    vc->on_connected(vc->user_data);
                g_mutex_lock(&vc->lock);
                continue;
            }
        }
        gint64 until = g_get_monotonic_time() + RECONNECT_INTERVAL_US;
        g_cond_wait_until(&vc->wake, &vc->lock, until);
    }
    g_mutex_unlock(&vc->lock);
    return NULL;
}

VirtConn *virt_conn_new(const char *uri, VirtDomainEventFunc on_event,
                        VirtConnectedFunc on_connected, gpointer user_data)
{
    VirtConn *vc = g_new0(VirtConn, 1);
    vc->uri = g_strdup(uri);
    vc->on_event = on_event;
    vc->on_connected = on_connected;
    vc->user_data = user_data;
    vc->events = no_events;
    g_mutex_init(&vc->lock);
    g_cond_init(&vc->wake);
    return vc;
}

void virt_conn_watch_objects(VirtConn *vc, VirtObjectEventFunc on_object)
{
    vc->on_object = on_object;
}

void virt_conn_start(VirtConn *vc)
{
    watch_add(vc);
    vc->conn = open_connection(vc, &vc->events);
    note_change(vc);
    if (vc->conn) {
        vc->number++;
        g_message("libvirt connected to %s", vc->uri);
    } else
        g_warning("libvirt %s unreachable; will keep trying", vc->uri);
    if (vc->conn && vc->on_connected)
        vc->on_connected(vc->user_data);
    vc->reconnect_thread = g_thread_new("virt-reconnect", reconnect_loop, vc);
    vc->probe_thread = g_thread_new("virt-probe", probe_loop, vc);
}

void virt_conn_start_background(VirtConn *vc)
{
    watch_add(vc);
    note_change(vc);
    vc->reason = g_strdup("not connected yet");
    vc->reconnect_thread = g_thread_new("virt-reconnect", reconnect_loop, vc);
    vc->probe_thread = g_thread_new("virt-probe", probe_loop, vc);
}

void virt_conn_set_connect_uri(VirtConn *vc, const char *connect_uri)
{
    vc->connect_uri = g_strdup(connect_uri);
}

void virt_conn_health(VirtConn *vc, VirtConnHealth *out)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&vc->lock);
    out->since_us = vc->changed_at;
    out->reason = NULL;
    if (vc->conn && !vc->broken) {
        out->state = VIRT_CONN_CONNECTED;
        return;
    }
    gboolean fresh = g_get_monotonic_time() - vc->changed_mono < RECONNECTING_GRACE_US;
    /* A host just added or just lost is being tried; one that did not
     * answer for the grace period is unreachable. */
    out->state = fresh ? VIRT_CONN_RECONNECTING : VIRT_CONN_UNREACHABLE;
    out->reason = g_strdup(vc->reason ? vc->reason : "not connected");
}

void virt_conn_stop(VirtConn *vc)
{
    if (!vc)
        return;
    g_mutex_lock(&vc->lock);
    vc->stopping = TRUE;
    g_cond_broadcast(&vc->wake);
    g_mutex_unlock(&vc->lock);
    /* One caller stops a connection: its owner. A hung open or probe is
     * cut within STOPPING_HANG_LIMIT by the watchdog, and so is the close:
     * deregistering events and closing are calls to the daemon too. */
    if (vc->reconnect_thread)
        g_thread_join(g_steal_pointer(&vc->reconnect_thread));
    if (vc->probe_thread)
        g_thread_join(g_steal_pointer(&vc->probe_thread));
    g_mutex_lock(&vc->lock);
    virConnectPtr conn = g_steal_pointer(&vc->conn);
    EventIds ids = vc->events;
    vc->events = no_events;
    vc->open_since = conn ? g_get_monotonic_time() : 0;
    g_mutex_unlock(&vc->lock);
    close_connection(vc, conn, &ids);
    watch_remove(vc);
    stamp(vc, &vc->open_since, FALSE);
}

void virt_conn_free(VirtConn *vc)
{
    if (!vc)
        return;
    virt_conn_stop(vc);
    virt_driver_unref(vc->driver);
    g_mutex_clear(&vc->lock);
    g_cond_clear(&vc->wake);
    g_free(vc->uri);
    g_free(vc->connect_uri);
    g_free(vc->reason);
    virt_sever_target_free(vc->sever);
    g_free(vc);
}

virConnectPtr virt_conn_get(VirtConn *vc, GError **error)
{
    guint64 number;
    return virt_conn_get_numbered(vc, &number, error);
}

virConnectPtr virt_conn_get_numbered(VirtConn *vc, guint64 *number, GError **error)
{
    if (!vc) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE, "no libvirt connection configured");
        return NULL;
    }
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&vc->lock);
    if (!vc->conn || vc->broken) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE,
                    "libvirt at %s is not reachable; vireod is reconnecting", vc->uri);
        return NULL;
    }
    virConnectRef(vc->conn);
    *number = vc->number;
    return vc->conn;
}

const char *virt_conn_uri(VirtConn *vc)
{
    return vc ? vc->uri : "";
}

gboolean virt_conn_is_up(VirtConn *vc)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&vc->lock);
    return vc->conn && !vc->broken;
}

struct VirtDriver *virt_conn_driver(VirtConn *vc, guint64 number)
{
    g_mutex_lock(&vc->lock);
    struct VirtDriver *d = vc->driver && vc->driver_number == number ? virt_driver_ref(vc->driver)
                                                                     : NULL;
    g_mutex_unlock(&vc->lock);
    return d;
}

void virt_conn_set_driver(VirtConn *vc, guint64 number, struct VirtDriver *d)
{
    g_mutex_lock(&vc->lock);
    struct VirtDriver *old = vc->driver;
    vc->driver = virt_driver_ref(d);
    vc->driver_number = number;
    g_mutex_unlock(&vc->lock);
    virt_driver_unref(old);
}

gboolean virt_conn_is_local(virConnectPtr conn)
{
    g_autofree char *uri = virConnectGetURI(conn);
    g_auto(VirtUri) u = {0};
    return uri && virt_uri_parse(uri, &u, NULL) && !u.remote;
}
