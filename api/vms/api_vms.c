/* /api/vms/{vm}: one VM's detail, edits, deletion and lifecycle actions
 * (the list is api_vm_list.c). libvirt is the truth about VMs; the
 * inventory adds metadata. */
#include "api/core/api_host_resolve.h"
#include "api/auth/api_quota.h"
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/os/api_os_catalogue.h"
#include "api/stats/api_stats_json.h"
#include "api/vms/api_vm_edit.h"
#include "api/vms/api_vm_json.h"
#include "api/vms/api_vms.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_model.h"
#include "virt/virt_storage.h"

#include <string.h>

#define DESCRIPTION_MAX 4096
#define TAGS_MAX 32
#define TAG_MAX 64

static gboolean invalid(GError **error, const char *fmt, const char *value)
{
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, fmt, value);
    return FALSE;
}

/* ---- one VM ---- */

/* The guest OS the definition names (libosinfo's full id, as virt-install
 * and Vireo write it) by its short id and name, when the catalogue knows
 * it; an OS it does not know keeps only "osinfo_id". */
static void name_os(ApiContext *ctx, json_t *os)
{
    const char *osinfo_id = json_string_value(json_object_get(os, "osinfo_id"));
    if (!osinfo_id)
        return;
    g_autoptr(GError) why = NULL;
    json_t *known = api_os_find_osinfo(ctx, osinfo_id, &why);
    if (!known) {
        g_debug("the OS %s of a VM is not named: %s", osinfo_id, why->message);
        return;
    }
    json_object_set(os, "id", json_object_get(known, "id"));
    json_object_set(os, "name", json_object_get(known, "name"));
}

json_t *api_vm_detail(ApiContext *ctx, virConnectPtr conn, const char *id, virDomainPtr *dom_out,
                      GError **error)
{
    g_autoptr(virDomain) dom = virt_domain_lookup(conn, id, error);
    g_autoptr(VirtDomainDetail) d = dom ? virt_domain_detail(dom, error) : NULL;
    if (!d)
        return NULL;
    g_autoptr(DbVmMeta) meta = db_vm_meta_get(ctx->db, d->summary.uuid, error);
    if (!meta) {
        if (*error)
            return NULL;
        const char *uuids[] = {d->summary.uuid, NULL};
        g_autoptr(GError) unwritten = NULL;
        if (!db_vm_meta_touch_all(ctx->db, uuids, &unwritten))
            g_debug("VM metadata row not made yet: %s", unwritten->message);
        else if (!(meta = db_vm_meta_get(ctx->db, d->summary.uuid, error)))
            return NULL;
    }
    json_t *obj = api_vm_detail_json(d, meta);
    name_os(ctx, json_object_get(obj, "os"));
    api_vm_add_next_boot(dom, obj);

    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest_with_vm(ctx->sampler, d->summary.uuid);
    api_stats_vm_live(ctx->sampler, snap, d->summary.uuid, d->summary.state, 0, obj, NULL);
    if (dom_out)
        *dom_out = g_steal_pointer(&dom);
    return obj;
}

void api_vm_changed(ApiContext *ctx, VirtHost *h, virDomainPtr dom, int event)
{
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (!ctx->vm_changed || virDomainGetUUIDString(dom, uuid) < 0)
        return;
    ctx->vm_changed(h, uuid, virDomainGetName(dom), event, ctx->vm_changed_data);
}

/* What the sampler observes of a running VM (its start time, addresses,
 * uptime and figures) is not state an edit is based on, and it moves on
 * its own: the start time is found a sample after the start, addresses
 * come when the guest asks for one. In the ETag's state part it would
 * make the page's next edit a 412 with nothing changed. */
static const char *const live_members[] = {"started_at", "uptime_source", "addresses",
                                           "uptime",     "stats",         NULL};

static char *api_vm_etag(json_t *detail)
{
    return api_etag_observed(detail, live_members);
}

void api_vm_answer(ApiResponse *resp, unsigned status, json_t *detail, json_t *extra)
{
    g_autofree char *etag = api_vm_etag(detail);
    api_response_header(resp, "ETag", etag);
    if (extra)
        json_object_update_new(detail, extra);
    api_response_json(resp, status, detail);
}

void api_vm_change_clear(ApiVmChange *c)
{
    g_clear_pointer(&c->current, json_decref);
    g_clear_pointer(&c->dom, virDomainFree);
    g_clear_pointer(&c->conn, virConnectClose);
    g_clear_pointer(&c->locks, api_lock_set_release);
}

char *api_volume_lock_key(const char *ref)
{
    return g_strconcat("volume:", ref, NULL);
}

gboolean api_vm_change_begin(ApiContext *ctx, const ApiRequest *req, const char *const *keys,
                             ApiVmChange *c, GError **error)
{
    c->conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) found = c->conn ? virt_domain_lookup(c->conn, req->params[0], error)
                                         : NULL;
    if (!found || virDomainGetUUIDString(found, c->uuid) < 0)
        return found ? api_fail(error, API_ERROR_INTERNAL, "reading the VM's UUID failed") : FALSE;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(all, g_strconcat("vm:", c->uuid, NULL));
    for (const char *const *k = keys; k && *k; k++)
        g_ptr_array_add(all, g_strdup(*k));
    g_ptr_array_add(all, NULL);
    c->locks = api_locks_take(ctx->locks, (const char *const *)all->pdata);
    /* By UUID, under the lock: a rename changes the name in the URL. */
    c->current = api_vm_detail(ctx, c->conn, c->uuid, &c->dom, error);
    if (!c->current)
        return FALSE;
    g_autofree char *etag = api_vm_etag(c->current);
    return api_check_if_match_etag(req, etag, "the VM", error);
}

gboolean api_vm_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    json_t *obj = conn ? api_vm_detail(ctx, conn, req->params[0], NULL, error) : NULL;
    if (!obj)
        return FALSE;
    /* Uptime and the latest figures move every second: outside the ETag,
     * or every If-Match would be stale at once (count uptime from
     * started_at after a 304). */
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest_of(ctx->sampler, req->virt_host);
    json_t *moving = json_object();
    api_stats_vm_live(ctx->sampler, snap, json_string_value(json_object_get(obj, "uuid")),
                      virt_domain_state_from_name(json_string_value(json_object_get(obj, "state"))),
                      g_get_real_time() / G_USEC_PER_SEC, NULL, moving);
    api_vm_answer(resp, 200, obj, moving);
    return TRUE;
}

static gboolean valid_tag(const char *t)
{
    gsize n = strlen(t);
    if (n == 0 || n > TAG_MAX)
        return FALSE;
    for (const char *c = t; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("_.:-", *c))
            return FALSE;
    return TRUE;
}

typedef struct {
    const char *description;
    GStrv tags;
    int autostart; /* -1 = leave */
    VmEdit edit;   /* name, vcpus, memory, boot: api_vm_edit.c */
} VmPatch;

static void vm_patch_clear(VmPatch *p)
{
    g_strfreev(p->tags);
    api_vm_edit_clear(&p->edit);
}

static gboolean parse_patch(const ApiRequest *req, json_t **body_out, VmPatch *p, GError **error)
{
    static const char *const allowed[] = {"description", "tags",   "autostart", "name",
                                          "vcpus",       "memory", "boot",      NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    json_t *tags = NULL;
    p->autostart = -1;
    if (!body || !api_json_only_members(body, allowed, error) ||
        !api_json_opt_string(body, "description", DESCRIPTION_MAX, &p->description, error) ||
        !api_json_opt_string_array(body, "tags", TAGS_MAX, &tags, error) ||
        !api_json_opt_bool(body, "autostart", &p->autostart, error) ||
        !api_vm_edit_parse(body, &p->edit, error))
        return FALSE;
    if (tags) {
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        size_t i;
        json_t *t;
        json_array_foreach (tags, i, t) {
            const char *s = json_string_value(t);
            if (!valid_tag(s))
                return invalid(error, "invalid tag '%s': use 1-64 letters, digits, _ . : -", s);
            if (!g_hash_table_add(seen, (gpointer)s))
                return invalid(error, "duplicate tag '%s'", s);
            g_strv_builder_add(b, s);
        }
        p->tags = g_strv_builder_end(b);
    }
    *body_out = g_steal_pointer(&body);
    return TRUE;
}

/* `model` is the VM list's model of the VM's host. */
static gboolean apply_patch(ApiContext *ctx, VirtModel *model, virDomainPtr dom, json_t *current,
                            const VmPatch *p, json_t *applied, GError **error)
{
    const char *uuid = json_string_value(json_object_get(current, "uuid"));
    const char *was_description = json_string_value(json_object_get(current, "description"));
    gboolean was_autostart = json_is_true(json_object_get(current, "autostart"));
    gboolean change_autostart = p->autostart >= 0 && p->autostart != was_autostart;
    gboolean change_description =
        p->description && g_strcmp0(p->description, was_description ? was_description : "") != 0;
    VmEditUndo undo = {0};
    gboolean ok = api_vm_edit_apply(dom, &p->edit, applied, &undo, error);
    if (ok && change_autostart && !virt_domain_set_autostart(dom, p->autostart, error)) {
        api_vm_edit_undo(dom, &undo);
        ok = FALSE;
    }
    /* The description is libvirt's own (<description>, what virsh desc
     * and virt-manager show); tags are the inventory's. */
    if (ok && change_description && !virt_domain_set_description(dom, p->description, error)) {
        if (change_autostart)
            virt_domain_set_autostart(dom, was_autostart, NULL);
        api_vm_edit_undo(dom, &undo);
        ok = FALSE;
    }
    if (ok && p->tags &&
        !db_vm_meta_update(ctx->db, uuid, NULL, (const char *const *)p->tags, error)) {
        /* Leave nothing half-done: undo the libvirt side. */
        if (change_description)
            virt_domain_set_description(dom, was_description ? was_description : "", NULL);
        if (change_autostart)
            virt_domain_set_autostart(dom, was_autostart, NULL);
        api_vm_edit_undo(dom, &undo);
        ok = FALSE;
    }
    if (ok)
        /* The list reads this VM's description, and what waits for its next
         * boot, again before it answers. */
        virt_model_invalidate(model, uuid);
    api_vm_edit_undo_clear(&undo);
    return ok;
}

gboolean api_vm_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(json_t) body = NULL;
    VmPatch patch = {0};
    if (!parse_patch(req, &body, &patch, error)) {
        vm_patch_clear(&patch);
        return FALSE;
    }
    g_auto(ApiVmChange) c = {0};
    g_autoptr(json_t) applied = json_object();
    g_autoptr(ApiQuotaHold) quota = NULL;
    json_t *updated = NULL;
    gboolean ok = api_vm_change_begin(ctx, req, NULL, &c, error) &&
                  api_vm_edit_quota(ctx, req, c.dom, c.uuid, &patch.edit, &quota, error);
    /* Once applied, the new vCPUs and memory count in the owner's usage. */
    api_quota_hold_settle(quota);
    if (ok && apply_patch(ctx, api_req_model(ctx, req), c.dom, c.current, &patch, applied, error))
        updated = api_vm_detail(ctx, c.conn, c.uuid, NULL, error);
    vm_patch_clear(&patch);
    if (!updated)
        return FALSE;
    /* libvirt tells of no change to a definition (vCPUs, memory, boot). */
    if (json_object_size(applied))
        api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_EDITED);
    api_vm_answer(resp, 200, updated,
                  json_object_size(applied) ? json_pack("{s:O}", "applied", applied) : NULL);
    return TRUE;
}

/* The disk volumes a delete with ?volumes=true takes along: each one the
 * caller may delete (docs/access.md) and no other VM uses; the VM's lock
 * is held and the volumes' locks are added. */
static GPtrArray *volumes_to_delete(ApiContext *ctx, const ApiRequest *req, ApiVmChange *c,
                                    GError **error)
{
    g_autoptr(GPtrArray) vols = virt_domain_disk_volumes(c->conn, c->dom, error);
    if (!vols)
        return NULL;
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < vols->len; i++) {
        virStorageVolPtr vol = g_ptr_array_index(vols, i);
        g_autoptr(virStoragePool) pool = virStoragePoolLookupByVolume(vol);
        g_autofree char *ref = g_strdup_printf("%s/%s", pool ? virStoragePoolGetName(pool) : "",
                                               virStorageVolGetName(vol));
        g_ptr_array_add(keys, api_volume_lock_key(ref));
    }
    g_ptr_array_add(keys, NULL);
    /* "vm:" sorts before "volume:": added in the one lock order. */
    ApiLockSet *more = api_locks_take(ctx->locks, (const char *const *)keys->pdata);
    api_lock_set_merge(c->locks, more);
    for (guint i = 0; i < vols->len; i++) {
        virStorageVolPtr vol = g_ptr_array_index(vols, i);
        g_autoptr(virStoragePool) pool = virStoragePoolLookupByVolume(vol);
        g_autofree char *path = virStorageVolGetPath(vol);
        const char *name = virStorageVolGetName(vol);
        g_autofree char *what = g_strdup_printf("%s/%s", pool ? virStoragePoolGetName(pool) : "",
                                                name);
        if (!pool || !path ||
            !api_scope_volume(req->scope, c->conn, virStoragePoolGetName(pool), name, path,
                              API_VOLUME_DELETE, error) ||
            !api_scope_volume_free(req->scope, c->conn, path, what, c->uuid, API_SHARE_NONE,
                                   error)) {
            if (error && !*error)
                virt_error_from_libvirt(error, "reading volume");
            g_prefix_error(error, "not deleted (nothing was): ");
            return NULL;
        }
    }
    return g_steal_pointer(&vols);
}

gboolean api_vm_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"force", "volumes", NULL};
    gboolean force = FALSE, volumes = FALSE;
    if (!api_query_only(req, allowed, error) ||
        !api_query_bool(req, "force", FALSE, &force, error) ||
        !api_query_bool(req, "volumes", FALSE, &volumes, error))
        return FALSE;
    g_auto(ApiVmChange) c = {0};
    g_autoptr(GPtrArray) vols = NULL;
    if (!api_vm_change_begin(ctx, req, NULL, &c, error) ||
        (volumes && !(vols = volumes_to_delete(ctx, req, &c, error))))
        return FALSE;
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; vols && i < vols->len; i++)
        g_ptr_array_add(paths, virStorageVolGetPath(g_ptr_array_index(vols, i)));
    if (!virt_domain_delete(c.dom, force, vols, error))
        return FALSE;
    gint64 host_id = api_host_id(ctx, req->virt_host);
    for (guint i = 0; i < paths->len; i++)
        if (g_ptr_array_index(paths, i))
            db_volume_owner_forget(ctx->db, host_id, g_ptr_array_index(paths, i), NULL);
    /* The VM is gone: a stale row is pruned later, so the delete succeeded. */
    g_autoptr(GError) stale = NULL;
    if (!db_vm_meta_delete(ctx->db, c.uuid, &stale))
        g_warning("req=%" G_GUINT64_FORMAT " VM deleted but its metadata stays until the "
                  "next prune: %s",
                  req->id, stale->message);
    api_auth_changed(ctx, 0);
    resp->status = 204;
    return TRUE;
}

gboolean api_vm_action(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {NULL};
    VirtAction action;
    if (!virt_action_from_name(req->route_arg, &action))
        return api_fail(error, API_ERROR_INTERNAL, "unknown action %s", req->route_arg);
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_json_only_members(body, allowed, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    json_t *obj = NULL;
    if (dom && virt_domain_act(dom, action, error))
        obj = api_vm_detail(ctx, conn, req->params[0], NULL, error);
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}
