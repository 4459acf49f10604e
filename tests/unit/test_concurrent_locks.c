/* Per-object locks (api/core/api_locks.c) under many threads: overlapping
 * key sets taken in random order never deadlock, each key is held by one
 * thread at a time, and the table empties. Run in the ASan and TSan tiers. */
#include "unit.h"

#include "api/core/api_locks.h"

#define THREADS 8
#define ROUNDS 400
#define KEYS 6
#define DEADLINE_S 30

typedef struct {
    ApiLocks *locks;
    gint holders[KEYS];   /* atomic: threads inside key i right now */
    guint64 counts[KEYS]; /* plain: written only under key i's lock */
    guint64 taken[THREADS][KEYS];
    gint clashes; /* atomic: times two threads were inside one key */
    gint done;    /* atomic: threads finished */
    GMutex done_lock;
    GCond done_cond;
} Shared;

typedef struct {
    Shared *shared;
    int index;
} Worker;

static const char *const key_names[KEYS] = {"vm:a",       "vm:b",   "volume:p/x",
                                            "volume:p/y", "pool:p", "user:1"};

/* Each key's holder count goes 0 -> 1 on entry; anything else means two
 * threads hold the same lock. The plain counter is what TSan watches. */
static void enter_keys(Shared *s, const gboolean *mine)
{
    for (int k = 0; k < KEYS; k++) {
        if (!mine[k])
            continue;
        if (g_atomic_int_add(&s->holders[k], 1) != 0)
            g_atomic_int_inc(&s->clashes);
        s->counts[k]++;
    }
    g_thread_yield();
    for (int k = 0; k < KEYS; k++)
        if (mine[k])
            g_atomic_int_add(&s->holders[k], -1);
}

static gpointer work(gpointer data)
{
    Worker *w = data;
    Shared *s = w->shared;
    g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)w->index * 7919u + 1u);
    for (int round = 0; round < ROUNDS; round++) {
        /* 1 to 4 keys, in random order, sometimes one twice. */
        const char *keys[5] = {NULL};
        gboolean mine[KEYS] = {FALSE};
        int n = g_rand_int_range(rand, 1, 5);
        for (int i = 0; i < n; i++) {
            int k = g_rand_int_range(rand, 0, KEYS);
            keys[i] = key_names[k];
            mine[k] = TRUE;
        }
        if (round % 3 == 0) {
            g_autoptr(ApiLockSet) set = api_locks_take(s->locks, keys);
            enter_keys(s, mine);
        } else {
            /* The merge path: a key of this thread's by name, one merged
             * in after it, then keys that sort after both. */
            g_autoptr(ApiLockSet) set = api_lock(s->locks, "a%d", w->index);
            g_autofree char *second = g_strdup_printf("b%d", w->index);
            const char *later[] = {second, NULL};
            api_lock_set_merge(set, api_locks_take(s->locks, later));
            g_autoptr(ApiLockSet) more = api_locks_take(s->locks, keys);
            enter_keys(s, mine);
        }
        for (int k = 0; k < KEYS; k++)
            w->shared->taken[w->index][k] += mine[k];
    }
    g_mutex_lock(&s->done_lock);
    g_atomic_int_inc(&s->done);
    g_cond_signal(&s->done_cond);
    g_mutex_unlock(&s->done_lock);
    return NULL;
}

static void test_overlapping_sets(void **state)
{
    (void)state;
    Shared *s = g_new0(Shared, 1);
    s->locks = api_locks_new();
    g_mutex_init(&s->done_lock);
    g_cond_init(&s->done_cond);
    Worker workers[THREADS];
    GThread *threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){.shared = s, .index = i};
        threads[i] = g_thread_new("locker", work, &workers[i]);
    }
    /* A deadlock shows as threads that never finish: fail instead of
     * hanging (the stuck threads are left behind; the process ends). */
    gint64 deadline = g_get_monotonic_time() + DEADLINE_S * G_USEC_PER_SEC;
    g_mutex_lock(&s->done_lock);
    while (g_atomic_int_get(&s->done) < THREADS)
        if (!g_cond_wait_until(&s->done_cond, &s->done_lock, deadline))
            break;
    g_mutex_unlock(&s->done_lock);
    if (g_atomic_int_get(&s->done) < THREADS)
        fail_msg("deadlock: %d of %d threads still waiting after %d s",
                 THREADS - g_atomic_int_get(&s->done), THREADS, DEADLINE_S);
    for (int i = 0; i < THREADS; i++)
        g_thread_join(threads[i]);

    assert_int_equal(g_atomic_int_get(&s->clashes), 0);
    for (int k = 0; k < KEYS; k++) {
        guint64 want = 0;
        for (int i = 0; i < THREADS; i++)
            want += s->taken[i][k];
        assert_true(want > 0);
        assert_int_equal(s->counts[k], want);
    }
    /* Nobody holds or waits: every entry is gone. */
    assert_int_equal(api_locks_count(s->locks), 0);
    api_locks_free(s->locks);
    g_mutex_clear(&s->done_lock);
    g_cond_clear(&s->done_cond);
    g_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlapping_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
