/* The VM model (virt/virt_model.h) on libvirt's in-process test:///default
 * driver: the first snapshot, changes libvirt announces (define, start,
 * description) and changes it does not (autostart), a caller reading its
 * own change at once, what it reports after a reconnect, and no answer
 * while libvirt is away. Liveness bounds only (10 s): no speed is tested. */
#include "unit.h"

#include "virt/virt_conn.h"
#include "virt/virt_error.h"
#include "virt/virt_model.h"

#include <libvirt/virterror.h>
#include <string.h>

#define LIVENESS_US (10 * G_USEC_PER_SEC)

typedef struct {
    VirtConn *vc;
    VirtModel *model;
    virConnectPtr conn;    /* the test's own, to change things behind the model */
    gboolean route_events; /* pass libvirt's events on to the model */
    GMutex lock;
    GPtrArray *changes; /* "event name" strings the model reported */
} Fixture;

static void on_event(const char *uuid, const char *name G_GNUC_UNUSED, int event,
                     int detail G_GNUC_UNUSED, gpointer data)
{
    Fixture *f = data;
    if (f->route_events && f->model)
        virt_model_domain_event(f->model, uuid);
}

static void on_connected(gpointer data)
{
    Fixture *f = data;
    if (f->model)
        virt_model_reconnected(f->model);
}

static void on_change(const char *uuid G_GNUC_UNUSED, const char *name, int event, gpointer data)
{
    Fixture *f = data;
    g_mutex_lock(&f->lock);
    g_ptr_array_add(f->changes, g_strdup_printf("%d %s", event, name));
    g_mutex_unlock(&f->lock);
}

static int setup(void **state)
{
    virt_init();
    Fixture *f = g_new0(Fixture, 1);
    g_mutex_init(&f->lock);
    f->changes = g_ptr_array_new_with_free_func(g_free);
    f->route_events = TRUE;
    f->conn = virConnectOpen("test:///default");
    assert_non_null(f->conn);
    f->vc = virt_conn_new("test:///default", on_event, on_connected, f);
    f->model = virt_model_new(f->vc, on_change, NULL, f);
    virt_conn_start(f->vc);
    *state = f;
    return 0;
}

static void undefine_all(virConnectPtr conn)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    for (int i = 0; i < n; i++) {
        if (g_str_has_prefix(virDomainGetName(doms[i]), "unit-")) {
            if (virDomainIsActive(doms[i]) == 1)
                virDomainDestroy(doms[i]);
            virDomainUndefine(doms[i]);
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virResetLastError();
}

static int teardown(void **state)
{
    Fixture *f = *state;
    virt_model_free(f->model);
    f->model = NULL;
    virt_conn_free(f->vc);
    undefine_all(f->conn);
    virConnectClose(f->conn);
    g_ptr_array_unref(f->changes);
    g_mutex_clear(&f->lock);
    g_free(f);
    return 0;
}

static virDomainPtr define(Fixture *f, const char *name)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='test'><name>%s</name><memory unit='MiB'>128</memory>"
        "<vcpu current='1'>4</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
        name);
    virDomainPtr d = virDomainDefineXML(f->conn, xml);
    assert_non_null(d);
    return d;
}

static const VirtDomainSummary *find(const VirtModelSnapshot *s, const char *name)
{
    for (guint i = 0; i < s->domains->len; i++) {
        const VirtDomainSummary *d = g_ptr_array_index(s->domains, i);
        if (strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

static VirtModelSnapshot *snap(Fixture *f)
{
    g_autoptr(GError) error = NULL;
    VirtModelSnapshot *s = virt_model_snapshot(f->model, &error);
    if (!s)
        fail_msg("snapshot: %s", error->message);
    return s;
}

/* Takes snapshots until `ok` holds for domain `name` (NULL when absent). */
static void until(Fixture *f, const char *name, gboolean (*ok)(const VirtDomainSummary *))
{
    gint64 deadline = g_get_monotonic_time() + LIVENESS_US;
    for (;;) {
        g_autoptr(VirtModelSnapshot) s = snap(f);
        if (ok(find(s, name)))
            return;
        assert_true(g_get_monotonic_time() < deadline);
        g_usleep(20 * 1000);
    }
}

static gboolean present(const VirtDomainSummary *d)
{
    return d != NULL;
}
static gboolean absent(const VirtDomainSummary *d)
{
    return d == NULL;
}
static gboolean running(const VirtDomainSummary *d)
{
    return d && d->state == VIR_DOMAIN_RUNNING;
}
static gboolean autostarting(const VirtDomainSummary *d)
{
    return d && d->autostart;
}
static gboolean described(const VirtDomainSummary *d)
{
    return d && strcmp(d->description, "from libvirt") == 0;
}

static gboolean reported(Fixture *f, const char *what)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&f->lock);
    for (guint i = 0; i < f->changes->len; i++)
        if (strcmp(g_ptr_array_index(f->changes, i), what) == 0)
            return TRUE;
    return FALSE;
}

/* Reports come from the model's thread just after the fetch that found
 * them: wait for one (liveness bound). */
static void wait_reported(Fixture *f, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + LIVENESS_US;
    while (!reported(f, what)) {
        if (g_get_monotonic_time() >= deadline) {
            g_autoptr(GString) all = g_string_new(NULL);
            g_mutex_lock(&f->lock);
            for (guint i = 0; i < f->changes->len; i++)
                g_string_append_printf(all, "[%s] ", (char *)g_ptr_array_index(f->changes, i));
            g_mutex_unlock(&f->lock);
            fail_msg("'%s' not reported; reported: %s", what, all->str);
        }
        g_usleep(10 * 1000);
    }
}

static void test_first_snapshot(void **state)
{
    Fixture *f = *state;
    g_autoptr(VirtModelSnapshot) s = snap(f);
    /* The test driver's own domain, with what the list shows. */
    const VirtDomainSummary *t = find(s, "test");
    assert_non_null(t);
    assert_int_equal(t->state, VIR_DOMAIN_RUNNING);
    assert_true(t->vcpus > 0 && t->memory_kib > 0);
    assert_true(t->persistent);
    assert_non_null(t->description);
    /* Sorted by name, descriptions never NULL. */
    for (guint i = 1; i < s->domains->len; i++) {
        const VirtDomainSummary *a = g_ptr_array_index(s->domains, i - 1);
        const VirtDomainSummary *b = g_ptr_array_index(s->domains, i);
        assert_true(strcmp(a->name, b->name) < 0);
        assert_non_null(b->description);
    }
    /* Nothing changed: the same snapshot again. */
    g_autoptr(VirtModelSnapshot) again = snap(f);
    assert_int_equal(again->generation, s->generation);
}

static void test_announced_changes(void **state)
{
    Fixture *f = *state;
    g_autoptr(VirtModelSnapshot) before = snap(f);
    g_autoptr(virDomain) d = define(f, "unit-a");
    until(f, "unit-a", present);
    assert_int_equal(virDomainCreate(d), 0);
    until(f, "unit-a", running);
    assert_int_equal(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_DESCRIPTION, "from libvirt", NULL,
                                          NULL, VIR_DOMAIN_AFFECT_LIVE),
                     0);
    until(f, "unit-a", described);
    assert_int_equal(virDomainDestroy(d), 0);
    assert_int_equal(virDomainUndefine(d), 0);
    until(f, "unit-a", absent);
    g_autoptr(VirtModelSnapshot) after = snap(f);
    assert_true(after->generation > before->generation);
    /* libvirt told of each: the model does not tell again. */
    assert_false(reported(f, "0 unit-a"));
    assert_false(reported(f, "1 unit-a"));
}

static void test_unannounced_change(void **state)
{
    Fixture *f = *state;
    g_autoptr(virDomain) d = define(f, "unit-b");
    until(f, "unit-b", present);
    /* The test driver, like qemu, raises no event for autostart. */
    assert_int_equal(virDomainSetAutostart(d, 1), 0);
    until(f, "unit-b", autostarting);
    wait_reported(f, "1004 unit-b"); /* VIRT_DOMAIN_EVENT_CHANGED */
}

static void test_own_change_read_at_once(void **state)
{
    Fixture *f = *state;
    /* Events are not passed on: only the invalidation says it changed. */
    f->route_events = FALSE;
    g_autoptr(virDomain) d = define(f, "unit-c");
    virt_model_invalidate(f->model, NULL);
    g_autoptr(VirtModelSnapshot) s = snap(f);
    assert_non_null(find(s, "unit-c"));
    assert_int_equal(virDomainSetAutostart(d, 1), 0);
    assert_int_equal(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_DESCRIPTION, "from libvirt", NULL,
                                          NULL, VIR_DOMAIN_AFFECT_CONFIG),
                     0);
    char uuid[VIR_UUID_STRING_BUFLEN];
    virDomainGetUUIDString(d, uuid);
    virt_model_invalidate(f->model, uuid);
    g_autoptr(VirtModelSnapshot) s2 = snap(f);
    assert_true(find(s2, "unit-c")->autostart);
    assert_string_equal(find(s2, "unit-c")->description, "from libvirt");
}

static VirtDomainSummary *summary(const char *name, const char *uuid, int state, gboolean autostart,
                                  const char *description)
{
    VirtDomainSummary *d = g_new0(VirtDomainSummary, 1);
    d->name = g_strdup(name);
    g_strlcpy(d->uuid, uuid, sizeof(d->uuid));
    d->state = state;
    d->vcpus = 1;
    d->memory_kib = 65536;
    d->autostart = autostart;
    d->persistent = TRUE;
    d->description = description ? g_strdup(description) : NULL;
    return d;
}

static GPtrArray *domains(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)virt_domain_summary_free);
}

static char *told(GPtrArray *changes)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < changes->len; i++) {
        const VirtModelChange *c = g_ptr_array_index(changes, i);
        g_string_append_printf(s, "%d %s;", c->event, c->name);
    }
    return g_string_free(s, FALSE);
}

static void test_what_a_fetch_tells(void **state G_GNUC_UNUSED)
{
    g_autoptr(GPtrArray) old = domains();
    g_ptr_array_add(old, summary("a", "00000000-0000-0000-0000-00000000000a", 5, FALSE, "da"));
    g_ptr_array_add(old, summary("b", "00000000-0000-0000-0000-00000000000b", 5, FALSE, ""));
    g_ptr_array_add(old, summary("gone", "00000000-0000-0000-0000-00000000000c", 5, FALSE, ""));
    g_autoptr(GPtrArray) now = domains();
    /* a: started (libvirt told), description not read this time */
    g_ptr_array_add(now, summary("a", "00000000-0000-0000-0000-00000000000a", 1, FALSE, NULL));
    /* b: autostart (libvirt never tells) */
    g_ptr_array_add(now, summary("b", "00000000-0000-0000-0000-00000000000b", 5, TRUE, ""));
    g_ptr_array_add(now, summary("new", "00000000-0000-0000-0000-00000000000d", 5, FALSE, ""));
    g_autoptr(GPtrArray)
        changes = g_ptr_array_new_with_free_func((GDestroyNotify)virt_model_change_free);

    /* Connected: only what no event tells of. */
    assert_true(virt_model_diff(old, now, FALSE, changes));
    g_autofree char *connected = told(changes);
    assert_string_equal(connected, "1004 b;");
    /* The description not read is the last one known. */
    assert_string_equal(((VirtDomainSummary *)g_ptr_array_index(now, 0))->description, "da");

    /* After a reconnect: everything that changed meanwhile. */
    g_ptr_array_set_size(changes, 0);
    assert_true(virt_model_diff(old, now, TRUE, changes));
    g_autofree char *missed = told(changes);
    assert_string_equal(missed, "1004 a;1004 b;0 new;1 gone;");

    /* Nothing differs: nothing to tell, and the snapshot stays. */
    g_ptr_array_set_size(changes, 0);
    assert_false(virt_model_diff(now, now, TRUE, changes));
    assert_int_equal(changes->len, 0);

    /* The first fetch tells of nothing. */
    assert_true(virt_model_diff(NULL, now, TRUE, changes));
    assert_int_equal(changes->len, 0);
}

static VirtDomainNextBoot *waits(unsigned vcpus)
{
    VirtDomainNextBoot *n = g_new0(VirtDomainNextBoot, 1);
    n->vcpus = vcpus;
    return n;
}

/* What waits for the next boot is read with the description: kept from
 * the last fetch while the domain runs on, dropped once its state moved,
 * and a change of it is a new snapshot (an event or Vireo's edit read it). */
static void test_next_boot_kept_with_the_description(void **state G_GNUC_UNUSED)
{
    g_autoptr(GPtrArray) old = domains();
    g_ptr_array_add(old, summary("a", "00000000-0000-0000-0000-00000000000a", 1, FALSE, ""));
    g_ptr_array_add(old, summary("b", "00000000-0000-0000-0000-00000000000b", 1, FALSE, ""));
    ((VirtDomainSummary *)g_ptr_array_index(old, 0))->next_boot = waits(4);
    ((VirtDomainSummary *)g_ptr_array_index(old, 1))->next_boot = waits(2);
    g_autoptr(GPtrArray) now = domains();
    /* a: not read again, still running; b: not read again, stopped */
    g_ptr_array_add(now, summary("a", "00000000-0000-0000-0000-00000000000a", 1, FALSE, NULL));
    g_ptr_array_add(now, summary("b", "00000000-0000-0000-0000-00000000000b", 5, FALSE, NULL));
    g_autoptr(GPtrArray)
        changes = g_ptr_array_new_with_free_func((GDestroyNotify)virt_model_change_free);
    assert_true(virt_model_diff(old, now, FALSE, changes));
    const VirtDomainSummary *a = g_ptr_array_index(now, 0);
    assert_non_null(a->next_boot);
    assert_int_equal(a->next_boot->vcpus, 4);
    assert_null(((VirtDomainSummary *)g_ptr_array_index(now, 1))->next_boot);

    /* Read again and different: the snapshot differs. */
    g_autoptr(GPtrArray) later = domains();
    g_ptr_array_add(later, summary("a", "00000000-0000-0000-0000-00000000000a", 1, FALSE, ""));
    g_ptr_array_add(later, summary("b", "00000000-0000-0000-0000-00000000000b", 5, FALSE, ""));
    ((VirtDomainSummary *)g_ptr_array_index(later, 0))->next_boot = waits(8);
    g_ptr_array_set_size(changes, 0);
    assert_true(virt_model_diff(now, later, FALSE, changes));
    /* Read again and the same: nothing differs. */
    g_autoptr(GPtrArray) same = domains();
    g_ptr_array_add(same, summary("a", "00000000-0000-0000-0000-00000000000a", 1, FALSE, ""));
    g_ptr_array_add(same, summary("b", "00000000-0000-0000-0000-00000000000b", 5, FALSE, ""));
    ((VirtDomainSummary *)g_ptr_array_index(same, 0))->next_boot = waits(8);
    assert_false(virt_model_diff(later, same, FALSE, changes));
}

static void test_unavailable(void **state G_GNUC_UNUSED)
{
    virt_init();
    /* A connection manager never started is a libvirt that is away. */
    VirtConn *vc = virt_conn_new("test:///default", NULL, NULL, NULL);
    VirtModel *m = virt_model_new(vc, NULL, NULL, NULL);
    g_autoptr(GError) error = NULL;
    assert_null(virt_model_snapshot(m, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_UNAVAILABLE));
    virt_model_free(m);
    virt_conn_free(vc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_announced_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unannounced_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_change_read_at_once, setup, teardown),
        cmocka_unit_test(test_what_a_fetch_tells),
        cmocka_unit_test(test_next_boot_kept_with_the_description),
        cmocka_unit_test(test_unavailable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
