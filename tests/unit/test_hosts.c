/* Many hosts: the rule that picks a VM path's host (local first, else the
 * only host that has it, several: ambiguous), the inventory's hosts table,
 * the engine's registry on libvirt's test driver, and the host identity. */
#include "unit.h"

#include "api/core/api_host_resolve.h"
#include "db/db_hosts.h"
#include "virt/virt_hosts.h"

#include <unistd.h>

static void test_pick_local_first(void **state)
{
    (void)state;
    g_autoptr(GString) names = g_string_new(NULL);
    ApiHostCandidate c[] = {{"here", TRUE, TRUE}, {"b", FALSE, TRUE}, {"c", FALSE, TRUE}};
    assert_int_equal(api_host_pick(c, 3, names), 0);
    assert_string_equal(names->str, "");
}

static void test_pick_only_match(void **state)
{
    (void)state;
    g_autoptr(GString) names = g_string_new(NULL);
    ApiHostCandidate c[] = {{"here", TRUE, FALSE}, {"b", FALSE, FALSE}, {"c", FALSE, TRUE}};
    assert_int_equal(api_host_pick(c, 3, names), 2);
}

static void test_pick_none(void **state)
{
    (void)state;
    g_autoptr(GString) names = g_string_new(NULL);
    ApiHostCandidate c[] = {{"here", TRUE, FALSE}, {"b", FALSE, FALSE}};
    assert_int_equal(api_host_pick(c, 2, names), -1);
    assert_int_equal(api_host_pick(c, 0, names), -1);
}

static void test_pick_ambiguous_names_hosts(void **state)
{
    (void)state;
    g_autoptr(GString) names = g_string_new(NULL);
    ApiHostCandidate c[] = {{"here", TRUE, FALSE}, {"b", FALSE, TRUE}, {"c", FALSE, TRUE}};
    assert_int_equal(api_host_pick(c, 3, names), -2);
    assert_string_equal(names->str, "b, c");
}

typedef struct {
    char *dir;
    Db *db;
} DbFixture;

static int db_setup(void **state)
{
    DbFixture *f = g_new0(DbFixture, 1);
    f->dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(f->dir, "vireo.db", NULL);
    f->db = db_open(path, NULL);
    assert_non_null(f->db);
    *state = f;
    return 0;
}

static int db_teardown(void **state)
{
    DbFixture *f = *state;
    db_close(f->db);
    unit_rmtree(f->dir);
    g_free(f->dir);
    g_free(f);
    return 0;
}

static void test_db_hosts(void **state)
{
    DbFixture *f = *state;
    g_autoptr(GError) error = NULL;
    DbHost local = {.name = "here", .uri = "qemu:///system", .local = TRUE};
    gint64 id1 = db_host_create(f->db, &local, &error);
    assert_true(id1 > 0);
    /* A second local host is refused: there is one. */
    DbHost local2 = {.name = "here2", .uri = "qemu:///session", .local = TRUE};
    assert_int_equal(db_host_create(f->db, &local2, &error), 0);
    g_clear_error(&error);
    DbHost b = {.name = "b", .uri = "qemu+tcp://b/system", .uuid = "u-b", .ssh_key = "/k"};
    gint64 id2 = db_host_create(f->db, &b, &error);
    assert_true(id2 > id1);
    /* Names and host UUIDs are unique. */
    DbHost same_name = {.name = "b", .uri = "qemu+tcp://c/system"};
    assert_int_equal(db_host_create(f->db, &same_name, &error), 0);
    assert_true(g_error_matches(error, DB_ERROR, DB_ERROR_EXISTS));
    g_clear_error(&error);
    DbHost same_uuid = {.name = "c", .uri = "qemu+ssh://b/system", .uuid = "u-b"};
    assert_int_equal(db_host_create(f->db, &same_uuid, &error), 0);
    assert_true(g_error_matches(error, DB_ERROR, DB_ERROR_EXISTS));
    g_clear_error(&error);
    g_autoptr(GPtrArray) rows = db_host_list(f->db, &error);
    assert_int_equal(rows->len, 2);
    const DbHost *first = g_ptr_array_index(rows, 0);
    assert_true(first->local);
    assert_null(first->uuid);
    g_autoptr(DbHost) got = db_host_get(f->db, id2, &error);
    assert_string_equal(got->ssh_key, "/k");
    assert_null(got->tls_cert);
    g_free(got->ssh_key);
    got->ssh_key = NULL;
    assert_true(db_host_update(f->db, got, &error));
    g_autoptr(DbHost) again = db_host_get(f->db, id2, &error);
    assert_null(again->ssh_key);
    /* The local host is never deleted. */
    assert_true(db_host_delete(f->db, id1, &error));
    assert_true(db_host_delete(f->db, id2, &error));
    g_autoptr(GPtrArray) left = db_host_list(f->db, &error);
    assert_int_equal(left->len, 1);
}

static void test_registry_on_test_driver(void **state)
{
    (void)state;
    virt_init();
    g_autoptr(GError) error = NULL;
    VirtHosts *hosts = virt_hosts_new(NULL);
    VirtHostSpec here = {.id = 1, .name = "here", .uri = "test:///default", .local = TRUE};
    VirtHostSpec other = {.id = 2, .name = "other", .uri = "test:///default"};
    g_autoptr(VirtHost) h1 = virt_hosts_add(hosts, &here);
    g_autoptr(VirtHost) h2 = virt_hosts_add(hosts, &other);
    virt_host_start(h1);
    virt_host_start(h2);
    /* The local host is connected when start returns; the other soon. */
    assert_true(virt_conn_is_up(virt_host_conn(h1)));
    for (int i = 0; i < 200 && !virt_conn_is_up(virt_host_conn(h2)); i++)
        g_usleep(10000);
    VirtConnHealth health;
    virt_host_health(h2, &health);
    assert_int_equal(health.state, VIRT_CONN_CONNECTED);
    assert_null(health.reason);
    /* The test driver has no host UUID: it is known by its URI. */
    g_autoptr(virConnect) conn = virt_conn_get(virt_host_conn(h1), &error);
    g_autofree char *uuid = virt_host_read_uuid(conn, &error);
    assert_string_equal(uuid, "uri:test:///default");
    virt_host_refresh_figures(h1);
    VirtHostFigures fig;
    virt_host_figures(h1, &fig);
    assert_true(fig.known);
    assert_string_equal(fig.driver, "TEST");
    assert_true(fig.cpus > 0);
    /* Found by name or id; the local one first in lists. */
    g_autoptr(VirtHost) by_name = virt_hosts_find(hosts, "other");
    assert_ptr_equal(by_name, h2);
    g_autoptr(VirtHost) by_id = virt_hosts_find(hosts, "2");
    assert_ptr_equal(by_id, h2);
    assert_null(virt_hosts_find(hosts, "nowhere"));
    g_autoptr(VirtHost) local = virt_hosts_local(hosts);
    assert_ptr_equal(local, h1);
    virt_host_set_name(h2, "renamed");
    g_autoptr(GPtrArray) all = virt_hosts_list(hosts);
    assert_int_equal(all->len, 2);
    assert_ptr_equal(g_ptr_array_index(all, 0), h1);
    g_autofree char *name = virt_host_name(g_ptr_array_index(all, 1));
    assert_string_equal(name, "renamed");
    /* Removed at run time; whoever still holds it keeps a working host. */
    assert_true(virt_hosts_remove(hosts, 2));
    assert_false(virt_hosts_remove(hosts, 2));
    assert_null(virt_hosts_get(hosts, 2));
    g_autoptr(virConnect) still = virt_conn_get(virt_host_conn(h2), &error);
    assert_non_null(still);
    /* A host that cannot be reached is unreachable, with the reason. */
    VirtHostSpec none = {.id = 3, .name = "none", .uri = "qemu+tcp://127.0.0.1:1/system"};
    g_autoptr(VirtHost) h3 = virt_hosts_add(hosts, &none);
    virt_host_start(h3);
    g_autofree char *reason = NULL;
    for (int i = 0; i < 300; i++) {
        virt_host_health(h3, &health);
        if (health.reason && strstr(health.reason, "connect")) {
            reason = health.reason;
            break;
        }
        g_free(health.reason);
        g_usleep(10000);
    }
    assert_non_null(reason);
    assert_int_not_equal(health.state, VIRT_CONN_CONNECTED);
    virt_hosts_free(hosts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_local_first),
        cmocka_unit_test(test_pick_only_match),
        cmocka_unit_test(test_pick_none),
        cmocka_unit_test(test_pick_ambiguous_names_hosts),
        cmocka_unit_test_setup_teardown(test_db_hosts, db_setup, db_teardown),
        cmocka_unit_test(test_registry_on_test_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
