/* The HTTP server: libmicrohttpd with a thread pool, turning requests into
 * ApiRequest for api/ or into static file answers. */
#pragma once
#include <glib.h>
#include <sys/socket.h>

#include "api/core/api.h"
#include "server/events.h"
#include "server/tls.h"

typedef struct HttpServer HttpServer;

/* `tls` (may be NULL) makes it an HTTPS server. */
HttpServer *http_server_start(ApiContext *api, EventHub *events, const char *listen,
                              const char *webui, unsigned threads, const TlsPair *tls,
                              GError **error);
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
