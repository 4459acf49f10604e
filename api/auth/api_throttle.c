/* Failure counters per "u:<name>" and "a:<address>", each with the time
 * until which further attempts are refused. Times are in microseconds so a
 * one-second lock lasts a second, whatever the clock's phase. */
#include "api/auth/api_throttle.h"
#include "api/core/api.h"

#define MAX_KEYS 10000                             /* bound memory under a spray of names */
#define FORGET_AFTER_US (15 * 60 * G_USEC_PER_SEC) /* failures this old no longer count */

typedef struct {
    int failures;
    gint64 last_failure;
    gint64 locked_until;
} Counter;

struct LoginThrottle {
    GMutex lock;
    GHashTable *counters; /* key -> Counter* */
    int user_free;        /* failures per user name before the first lock */
    int address_free;     /* per address: more, since many people may share one */
    gint64 max_delay_us;
};

LoginThrottle *api_throttle_new(int user_free, int address_free, gint64 max_delay_s)
{
    LoginThrottle *t = g_new0(LoginThrottle, 1);
    g_mutex_init(&t->lock);
    t->counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    t->user_free = user_free;
    t->address_free = address_free;
    t->max_delay_us = max_delay_s * G_USEC_PER_SEC;
    return t;
}

void api_throttle_free(LoginThrottle *t)
{
    if (!t)
        return;
    g_hash_table_unref(t->counters);
    g_mutex_clear(&t->lock);
    g_free(t);
}

static Counter *lookup(LoginThrottle *t, const char *key, gint64 now)
{
    Counter *c = g_hash_table_lookup(t->counters, key);
    if (c && c->locked_until <= now && now - c->last_failure > FORGET_AFTER_US) {
        g_hash_table_remove(t->counters, key);
        return NULL;
    }
    return c;
}

static gint64 wait_for(LoginThrottle *t, const char *key, gint64 now)
{
    Counter *c = lookup(t, key, now);
    return c && c->locked_until > now ? c->locked_until - now : 0;
}

gint64 api_throttle_wait(LoginThrottle *t, const char *user, const char *address, gint64 now)
{
    g_autofree char *ku = g_strconcat("u:", user ? user : "", NULL);
    g_autofree char *ka = g_strconcat("a:", address ? address : "", NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    gint64 us = MAX(wait_for(t, ku, now), wait_for(t, ka, now));
    return (us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC; /* whole seconds, rounded up */
}

/* Makes room by forgetting counters that lock nothing now; active locks
 * are never dropped. FALSE when the table is still full. */
static gboolean make_room(LoginThrottle *t, gint64 now)
{
    if (g_hash_table_size(t->counters) < MAX_KEYS)
        return TRUE;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, t->counters);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (((Counter *)value)->locked_until <= now)
            g_hash_table_iter_remove(&it);
    return g_hash_table_size(t->counters) < MAX_KEYS;
}

static void fail(LoginThrottle *t, const char *key, int free_attempts, gint64 now)
{
    Counter *c = lookup(t, key, now);
    if (!c) {
        if (!make_room(t, now))
            return;
        c = g_new0(Counter, 1);
        g_hash_table_insert(t->counters, g_strdup(key), c);
    }
    c->failures++;
    c->last_failure = now;
    /* The free_attempts-th failure already locks for 1 s; each next doubles. */
    int over = c->failures - free_attempts;
    if (over >= 0) {
        gint64 delay = over >= 30 ? t->max_delay_us
                                  : MIN(((gint64)1 << over) * G_USEC_PER_SEC, t->max_delay_us);
        c->locked_until = now + delay;
    }
}

void api_throttle_failed(LoginThrottle *t, const char *user, const char *address, gint64 now)
{
    g_autofree char *ku = g_strconcat("u:", user ? user : "", NULL);
    g_autofree char *ka = g_strconcat("a:", address ? address : "", NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    fail(t, ku, t->user_free, now);
    fail(t, ka, t->address_free, now);
}

void api_throttle_succeeded(LoginThrottle *t, const char *user, const char *address G_GNUC_UNUSED)
{
    /* Only the user's counter: logging into one's own account must not
     * wipe an address's record of guessing at others'. */
    g_autofree char *ku = g_strconcat("u:", user ? user : "", NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    g_hash_table_remove(t->counters, ku);
}
