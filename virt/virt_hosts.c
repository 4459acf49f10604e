/* The registry of libvirt hosts (see virt_hosts.h). */
#include "virt/virt_hosts.h"
#include "virt/virt_error.h"
#include "virt/virt_host.h"
#include "virt/virt_xml.h"

#include <string.h>

struct VirtHost {
    gint ref;
    gint64 id;
    gboolean local;
    /* A copy: a host someone still holds may outlive the registry. */
    VirtHostsCallbacks callbacks;
    VirtConn *conn;
    VirtModel *model;
    GMutex lock; /* name, uuid, figures */
    char *name;
    char *uuid;
    VirtHostFigures figures;
};

struct VirtHosts {
    VirtHostsCallbacks callbacks;
    GMutex lock;
    GPtrArray *hosts; /* VirtHost*, owned */
};

static void host_event(const char *uuid, const char *name, int event, int detail, gpointer data)
{
    VirtHost *h = data;
    if (h->callbacks.on_event)
        h->callbacks.on_event(h, uuid, name, event, detail, h->callbacks.data);
}

static void host_object(const char *kind, const char *uuid, const char *name, int event,
                        gpointer data)
{
    VirtHost *h = data;
    if (h->callbacks.on_object)
        h->callbacks.on_object(h, kind, uuid, name, event, h->callbacks.data);
}

static void host_connected(gpointer data)
{
    VirtHost *h = data;
    if (h->callbacks.on_connected)
        h->callbacks.on_connected(h, h->callbacks.data);
}

static void host_model_change(const char *uuid, const char *name, int event, gpointer data)
{
    VirtHost *h = data;
    if (h->callbacks.on_model_change)
        h->callbacks.on_model_change(h, uuid, name, event, h->callbacks.data);
}

static gboolean host_watched(gpointer data)
{
    VirtHost *h = data;
    return h->callbacks.watched && h->callbacks.watched(h->callbacks.data);
}

VirtHosts *virt_hosts_new(const VirtHostsCallbacks *callbacks)
{
    VirtHosts *hs = g_new0(VirtHosts, 1);
    if (callbacks)
        hs->callbacks = *callbacks;
    g_mutex_init(&hs->lock);
    hs->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)virt_host_unref);
    return hs;
}

/* Stops a host's threads and closes its connection now, even while others
 * still hold it (they then find it unreachable): nothing of it runs once
 * the registry is gone. */
static void host_stop(VirtHost *h)
{
    /* First nothing calls back (reconnects, events), then the model's
     * thread goes (it reads through the stopped connection), then the rest. */
    virt_conn_stop(h->conn);
    virt_model_free(g_steal_pointer(&h->model));
    virt_conn_free(g_steal_pointer(&h->conn));
}

void virt_hosts_free(VirtHosts *hs)
{
    if (!hs)
        return;
    for (guint i = 0; i < hs->hosts->len; i++)
        host_stop(g_ptr_array_index(hs->hosts, i));
    g_ptr_array_unref(hs->hosts);
    g_mutex_clear(&hs->lock);
    g_free(hs);
}

VirtHost *virt_host_ref(VirtHost *h)
{
    g_atomic_int_inc(&h->ref);
    return h;
}

void virt_host_unref(VirtHost *h)
{
    if (!h || !g_atomic_int_dec_and_test(&h->ref))
        return;
    /* The model reads through the connection: it stops first. */
    host_stop(h);
    g_mutex_clear(&h->lock);
    g_free(h->name);
    g_free(h->uuid);
    g_free(h);
}

VirtHost *virt_hosts_add(VirtHosts *hs, const VirtHostSpec *spec)
{
    VirtHost *h = g_new0(VirtHost, 1);
    h->ref = 1;
    h->id = spec->id;
    h->local = spec->local;
    h->callbacks = hs->callbacks;
    h->name = g_strdup(spec->name);
    h->uuid = g_strdup(spec->uuid);
    g_mutex_init(&h->lock);
    h->conn = virt_conn_new(spec->uri, host_event, host_connected, h);
    if (spec->connect_uri)
        virt_conn_set_connect_uri(h->conn, spec->connect_uri);
    virt_conn_watch_objects(h->conn, host_object);
    h->model = virt_model_new(h->conn, host_model_change, host_watched, h);
    virt_hosts_remove(hs, spec->id);
    g_mutex_lock(&hs->lock);
    g_ptr_array_add(hs->hosts, virt_host_ref(h));
    g_mutex_unlock(&hs->lock);
    return h;
}

void virt_host_start(VirtHost *h)
{
    if (h->local)
        virt_conn_start(h->conn);
    else
        virt_conn_start_background(h->conn);
}

gboolean virt_hosts_remove(VirtHosts *hs, gint64 id)
{
    VirtHost *gone = NULL;
    g_mutex_lock(&hs->lock);
    for (guint i = 0; i < hs->hosts->len; i++) {
        VirtHost *h = g_ptr_array_index(hs->hosts, i);
        if (h->id == id) {
            gone = g_ptr_array_steal_index(hs->hosts, i);
            break;
        }
    }
    g_mutex_unlock(&hs->lock);
    /* Outside the lock: the last reference joins the host's threads. */
    virt_host_unref(gone);
    return gone != NULL;
}

static VirtHost *find_locked(VirtHosts *hs, gboolean (*match)(VirtHost *h, gconstpointer key),
                             gconstpointer key)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&hs->lock);
    for (guint i = 0; i < hs->hosts->len; i++) {
        VirtHost *h = g_ptr_array_index(hs->hosts, i);
        if (match(h, key))
            return virt_host_ref(h);
    }
    return NULL;
}

static gboolean match_id(VirtHost *h, gconstpointer key)
{
    return h->id == *(const gint64 *)key;
}

static gboolean match_name(VirtHost *h, gconstpointer key)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    return strcmp(h->name, key) == 0;
}

static gboolean match_local(VirtHost *h, gconstpointer key G_GNUC_UNUSED)
{
    return h->local;
}

VirtHost *virt_hosts_get(VirtHosts *hs, gint64 id)
{
    return find_locked(hs, match_id, &id);
}

VirtHost *virt_hosts_find(VirtHosts *hs, const char *id_or_name)
{
    guint64 id = 0;
    /* A name that looks like a number is still found by name. */
    VirtHost *h = find_locked(hs, match_name, id_or_name);
    if (!h && g_ascii_string_to_unsigned(id_or_name, 10, 1, G_MAXINT64, &id, NULL))
        h = virt_hosts_get(hs, (gint64)id);
    return h;
}

VirtHost *virt_hosts_local(VirtHosts *hs)
{
    return find_locked(hs, match_local, NULL);
}

static gint by_local_then_name(gconstpointer a, gconstpointer b)
{
    VirtHost *x = *(VirtHost *const *)a, *y = *(VirtHost *const *)b;
    if (x->local != y->local)
        return x->local ? -1 : 1;
    g_autofree char *nx = virt_host_name(x);
    g_autofree char *ny = virt_host_name(y);
    return strcmp(nx, ny);
}

GPtrArray *virt_hosts_list(VirtHosts *hs)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)virt_host_unref);
    g_mutex_lock(&hs->lock);
    for (guint i = 0; i < hs->hosts->len; i++)
        g_ptr_array_add(out, virt_host_ref(g_ptr_array_index(hs->hosts, i)));
    g_mutex_unlock(&hs->lock);
    g_ptr_array_sort(out, by_local_then_name);
    return out;
}

VirtHost *virt_hosts_by_conn(VirtHosts *hs, virConnectPtr conn)
{
    /* Compared outside the registry's lock: each host's connection has a
     * lock of its own. */
    g_autoptr(GPtrArray) all = virt_hosts_list(hs);
    for (guint i = 0; conn && i < all->len; i++) {
        VirtHost *h = g_ptr_array_index(all, i);
        g_autoptr(virConnect) live = virt_conn_get(h->conn, NULL);
        if (live == conn)
            return virt_host_ref(h);
    }
    return NULL;
}

gint64 virt_host_id(const VirtHost *h)
{
    return h->id;
}

gboolean virt_host_is_local(const VirtHost *h)
{
    return h->local;
}

VirtConn *virt_host_conn(VirtHost *h)
{
    return h->conn;
}

VirtModel *virt_host_model(VirtHost *h)
{
    return h->model;
}

/* A connected host whose libvirt has not answered a list for this long is
 * unreachable, before the watchdog cuts its connection (virt_conn.c). */
#define HUNG_US (3 * G_USEC_PER_SEC)

void virt_host_health(VirtHost *h, VirtConnHealth *out)
{
    if (!h->conn) {
        *out = (VirtConnHealth){VIRT_CONN_UNREACHABLE, g_strdup("vireod is stopping"), 0};
        return;
    }
    virt_conn_health(h->conn, out);
    gint64 waiting = virt_model_waiting_us(h->model);
    if (out->state != VIRT_CONN_CONNECTED || waiting < HUNG_US)
        return;
    out->state = VIRT_CONN_UNREACHABLE;
    out->since_us = g_get_real_time() - waiting;
    out->reason = g_strdup_printf("libvirt does not answer: a call has waited %d s",
                                  (int)(waiting / G_USEC_PER_SEC));
}

virConnectPtr virt_host_conn_if_up(VirtHost *h, GError **error)
{
    VirtConnHealth health;
    virt_host_health(h, &health);
    g_autofree char *reason = health.reason;
    if (health.state != VIRT_CONN_CONNECTED) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE, "a host does not answer: %s",
                    reason);
        return NULL;
    }
    return virt_conn_get(h->conn, error);
}

void virt_host_refresh_figures(VirtHost *h)
{
    VirtHostFigures f = {0};
    g_autoptr(virConnect) conn = virt_conn_get(h->conn, NULL);
    g_autoptr(VirtHostInfo) info = conn ? virt_host_info(conn, NULL) : NULL;
    if (info) {
        g_autofree char *hv = virt_version_string(info->hypervisor_version);
        g_autofree char *lv = virt_version_string(info->libvirt_version);
        f.known = TRUE;
        f.cpus = info->cpus;
        f.memory_kib = info->memory_total_kib;
        g_strlcpy(f.driver, info->hypervisor ? info->hypervisor : "", sizeof(f.driver));
        g_strlcpy(f.driver_version, hv, sizeof(f.driver_version));
        g_strlcpy(f.libvirt_version, lv, sizeof(f.libvirt_version));
        g_strlcpy(f.hostname, info->hostname ? info->hostname : "", sizeof(f.hostname));
    }
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    h->figures = f;
}

void virt_host_figures(VirtHost *h, VirtHostFigures *out)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    *out = h->figures;
}

char *virt_host_name(VirtHost *h)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    return g_strdup(h->name);
}

char *virt_host_uuid(VirtHost *h)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    return g_strdup(h->uuid);
}

void virt_host_set_name(VirtHost *h, const char *name)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    g_free(h->name);
    h->name = g_strdup(name);
}

void virt_host_set_uuid(VirtHost *h, const char *uuid)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&h->lock);
    g_free(h->uuid);
    h->uuid = g_strdup(uuid);
}

char *virt_host_read_uuid(virConnectPtr conn, GError **error)
{
    g_autofree char *caps = virConnectGetCapabilities(conn);
    if (!caps) {
        virt_error_from_libvirt(error, "reading the host's capabilities");
        return NULL;
    }
    g_autoptr(xmlDoc) doc = virt_xml_parse(caps, strlen(caps), error);
    if (!doc)
        return NULL;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autofree char *uuid = virt_xml_string(ctx, NULL, "/capabilities/host/uuid");
    if (uuid && *uuid)
        return g_steal_pointer(&uuid);
    /* Drivers without one (test://) are known by their canonical URI. */
    g_autofree char *uri = virConnectGetURI(conn);
    if (!uri) {
        virt_error_from_libvirt(error, "reading the host's URI");
        return NULL;
    }
    return g_strconcat("uri:", uri, NULL);
}
