/* The event stream's policy: what each event says (its SSE frame), who may
 * see it, and whether a client that reconnects may have it replayed.
 * server/events.c only numbers, keeps, frames and writes; everything about
 * users lives here. What a user may see is read from the inventory once per
 * user (shared by all of that user's streams) and again only when it
 * changes (api_auth_changed), never per event: sending an event to any
 * number of streams runs no SQL. All calls but api_event_record_* run
 * under the hub's lock, one at a time. */
#pragma once
#include "api/core/api.h"
#include "api/stats/api_sampler.h"
#include "db/db_tasks.h"

typedef enum {
    API_EVENT_VM,      /* a VM's lifecycle, device or edit event */
    API_EVENT_POOL,    /* a storage pool's lifecycle */
    API_EVENT_NETWORK, /* a network's lifecycle */
    API_EVENT_TASK,    /* a task's new state */
    API_EVENT_STATS,   /* a sample: the host's and the VMs' latest figures */
} ApiEventKind;

typedef struct {
    ApiEventKind kind;
    const char *uuid; /* VM, pool, network */
    const char *name;
    VirtHost *host;          /* the VM's, pool's or network's host; NULL: none named */
    int event;               /* libvirt's event number, or VIRT_DOMAIN_EVENT_* */
    const DbTask *task;      /* tasks */
    ApiStatsSnapshot *stats; /* samples */
} ApiEvent;

/* An event made ready for every stream at once: its frames and what
 * deciding who sees it needs. Immutable and reference-counted, so the
 * hub's ring of recent events can keep it for replays. Any thread. */
typedef struct ApiEventRecord ApiEventRecord;

ApiEventRecord *api_event_record_new(const ApiEvent *e);
ApiEventRecord *api_event_record_ref(ApiEventRecord *r);
void api_event_record_unref(ApiEventRecord *r);
/* Its size in memory, for the ring's byte bound. */
gsize api_event_record_size(const ApiEventRecord *r);
/* Whether a reconnecting client gets it again (kept in the ring, with an
 * id). Figures that the next sample replaces need not be. */
gboolean api_event_record_resumable(const ApiEventRecord *r);

/* The views of all open streams, one per user. */
typedef struct ApiEventViews ApiEventViews;
ApiEventViews *api_event_views_new(ApiContext *ctx);
void api_event_views_free(ApiEventViews *views);

typedef struct ApiEventViewer ApiEventViewer;

/* The view of the stream opened with `auth` (taken). */
ApiEventViewer *api_event_viewer_new(ApiEventViews *views, ApiAuth *auth);
void api_event_viewer_free(ApiEventViewer *v);

/* The frame of `r` this viewer gets ("event: ...\ndata: ...\n\n", no id
 * line), or NULL when it may not see it. Valid while `r` lives. */
const char *api_event_viewer_frame(ApiEventViewer *v, const ApiEventRecord *r);

/* Starts a round of checks (a heartbeat, or a change of what users may
 * see): within one round each session or token is looked up once, however
 * many streams it holds. */
void api_event_views_new_round(ApiEventViews *views);
/* What user `user_id` (0: every user) may see changed: each such user's
 * role and visible set are read again, once. */
void api_event_views_refresh(ApiEventViews *views, gint64 user_id);
/* FALSE when the stream must end: its session or token is revoked or
 * expired, or its user is gone (checked once per credential per round). */
gboolean api_event_viewer_valid(ApiEventViewer *v);

gint64 api_event_viewer_user(const ApiEventViewer *v);
/* TRUE when both views come from the same session or API token. */
gboolean api_event_viewer_same_credential(const ApiEventViewer *a, const ApiEventViewer *b);
