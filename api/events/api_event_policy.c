/* Who sees which event, and its frame (see api_event_policy.h). */
#include "api/events/api_event_policy.h"
#include "api/core/api_gate.h"
#include "api/core/api_scope.h"
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

void api_event_frames_init(ApiEventFrames *f, const ApiEvent *e)
{
    static const char *const types[] = {[API_EVENT_VM] = "vm", [API_EVENT_POOL] = "pool",
                                        [API_EVENT_NETWORK] = "network", [API_EVENT_TASK] = "task"};
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
    }
    return FALSE;
}

const char *api_event_viewer_frame(ApiEventViewer *v, const ApiEvent *e, const ApiEventFrames *f)
{
    if (!sees(v, e))
        return NULL;
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
