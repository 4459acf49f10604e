/* The event stream (GET /api/events, Server-Sent Events): the mechanism.
 * Each event gets an id ("EPOCH-SEQ"); the newest are kept in a bounded
 * ring so that a client reconnecting with Last-Event-ID gets exactly the
 * events it missed, or, when they are gone (or vireod restarted), one
 * `reload` event telling it to read everything again. A client that reads
 * too slowly gets the same `reload` instead of an unbounded queue.
 * Heartbeat comments go out every few seconds.
 *
 * libmicrohttpd keeps a 32 KiB pool per connection; an idle stream needs a
 * few hundred bytes, so once a stream is let in its socket is taken from
 * libmicrohttpd and served by the hub's own thread (one epoll set for all
 * streams; docs/events.md). What each stream may see and the words of
 * each event are api/'s business (api_event_policy.h). */
#pragma once
#include "api/core/api.h"
#include "api/events/api_event_policy.h"

typedef struct EventHub EventHub;

typedef struct {
    guint max_per_credential; /* streams one session or token may hold */
    guint max_streams;        /* streams in all */
    guint max_per_address;    /* streams from one client address */
    gboolean tls;             /* the answer head carries HSTS */
    guint ping_interval_ms;   /* heartbeats; 0: every 5 s */
    guint history;            /* events kept for resuming; 0: 1024 */
} EventHubSettings;

EventHub *events_hub_new(ApiContext *api, const EventHubSettings *settings);
/* Ends every stream, now and any opened later, so the HTTP server can stop. */
void events_hub_close(EventHub *hub);
void events_hub_free(EventHub *hub);

/* Takes over socket `fd` (a duplicate of the connection's, whose request
 * was GET /api/events from `address`) and answers it with the stream of
 * `auth` (taken), resuming after `last_id` (the client's Last-Event-ID;
 * NULL for a new client). FALSE (TOO_MANY_REQUESTS or UNAVAILABLE) when the
 * stream may not open; then `fd` stays the caller's. */
gboolean events_subscribe(EventHub *hub, int fd, const char *address, ApiAuth *auth,
                          const char *last_id, GError **error);

/* Sends `e` to every stream whose user may see it (api_event_policy.h);
 * any thread, never blocks on a client. */
void events_publish(EventHub *hub, const ApiEvent *e);
/* What user `user_id` (0: any user) may see changed: their streams read it
 * again at once, and end if their credentials went. */
void events_auth_changed(EventHub *hub, gint64 user_id);
/* Open streams, for figures (/metrics) and tests. */
guint events_subscriber_count(EventHub *hub);
