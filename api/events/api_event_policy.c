/* Who sees which event, and its frame (see api_event_policy.h). */
#include "api/events/api_event_policy.h"
#include "api/core/api_gate.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/core/api_host_resolve.h"
#include "api/stats/api_stats_json.h"
#include "api/tasks/api_tasks.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"

#include <libvirt/libvirt.h>
#include <string.h>

struct ApiEventRecord {
    gint ref; /* atomic */
    ApiEventKind kind;
    char *uuid;
    char *name;
    gint64 task_owner;
    char *full;             /* the frame */
    char *brief;            /* for non-admins, when it differs (task errors);
                              * a sample's frame with no VM */
    char *stats_head;       /* a sample's frame up to its list of VMs */
    GPtrArray *stats_uuids; /* each VM's UUID */
    GPtrArray *stats_vms;   /* and its JSON */
    GHashTable *per_user;   /* user id -> the sample's frame for that user */
    gsize size;
};

/* What one user may see, shared by all of that user's streams. */
typedef struct {
    guint ref;
    gint64 user_id;
    ApiRole role;
    ApiScope *scope; /* preloaded: no query when an event is sent */
    gboolean gone;   /* the user was deleted */
} UserView;

struct ApiEventViews {
    ApiContext *ctx;
    GHashTable *users;   /* user id -> UserView* */
    GHashTable *checked; /* credential -> GINT_TO_POINTER(1 + valid), this round */
};

struct ApiEventViewer {
    ApiEventViews *views;
    ApiAuth *auth;
    UserView *user;
    char *credential; /* "token:ID" or "session:HASH" */
};

/* ---- records ---- */

static const char *vm_event_name(int event)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED: return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED: return "undefined";
    case VIR_DOMAIN_EVENT_STARTED: return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED: return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED: return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED: return "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED: return "crashed";
    case VIRT_DOMAIN_EVENT_DEVICES: return "devices";
    case VIRT_DOMAIN_EVENT_EDITED: return "edited";
    case VIRT_DOMAIN_EVENT_METADATA: return "edited";
    default: return "changed";
    }
}

/* libvirt numbers pool and network lifecycle events alike up to STOPPED;
 * pools add CREATED (built) and DELETED (storage removed). */
static const char *object_event_name(ApiEventKind kind, int event)
{
    static const char *const names[] = {"defined", "undefined", "started",
                                        "stopped", "created",   "deleted"};
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
static json_t *stats_vm_json(const ApiStatsSnapshot *snap, const ApiVmLive *v, json_t *from)
{
    json_t *vm = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "uuid", v->uuid, "name", v->name, "state",
                           virt_domain_state_name(v->state), "started_at",
                           v->started_at ? api_time_json(v->started_at) : json_null(), "uptime",
                           v->started_at ? json_integer(MAX(snap->time - v->started_at, 0))
                                         : json_null(),
                           "stats", api_stats_figures_json(&v->figures, TRUE));
    /* Its host, as the VM list's items and VM events name it. */
    if (snap->vhost)
        json_object_set(vm, "host", from);
    return vm;
}

/* A sample is cut in parts, each VM's JSON made once, and joined for each
 * user with the VMs it may see (stats_frame_for). */
static void stats_record_init(ApiEventRecord *r, const ApiStatsSnapshot *snap)
{
    g_autoptr(json_t) host = api_stats_figures_json(&snap->host, FALSE);
    g_autofree char *host_text = json_dumps(host, JSON_COMPACT | JSON_REAL_PRECISION(15));
    /* Each host samples on its own: `from` names the host whose figures
     * `host` are, and `local` whether it is vireod's own (the dashboard's). */
    g_autoptr(json_t) from = api_host_ref_json(snap->vhost);
    g_autofree char *from_text = json_dumps(from, JSON_COMPACT | JSON_ENCODE_ANY);
    gboolean local = !snap->vhost || virt_host_is_local(snap->vhost);
    r->stats_head = g_strdup_printf("event: stats\ndata: {\"time\":%" G_GINT64_FORMAT
                                    ",\"interval\":%u,\"from\":%s,\"local\":%s,"
                                    "\"host\":%s,\"vms\":[",
                                    snap->time, snap->interval, from_text, local ? "true" : "false",
                                    host_text);
    r->stats_uuids = g_ptr_array_new_with_free_func(g_free);
    r->stats_vms = g_ptr_array_new_with_free_func(free);
    r->per_user = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    GString *all = g_string_new(r->stats_head);
    for (guint i = 0; i < snap->active->len; i++) {
        const ApiVmLive *v = g_ptr_array_index(snap->active, i);
        g_autoptr(json_t) vm = stats_vm_json(snap, v, from);
        char *text = json_dumps(vm, JSON_COMPACT | JSON_REAL_PRECISION(15));
        g_ptr_array_add(r->stats_uuids, g_strdup(v->uuid));
        g_ptr_array_add(r->stats_vms, text);
        g_string_append_printf(all, "%s%s", i ? "," : "", text);
        r->size += strlen(text) + strlen(v->uuid);
    }
    g_string_append(all, "]}\n\n");
    r->full = g_string_free(all, FALSE);
    r->brief = g_strconcat(r->stats_head, "]}\n\n", NULL);
}

/* The sample as one user may see it: the VMs it may not see are left out,
 * not named, not counted. Made once per user and kept with the record
 * (under the hub's lock, like every viewer call). */
static const char *stats_frame_for(const UserView *u, const ApiEventRecord *r)
{
    if (u->role == API_ROLE_ADMIN)
        return r->full;
    const char *made = g_hash_table_lookup(r->per_user, &u->user_id);
    if (made)
        return made;
    GString *out = NULL;
    for (guint i = 0; i < r->stats_uuids->len; i++) {
        if (!api_scope_sees_vm(u->scope, g_ptr_array_index(r->stats_uuids, i), NULL))
            continue;
        if (!out)
            out = g_string_new(r->stats_head);
        else
            g_string_append_c(out, ',');
        g_string_append(out, g_ptr_array_index(r->stats_vms, i));
    }
    if (!out)
        return r->brief;
    g_string_append(out, "]}\n\n");
    char *frame = g_string_free(out, FALSE);
    g_hash_table_insert(r->per_user, g_memdup2(&u->user_id, sizeof(u->user_id)), frame);
    return frame;
}

ApiEventRecord *api_event_record_new(const ApiEvent *e)
{
    static const char *const types[] = {[API_EVENT_VM] = "vm",
                                        [API_EVENT_POOL] = "pool",
                                        [API_EVENT_NETWORK] = "network",
                                        [API_EVENT_TASK] = "task",
                                        [API_EVENT_STATS] = "stats"};
    ApiEventRecord *r = g_new0(ApiEventRecord, 1);
    r->ref = 1;
    r->kind = e->kind;
    if (e->kind == API_EVENT_STATS) {
        stats_record_init(r, e->stats);
    } else if (e->kind == API_EVENT_TASK) {
        r->task_owner = e->task->owner_id;
        r->full = frame("task", api_task_json(e->task, TRUE));
        r->brief = frame("task", api_task_json(e->task, FALSE));
        if (strcmp(r->full, r->brief) == 0)
            g_clear_pointer(&r->brief, g_free);
    } else {
        r->uuid = g_strdup(e->uuid);
        r->name = g_strdup(e->name);
        const char *name = e->kind == API_EVENT_VM ? vm_event_name(e->event)
                                                   : object_event_name(e->kind, e->event);
        json_t *body = json_pack("{s:s,s:s,s:s}", "event", name, "name", e->name, "uuid", e->uuid);
        if (e->host)
            json_object_set_new(body, "host", api_host_ref_json(e->host));
        r->full = frame(types[e->kind], body);
    }
    r->size += sizeof(*r) + strlen(r->full) + (r->brief ? strlen(r->brief) : 0) +
               (r->uuid ? strlen(r->uuid) : 0) + (r->name ? strlen(r->name) : 0);
    return r;
}

ApiEventRecord *api_event_record_ref(ApiEventRecord *r)
{
    g_atomic_int_inc(&r->ref);
    return r;
}

void api_event_record_unref(ApiEventRecord *r)
{
    if (!r || !g_atomic_int_dec_and_test(&r->ref))
        return;
    g_free(r->uuid);
    g_free(r->name);
    g_free(r->full);
    g_free(r->brief);
    g_free(r->stats_head);
    g_clear_pointer(&r->stats_uuids, g_ptr_array_unref);
    g_clear_pointer(&r->stats_vms, g_ptr_array_unref);
    g_clear_pointer(&r->per_user, g_hash_table_unref);
    g_free(r);
}

gsize api_event_record_size(const ApiEventRecord *r)
{
    return r->size;
}

gboolean api_event_record_resumable(const ApiEventRecord *r)
{
    /* Lifecycle, device, edit and task events are: a client that missed
     * one would show a stale state. A sample is not: the next one says the
     * same, newer (and per-user frames must not outlive the views). */
    return r->kind != API_EVENT_STATS;
}

/* ---- views ---- */

static void user_view_load(ApiEventViews *views, UserView *u)
{
    g_autoptr(DbUser) user = db_user_by_id(views->ctx->db, u->user_id, NULL);
    g_clear_pointer(&u->scope, api_scope_free);
    u->gone = user == NULL;
    if (u->gone)
        return;
    u->role = api_role_from_name(user->role);
    ApiAuth who = {.user_id = u->user_id, .role = u->role};
    u->scope = api_scope_new(views->ctx, &who);
    api_scope_preload(u->scope);
}

static void user_view_free(UserView *u)
{
    api_scope_free(u->scope);
    g_free(u);
}

ApiEventViews *api_event_views_new(ApiContext *ctx)
{
    ApiEventViews *views = g_new0(ApiEventViews, 1);
    views->ctx = ctx;
    views->users = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                         (GDestroyNotify)user_view_free);
    views->checked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return views;
}

void api_event_views_free(ApiEventViews *views)
{
    if (!views)
        return;
    g_hash_table_unref(views->users);
    g_hash_table_unref(views->checked);
    g_free(views);
}

ApiEventViewer *api_event_viewer_new(ApiEventViews *views, ApiAuth *auth)
{
    ApiEventViewer *v = g_new0(ApiEventViewer, 1);
    v->views = views;
    v->auth = auth;
    v->credential = auth->token_id ? g_strdup_printf("token:%" G_GINT64_FORMAT, auth->token_id)
                                   : g_strconcat("session:", auth->session_hash, NULL);
    UserView *u = g_hash_table_lookup(views->users, &auth->user_id);
    if (!u) {
        u = g_new0(UserView, 1);
        u->user_id = auth->user_id;
        user_view_load(views, u);
        g_hash_table_insert(views->users, &u->user_id, u);
    }
    u->ref++;
    v->user = u;
    return v;
}

void api_event_viewer_free(ApiEventViewer *v)
{
    if (!v)
        return;
    if (--v->user->ref == 0)
        g_hash_table_remove(v->views->users, &v->user->user_id);
    api_auth_free(v->auth);
    g_free(v->credential);
    g_free(v);
}

static gboolean sees(const UserView *u, const ApiEventRecord *r)
{
    switch (r->kind) {
    case API_EVENT_VM: return api_scope_sees_vm(u->scope, r->uuid, NULL);
    case API_EVENT_POOL: return api_scope_pool(u->scope, r->name, API_POOL_SEE, NULL);
    case API_EVENT_NETWORK: return api_scope_network(u->scope, r->name, NULL);
    case API_EVENT_TASK:
        /* A task is its owner's business, and the admins'. */
        return u->role == API_ROLE_ADMIN || u->user_id == r->task_owner;
    case API_EVENT_STATS:
        /* The host's figures are everyone's (like GET /api/host); the VMs
         * are sorted out by stats_frame_for. */
        return TRUE;
    }
    return FALSE;
}

const char *api_event_viewer_frame(ApiEventViewer *v, const ApiEventRecord *r)
{
    if (v->user->gone || !sees(v->user, r))
        return NULL;
    if (r->kind == API_EVENT_STATS)
        return stats_frame_for(v->user, r);
    return r->brief && v->user->role != API_ROLE_ADMIN ? r->brief : r->full;
}

void api_event_views_new_round(ApiEventViews *views)
{
    g_hash_table_remove_all(views->checked);
}

void api_event_views_refresh(ApiEventViews *views, gint64 user_id)
{
    if (user_id) {
        UserView *u = g_hash_table_lookup(views->users, &user_id);
        if (u)
            user_view_load(views, u);
        return;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, views->users);
    while (g_hash_table_iter_next(&it, NULL, &value))
        user_view_load(views, value);
}

gboolean api_event_viewer_valid(ApiEventViewer *v)
{
    if (v->user->gone)
        return FALSE;
    gpointer known = g_hash_table_lookup(v->views->checked, v->credential);
    if (known)
        return GPOINTER_TO_INT(known) - 1;
    /* The role the stream was opened with follows its user's. */
    v->auth->role = v->user->role;
    gboolean valid = api_auth_still_valid(v->views->ctx, v->auth);
    g_hash_table_insert(v->views->checked, g_strdup(v->credential), GINT_TO_POINTER(1 + valid));
    return valid;
}

gint64 api_event_viewer_user(const ApiEventViewer *v)
{
    return v->auth->user_id;
}

gboolean api_event_viewer_same_credential(const ApiEventViewer *a, const ApiEventViewer *b)
{
    return strcmp(a->credential, b->credential) == 0;
}
