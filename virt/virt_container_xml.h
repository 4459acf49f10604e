/* The <domain> of a system container (libvirt's LXC driver): an init
 * program run in a root directory of the host, a memory limit and a pty
 * console. No disks, no display: those do not apply to containers. */
#pragma once
#include <glib.h>

typedef struct {
    const char *name;
    const char *uuid;        /* may be NULL: libvirt picks one */
    const char *domain_type; /* "lxc" */
    const char *root_dir;    /* absolute host path, mounted as / */
    const char *init;        /* absolute path inside the root */
    guint64 memory_mib;
    guint vcpus;
} VirtContainerSpec;

/* The XML, built with libxml2; NULL with INVALID_ARG on a bad value. */
char *virt_container_xml(const VirtContainerSpec *s, GError **error);
