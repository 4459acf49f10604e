/* The event stream (GET /api/events, Server-Sent Events): libvirt's domain
 * events fan out to every subscribed browser or script, each seeing only
 * the VMs it may see. Connections wait suspended between events. */
#pragma once
#include <microhttpd.h>

#include "api/core/api.h"

typedef struct EventHub EventHub;

EventHub *events_hub_new(ApiContext *api);
/* Ends every stream, now and any opened later, so the HTTP server can stop. */
void events_hub_close(EventHub *hub);
/* Only once the HTTP server has stopped (its callbacks use the hub). */
void events_hub_free(EventHub *hub);

/* A response that streams events to `conn` for `auth` (taken). */
struct MHD_Response *events_subscribe(EventHub *hub, struct MHD_Connection *conn, ApiAuth *auth);

/* Publishes a VM lifecycle event (virDomainEventType); any thread. */
void events_publish_vm(EventHub *hub, const char *uuid, const char *name, int event);
/* Publishes a storage pool ("pool") or network ("network") lifecycle
 * event to every stream: every logged-in user may see pools and networks. */
void events_publish_object(EventHub *hub, const char *kind, const char *uuid, const char *name,
                           int event);
/* Publishes a task's new state (`task_json`, the task as the API shows it)
 * to its owner's streams and the admins'. */
void events_publish_task(EventHub *hub, gint64 owner_id, const char *task_json);
/* Sends a comment line to every stream: keeps proxies from timing out and
 * finds clients that went away. */
void events_ping(EventHub *hub);
