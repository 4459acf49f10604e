/* GET /api/vms from the VM model (virt/virt_model.h) rather than from
 * libvirt on every request: the model's snapshot, the inventory's
 * metadata (tags, first seen) read again only when it changed, and the
 * answers themselves, kept while neither changes (docs/vm-list.md). */
#pragma once
#include "api/core/api.h"

typedef struct ApiVmList ApiVmList;

ApiVmList *api_vm_list_new(void);
void api_vm_list_free(ApiVmList *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiVmList, api_vm_list_free)

typedef struct {
    guint64 answers_built;  /* lists serialized */
    guint64 answers_reused; /* lists answered from the kept ones */
} ApiVmListStats;
void api_vm_list_stats(ApiVmList *list, ApiVmListStats *out);
