/* Deadlines for the heads of requests. libmicrohttpd's connection timeout
 * counts inactivity only, so a client that trickles one header byte every
 * few seconds (or opens sockets and says nothing) would hold its connection
 * for as long as it likes; enough of them lock everyone else out. The guard
 * gives every connection a deadline for the head of its next request and
 * shuts the socket down from a watchdog thread when it passes. */
#pragma once
#include <glib.h>
#include <microhttpd.h>

typedef struct HttpGuard HttpGuard;

/* A guard whose connections must send each request head within
 * `header_timeout_s` seconds of connecting or of their previous answer. */
HttpGuard *http_guard_new(unsigned header_timeout_s);
/* Only after the HTTP daemon has stopped (its callbacks use the guard). */
void http_guard_free(HttpGuard *guard);

/* MHD_OPTION_NOTIFY_CONNECTION callback; `cls` is the guard. */
void http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode toe);
/* A request head arrived whole: no deadline while it is served (bodies,
 * streams and downloads are bounded by libmicrohttpd's inactivity timeout). */
void http_guard_request_began(struct MHD_Connection *conn);
/* Its answer went out: the next head must come in time, or the connection
 * goes. */
void http_guard_request_ended(struct MHD_Connection *conn);
/* How many connections the guard has cut so far (for tests and metrics). */
guint64 http_guard_cut_count(HttpGuard *guard);
