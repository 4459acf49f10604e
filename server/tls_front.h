/* vireod's own TLS listener. libmicrohttpd 0.9.75 moves the bytes of an
 * upgraded TLS connection (a console's WebSocket) at a fraction of a MiB/s,
 * so with TLS on, libmicrohttpd listens on nothing: this front accepts,
 * runs the TLS handshake with GnuTLS, and hands each connection to
 * libmicrohttpd as the plain end of a socket pair, with the client's real
 * address (per-address limits and logs stay true). One thread with one
 * epoll set moves the bytes both ways, with back-pressure (a slow client
 * stops the reads from libmicrohttpd, and the other way round). */
#pragma once
#include <glib.h>
#include <microhttpd.h>
#include <sys/socket.h>

#include "server/tls.h"

typedef struct TlsFront TlsFront;

typedef struct {
    const TlsPair *pair;
    const char *priority;         /* GnuTLS priority string */
    unsigned max_connections;     /* all at once, handshakes included */
    unsigned max_per_address;     /* from one client address */
    unsigned handshake_timeout_s; /* a handshake must end within this */
} TlsFrontSettings;

/* Loads the credentials and binds and listens on `addr` now, so that a
 * bad key or a port in use fails the start. */
TlsFront *tls_front_new(const struct sockaddr_storage *addr, const TlsFrontSettings *set,
                        GError **error);
/* Starts the thread: each connection, once its handshake is done, goes to
 * `daemon` (started with MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC). */
gboolean tls_front_start(TlsFront *f, struct MHD_Daemon *daemon, GError **error);
/* Closes the listening socket: no new connections; open ones go on. */
void tls_front_stop_accepting(TlsFront *f);
/* Stops the thread and closes every connection still open. */
void tls_front_free(TlsFront *f);
