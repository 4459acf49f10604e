/* vireod's settings: defaults, then the config file, then the command line
 * (the same key names in both places). */
#pragma once
#include <glib.h>

typedef struct {
    char *listen;      /* ADDR:PORT, [v6]:PORT */
    char *connect;     /* libvirt URI */
    char *db;
    char *webui;
    char *log_level;   /* debug, info, warn, error */
    unsigned threads;  /* HTTP worker threads */
    char *init_admin_password_file;  /* first start: the admin's password */
    char *tls_cert;    /* PEM certificate; with tls_key, serve HTTPS */
    char *tls_key;
    gboolean tls_generate;   /* make a self-signed pair when the files are missing */
    unsigned session_idle_min;
    unsigned session_max_hours;
    unsigned audit_retention_days;
    unsigned task_retention_days;   /* finished tasks are kept this long */
    unsigned max_upload_gib;        /* largest volume upload */
    char *auth;        /* "local", or "pam" to also let system accounts in */
    char *pam_service;
    char *pam_admin_group;
    char *pam_operator_group;
    char *pam_viewer_group;
} Config;

void config_init_defaults(Config *cfg);
void config_clear(Config *cfg);

/* Parses argv (and --config FILE, read before the other options apply).
 * Returns FALSE with `error` on bad input; sets *exit_now for --help and
 * --version after printing them. */
gboolean config_from_args(Config *cfg, int argc, char **argv, gboolean *exit_now,
                          GError **error);
/* Applies "key = value" lines (# comments, blank lines) to `cfg`. */
gboolean config_parse_text(Config *cfg, const char *text, GError **error);
