/* /api/vms/{vm}/snapshots: a VM's internal snapshots as a tree, taking
 * one, reverting to one and deleting one. Everything that changes happens
 * under the VM's lock; what waits on the guest (a memory snapshot of a
 * running VM, any revert) runs as a task that takes the lock again. */
#include "api/auth/api_quota.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/host/api_driver.h"
#include "api/tasks/api_tasks.h"
#include "api/tasks/task_engine.h"
#include "api/vms/api_vms.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_error.h"
#include "virt/virt_snapshot.h"

#include <string.h>

#define DESCRIPTION_MAX 4096

static json_t *snapshot_json(const VirtSnapshot *s)
{
    json_t *children = json_array();
    for (guint i = 0; s->children && i < s->children->len; i++)
        json_array_append_new(children, json_string(g_ptr_array_index(s->children, i)));
    return json_pack("{s:s, s:s?, s:s, s:b, s:o, s:s?, s:o, s:b, s:i}", "name", s->name,
                     "description", s->description, "state", s->state, "memory", s->memory,
                     "created_at", api_time_json(s->created_at), "parent", s->parent, "children",
                     children, "current", s->current, "depth", (int)s->depth);
}

static char *snapshot_location(const char *vm, const char *snap)
{
    g_autofree char *v = g_uri_escape_string(vm, NULL, FALSE);
    g_autofree char *s = g_uri_escape_string(snap, NULL, FALSE);
    return g_strdup_printf("/api/vms/%s/snapshots/%s", v, s);
}

/* The VM of {vm} for a read. */
static virDomainPtr read_vm(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                            GError **error)
{
    if (!api_query_none(req, error))
        return NULL;
    *conn_out = api_conn(ctx, req, error);
    virDomainPtr dom = *conn_out ? virt_domain_lookup(*conn_out, req->params[0], error) : NULL;
    if (dom && !api_driver_has(ctx, req, API_FEATURE_SNAPSHOTS, error))
        g_clear_pointer(&dom, virDomainFree);
    return dom;
}

gboolean api_vm_snapshots_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                               GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = read_vm(ctx, req, &conn, error);
    g_autoptr(GPtrArray) snaps = dom ? virt_snapshot_list(dom, error) : NULL;
    if (!snaps)
        return FALSE;
    json_t *list = json_array();
    const char *current = NULL;
    for (guint i = 0; i < snaps->len; i++) {
        const VirtSnapshot *s = g_ptr_array_index(snaps, i);
        if (s->current)
            current = s->name;
        json_array_append_new(list, snapshot_json(s));
    }
    api_answer_object(resp, 200, json_pack("{s:s?, s:o}", "current", current, "snapshots", list));
    return TRUE;
}

gboolean api_vm_snapshot_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                             GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = read_vm(ctx, req, &conn, error);
    g_autoptr(VirtSnapshot) s = dom ? virt_snapshot_get(dom, req->params[1], error) : NULL;
    if (!s)
        return FALSE;
    api_answer_object(resp, 200, snapshot_json(s));
    return TRUE;
}

/* Why the VM in `current` (its detail) cannot have the snapshot asked
 * for, as a 409 that says what to do; TRUE when it can. `memory` is -1
 * when the request left it to the VM's state, and gets the choice. */
static gboolean snapshot_possible(virDomainPtr dom, int *memory, GError **error)
{
    g_autoptr(VirtDomainDetail) d = virt_domain_detail(dom, error);
    if (!d)
        return FALSE;
    int state = d->summary.state;
    gboolean active = state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED ||
                      state == VIR_DOMAIN_BLOCKED;
    if (*memory < 0)
        *memory = active;
    if (active && !*memory)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' is %s: an internal snapshot of a running VM always holds its "
                        "memory; take it with memory, or shut the VM off for a disk-only snapshot",
                        d->summary.name, virt_domain_state_name(state));
    if (!active && *memory)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' is %s: it has no memory to keep; take a disk-only snapshot",
                        d->summary.name, virt_domain_state_name(state));
    const VirtDisk *raw = virt_snapshot_unfit_disk(d->config);
    if (raw)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s of VM '%s' is %s: internal snapshots are stored inside qcow2 "
                        "images, so every writable disk must be qcow2 (convert it, or detach it)",
                        raw->target ? raw->target : "?", d->summary.name,
                        raw->format ? raw->format : "of an unknown format");
    if (active && !virt_snapshot_has_writable_disk(d->config))
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' has no writable qcow2 disk to keep its memory in",
                        d->summary.name);
    return TRUE;
}

typedef enum { JOB_CREATE, JOB_REVERT } SnapJobKind;

/* A snapshot or revert on a worker: the VM is found again by UUID and its
 * lock taken again, so nothing changed it since the request's checks. */
typedef struct {
    ApiContext *ctx;
    SnapJobKind kind;
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *vm, *name, *description;
    ApiQuotaHold *quota; /* a revert's growth, held for the VM's owner */
} SnapJob;

static void snap_job_free(gpointer data)
{
    SnapJob *job = data;
    g_free(job->vm);
    g_free(job->name);
    g_free(job->description);
    api_quota_hold_free(job->quota);
    g_free(job);
}

static gboolean run_snap_job(Task *task, gpointer data, char **result, GError **error)
{
    SnapJob *job = data;
    task_set_cancellable(task, FALSE);
    g_autoptr(ApiLockSet) lock = api_lock(job->ctx->locks, "vm:%s", job->uuid);
    g_autoptr(virConnect) conn = api_task_conn(job->ctx, task, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, job->uuid, error) : NULL;
    if (!dom)
        return FALSE;
    if (job->kind == JOB_CREATE) {
        int memory = 1;
        task_progress(task, 0, "saving the VM's memory and disks");
        if (!snapshot_possible(dom, &memory, error) ||
            !virt_snapshot_create(dom, job->name, job->description, error))
            return FALSE;
        *result = api_task_on_host(task, snapshot_location(virDomainGetName(dom), job->name));
    } else {
        task_progress(task, 0, "reverting to the snapshot");
        /* From the revert on, the definition counts in the owner's usage. */
        api_quota_hold_settle(job->quota);
        gboolean reverted = virt_snapshot_revert(dom, job->name, error);
        api_quota_hold_release(job->quota);
        if (!reverted)
            return FALSE;
        g_autofree char *vm = g_uri_escape_string(virDomainGetName(dom), NULL, FALSE);
        *result = api_task_on_host(task, g_strconcat("/api/vms/", vm, NULL));
    }
    api_vm_changed(job->ctx, task_host(task), dom, VIRT_DOMAIN_EVENT_EDITED);
    return TRUE;
}

static gboolean submit(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                       const ApiVmChange *c, SnapJobKind kind, const char *name,
                       const char *description, ApiQuotaHold *quota, GError **error)
{
    if (!ctx->tasks) {
        api_quota_hold_free(quota);
        return api_fail(error, API_ERROR_UNAVAILABLE, "tasks are not running");
    }
    SnapJob *job = g_new0(SnapJob, 1);
    job->ctx = ctx;
    job->kind = kind;
    g_strlcpy(job->uuid, c->uuid, sizeof job->uuid);
    job->vm = g_strdup(virDomainGetName(c->dom));
    job->name = g_strdup(name);
    job->description = g_strdup(description);
    job->quota = quota;
    g_autofree char *target = g_strdup_printf("%s/%s", job->vm, name);
    g_autoptr(VirtHost) on = api_req_host(ctx, req);
    gint64 id = tasks_submit(ctx->tasks, kind == JOB_CREATE ? "snapshot" : "revert", target,
                             req->auth->user_id, on, run_snap_job, job, snap_job_free, error);
    return id && api_answer_task(ctx, resp, id, error);
}

gboolean api_vm_snapshot_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                                GError **error)
{
    static const char *const allowed[] = {"name", "description", "memory", NULL};
    static const char *const required[] = {"name", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL, *description = NULL;
    int memory = -1;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_string(body, "description", DESCRIPTION_MAX, &description, error) ||
        !api_json_opt_bool(body, "memory", &memory, error))
        return FALSE;
    GError *why = NULL;
    if (!virt_plain_name_valid("snapshot", name, &why))
        return api_field_error(error, "name", why);
    g_auto(ApiVmChange) c = {0};
    if (!api_vm_change_begin(ctx, req, NULL, &c, error) ||
        !api_driver_has(ctx, req, API_FEATURE_SNAPSHOTS, error) ||
        !snapshot_possible(c.dom, &memory, error))
        return FALSE;
    virDomainSnapshotPtr clash = virDomainSnapshotLookupByName(c.dom, name, 0);
    virResetLastError();
    if (clash) {
        virDomainSnapshotFree(clash);
        return api_fail(error, API_ERROR_CONFLICT, "VM '%s' has a snapshot named '%s'",
                        virDomainGetName(c.dom), name);
    }
    /* Saving memory waits on the guest: a task. A shut-off VM's disks
     * take a moment (qemu-img), so that one is answered at once. */
    if (memory)
        return submit(ctx, req, resp, &c, JOB_CREATE, name, description, NULL, error);
    g_autoptr(VirtSnapshot) made = NULL;
    if (!virt_snapshot_create(c.dom, name, description, error) ||
        !(made = virt_snapshot_get(c.dom, name, error)))
        return FALSE;
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_EDITED);
    g_autofree char *location = snapshot_location(virDomainGetName(c.dom), name);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, snapshot_json(made));
    return TRUE;
}

/* A revert puts back the vCPUs and memory of the definition the snapshot
 * kept: what they take beyond what the VM takes now is checked against
 * the quota of the VM's owner, as an edit's increase is. */
static gboolean revert_quota(ApiContext *ctx, const ApiRequest *req, const ApiVmChange *c,
                             const VirtSnapshot *s, ApiQuotaHold **hold, GError **error)
{
    gint64 owner = 0;
    VirtFootprint now, then = {0};
    if (!s->domain_xml)
        return TRUE; /* nothing kept: the definition stays as it is */
    g_autoptr(VirtDomainConfig)
        cfg = virt_domain_config_parse(s->domain_xml, strlen(s->domain_xml), error);
    if (!cfg || !db_vm_owner(ctx->db, c->uuid, &owner, error) ||
        !virt_domain_footprint(c->dom, &now, error))
        return FALSE;
    then.vcpus = cfg->vcpus;
    then.memory_kib = cfg->max_memory_kib;
    return api_quota_check_vm(ctx, api_quota_caller(req), owner, &then, &now, hold, error);
}

gboolean api_vm_snapshot_revert(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                                GError **error)
{
    if (!api_request_empty(req, error))
        return FALSE;
    g_auto(ApiVmChange) c = {0};
    g_autoptr(VirtSnapshot) s = NULL;
    ApiQuotaHold *quota = NULL;
    if (!api_vm_change_begin(ctx, req, NULL, &c, error) ||
        !api_driver_has(ctx, req, API_FEATURE_SNAPSHOTS, error) ||
        !(s = virt_snapshot_get(c.dom, req->params[1], error)) ||
        !revert_quota(ctx, req, &c, s, &quota, error))
        return FALSE;
    return submit(ctx, req, resp, &c, JOB_REVERT, s->name, NULL, quota, error);
}

gboolean api_vm_snapshot_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                                GError **error)
{
    g_auto(ApiVmChange) c = {0};
    if (!api_query_none(req, error) || !api_vm_change_begin(ctx, req, NULL, &c, error) ||
        !api_driver_has(ctx, req, API_FEATURE_SNAPSHOTS, error) ||
        !virt_snapshot_delete(c.dom, req->params[1], error))
        return FALSE;
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_EDITED);
    resp->status = 204;
    return TRUE;
}
