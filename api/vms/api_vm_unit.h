/* A new VM as one unit (a create or a clone): its volumes, definition,
 * inventory row (owner, tags) and optional start; any failure undoes all
 * of them. Run at once or as a task, whose records of what is about to be
 * made let a later start remove what a crash left half-made. */
#pragma once
#include "api/auth/api_quota.h"
#include "api/core/api.h"
#include "api/tasks/task_engine.h"
#include "virt/virt_vm_create.h"

typedef struct {
    gint64 owner_id;          /* 0: no owner row */
    VirtHost *host;           /* the host of the unit's connection (NULL: the local one) */
    int start;                /* 1: start it once made */
    const char *const *tags;  /* copied into its inventory row; may be NULL */
    const char *const *locks; /* lock keys held with those of the plan; may be NULL */
    /* The owner's quota hold (api_vm_plan_quota), settled once the VM is
     * made and released when the unit ends; the caller frees it. May be
     * NULL. */
    ApiQuotaHold *quota;
    /* Paths of volumes made before the unit (an import's converted disks)
     * that become the owner's with the VM, under the settled hold as the
     * unit's own volumes do; NULL-terminated, may be NULL. */
    const char *const *adopt;
    /* Optional steps: `check` under the locks before anything is made,
     * `after` once the VM is defined (FALSE fails the unit), `undo` when a
     * later step fails after `after` succeeded. */
    gboolean (*check)(virConnectPtr conn, gpointer data, GError **error);
    gboolean (*after)(virConnectPtr conn, Task *task, gpointer data, GError **error);
    void (*undo)(gpointer data);
    gpointer data;
} ApiVmUnit;

/* Makes the VM of `plan` (its note is set here) as `unit` says, under the
 * locks of the volumes it uses; `task` (may be NULL) gets progress and the
 * records. Fills `uuid` on success. */
gboolean api_vm_unit_run(ApiContext *ctx, virConnectPtr conn, VirtVmPlan *plan,
                         const ApiVmUnit *unit, Task *task, char uuid[VIR_UUID_STRING_BUFLEN],
                         GError **error);
/* Progress of a unit running as a task (a VirtVmProgress). */
gboolean api_vm_unit_progress(guint percent, const char *message, gpointer task);
