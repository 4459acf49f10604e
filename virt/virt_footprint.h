/* What a VM takes of the host in the terms of quotas (docs/quotas.md):
 * its vCPUs, its memory, and the capacities of the volumes a create plan
 * makes. Read from libvirt, the truth about VMs and volumes. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_vm_create.h"

typedef struct {
    guint64 vcpus;      /* current vCPUs, not the hot-plug maximum */
    guint64 memory_kib; /* maximum memory (<memory>), not the balloon's current */
    guint64 disk_bytes; /* capacities of the volumes (a plan's new ones) */
} VirtFootprint;

/* The VM's vCPUs and memory: those of its definition, and while it runs
 * those it runs with when they are more (a change waiting for the next
 * boot does not lower what it takes now). disk_bytes is 0. */
gboolean virt_domain_footprint(virDomainPtr dom, VirtFootprint *out, GError **error);

/* What the VM of `plan` will take: its vCPUs and memory (a clone's, from
 * the definition it copies) and the capacities of the volumes it makes
 * (a copy or an overlay as large as its source, or its size when that is
 * more; existing volumes count nothing). */
gboolean virt_vm_plan_footprint(virConnectPtr conn, const VirtVmPlan *plan, VirtFootprint *out,
                                GError **error);

/* The capacity of the volume at `path`, in *capacity; FALSE with no error
 * when no active pool holds it. */
gboolean virt_volume_capacity_at(virConnectPtr conn, const char *path, guint64 *capacity,
                                 GError **error);
