/* Failure counters per "u:<name>" and "a:<address>", each with the time
 * until which further attempts are refused. */
#include "api/api.h"
#include "api/api_throttle.h"

#define MAX_KEYS 10000   /* bound memory under a spray of names */

typedef struct {
    int failures;
    gint64 locked_until;
} Counter;

struct LoginThrottle {
    GMutex lock;
    GHashTable *counters;   /* key -> Counter* */
    int free_attempts;
    gint64 max_delay_s;
};

LoginThrottle *api_throttle_new(int free_attempts, gint64 max_delay_s)
{
    LoginThrottle *t = g_new0(LoginThrottle, 1);
    g_mutex_init(&t->lock);
    t->counters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    t->free_attempts = free_attempts;
    t->max_delay_s = max_delay_s;
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

static gint64 wait_for(LoginThrottle *t, const char *key, gint64 now)
{
    Counter *c = g_hash_table_lookup(t->counters, key);
    return c && c->locked_until > now ? c->locked_until - now : 0;
}

gint64 api_throttle_wait(LoginThrottle *t, const char *user, const char *address, gint64 now)
{
    g_autofree char *ku = g_strconcat("u:", user ? user : "", NULL);
    g_autofree char *ka = g_strconcat("a:", address ? address : "", NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    return MAX(wait_for(t, ku, now), wait_for(t, ka, now));
}

static void fail(LoginThrottle *t, const char *key, gint64 now)
{
    Counter *c = g_hash_table_lookup(t->counters, key);
    if (!c) {
        if (g_hash_table_size(t->counters) >= MAX_KEYS)
            g_hash_table_remove_all(t->counters);
        c = g_new0(Counter, 1);
        g_hash_table_insert(t->counters, g_strdup(key), c);
    }
    c->failures++;
    int over = c->failures - t->free_attempts;
    if (over > 0) {
        gint64 delay = over >= 20 ? t->max_delay_s : MIN((gint64)1 << (over - 1), t->max_delay_s);
        c->locked_until = now + delay;
    }
}

void api_throttle_failed(LoginThrottle *t, const char *user, const char *address, gint64 now)
{
    g_autofree char *ku = g_strconcat("u:", user ? user : "", NULL);
    g_autofree char *ka = g_strconcat("a:", address ? address : "", NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    fail(t, ku, now);
    fail(t, ka, now);
}

void api_throttle_succeeded(LoginThrottle *t, const char *user, const char *address)
{
    g_autofree char *ku = g_strconcat("u:", user ? user : "", NULL);
    g_autofree char *ka = g_strconcat("a:", address ? address : "", NULL);
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&t->lock);
    g_hash_table_remove(t->counters, ku);
    g_hash_table_remove(t->counters, ka);
}
