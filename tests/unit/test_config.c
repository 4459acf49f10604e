/* Command line and config file: precedence, validation, listen parsing. */
#include "unit.h"

#include "server/config.h"
#include "server/http.h"

#include <netinet/in.h>

static void test_file_then_args(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(dir, "vireod.conf", NULL);
    assert_true(g_file_set_contents(path, "# settings\nlisten = 127.0.0.1:9000\n"
                                          "connect=test:///default\n\nlog-level = debug\n", -1, NULL));
    Config cfg;
    config_init_defaults(&cfg);
    char *argv[] = {"vireod", "--config", path, "--listen", "127.0.0.1:9001", NULL};
    gboolean exit_now;
    g_autoptr(GError) e = NULL;
    assert_true(config_from_args(&cfg, 5, argv, &exit_now, &e));
    assert_false(exit_now);
    assert_string_equal(cfg.listen, "127.0.0.1:9001");   /* command line wins */
    assert_string_equal(cfg.connect, "test:///default");
    assert_string_equal(cfg.log_level, "debug");
    assert_string_equal(cfg.db, "/var/lib/vireo/vireo.db");
    config_clear(&cfg);
    unit_rmtree(dir);
}

static void test_bad_input(void **state)
{
    (void)state;
    Config cfg;
    config_init_defaults(&cfg);
    g_autoptr(GError) e = NULL;
    assert_false(config_parse_text(&cfg, "listen 127.0.0.1:1\n", &e));
    assert_non_null(strstr(e->message, "line 1"));
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "\nbogus = 1\n", &e));
    assert_non_null(strstr(e->message, "line 2"));
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "log-level = loud\n", &e));
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "threads = 0\n", &e));
    g_clear_error(&e);
    char *argv[] = {"vireod", "--bogus", NULL};
    gboolean exit_now;
    assert_false(config_from_args(&cfg, 2, argv, &exit_now, &e));
    config_clear(&cfg);
}

static void test_listen_parsing(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    g_autoptr(GError) e = NULL;
    assert_true(http_parse_listen("127.0.0.1:8080", &ss, &e));
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_true(http_parse_listen("[::1]:9090", &ss, &e));
    assert_int_equal(ss.ss_family, AF_INET6);
    const char *bad[] = {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "localhost:80",
                         "[::1:80", "1.2.3.4:x", ""};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(http_parse_listen(bad[i], &ss, &e));
        g_clear_error(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_then_args),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_listen_parsing),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
