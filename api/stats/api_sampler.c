/* The sampler and the address keeper (see api_sampler.h). */
#include "api/stats/api_sampler.h"
#include "api/stats/api_stats_json.h"
#include "virt/virt_domain_addr.h"
#include "virt/virt_domain_started.h"

#include <libvirt/virterror.h>

#include <math.h>
#include <string.h>

/* Addresses of a running VM are read again this often (leases appear
 * some seconds after a guest boots and libvirt raises no event for them). */
#define ADDRESS_REFRESH_US (15 * G_USEC_PER_SEC)
/* A failure is logged once, then again only after this many in a row. */
#define FAILURE_LOG_EVERY 60

/* What the sampler knows of one run of a VM (one domain id). */
typedef struct {
    int id;
    gint64 started_at;
    ApiStartedSource source;
    guint tries; /* reads of its process' start so far */
} Run;

/* A process just forked may not have its pid file yet: its start is read
 * again at the next samples, this many times at most. */
#define PROCESS_TRIES 5

/* A VM's addresses as last read. */
typedef struct {
    int id;         /* the run they belong to */
    gint64 read_at; /* monotonic; 0: read at the next round */
    json_t *list;
    gboolean no_agent; /* no agent channel: ask leases only, this run */
} Addresses;

static void addresses_free(Addresses *a)
{
    json_decref(a->list);
    g_free(a);
}

/* One host's sampler: its own threads, so that a host that is slow or
 * down never delays another's samples. Reference counted: the set holds
 * one, each of its threads one (a removed host's threads end on their own
 * once a hung call returns). */
typedef struct {
    gint ref;
    ApiSampler *owner; /* outlives it: api_sampler_stop joins every thread */
    VirtHost *host;    /* NULL without a host registry: ctx->virt */
    gint64 key;        /* its key in the set: 0 for the local host, else its id */
    DbStatsWriter *writer;
    const char *run_dir; /* libvirt's QEMU pid files, when local */
    gboolean local;      /* the URI names this machine (its /proc is the host's) */
    gint exited;         /* threads that have returned (atomic) */

    GMutex lock; /* guards everything below */
    GCond wake;
    gboolean stopping;
    gboolean addr_kick;
    ApiStatsSnapshot *latest;
    GHashTable *runs;      /* uuid -> Run* (sampler thread only, lock for clarity) */
    GHashTable *started;   /* uuid -> gint64* real time of a "started" event */
    GHashTable *addresses; /* uuid -> Addresses* */
    ApiSamplerCounts counts;
    guint failures_in_row;

    GThread *thread;
    GThread *addr_thread;
} HostSampler;

struct ApiSampler {
    ApiContext *ctx;
    ApiSamplerSettings set;
    DbStatsPolicy policy;

    GMutex lock; /* guards everything below */
    GCond wake;
    gboolean stopping;
    GHashTable *hosts;  /* key (gint64*) -> HostSampler*: the hosts sampled */
    GPtrArray *retired; /* HostSampler* of removed hosts whose threads end */
    GThread *watch;     /* follows the host registry */
};

static void live_free(ApiVmLive *v)
{
    g_free(v->name);
    g_free(v);
}

ApiStatsSnapshot *api_stats_snapshot_ref(ApiStatsSnapshot *s)
{
    g_atomic_int_inc(&s->ref);
    return s;
}

void api_stats_snapshot_unref(ApiStatsSnapshot *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->ref))
        return;
    virt_stats_sample_free(s->raw);
    if (s->vhost)
        virt_host_unref(s->vhost);
    g_hash_table_unref(s->vms);
    g_ptr_array_unref(s->active);
    g_free(s);
}

static HostSampler *host_sampler_ref(HostSampler *s)
{
    g_atomic_int_inc(&s->ref);
    return s;
}

static void host_sampler_unref(HostSampler *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->ref))
        return;
    db_stats_writer_free(s->writer);
    api_stats_snapshot_unref(s->latest);
    if (s->host)
        virt_host_unref(s->host);
    g_hash_table_unref(s->runs);
    g_hash_table_unref(s->started);
    g_hash_table_unref(s->addresses);
    g_cond_clear(&s->wake);
    g_mutex_clear(&s->lock);
    g_free(s);
}

/* The sampler of `host` (NULL: ctx->virt, the only host), not started. */
static HostSampler *host_sampler_new(ApiSampler *owner, VirtHost *host)
{
    HostSampler *s = g_new0(HostSampler, 1);
    s->ref = 1;
    s->owner = owner;
    s->host = host ? virt_host_ref(host) : NULL;
    gboolean is_local = !host || virt_host_is_local(host);
    s->key = is_local ? 0 : virt_host_id(host);
    VirtConn *vc = host ? virt_host_conn(host) : owner->ctx->virt;
    const char *uri = is_local && owner->set.uri ? owner->set.uri : virt_conn_uri(vc);
    s->local = virt_uri_is_local(uri);
    s->run_dir = virt_qemu_run_dir(uri);
    g_mutex_init(&s->lock);
    g_cond_init(&s->wake);
    s->runs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s->started = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    s->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)addresses_free);
    return s;
}

ApiSampler *api_sampler_new(ApiContext *ctx, const ApiSamplerSettings *settings)
{
    ApiSampler *s = g_new0(ApiSampler, 1);
    s->ctx = ctx;
    s->set = *settings;
    db_stats_policy_init(&s->policy, settings->interval_s, settings->max_mib);
    g_mutex_init(&s->lock);
    g_cond_init(&s->wake);
    s->hosts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                     (GDestroyNotify)host_sampler_unref);
    s->retired = g_ptr_array_new_with_free_func((GDestroyNotify)host_sampler_unref);
    return s;
}

/* The sampler of host `h` (NULL or the local host: the local one), a new
 * reference, or NULL when that host is not sampled. */
static HostSampler *sampler_of(ApiSampler *s, VirtHost *h)
{
    if (!s)
        return NULL;
    gint64 key = !h || virt_host_is_local(h) ? 0 : virt_host_id(h);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
    HostSampler *hs = g_hash_table_lookup(s->hosts, &key);
    return hs ? host_sampler_ref(hs) : NULL;
}

guint api_sampler_interval(ApiSampler *s)
{
    return s ? s->set.interval_s : 0;
}

const DbStatsPolicy *api_sampler_policy(ApiSampler *s)
{
    return &s->policy;
}

static ApiStatsSnapshot *latest_of(HostSampler *hs)
{
    if (!hs)
        return NULL;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&hs->lock);
    return hs->latest ? api_stats_snapshot_ref(hs->latest) : NULL;
}

ApiStatsSnapshot *api_sampler_latest(ApiSampler *s)
{
    return api_sampler_latest_of(s, NULL);
}

ApiStatsSnapshot *api_sampler_latest_of(ApiSampler *s, VirtHost *h)
{
    HostSampler *hs = sampler_of(s, h);
    ApiStatsSnapshot *snap = latest_of(hs);
    host_sampler_unref(hs);
    return snap;
}

GPtrArray *api_sampler_all_latest(ApiSampler *s)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)api_stats_snapshot_unref);
    if (!s)
        return out;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->hosts);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        ApiStatsSnapshot *snap = latest_of(value);
        if (snap)
            g_ptr_array_add(out, snap);
    }
    return out;
}

ApiStatsSnapshot *api_sampler_latest_with_vm(ApiSampler *s, const char *uuid)
{
    g_autoptr(GPtrArray) all = api_sampler_all_latest(s);
    ApiStatsSnapshot *found = NULL;
    for (guint i = 0; i < all->len && !found; i++) {
        ApiStatsSnapshot *snap = g_ptr_array_index(all, i);
        const ApiVmLive *v = g_hash_table_lookup(snap->vms, uuid);
        /* The host where it runs: during a move it is defined on both. */
        if (v && v->active)
            found = api_stats_snapshot_ref(snap);
    }
    return found ? found : api_sampler_latest(s);
}

void api_sampler_counts(ApiSampler *s, ApiSamplerCounts *out)
{
    memset(out, 0, sizeof(*out));
    HostSampler *hs = sampler_of(s, NULL);
    if (!hs)
        return;
    g_mutex_lock(&hs->lock);
    *out = hs->counts;
    g_mutex_unlock(&hs->lock);
    host_sampler_unref(hs);
}

void api_sampler_note_started(ApiSampler *s, VirtHost *h, const char *uuid)
{
    if (!s || !uuid || s->set.interval_s == 0)
        return;
    HostSampler *hs = sampler_of(s, h);
    if (!hs)
        return;
    gint64 *now = g_new(gint64, 1);
    *now = g_get_real_time() / G_USEC_PER_SEC;
    g_mutex_lock(&hs->lock);
    g_hash_table_replace(hs->started, g_strdup(uuid), now);
    /* Its addresses are read at the next round, not in 15 s. */
    hs->addr_kick = TRUE;
    g_cond_broadcast(&hs->wake);
    g_mutex_unlock(&hs->lock);
    host_sampler_unref(hs);
}

json_t *api_sampler_addresses(ApiSampler *s, VirtHost *h, const char *uuid)
{
    HostSampler *hs = sampler_of(s, h);
    if (!hs)
        return json_array();
    g_mutex_lock(&hs->lock);
    const Addresses *a = g_hash_table_lookup(hs->addresses, uuid);
    json_t *out = a && a->list ? json_incref(a->list) : json_array();
    g_mutex_unlock(&hs->lock);
    host_sampler_unref(hs);
    return out;
}

/* ---- one sample ---- */

static const VirtStatsVm *find_vm(const VirtStatsSample *sample, const char *uuid,
                                  GHashTable *index)
{
    if (!sample)
        return NULL;
    return g_hash_table_lookup(index, uuid);
}

static GHashTable *index_of(const VirtStatsSample *sample)
{
    GHashTable *idx = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; sample && i < sample->vms->len; i++) {
        VirtStatsVm *vm = g_ptr_array_index(sample->vms, i);
        g_hash_table_insert(idx, vm->uuid, vm);
    }
    return idx;
}

/* Rates over a longer gap than this are not trusted (a reset may hide in
 * it): three missed samples, and never under 15 s. */
static gint64 max_gap_us(const HostSampler *s)
{
    return (gint64)MAX(3 * s->owner->set.interval_s, 15) * G_USEC_PER_SEC;
}

/* When the run of `vm` now seen began: its process' start where this host
 * shows it, else when vireod saw it start (its "started" event, or the
 * middle of the interval in which it appeared), else not known. Called
 * under the lock. */
static void start_of(HostSampler *s, const VirtStatsVm *vm, const VirtStatsVm *before,
                     const VirtStatsSample *prev, const VirtStatsSample *cur, ApiVmLive *live)
{
    Run *run = g_hash_table_lookup(s->runs, vm->uuid);
    if (!run || run->id != vm->id) {
        Run *fresh = g_new0(Run, 1);
        fresh->id = vm->id;
        fresh->started_at = virt_domain_process_start(s->run_dir, vm->name, vm->uuid);
        fresh->source = fresh->started_at ? API_STARTED_PROCESS : API_STARTED_UNKNOWN;
        gint64 *event = g_hash_table_lookup(s->started, vm->uuid);
        if (!fresh->started_at && event && prev && *event >= prev->time - 1) {
            fresh->started_at = *event;
            fresh->source = API_STARTED_OBSERVED;
        } else if (!fresh->started_at && prev && (!before || before->id != vm->id) &&
                   (cur->time - prev->time) * G_USEC_PER_SEC <= max_gap_us(s)) {
            /* Not running (or another run) at the last sample, not long
             * ago: it started since, so within one interval. */
            fresh->started_at = (prev->time + cur->time) / 2;
            fresh->source = API_STARTED_OBSERVED;
        }
        fresh->tries = 1;
        g_hash_table_remove(s->started, vm->uuid);
        g_hash_table_replace(s->runs, g_strdup(vm->uuid), fresh);
        run = fresh;
    } else if (run->source != API_STARTED_PROCESS && s->run_dir && run->tries < PROCESS_TRIES) {
        run->tries++;
        gint64 at = virt_domain_process_start(s->run_dir, vm->name, vm->uuid);
        if (at) {
            run->started_at = at;
            run->source = API_STARTED_PROCESS;
        }
    }
    live->started_at = run->started_at;
    live->started_source = run->source;
}

/* A figure as stored: percentages in hundredths, memory in KiB. */
static gint64 stored(const VirtStatsFigures *f, VirtFigure fig)
{
    double v = f->v[fig];
    if (isnan(v))
        return DB_STAT_NONE;
    return (gint64)llround(fig == VIRT_FIG_CPU || fig == VIRT_FIG_CPU_VCPUS ? v * 100.0 : v);
}

static DbStatsPoint point_of(const char *key, const VirtStatsFigures *f)
{
    /* DbStat and VirtFigure list the same figures in the same order. */
    G_STATIC_ASSERT((int)DB_STAT_COUNT == (int)VIRT_FIG_COUNT);
    G_STATIC_ASSERT((int)DB_STAT_NET_TX == (int)VIRT_FIG_NET_TX);
    DbStatsPoint p = {.key = key};
    for (int i = 0; i < DB_STAT_COUNT; i++)
        p.v[i] = stored(f, (VirtFigure)i);
    return p;
}

/* The figures of `cur` against `prev` (the previous sample, may be NULL);
 * the snapshot takes `cur`. */
static ApiStatsSnapshot *figures_of(HostSampler *s, const VirtStatsSample *prev,
                                    VirtStatsSample *cur)
{
    ApiStatsSnapshot *snap = g_new0(ApiStatsSnapshot, 1);
    snap->ref = 1;
    snap->time = cur->time;
    snap->interval = s->owner->set.interval_s;
    snap->vhost = s->host ? virt_host_ref(s->host) : NULL;
    snap->vms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)live_free);
    snap->active = g_ptr_array_new();
    virt_stats_host_figures(prev, cur, max_gap_us(s), &snap->host);
    g_autoptr(GHashTable) before = index_of(prev);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < cur->vms->len; i++) {
        const VirtStatsVm *vm = g_ptr_array_index(cur->vms, i);
        ApiVmLive *live = g_new0(ApiVmLive, 1);
        memcpy(live->uuid, vm->uuid, sizeof(live->uuid));
        live->name = g_strdup(vm->name);
        live->state = vm->state;
        live->id = vm->id;
        live->vcpus = vm->vcpus;
        live->active = vm->id > 0;
        for (int f = 0; f < VIRT_FIG_COUNT; f++)
            live->figures.v[f] = NAN;
        if (live->active) {
            const VirtStatsVm *old = find_vm(prev, vm->uuid, before);
            virt_stats_vm_figures(old, vm, cur->cpus, max_gap_us(s), &live->figures);
            start_of(s, vm, old, prev, cur, live);
            g_hash_table_add(seen, live->uuid);
            g_ptr_array_add(snap->active, live);
        }
        g_hash_table_insert(snap->vms, live->uuid, live);
    }
    /* Runs of VMs no longer active are over; a start event no sample saw
     * the run of (a VM that started and stopped between two) is stale. */
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->runs);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!g_hash_table_contains(seen, key))
            g_hash_table_iter_remove(&it);
    g_hash_table_iter_init(&it, s->started);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (*(gint64 *)value < cur->time - max_gap_us(s) / G_USEC_PER_SEC)
            g_hash_table_iter_remove(&it);
    snap->raw = cur;
    return snap;
}

static void record(HostSampler *s, ApiStatsSnapshot *snap)
{
    g_autoptr(GArray) points = g_array_new(FALSE, FALSE, sizeof(DbStatsPoint));
    /* Only samples whose every figure is known: a first sample after a
     * start, a reset or a gap would otherwise drag the average down. */
    if (snap->host.complete) {
        DbStatsPoint p = point_of("host", &snap->host);
        g_array_append_val(points, p);
    }
    g_autoptr(GPtrArray) alive = g_ptr_array_new();
    g_ptr_array_add(alive, (gpointer) "host");
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, snap->vms);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const ApiVmLive *v = value;
        g_ptr_array_add(alive, key);
        if (v->active && v->figures.complete) {
            DbStatsPoint p = point_of(v->uuid, &v->figures);
            g_array_append_val(points, p);
        }
    }
    g_ptr_array_add(alive, NULL);
    g_autoptr(GError) error = NULL;
    if (!db_stats_writer_add(s->writer, snap->time, (DbStatsPoint *)(void *)points->data,
                             points->len, (const char *const *)alive->pdata, &error)) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
        if (s->counts.write_failures++ % FAILURE_LOG_EVERY == 0)
            g_warning("metric history not written (live figures go on): %s", error->message);
    }
}

/* The host's connection, or NULL (error set) while it is not connected:
 * only connected hosts are sampled. */
static virConnectPtr host_conn(HostSampler *s, GError **error)
{
    return s->host ? virt_host_conn_if_up(s->host, error)
                   : virt_conn_get(s->owner->ctx->virt, error);
}

static void sample_once(HostSampler *s)
{
    gint64 began = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = host_conn(s, &error);
    VirtStatsSample *cur = conn ? virt_stats_sample(conn, s->local, &error) : NULL;
    if (!cur) {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
        s->counts.failures++;
        if (s->failures_in_row++ % FAILURE_LOG_EVERY == 0)
            g_message("sampler: no sample: %s", error->message);
        return;
    }
    /* Only this thread replaces s->latest: its raw sample is the one the
     * rates are counted from, read without the lock. */
    const VirtStatsSample *prev = s->latest ? s->latest->raw : NULL;
    ApiStatsSnapshot *snap = figures_of(s, prev, cur);
    record(s, snap);
    {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
        ApiStatsSnapshot *old = s->latest;
        s->latest = snap;
        s->failures_in_row = 0;
        s->counts.samples++;
        s->counts.last_time = snap->time;
        s->counts.last_duration_s = (double)(g_get_monotonic_time() - began) / 1e6;
        s->addr_kick = TRUE;
        g_cond_broadcast(&s->wake);
        api_stats_snapshot_unref(old);
    }
    /* Every host's sample is a frame of the event stream, naming its host. */
    if (s->owner->set.on_sample)
        s->owner->set.on_sample(snap, s->owner->set.data);
}

static gpointer sample_loop(gpointer data)
{
    HostSampler *s = data;
    gint64 interval = (gint64)s->owner->set.interval_s * G_USEC_PER_SEC;
    gint64 next = g_get_monotonic_time();
    g_mutex_lock(&s->lock);
    while (!s->stopping) {
        if (g_get_monotonic_time() < next) {
            g_cond_wait_until(&s->wake, &s->lock, next);
            continue;
        }
        g_mutex_unlock(&s->lock);
        sample_once(s);
        g_mutex_lock(&s->lock);
        /* Keep the beat; after a long stall, start a new one. */
        next += interval;
        if (next < g_get_monotonic_time())
            next = g_get_monotonic_time() + interval;
    }
    g_mutex_unlock(&s->lock);
    g_atomic_int_inc(&s->exited);
    host_sampler_unref(s);
    return NULL;
}

/* ---- addresses ---- */

static json_t *addresses_json(GPtrArray *list)
{
    json_t *out = json_array();
    for (guint i = 0; list && i < list->len; i++)
        json_array_append_new(out, api_stats_address_json(g_ptr_array_index(list, i)));
    return out;
}

/* Reads the addresses of one running VM, without the lock. */
static void read_addresses(virConnectPtr conn, const char *uuid, gboolean no_agent, json_t **list,
                           gboolean *agent_absent)
{
    g_autoptr(virDomain) dom = virDomainLookupByUUIDString(conn, uuid);
    if (!dom) {
        virResetLastError();
        return;
    }
    VirtAgentState st = VIRT_AGENT_NOT_ASKED;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) found = virt_domain_addresses(
        dom, no_agent ? VIRT_AGENT_SKIP : VIRT_AGENT_ASK, &st, &error);
    if (!found) {
        g_debug("addresses of %s: %s", uuid, error->message);
        return;
    }
    *list = addresses_json(found);
    *agent_absent = no_agent || st == VIRT_AGENT_ABSENT;
}

static void address_round(HostSampler *s)
{
    g_autoptr(ApiStatsSnapshot) snap = latest_of(s);
    g_autoptr(virConnect) conn = snap ? host_conn(s, NULL) : NULL;
    if (!conn)
        return;
    for (guint i = 0; i < snap->active->len; i++) {
        const ApiVmLive *vm = g_ptr_array_index(snap->active, i);
        int id = 0;
        gboolean no_agent = FALSE;
        {
            g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
            if (s->stopping)
                return;
            const Addresses *a = g_hash_table_lookup(s->addresses, vm->uuid);
            const Run *run = g_hash_table_lookup(s->runs, vm->uuid);
            id = run ? run->id : -1;
            if (a && a->id == id && a->read_at &&
                g_get_monotonic_time() - a->read_at < ADDRESS_REFRESH_US)
                continue;
            no_agent = a && a->id == id && a->no_agent;
        }
        json_t *list = NULL;
        gboolean absent = no_agent;
        read_addresses(conn, vm->uuid, no_agent, &list, &absent);
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
        Addresses *a = g_new0(Addresses, 1);
        a->id = id;
        a->read_at = g_get_monotonic_time();
        a->list = list ? list : json_array();
        a->no_agent = absent;
        g_hash_table_replace(s->addresses, g_strdup(vm->uuid), a);
    }
    /* Stopped VMs have no addresses. */
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, s->addresses);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const ApiVmLive *vm = g_hash_table_lookup(snap->vms, key);
        if (!vm || !vm->active)
            g_hash_table_iter_remove(&it);
    }
}

static gpointer address_loop(gpointer data)
{
    HostSampler *s = data;
    g_mutex_lock(&s->lock);
    while (!s->stopping) {
        if (!s->addr_kick) {
            g_cond_wait_until(&s->wake, &s->lock, g_get_monotonic_time() + ADDRESS_REFRESH_US);
            continue;
        }
        s->addr_kick = FALSE;
        g_mutex_unlock(&s->lock);
        address_round(s);
        g_mutex_lock(&s->lock);
    }
    g_mutex_unlock(&s->lock);
    g_atomic_int_inc(&s->exited);
    host_sampler_unref(s);
    return NULL;
}

/* ---- the hosts sampled ---- */

static void host_sampler_start(HostSampler *s)
{
    s->writer = db_stats_writer_new_for_host(s->owner->ctx->db, &s->owner->policy, s->key);
    s->thread = g_thread_new("stats-sampler", sample_loop, host_sampler_ref(s));
    s->addr_thread = g_thread_new("stats-addresses", address_loop, host_sampler_ref(s));
}

/* Asks its threads to end; does not wait (a call may hang on the host). */
static void host_sampler_signal_stop(HostSampler *s)
{
    g_mutex_lock(&s->lock);
    s->stopping = TRUE;
    g_cond_broadcast(&s->wake);
    g_mutex_unlock(&s->lock);
}

static void host_sampler_join(HostSampler *s)
{
    if (s->thread)
        g_thread_join(s->thread);
    if (s->addr_thread)
        g_thread_join(s->addr_thread);
    s->thread = s->addr_thread = NULL;
}

/* Follows the registry: a sampler for each host (a host edited into
 * another connection gets a new one), none for a removed host; joins the
 * threads of removed hosts once they have ended. Called with s->lock. */
static void follow_hosts(ApiSampler *s)
{
    g_autoptr(GPtrArray) hosts = s->ctx->hosts ? virt_hosts_list(s->ctx->hosts) : NULL;
    g_autoptr(GHashTable) now = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; hosts && i < hosts->len; i++) {
        VirtHost *h = g_ptr_array_index(hosts, i);
        gint64 key = virt_host_is_local(h) ? 0 : virt_host_id(h);
        HostSampler *hs = g_hash_table_lookup(s->hosts, &key);
        if (hs && hs->host != h) {
            host_sampler_signal_stop(hs);
            g_ptr_array_add(s->retired, host_sampler_ref(hs));
            g_hash_table_remove(s->hosts, &key);
            hs = NULL;
        }
        if (!hs) {
            hs = host_sampler_new(s, h);
            g_hash_table_insert(s->hosts, g_memdup2(&key, sizeof(key)), hs);
            host_sampler_start(hs);
        }
        g_hash_table_add(now, &hs->key);
    }
    if (!s->ctx->hosts && !g_hash_table_size(s->hosts)) {
        HostSampler *hs = host_sampler_new(s, NULL);
        g_hash_table_insert(s->hosts, g_memdup2(&hs->key, sizeof(hs->key)), hs);
        host_sampler_start(hs);
        g_hash_table_add(now, &hs->key);
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->hosts);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        HostSampler *hs = value;
        if (g_hash_table_contains(now, &hs->key))
            continue;
        host_sampler_signal_stop(hs);
        g_ptr_array_add(s->retired, host_sampler_ref(hs));
        g_hash_table_iter_remove(&it);
    }
    for (guint i = s->retired->len; i-- > 0;) {
        HostSampler *hs = g_ptr_array_index(s->retired, i);
        if (g_atomic_int_get(&hs->exited) < 2)
            continue;
        host_sampler_join(hs);
        g_ptr_array_remove_index_fast(s->retired, i);
    }
}

/* Hosts come and go while vireod runs: checked once a second (no libvirt
 * call, the registry is in memory). */
static gpointer watch_loop(gpointer data)
{
    ApiSampler *s = data;
    g_mutex_lock(&s->lock);
    while (!s->stopping) {
        follow_hosts(s);
        g_cond_wait_until(&s->wake, &s->lock, g_get_monotonic_time() + G_USEC_PER_SEC);
    }
    g_mutex_unlock(&s->lock);
    return NULL;
}

void api_sampler_start(ApiSampler *s)
{
    if (!s || s->set.interval_s == 0)
        return;
    g_mutex_lock(&s->lock);
    follow_hosts(s); /* the local host's sampler runs from here on */
    g_mutex_unlock(&s->lock);
    s->watch = g_thread_new("stats-hosts", watch_loop, s);
}

void api_sampler_stop(ApiSampler *s)
{
    if (!s)
        return;
    g_mutex_lock(&s->lock);
    s->stopping = TRUE;
    g_cond_broadcast(&s->wake);
    g_mutex_unlock(&s->lock);
    if (s->watch)
        g_thread_join(s->watch);
    s->watch = NULL;
    /* No thread changes the set now. */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->hosts);
    while (g_hash_table_iter_next(&it, NULL, &value))
        host_sampler_signal_stop(value);
    for (guint i = 0; i < s->retired->len; i++)
        host_sampler_signal_stop(g_ptr_array_index(s->retired, i));
    g_hash_table_iter_init(&it, s->hosts);
    while (g_hash_table_iter_next(&it, NULL, &value))
        host_sampler_join(value);
    for (guint i = 0; i < s->retired->len; i++)
        host_sampler_join(g_ptr_array_index(s->retired, i));
}

void api_sampler_free(ApiSampler *s)
{
    if (!s)
        return;
    api_sampler_stop(s);
    g_hash_table_unref(s->hosts);
    g_ptr_array_unref(s->retired);
    g_cond_clear(&s->wake);
    g_mutex_clear(&s->lock);
    g_free(s);
}
