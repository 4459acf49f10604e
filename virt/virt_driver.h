/* What the libvirt driver behind one connection is and what Vireo may offer
 * on it: its type and version, its capability documents, facts its API
 * reveals (snapshots, storage pools, networks), and the features the API
 * and the web UI show or hide from them (docs/drivers.md). Read once per
 * connection: a reconnect (perhaps to an upgraded daemon) reads again. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_driver_caps.h"
#include "virt/virt_uri.h"

typedef struct VirtConn VirtConn;

/* What Vireo offers on a driver. */
typedef struct {
    gboolean vms;        /* full-system guests (os type hvm or xen) */
    gboolean containers; /* system containers (os type exe) */
    gboolean vnc;        /* a graphical console through Vireo's proxy */
    gboolean serial;     /* a serial/text console (virDomainOpenConsole) */
    gboolean snapshots;
    gboolean storage;  /* storage pools and volumes */
    gboolean networks; /* virtual networks */
    gboolean cloud_init;
    GStrv disk_formats; /* volume formats the hypervisor reads; empty without disks */
} VirtFeatures;

typedef struct VirtDriver {
    char *uri;
    VirtUri parts;
    char *type;            /* virConnectGetType: "QEMU", "LXC", "Test", "VBOX", "ESX"... */
    unsigned long version; /* the hypervisor's, major * 1000000 + minor * 1000 + micro */
    VirtDriverCaps *caps;
    VirtFeatures features;
} VirtDriver;

VirtDriver *virt_driver_ref(VirtDriver *d);
void virt_driver_unref(VirtDriver *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtDriver, virt_driver_unref)

/* Reads it all from a live connection. */
VirtDriver *virt_driver_read(virConnectPtr conn, const char *uri, GError **error);
/* The driver of `vc`'s current connection, read on first use after each
 * (re)connect and kept; a new reference, or NULL while libvirt is down. */
VirtDriver *virt_driver_of(VirtConn *vc, GError **error);

/* The features from what was read; `probed` holds what the API revealed
 * (snapshots, storage, networks). Exposed for tests. */
void virt_driver_features(const char *type, const VirtDriverCaps *caps, const VirtFeatures *probed,
                          VirtFeatures *out);
void virt_features_clear(VirtFeatures *f);

/* Answers FALSE with a VIRT_ERROR_NOT_SUPPORTED naming the driver when
 * `supported` is FALSE: `what` says the feature ("snapshots"). */
gboolean virt_driver_require(const VirtDriver *d, gboolean supported, const char *what,
                             GError **error);
