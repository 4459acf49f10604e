/* Command line and config file. The file format is deliberately tiny:
 * "key = value" per line, keys named like the long options. Every setting
 * is one row of config_settings; nothing below names a setting again. */
#include "server/config.h"
#include "server/tls.h" /* TLS_DEFAULT_PRIORITY only: no GnuTLS here */
#include "virt/virt_uri.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef VIREO_VERSION
#define VIREO_VERSION "0.1.0"
#endif
#ifndef VIREO_WEBUI_DIR
#define VIREO_WEBUI_DIR "/usr/local/share/vireo/webui"
#endif

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const auth_modes[] = {"local", "pam", NULL};
static const char *const booleans[] = {"true", "false", NULL};

/* The member's offset, and a compile error when the member is not of the
 * C type the row's ConfigType stores there. */
#define MEMBER(m, ctype) _Generic(((Config *)0)->m, ctype : offsetof(Config, m))
#define STRING(key, m, def, arg, help) \
    { \
        key, CONFIG_STRING, MEMBER(m, char *), def, 0, 0, NULL, arg, help \
    }
#define PATH(key, m, def, arg, help) \
    { \
        key, CONFIG_PATH, MEMBER(m, char *), def, 0, 0, NULL, arg, help \
    }
#define BOOL(key, m, def, help) \
    { \
        key, CONFIG_BOOL, MEMBER(m, gboolean), def, 0, 0, booleans, "BOOL", help \
    }
#define UNSIGNED(key, m, def, lo, hi, help) \
    { \
        key, CONFIG_UNSIGNED, MEMBER(m, unsigned), #def, lo, hi, NULL, "N", help \
    }
#define ENUM(key, m, def, choices, arg, help) \
    { \
        key, CONFIG_ENUM, MEMBER(m, char *), def, 0, 0, choices, arg, help \
    }

const ConfigSetting config_settings[] = {
    STRING("listen", listen, "127.0.0.1:8080", "ADDR:PORT",
           "address to serve on; [::1]:PORT for IPv6"),
    STRING("connect", connect, "qemu:///system", "URI", "libvirt URI"),
    PATH("db", db, "/var/lib/vireo/vireo.db", "PATH", "sqlite inventory"),
    PATH("webui", webui, VIREO_WEBUI_DIR, "DIR", "static web UI folder"),
    ENUM("log-level", log_level, "info", log_levels, "LEVEL", "how much to log"),
    UNSIGNED("threads", threads, 4, 1, 256, "HTTP worker threads"),
    UNSIGNED("max-connections", max_connections, 1024, 16, 65536,
             "open HTTP connections at most; the open-files limit is raised to fit"),
    UNSIGNED("max-connections-per-address", max_connections_per_address, 64, 1, 65536,
             "open HTTP connections from one client address at most"),
    UNSIGNED("idle-timeout-seconds", idle_timeout_s, 60, 5, 3600,
             "close an HTTP connection idle this long"),
    UNSIGNED("header-timeout-seconds", header_timeout_s, 10, 1, 300,
             "time a client has to send a request's headers"),
    PATH("init-admin-password-file", init_admin_password_file, NULL, "FILE",
         "first start: the password of the 'admin' user; without it a random one is "
         "logged once and saved beside the database"),
    PATH("tls-cert", tls_cert, NULL, "FILE", "PEM certificate: serve HTTPS (with --tls-key)"),
    PATH("tls-key", tls_key, NULL, "FILE", "PEM private key"),
    BOOL("tls-generate", tls_generate, "false",
         "make a self-signed pair when the files are missing; without --tls-cert "
         "and --tls-key, at <db-dir>/tls/vireo.crt and .key"),
    STRING("tls-priority", tls_priority, TLS_DEFAULT_PRIORITY, "PRIORITY",
           "GnuTLS priority string: the TLS versions, ciphers and key exchanges HTTPS "
           "accepts; checked at start-up"),
    UNSIGNED("session-idle-minutes", session_idle_min, 30, 1, 7 * 24 * 60,
             "end sessions idle this long"),
    UNSIGNED("session-max-hours", session_max_hours, 12, 1, 24 * 90, "end sessions this old"),
    UNSIGNED("max-sessions-per-user", max_sessions_per_user, 32, 1, 10000,
             "login sessions one user may hold at once"),
    UNSIGNED("max-streams-per-credential", max_streams_per_credential, 8, 1, 1024,
             "event streams and transfers open at once with one session or API token"),
    UNSIGNED("event-history", event_history, 1024, 1, 65536,
             "recent events kept for clients that reconnect (Last-Event-ID); one that "
             "missed more is told to reload"),
    UNSIGNED("audit-retention-days", audit_retention_days, 90, 1, 3650,
             "keep the audit log this long"),
    UNSIGNED("audit-max-rows", audit_max_rows, 200000, 1000, 100000000,
             "audit log entries kept at most"),
    UNSIGNED("task-retention-days", task_retention_days, 7, 1, 3650,
             "keep finished tasks this long"),
    UNSIGNED("max-upload-gib", max_upload_gib, 1024, 1, 65536, "largest volume upload"),
    UNSIGNED("stats-interval-seconds", stats_interval_s, 5, 0, 3600,
             "sample VM and host figures (CPU, memory, disk, network) this often; 0 turns "
             "the sampler, its history and its live events off"),
    UNSIGNED("stats-max-mib", stats_max_mib, 256, 1, 65536,
             "bound of the metric history in the inventory; when the VMs' full history "
             "would not fit, every VM keeps a shorter one"),
    UNSIGNED("host-open-timeout-seconds", host_open_timeout_s, 15, 1, 600,
             "time a libvirt host being added (or reached another way) has to answer; "
             "past it the request fails with 503"),
    ENUM("auth", auth, "local", auth_modes, "MODE",
         "pam: system accounts may log in too, with the role of their group"),
    STRING("pam-service", pam_service, "vireo", "NAME", "PAM service of --auth pam"),
    STRING("pam-admin-group", pam_admin_group, "vireo-admin", "GROUP",
           "system group of the admin role, with --auth pam"),
    STRING("pam-operator-group", pam_operator_group, "vireo-operator", "GROUP",
           "system group of the operator role, with --auth pam"),
    STRING("pam-viewer-group", pam_viewer_group, "vireo-viewer", "GROUP",
           "system group of the viewer role, with --auth pam"),
    {NULL, 0, 0, NULL, 0, 0, NULL, NULL, NULL},
};

/* Options that are not settings; getopt hands back `val`. */
static const struct {
    const char *name, *arg, *help;
    int has_arg, val;
} special_options[] = {
    {"config", "FILE", "settings file: 'key = value' lines, the same keys as above",
     required_argument, 'f'},
    {"help", NULL, "show this help", no_argument, 'h'},
    {"version", NULL, "show the version", no_argument, 'V'},
};

static char **slot_text(Config *cfg, const ConfigSetting *s)
{
    return G_STRUCT_MEMBER_P(cfg, s->offset);
}

/* "a, b or c" */
static char *join_choices(const char *const *choices)
{
    GString *out = g_string_new(choices[0]);
    for (gsize i = 1; choices[i]; i++)
        g_string_append_printf(out, "%s%s", choices[i + 1] ? ", " : " or ", choices[i]);
    return g_string_free(out, FALSE);
}

static gboolean has_control_char(const char *s)
{
    for (; *s; s++)
        if (g_ascii_iscntrl(*s))
            return TRUE;
    return FALSE;
}

/* Checks `value` against the row's type and stores it; `cfg` is unchanged
 * on error, so a refused line never leaves a half-set value behind. */
static gboolean set_value(Config *cfg, const ConfigSetting *s, const char *value, GError **error)
{
    switch (s->type) {
    case CONFIG_UNSIGNED: {
        guint64 n;
        if (!g_ascii_string_to_unsigned(value, 10, s->min, s->max, &n, NULL)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "%s must be a whole number from %u to %u", s->key, s->min, s->max);
            return FALSE;
        }
        *(unsigned *)G_STRUCT_MEMBER_P(cfg, s->offset) = (unsigned)n;
        return TRUE;
    }
    case CONFIG_BOOL:
    case CONFIG_ENUM:
        if (!g_strv_contains(s->choices, value)) {
            g_autofree char *allowed = join_choices(s->choices);
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s must be %s", s->key,
                        allowed);
            return FALSE;
        }
        if (s->type == CONFIG_BOOL) {
            *(gboolean *)G_STRUCT_MEMBER_P(cfg, s->offset) = strcmp(value, "true") == 0;
            return TRUE;
        }
        break;
    case CONFIG_PATH:
        /* A newline or escape in a file name is a pasting accident, and
         * would be written as such into the log. */
        if (has_control_char(value)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "%s must be a path without control characters", s->key);
            return FALSE;
        }
        break;
    case CONFIG_STRING: break;
    }
    if (!*value) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s needs a value", s->key);
        return FALSE;
    }
    char **slot = slot_text(cfg, s);
    g_free(*slot);
    *slot = g_strdup(value);
    return TRUE;
}

static gboolean set_key(Config *cfg, const char *key, const char *value, GError **error)
{
    for (const ConfigSetting *s = config_settings; s->key; s++)
        if (strcmp(s->key, key) == 0)
            return set_value(cfg, s, value, error);
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "unknown setting '%s'", key);
    return FALSE;
}

void config_init_defaults(Config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (const ConfigSetting *s = config_settings; s->key; s++) {
        g_autoptr(GError) error = NULL;
        /* A default the row's own type refuses is a bug in the table. */
        if (s->def && !set_value(cfg, s, s->def, &error))
            g_error("default of %s: %s", s->key, error->message);
    }
}

void config_clear(Config *cfg)
{
    for (const ConfigSetting *s = config_settings; s->key; s++)
        if (s->type == CONFIG_STRING || s->type == CONFIG_PATH || s->type == CONFIG_ENUM)
            g_free(*slot_text(cfg, s));
    memset(cfg, 0, sizeof(*cfg));
}

gboolean config_parse_text(Config *cfg, const char *text, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    int lineno = 0;
    for (char **l = lines; *l; l++) {
        lineno++;
        char *line = g_strstrip(*l);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                        "line %d: expected 'key = value'", lineno);
            return FALSE;
        }
        *eq = '\0';
        if (!set_key(cfg, g_strstrip(line), g_strstrip(eq + 1), error)) {
            g_prefix_error(error, "line %d: ", lineno);
            return FALSE;
        }
    }
    return TRUE;
}

/* --help: option and value name, then the help text from HELP_COLUMN on,
 * wrapped before HELP_WIDTH. A tab in the text is a space that never
 * breaks ("default 30" stays on one line). */
#define HELP_COLUMN 30
#define HELP_WIDTH 79

static void append_piece(GString *out, size_t *col, const char *piece, size_t len, gboolean space)
{
    gboolean fresh = *col == HELP_COLUMN;
    if (!fresh && *col + (space ? 1 : 0) + len > HELP_WIDTH) {
        g_string_append_printf(out, "\n%*s", HELP_COLUMN, "");
        *col = HELP_COLUMN;
        fresh = TRUE;
    }
    if (space && !fresh) {
        g_string_append_c(out, ' ');
        (*col)++;
    }
    gsize at = out->len;
    g_string_append_len(out, piece, (gssize)len);
    g_strdelimit(out->str + at, "\t", ' ');
    *col += len;
}

static void append_option(GString *out, const char *name, const char *arg, const char *text)
{
    size_t start = out->len;
    g_string_append_printf(out, "  --%s%s%s", name, arg ? " " : "", arg ? arg : "");
    size_t used = out->len - start;
    if (used + 2 > HELP_COLUMN)
        g_string_append_printf(out, "\n%*s", HELP_COLUMN, "");
    else
        g_string_append_printf(out, "%*s", (int)(HELP_COLUMN - used), "");
    size_t col = HELP_COLUMN;
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    for (char **w = words; *w; w++) {
        const char *p = *w;
        size_t len = strlen(p);
        gboolean space = TRUE;
        /* A word longer than a line (a TLS priority string) is cut after a ':'. */
        const char *cut;
        while (len > HELP_WIDTH - HELP_COLUMN &&
               (cut = g_strrstr_len(p, HELP_WIDTH - HELP_COLUMN, ":"))) {
            append_piece(out, &col, p, (size_t)(cut + 1 - p), space);
            len -= (size_t)(cut + 1 - p);
            p = cut + 1;
            space = FALSE;
        }
        append_piece(out, &col, p, len, space);
    }
    g_string_append_c(out, '\n');
}

char *config_help_text(void)
{
    GString *out = g_string_new("Usage: vireod [OPTION]...\n"
                                "Serve KVM/QEMU virtual machines over REST and a web UI.\n\n");
    for (const ConfigSetting *s = config_settings; s->key; s++) {
        g_autofree char *values = NULL;
        if (s->type == CONFIG_UNSIGNED)
            values = g_strdup_printf("%u\tto\t%u", s->min, s->max);
        else if (s->choices)
            values = join_choices(s->choices);
        g_autofree char *text = NULL;
        if (s->def)
            text = g_strdup_printf("%s (%s%sdefault\t%s)", s->help, values ? values : "",
                                   values ? "; " : "", s->def);
        else
            text = g_strdup(s->help);
        append_option(out, s->key, s->arg, text);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(special_options); i++)
        append_option(out, special_options[i].name, special_options[i].arg,
                      special_options[i].help);
    return g_string_free(out, FALSE);
}

gboolean config_from_args(Config *cfg, int argc, char **argv, gboolean *exit_now, GError **error)
{
    /* The settings first, so that an option's index is its row; then the
     * special options. */
    gsize n = 0;
    while (config_settings[n].key)
        n++;
    g_autofree struct option *opts = g_new0(struct option, n + G_N_ELEMENTS(special_options) + 1);
    for (gsize i = 0; i < n; i++)
        opts[i] = (struct option){config_settings[i].key, required_argument, NULL, 's'};
    for (gsize i = 0; i < G_N_ELEMENTS(special_options); i++)
        opts[n + i] = (struct option){special_options[i].name, special_options[i].has_arg, NULL,
                                      special_options[i].val};
    int opt_index = 0;
    *exit_now = FALSE;
    /* First pass: only --config, so that the command line wins over it. */
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, &opt_index)) != -1) {
        if (c != 'f')
            continue;
        g_autofree char *text = NULL;
        if (!g_file_get_contents(optarg, &text, NULL, error) ||
            !config_parse_text(cfg, text, error)) {
            g_prefix_error(error, "%s: ", optarg);
            return FALSE;
        }
    }
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &opt_index)) != -1) {
        switch (c) {
        case 's':
            if (!set_value(cfg, &config_settings[opt_index], optarg, error))
                return FALSE;
            break;
        case 'f': break;
        case 'h': {
            g_autofree char *help = config_help_text();
            fputs(help, stdout);
            *exit_now = TRUE;
            return TRUE;
        }
        case 'V':
            printf("vireod %s\n", VIREO_VERSION);
            *exit_now = TRUE;
            return TRUE;
        default:
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                        "unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
            return FALSE;
        }
    }
    if (optind < argc) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "unexpected argument '%s' (see --help)", argv[optind]);
        return FALSE;
    }
    /* libmicrohttpd shares the connection limit out among its threads, and
     * hangs at start when a thread would get none. */
    if (cfg->threads > cfg->max_connections) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "threads (%u) must not be more than max-connections (%u)", cfg->threads,
                    cfg->max_connections);
        return FALSE;
    }
    /* Any libvirt URI, but a malformed one is said now, not retried forever. */
    g_auto(VirtUri) uri = {0};
    g_autoptr(GError) bad = NULL;
    if (!virt_uri_parse(cfg->connect, &uri, &bad)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "connect: %s", bad->message);
        return FALSE;
    }
    return TRUE;
}
