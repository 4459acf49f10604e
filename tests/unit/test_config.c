/* Command line and config file: precedence, validation, listen parsing;
 * every row of the settings table read both ways, listed by --help and
 * in README.md's configuration table. */
#include "unit.h"

#include "server/config.h"
#include "server/http.h"
#include "server/tls.h"

#include <string.h>
#include <netinet/in.h>

#ifndef VIREO_SOURCE_DIR
#define VIREO_SOURCE_DIR "."
#endif

/* The value of a setting as text, the way the file and options write it;
 * NULL for an unset string. */
static char *value_text(Config *cfg, const ConfigSetting *s)
{
    switch (s->type) {
    case CONFIG_UNSIGNED: return g_strdup_printf("%u", G_STRUCT_MEMBER(unsigned, cfg, s->offset));
    case CONFIG_BOOL: return g_strdup(G_STRUCT_MEMBER(gboolean, cfg, s->offset) ? "true" : "false");
    default: return g_strdup(G_STRUCT_MEMBER(char *, cfg, s->offset));
    }
}

/* Values of the row's type that are not its default: each must read back. */
static GPtrArray *good_values(const ConfigSetting *s)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    switch (s->type) {
    case CONFIG_UNSIGNED:
        g_ptr_array_add(out, g_strdup_printf("%u", s->min));
        g_ptr_array_add(out, g_strdup_printf("%u", s->max));
        g_ptr_array_add(out, g_strdup_printf("%u", s->min + (s->max - s->min) / 2));
        break;
    case CONFIG_BOOL:
    case CONFIG_ENUM:
        for (const char *const *c = s->choices; *c; c++)
            g_ptr_array_add(out, g_strdup(*c));
        break;
    case CONFIG_PATH:
        g_ptr_array_add(out, g_strdup_printf("/tmp/vireo unit/%s.x", s->key));
        g_ptr_array_add(out, g_strdup("relative/name"));
        break;
    case CONFIG_STRING:
        /* The libvirt URI is checked as one (virt_uri.h). */
        if (strcmp(s->key, "connect") == 0)
            g_ptr_array_add(out, g_strdup("qemu+ssh://root@[::1]:2222/system?keyfile=/k%20x"));
        else
            g_ptr_array_add(out, g_strdup_printf("value of %s: [::1]:1 = #x", s->key));
        break;
    }
    return out;
}

static void assert_value(Config *cfg, const ConfigSetting *s, const char *want, const char *how)
{
    g_autofree char *got = value_text(cfg, s);
    if (g_strcmp0(got, want) != 0)
        fail_msg("%s %s: set '%s', read back '%s'", how, s->key, want, got ? got : "(null)");
}

static gboolean apply_args(Config *cfg, const char *key, const char *value, GError **error)
{
    g_autofree char *opt = g_strconcat("--", key, NULL);
    char *argv[] = {"vireod", opt, (char *)value, NULL};
    gboolean exit_now;
    gboolean ok = config_from_args(cfg, 3, argv, &exit_now, error);
    assert_false(exit_now);
    return ok;
}

static void test_file_then_args(void **state)
{
    (void)state;
    g_autofree char *dir = unit_tmpdir();
    g_autofree char *path = g_build_filename(dir, "vireod.conf", NULL);
    assert_true(g_file_set_contents(path,
                                    "# settings\nlisten = 127.0.0.1:9000\n"
                                    "connect=test:///default\n\nlog-level = debug\n"
                                    "max-connections = 100\n",
                                    -1, NULL));
    Config cfg;
    config_init_defaults(&cfg);
    char *argv[] = {
        "vireod", "--config", path, "--listen", "127.0.0.1:9001", "--max-connections=200", NULL};
    gboolean exit_now;
    g_autoptr(GError) e = NULL;
    assert_true(config_from_args(&cfg, 6, argv, &exit_now, &e));
    assert_false(exit_now);
    assert_string_equal(cfg.listen, "127.0.0.1:9001"); /* command line wins */
    assert_int_equal(cfg.max_connections, 200);
    assert_string_equal(cfg.connect, "test:///default");
    assert_string_equal(cfg.log_level, "debug");
    assert_string_equal(cfg.db, "/var/lib/vireo/vireo.db");
    config_clear(&cfg);
    unit_rmtree(dir);
}

static void test_defaults_are_the_table(void **state)
{
    (void)state;
    Config cfg;
    config_init_defaults(&cfg);
    for (const ConfigSetting *s = config_settings; s->key; s++)
        assert_value(&cfg, s, s->def, "default of");
    /* The rows' keys are unique, or the second of two would be dead. */
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (const ConfigSetting *s = config_settings; s->key; s++)
        if (!g_hash_table_add(seen, (gpointer)s->key))
            fail_msg("setting %s is in the table twice", s->key);
    config_clear(&cfg);
}

static void test_every_setting_round_trips(void **state)
{
    (void)state;
    for (const ConfigSetting *s = config_settings; s->key; s++) {
        g_autoptr(GPtrArray) values = good_values(s);
        for (guint i = 0; i < values->len; i++) {
            const char *v = values->pdata[i];
            g_autoptr(GError) e = NULL;
            Config cfg;
            config_init_defaults(&cfg);
            g_autofree char *text = g_strdup_printf("# one\n  %s =  %s  \n", s->key, v);
            if (!config_parse_text(&cfg, text, &e))
                fail_msg("file: %s = %s: %s", s->key, v, e->message);
            assert_value(&cfg, s, v, "file:");
            config_clear(&cfg);

            config_init_defaults(&cfg);
            if (!apply_args(&cfg, s->key, v, &e))
                fail_msg("--%s %s: %s", s->key, v, e->message);
            assert_value(&cfg, s, v, "command line:");
            config_clear(&cfg);
        }
    }
}

static void add_bad(GPtrArray *out, char *value, char *message)
{
    g_ptr_array_add(out, value);
    g_ptr_array_add(out, message);
}

/* Values of the row's type that must be refused, each followed by the
 * error message (or its start) that says why. */
static GPtrArray *bad_values(const ConfigSetting *s)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *k = s->key;
    switch (s->type) {
    case CONFIG_UNSIGNED: {
        const char *bad[] = {"18446744073709551616", "-1", "+5", "0x10", "12abc", " 7", ""};
        g_autofree char *range = g_strdup_printf("%s must be a whole number from %u to %u", k,
                                                 s->min, s->max);
        if (s->min > 0)
            add_bad(out, g_strdup_printf("%u", s->min - 1), g_strdup(range));
        add_bad(out, g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)s->max + 1), g_strdup(range));
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
            add_bad(out, g_strdup(bad[i]), g_strdup(range));
        break;
    }
    case CONFIG_BOOL: {
        const char *bad[] = {"yes", "1", "TRUE", "true ", ""};
        for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
            add_bad(out, g_strdup(bad[i]), g_strdup_printf("%s must be true or false", k));
        break;
    }
    case CONFIG_ENUM: {
        /* "log-level must be debug, info, warn or error": the start is enough. */
        char *values[] = {g_strdup("bogus"), g_strdup_printf("%s ", s->choices[0]),
                          g_ascii_strup(s->choices[0], -1), g_strdup("")};
        for (gsize i = 0; i < G_N_ELEMENTS(values); i++)
            add_bad(out, values[i], g_strdup_printf("%s must be %s", k, s->choices[0]));
        break;
    }
    case CONFIG_PATH:
        add_bad(out, g_strdup("/tmp/a\x1b[31mb"),
                g_strdup_printf("%s must be a path without control characters", k));
        add_bad(out, g_strdup("/tmp/a\tb"),
                g_strdup_printf("%s must be a path without control characters", k));
        add_bad(out, g_strdup(""), g_strdup_printf("%s needs a value", k));
        break;
    case CONFIG_STRING: add_bad(out, g_strdup(""), g_strdup_printf("%s needs a value", k)); break;
    }
    return out;
}

static void test_bad_values_refused(void **state)
{
    (void)state;
    for (const ConfigSetting *s = config_settings; s->key; s++) {
        g_autoptr(GPtrArray) bad = bad_values(s);
        for (guint i = 0; i < bad->len; i += 2) {
            const char *v = bad->pdata[i], *message = bad->pdata[i + 1];
            g_autoptr(GError) e = NULL;
            Config cfg;
            config_init_defaults(&cfg);
            /* Through the file too, unless its trimming of blanks would
             * make the value another one. */
            if (!g_ascii_isspace(v[0]) && !(*v && g_ascii_isspace(v[strlen(v) - 1]))) {
                g_autofree char *text = g_strdup_printf("\n\n%s = %s\n", s->key, v);
                if (config_parse_text(&cfg, text, &e))
                    fail_msg("file: %s = '%s' was taken", s->key, v);
                if (!g_str_has_prefix(e->message, "line 3: ") || !strstr(e->message, message))
                    fail_msg("file: %s = '%s': message '%s', want '%s'", s->key, v, e->message,
                             message);
                assert_value(&cfg, s, s->def, "a refused line changed");
                g_clear_error(&e);
            }
            if (apply_args(&cfg, s->key, v, &e))
                fail_msg("--%s '%s' was taken", s->key, v);
            if (!g_str_has_prefix(e->message, message))
                fail_msg("--%s '%s': message '%s', want '%s'", s->key, v, e->message, message);
            assert_value(&cfg, s, s->def, "a refused option changed");
            config_clear(&cfg);
        }
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    Config cfg;
    config_init_defaults(&cfg);
    g_autoptr(GError) e = NULL;
    assert_false(config_parse_text(&cfg, "listen 127.0.0.1:1\n", &e));
    assert_string_equal(e->message, "line 1: expected 'key = value'");
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "\nbogus = 1\n", &e));
    assert_string_equal(e->message, "line 2: unknown setting 'bogus'");
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "log-level = loud\n", &e));
    assert_string_equal(e->message, "line 1: log-level must be debug, info, warn or error");
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "threads = 0\n", &e));
    assert_string_equal(e->message, "line 1: threads must be a whole number from 1 to 256");
    g_clear_error(&e);
    assert_false(config_parse_text(&cfg, "auth = ldap\n", &e));
    assert_string_equal(e->message, "line 1: auth must be local or pam");
    g_clear_error(&e);
    gboolean exit_now;
    char *unknown[] = {"vireod", "--bogus", NULL};
    assert_false(config_from_args(&cfg, 2, unknown, &exit_now, &e));
    assert_string_equal(e->message, "unknown or incomplete option '--bogus' (see --help)");
    g_clear_error(&e);
    char *missing[] = {"vireod", "--threads", NULL};
    assert_false(config_from_args(&cfg, 2, missing, &exit_now, &e));
    g_clear_error(&e);
    char *extra[] = {"vireod", "stray", NULL};
    assert_false(config_from_args(&cfg, 2, extra, &exit_now, &e));
    assert_string_equal(e->message, "unexpected argument 'stray' (see --help)");
    g_clear_error(&e);
    char *too_many_threads[] = {"vireod", "--threads=200", "--max-connections=100", NULL};
    assert_false(config_from_args(&cfg, 3, too_many_threads, &exit_now, &e));
    assert_string_equal(e->message, "threads (200) must not be more than max-connections (100)");
    config_clear(&cfg);
}

static void test_help_lists_every_key(void **state)
{
    (void)state;
    g_autofree char *help = config_help_text();
    g_auto(GStrv) lines = g_strsplit(help, "\n", -1);
    for (char **l = lines; *l; l++)
        if (strlen(*l) > 79)
            fail_msg("--help line wider than 79 columns: '%s'", *l);
    const char *specials[] = {"config", "help", "version"};
    for (gsize i = 0; i < G_N_ELEMENTS(specials); i++) {
        g_autofree char *opt = g_strdup_printf("\n  --%s", specials[i]);
        assert_non_null(strstr(help, opt));
    }
    for (const ConfigSetting *s = config_settings; s->key; s++) {
        g_autofree char *opt = g_strdup_printf("\n  --%s %s", s->key, s->arg);
        if (!strstr(help, opt))
            fail_msg("--help lacks '%s'", opt + 1);
        assert_true(s->help && *s->help);
    }
    /* Defaults and ranges are said, with their words kept together. */
    assert_non_null(strstr(help, "(1 to 256; default 4)"));
    assert_non_null(strstr(help, "(debug, info, warn or error;"));
}

/* The `--key` names in the first column of README.md's configuration table. */
static GHashTable *readme_keys(void)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(VIREO_SOURCE_DIR "/README.md", &text, NULL, &e))
        fail_msg("README.md: %s", e->message);
    const char *section = strstr(text, "\n## Configuration\n");
    assert_non_null(section);
    const char *end = strstr(section + 1, "\n## ");
    g_autofree char *body = g_strndup(section, end ? (gsize)(end - section) : strlen(section));
    g_autoptr(GRegex) opt = g_regex_new("`--([a-z0-9-]+)", 0, 0, NULL);
    GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (!g_str_has_prefix(*l, "| `--"))
            continue;
        /* The first cell ends at the first '|' that is not escaped. */
        const char *cell = *l + 1, *p = cell;
        while (*p && !(*p == '|' && p[-1] != '\\'))
            p++;
        g_autofree char *first = g_strndup(cell, (gsize)(p - cell));
        g_autoptr(GMatchInfo) m = NULL;
        g_regex_match(opt, first, 0, &m);
        for (; g_match_info_matches(m); g_match_info_next(m, NULL))
            g_hash_table_add(keys, g_match_info_fetch(m, 1));
    }
    return keys;
}

static void test_readme_lists_every_key(void **state)
{
    (void)state;
    g_autoptr(GHashTable) keys = readme_keys();
    for (const ConfigSetting *s = config_settings; s->key; s++)
        if (!g_hash_table_remove(keys, s->key))
            fail_msg("README.md's configuration table lacks --%s", s->key);
    g_hash_table_remove(keys, "config"); /* not a setting, but an option */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, keys);
    while (g_hash_table_iter_next(&it, &key, NULL))
        fail_msg("README.md's configuration table names --%s, which is no setting", (char *)key);
}

/* packaging/vireod.conf reads as it is, and so does each commented-out
 * setting once its '#' is taken away. */
static void test_packaged_conf_reads(void **state)
{
    (void)state;
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(VIREO_SOURCE_DIR "/packaging/vireod.conf", &text, NULL, &e))
        fail_msg("packaging/vireod.conf: %s", e->message);
    Config cfg;
    config_init_defaults(&cfg);
    if (!config_parse_text(&cfg, text, &e))
        fail_msg("packaging/vireod.conf: %s", e->message);
    config_clear(&cfg);
    g_autoptr(GRegex) commented = g_regex_new("^# ?([a-z0-9-]+ = .*)$", 0, 0, NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    int settings = 0;
    for (char **l = lines; *l; l++) {
        g_autoptr(GMatchInfo) m = NULL;
        if (!g_regex_match(commented, *l, 0, &m))
            continue;
        g_autofree char *line = g_match_info_fetch(m, 1);
        config_init_defaults(&cfg);
        if (!config_parse_text(&cfg, line, &e))
            fail_msg("packaging/vireod.conf, uncommented '%s': %s", line, e->message);
        config_clear(&cfg);
        settings++;
    }
    assert_true(settings > 0);
}

/* The default priority string is one GnuTLS takes; a bad one is refused
 * with the part GnuTLS stopped at. */
static void test_tls_priority_checked(void **state)
{
    (void)state;
    g_autoptr(GError) e = NULL;
    Config cfg;
    config_init_defaults(&cfg);
    assert_string_equal(cfg.tls_priority, TLS_DEFAULT_PRIORITY);
    if (!tls_check_priority(cfg.tls_priority, &e))
        fail_msg("the default tls-priority: %s", e->message);
    config_clear(&cfg);
    assert_true(tls_check_priority("NORMAL:-VERS-ALL:+VERS-TLS1.3", &e));
    assert_false(tls_check_priority("NORMAL:+BOGUS-THING:-VERS-ALL", &e));
    assert_non_null(strstr(e->message, "'+BOGUS-THING' at character 8"));
    g_clear_error(&e);
    assert_false(tls_check_priority("NORMAL:", &e));
    assert_non_null(strstr(e->message, "an empty part at character 8"));
    g_clear_error(&e);
    assert_false(tls_check_priority("NORMAL:-VERS-ALL", &e));
    assert_non_null(strstr(e->message, "at least one TLS version"));
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
    const char *bad[] = {
        "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "localhost:80", "[::1:80", "1.2.3.4:x", ""};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_false(http_parse_listen(bad[i], &ss, &e));
        g_clear_error(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_then_args),
        cmocka_unit_test(test_defaults_are_the_table),
        cmocka_unit_test(test_every_setting_round_trips),
        cmocka_unit_test(test_bad_values_refused),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_help_lists_every_key),
        cmocka_unit_test(test_readme_lists_every_key),
        cmocka_unit_test(test_packaged_conf_reads),
        cmocka_unit_test(test_tls_priority_checked),
        cmocka_unit_test(test_listen_parsing),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
