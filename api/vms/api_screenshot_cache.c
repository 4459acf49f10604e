/* The screenshot cache (api_screenshot_cache.h): a table of key -> entry
 * and a queue of the kept shots, oldest first, under one lock held only
 * for table work, never while QEMU renders. */
#include "api/vms/api_screenshot_cache.h"

typedef struct {
    GBytes *png; /* NULL while it is being taken */
    char *etag;
    gint64 taken_us;
    guint claims; /* callers taking it now: they will put or drop it */
    GList *link;  /* in `kept` while png is set */
} Entry;

struct ApiShotCache {
    GMutex lock;
    GCond changed;       /* a shot was put or dropped */
    GHashTable *entries; /* "UUID/width" -> Entry* */
    GQueue kept;         /* keys of the entries holding a shot, oldest first */
    gsize bytes;         /* of PNG in kept entries */
    guint waiters;
    gint64 ttl_us;
    guint max_entries;
    gsize max_bytes;
    gint64 wait_us;
};

static void entry_free(gpointer p)
{
    Entry *e = p;
    if (e->png)
        g_bytes_unref(e->png);
    g_free(e->etag);
    g_free(e);
}

ApiShotCache *api_shot_cache_new(gint64 ttl_us, guint max_entries, gsize max_bytes, gint64 wait_us)
{
    ApiShotCache *c = g_new0(ApiShotCache, 1);
    g_mutex_init(&c->lock);
    g_cond_init(&c->changed);
    c->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
    g_queue_init(&c->kept);
    c->ttl_us = ttl_us;
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->wait_us = wait_us;
    return c;
}

void api_shot_cache_free(ApiShotCache *c)
{
    if (!c)
        return;
    g_queue_clear(&c->kept);
    g_hash_table_unref(c->entries);
    g_cond_clear(&c->changed);
    g_mutex_clear(&c->lock);
    g_free(c);
}

/* Lets go of an entry's shot, keeping the entry. */
static void clear_shot(ApiShotCache *c, Entry *e)
{
    if (!e->png)
        return;
    c->bytes -= g_bytes_get_size(e->png);
    g_queue_delete_link(&c->kept, e->link);
    e->link = NULL;
    g_clear_pointer(&e->png, g_bytes_unref);
    g_clear_pointer(&e->etag, g_free);
}

/* Forgets an entry's shot; the entry itself goes unless someone is taking
 * it (their put or drop will look for it). */
static void forget(ApiShotCache *c, const char *key, Entry *e)
{
    clear_shot(c, e);
    if (e->claims == 0)
        g_hash_table_remove(c->entries, key);
}

/* Drops shots past their time, and the oldest while over the bounds. */
static void trim(ApiShotCache *c, gint64 now_us)
{
    while (c->kept.length) {
        const char *key = g_queue_peek_head(&c->kept);
        Entry *e = g_hash_table_lookup(c->entries, key);
        gboolean over = c->kept.length > c->max_entries || c->bytes > c->max_bytes;
        if (!over && now_us - e->taken_us < c->ttl_us)
            return;
        forget(c, key, e);
    }
}

static char *key_of(const char *uuid, guint width)
{
    return g_strdup_printf("%s/%u", uuid, width);
}

gboolean api_shot_cache_get(ApiShotCache *c, const char *uuid, guint width, gint64 now_us,
                            GBytes **ret_png, char **ret_etag)
{
    g_autofree char *key = key_of(uuid, width);
    gint64 deadline = g_get_monotonic_time() + c->wait_us;
    gboolean waited_enough = FALSE;
    g_mutex_lock(&c->lock);
    trim(c, now_us);
    for (;;) {
        /* Looked up again after every wait: a drop may have freed it. */
        Entry *e = g_hash_table_lookup(c->entries, key);
        if (!e) {
            e = g_new0(Entry, 1);
            g_hash_table_insert(c->entries, g_strdup(key), e);
        }
        if (e->png && now_us - e->taken_us < c->ttl_us) {
            *ret_png = g_bytes_ref(e->png);
            *ret_etag = g_strdup(e->etag);
            g_mutex_unlock(&c->lock);
            return TRUE;
        }
        /* Another caller is asking QEMU for this very shot: wait for it,
         * unless that takes unreasonably long (a hung display), then ask
         * too. */
        if (e->claims > 0 && !e->png && !waited_enough) {
            c->waiters++;
            waited_enough = !g_cond_wait_until(&c->changed, &c->lock, deadline);
            c->waiters--;
            continue;
        }
        /* A stale shot goes now, so that others wait for the new one. */
        clear_shot(c, e);
        e->claims++;
        g_mutex_unlock(&c->lock);
        return FALSE;
    }
}

void api_shot_cache_put(ApiShotCache *c, const char *uuid, guint width, GBytes *png,
                        const char *etag, gint64 taken_us)
{
    g_autofree char *key = key_of(uuid, width);
    g_mutex_lock(&c->lock);
    Entry *e = g_hash_table_lookup(c->entries, key);
    if (!e) {
        e = g_new0(Entry, 1);
        g_hash_table_insert(c->entries, g_strdup(key), e);
    } else if (e->claims > 0) {
        e->claims--;
    }
    clear_shot(c, e);
    e->png = g_bytes_ref(png);
    e->etag = g_strdup(etag);
    e->taken_us = taken_us;
    c->bytes += g_bytes_get_size(png);
    /* The table owns the key string; the queue borrows it. */
    gpointer owned_key = NULL;
    g_hash_table_lookup_extended(c->entries, key, &owned_key, NULL);
    g_queue_push_tail(&c->kept, owned_key);
    e->link = c->kept.tail;
    trim(c, taken_us);
    g_cond_broadcast(&c->changed);
    g_mutex_unlock(&c->lock);
}

void api_shot_cache_drop(ApiShotCache *c, const char *uuid, guint width)
{
    g_autofree char *key = key_of(uuid, width);
    g_mutex_lock(&c->lock);
    Entry *e = g_hash_table_lookup(c->entries, key);
    if (e && e->claims > 0) {
        e->claims--;
        if (e->claims == 0 && !e->png)
            g_hash_table_remove(c->entries, key);
    }
    g_cond_broadcast(&c->changed);
    g_mutex_unlock(&c->lock);
}

guint api_shot_cache_size(ApiShotCache *c)
{
    g_mutex_lock(&c->lock);
    guint n = c->kept.length;
    g_mutex_unlock(&c->lock);
    return n;
}

guint api_shot_cache_waiters(ApiShotCache *c)
{
    g_mutex_lock(&c->lock);
    guint n = c->waiters;
    g_mutex_unlock(&c->lock);
    return n;
}
