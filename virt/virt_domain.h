/* Domains (VMs): the bulk list, lookup, details, lifecycle actions,
 * autostart and deletion. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_domain_xml.h"

typedef struct {
    char *name;
    char uuid[VIR_UUID_STRING_BUFLEN];
    int state; /* virDomainState */
    unsigned vcpus;
    unsigned long long memory_kib;
    gboolean autostart;
    gboolean persistent;
    char *description; /* libvirt's <description>; NULL: not read */
} VirtDomainSummary;

void virt_domain_summary_free(VirtDomainSummary *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtDomainSummary, virt_domain_summary_free)

/* Every domain, sorted by name, from three bulk RPCs (all-domain stats plus
 * the autostart and transient lists) whatever the number of domains;
 * descriptions are not read. */
GPtrArray *virt_domain_list(virConnectPtr conn, GError **error);
/* The same, with the description of each domain for which `describe`
 * (may be NULL) answers TRUE: one more RPC for each of those. */
GPtrArray *virt_domain_list_described(virConnectPtr conn,
                                      gboolean (*describe)(const char *uuid, gpointer data),
                                      gpointer data, GError **error);
/* The domain's description as libvirt holds it ("" when it has none). */
char *virt_domain_description(virDomainPtr dom, GError **error);
/* Sets the description where the domain is: its definition, and the
 * running domain too when it runs (a transient one: only that). */
gboolean virt_domain_set_description(virDomainPtr dom, const char *text, GError **error);
/* UUIDs of every domain (one RPC), NULL-terminated. */
GStrv virt_domain_list_uuids(virConnectPtr conn, GError **error);

/* By UUID when `id` parses as one, else by name. */
virDomainPtr virt_domain_lookup(virConnectPtr conn, const char *id, GError **error);

typedef struct {
    VirtDomainSummary summary;
    VirtDomainConfig *config;
} VirtDomainDetail;

void virt_domain_detail_free(VirtDomainDetail *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtDomainDetail, virt_domain_detail_free)
VirtDomainDetail *virt_domain_detail(virDomainPtr dom, GError **error);

typedef enum {
    VIRT_ACTION_START,
    VIRT_ACTION_SHUTDOWN, /* ACPI power button: the guest decides */
    VIRT_ACTION_POWEROFF, /* pull the plug */
    VIRT_ACTION_REBOOT,
    VIRT_ACTION_RESET,
    VIRT_ACTION_SUSPEND,
    VIRT_ACTION_RESUME,
} VirtAction;

/* Parses "start", "shutdown", ...; FALSE for an unknown name. */
gboolean virt_action_from_name(const char *name, VirtAction *out);
gboolean virt_domain_act(virDomainPtr dom, VirtAction action, GError **error);

gboolean virt_domain_set_autostart(virDomainPtr dom, gboolean on, GError **error);

/* The storage volumes behind the VM's disks (not CD-ROMs, except those
 * whose alias starts with VIRT_DISK_ALIAS_OWNED), as virStorageVolPtr;
 * files no pool knows are left out. */
GPtrArray *virt_domain_disk_volumes(virConnectPtr conn, virDomainPtr dom, GError **error);
/* Undefines the domain. A running one is refused (INVALID_STATE) unless
 * `force`, which powers it off first. The volumes in `volumes` (may be
 * NULL; see virt_domain_disk_volumes) are deleted after the undefine. */
gboolean virt_domain_delete(virDomainPtr dom, gboolean force, GPtrArray *volumes, GError **error);

const char *virt_domain_state_name(int state);
/* -1 for an unknown name. */
int virt_domain_state_from_name(const char *name);
