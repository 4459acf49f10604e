/* The event stream (GET /api/events, Server-Sent Events): the mechanism.
 * Events fan out to every subscribed browser or script; what each one may
 * see and the words of each event are api/'s (api_event_policy.h).
 * Connections wait suspended between events. */
#pragma once
#include <microhttpd.h>

#include "api/core/api.h"
#include "api/events/api_event_policy.h"

typedef struct EventHub EventHub;

/* A hub whose session or token may hold at most `max_per_credential`
 * streams at once. */
EventHub *events_hub_new(ApiContext *api, guint max_per_credential);
/* Ends every stream, now and any opened later, so the HTTP server can stop. */
void events_hub_close(EventHub *hub);
/* Only once the HTTP server has stopped (its callbacks use the hub). */
void events_hub_free(EventHub *hub);

/* A response that streams events to `conn` for `auth` (taken), or NULL
 * when its session or token already holds the most streams it may. */
struct MHD_Response *events_subscribe(EventHub *hub, struct MHD_Connection *conn, ApiAuth *auth);

/* Sends `e` to every stream whose user may see it (api_event_policy.h);
 * any thread. */
void events_publish(EventHub *hub, const ApiEvent *e);
/* What user `user_id` (0: any user) may see changed: their streams read it
 * again at once, and end if their credentials went. */
void events_auth_changed(EventHub *hub, gint64 user_id);
/* Open streams (for /metrics). */
guint events_subscriber_count(EventHub *hub);
/* Sends a comment line to every stream: keeps proxies from timing out and
 * finds clients that went away or whose session expired. */
void events_ping(EventHub *hub);
