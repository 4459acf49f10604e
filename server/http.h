/* The HTTP server: libmicrohttpd with a thread pool, turning requests into
 * ApiRequest for api/ or into static file answers. */
#pragma once
#include <glib.h>
#include <sys/socket.h>

#include "api/core/api.h"
#include "server/console_hub.h"
#include "server/events.h"
#include "server/tls.h"

typedef struct HttpServer HttpServer;

/* How the listener is set up; the strings are borrowed for the call. */
typedef struct {
    const char *listen;       /* ADDR:PORT or [V6ADDR]:PORT */
    const char *webui;        /* static files folder */
    const TlsPair *tls;       /* NULL: plain HTTP (loopback only) */
    const char *tls_priority; /* GnuTLS priority string, with tls */
    unsigned threads;
    unsigned max_connections;
    unsigned max_connections_per_address;
    unsigned idle_timeout_s;
    unsigned header_timeout_s; /* a request head must arrive within this */
} HttpSettings;

/* `consoles` (may be NULL) takes the WebSocket of each console opened. */
HttpServer *http_server_start(ApiContext *api, EventHub *events, ConsoleHub *consoles,
                              const HttpSettings *set, GError **error);
/* Stops accepting, lets in-flight requests finish (up to `grace_ms`), then
 * stops the threads. */
void http_server_stop(HttpServer *srv, unsigned grace_ms);

/* TRUE for 127.0.0.0/8 and ::1. */
gboolean http_is_loopback(const struct sockaddr_storage *addr);
/* Parses `listen` into `out` and refuses plain HTTP (`tls` FALSE) on any
 * address but loopback: credentials never cross a network in clear text. */
gboolean http_check_listen(const char *listen, gboolean tls, struct sockaddr_storage *out,
                           GError **error);
/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" into a socket address. */
gboolean http_parse_listen(const char *listen, struct sockaddr_storage *out, GError **error);
