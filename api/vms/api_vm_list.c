/* GET /api/vms (see api_vm_list.h). An answer depends on the model's
 * snapshot, the metadata rows, the query and, for non-admins, what the
 * caller may see; admins' answers are kept (a few, by query) until the
 * snapshot or the metadata moves, so the same list is not built and
 * serialized again for every request. */
#include "api/vms/api_vm_list.h"
#include "api/core/api_encoding.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/core/api_host_resolve.h"
#include "api/stats/api_sampler.h"
#include "api/stats/api_stats_json.h"
#include "api/vms/api_vm_json.h"
#include "virt/virt_error.h"
#include "virt/virt_hosts.h"
#include "virt/virt_model.h"

#include <string.h>

#define LIST_LIMIT_MAX 1000
/* Answers kept: the UI's plain list and a few scripted queries. */
#define KEPT_ANSWERS 8
/* How long a list across hosts waits for a host other than the local one:
 * one that does not answer by then shows what it last held. */
#define OTHER_HOST_WAIT_US (2 * G_USEC_PER_SEC)
/* The local host is waited for as on a single host. */
#define LOCAL_HOST_WAIT_US (15 * G_USEC_PER_SEC)

typedef struct {
    char *key; /* the snapshot, metadata and query it answers */
    GBytes *body;
    GBytes *gzip; /* made when a gzip client first asks */
    char *etag;
    guint64 used; /* for dropping the least recently used */
} Kept;

struct ApiVmList {
    GMutex lock;
    GHashTable *meta; /* uuid -> DbVmMeta*, as of meta_generation */
    guint64 meta_generation;
    guint64 complete_for; /* snapshot generation whose VMs all have rows (+1; 0: none) */
    Kept kept[KEPT_ANSWERS];
    guint64 clock;
    ApiVmListStats stats;
};

ApiVmList *api_vm_list_new(void)
{
    ApiVmList *l = g_new0(ApiVmList, 1);
    g_mutex_init(&l->lock);
    return l;
}

static void kept_clear(Kept *k)
{
    g_clear_pointer(&k->key, g_free);
    g_clear_pointer(&k->body, g_bytes_unref);
    g_clear_pointer(&k->gzip, g_bytes_unref);
    g_clear_pointer(&k->etag, g_free);
    k->used = 0;
}

void api_vm_list_free(ApiVmList *l)
{
    if (!l)
        return;
    for (int i = 0; i < KEPT_ANSWERS; i++)
        kept_clear(&l->kept[i]);
    if (l->meta)
        g_hash_table_unref(l->meta);
    g_mutex_clear(&l->lock);
    g_free(l);
}

void api_vm_list_stats(ApiVmList *l, ApiVmListStats *out)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&l->lock);
    *out = l->stats;
}

/* ---- the query ---- */

typedef struct {
    GStrv fields;       /* NULL = all members */
    GHashTable *states; /* state ints wanted, NULL = all */
    const char *after;
    gint64 after_host; /* with `after`: the cursor is (name, host id); 0: the name only */
    guint64 limit;     /* 0 = no limit */
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
    static const char *const allowed[] = {"fields", "limit", "after", "after_host", "state", NULL};
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
                return invalid(error,
                               "unknown state '%s' (running, paused, shutoff, "
                               "shutdown, crashed, pmsuspended, blocked, nostate)",
                               *s);
            g_hash_table_add(q->states, GINT_TO_POINTER(st));
        }
    }
    const char *limit = api_query_get(req, "limit");
    if (limit && !g_ascii_string_to_unsigned(limit, 10, 1, LIST_LIMIT_MAX, &q->limit, NULL))
        return invalid(error, "limit must be a whole number from 1 to 1000, not '%s'", limit);
    q->after = api_query_get(req, "after");
    const char *after_host = api_query_get(req, "after_host");
    guint64 host_id = 0;
    if (after_host &&
        (!q->after || !g_ascii_string_to_unsigned(after_host, 10, 1, G_MAXINT64, &host_id, NULL)))
        return invalid(error,
                       "after_host must be a host id with after (the answer's next_host), "
                       "not '%s'",
                       after_host);
    q->after_host = (gint64)host_id;
    return TRUE;
}

/* The query as part of a key: the raw values suffice (equal values give
 * equal answers; a different spelling only misses the reuse). */
static char *query_key(const ApiRequest *req)
{
    static const char *const names[] = {"fields", "limit", "after", "after_host", "state"};
    GString *k = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *v = api_query_get(req, names[i]);
        g_string_append_printf(k, "\n%s=%s", names[i], v ? v : "\x01");
    }
    return g_string_free(k, FALSE);
}

/* ---- metadata ---- */

/* The metadata rows of every VM in `snap`, read again only when the
 * inventory's rows changed. Rows are made on first sight, so created_at
 * records when Vireo first saw a VM made elsewhere. Lock held. */
static GHashTable *meta_for(ApiContext *ctx, ApiVmList *l, const VirtModelSnapshot *snap,
                            guint64 *generation, GError **error)
{
    for (int round = 0; round < 2; round++) {
        guint64 gen = db_vm_meta_generation(ctx->db);
        if (!l->meta || gen != l->meta_generation) {
            GHashTable *rows = db_vm_meta_all(ctx->db, error);
            if (!rows)
                return NULL;
            if (l->meta)
                g_hash_table_unref(l->meta);
            l->meta = rows;
            l->meta_generation = gen;
            l->complete_for = 0;
        }
        if (l->complete_for == snap->generation + 1)
            break;
        g_autoptr(GPtrArray) missing = g_ptr_array_new();
        for (guint i = 0; i < snap->domains->len; i++) {
            const VirtDomainSummary *s = g_ptr_array_index(snap->domains, i);
            if (!g_hash_table_contains(l->meta, s->uuid))
                g_ptr_array_add(missing, (gpointer)s->uuid);
        }
        if (missing->len == 0) {
            l->complete_for = snap->generation + 1;
            break;
        }
        g_ptr_array_add(missing, NULL);
        /* A read must not fail for a write it could not make (a full
         * disk): the rows are made at the next list. */
        g_autoptr(GError) unwritten = NULL;
        if (!db_vm_meta_touch_all(ctx->db, (const char *const *)missing->pdata, &unwritten)) {
            g_debug("VM metadata rows not made yet: %s", unwritten->message);
            break;
        }
    }
    *generation = l->meta_generation;
    return g_hash_table_ref(l->meta);
}

/* ---- answers ---- */

static Kept *kept_find(ApiVmList *l, const char *key)
{
    for (int i = 0; i < KEPT_ANSWERS; i++)
        if (l->kept[i].key && strcmp(l->kept[i].key, key) == 0)
            return &l->kept[i];
    return NULL;
}

static Kept *kept_slot(ApiVmList *l)
{
    Kept *oldest = &l->kept[0];
    for (int i = 0; i < KEPT_ANSWERS; i++) {
        if (!l->kept[i].key)
            return &l->kept[i];
        if (l->kept[i].used < oldest->used)
            oldest = &l->kept[i];
    }
    kept_clear(oldest);
    return oldest;
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

/* Uptime, addresses and figures come from the sampler's last sample
 * (`live`, taken at `now`): no call to libvirt, let alone to a guest
 * agent, per VM. */
/* ---- hosts ---- */

/* One host's part of the list: its snapshot, or what it last held while
 * it is down (`down`: its VMs show as unreachable). */
typedef struct {
    VirtHost *host; /* NULL without a registry */
    gint64 id;      /* the host's id; 0 without a registry */
    VirtModelSnapshot *snap;
    ApiStatsSnapshot *live; /* the host's last sample, may be NULL */
    gboolean down;
} HostPart;

static void host_part_free(HostPart *p)
{
    virt_model_snapshot_unref(p->snap);
    api_stats_snapshot_unref(p->live);
    if (p->host)
        virt_host_unref(p->host);
    g_free(p);
}

/* One VM of the merged list, by name then host. */
typedef struct {
    const VirtDomainSummary *s;
    const HostPart *part;
} Entry;

static gint entry_order(gconstpointer a, gconstpointer b)
{
    const Entry *x = a, *y = b;
    int c = strcmp(x->s->name, y->s->name);
    return c ? c : (x->part->id < y->part->id ? -1 : x->part->id > y->part->id);
}

/* Whether the entry comes at or before the cursor: paging goes on after
 * it. With the host, a name on two hosts at a page's end is not skipped. */
static gboolean before_cursor(const ListQuery *q, const Entry *e)
{
    int c = strcmp(e->s->name, q->after);
    return c < 0 || (c == 0 && (!q->after_host || e->part->id <= q->after_host));
}

static VirtModelSnapshot *snapshot(ApiContext *ctx, GError **error);

/* How long a list begun at `began` may still wait for host `h`: another
 * host until 2 s after the list began (every host fetches at once, so that
 * is 2 s in all, however many do not answer), and not at all once its
 * model has waited that long for libvirt already: a host that hangs holds
 * up the first list after it hung, not every list until vireod's
 * watchdog cuts its connection. */
static gint64 wait_for(VirtHost *h, gint64 began)
{
    if (virt_host_is_local(h))
        return LOCAL_HOST_WAIT_US;
    gint64 left = began + OTHER_HOST_WAIT_US - g_get_monotonic_time();
    gint64 hung_left = OTHER_HOST_WAIT_US - virt_model_waiting_us(virt_host_model(h));
    return MAX(0, MIN(left, hung_left));
}

/* Every host's part (or the one ?host= names). Fails only when no host
 * answers and none has a list it last held, or when the one host asked
 * for fails: the single-host answer stays a 503 while libvirt is away. */
static GPtrArray *host_parts(ApiContext *ctx, const ApiRequest *req, GError **error)
{
    GPtrArray *parts = g_ptr_array_new_with_free_func((GDestroyNotify)host_part_free);
    if (!ctx->hosts) {
        HostPart *p = g_new0(HostPart, 1);
        if (!(p->snap = snapshot(ctx, error))) {
            g_free(p);
            g_ptr_array_unref(parts);
            return NULL;
        }
        p->live = api_sampler_latest(ctx->sampler);
        g_ptr_array_add(parts, p);
        return parts;
    }
    g_autoptr(GPtrArray) hosts = virt_hosts_list(ctx->hosts);
    if (req->virt_host) {
        g_ptr_array_set_size(hosts, 0);
        g_ptr_array_add(hosts, virt_host_ref(req->virt_host));
    }
    /* Every host that must fetch starts now, then each is waited for. */
    gint64 began = g_get_monotonic_time();
    if (hosts->len > 1)
        for (guint i = 0; i < hosts->len; i++)
            virt_model_ask(virt_host_model(g_ptr_array_index(hosts, i)));
    GError *first = NULL;
    for (guint i = 0; i < hosts->len; i++) {
        VirtHost *h = g_ptr_array_index(hosts, i);
        HostPart *p = g_new0(HostPart, 1);
        p->host = virt_host_ref(h);
        p->id = virt_host_id(h);
        p->live = api_sampler_latest_of(ctx->sampler, h);
        g_autoptr(GError) why = NULL;
        p->snap = virt_model_snapshot_within(virt_host_model(h), wait_for(h, began), &why);
        if (!p->snap) {
            p->down = TRUE;
            p->snap = virt_model_last(virt_host_model(h));
            if (!first)
                first = g_steal_pointer(&why);
        }
        if (p->snap)
            g_ptr_array_add(parts, p);
        else
            host_part_free(p);
    }
    gboolean any_up = FALSE;
    for (guint i = 0; i < parts->len; i++)
        any_up |= !((HostPart *)g_ptr_array_index(parts, i))->down;
    if (first && (!any_up || hosts->len == 1)) {
        g_propagate_error(error, first);
        g_ptr_array_unref(parts);
        return NULL;
    }
    g_clear_error(&first);
    return parts;
}

/* What the answer depends on, of the hosts: each one's snapshot and
 * whether it is down. */
static char *parts_key(GPtrArray *parts)
{
    GString *k = g_string_new(NULL);
    for (guint i = 0; i < parts->len; i++) {
        const HostPart *p = g_ptr_array_index(parts, i);
        g_string_append_printf(
            k, "%" G_GINT64_FORMAT "/%" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT "%s,", p->id,
            p->snap->generation, p->live ? p->live->time : 0, p->down ? "d" : "");
    }
    return g_string_free(k, FALSE);
}

static GArray *merged(GPtrArray *parts)
{
    GArray *all = g_array_new(FALSE, FALSE, sizeof(Entry));
    for (guint i = 0; i < parts->len; i++) {
        const HostPart *p = g_ptr_array_index(parts, i);
        for (guint j = 0; j < p->snap->domains->len; j++) {
            Entry e = {g_ptr_array_index(p->snap->domains, j), p};
            g_array_append_val(all, e);
        }
    }
    if (parts->len > 1)
        g_array_sort(all, entry_order);
    return all;
}

static json_t *build(ApiContext *ctx, const ApiRequest *req, const ListQuery *q, GPtrArray *parts,
                     GHashTable *meta, gint64 now, GError **error)
{
    g_autoptr(json_t) items = json_array();
    const char *last = NULL;
    const HostPart *last_part = NULL;
    gboolean more = FALSE;
    g_autoptr(GArray) entries = merged(parts);
    for (guint i = 0; i < entries->len; i++) {
        const Entry *e = &g_array_index(entries, Entry, i);
        const VirtDomainSummary *s = e->s;
        if (!api_scope_sees_vm(req->scope, s->uuid, error)) {
            if (*error)
                return NULL;
            continue;
        }
        if (q->after && before_cursor(q, e))
            continue;
        if (q->states && !g_hash_table_contains(q->states, GINT_TO_POINTER(s->state)))
            continue;
        if (q->limit && json_array_size(items) == q->limit) {
            more = TRUE;
            break;
        }
        json_t *vm = api_vm_summary_json(s, g_hash_table_lookup(meta, s->uuid));
        api_stats_vm_live(ctx->sampler, e->part->live, s->uuid, s->state, now, vm, vm);
        if (e->part->host)
            json_object_set_new(vm, "host", api_host_ref_json(e->part->host));
        /* What a host that is down last held, said as such. */
        if (e->part->down)
            json_object_set_new(vm, "state", json_string("unreachable"));
        json_array_append_new(items, project(vm, q->fields));
        last = s->name;
        last_part = e->part;
    }
    gboolean next = more && last;
    return json_pack("{s:O,s:o,s:o}", "vms", items, "next", next ? json_string(last) : json_null(),
                     "next_host",
                     next && last_part->id ? json_integer(last_part->id) : json_null());
}

/* The model's snapshot, or 503 when there is none (no libvirt). */
static VirtModelSnapshot *snapshot(ApiContext *ctx, GError **error)
{
    if (!ctx->vm_model) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE, "no libvirt connection configured");
        return NULL;
    }
    return virt_model_snapshot(ctx->vm_model, error);
}

static void answer(ApiResponse *resp, GBytes *body, GBytes *gzip, const char *etag)
{
    resp->status = 200;
    resp->raw = g_bytes_ref(body);
    resp->raw_type = "application/json";
    if (gzip)
        resp->raw_gzip = g_bytes_ref(gzip);
    api_response_header(resp, "ETag", etag);
}

/* Answers from a kept answer (lock held), compressing it once for all
 * gzip clients after the first: harder than an answer made for one client
 * (api_response_encode), as it is paid once. */
static void answer_kept(ApiVmList *l, Kept *k, gboolean gzip, ApiResponse *resp)
{
    k->used = ++l->clock;
    if (gzip && !k->gzip && g_bytes_get_size(k->body) >= API_GZIP_MIN)
        k->gzip = api_gzip(g_bytes_get_data(k->body, NULL), g_bytes_get_size(k->body), 6);
    answer(resp, k->body, gzip ? k->gzip : NULL, k->etag);
}

gboolean api_vms_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_auto(ListQuery) q = {0};
    if (!parse_list_query(req, &q, error))
        return FALSE;
    g_autoptr(GPtrArray) parts = host_parts(ctx, req, error);
    if (!parts)
        return FALSE;
    g_autofree char *hosts_key = parts_key(parts);
    ApiVmList *l = ctx->vm_list;
    g_autoptr(ApiVmList) own = NULL;
    if (!l)
        l = own = api_vm_list_new();
    /* Only admins' answers are the same for every caller. */
    gboolean keep = ctx->vm_list && api_scope_is_admin(req->scope);
    gboolean gzip = api_accepts_gzip(req->accept_encoding);
    guint64 meta_gen = 0;
    g_autofree char *qkey = query_key(req);
    g_autofree char *key = NULL;
    g_autoptr(GHashTable) meta = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_mutex_lock(&l->lock);
    for (guint i = 0; i < parts->len && (i == 0 || meta); i++) {
        g_clear_pointer(&meta, g_hash_table_unref);
        meta = meta_for(ctx, l, ((HostPart *)g_ptr_array_index(parts, i))->snap, &meta_gen, error);
    }
    if (meta) {
        /* Uptimes move every second and figures every sample: an answer
         * is kept for one second of one sample at most. */
        key = g_strdup_printf("%s:%" G_GUINT64_FORMAT ":%" G_GINT64_FORMAT "%s", hosts_key,
                              meta_gen, now, qkey);
        Kept *k = keep ? kept_find(l, key) : NULL;
        if (k) {
            l->stats.answers_reused++;
            answer_kept(l, k, gzip, resp);
            g_mutex_unlock(&l->lock);
            return TRUE;
        }
    }
    g_mutex_unlock(&l->lock);
    if (!meta)
        return FALSE;

    /* Built without the lock: the snapshot and the rows are not changed
     * in place, only replaced. */
    g_autoptr(json_t) body = build(ctx, req, &q, parts, meta, now, error);
    if (!body)
        return FALSE;
    char *text = json_dumps(body, JSON_COMPACT);
    gsize len = strlen(text);
    g_autoptr(GBytes) bytes = g_bytes_new_with_free_func(text, len, free, text);
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text,
                                                       len);
    g_autofree char *etag = g_strdup_printf("\"%.24s\"", sum);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&l->lock);
    l->stats.answers_built++;
    if (!keep) {
        answer(resp, bytes, NULL, etag);
        return TRUE;
    }
    /* Another request may have kept the same answer meanwhile. */
    Kept *k = kept_find(l, key);
    if (!k) {
        k = kept_slot(l);
        k->key = g_steal_pointer(&key);
        k->body = g_steal_pointer(&bytes);
        k->etag = g_steal_pointer(&etag);
    }
    answer_kept(l, k, gzip, resp);
    return TRUE;
}
