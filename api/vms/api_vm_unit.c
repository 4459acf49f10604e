/* A new VM as one unit (see api_vm_unit.h): volumes, definition,
 * inventory row, start, each undone when a later one fails. */
#include "api/vms/api_vm_unit.h"
#include "api/core/api_error.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_gate.h"
#include "api/core/api_locks.h"
#include "api/vms/api_vm_plan.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"

gboolean api_vm_unit_progress(guint percent, const char *message, gpointer data)
{
    Task *task = data;
    task_progress(task, (int)percent, message);
    return !task_cancel_requested(task);
}

/* What the create has made, as the engine says (VirtVmNote): a create
 * running as a task writes it down before it is made (a crash leaves
 * nothing behind), and the volumes made are recorded as the creator's. */
typedef struct {
    Task *task;      /* NULL for a create answered at once */
    gint64 noted;    /* the task's record of what is being made */
    GPtrArray *made; /* paths of the volumes made */
} CreateNotes;

static gboolean on_note(const char *kind, const char *ref, gboolean made, const char *path,
                        gpointer data)
{
    CreateNotes *n = data;
    if (n->task && !made) {
        g_autoptr(GError) error = NULL;
        if (!(n->noted = task_will_make(n->task, kind, ref, &error))) {
            g_warning("%s", error->message);
            return FALSE;
        }
    } else if (n->task) {
        task_made(n->task, n->noted);
    }
    if (made && path)
        g_ptr_array_add(n->made, g_strdup(path));
    return TRUE;
}

/* After the define: the inventory row with its owner and tags, then the
 * start. */
static gboolean finish(ApiContext *ctx, virDomainPtr dom, const ApiVmUnit *unit,
                       char uuid[VIR_UUID_STRING_BUFLEN], GError **error)
{
    if (virDomainGetUUIDString(dom, uuid) < 0) {
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "reading the new VM's UUID failed");
        return FALSE;
    }
    const char *uuids[] = {uuid, NULL};
    if (!db_vm_meta_touch_all(ctx->db, uuids, error) ||
        (unit->tags && !db_vm_meta_update(ctx->db, uuid, NULL, unit->tags, error)) ||
        (unit->owner_id && !db_vm_set_owner(ctx->db, uuid, unit->owner_id, error)))
        return FALSE;
    if (unit->start == 1 && !virt_domain_act(dom, VIRT_ACTION_START, error)) {
        g_prefix_error(error, "the VM was defined but did not start, so it was removed again: ");
        return FALSE;
    }
    return TRUE;
}

/* The plan's lock keys and the unit's own, NULL-terminated. */
static GPtrArray *lock_keys(const VirtVmPlan *plan, const ApiVmUnit *unit)
{
    g_auto(GStrv) plan_keys = api_vm_plan_lock_keys(plan);
    GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
    for (char **k = plan_keys; *k; k++)
        g_ptr_array_add(all, g_strdup(*k));
    for (const char *const *k = unit->locks; k && *k; k++)
        g_ptr_array_add(all, g_strdup(*k));
    g_ptr_array_add(all, NULL);
    return all;
}

gboolean api_vm_unit_run(ApiContext *ctx, virConnectPtr conn, VirtVmPlan *plan,
                         const ApiVmUnit *unit, Task *task, char uuid[VIR_UUID_STRING_BUFLEN],
                         GError **error)
{
    g_autoptr(GPtrArray) keys = lock_keys(plan, unit);
    g_autoptr(ApiLockSet) locks = api_locks_take(ctx->locks, (const char *const *)keys->pdata);
    g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func(g_free);
    CreateNotes notes = {.task = task, .made = made};
    plan->note = on_note;
    plan->note_data = &notes;
    uuid[0] = '\0';
    if (unit->check && !unit->check(conn, unit->data, error))
        return FALSE;
    VirtVmCreated *created = virt_vm_create(conn, plan, task ? api_vm_unit_progress : NULL, task,
                                            error);
    gboolean after = created && (!unit->after || unit->after(conn, task, unit->data, error));
    /* From the owner rows on, the VM and its volumes count in the owner's
     * usage: what the quota check held for them goes at the same time. */
    if (after)
        api_quota_hold_settle(unit->quota);
    if (after && finish(ctx, virt_vm_created_domain(created), unit, uuid, error)) {
        virt_vm_created_commit(created);
        gint64 host_id = api_host_id(ctx, unit->host);
        for (guint i = 0; unit->owner_id && i < made->len; i++)
            db_volume_owner_set(ctx->db, host_id, g_ptr_array_index(made, i), unit->owner_id, NULL);
        for (const char *const *p = unit->adopt; unit->owner_id && p && *p; p++)
            db_volume_owner_set(ctx->db, host_id, *p, unit->owner_id, NULL);
        api_quota_hold_release(unit->quota);
        /* The owner sees one more VM. */
        api_auth_changed(ctx, unit->owner_id);
        return TRUE;
    }
    if (after && unit->undo)
        unit->undo(unit->data);
    virt_vm_created_rollback(created);
    if (*uuid && !db_vm_meta_delete(ctx->db, uuid, NULL))
        g_warning("rollback: the inventory row of %s stays until the next prune", uuid);
    api_quota_hold_release(unit->quota);
    return FALSE;
}
