/* JSON shapes of VMs: the summary of the list and the full detail. Memory
 * is in MiB; the description is libvirt's, tags and created_at come from
 * the inventory. */
#pragma once
#include <jansson.h>

#include "db/db.h"
#include "virt/virt_domain.h"

json_t *api_vm_summary_json(const VirtDomainSummary *s, const DbVmMeta *meta);
/* {"vcpus", "memory" (MiB), "boot"}: the members that differ. */
json_t *api_vm_next_boot_json(const VirtDomainNextBoot *n);
/* One disk or NIC, as in the detail's "disks" and "nics". */
json_t *api_vm_disk_json(const VirtDisk *d);
json_t *api_vm_nic_json(const VirtNic *n);
json_t *api_vm_detail_json(const VirtDomainDetail *d, const DbVmMeta *meta);
/* The members a summary has, for ?fields= validation. */
extern const char *const api_vm_summary_fields[];
