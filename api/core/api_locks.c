/* Per-object locks (see api_locks.h): a table of key -> mutex with a count
 * of holders and waiters, guarded by one short-held table lock. */
#include "api/core/api_locks.h"

#include <string.h>

typedef struct {
    GMutex mutex;
    guint users; /* holders and waiters; the entry goes at 0 */
} LockEntry;

struct ApiLocks {
    GMutex table_lock;
    GHashTable *entries; /* key -> LockEntry* */
};

struct ApiLockSet {
    ApiLocks *locks;
    GPtrArray *keys; /* sorted, unique, owned */
};

static void entry_free(gpointer p)
{
    LockEntry *e = p;
    g_mutex_clear(&e->mutex);
    g_free(e);
}

ApiLocks *api_locks_new(void)
{
    ApiLocks *l = g_new0(ApiLocks, 1);
    g_mutex_init(&l->table_lock);
    l->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
    return l;
}

void api_locks_free(ApiLocks *l)
{
    if (!l)
        return;
    g_warn_if_fail(g_hash_table_size(l->entries) == 0);
    g_hash_table_unref(l->entries);
    g_mutex_clear(&l->table_lock);
    g_free(l);
}

static gint by_string(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static LockEntry *enter(ApiLocks *l, const char *key)
{
    g_mutex_lock(&l->table_lock);
    LockEntry *e = g_hash_table_lookup(l->entries, key);
    if (!e) {
        e = g_new0(LockEntry, 1);
        g_mutex_init(&e->mutex);
        g_hash_table_insert(l->entries, g_strdup(key), e);
    }
    e->users++;
    g_mutex_unlock(&l->table_lock);
    return e;
}

ApiLockSet *api_locks_take(ApiLocks *l, const char *const *keys)
{
    ApiLockSet *set = g_new0(ApiLockSet, 1);
    set->locks = l;
    set->keys = g_ptr_array_new_with_free_func(g_free);
    for (const char *const *k = keys; *k; k++)
        g_ptr_array_add(set->keys, g_strdup(*k));
    /* One global order: nobody holds a later key while waiting for an
     * earlier one. */
    g_ptr_array_sort(set->keys, by_string);
    for (guint i = 1; i < set->keys->len;) {
        if (strcmp(g_ptr_array_index(set->keys, i), g_ptr_array_index(set->keys, i - 1)) == 0)
            g_ptr_array_remove_index(set->keys, i);
        else
            i++;
    }
    for (guint i = 0; i < set->keys->len; i++)
        g_mutex_lock(&enter(l, g_ptr_array_index(set->keys, i))->mutex);
    return set;
}

ApiLockSet *api_lock(ApiLocks *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *key = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    const char *keys[] = {key, NULL};
    return api_locks_take(l, keys);
}

void api_lock_set_release(ApiLockSet *set)
{
    if (!set)
        return;
    ApiLocks *l = set->locks;
    for (guint i = set->keys->len; i-- > 0;) {
        const char *key = g_ptr_array_index(set->keys, i);
        g_mutex_lock(&l->table_lock);
        LockEntry *e = g_hash_table_lookup(l->entries, key);
        g_mutex_unlock(&e->mutex);
        if (--e->users == 0)
            g_hash_table_remove(l->entries, key);
        g_mutex_unlock(&l->table_lock);
    }
    g_ptr_array_unref(set->keys);
    g_free(set);
}

void api_lock_set_merge(ApiLockSet *set, ApiLockSet *more)
{
    for (guint i = 0; i < more->keys->len; i++) {
        const char *key = g_ptr_array_index(more->keys, i);
        const char *last = set->keys->len ? g_ptr_array_index(set->keys, set->keys->len - 1) : "";
        /* Taking a key that sorts before one already held could deadlock
         * against a request that takes both in order. */
        if (strcmp(key, last) <= 0)
            g_critical("lock '%s' taken after '%s', out of order", key, last);
        g_ptr_array_add(set->keys, g_strdup(key));
    }
    g_ptr_array_unref(more->keys);
    g_free(more);
}

guint api_locks_count(ApiLocks *l)
{
    g_mutex_lock(&l->table_lock);
    guint n = g_hash_table_size(l->entries);
    g_mutex_unlock(&l->table_lock);
    return n;
}
