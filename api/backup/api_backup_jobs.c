/* /api/backups/jobs: backup jobs (admins see all, operators their own): name, schedule (every day or
 * week, at a local time, on a weekday), VMs (by name or UUID, kept by
 * UUID), target pool and how many backups to keep per VM; each answer
 * says when the job runs next and how its last run ended. POST .../run
 * runs one now. */
#include "api/backup/api_backup_schedule.h"
#include "api/backup/api_backups.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/tasks/api_tasks.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_build.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

#define MAX_VMS 100
#define MAX_KEEP 1000

static void conn_unref(gpointer conn)
{
    if (conn)
        virConnectClose(conn);
}

/* The name of VM `uuid` on its host (null when it is gone or the host
 * does not answer); `conns` keeps each host's connection for the next. */
static json_t *vm_name_json(ApiContext *ctx, GHashTable *conns, gint64 host_id, const char *uuid)
{
    gint64 key = host_id ? host_id : api_host_id(ctx, NULL);
    if (!g_hash_table_contains(conns, &key)) {
        g_autoptr(VirtHost) h = api_backup_host(ctx, host_id, NULL);
        virConnectPtr c = h || !ctx->hosts ? api_host_conn(ctx, h, NULL) : NULL;
        g_hash_table_insert(conns, g_memdup2(&key, sizeof key), c);
    }
    virConnectPtr conn = g_hash_table_lookup(conns, &key);
    g_autoptr(virDomain) dom = conn ? virDomainLookupByUUIDString(conn, uuid) : NULL;
    virResetLastError();
    return dom ? json_string(virDomainGetName(dom)) : json_null();
}

static json_t *job_json(ApiContext *ctx, const DbBackupJob *j)
{
    g_autoptr(GHashTable)
        conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, conn_unref);
    json_t *vms = json_array();
    for (guint i = 0; j->vms[i]; i++)
        json_array_append_new(vms, json_pack("{s:s,s:o,s:o}", "uuid", j->vms[i], "name",
                                             vm_name_json(ctx, conns, j->vm_hosts[i], j->vms[i]),
                                             "host", api_backup_host_json(ctx, j->vm_hosts[i])));
    char at[6];
    g_snprintf(at, sizeof at, "%02d:%02d", j->at_minute / 60, j->at_minute % 60);
    json_t *schedule = json_pack("{s:s,s:s}", "every", j->every, "at", at);
    if (strcmp(j->every, "week") == 0)
        json_object_set_new(schedule, "weekday", json_string(api_backup_weekday_name(j->weekday)));
    ApiBackupSchedule s = {strcmp(j->every, "week") == 0, j->at_minute, j->weekday};
    g_autoptr(GTimeZone) tz = g_time_zone_new_local();
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gint64 since = j->last_run_at ? j->last_run_at : j->created_at;
    gint64 next = api_backup_due(&s, since, now, tz) ? now : api_backup_next_run(&s, since, tz);
    return json_pack("{s:s,s:o,s:o,s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "name", j->name, "schedule",
                     schedule, "vms", vms, "pool", j->pool, "keep", j->keep, "next_run_at",
                     api_time_json(next), "last_run_at", api_time_json(j->last_run_at),
                     "last_state", j->last_state ? json_string(j->last_state) : json_null(),
                     "last_message", j->last_message ? json_string(j->last_message) : json_null(),
                     "last_task", j->last_task_id ? json_integer(j->last_task_id) : json_null(),
                     "created_at", api_time_json(j->created_at));
}

/* Job `name` when the caller may see it; NOT_FOUND otherwise. */
static DbBackupJob *find(ApiContext *ctx, const ApiRequest *req, const char *name, GError **error)
{
    DbBackupJob *j = db_backup_job_get(ctx->db, name, error);
    if (j && !api_backup_owned_by_caller(req, j->owner_id))
        g_clear_pointer(&j, db_backup_job_free);
    if (!j && !*error)
        api_fail(error, API_ERROR_NOT_FOUND, "no backup job named '%s'", name);
    return j;
}

static gboolean parse_schedule(json_t *s, DbBackupJob *j, GError **error)
{
    static const char *const allowed[] = {"every", "at", "weekday", NULL};
    static const char *const required[] = {"every", "at", NULL};
    const char *every = NULL, *at = NULL, *weekday = NULL;
    if (!json_is_object(s))
        return api_invalid(error, "schedule: an object {\"every\", \"at\", \"weekday\"?}");
    if (!api_json_only_members(s, allowed, error) || !api_json_require(s, required, error) ||
        !api_json_opt_string(s, "every", 8, &every, error) ||
        !api_json_opt_string(s, "at", 8, &at, error) ||
        !api_json_opt_string(s, "weekday", 16, &weekday, error))
        return FALSE;
    if (strcmp(every, "day") != 0 && strcmp(every, "week") != 0)
        return api_invalid(error, "schedule.every: \"day\" or \"week\", not '%s'", every);
    if (!api_backup_parse_time(at, &j->at_minute))
        return api_invalid(error, "schedule.at: a local time \"HH:MM\" (00:00 to 23:59), not '%s'",
                           at);
    gboolean weekly = strcmp(every, "week") == 0;
    if (weekly != (weekday != NULL))
        return api_invalid(error, weekly ? "schedule.weekday: a weekly job names its day"
                                         : "schedule.weekday: only for \"every\": \"week\"");
    j->weekday = 0;
    if (weekly && !api_backup_parse_weekday(weekday, &j->weekday))
        return api_invalid(error, "schedule.weekday: monday to sunday, not '%s'", weekday);
    g_free(j->every);
    j->every = g_strdup(every);
    return TRUE;
}

/* One item of "vms": a name or UUID of a VM of the request's host, or
 * {"vm", "host"} naming its host (through the scope, as every body
 * name); *host: a new reference. */
static const char *vm_item(ApiContext *ctx, const ApiRequest *req, json_t *v, size_t i,
                           VirtHost **host, GError **error)
{
    static const char *const allowed[] = {"vm", "host", NULL};
    if (json_is_string(v)) {
        *host = api_req_host(ctx, req);
        return json_string_value(v);
    }
    const char *id = NULL, *named = NULL;
    g_autofree char *field = g_strdup_printf("vms[%zu].host", i);
    if (!json_is_object(v) || !api_json_only_members(v, allowed, error) ||
        !api_json_opt_string(v, "vm", 255, &id, error) ||
        !api_json_opt_string(v, "host", 255, &named, error) || !id) {
        g_clear_error(error);
        api_invalid(error, "vms[%zu]: a VM name or UUID, or {\"vm\", \"host\"}", i);
        return NULL;
    }
    *host = named ? api_scope_host(req->scope, field, named, error) : api_req_host(ctx, req);
    return *host || !ctx->hosts ? id : NULL;
}

/* VMs (each a name or UUID on its host) into UUIDs and hosts (each once);
 * a VM the caller may not act on is named as one that does not exist. */
static gboolean parse_vms(ApiContext *ctx, const ApiRequest *req, json_t *vms, DbBackupJob *j,
                          GError **error)
{
    if (!json_is_array(vms) || json_array_size(vms) == 0 || json_array_size(vms) > MAX_VMS)
        return api_invalid(error, "vms: a list of 1 to %d VM names or UUIDs", MAX_VMS);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(GArray) hosts = g_array_new(FALSE, TRUE, sizeof(gint64));
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    size_t i;
    json_t *v;
    json_array_foreach (vms, i, v) {
        g_autoptr(VirtHost) host = NULL;
        const char *id = vm_item(ctx, req, v, i, &host, error);
        if (!id)
            return FALSE;
        g_autoptr(GError) why = NULL;
        g_autoptr(virConnect) conn = api_host_conn(ctx, host, error);
        if (!conn)
            return FALSE;
        g_autoptr(virDomain) dom = virt_domain_lookup(conn, id, &why);
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (!dom || virDomainGetUUIDString(dom, uuid) < 0 ||
            !api_scope_sees_vm(req->scope, uuid, &why))
            return api_invalid(error, "vms[%zu]: no VM named '%s'", i, id);
        gint64 host_id = api_host_id(ctx, host);
        if (g_hash_table_add(seen, g_strdup_printf("%" G_GINT64_FORMAT " %s", host_id, uuid))) {
            g_strv_builder_add(b, uuid);
            g_array_append_val(hosts, host_id);
        }
    }
    g_strfreev(j->vms);
    j->vms = g_strv_builder_end(b);
    g_free(j->vm_hosts);
    j->vm_hosts = (gint64 *)g_array_free(g_steal_pointer(&hosts), FALSE);
    return TRUE;
}

/* The members of a create (all of them) or an edit (those given). */
static gboolean parse_job(ApiContext *ctx, const ApiRequest *req, json_t *body, DbBackupJob *j,
                          GError **error)
{
    static const char *const allowed[] = {"name", "schedule", "vms", "pool", "keep", NULL};
    const char *name = NULL, *pool = NULL;
    json_int_t keep = j->keep;
    if (!api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_string(body, "pool", 255, &pool, error) ||
        !api_json_opt_int(body, "keep", 1, MAX_KEEP, &keep, error))
        return FALSE;
    GError *why = NULL;
    if (name && !virt_plain_name_valid("backup job name", name, &why))
        return api_field_error(error, "name", why);
    json_t *schedule = json_object_get(body, "schedule");
    if (schedule && !parse_schedule(schedule, j, error))
        return FALSE;
    /* The pool is vireod's own host's, whichever host the VMs are on. */
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    if (!conn)
        return FALSE;
    json_t *vms = json_object_get(body, "vms");
    if (vms && !parse_vms(ctx, req, vms, j, error))
        return FALSE;
    /* A pool the caller may not make volumes in: 404 or 403, as for a
     * create's disks (docs/access.md). */
    if (pool && !api_scope_pool(req->scope, pool, API_POOL_DISKS, error))
        return FALSE;
    if (pool) {
        g_autoptr(GError) missing = NULL;
        g_autoptr(virStoragePool) p = virt_pool_lookup(conn, pool, &missing);
        if (!p)
            return api_invalid(error, "pool: no storage pool named '%s'", pool);
        g_free(j->pool);
        j->pool = g_strdup(pool);
    }
    if (name) {
        g_free(j->name);
        j->name = g_strdup(name);
    }
    j->keep = (int)keep;
    return TRUE;
}

/* 412 unless If-Match is absent or names the job as it is. */
static gboolean job_unchanged(ApiContext *ctx, const ApiRequest *req, const DbBackupJob *j,
                              GError **error)
{
    g_autoptr(json_t) current = job_json(ctx, j);
    return api_check_if_match(req, current, "the backup job", error);
}

static gboolean answer_job(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           const char *name, unsigned status, GError **error)
{
    g_autoptr(DbBackupJob) j = find(ctx, req, name, error);
    if (!j)
        return FALSE;
    api_answer_object(resp, status, job_json(ctx, j));
    return TRUE;
}

gboolean api_backup_jobs_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                              GError **error)
{
    g_autoptr(GPtrArray) jobs = api_query_none(req, error) ? db_backup_job_list(ctx->db, error)
                                                           : NULL;
    if (!jobs)
        return FALSE;
    json_t *list = json_array();
    for (guint i = 0; i < jobs->len; i++) {
        const DbBackupJob *j = g_ptr_array_index(jobs, i);
        if (api_backup_owned_by_caller(req, j->owner_id))
            json_array_append_new(list, job_json(ctx, j));
    }
    api_response_json(resp, 200, json_pack("{s:o}", "jobs", list));
    return TRUE;
}

gboolean api_backup_jobs_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                                GError **error)
{
    static const char *const required[] = {"name", "schedule", "vms", "pool", "keep", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    g_autoptr(DbBackupJob) j = g_new0(DbBackupJob, 1);
    j->vms = g_new0(char *, 1);
    j->vm_hosts = g_new0(gint64, 1);
    /* An operator's job is theirs; an admin's is for admins. */
    j->owner_id = req->auth->role == API_ROLE_ADMIN ? 0 : req->auth->user_id;
    if (!body || !api_json_require(body, required, error) || !parse_job(ctx, req, body, j, error))
        return FALSE;
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "backup-jobs");
    if (!db_backup_job_create(ctx->db, j, error)) {
        if (g_error_matches(*error, DB_ERROR, DB_ERROR_EXISTS) ||
            strstr((*error)->message, "UNIQUE")) {
            g_clear_error(error);
            return api_fail(error, API_ERROR_CONFLICT, "a backup job named '%s' exists", j->name);
        }
        return FALSE;
    }
    g_autofree char *escaped = g_uri_escape_string(j->name, NULL, FALSE);
    g_autofree char *location = g_strconcat("/api/backups/jobs/", escaped, NULL);
    api_response_header(resp, "Location", location);
    return answer_job(ctx, req, resp, j->name, 201, error);
}

gboolean api_backup_job_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    return api_query_none(req, error) && answer_job(ctx, req, resp, req->params[0], 200, error);
}

gboolean api_backup_job_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                              GError **error)
{
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body)
        return FALSE;
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "backup-jobs");
    g_autoptr(DbBackupJob) j = find(ctx, req, req->params[0], error);
    if (!j)
        return FALSE;
    if (!job_unchanged(ctx, req, j, error) || !parse_job(ctx, req, body, j, error))
        return FALSE;
    if (!db_backup_job_update(ctx->db, j, error)) {
        if (strstr((*error)->message, "UNIQUE")) {
            g_clear_error(error);
            return api_fail(error, API_ERROR_CONFLICT, "a backup job named '%s' exists", j->name);
        }
        return FALSE;
    }
    return answer_job(ctx, req, resp, j->name, 200, error);
}

gboolean api_backup_job_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                               GError **error)
{
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "backup-jobs");
    g_autoptr(DbBackupJob) j = api_query_none(req, error) ? find(ctx, req, req->params[0], error)
                                                          : NULL;
    if (!j)
        return FALSE;
    if (!job_unchanged(ctx, req, j, error) || !db_backup_job_delete(ctx->db, j->id, error))
        return FALSE;
    /* Its backups stay, listed under the job's name, until deleted. */
    resp->status = 204;
    return TRUE;
}

gboolean api_backup_job_run(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    g_autoptr(DbBackupJob) j = api_request_empty(req, error) ? find(ctx, req, req->params[0], error)
                                                             : NULL;
    if (!j)
        return FALSE;
    gint64 id = api_backups_run(ctx, req->params[0], req->auth ? req->auth->user_id : 0, error);
    return id && api_answer_task(ctx, resp, id, error);
}
