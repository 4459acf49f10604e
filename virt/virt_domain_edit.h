/* Editing a VM's settings: rename, vCPUs, memory, boot order. vCPUs and
 * memory change live where the hypervisor allows it, else in the
 * persistent definition for the next boot; callers learn which. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

typedef enum {
    VIRT_APPLIED_LIVE,      /* the running guest has it now (and keeps it) */
    VIRT_APPLIED_NEXT_BOOT, /* written to the definition; the next start uses it */
} VirtApplied;

const char *virt_applied_name(VirtApplied applied);

/* Limits for vCPUs (the hypervisor's maximum for the domain type) and
 * memory in MiB (16 MiB to the host's memory). */
#define VIRT_MEMORY_MIN_MIB 16
unsigned virt_domain_vcpus_max(virDomainPtr dom, GError **error);
guint64 virt_host_memory_mib(virConnectPtr conn, GError **error);

/* Only while shut off (INVALID_STATE otherwise); EXISTS when the name is
 * taken. */
gboolean virt_domain_rename(virDomainPtr dom, const char *name, GError **error);
gboolean virt_domain_set_vcpus(virDomainPtr dom, unsigned vcpus, VirtApplied *applied,
                               GError **error);
gboolean virt_domain_set_memory(virDomainPtr dom, guint64 mib, VirtApplied *applied,
                                GError **error);
/* Rewrites the persistent definition's boot order (next boot). */
gboolean virt_domain_set_boot(virDomainPtr dom, const char *const *devs, GError **error);

/* The persistent definition (with secrets), for undo; NULL for a
 * transient VM. */
char *virt_domain_saved_config(virDomainPtr dom, GError **error);
/* Defines `xml` again: undoes config changes after a later step failed. */
gboolean virt_domain_restore_config(virDomainPtr dom, const char *xml, GError **error);
