/* A create plan against the caller's scope (see api_vm_plan.h). */
#include "api/vms/api_vm_plan.h"
#include "api/auth/api_quota.h"
#include "api/auth/api_quota_usage.h"
#include "api/core/api_error.h"
#include "api/core/api_scope.h"
#include "api/vms/api_vm_devices.h"
#include "api/vms/api_vms.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <glib/gstdio.h>
#include <string.h>

#define SERIAL_LOG_DIR "/var/log/libvirt/qemu/vireo-serial"

static char *field_of(const VirtVmVolume *v, guint i, const char *member)
{
    if (v->label)
        return g_strdup(v->label);
    if (strcmp(v->device, "cdrom") == 0)
        return g_strdup("cdrom");
    return g_strdup_printf("disks[%u].%s", i, member);
}

/* A pool named in the body, for new volumes: one the caller holds none
 * of is a 400 like one that does not exist. */
static gboolean pool_for_disks(const ApiRequest *req, const char *pool, const char *field,
                               GError **error)
{
    GError *cause = NULL;
    if (api_scope_pool(req->scope, pool, API_POOL_DISKS, &cause))
        return TRUE;
    if (g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_NOT_FOUND))
        return api_field_error(error, field, cause);
    g_propagate_prefixed_error(error, cause, "%s: ", field);
    return FALSE;
}

static gboolean volume_allowed(const ApiRequest *req, virConnectPtr conn, const VirtVmVolume *v,
                               guint i, const char *moving, GError **error)
{
    gboolean cdrom = strcmp(v->device, "cdrom") == 0;
    if (v->kind == VIRT_VM_VOL_NEW || v->kind == VIRT_VM_VOL_DATA) {
        g_autofree char *field = field_of(v, i, "pool");
        return pool_for_disks(req, v->pool, field, error);
    }
    const char *member = v->kind == VIRT_VM_VOL_EXISTING ? "volume"
                         : v->kind == VIRT_VM_VOL_CLONE  ? "clone"
                                                         : "backing";
    g_autofree char *field = field_of(v, i, member);
    g_autofree char *ref = v->kind == VIRT_VM_VOL_EXISTING
                               ? g_strdup_printf("%s/%s", v->pool, v->name)
                               : g_strdup(v->from);
    /* A writable disk needs the volume to itself; a medium or a backing
     * file needs nobody writing it; a copy only reads it once. */
    ApiVolumeUse use = v->kind == VIRT_VM_VOL_EXISTING && !cdrom ? API_VOLUME_DISK
                                                                 : API_VOLUME_MEDIA;
    g_autofree char *path = NULL;
    g_autoptr(virStorageVol)
        vol = api_vm_volume_from_field(req, conn, field, ref, use, &path, error);
    if (!vol)
        return FALSE;
    if (v->kind != VIRT_VM_VOL_CLONE &&
        !api_scope_volume_free(req->scope, conn, path, ref, moving,
                               use == API_VOLUME_DISK ? API_SHARE_NONE : API_SHARE_READERS, error))
        return FALSE;
    if (v->kind == VIRT_VM_VOL_EXISTING)
        return TRUE;
    /* A copy or an overlay is made in `pool`, else beside its source. */
    g_autofree char *pool_field = field_of(v, i, "pool");
    g_autofree char *source_pool = g_strndup(ref, strcspn(ref, "/"));
    return pool_for_disks(req, v->pool ? v->pool : source_pool, pool_field, error);
}

static gboolean nic_allowed(const ApiRequest *req, const VirtNicSpec *nic, guint i, GError **error)
{
    GError *cause = NULL;
    gboolean bridge = g_strcmp0(nic->type, "bridge") == 0;
    if (bridge ? api_scope_bridge(req->scope, nic->source, &cause)
               : api_scope_network(req->scope, nic->source, &cause))
        return TRUE;
    g_autofree char *field = g_strdup_printf("nics[%u].%s", i, bridge ? "bridge" : "network");
    return api_field_error(error, field, cause);
}

gboolean api_vm_plan_allowed(const ApiRequest *req, virConnectPtr conn, const VirtVmPlan *plan,
                             const char *moving, GError **error)
{
    for (guint i = 0; i < plan->n_volumes; i++)
        if (!volume_allowed(req, conn, &plan->volumes[i], i, moving, error))
            return FALSE;
    for (guint i = 0; i < plan->domain.n_nics; i++)
        if (!nic_allowed(req, &plan->domain.nics[i], i, error))
            return FALSE;
    return TRUE;
}

gboolean api_vm_plan_quota(ApiContext *ctx, const ApiRequest *req, virConnectPtr conn,
                           const VirtVmPlan *plan, ApiQuotaHold **hold, GError **error)
{
    VirtFootprint fp;
    *hold = NULL;
    if (!req->auth || !virt_vm_plan_footprint(conn, plan, &fp, error))
        return !req->auth;
    return api_quota_check_vm(ctx, api_quota_caller(req), req->auth->user_id, &fp, NULL, hold,
                              error);
}

GStrv api_vm_plan_lock_keys(const VirtVmPlan *plan)
{
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (guint i = 0; i < plan->n_volumes; i++) {
        const VirtVmVolume *v = &plan->volumes[i];
        g_autofree char *ref = v->kind == VIRT_VM_VOL_EXISTING
                                   ? g_strdup_printf("%s/%s", v->pool, v->name)
                                   : g_strdup(v->from);
        g_autofree char *key = ref ? api_volume_lock_key(ref) : NULL;
        if (key)
            g_strv_builder_add(b, key);
    }
    return g_strv_builder_end(b);
}

char *api_vm_serial_log(virConnectPtr conn, const char *uuid)
{
    g_autofree char *uri = virConnectGetURI(conn);
    if (g_strcmp0(uri, "qemu:///system") != 0 || g_mkdir_with_parents(SERIAL_LOG_DIR, 0750) < 0)
        return NULL;
    return g_strdup_printf(SERIAL_LOG_DIR "/%s.log", uuid);
}
