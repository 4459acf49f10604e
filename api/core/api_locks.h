/* Per-object locks for read-check-write changes (If-Match, "is this volume
 * free?" then attach): one lock per object key ("vm:UUID",
 * "volume:pool/name", "pool:name", "user:ID" ...), made when first needed
 * and dropped when nobody holds or waits for it. A request takes all its
 * keys at once, in one sorted order, so two requests never wait on each
 * other; it never holds them while it waits on a guest. */
#pragma once
#include <glib.h>

typedef struct ApiLocks ApiLocks;
typedef struct ApiLockSet ApiLockSet;

ApiLocks *api_locks_new(void);
/* Only when nobody holds a lock any more. */
void api_locks_free(ApiLocks *locks);

/* Takes every lock of `keys` (NULL-terminated; repeats are fine),
 * waiting as long as it takes. */
ApiLockSet *api_locks_take(ApiLocks *locks, const char *const *keys);
/* One key, printf-style. */
ApiLockSet *api_lock(ApiLocks *locks, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void api_lock_set_release(ApiLockSet *set);
/* Adds the locks of `more` (taken after `set`'s, by the same thread, with
 * keys that sort after all of `set`'s) to `set`, to be released with it. */
void api_lock_set_merge(ApiLockSet *set, ApiLockSet *more);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiLockSet, api_lock_set_release)

/* How many keys have a lock right now (for tests). */
guint api_locks_count(ApiLocks *locks);
