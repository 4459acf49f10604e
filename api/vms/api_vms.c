/* /api/vms: the VM list, one VM's detail, edits, deletion and lifecycle
 * actions. libvirt is the truth about VMs; the inventory adds metadata. */
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
#include "virt/virt_storage.h"

#include <string.h>

#define LIST_LIMIT_MAX 1000
#define DESCRIPTION_MAX 4096
#define TAGS_MAX 32
#define TAG_MAX 64

/* ---- list ---- */

typedef struct {
    GStrv fields;        /* NULL = all members */
    GHashTable *states;  /* state ints wanted, NULL = all */
    const char *after;
    guint64 limit;       /* 0 = no limit */
} ListQuery;

static void list_query_clear(ListQuery *q)
{
    g_strfreev(q->fields);
    if (q->states)
        g_hash_table_unref(q->states);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ListQuery, list_query_clear)

static gboolean invalid(GError **error, const char *fmt, const char *value)
{
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, fmt, value);
    return FALSE;
}

static gboolean parse_list_query(const ApiRequest *req, ListQuery *q, GError **error)
{
    static const char *const allowed[] = {"fields", "limit", "after", "state", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *fields = api_query_get(req, "fields");
    if (fields) {
        q->fields = g_strsplit(fields, ",", -1);
        for (char **f = q->fields; *f; f++)
            if (!g_strv_contains(api_vm_summary_fields, g_strstrip(*f)))
                return invalid(error, "unknown field '%s' in fields", *f);
    }
    const char *states = api_query_get(req, "state");
    if (states) {
        q->states = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_auto(GStrv) names = g_strsplit(states, ",", -1);
        for (char **s = names; *s; s++) {
            int st = virt_domain_state_from_name(g_strstrip(*s));
            if (st < 0)
                return invalid(error, "unknown state '%s' (running, paused, shutoff, "
                                      "shutdown, crashed, pmsuspended, blocked, nostate)", *s);
            g_hash_table_add(q->states, GINT_TO_POINTER(st));
        }
    }
    const char *limit = api_query_get(req, "limit");
    if (limit && !g_ascii_string_to_unsigned(limit, 10, 1, LIST_LIMIT_MAX, &q->limit, NULL))
        return invalid(error, "limit must be a whole number from 1 to 1000, not '%s'", limit);
    q->after = api_query_get(req, "after");
    return TRUE;
}

static json_t *project(json_t *obj, GStrv fields)
{
    if (!fields)
        return obj;
    json_t *out = json_object();
    for (char **f = fields; *f; f++) {
        json_t *v = json_object_get(obj, *f);
        if (v)
            json_object_set(out, *f, v);
    }
    json_decref(obj);
    return out;
}

/* Metadata for every listed VM; rows are created on first sight so that
 * created_at records when Vireo first saw a VM made elsewhere. */
static GHashTable *load_meta(ApiContext *ctx, GPtrArray *doms, GError **error)
{
    g_autoptr(GHashTable) meta = db_vm_meta_all(ctx->db, error);
    if (!meta)
        return NULL;
    g_autoptr(GPtrArray) missing = g_ptr_array_new();
    for (guint i = 0; i < doms->len; i++) {
        const VirtDomainSummary *s = g_ptr_array_index(doms, i);
        if (!g_hash_table_contains(meta, s->uuid))
            g_ptr_array_add(missing, (gpointer)s->uuid);
    }
    if (missing->len == 0)
        return g_steal_pointer(&meta);
    g_ptr_array_add(missing, NULL);
    /* A read must not fail for a write it could not make (a full disk):
     * the rows are made at the next list. */
    g_autoptr(GError) unwritten = NULL;
    if (!db_vm_meta_touch_all(ctx->db, (const char *const *)missing->pdata, &unwritten)) {
        g_debug("VM metadata rows not made yet: %s", unwritten->message);
        return g_steal_pointer(&meta);
    }
    return db_vm_meta_all(ctx->db, error);
}

gboolean api_vms_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_auto(ListQuery) q = {0};
    if (!parse_list_query(req, &q, error))
        return FALSE;
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    g_autoptr(GPtrArray) doms = conn ? virt_domain_list(conn, error) : NULL;
    g_autoptr(GHashTable) meta = doms ? load_meta(ctx, doms, error) : NULL;
    if (!meta)
        return FALSE;
    json_t *items = json_array();
    const char *last = NULL;
    gboolean more = FALSE;
    /* Uptime, addresses and figures come from the last sample: no call
     * to libvirt, let alone to a guest agent, per VM. */
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest(ctx->sampler);
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    for (guint i = 0; i < doms->len; i++) {
        const VirtDomainSummary *s = g_ptr_array_index(doms, i);
        if (!api_scope_sees_vm(req->scope, s->uuid, error)) {
            if (*error)
                return FALSE;
            continue;
        }
        if (q.after && strcmp(s->name, q.after) <= 0)
            continue;
        if (q.states && !g_hash_table_contains(q.states, GINT_TO_POINTER(s->state)))
            continue;
        if (q.limit && json_array_size(items) == q.limit) {
            more = TRUE;
            break;
        }
        json_t *vm = api_vm_summary_json(s, g_hash_table_lookup(meta, s->uuid));
        api_stats_vm_live(ctx->sampler, snap, s->uuid, s->state, now, vm, vm);
        json_array_append_new(items, project(vm, q.fields));
        last = s->name;
    }
    api_response_json(resp, 200, json_pack("{s:o,s:o}", "vms", items,
                                           "next", more && last ? json_string(last) : json_null()));
    return TRUE;
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

json_t *api_vm_detail(ApiContext *ctx, virConnectPtr conn, const char *id,
                      virDomainPtr *dom_out, GError **error)
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
    /* Start time and addresses only change when the VM starts, stops or
     * gets an address: part of the representation (and its ETag). */
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest(ctx->sampler);
    api_stats_vm_live(ctx->sampler, snap, d->summary.uuid, d->summary.state, 0, obj, NULL);
    if (dom_out)
        *dom_out = g_steal_pointer(&dom);
    return obj;
}

void api_vm_changed(ApiContext *ctx, virDomainPtr dom, int event)
{
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (!ctx->vm_changed || virDomainGetUUIDString(dom, uuid) < 0)
        return;
    ctx->vm_changed(uuid, virDomainGetName(dom), event, ctx->vm_changed_data);
}

void api_vm_answer(ApiResponse *resp, unsigned status, json_t *detail, json_t *extra)
{
    g_autofree char *etag = api_etag(detail);
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
    c->conn = virt_conn_get(ctx->virt, error);
    g_autoptr(virDomain) found = c->conn ? virt_domain_lookup(c->conn, req->params[0], error) : NULL;
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
    return c->current && api_check_if_match(req, c->current, "the VM", error);
}

gboolean api_vm_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    json_t *obj = conn ? api_vm_detail(ctx, conn, req->params[0], NULL, error) : NULL;
    if (!obj)
        return FALSE;
    /* Uptime and the latest figures move every second: outside the ETag,
     * or every If-Match would be stale at once (count uptime from
     * started_at after a 304). */
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest(ctx->sampler);
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
    int autostart;   /* -1 = leave */
    VmEdit edit;     /* name, vcpus, memory, boot: api_vm_edit.c */
} VmPatch;

static void vm_patch_clear(VmPatch *p)
{
    g_strfreev(p->tags);
    api_vm_edit_clear(&p->edit);
}

static gboolean parse_patch(const ApiRequest *req, json_t **body_out, VmPatch *p, GError **error)
{
    static const char *const allowed[] = {"description", "tags", "autostart", "name", "vcpus",
                                          "memory", "boot", NULL};
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
        json_array_foreach(tags, i, t) {
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

static gboolean apply_patch(ApiContext *ctx, virDomainPtr dom, json_t *current,
                            const VmPatch *p, json_t *applied, GError **error)
{
    const char *uuid = json_string_value(json_object_get(current, "uuid"));
    gboolean was_autostart = json_is_true(json_object_get(current, "autostart"));
    gboolean change_autostart = p->autostart >= 0 && p->autostart != was_autostart;
    VmEditUndo undo = {0};
    gboolean ok = api_vm_edit_apply(dom, &p->edit, applied, &undo, error);
    if (ok && change_autostart && !virt_domain_set_autostart(dom, p->autostart, error)) {
        api_vm_edit_undo(dom, &undo);
        ok = FALSE;
    }
    if (ok && (p->description || p->tags) &&
        !db_vm_meta_update(ctx->db, uuid, p->description, (const char *const *)p->tags, error)) {
        /* Leave nothing half-done: undo the libvirt side. */
        if (change_autostart)
            virt_domain_set_autostart(dom, was_autostart, NULL);
        api_vm_edit_undo(dom, &undo);
        ok = FALSE;
    }
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
    json_t *updated = NULL;
    if (api_vm_change_begin(ctx, req, NULL, &c, error) &&
        apply_patch(ctx, c.dom, c.current, &patch, applied, error))
        updated = api_vm_detail(ctx, c.conn, c.uuid, NULL, error);
    vm_patch_clear(&patch);
    if (!updated)
        return FALSE;
    /* libvirt tells of no change to a definition (vCPUs, memory, boot). */
    if (json_object_size(applied))
        api_vm_changed(ctx, c.dom, VIRT_DOMAIN_EVENT_EDITED);
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
    for (guint i = 0; i < paths->len; i++)
        if (g_ptr_array_index(paths, i))
            db_volume_owner_forget(ctx->db, g_ptr_array_index(paths, i), NULL);
    /* The VM is gone: a stale row is pruned later, so the delete succeeded. */
    g_autoptr(GError) stale = NULL;
    if (!db_vm_meta_delete(ctx->db, c.uuid, &stale))
        g_warning("req=%" G_GUINT64_FORMAT " VM deleted but its metadata stays until the "
                  "next prune: %s", req->id, stale->message);
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
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    json_t *obj = NULL;
    if (dom && virt_domain_act(dom, action, error))
        obj = api_vm_detail(ctx, conn, req->params[0], NULL, error);
    if (!obj)
        return FALSE;
    api_answer_object(resp, 200, obj);
    return TRUE;
}
