/* POST /api/vms/{vm}/clone: a new VM from a shut-off one, with new UUID
 * and MACs. A full clone copies every writable disk (a task, with progress
 * and cancel); a linked clone puts qcow2 overlays on them and moves the
 * source onto overlays of its own, so that the shared base is only read.
 * CD-ROM media stay shared, but for the VM's own (its cloud-init seed,
 * which a delete with ?volumes=true takes along): the clone gets a copy.
 * Checks (state, formats, the caller's pools,
 * volumes and networks, names, space) happen before anything is made; the
 * clone is then made as one unit (api_vm_unit.h), owned by the cloner and
 * counted in their quota (api_quota.h). */
#include "api/backup/api_archive_media.h"
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/tasks/api_tasks.h"
#include "api/vms/api_vm_plan.h"
#include "api/vms/api_vm_unit.h"
#include "api/vms/api_vms.h"
#include "db/db.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_nvram.h"
#include "virt/virt_snapshot.h"
#include "virt/virt_storage.h"
#include "virt/virt_vm_clone.h"

#include <string.h>

/* Everything a clone needs, owned, so that it can run as a task. */
typedef struct {
    ApiContext *ctx;
    char src_uuid[VIR_UUID_STRING_BUFLEN];
    char *name, *uuid, *xml;
    char *made_of;      /* xml without the drives of own media not on this host */
    GPtrArray *media;   /* the source's own media (ApiArchiveMedium) */
    GPtrArray *strings; /* what the plan's volumes and NICs point into */
    GArray *volumes;    /* VirtVmVolume */
    GArray *nics;       /* VirtNicSpec */
    VirtVmPlan plan;
    GStrv tags;
    char *lock_key;
    const char *locks[2];
    gint64 owner_id;
    int start;
    gboolean linked;
    VirtSourceMove *move;
    ApiQuotaHold *quota; /* what the check held for the cloner until the clone is made */
} CloneJob;

static void clone_job_free(gpointer data)
{
    CloneJob *job = data;
    api_quota_hold_free(job->quota);
    g_free(job->name);
    g_free(job->uuid);
    g_free(job->xml);
    g_free(job->made_of);
    if (job->media)
        g_ptr_array_unref(job->media);
    g_ptr_array_unref(job->strings);
    g_array_unref(job->volumes);
    g_array_unref(job->nics);
    g_strfreev(job->tags);
    g_free(job->lock_key);
    g_free(job);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CloneJob, clone_job_free)

static const char *keep(CloneJob *job, char *s)
{
    g_ptr_array_add(job->strings, s);
    return s;
}

/* The source's inactive definition: what the clone is made from. */
static char *source_xml(virDomainPtr dom, GError **error)
{
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml)
        virt_error_from_libvirt(error, "reading the VM's definition");
    return xml;
}

/* 409 unless the source is shut off (and, for a linked clone, has no
 * snapshots: they live inside the disks that become the shared base,
 * which the source no longer writes). */
static gboolean source_ready(virDomainPtr dom, gboolean linked, GError **error)
{
    int state = 0, reason = 0;
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return FALSE;
    }
    if (state != VIR_DOMAIN_SHUTOFF)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' is %s: only a shut-off VM is cloned (its disks must not change "
                        "during the copy); shut it down first",
                        virDomainGetName(dom), virt_domain_state_name(state));
    int snapshots = linked ? virt_snapshot_count(dom, error) : 0;
    if (snapshots < 0)
        return FALSE;
    if (snapshots > 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' has %d snapshot(s): a linked clone would move it onto new "
                        "overlays, where its snapshots cannot be reverted to; delete them or "
                        "make a full clone",
                        virDomainGetName(dom), snapshots);
    return TRUE;
}

/* One writable disk of the source as a volume of the plan: a copy, or an
 * overlay for a linked clone (qcow2 sources only). */
static gboolean add_disk(CloneJob *job, virConnectPtr conn, const VirtDisk *d, GError **error)
{
    g_autoptr(virStorageVol) vol = d->source ? virStorageVolLookupByPath(conn, d->source) : NULL;
    virResetLastError();
    g_autoptr(virStoragePool) pool = vol ? virStoragePoolLookupByVolume(vol) : NULL;
    virResetLastError();
    if (!pool)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is not a volume of a storage pool: Vireo clones only the "
                        "volumes of its pools",
                        d->target);
    if (job->linked && g_strcmp0(d->format, "qcow2") != 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is %s: a linked clone puts qcow2 overlays on qcow2 disks "
                        "only; make a full clone instead",
                        d->target, d->format ? d->format : "of an unknown format");
    VirtVmVolume v = {
        .kind = job->linked ? VIRT_VM_VOL_OVERLAY : VIRT_VM_VOL_CLONE,
        .device = "disk",
        .from = keep(
            job, g_strdup_printf("%s/%s", virStoragePoolGetName(pool), virStorageVolGetName(vol))),
        .target = keep(job, g_strdup(d->target)),
        .label = keep(job, g_strdup_printf("disk %s", d->target)),
    };
    g_array_append_val(job->volumes, v);
    return TRUE;
}

/* The plan of the clone from the source's definition. */
static gboolean plan_clone(CloneJob *job, virConnectPtr conn, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(job->xml, strlen(job->xml), error);
    if (!cfg)
        return FALSE;
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (virt_disk_writable(d) && !add_disk(job, conn, d, error))
            return FALSE;
    }
    /* The clone's NICs are the source's: checked as a create's would be. */
    for (guint i = 0; i < cfg->nics->len; i++) {
        const VirtNic *n = g_ptr_array_index(cfg->nics, i);
        if ((g_strcmp0(n->type, "network") != 0 && g_strcmp0(n->type, "bridge") != 0) || !n->source)
            continue;
        VirtNicSpec nic = {.type = keep(job, g_strdup(n->type)),
                           .source = keep(job, g_strdup(n->source))};
        g_array_append_val(job->nics, nic);
    }
    /* The source's own media are copied beside them (after the disks:
     * the first disk boots). */
    if (!(job->media = api_archive_media(conn, job->xml, job->name, error)) ||
        !(job->made_of = api_archive_media_xml(job->xml, job->media, error)))
        return FALSE;
    api_archive_media_plan(job->media, NULL, job->volumes);
    job->plan.domain.name = job->name;
    job->plan.domain.uuid = job->uuid;
    job->plan.domain.nics = (const VirtNicSpec *)job->nics->data;
    job->plan.domain.n_nics = job->nics->len;
    job->plan.volumes = (const VirtVmVolume *)job->volumes->data;
    job->plan.n_volumes = job->volumes->len;
    job->plan.clone_of = job->made_of;
    return TRUE;
}

/* The clone's disks go beside the source's: the caller must hold each of
 * those pools for new disks. The pools are named: whoever may see the VM
 * sees where its disks are. */
static gboolean pools_allowed(const ApiRequest *req, const CloneJob *job, GError **error)
{
    for (guint i = 0; i < job->plan.n_volumes; i++) {
        const VirtVmVolume *v = &job->plan.volumes[i];
        g_autofree char *pool = g_strndup(v->from, strcspn(v->from, "/"));
        g_autoptr(GError) why = NULL;
        if (!api_scope_pool(req->scope, pool, API_POOL_DISKS, &why))
            return api_fail(error, API_ERROR_FORBIDDEN,
                            "the clone of %s goes into storage pool '%s', where you may not make "
                            "new disks",
                            v->label, pool);
    }
    return TRUE;
}

/* Under the unit's locks, before anything is made: the source is as it
 * was checked (a task may start a while after the request). */
static gboolean still_ready(virConnectPtr conn, gpointer data, GError **error)
{
    CloneJob *job = data;
    g_autoptr(virDomain) src = virt_domain_lookup(conn, job->src_uuid, error);
    g_autofree char *xml = src && source_ready(src, job->linked, error) ? source_xml(src, error)
                                                                        : NULL;
    if (!xml)
        return FALSE;
    if (strcmp(xml, job->xml) != 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' changed since the clone was asked for; ask again",
                        virDomainGetName(src));
    return TRUE;
}

/* A UEFI source's NVRAM (its boot entries) becomes the clone's, before
 * the clone may start; undefining the clone on a later failure removes
 * the copy with it. */
static gboolean copy_nvram(virConnectPtr conn, CloneJob *job, GError **error)
{
    g_autoptr(virDomain) clone = virt_domain_lookup(conn, job->uuid, error);
    g_autofree char *xml = clone ? source_xml(clone, error) : NULL;
    gboolean copied = FALSE;
    return xml && virt_nvram_copy(conn, job->xml, xml, &copied, error);
}

/* Once the clone is defined: the source must still be shut off (VM
 * actions take no lock, so someone may have started it during a long
 * copy, which would make the copy inconsistent); its NVRAM is copied; a
 * linked clone's source then moves onto its overlays. */
static gboolean after_define(virConnectPtr conn, Task *task, gpointer data, GError **error)
{
    CloneJob *job = data;
    g_autoptr(virDomain) src = virt_domain_lookup(conn, job->src_uuid, error);
    if (!src || !source_ready(src, job->linked, error) || !copy_nvram(conn, job, error)) {
        g_prefix_error(error, "the clone was removed again: ");
        return FALSE;
    }
    if (!job->linked)
        return TRUE;
    job->move = virt_vm_clone_move_source(conn, src, &job->plan, error);
    return job->move != NULL;
}

static void undo_move(gpointer data)
{
    CloneJob *job = data;
    virt_source_move_rollback(g_steal_pointer(&job->move));
}

static gboolean clone_unit(CloneJob *job, VirtHost *host, virConnectPtr conn, Task *task,
                           char uuid[VIR_UUID_STRING_BUFLEN], GError **error)
{
    ApiVmUnit unit = {
        .owner_id = job->owner_id,
        .host = host,
        .start = job->start,
        .tags = (const char *const *)job->tags,
        .locks = job->locks,
        .quota = job->quota,
        .check = still_ready,
        .after = after_define,
        .undo = undo_move,
        .data = job,
    };
    if (!api_vm_unit_run(job->ctx, conn, &job->plan, &unit, task, uuid, error))
        return FALSE;
    virt_source_move_commit(g_steal_pointer(&job->move));
    return TRUE;
}

static gboolean run_clone(Task *task, gpointer data, char **result, GError **error)
{
    CloneJob *job = data;
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autoptr(virConnect) conn = api_task_conn(job->ctx, task, error);
    if (!conn || !clone_unit(job, task_host(task), conn, task, uuid, error))
        return FALSE;
    g_autofree char *name = g_uri_escape_string(job->name, NULL, FALSE);
    *result = api_task_on_host(task, g_strconcat("/api/vms/", name, NULL));
    return TRUE;
}

/* Reads and checks the request against the source, under its locks. */
static CloneJob *prepare(ApiContext *ctx, const ApiRequest *req, ApiVmChange *c, GError **error)
{
    static const char *const allowed[] = {"name", "linked", "start", NULL};
    static const char *const required[] = {"name", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    const char *name = NULL;
    int linked = 0, start = 0;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) ||
        !api_json_opt_string(body, "name", 64, &name, error) ||
        !api_json_opt_bool(body, "linked", &linked, error) ||
        !api_json_opt_bool(body, "start", &start, error))
        return NULL;
    GError *why = NULL;
    if (!virt_domain_name_valid(name, &why)) {
        api_field_error(error, "name", why);
        return NULL;
    }
    g_autoptr(CloneJob) job = g_new0(CloneJob, 1);
    job->ctx = ctx;
    job->strings = g_ptr_array_new_with_free_func(g_free);
    job->volumes = g_array_new(TRUE, TRUE, sizeof(VirtVmVolume));
    job->nics = g_array_new(TRUE, TRUE, sizeof(VirtNicSpec));
    job->name = g_strdup(name);
    job->uuid = g_uuid_string_random();
    job->linked = linked == 1;
    job->start = start;
    job->owner_id = req->auth ? req->auth->user_id : 0;
    if (!api_vm_change_begin(ctx, req, NULL, c, error) ||
        !source_ready(c->dom, job->linked, error) || !(job->xml = source_xml(c->dom, error)) ||
        !plan_clone(job, c->conn, error) || !pools_allowed(req, job, error))
        return NULL;
    g_strlcpy(job->src_uuid, c->uuid, sizeof job->src_uuid);
    job->lock_key = g_strconcat("vm:", c->uuid, NULL);
    job->locks[0] = job->lock_key;
    json_t *tags = json_object_get(c->current, "tags");
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    size_t i;
    json_t *t;
    json_array_foreach (tags, i, t)
        g_strv_builder_add(b, json_string_value(t));
    job->tags = g_strv_builder_end(b);
    /* The volumes' locks join the VM's ("vm:" sorts before "volume:"). */
    g_auto(GStrv) keys = api_vm_plan_lock_keys(&job->plan);
    api_lock_set_merge(c->locks, api_locks_take(ctx->locks, (const char *const *)keys));
    if (!api_vm_plan_allowed(req, c->conn, &job->plan, job->linked ? c->uuid : NULL, error) ||
        !virt_vm_plan_check(c->conn, &job->plan, error) ||
        !api_vm_plan_quota(ctx, req, c->conn, &job->plan, &job->quota, error))
        return NULL;
    return g_steal_pointer(&job);
}

gboolean api_vm_clone(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    CloneJob *job = NULL;
    {
        g_auto(ApiVmChange) c = {0};
        job = prepare(ctx, req, &c, error);
    }
    /* The source's lock is let go here: the unit takes it again. */
    if (!job)
        return FALSE;
    if (!job->linked && job->plan.n_volumes > 0 && ctx->tasks) {
        /* On the source's host: the clone is made next to it. */
        g_autoptr(VirtHost) on = api_req_host(ctx, req);
        gint64 id = tasks_submit(ctx->tasks, "vm-clone", job->name, job->owner_id, on, run_clone,
                                 job, clone_job_free, error);
        return id && api_answer_task(ctx, resp, id, error);
    }
    g_autoptr(CloneJob) owned = job;
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    json_t *obj = conn && clone_unit(owned, req->virt_host, conn, NULL, uuid, error)
                      ? api_vm_detail(ctx, conn, uuid, NULL, error)
                      : NULL;
    if (!obj)
        return FALSE;
    g_autofree char *name = g_uri_escape_string(owned->name, NULL, FALSE);
    g_autofree char *location = g_strconcat("/api/vms/", name, NULL);
    api_response_header(resp, "Location", location);
    api_answer_object(resp, 201, obj);
    return TRUE;
}
