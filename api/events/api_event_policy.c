/* Who sees which event, and its frame (see api_event_policy.h). */
#include "api/events/api_event_policy.h"
#include "api/core/api_gate.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/stats/api_stats_json.h"
#include "api/tasks/api_tasks.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"

#include <libvirt/libvirt.h>
#include <string.h>

struct ApiEventViewer {
    ApiContext *ctx;
    ApiAuth *auth;
    ApiScope *scope;     /* what the user may see, read once per refresh */
};

static const char *vm_event_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:     return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED:   return "undefined";
    case VIR_DOMAIN_EVENT_STARTED:     return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED:   return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED:     return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED:     return "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN:    return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED:     return "crashed";
    case VIRT_DOMAIN_EVENT_DEVICES:    return "devices";
    case VIRT_DOMAIN_EVENT_EDITED:     return "edited";
    default:                           return "changed";
    }
}

/* libvirt numbers pool and network lifecycle events alike up to STOPPED;
 * pools add CREATED (built) and DELETED (storage removed). */
static const char *object_event_name(ApiEventKind kind, int event)
{
    static const char *const names[] = {"defined", "undefined", "started", "stopped",
                                        "created", "deleted"};
    int known = kind == API_EVENT_POOL ? 6 : 4;
    return event >= 0 && event < known ? names[event] : "changed";
}

static char *frame(const char *type, json_t *data)
{
    g_autofree char *text = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    return g_strdup_printf("event: %s\ndata: %s\n\n", type, text);
}

/* A VM in a sample's frame: the members the VM list gives it, so that a
 * client can lay them over its list. */
static json_t *stats_vm_json(const ApiStatsSnapshot *snap, const ApiVmLive *v)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "uuid", v->uuid, "name", v->name,
                          "state", virt_domain_state_name(v->state),
                          "started_at", v->started_at ? api_time_json(v->started_at) : json_null(),
                          "uptime", v->started_at ? json_integer(MAX(snap->time - v->started_at, 0))
                                                  : json_null(),
                          "stats", api_stats_figures_json(&v->figures, TRUE));
    return o;
}

static void stats_frames_init(ApiEventFrames *f, const ApiStatsSnapshot *snap)
{
    g_autoptr(json_t) host = api_stats_figures_json(&snap->host, FALSE);
    g_autofree char *host_text = json_dumps(host, JSON_COMPACT | JSON_REAL_PRECISION(15));
    f->stats_head = g_strdup_printf("event: stats\ndata: {\"time\":%" G_GINT64_FORMAT
                                    ",\"interval\":%u,\"host\":%s,\"vms\":[",
                                    snap->time, snap->interval, host_text);
    f->stats_uuids = g_ptr_array_new();
    f->stats_vms = g_ptr_array_new_with_free_func(free);
    f->owned = g_ptr_array_new_with_free_func(g_free);
    GString *all = g_string_new(f->stats_head);
    for (guint i = 0; i < snap->active->len; i++) {
        const ApiVmLive *v = g_ptr_array_index(snap->active, i);
        g_autoptr(json_t) vm = stats_vm_json(snap, v);
        char *text = json_dumps(vm, JSON_COMPACT | JSON_REAL_PRECISION(15));
        g_ptr_array_add(f->stats_uuids, (gpointer)v->uuid);
        g_ptr_array_add(f->stats_vms, text);
        g_string_append_printf(all, "%s%s", i ? "," : "", text);
    }
    g_string_append(all, "]}\n\n");
    f->full = g_string_free(all, FALSE);
    f->brief = g_strconcat(f->stats_head, "]}\n\n", NULL);
}

/* The sample as one viewer may see it: the VMs it may not see are left
 * out, not named, not counted. */
static const char *stats_frame_for(ApiEventViewer *v, ApiEventFrames *f)
{
    if (v->auth->role == API_ROLE_ADMIN)
        return f->full;
    GString *out = NULL;
    for (guint i = 0; i < f->stats_uuids->len; i++) {
        if (!api_scope_sees_vm(v->scope, g_ptr_array_index(f->stats_uuids, i), NULL))
            continue;
        if (!out)
            out = g_string_new(f->stats_head);
        else
            g_string_append_c(out, ',');
        g_string_append(out, g_ptr_array_index(f->stats_vms, i));
    }
    if (!out)
        return f->brief;
    g_string_append(out, "]}\n\n");
    char *frame = g_string_free(out, FALSE);
    g_ptr_array_add(f->owned, frame);
    return frame;
}

void api_event_frames_init(ApiEventFrames *f, const ApiEvent *e)
{
    static const char *const types[] = {[API_EVENT_VM] = "vm", [API_EVENT_POOL] = "pool",
                                        [API_EVENT_NETWORK] = "network", [API_EVENT_TASK] = "task",
                                        [API_EVENT_STATS] = "stats"};
    if (e->kind == API_EVENT_STATS) {
        stats_frames_init(f, e->stats);
        return;
    }
    if (e->kind == API_EVENT_TASK) {
        f->full = frame("task", api_task_json(e->task, TRUE));
        f->brief = frame("task", api_task_json(e->task, FALSE));
        return;
    }
    const char *name = e->kind == API_EVENT_VM ? vm_event_name(e->event)
                                               : object_event_name(e->kind, e->event);
    f->full = frame(types[e->kind], json_pack("{s:s,s:s,s:s}", "event", name, "name", e->name,
                                              "uuid", e->uuid));
    f->brief = NULL;
}

void api_event_frames_clear(ApiEventFrames *f)
{
    g_clear_pointer(&f->full, g_free);
    g_clear_pointer(&f->brief, g_free);
    g_clear_pointer(&f->stats_head, g_free);
    g_clear_pointer(&f->stats_uuids, g_ptr_array_unref);
    g_clear_pointer(&f->stats_vms, g_ptr_array_unref);
    g_clear_pointer(&f->owned, g_ptr_array_unref);
}

ApiEventViewer *api_event_viewer_new(ApiContext *ctx, ApiAuth *auth)
{
    ApiEventViewer *v = g_new0(ApiEventViewer, 1);
    v->ctx = ctx;
    v->auth = auth;
    v->scope = api_scope_new(ctx, auth);
    return v;
}

void api_event_viewer_free(ApiEventViewer *v)
{
    if (!v)
        return;
    api_scope_free(v->scope);
    api_auth_free(v->auth);
    g_free(v);
}

static gboolean sees(ApiEventViewer *v, const ApiEvent *e)
{
    switch (e->kind) {
    case API_EVENT_VM:
        return api_scope_sees_vm(v->scope, e->uuid, NULL);
    case API_EVENT_POOL:
        return api_scope_pool(v->scope, e->name, API_POOL_SEE, NULL);
    case API_EVENT_NETWORK:
        return api_scope_network(v->scope, e->name, NULL);
    case API_EVENT_TASK:
        /* A task is its owner's business, and the admins'. */
        return v->auth->role == API_ROLE_ADMIN || v->auth->user_id == e->task->owner_id;
    case API_EVENT_STATS:
        /* The host's figures are everyone's (like GET /api/host); the VMs
         * are sorted out by stats_frame_for. */
        return TRUE;
    }
    return FALSE;
}

const char *api_event_viewer_frame(ApiEventViewer *v, const ApiEvent *e, ApiEventFrames *f)
{
    if (!sees(v, e))
        return NULL;
    if (e->kind == API_EVENT_STATS)
        return stats_frame_for(v, f);
    return f->brief && v->auth->role != API_ROLE_ADMIN ? f->brief : f->full;
}

gboolean api_event_viewer_valid(ApiEventViewer *v)
{
    return api_auth_still_valid(v->ctx, v->auth);
}

gboolean api_event_viewer_refresh(ApiEventViewer *v)
{
    g_autoptr(DbUser) user = db_user_by_id(v->ctx->db, v->auth->user_id, NULL);
    if (!user || !api_event_viewer_valid(v))
        return FALSE;
    v->auth->role = api_role_from_name(user->role);
    api_scope_free(v->scope);
    v->scope = api_scope_new(v->ctx, v->auth);
    return TRUE;
}

gint64 api_event_viewer_user(const ApiEventViewer *v)
{
    return v->auth->user_id;
}

gboolean api_event_viewer_same_credential(const ApiEventViewer *a, const ApiEventViewer *b)
{
    if (a->auth->token_id || b->auth->token_id)
        return a->auth->token_id == b->auth->token_id;
    return g_strcmp0(a->auth->session_hash, b->auth->session_hash) == 0;
}
