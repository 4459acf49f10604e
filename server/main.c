/* vireod: reads its settings, opens the inventory and the libvirt
 * connection, serves HTTP, and stops cleanly on SIGTERM/SIGINT. */
#include "api/auth/api_pam.h"
#include "api/auth/api_throttle.h"
#include "api/auth/api_quota.h"
#include "api/auth/api_users_common.h"
#include "api/core/api.h"
#include "api/core/api_locks.h"
#include "api/vms/api_consoles.h"
#include "api/core/api_counters.h"
#include "api/core/api_crypto.h"
#include "api/hosts/api_hosts.h"
#include "api/backup/api_backups.h"
#include "api/stats/api_sampler.h"
#include "api/tasks/api_tasks.h"
#include "api/tasks/task_engine.h"
#include "api/vms/api_meta_sync.h"
#include "api/vms/api_screenshot_cache.h"
#include "api/vms/api_vm_list.h"
#include "server/config.h"
#include "server/http.h"
#include "server/log.h"
#include "virt/virt_conn.h"
#include "virt/virt_hosts.h"
#include "virt/virt_model.h"

#include <errno.h>
#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#define SHUTDOWN_GRACE_MS 10000
#define TASK_WORKERS 2
/* How often the backup scheduler looks for due jobs. */
#define BACKUP_CHECK_S 10
/* Screenshots: a thumbnail list refreshing every few seconds in several
 * browsers costs QEMU one render per VM per 2 s; 256 shots or 16 MiB of
 * PNG at most (a 320-wide text console is 5-10 KiB); a caller waits up to
 * 5 s for another taking the same shot before asking QEMU itself. */
#define SCREENSHOT_TTL_US (2 * G_USEC_PER_SEC)
#define SCREENSHOT_MAX_KEPT 256
#define SCREENSHOT_MAX_BYTES ((gsize)16 << 20)
#define SCREENSHOT_WAIT_US (5 * G_USEC_PER_SEC)

typedef struct {
    Config config;
    ApiContext api;
    ApiMetaSync *meta_sync;
    EventHub *events;
    ConsoleHub *consoles;
} Daemon;

static void on_domain_event(VirtHost *h, const char *uuid, const char *name, int event,
                            int detail G_GNUC_UNUSED, gpointer data)
{
    Daemon *d = data;
    g_debug("domain event %d for %s (%s)", event, name, uuid);
    if (event == VIR_DOMAIN_EVENT_STARTED)
        api_sampler_note_started(d->api.sampler, h, uuid);
    /* A balloon moving is news only when the memory the list shows moved:
     * the model tells, once it has read it. */
    if (event != VIRT_DOMAIN_EVENT_BALLOON) {
        ApiEvent e = {.kind = API_EVENT_VM, .uuid = uuid, .name = name, .host = h, .event = event};
        events_publish(d->events, &e);
    }
    virt_model_domain_event(virt_host_model(h), uuid);
    if (event == VIR_DOMAIN_EVENT_STOPPED || event == VIR_DOMAIN_EVENT_UNDEFINED)
        console_hub_vm_stopped(d->consoles, uuid);
    /* A VM that is gone (undefined, or a transient one stopped) may leave
     * metadata behind. */
    if (event == VIR_DOMAIN_EVENT_UNDEFINED || event == VIR_DOMAIN_EVENT_STOPPED)
        api_meta_sync_kick(d->meta_sync);
}

/* What the VM model found that no libvirt event told of. */
static void on_model_change(VirtHost *h, const char *uuid, const char *name, int event,
                            gpointer data)
{
    Daemon *d = data;
    g_debug("VM model: event %d for %s (%s)", event, name, uuid);
    ApiEvent e = {.kind = API_EVENT_VM, .uuid = uuid, .name = name, .host = h, .event = event};
    events_publish(d->events, &e);
    if (event == VIR_DOMAIN_EVENT_UNDEFINED)
        api_meta_sync_kick(d->meta_sync);
}

/* Open event streams follow changes: the model keeps revalidating. */
static gboolean model_watched(gpointer data)
{
    Daemon *d = data;
    return events_subscriber_count(d->events) > 0;
}

static void on_vm_changed(VirtHost *h, const char *uuid, const char *name, int event, gpointer data)
{
    Daemon *d = data;
    ApiEvent e = {.kind = API_EVENT_VM, .uuid = uuid, .name = name, .host = h, .event = event};
    events_publish(d->events, &e);
}

static void on_auth_changed(gint64 user_id, gpointer data)
{
    Daemon *d = data;
    events_auth_changed(d->events, user_id);
    console_hub_auth_changed(d->consoles, user_id);
}

static void on_object_event(VirtHost *h, const char *kind, const char *uuid, const char *name,
                            int event, gpointer data)
{
    Daemon *d = data;
    ApiEvent e = {.kind = g_strcmp0(kind, "pool") == 0 ? API_EVENT_POOL : API_EVENT_NETWORK,
                  .uuid = uuid,
                  .name = name,
                  .host = h,
                  .event = event};
    events_publish(d->events, &e);
}

static void on_task_changed(const DbTask *task, gpointer data)
{
    Daemon *d = data;
    ApiEvent e = {.kind = API_EVENT_TASK, .task = task};
    events_publish(d->events, &e);
}

static void on_sample(ApiStatsSnapshot *snapshot, gpointer data)
{
    Daemon *d = data;
    ApiEvent e = {.kind = API_EVENT_STATS, .stats = snapshot};
    events_publish(d->events, &e);
}

static void on_server_counts(ApiServerCounts *out, gpointer data)
{
    Daemon *d = data;
    out->event_subscribers = events_subscriber_count(d->events);
    out->consoles = console_hub_count(d->consoles);
}

static void on_connected(VirtHost *h, gpointer data)
{
    Daemon *d = data;
    virt_model_reconnected(virt_host_model(h));
    api_hosts_connected(&d->api, h);
    api_meta_sync_kick(d->meta_sync);
    api_tasks_clean_up(&d->api, h);
}

/* Each connection is a socket, and libvirt, sqlite, event streams and
 * helper processes need descriptors of their own besides. */
#define FDS_BESIDES_CONNECTIONS 256

/* The soft open-files limit is often 1024, far below a hard limit of
 * 524288: raise it to the hard limit when max-connections needs more. */
static void raise_fd_limit(unsigned max_connections)
{
    /* Event streams leave libmicrohttpd's count once let in (events.h):
     * they may number max-connections again. */
    rlim_t need = 2 * (rlim_t)max_connections + FDS_BESIDES_CONNECTIONS;
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
        g_warning("cannot read the open-files limit: %s", g_strerror(errno));
        return;
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need && lim.rlim_cur < lim.rlim_max) {
        rlim_t was = lim.rlim_cur;
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
            g_debug("open-files limit raised from %llu to %llu", (unsigned long long)was,
                    (unsigned long long)lim.rlim_cur);
        } else {
            g_warning("cannot raise the open-files limit: %s", g_strerror(errno));
            lim.rlim_cur = was;
        }
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < need)
        g_warning(
            "the open-files limit (%llu) is below twice max-connections (event streams) + %d (%llu): "
            "connections may fail before max-connections is reached; raise the hard "
            "limit (ulimit -Hn, LimitNOFILE=) or lower max-connections",
            (unsigned long long)lim.rlim_cur, FDS_BESIDES_CONNECTIONS, (unsigned long long)need);
}

/* Signals are taken synchronously by the main thread alone. */
static sigset_t block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return set;
}

int main(int argc, char **argv)
{
    Daemon d = {0};
    g_autoptr(GError) error = NULL;
    gboolean exit_now = FALSE;
    config_init_defaults(&d.config);
    if (!config_from_args(&d.config, argc, argv, &exit_now, &error)) {
        fprintf(stderr, "vireod: %s\n", error->message);
        return 2;
    }
    if (exit_now)
        return 0;
    log_init(d.config.log_level);
    raise_fd_limit(d.config.max_connections);
    sigset_t signals = block_signals();
    xmlInitParser();

    /* Checked before the inventory is made and first-start set-up, which
     * must not happen for nothing. */
    struct sockaddr_storage listen_addr;
    gboolean use_tls = d.config.tls_cert || d.config.tls_key || d.config.tls_generate;
    if (!http_check_listen(d.config.listen, use_tls, &listen_addr, &error) ||
        !tls_check_priority(d.config.tls_priority, &error)) {
        g_critical("%s", error->message);
        return 2;
    }
    g_autoptr(Db) db = db_open(d.config.db, &error);
    if (!db) {
        g_critical("inventory: %s", error->message);
        return 1;
    }
    if (!api_crypto_init(FALSE)) {
        g_critical("libsodium failed to start");
        return 1;
    }
    d.api.locks = api_locks_new();
    d.api.quotas = api_quotas_new();
    g_mutex_init(&d.api.os_lock);
    d.api.db = db;
    d.api.session_idle_s = (gint64)d.config.session_idle_min * 60;
    d.api.session_max_s = (gint64)d.config.session_max_hours * 3600;
    d.api.audit_retention_s = (gint64)d.config.audit_retention_days * 86400;
    d.api.audit_max_rows = d.config.audit_max_rows;
    d.api.max_sessions_per_user = d.config.max_sessions_per_user;
    d.api.task_retention_s = (gint64)d.config.task_retention_days * 86400;
    d.api.max_upload = (guint64)d.config.max_upload_gib << 30;
    d.api.host_open_timeout_s = d.config.host_open_timeout_s;
    d.api.throttle = api_throttle_new(5, 20, 15 * 60);
    d.api.screenshots = api_shot_cache_new(SCREENSHOT_TTL_US, SCREENSHOT_MAX_KEPT,
                                           SCREENSHOT_MAX_BYTES, SCREENSHOT_WAIT_US);
    ApiPamConfig pam = {d.config.pam_service, d.config.pam_admin_group, d.config.pam_operator_group,
                        d.config.pam_viewer_group};
    if (strcmp(d.config.auth, "pam") == 0)
        d.api.pam = &pam;
    g_autofree char *db_dir = g_path_get_dirname(d.config.db);
    g_autofree char *password_note = g_build_filename(db_dir, "initial-admin-password", NULL);
    if (!api_bootstrap_admin(&d.api, d.config.init_admin_password_file, password_note, &error)) {
        g_critical("creating the first admin: %s", error->message);
        return 1;
    }
    TlsPair tls = {0};
    if (d.config.tls_generate && !d.config.tls_cert && !d.config.tls_key) {
        d.config.tls_cert = g_build_filename(db_dir, "tls", "vireo.crt", NULL);
        d.config.tls_key = g_build_filename(db_dir, "tls", "vireo.key", NULL);
    }
    if (use_tls && (!d.config.tls_cert || !d.config.tls_key)) {
        g_critical("--tls-cert and --tls-key go together");
        return 1;
    }
    if (use_tls &&
        !tls_load(d.config.tls_cert, d.config.tls_key, d.config.tls_generate, &tls, &error)) {
        g_critical("TLS: %s", error->message);
        return 1;
    }
    d.api.tls = use_tls;
    virt_init();
    d.meta_sync = api_meta_sync_new(&d.api);
    EventHubSettings event_settings = {
        .max_per_credential = d.config.max_streams_per_credential,
        .max_streams = d.config.max_connections,
        .max_per_address = d.config.max_connections_per_address,
        .tls = use_tls,
        .history = d.config.event_history,
    };
    d.events = events_hub_new(&d.api, &event_settings);
    d.api.consoles = api_consoles_new();
    d.consoles = console_hub_new(&d.api, &error);
    if (!d.consoles) {
        g_critical("%s", error->message);
        return 1;
    }
    d.api.tasks = task_engine_new(db, TASK_WORKERS, on_task_changed, &d, &error);
    if (!d.api.tasks) {
        g_critical("tasks: %s", error->message);
        return 1;
    }
    d.api.vm_changed = on_vm_changed;
    d.api.vm_changed_data = &d;
    d.api.auth_changed = on_auth_changed;
    d.api.auth_changed_data = &d;
    d.api.counters = api_counters_new();
    d.api.server_counts = on_server_counts;
    d.api.server_counts_data = &d;
    VirtHostsCallbacks host_callbacks = {.on_event = on_domain_event,
                                         .on_object = on_object_event,
                                         .on_connected = on_connected,
                                         .on_model_change = on_model_change,
                                         .watched = model_watched,
                                         .data = &d};
    d.api.hosts = virt_hosts_new(&host_callbacks);
    d.api.state_dir = g_strdup(db_dir);
    ApiSamplerSettings sampler = {.interval_s = d.config.stats_interval_s,
                                  .max_mib = d.config.stats_max_mib,
                                  .on_sample = on_sample,
                                  .data = &d,
                                  .uri = d.config.connect};
    d.api.sampler = api_sampler_new(&d.api, &sampler);
    d.api.vm_list = api_vm_list_new();
    /* Connects the local host before going on, the others in the background. */
    if (!api_hosts_load(&d.api, d.config.connect, &error)) {
        g_critical("hosts: %s", error->message);
        return 1;
    }
    api_sampler_start(d.api.sampler);
    d.api.backups = api_backups_new(&d.api);
    api_backups_start(d.api.backups, BACKUP_CHECK_S);

    HttpSettings http_settings = {
        .listen = d.config.listen,
        .webui = d.config.webui,
        .tls = use_tls ? &tls : NULL,
        .tls_priority = d.config.tls_priority,
        .threads = d.config.threads,
        .max_connections = d.config.max_connections,
        .max_connections_per_address = d.config.max_connections_per_address,
        .idle_timeout_s = d.config.idle_timeout_s,
        .header_timeout_s = d.config.header_timeout_s,
    };
    HttpServer *http = http_server_start(&d.api, d.events, d.consoles, &http_settings, &error);
    tls_pair_clear(&tls);
    if (!http) {
        g_critical("%s", error->message);
        return 1;
    }
    g_message("vireod listening on %s://%s/ (libvirt %s, inventory %s, web UI %s)",
              use_tls ? "https" : "http", d.config.listen, d.config.connect, d.config.db,
              d.config.webui);

    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP)
        g_message("SIGHUP ignored: restart vireod to change settings");
    g_message("signal %d: stopping; in-flight requests may finish", sig);

    events_hub_close(d.events);
    /* Upgraded connections must be closed before libmicrohttpd stops. */
    console_hub_close(d.consoles);
    http_server_stop(http, SHUTDOWN_GRACE_MS);
    /* Before the event hub and libvirt go: it publishes to one and
     * samples the other. Freed once libvirt's events (which note VM
     * starts in it) have stopped. */
    api_sampler_stop(d.api.sampler);
    /* No new runs; those under way are tasks, stopped with the engine. */
    api_backups_stop(d.api.backups);
    /* After HTTP (uploads are aborted with their connections), before
     * libvirt (running clones stop and delete what they made). */
    task_engine_free(d.api.tasks);
    d.api.tasks = NULL;
    api_vm_list_free(d.api.vm_list);
    d.api.vm_list = NULL;
    /* A prune under way holds hosts (a removed one too): their libvirt
     * events must end before the event hub does. */
    api_meta_sync_stop(d.meta_sync);
    /* The local host's connection and model go with the registry. */
    d.api.vm_model = NULL;
    d.api.virt = NULL;
    virt_hosts_free(d.api.hosts);
    d.api.hosts = NULL;
    g_free(d.api.state_dir);
    api_sampler_free(d.api.sampler);
    d.api.sampler = NULL;
    api_backups_free(d.api.backups);
    d.api.backups = NULL;
    events_hub_free(d.events);
    console_hub_free(d.consoles);
    api_consoles_free(d.api.consoles);
    api_meta_sync_free(d.meta_sync);
    api_throttle_free(d.api.throttle);
    api_shot_cache_free(d.api.screenshots);
    api_quotas_free(d.api.quotas);
    api_locks_free(d.api.locks);
    api_counters_free(d.api.counters);
    g_mutex_clear(&d.api.os_lock);
    json_decref(d.api.os_catalogue);
    if (d.api.os_media)
        g_hash_table_unref(d.api.os_media);
    config_clear(&d.config);
    g_message("stopped");
    return 0;
}
