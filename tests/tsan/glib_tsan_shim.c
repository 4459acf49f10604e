/* ThreadSanitizer build only: GMutex and GCond on pthread, linked into the
 * TSan binaries. GLib 2.74 builds them on raw futexes, which TSan cannot
 * see, so every access they guard would look like a race. Defined in the
 * executable, these win for every call made through the PLT (Vireo's code,
 * libvirt's, GIO's); GLib's calls to itself stay on its futexes, which is
 * why the few GThreadPool hand-overs carry annotations (api/core/api_tsan.h).
 * GRecMutex needs nothing: GLib 2.74 already builds it on pthread. */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

/* A GMutex or GCond holds a pointer to the pthread object, made on first
 * use: a zeroed, never initialised one (G_LOCK_DEFINE, g_new0) is valid. */
static void *impl_get(gpointer *slot, void *(*make)(void), void (*drop)(void *))
{
    void *impl = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (G_LIKELY(impl))
        return impl;
    void *fresh = make();
    void *expected = NULL;
    if (__atomic_compare_exchange_n(slot, &expected, fresh, FALSE, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return fresh;
    drop(fresh); /* another thread made it first */
    return expected;
}

static void check(int rc, const char *what)
{
    if (G_UNLIKELY(rc != 0))
        g_error("tsan shim: %s: %s", what, g_strerror(rc));
}

static void *mutex_make(void)
{
    pthread_mutex_t *m = g_new(pthread_mutex_t, 1);
    check(pthread_mutex_init(m, NULL), "pthread_mutex_init");
    return m;
}

static void mutex_drop(void *m)
{
    check(pthread_mutex_destroy(m), "pthread_mutex_destroy");
    g_free(m);
}

static pthread_mutex_t *mutex_of(GMutex *mutex)
{
    return impl_get(&mutex->p, mutex_make, mutex_drop);
}

void g_mutex_init(GMutex *mutex)
{
    mutex->p = mutex_make();
}

void g_mutex_clear(GMutex *mutex)
{
    if (mutex->p)
        mutex_drop(mutex->p);
    mutex->p = NULL;
}

void g_mutex_lock(GMutex *mutex)
{
    check(pthread_mutex_lock(mutex_of(mutex)), "pthread_mutex_lock");
}

void g_mutex_unlock(GMutex *mutex)
{
    check(pthread_mutex_unlock(mutex_of(mutex)), "pthread_mutex_unlock");
}

gboolean g_mutex_trylock(GMutex *mutex)
{
    int rc = pthread_mutex_trylock(mutex_of(mutex));
    if (rc == EBUSY)
        return FALSE;
    check(rc, "pthread_mutex_trylock");
    return TRUE;
}

/* g_cond_wait_until takes a g_get_monotonic_time() deadline. */
static void *cond_make(void)
{
    pthread_condattr_t attr;
    pthread_cond_t *c = g_new(pthread_cond_t, 1);
    check(pthread_condattr_init(&attr), "pthread_condattr_init");
    check(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), "pthread_condattr_setclock");
    check(pthread_cond_init(c, &attr), "pthread_cond_init");
    pthread_condattr_destroy(&attr);
    return c;
}

static void cond_drop(void *c)
{
    check(pthread_cond_destroy(c), "pthread_cond_destroy");
    g_free(c);
}

static pthread_cond_t *cond_of(GCond *cond)
{
    return impl_get(&cond->p, cond_make, cond_drop);
}

void g_cond_init(GCond *cond)
{
    cond->p = cond_make();
}

void g_cond_clear(GCond *cond)
{
    if (cond->p)
        cond_drop(cond->p);
    cond->p = NULL;
}

void g_cond_wait(GCond *cond, GMutex *mutex)
{
    check(pthread_cond_wait(cond_of(cond), mutex_of(mutex)), "pthread_cond_wait");
}

gboolean g_cond_wait_until(GCond *cond, GMutex *mutex, gint64 end_time)
{
    struct timespec ts = {.tv_sec = end_time / G_USEC_PER_SEC,
                          .tv_nsec = (end_time % G_USEC_PER_SEC) * 1000};
    int rc = pthread_cond_timedwait(cond_of(cond), mutex_of(mutex), &ts);
    if (rc == ETIMEDOUT)
        return FALSE;
    check(rc, "pthread_cond_timedwait");
    return TRUE;
}

void g_cond_signal(GCond *cond)
{
    check(pthread_cond_signal(cond_of(cond)), "pthread_cond_signal");
}

void g_cond_broadcast(GCond *cond)
{
    check(pthread_cond_broadcast(cond_of(cond)), "pthread_cond_broadcast");
}
