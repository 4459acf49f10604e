/* The unit of POST /api/vms, for the other routes that make a VM from a
 * plan (an appliance import): volumes, definition, inventory row with its
 * owner, optional start, all undone on any failure. */
#pragma once
#include "api/core/api.h"
#include "api/tasks/task_engine.h"
#include "virt/virt_vm_create.h"

/* Makes the VM of `plan` (its note is set here) under the locks of the
 * volumes it uses; `task` (may be NULL) gets progress and the records of
 * what is about to be made. The volumes made are `owner_id`'s (0: none).
 * Fills `uuid` on success. */
gboolean api_vm_create_unit(ApiContext *ctx, virConnectPtr conn, VirtVmPlan *plan, gint64 owner_id,
                            int start, Task *task, char uuid[VIR_UUID_STRING_BUFLEN],
                            GError **error);
