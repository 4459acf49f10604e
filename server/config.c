/* Command line and config file. The file format is deliberately tiny:
 * "key = value" per line, keys named like the long options. */
#include "server/config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#ifndef VIREO_VERSION
#define VIREO_VERSION "0.1.0"
#endif
#ifndef VIREO_WEBUI_DIR
#define VIREO_WEBUI_DIR "/usr/local/share/vireo/webui"
#endif

void config_init_defaults(Config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = g_strdup("127.0.0.1:8080");
    cfg->connect = g_strdup("qemu:///system");
    cfg->db = g_strdup("/var/lib/vireo/vireo.db");
    cfg->webui = g_strdup(VIREO_WEBUI_DIR);
    cfg->log_level = g_strdup("info");
    cfg->threads = 4;
    cfg->session_idle_min = 30;
    cfg->session_max_hours = 12;
    cfg->audit_retention_days = 90;
    cfg->task_retention_days = 7;
    cfg->max_upload_gib = 1024;
    cfg->auth = g_strdup("local");
    cfg->pam_service = g_strdup("vireo");
    cfg->pam_admin_group = g_strdup("vireo-admin");
    cfg->pam_operator_group = g_strdup("vireo-operator");
    cfg->pam_viewer_group = g_strdup("vireo-viewer");
}

void config_clear(Config *cfg)
{
    g_free(cfg->listen);
    g_free(cfg->connect);
    g_free(cfg->db);
    g_free(cfg->webui);
    g_free(cfg->log_level);
    g_free(cfg->init_admin_password_file);
    g_free(cfg->tls_cert);
    g_free(cfg->tls_key);
    g_free(cfg->auth);
    g_free(cfg->pam_service);
    g_free(cfg->pam_admin_group);
    g_free(cfg->pam_operator_group);
    g_free(cfg->pam_viewer_group);
    memset(cfg, 0, sizeof(*cfg));
}

static gboolean set_number(unsigned *slot, const char *key, const char *value, guint64 max,
                           GError **error)
{
    guint64 n;
    if (!g_ascii_string_to_unsigned(value, 10, 1, max, &n, NULL)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s must be a whole number from 1 to %" G_GUINT64_FORMAT, key, max);
        return FALSE;
    }
    *slot = (unsigned)n;
    return TRUE;
}

static gboolean set_key(Config *cfg, const char *key, const char *value, GError **error)
{
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    char **slot = NULL;
    if (strcmp(key, "listen") == 0)
        slot = &cfg->listen;
    else if (strcmp(key, "connect") == 0)
        slot = &cfg->connect;
    else if (strcmp(key, "db") == 0)
        slot = &cfg->db;
    else if (strcmp(key, "webui") == 0)
        slot = &cfg->webui;
    else if (strcmp(key, "init-admin-password-file") == 0)
        slot = &cfg->init_admin_password_file;
    else if (strcmp(key, "tls-cert") == 0)
        slot = &cfg->tls_cert;
    else if (strcmp(key, "tls-key") == 0)
        slot = &cfg->tls_key;
    else if (strcmp(key, "pam-service") == 0)
        slot = &cfg->pam_service;
    else if (strcmp(key, "pam-admin-group") == 0)
        slot = &cfg->pam_admin_group;
    else if (strcmp(key, "pam-operator-group") == 0)
        slot = &cfg->pam_operator_group;
    else if (strcmp(key, "pam-viewer-group") == 0)
        slot = &cfg->pam_viewer_group;
    else if (strcmp(key, "auth") == 0) {
        if (strcmp(value, "local") != 0 && strcmp(value, "pam") != 0) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "auth must be local or pam");
            return FALSE;
        }
        slot = &cfg->auth;
    }
    else if (strcmp(key, "log-level") == 0) {
        if (!g_strv_contains(levels, value)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "log-level must be debug, info, warn or error");
            return FALSE;
        }
        slot = &cfg->log_level;
    } else if (strcmp(key, "tls-generate") == 0) {
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "tls-generate must be true or false");
            return FALSE;
        }
        cfg->tls_generate = strcmp(value, "true") == 0;
        return TRUE;
    } else if (strcmp(key, "threads") == 0) {
        return set_number(&cfg->threads, key, value, 256, error);
    } else if (strcmp(key, "session-idle-minutes") == 0) {
        return set_number(&cfg->session_idle_min, key, value, 7 * 24 * 60, error);
    } else if (strcmp(key, "session-max-hours") == 0) {
        return set_number(&cfg->session_max_hours, key, value, 24 * 90, error);
    } else if (strcmp(key, "audit-retention-days") == 0) {
        return set_number(&cfg->audit_retention_days, key, value, 3650, error);
    } else if (strcmp(key, "task-retention-days") == 0) {
        return set_number(&cfg->task_retention_days, key, value, 3650, error);
    } else if (strcmp(key, "max-upload-gib") == 0) {
        return set_number(&cfg->max_upload_gib, key, value, 65536, error);
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                    "unknown setting '%s'", key);
        return FALSE;
    }
    if (!*value) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s needs a value", key);
        return FALSE;
    }
    g_free(*slot);
    *slot = g_strdup(value);
    return TRUE;
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

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: vireod [OPTION]...\n"
            "Serve KVM/QEMU virtual machines over REST and a web UI.\n\n"
            "  --listen ADDR:PORT   address to serve on (default 127.0.0.1:8080)\n"
            "  --connect URI        libvirt URI (default qemu:///system)\n"
            "  --db PATH            sqlite inventory (default /var/lib/vireo/vireo.db)\n"
            "  --webui DIR          static web UI folder (default %s)\n"
            "  --config FILE        settings file: 'key = value' lines, same keys\n"
            "  --log-level LEVEL    debug, info, warn or error (default info)\n"
            "  --threads N          HTTP worker threads (default 4)\n"
            "  --init-admin-password-file FILE\n"
            "                       first start: the password of the 'admin' user\n"
            "                       (otherwise a random one is logged once and saved\n"
            "                       beside the database)\n"
            "  --tls-cert FILE      PEM certificate: serve HTTPS (with --tls-key)\n"
            "  --tls-key FILE       PEM private key\n"
            "  --tls-generate BOOL  make a self-signed pair when the files are missing\n"
            "                       (default paths: <db dir>/tls/vireo.crt and .key)\n"
            "  --session-idle-minutes N   end sessions idle this long (default 30)\n"
            "  --session-max-hours N      end sessions this old (default 12)\n"
            "  --audit-retention-days N   keep the audit log this long (default 90)\n"
            "  --task-retention-days N    keep finished tasks this long (default 7)\n"
            "  --max-upload-gib N         largest volume upload (default 1024)\n"
            "  --auth local|pam     pam: system accounts may log in too (PAM service\n"
            "                       --pam-service, default vireo), with the role of\n"
            "                       their group: --pam-admin-group (vireo-admin),\n"
            "                       --pam-operator-group, --pam-viewer-group\n"
            "  --help               show this help\n"
            "  --version            show the version\n",
            VIREO_WEBUI_DIR);
}

gboolean config_from_args(Config *cfg, int argc, char **argv, gboolean *exit_now,
                          GError **error)
{
    /* Every long option but these three is a setting of the same name. */
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 's'}, {"connect", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 's'}, {"webui", required_argument, NULL, 's'},
        {"log-level", required_argument, NULL, 's'}, {"threads", required_argument, NULL, 's'},
        {"init-admin-password-file", required_argument, NULL, 's'},
        {"tls-cert", required_argument, NULL, 's'}, {"tls-key", required_argument, NULL, 's'},
        {"tls-generate", required_argument, NULL, 's'},
        {"session-idle-minutes", required_argument, NULL, 's'},
        {"session-max-hours", required_argument, NULL, 's'},
        {"audit-retention-days", required_argument, NULL, 's'},
        {"task-retention-days", required_argument, NULL, 's'},
        {"max-upload-gib", required_argument, NULL, 's'},
        {"auth", required_argument, NULL, 's'}, {"pam-service", required_argument, NULL, 's'},
        {"pam-admin-group", required_argument, NULL, 's'},
        {"pam-operator-group", required_argument, NULL, 's'},
        {"pam-viewer-group", required_argument, NULL, 's'},
        {"config", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
    };
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
        const char *key = NULL;
        switch (c) {
        case 's': key = opts[opt_index].name; break;
        case 'f': continue;
        case 'h': usage(stdout); *exit_now = TRUE; return TRUE;
        case 'V': printf("vireod %s\n", VIREO_VERSION); *exit_now = TRUE; return TRUE;
        default:
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                        "unknown or incomplete option '%s' (see --help)", argv[optind - 1]);
            return FALSE;
        }
        if (!set_key(cfg, key, optarg, error))
            return FALSE;
    }
    if (optind < argc) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "unexpected argument '%s' (see --help)", argv[optind]);
        return FALSE;
    }
    return TRUE;
}
