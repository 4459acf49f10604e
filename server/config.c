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
}

void config_clear(Config *cfg)
{
    g_free(cfg->listen);
    g_free(cfg->connect);
    g_free(cfg->db);
    g_free(cfg->webui);
    g_free(cfg->log_level);
    memset(cfg, 0, sizeof(*cfg));
}

static gboolean set_key(Config *cfg, const char *key, const char *value, GError **error)
{
    char **slot = NULL;
    if (strcmp(key, "listen") == 0)
        slot = &cfg->listen;
    else if (strcmp(key, "connect") == 0)
        slot = &cfg->connect;
    else if (strcmp(key, "db") == 0)
        slot = &cfg->db;
    else if (strcmp(key, "webui") == 0)
        slot = &cfg->webui;
    else if (strcmp(key, "log-level") == 0) {
        static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
        if (!g_strv_contains(levels, value)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "log-level must be debug, info, warn or error");
            return FALSE;
        }
        slot = &cfg->log_level;
    } else if (strcmp(key, "threads") == 0) {
        guint64 n;
        if (!g_ascii_string_to_unsigned(value, 10, 1, 256, &n, NULL)) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "threads must be a number from 1 to 256");
            return FALSE;
        }
        cfg->threads = (unsigned)n;
        return TRUE;
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
            "  --help               show this help\n"
            "  --version            show the version\n",
            VIREO_WEBUI_DIR);
}

gboolean config_from_args(Config *cfg, int argc, char **argv, gboolean *exit_now,
                          GError **error)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"connect", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},     {"webui", required_argument, NULL, 'w'},
        {"config", required_argument, NULL, 'f'}, {"log-level", required_argument, NULL, 'L'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    *exit_now = FALSE;
    /* First pass: only --config, so that the command line wins over it. */
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char *key = NULL;
        switch (c) {
        case 'l': key = "listen"; break;
        case 'c': key = "connect"; break;
        case 'd': key = "db"; break;
        case 'w': key = "webui"; break;
        case 'L': key = "log-level"; break;
        case 't': key = "threads"; break;
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
