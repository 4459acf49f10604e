/* libFuzzer target: the vireod.conf reader (config_parse_text) on top of
 * the defaults. The input is the file's text. */
#include <stdint.h>

#include "fuzz_common.h"
#include "server/config.h"

static void check_setting(const char *key, const char *value)
{
    FUZZ_CHECK(value && *value, "setting %s is %s after parsing", key,
               value ? "empty" : "NULL");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    Config cfg;
    config_init_defaults(&cfg);
    GError *error = NULL;
    gboolean ok = config_parse_text(&cfg, text, &error);
    if (ok) {
        FUZZ_CHECK(error == NULL, "success with an error set: %s", error->message);
    } else {
        FUZZ_CHECK(error != NULL && error->message && *error->message,
                   "failure without an error message");
        FUZZ_CHECK(g_str_has_prefix(error->message, "line "),
                   "error does not name the line: %s", error->message);
        g_error_free(error);
    }
    /* Valid or not, what was applied up to the bad line is a usable config:
     * the daemon exits on error, but it must never hold a half-set value. */
    check_setting("listen", cfg.listen);
    check_setting("connect", cfg.connect);
    check_setting("db", cfg.db);
    check_setting("webui", cfg.webui);
    check_setting("log-level", cfg.log_level);
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    FUZZ_CHECK(g_strv_contains(levels, cfg.log_level), "log-level '%s'", cfg.log_level);
    FUZZ_CHECK(cfg.threads >= 1 && cfg.threads <= 256, "threads %u", cfg.threads);
    config_clear(&cfg);
    FUZZ_CHECK(!cfg.listen && !cfg.connect && !cfg.db && !cfg.webui && !cfg.log_level,
               "config_clear left a pointer behind");
    free(text);
    return 0;
}
