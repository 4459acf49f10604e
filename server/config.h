/* vireod's settings: defaults, then the config file, then the command line
 * (the same key names in both places). One table, config_settings, names
 * each setting once; the parser, the options and --help are made from it. */
#pragma once
#include <glib.h>
#include <stddef.h>

typedef struct {
    char *listen;  /* ADDR:PORT, [v6]:PORT */
    char *connect; /* libvirt URI */
    char *db;
    char *webui;
    char *log_level;                /* debug, info, warn, error */
    unsigned threads;               /* HTTP worker threads */
    char *init_admin_password_file; /* first start: the admin's password */
    char *tls_cert;                 /* PEM certificate; with tls_key, serve HTTPS */
    char *tls_key;
    gboolean tls_generate; /* make a self-signed pair when the files are missing */
    char *tls_priority;    /* GnuTLS priority string of the HTTPS listener */
    unsigned session_idle_min;
    unsigned session_max_hours;
    unsigned audit_retention_days;
    unsigned task_retention_days; /* finished tasks are kept this long */
    unsigned max_upload_gib;      /* largest volume upload */
    char *auth;                   /* "local", or "pam" to also let system accounts in */
    char *pam_service;
    char *pam_admin_group;
    char *pam_operator_group;
    char *pam_viewer_group;
    unsigned max_connections;
    unsigned max_connections_per_address;
    unsigned idle_timeout_s; /* an HTTP connection idle this long is closed */
    /* Read and checked here; what they bound is enforced elsewhere. */
    unsigned header_timeout_s;
    unsigned max_streams_per_credential;
    unsigned event_history;
    unsigned max_sessions_per_user;
    unsigned audit_max_rows;
    unsigned stats_interval_s;    /* seconds between samples of VM and host figures; 0: off */
    unsigned stats_max_mib;       /* the metric history's size bound */
    unsigned host_open_timeout_s; /* POST/PATCH /api/hosts wait this long for the host */
} Config;

typedef enum {
    CONFIG_STRING,   /* char *: any text but the empty one */
    CONFIG_PATH,     /* char *: a file or folder name, without control characters */
    CONFIG_BOOL,     /* gboolean: "true" or "false" */
    CONFIG_UNSIGNED, /* unsigned: a whole number from min to max */
    CONFIG_ENUM,     /* char *: one of choices */
} ConfigType;

/* One setting: "--key VALUE" on the command line, "key = value" in the file. */
typedef struct {
    const char *key;
    ConfigType type;
    size_t offset;              /* of its member in Config */
    const char *def;            /* default, read like any value; NULL: unset */
    unsigned min, max;          /* CONFIG_UNSIGNED */
    const char *const *choices; /* CONFIG_ENUM, NULL-terminated */
    const char *arg;            /* the value's name in --help */
    const char *help;           /* one line for --help */
} ConfigSetting;

/* Every setting; the row after the last has a NULL key. */
extern const ConfigSetting config_settings[];

void config_init_defaults(Config *cfg);
void config_clear(Config *cfg);

/* Parses argv (and --config FILE, read before the other options apply).
 * Returns FALSE with `error` on bad input; sets *exit_now for --help and
 * --version after printing them. */
gboolean config_from_args(Config *cfg, int argc, char **argv, gboolean *exit_now, GError **error);
/* Applies "key = value" lines (# comments, blank lines) to `cfg`. */
gboolean config_parse_text(Config *cfg, const char *text, GError **error);
/* The --help text, made from config_settings. Free with g_free(). */
char *config_help_text(void);
