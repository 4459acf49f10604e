/* libFuzzer target: the vireod.conf reader (config_parse_text) on top of
 * the defaults. The input is the file's text; every row of the settings
 * table must hold a value of its type afterwards. */
#include <stdint.h>

#include "fuzz_common.h"
#include "server/config.h"

/* Valid or not, what was applied up to the bad line is a usable config:
 * the daemon exits on error, but it must never hold a half-set value. */
static void check_setting(Config *cfg, const ConfigSetting *s)
{
    /* Only the text types' members are pointers. */
    const char *text = s->type == CONFIG_UNSIGNED || s->type == CONFIG_BOOL
                           ? NULL
                           : G_STRUCT_MEMBER(char *, cfg, s->offset);
    switch (s->type) {
    case CONFIG_UNSIGNED: {
        unsigned n = G_STRUCT_MEMBER(unsigned, cfg, s->offset);
        FUZZ_CHECK(n >= s->min && n <= s->max, "%s is %u, outside %u..%u", s->key, n, s->min,
                   s->max);
        break;
    }
    case CONFIG_BOOL: {
        gboolean b = G_STRUCT_MEMBER(gboolean, cfg, s->offset);
        FUZZ_CHECK(b == TRUE || b == FALSE, "%s is %d", s->key, b);
        break;
    }
    case CONFIG_ENUM:
        FUZZ_CHECK(text && g_strv_contains(s->choices, text), "%s is '%s'", s->key,
                   text ? text : "(null)");
        break;
    case CONFIG_PATH:
    case CONFIG_STRING:
        /* Unset is allowed only where the table has no default. */
        FUZZ_CHECK(text ? *text != '\0' : s->def == NULL, "setting %s is %s after parsing", s->key,
                   text ? "empty" : "NULL");
        for (const char *p = text; s->type == CONFIG_PATH && p && *p; p++)
            FUZZ_CHECK(!g_ascii_iscntrl(*p), "%s holds control character %#x", s->key, *p);
        break;
    }
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
        FUZZ_CHECK(g_str_has_prefix(error->message, "line "), "error does not name the line: %s",
                   error->message);
        g_error_free(error);
    }
    for (const ConfigSetting *s = config_settings; s->key; s++)
        check_setting(&cfg, s);
    config_clear(&cfg);
    for (const ConfigSetting *s = config_settings; s->key; s++)
        FUZZ_CHECK(s->type == CONFIG_UNSIGNED || s->type == CONFIG_BOOL ||
                       !G_STRUCT_MEMBER(char *, &cfg, s->offset),
                   "config_clear left %s behind", s->key);
    free(text);
    return 0;
}
