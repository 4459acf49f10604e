/* One libvirt connection per URI, kept alive: probes (a watchdog cuts one
 * whose daemon stopped answering), a close callback, and a thread that
 * reconnects by itself when libvirtd restarts.
 * Callers borrow a referenced virConnectPtr for the length of a request. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

typedef struct VirtConn VirtConn;

/* Called from the event thread for every domain lifecycle event
 * (virDomainEventType `event`, its `detail`), and with
 * VIRT_DOMAIN_EVENT_DEVICES when a device was added to or removed from a
 * running domain (hot-plug). Must not block. */
#define VIRT_DOMAIN_EVENT_DEVICES 1000
/* And Vireo's own: a VM's settings were edited (vCPUs, memory, name...). */
#define VIRT_DOMAIN_EVENT_EDITED 1001
/* libvirt's: the description, title or custom metadata changed (virsh desc). */
#define VIRT_DOMAIN_EVENT_METADATA 1002
/* libvirt's: a running guest's memory balloon moved (virsh setmem). */
#define VIRT_DOMAIN_EVENT_BALLOON 1003
/* Vireo's VM model (virt_model.h) found a change no event announced
 * (autostart, vCPUs or memory of the definition), or one missed while
 * libvirt was away. */
#define VIRT_DOMAIN_EVENT_CHANGED 1004
typedef void (*VirtDomainEventFunc)(const char *uuid, const char *name, int event, int detail,
                                    gpointer user_data);
/* Called from the event thread for storage pool ("pool") and network
 * ("network") lifecycle events (virStoragePoolEventLifecycleType or
 * virNetworkEventLifecycleType). Must not block. */
typedef void (*VirtObjectEventFunc)(const char *kind, const char *uuid, const char *name, int event,
                                    gpointer user_data);
/* Called from the reconnect thread after each successful (re)connect. */
typedef void (*VirtConnectedFunc)(gpointer user_data);

/* Must run once, before any thread uses libvirt. */
void virt_init(void);

/* Creates the connection manager; nothing connects until virt_conn_start,
 * so callbacks never see a half-made VirtConn. */
VirtConn *virt_conn_new(const char *uri, VirtDomainEventFunc on_event,
                        VirtConnectedFunc on_connected, gpointer user_data);
/* Also report pool and network events (call before virt_conn_start). */
void virt_conn_watch_objects(VirtConn *vc, VirtObjectEventFunc on_object);
/* The first attempt happens before it returns; failures are retried in the
 * background. */
void virt_conn_start(VirtConn *vc);
/* The same without the first attempt in the caller's thread: a remote
 * host that does not answer must not hold up start-up. */
void virt_conn_start_background(VirtConn *vc);
/* Open `connect_uri` (the URI with transport credentials, e.g. keyfile=)
 * rather than the URI shown; call before starting. */
void virt_conn_set_connect_uri(VirtConn *vc, const char *connect_uri);
/* No more reconnects, events or callbacks; the connection is closed (calls
 * then answer unavailable). virt_conn_free does it too. */
void virt_conn_stop(VirtConn *vc);
void virt_conn_free(VirtConn *vc);

/* A new reference to the live connection (release with virConnectClose or
 * g_autoptr), or NULL with VIRT_ERROR_UNAVAILABLE while it is down. */
virConnectPtr virt_conn_get(VirtConn *vc, GError **error);
/* The same, with the number of the connection it is (1 for the first, one
 * more after each reconnect), so a caller can tell that events may have
 * been missed since it last looked. */
virConnectPtr virt_conn_get_numbered(VirtConn *vc, guint64 *number, GError **error);
const char *virt_conn_uri(VirtConn *vc);
/* Whether libvirt behind `conn` runs on this host ("qemu:///system", no
 * host part), so that its files (volumes, NVRAM) are this process's to
 * read and write. */
gboolean virt_conn_is_local(virConnectPtr conn);

/* The driver facts read for connection `number` (virt_driver.h): a new
 * reference, or NULL when none were stored for that connection. */
struct VirtDriver *virt_conn_driver(VirtConn *vc, guint64 number);
/* Keeps `d` (taking a reference) as connection `number`'s facts. */
void virt_conn_set_driver(VirtConn *vc, guint64 number, struct VirtDriver *d);
gboolean virt_conn_is_up(VirtConn *vc);

/* connected; reconnecting (added or lost less than 10 s ago, being
 * tried); or unreachable (not reached for longer). */
typedef enum { VIRT_CONN_CONNECTED, VIRT_CONN_RECONNECTING, VIRT_CONN_UNREACHABLE } VirtConnState;
typedef struct {
    VirtConnState state;
    char *reason;    /* why it is not connected (owned), NULL when it is */
    gint64 since_us; /* real time of the last change of state */
} VirtConnHealth;
void virt_conn_health(VirtConn *vc, VirtConnHealth *out);
