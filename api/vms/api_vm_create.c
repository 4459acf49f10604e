/* POST /api/vms: a new VM from a full spec, from a template with
 * overrides, or around existing volumes. Volumes, definition, inventory
 * row and the optional start are one unit: any failure undoes them all.
 * A create that copies a volume runs as a task (202); others answer 201. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_gate.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/os/api_os_catalogue.h"
#include "api/tasks/api_tasks.h"
#include "api/tasks/task_engine.h"
#include "api/vms/api_cloud_seed.h"
#include "api/vms/api_templates.h"
#include "api/vms/api_vm_plan.h"
#include "api/vms/api_vm_spec.h"
#include "api/vms/api_vm_unit.h"
#include "api/vms/api_vms.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"

#include <string.h>

/* The spec of the request: the body without "template" and "start", laid
 * over the template's spec when one is named (top-level members of the
 * body win; a list such as "disks" replaces the template's whole list). */
static json_t *request_spec(ApiContext *ctx, json_t *body, int *start, GError **error)
{
    const char *template_name = NULL;
    if (!api_json_opt_string(body, "template", 64, &template_name, error) ||
        !api_json_opt_bool(body, "start", start, error))
        return NULL;
    g_autoptr(json_t) spec = NULL;
    if (template_name) {
        if (!(spec = api_template_spec(ctx, template_name, error))) {
            if (error && *error && (*error)->code == API_ERROR_NOT_FOUND &&
                (*error)->domain == API_ERROR) {
                (*error)->code = API_ERROR_INVALID_ARGUMENT;
                g_prefix_error(error, "field 'template': ");
            }
            return NULL;
        }
    } else {
        spec = json_object();
    }
    json_t *overrides = json_deep_copy(body);
    json_object_del(overrides, "template");
    json_object_del(overrides, "start");
    json_object_update(spec, overrides);
    json_decref(overrides);
    if (!api_os_apply_defaults(ctx, spec, error))
        return NULL;
    return g_steal_pointer(&spec);
}

/* The OS the spec names goes into the domain's <metadata> under
 * libosinfo's full id, as virt-install writes it (request_spec already
 * refused an OS the catalogue lacks). */
static gboolean keep_os(ApiContext *ctx, ApiVmSpec *spec, GError **error)
{
    if (!spec->os)
        return TRUE;
    json_t *os = api_os_find(ctx, spec->os, error);
    if (!os)
        return FALSE;
    spec->osinfo_id = g_strdup(json_string_value(json_object_get(os, "osinfo_id")));
    return TRUE;
}

/* Copies take long: a plan with one runs as a task. */
static gboolean plan_copies(const VirtVmPlan *plan)
{
    for (guint i = 0; i < plan->n_volumes; i++)
        if (plan->volumes[i].kind == VIRT_VM_VOL_CLONE)
            return TRUE;
    return FALSE;
}

/* A create running as a task owns everything its plan points into. */
typedef struct {
    ApiContext *ctx;
    ApiVmSpec *spec;
    VirtHostInfo *host;
    char *uuid;
    char *serial_log;
    VirtVmPlan plan;
    gint64 owner_id;
    int start;
    ApiQuotaHold *quota; /* what the check held for the owner until the VM is made */
} CreateJob;

static void create_job_free(gpointer data)
{
    CreateJob *job = data;
    api_quota_hold_free(job->quota);
    api_vm_spec_free(job->spec);
    virt_host_info_free(job->host);
    g_free(job->uuid);
    g_free(job->serial_log);
    g_free(job);
}

static gboolean run_create(Task *task, gpointer data, char **result, GError **error)
{
    CreateJob *job = data;
    char uuid[VIR_UUID_STRING_BUFLEN];
    ApiVmUnit unit = {.owner_id = job->owner_id,
                      .host = task_host(task),
                      .start = job->start,
                      .quota = job->quota};
    g_autoptr(virConnect) conn = api_task_conn(job->ctx, task, error);
    if (!conn || !api_vm_unit_run(job->ctx, conn, &job->plan, &unit, task, uuid, error))
        return FALSE;
    *result = api_task_on_host(task, g_strconcat("/api/vms/", job->spec->name, NULL));
    return TRUE;
}

/* Checks what can be checked now (400/403/409 before any 202), under the
 * locks of the volumes it uses, then queues; the task takes them again. */
static gboolean check_plan(ApiContext *ctx, const ApiRequest *req, virConnectPtr conn,
                           const VirtVmPlan *plan, GError **error)
{
    g_auto(GStrv) keys = api_vm_plan_lock_keys(plan);
    g_autoptr(ApiLockSet) locks = api_locks_take(ctx->locks, (const char *const *)keys);
    return api_vm_plan_allowed(req, conn, plan, NULL, error) &&
           virt_vm_plan_check(conn, plan, error);
}

gboolean api_vms_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(json_t) body = api_json_body(req, error);
    if (body && json_is_object(body) &&
        g_strcmp0(json_string_value(json_object_get(body, "type")), "container") == 0)
        return api_query_none(req, error) && api_container_create(ctx, req, body, resp, error);
    int start = 0;
    g_autoptr(json_t) spec_json = body && api_query_none(req, error)
                                      ? request_spec(ctx, body, &start, error)
                                      : NULL;
    g_autoptr(ApiVmSpec) spec = spec_json ? api_vm_spec_parse(spec_json, API_VM_SPEC_CREATE, error)
                                          : NULL;
    g_autoptr(virConnect) conn = spec ? api_conn(ctx, req, error) : NULL;
    g_autoptr(VirtHostInfo) host = conn ? virt_host_info(conn, error) : NULL;
    if (!host || !api_vm_spec_check_host(spec, host, error) || !keep_os(ctx, spec, error))
        return FALSE;
    gint64 owner_id = req->auth ? req->auth->user_id : 0;
    /* The UUID is chosen here: it names the serial log, and a crash
     * half-way leaves a VM a later start can find and remove. */
    g_autofree char *uuid = g_uuid_string_random();
    g_autofree char *serial_log = api_vm_serial_log(conn, uuid);
    if (!api_cloud_seed_build(spec, uuid, error))
        return FALSE;
    VirtVmPlan plan;
    api_vm_spec_plan(spec, host, serial_log, &plan);
    plan.domain.uuid = uuid;
    /* The quota after the 400s: a request both wrong and too big hears
     * first what is wrong. */
    g_autoptr(ApiQuotaHold) quota = NULL;
    if (!check_plan(ctx, req, conn, &plan, error) ||
        !api_vm_plan_quota(ctx, req, conn, &plan, &quota, error))
        return FALSE;
    if (plan_copies(&plan) && ctx->tasks) {
        CreateJob *job = g_new0(CreateJob, 1);
        *job = (CreateJob){ctx,
                           g_steal_pointer(&spec),
                           g_steal_pointer(&host),
                           g_steal_pointer(&uuid),
                           g_steal_pointer(&serial_log),
                           plan,
                           owner_id,
                           start,
                           g_steal_pointer(&quota)};
        /* On the request's host: the plan was checked there. */
        g_autoptr(VirtHost) on = api_req_host(ctx, req);
        gint64 id = tasks_submit(ctx->tasks, "create", job->spec->name, job->owner_id, on,
                                 run_create, job, create_job_free, error);
        return id && api_answer_task(ctx, resp, id, error);
    }
    char made_uuid[VIR_UUID_STRING_BUFLEN];
    ApiVmUnit unit = {.owner_id = owner_id, .host = req->virt_host, .start = start, .quota = quota};
    if (!api_vm_unit_run(ctx, conn, &plan, &unit, NULL, made_uuid, error))
        return FALSE;
    json_t *obj = api_vm_detail(ctx, conn, made_uuid, NULL, error);
    if (!obj)
        return FALSE;
    g_autofree char *location = g_strconcat("/api/vms/", spec->name, NULL);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}
