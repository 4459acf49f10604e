/* Cutting a hung libvirt connection from outside libvirt: the sockets this
 * process holds to a connection's daemon are shut down (an ssh transport's
 * child is ended), so that every call waiting on it wakes up to an end of
 * file in its own thread. virt_conn.c says why Vireo does this rather
 * than let libvirt's keepalive close the connection. */
#pragma once
#include <glib.h>

typedef struct VirtSeverTarget VirtSeverTarget;

/* Where the transport of a connection to `uri` ends: its daemon's
 * addresses (host names resolved now), its UNIX socket paths, or its ssh
 * command's host. NULL for what has nothing in this process to cut: test://
 * and the in-process web drivers (ESX, Hyper-V), and ext transports. */
VirtSeverTarget *virt_sever_target_new(const char *uri);
void virt_sever_target_free(VirtSeverTarget *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtSeverTarget, virt_sever_target_free)

/* What the target is, for the log: "127.0.0.1 port 16509", "ssh to HOST",
 * "/run/libvirt/libvirt-sock or ...". */
const char *virt_sever_target_describe(const VirtSeverTarget *t);

/* Shuts down (both ways, without closing: libvirt still owns the
 * descriptors) every socket of this process whose peer is the target, and
 * sends SIGTERM to this process's ssh children for its host. Answers how
 * many sockets and children it cut. */
guint virt_sever(const VirtSeverTarget *t);
