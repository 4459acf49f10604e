/* The VM model (see virt_model.h): one thread fetches, readers take the
 * newest immutable snapshot. Freshness is tracked with two counters: every
 * event or Vireo change bumps `dirty`; a fetch records the `dirty` value
 * it started with, so a reader knows whether the snapshot it would get has
 * seen what it must see. */
#include "virt/virt_model.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>
#include <string.h>

/* A list never misses a change older than this (the bound is 1 s). */
#define FRESH_US (500 * 1000)
/* Between fetches while someone looks; longer when a fetch is slow (many
 * domains), so that revalidating never takes more than 1/20 of the time. */
#define INTERVAL_MIN_US (250 * 1000)
#define INTERVAL_MAX_US (2 * G_USEC_PER_SEC)
/* Someone looks: a list asked within this, or open event streams. */
#define DEMAND_US (30 * G_USEC_PER_SEC)
/* While nobody looks, how often to ask whether someone watches now. */
#define IDLE_CHECK_US (1 * G_USEC_PER_SEC)
/* How long a reader waits for a fetch before answering unavailable. */
#define WAIT_US (15 * G_USEC_PER_SEC)

struct VirtModel {
    VirtConn *vc;
    VirtModelChangeFunc on_change;
    VirtModelWatchedFunc watched;
    gpointer data;

    GMutex lock;
    GCond wake;    /* the thread: work to do */
    GCond fetched; /* readers: a fetch ended */
    GThread *thread;
    gboolean stopping;

    VirtModelSnapshot *snap; /* newest; NULL before the first fetch */
    gboolean connected;      /* virt_model_reconnected was called */
    guint64 dirty;           /* bumped by events, invalidations, reconnects */
    guint64 fetched_dirty;   /* `dirty` when the last good fetch began */
    gint64 fetched_at;       /* when it began (monotonic) */
    GError *failure;         /* the last fetch's error, if it failed */
    guint64 failed_dirty;
    gint64 failed_at;
    gint64 demand_at; /* the last snapshot asked for */
    guint waiters;
    GHashTable *describe; /* uuids whose description must be read again */
    guint64 connection;   /* the libvirt connection the snapshot came from */
    guint64 generation;
    VirtModelStats stats;
    gint64 fetch_began; /* the fetch under way began (monotonic); 0: none */
    gboolean asked;     /* virt_model_ask wants a fetch */
};

VirtModelSnapshot *virt_model_snapshot_ref(VirtModelSnapshot *s)
{
    g_atomic_int_inc(&s->ref);
    return s;
}

void virt_model_snapshot_unref(VirtModelSnapshot *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->ref))
        return;
    g_ptr_array_unref(s->domains);
    g_free(s);
}

/* ---- fetching ---- */

/* Fields libvirt raises events for (existence, name, state, persistence,
 * description) and fields it does not (autostart; vCPUs and memory of a
 * definition changed with setvcpus/setmem --config). */
static gboolean same_next_boot(const VirtDomainNextBoot *a, const VirtDomainNextBoot *b)
{
    if (!a || !b)
        return a == b;
    return a->vcpus == b->vcpus && a->memory_kib == b->memory_kib &&
           (a->boot && b->boot
                ? g_strv_equal((const char *const *)a->boot, (const char *const *)b->boot)
                : a->boot == b->boot);
}

/* What waits for the next boot is read with the description, after the
 * events that may change it (Vireo's own edits invalidate the domain). */
static gboolean same_announced(const VirtDomainSummary *a, const VirtDomainSummary *b)
{
    return strcmp(a->name, b->name) == 0 && a->state == b->state &&
           a->persistent == b->persistent && g_strcmp0(a->description, b->description) == 0 &&
           same_next_boot(a->next_boot, b->next_boot);
}

static gboolean same_unannounced(const VirtDomainSummary *a, const VirtDomainSummary *b)
{
    return a->vcpus == b->vcpus && a->memory_kib == b->memory_kib && a->autostart == b->autostart;
}

void virt_model_change_free(VirtModelChange *c)
{
    if (!c)
        return;
    g_free(c->name);
    g_free(c);
}

static void add_change(GPtrArray *changes, const VirtDomainSummary *d, int event)
{
    VirtModelChange *c = g_new0(VirtModelChange, 1);
    g_strlcpy(c->uuid, d->uuid, sizeof(c->uuid));
    c->name = g_strdup(d->name);
    c->event = event;
    g_ptr_array_add(changes, c);
}

gboolean virt_model_diff(GPtrArray *old, GPtrArray *now, gboolean missed_events, GPtrArray *changes)
{
    g_autoptr(GHashTable) before = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; old && i < old->len; i++) {
        const VirtDomainSummary *d = g_ptr_array_index(old, i);
        g_hash_table_insert(before, (gpointer)d->uuid, (gpointer)d);
    }
    gboolean differs = !old || old->len != now->len;
    for (guint i = 0; i < now->len; i++) {
        VirtDomainSummary *d = g_ptr_array_index(now, i);
        const VirtDomainSummary *was = g_hash_table_lookup(before, d->uuid);
        if (!d->description) {
            d->description = g_strdup(was && was->description ? was->description : "");
            /* Kept while it runs as it was; a stopped domain has none. */
            if (was && d->state == was->state)
                d->next_boot = virt_domain_next_boot_copy(was->next_boot);
        }
        if (was)
            g_hash_table_remove(before, d->uuid);
        if (was && same_announced(was, d) && same_unannounced(was, d))
            continue;
        differs = TRUE;
        /* What libvirt raises events for was told by them, unless they
         * were missed (a reconnect); the rest only a fetch can tell. */
        if (!old || (was && same_unannounced(was, d) && !missed_events))
            continue;
        if (!was && !missed_events)
            continue;
        add_change(changes, d, was ? VIRT_DOMAIN_EVENT_CHANGED : VIR_DOMAIN_EVENT_DEFINED);
    }
    /* Left in `before`: domains that went. */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, before);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        differs = TRUE;
        if (missed_events)
            add_change(changes, value, VIR_DOMAIN_EVENT_UNDEFINED);
    }
    return differs;
}

static gint64 interval_of(const VirtModel *m)
{
    return CLAMP((gint64)m->stats.last_fetch_us * 20, INTERVAL_MIN_US, INTERVAL_MAX_US);
}

/* Which descriptions to read: of domains new to the model, of those an
 * event or a change named, or all of them after a reconnect. */
typedef struct {
    GHashTable *old; /* uuids of the last snapshot */
    GHashTable *describe;
    gboolean all;
} FetchPlan;

static gboolean wants_description(const char *uuid, gpointer data)
{
    const FetchPlan *plan = data;
    return plan->all || !g_hash_table_contains(plan->old, uuid) ||
           g_hash_table_contains(plan->describe, uuid);
}

/* One fetch, with the lock held on entry and on return (not during the
 * libvirt calls). */
static void fetch(VirtModel *m)
{
    guint64 dirty = m->dirty;
    gint64 began = g_get_monotonic_time();
    m->fetch_began = began;
    m->asked = FALSE;
    FetchPlan plan = {.describe = m->describe, .old = g_hash_table_new(g_str_hash, g_str_equal)};
    m->describe = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    VirtModelSnapshot *old = m->snap ? virt_model_snapshot_ref(m->snap) : NULL;
    guint64 last_connection = m->connection;
    g_mutex_unlock(&m->lock);

    for (guint i = 0; old && i < old->domains->len; i++)
        g_hash_table_add(plan.old, ((VirtDomainSummary *)g_ptr_array_index(old->domains, i))->uuid);
    g_autoptr(GError) error = NULL;
    guint64 connection = 0;
    g_autoptr(virConnect) conn = virt_conn_get_numbered(m->vc, &connection, &error);
    /* Another connection than the snapshot's: events may have been missed
     * in between; everything is read and told again. */
    gboolean missed = conn && connection != last_connection;
    plan.all = missed;
    g_autoptr(GPtrArray)
        list = conn ? virt_domain_list_described(conn, wants_description, &plan, &error) : NULL;
    g_autoptr(GPtrArray)
        changes = g_ptr_array_new_with_free_func((GDestroyNotify)virt_model_change_free);

    g_mutex_lock(&m->lock);
    gint64 took = g_get_monotonic_time() - began;
    m->fetch_began = 0;
    if (!list) {
        /* What was to be read is still to be read. */
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, plan.describe);
        while (g_hash_table_iter_next(&it, &key, NULL))
            g_hash_table_add(m->describe, g_strdup(key));
        g_clear_error(&m->failure);
        m->failure = g_steal_pointer(&error);
        m->failed_dirty = dirty;
        m->failed_at = began;
    } else {
        /* The first load tells of nothing: everything is new. */
        if (virt_model_diff(old ? old->domains : NULL, list, missed && old, changes)) {
            VirtModelSnapshot *s = g_new0(VirtModelSnapshot, 1);
            s->ref = 1;
            s->generation = ++m->generation;
            s->domains = g_steal_pointer(&list);
            virt_model_snapshot_unref(m->snap);
            m->snap = s;
        }
        m->connection = connection;
        g_clear_error(&m->failure);
        m->fetched_dirty = dirty;
        m->fetched_at = began;
        m->stats.fetches++;
        m->stats.last_fetch_us = (guint64)took;
        m->stats.interval_us = (guint64)interval_of(m);
    }
    g_cond_broadcast(&m->fetched);
    g_hash_table_unref(plan.old);
    g_hash_table_unref(plan.describe);
    virt_model_snapshot_unref(old);
    if (changes->len && m->on_change) {
        g_mutex_unlock(&m->lock);
        for (guint i = 0; i < changes->len; i++) {
            const VirtModelChange *c = g_ptr_array_index(changes, i);
            m->on_change(c->uuid, c->name, c->event, m->data);
        }
        g_mutex_lock(&m->lock);
    }
}

static gpointer loop(gpointer data)
{
    VirtModel *m = data;
    g_mutex_lock(&m->lock);
    while (!m->stopping) {
        gint64 now = g_get_monotonic_time();
        gboolean watched = FALSE;
        if (m->watched && m->connected && now - m->demand_at >= DEMAND_US) {
            g_mutex_unlock(&m->lock);
            watched = m->watched(m->data);
            g_mutex_lock(&m->lock);
        }
        gboolean looked_at = watched || now - m->demand_at < DEMAND_US;
        gint64 due = m->fetched_at + interval_of(m);
        gboolean behind = m->dirty != m->fetched_dirty || m->waiters > 0 || m->asked;
        /* A failed fetch is tried again at the pace of the interval, not
         * in a loop, unless someone waits. */
        if (m->failure && m->failed_dirty == m->dirty && m->waiters == 0 && !m->asked)
            behind = FALSE, due = MAX(due, m->failed_at + INTERVAL_MIN_US);
        if (m->connected && (behind || (looked_at && now >= due))) {
            fetch(m);
            continue;
        }
        gint64 until = looked_at && m->connected ? due : now + IDLE_CHECK_US;
        g_cond_wait_until(&m->wake, &m->lock, MAX(until, now + 1000));
    }
    g_mutex_unlock(&m->lock);
    return NULL;
}

/* ---- the model ---- */

VirtModel *virt_model_new(VirtConn *vc, VirtModelChangeFunc on_change, VirtModelWatchedFunc watched,
                          gpointer data)
{
    VirtModel *m = g_new0(VirtModel, 1);
    m->vc = vc;
    m->on_change = on_change;
    m->watched = watched;
    m->data = data;
    g_mutex_init(&m->lock);
    g_cond_init(&m->wake);
    g_cond_init(&m->fetched);
    m->describe = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    m->demand_at = -DEMAND_US;
    m->thread = g_thread_new("virt-model", loop, m);
    return m;
}

void virt_model_free(VirtModel *m)
{
    if (!m)
        return;
    g_mutex_lock(&m->lock);
    m->stopping = TRUE;
    g_cond_signal(&m->wake);
    g_mutex_unlock(&m->lock);
    g_thread_join(m->thread);
    virt_model_snapshot_unref(m->snap);
    g_clear_error(&m->failure);
    g_hash_table_unref(m->describe);
    g_cond_clear(&m->wake);
    g_cond_clear(&m->fetched);
    g_mutex_clear(&m->lock);
    g_free(m);
}

void virt_model_domain_event(VirtModel *m, const char *uuid)
{
    g_mutex_lock(&m->lock);
    m->dirty++;
    g_hash_table_add(m->describe, g_strdup(uuid));
    g_cond_signal(&m->wake);
    g_mutex_unlock(&m->lock);
}

void virt_model_reconnected(VirtModel *m)
{
    g_mutex_lock(&m->lock);
    m->connected = TRUE;
    m->dirty++;
    g_cond_signal(&m->wake);
    g_mutex_unlock(&m->lock);
}

void virt_model_invalidate(VirtModel *m, const char *uuid)
{
    if (!m)
        return;
    g_mutex_lock(&m->lock);
    m->dirty++;
    if (uuid)
        g_hash_table_add(m->describe, g_strdup(uuid));
    g_cond_signal(&m->wake);
    g_mutex_unlock(&m->lock);
}

VirtModelSnapshot *virt_model_snapshot(VirtModel *m, GError **error)
{
    return virt_model_snapshot_within(m, WAIT_US, error);
}

VirtModelSnapshot *virt_model_last(VirtModel *m)
{
    if (!m)
        return NULL;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&m->lock);
    return m->snap ? virt_model_snapshot_ref(m->snap) : NULL;
}

/* The newest snapshot holds what a reader asking now must see (lock held). */
static gboolean fresh(const VirtModel *m, guint64 need_dirty, gint64 need_at)
{
    return m->snap && m->fetched_dirty >= need_dirty && m->fetched_at >= need_at;
}

void virt_model_ask(VirtModel *m)
{
    if (!m || !virt_conn_is_up(m->vc))
        return;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&m->lock);
    gint64 now = g_get_monotonic_time();
    m->demand_at = now;
    /* A fetch under way is waited for by the reader, as ever. */
    if (m->fetch_began || fresh(m, m->dirty, now - FRESH_US))
        return;
    m->asked = TRUE;
    g_cond_signal(&m->wake);
}

VirtModelSnapshot *virt_model_snapshot_within(VirtModel *m, gint64 wait_us, GError **error)
{
    if (!m) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE, "no libvirt connection");
        return NULL;
    }
    /* While libvirt is away the list is unavailable, as every other
     * answer that needs it, however fresh the last snapshot. */
    if (!virt_conn_is_up(m->vc)) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE,
                    "libvirt at %s is not reachable; vireod is reconnecting", virt_conn_uri(m->vc));
        return NULL;
    }
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&m->lock);
    gint64 now = g_get_monotonic_time();
    m->demand_at = now;
    guint64 need_dirty = m->dirty;
    gint64 need_at = now - FRESH_US;
    gint64 deadline = now + wait_us;
    while (!fresh(m, need_dirty, need_at)) {
        if (m->failure && m->failed_dirty >= need_dirty && m->failed_at >= need_at) {
            g_propagate_error(error, g_error_copy(m->failure));
            return NULL;
        }
        m->waiters++;
        g_cond_signal(&m->wake);
        gboolean in_time = g_cond_wait_until(&m->fetched, &m->lock, deadline);
        m->waiters--;
        if (!in_time && g_get_monotonic_time() >= deadline) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE,
                        "libvirt at %s did not list its domains in time", virt_conn_uri(m->vc));
            return NULL;
        }
    }
    return virt_model_snapshot_ref(m->snap);
}

gint64 virt_model_waiting_us(VirtModel *m)
{
    if (!m)
        return 0;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&m->lock);
    return m->fetch_began ? g_get_monotonic_time() - m->fetch_began : 0;
}

void virt_model_stats(VirtModel *m, VirtModelStats *out)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&m->lock);
    *out = m->stats;
}
