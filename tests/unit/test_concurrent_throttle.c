/* The login throttle (api/auth/api_throttle.c) hit from many threads at once:
 * no failure is lost, so the delay is exactly what the count gives. Run in
 * the ASan and TSan tiers. */
#include "unit.h"

#include "api/auth/api_throttle.h"

#define THREADS 8
#define FAILURES 2000 /* per thread */
#define NOW (G_GINT64_CONSTANT(1000000) * G_USEC_PER_SEC)

typedef struct {
    LoginThrottle *t;
    int index;
} Worker;

static gpointer fail_many(gpointer data)
{
    Worker *w = data;
    g_autofree char *address = g_strdup_printf("10.0.0.%d", w->index);
    g_autofree char *bystander = g_strdup_printf("other-%d", w->index);
    for (int i = 0; i < FAILURES; i++) {
        api_throttle_failed(w->t, "admin", address, NOW);
        /* Readers and the success path on other keys, in between. */
        (void)api_throttle_wait(w->t, "admin", address, NOW);
        api_throttle_succeeded(w->t, bystander, address);
    }
    return NULL;
}

static void test_no_lost_failures(void **state)
{
    (void)state;
    /* The user's lock begins 3 failures before the total: 2^3 = 8 s when
     * every failure counted, 4, 2, 1 or 0 s when some were lost. */
    LoginThrottle *t = api_throttle_new(THREADS * FAILURES - 3, G_MAXINT, 3600);
    Worker workers[THREADS];
    GThread *threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (Worker){.t = t, .index = i};
        threads[i] = g_thread_new("throttle", fail_many, &workers[i]);
    }
    for (int i = 0; i < THREADS; i++)
        g_thread_join(threads[i]);
    assert_int_equal(api_throttle_wait(t, "admin", "192.0.2.1", NOW), 8);
    /* Each address saw its own thread's failures only: never locked. */
    assert_int_equal(api_throttle_wait(t, "nobody", "10.0.0.0", NOW), 0);
    api_throttle_succeeded(t, "admin", NULL);
    assert_int_equal(api_throttle_wait(t, "admin", "192.0.2.1", NOW), 0);
    api_throttle_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_lost_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
