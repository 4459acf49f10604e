/* A create plan against the caller: every volume, pool, network and bridge
 * it names must be theirs to use (docs/access.md), and the locks it takes
 * while it is checked and made. */
#pragma once
#include "api/core/api.h"
#include "virt/virt_vm_create.h"

/* 400 naming the field (or 403 for a pool held for another use, 409 for a
 * volume another VM holds) unless the caller may use everything the plan
 * names. `moving` (may be NULL) is the UUID of a VM whose own writes to
 * the volumes do not count (a linked clone's source: it moves onto
 * overlays). */
gboolean api_vm_plan_allowed(const ApiRequest *req, virConnectPtr conn, const VirtVmPlan *plan,
                             const char *moving, GError **error);
typedef struct ApiQuotaHold ApiQuotaHold;
/* The caller's quota (api_quota_check) against what the plan makes: one
 * VM, its vCPUs and memory, the capacities of its new volumes. The VM and
 * the volumes will be the caller's. *hold goes into the unit (ApiVmUnit
 * .quota), which settles it. */
gboolean api_vm_plan_quota(ApiContext *ctx, const ApiRequest *req, virConnectPtr conn,
                           const VirtVmPlan *plan, ApiQuotaHold **hold, GError **error);
/* The lock keys of the existing volumes the plan uses (NULL-terminated). */
GStrv api_vm_plan_lock_keys(const VirtVmPlan *plan);

/* Where a VM's serial line is logged, by its UUID (never by its name: a VM
 * named "x-serial" would share a file with VM "x"); NULL when vireod
 * cannot write logs for this connection (only qemu:///system has virtlogd
 * writing beside vireod). Makes the folder. */
char *api_vm_serial_log(virConnectPtr conn, const char *uuid);
