/* What a libvirt connection URI says before anything connects: the driver
 * it names, the transport that reaches it and whether the host is another
 * machine. vireod checks --connect (and hosts added later) with it, so a
 * typo is a clear error at start rather than a reconnect loop. */
#pragma once
#include <glib.h>

typedef struct {
    char *driver;    /* "qemu", "lxc", "xen", "vbox", "esx", "hyperv", "test"... */
    char *transport; /* "unix" (local socket), "ssh", "tls", "tcp", "libssh", "libssh2",
                        "ext", "https", "http" (ESX, Hyper-V), or "local" (in-process) */
    char *host;      /* NULL for this machine */
    char *path;      /* "/system", "/session", "/default", "/" or "" */
    int port;        /* the URI's port, 0 when it names none */
    char *socket;    /* ?socket=: the daemon's UNIX socket, when given */
    gboolean remote; /* the hypervisor is on another machine */
    gboolean known;  /* a driver libvirt ships (an unknown one is still accepted) */
} VirtUri;

void virt_uri_clear(VirtUri *u);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VirtUri, virt_uri_clear)

/* Fills `out` from `uri`; when it is malformed, FALSE with a
 * VIRT_ERROR_INVALID_ARG saying what is wrong and how a good one looks. */
gboolean virt_uri_parse(const char *uri, VirtUri *out, GError **error);
