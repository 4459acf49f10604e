/* The libvirt hosts one vireod drives: one VirtConn (probes, reconnect,
 * events) and one VirtModel (the VM list) per host, added and removed at
 * run time. Entries are reference-counted: a request or a task keeps the
 * host it works on alive even when an admin removes it meanwhile. The
 * inventory side (names, credentials) is the API's (docs/hosts.md). */
#pragma once
#include "virt/virt_conn.h"
#include "virt/virt_model.h"

typedef struct VirtHost VirtHost;
typedef struct VirtHosts VirtHosts;

/* What happens on every host, told with the host; as VirtConn's and
 * VirtModel's callbacks (same threads, same rules). Any may be NULL. */
typedef struct {
    void (*on_event)(VirtHost *h, const char *uuid, const char *name, int event, int detail,
                     gpointer data);
    void (*on_object)(VirtHost *h, const char *kind, const char *uuid, const char *name, int event,
                      gpointer data);
    void (*on_connected)(VirtHost *h, gpointer data);
    void (*on_model_change)(VirtHost *h, const char *uuid, const char *name, int event,
                            gpointer data);
    gboolean (*watched)(gpointer data);
    gpointer data;
} VirtHostsCallbacks;

VirtHosts *virt_hosts_new(const VirtHostsCallbacks *callbacks);
/* Drops every host (their connections close once no one holds them). */
void virt_hosts_free(VirtHosts *hosts);

typedef struct {
    gint64 id;               /* the inventory's id */
    const char *name;        /* display name */
    const char *uri;         /* the URI shown */
    const char *connect_uri; /* the URI opened (with credentials); NULL: uri */
    const char *uuid;        /* libvirt's host UUID if known, else NULL */
    gboolean local;          /* --connect: connected before this returns */
} VirtHostSpec;

/* Adds a host (replacing one with the same id); answers a new reference.
 * It connects once started. */
VirtHost *virt_hosts_add(VirtHosts *hosts, const VirtHostSpec *spec);
/* Starts connecting: the local host in this thread, others in the
 * background (a host that does not answer must not hold anyone up). */
void virt_host_start(VirtHost *h);
/* Removes host `id`; FALSE when there is none. */
gboolean virt_hosts_remove(VirtHosts *hosts, gint64 id);
/* New references, or NULL: by id, by id or name as a request names it,
 * the local host. */
VirtHost *virt_hosts_get(VirtHosts *hosts, gint64 id);
VirtHost *virt_hosts_find(VirtHosts *hosts, const char *id_or_name);
VirtHost *virt_hosts_local(VirtHosts *hosts);
/* A new reference to the host whose live connection is `conn`, or NULL
 * when none has it (it reconnected since `conn` was taken, or `conn` is
 * no host's). */
VirtHost *virt_hosts_by_conn(VirtHosts *hosts, virConnectPtr conn);
/* Every host (new references; the array frees them), the local one first,
 * then by name. */
GPtrArray *virt_hosts_list(VirtHosts *hosts);

VirtHost *virt_host_ref(VirtHost *h);
void virt_host_unref(VirtHost *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtHost, virt_host_unref)

gint64 virt_host_id(const VirtHost *h);
gboolean virt_host_is_local(const VirtHost *h);
VirtConn *virt_host_conn(VirtHost *h);
VirtModel *virt_host_model(VirtHost *h);
/* The connection's health (virt_conn_health), and unreachable while a
 * call to a connected host has hung for seconds. */
void virt_host_health(VirtHost *h, VirtConnHealth *out);
/* The host's connection while its health is `connected`; else NULL with
 * `error` (may be NULL) set to VIRT_ERROR_UNAVAILABLE and the reason: work
 * that must not wait for a host that is down or hangs. */
virConnectPtr virt_host_conn_if_up(VirtHost *h, GError **error);
/* Copies (the name may be edited, the UUID learnt, while others read). */
char *virt_host_name(VirtHost *h);
char *virt_host_uuid(VirtHost *h);
void virt_host_set_name(VirtHost *h, const char *name);
void virt_host_set_uuid(VirtHost *h, const char *uuid);

/* What a host is, read once per connection (never while answering a
 * request: a host that hangs must not hold up GET /api/hosts). */
typedef struct {
    gboolean known; /* read since it last connected */
    unsigned cpus;
    unsigned long long memory_kib;
    char driver[32];          /* "QEMU", "LXC", "Test" ... */
    char driver_version[32];  /* "7.2.0" */
    char libvirt_version[32]; /* "9.0.0" */
    char hostname[256];
} VirtHostFigures;
/* Reads them from libvirt (after a connect). */
void virt_host_refresh_figures(VirtHost *h);
void virt_host_figures(VirtHost *h, VirtHostFigures *out);

/* libvirt's host UUID (<host><uuid> of the capabilities), the identity of
 * a host whatever URI reaches it; "uri:" and the canonical URI for drivers
 * that have none (test://). */
char *virt_host_read_uuid(virConnectPtr conn, GError **error);
