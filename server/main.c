/* vireod: reads its settings, opens the inventory and the libvirt
 * connection, serves HTTP, and stops cleanly on SIGTERM/SIGINT. */
#include "api/api.h"
#include "api/api_meta_sync.h"
#include "server/config.h"
#include "server/http.h"
#include "server/log.h"
#include "virt/virt_conn.h"

#include <libxml/parser.h>
#include <signal.h>
#include <stdio.h>

#define SHUTDOWN_GRACE_MS 10000

typedef struct {
    Config config;
    ApiContext api;
    ApiMetaSync *meta_sync;
} Daemon;

static void on_domain_event(const char *uuid, const char *name, int event, int detail G_GNUC_UNUSED,
                            gpointer data)
{
    Daemon *d = data;
    g_debug("domain event %d for %s (%s)", event, name, uuid);
    /* A VM that is gone (undefined, or a transient one stopped) may leave
     * metadata behind. */
    if (event == VIR_DOMAIN_EVENT_UNDEFINED || event == VIR_DOMAIN_EVENT_STOPPED)
        api_meta_sync_kick(d->meta_sync);
}

static void on_connected(gpointer data)
{
    Daemon *d = data;
    api_meta_sync_kick(d->meta_sync);
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
    sigset_t signals = block_signals();
    xmlInitParser();

    g_autoptr(Db) db = db_open(d.config.db, &error);
    if (!db) {
        g_critical("inventory: %s", error->message);
        return 1;
    }
    g_mutex_init(&d.api.edit_lock);
    d.api.db = db;
    virt_init();
    d.meta_sync = api_meta_sync_new(&d.api);
    d.api.virt = virt_conn_new(d.config.connect, on_domain_event, on_connected, &d);
    virt_conn_start(d.api.virt);

    HttpServer *http = http_server_start(&d.api, d.config.listen, d.config.webui,
                                         d.config.threads, &error);
    if (!http) {
        g_critical("%s", error->message);
        return 1;
    }
    g_message("vireod listening on http://%s/ (libvirt %s, inventory %s, web UI %s)",
              d.config.listen, d.config.connect, d.config.db, d.config.webui);

    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP)
        g_message("SIGHUP ignored: restart vireod to change settings");
    g_message("signal %d: stopping; in-flight requests may finish", sig);

    http_server_stop(http, SHUTDOWN_GRACE_MS);
    api_meta_sync_free(d.meta_sync);
    virt_conn_free(d.api.virt);
    g_mutex_clear(&d.api.edit_lock);
    config_clear(&d.config);
    g_message("stopped");
    return 0;
}
