/* The event stream's policy: what each event says (its SSE frame) and who
 * may see it. server/events.c only frames, queues and writes; everything
 * about users lives here. A subscriber's view (its role and what it may
 * see) is kept in memory and re-read when what its user may do changes
 * (api_auth_changed), never per event. */
#pragma once
#include "api/core/api.h"
#include "api/stats/api_sampler.h"
#include "db/db_tasks.h"

typedef enum {
    API_EVENT_VM,        /* a VM's lifecycle, device or edit event */
    API_EVENT_POOL,      /* a storage pool's lifecycle */
    API_EVENT_NETWORK,   /* a network's lifecycle */
    API_EVENT_TASK,      /* a task's new state */
    API_EVENT_STATS,     /* a sample: the host's and the VMs' latest figures */
} ApiEventKind;

typedef struct {
    ApiEventKind kind;
    const char *uuid;    /* VM, pool, network */
    const char *name;
    int event;           /* libvirt's event number, or VIRT_DOMAIN_EVENT_* */
    const DbTask *task;  /* tasks */
    ApiStatsSnapshot *stats;  /* samples */
} ApiEvent;

/* An event's SSE frames, made once for every subscriber: admins get the
 * hypervisor's own words in task errors, others the short form. A sample
 * is cut in parts, each VM's JSON made once, and joined for each viewer
 * with the VMs it may see. */
typedef struct {
    char *full;
    char *brief;
    char *stats_head;        /* a sample's frame up to its list of VMs */
    GPtrArray *stats_uuids;  /* each VM's UUID (borrowed from the snapshot) */
    GPtrArray *stats_vms;    /* and its JSON */
    GPtrArray *owned;        /* frames made for one viewer, freed with the rest */
} ApiEventFrames;

void api_event_frames_init(ApiEventFrames *f, const ApiEvent *e);
void api_event_frames_clear(ApiEventFrames *f);

typedef struct ApiEventViewer ApiEventViewer;

/* The view of the user behind `auth` (taken). */
ApiEventViewer *api_event_viewer_new(ApiContext *ctx, ApiAuth *auth);
void api_event_viewer_free(ApiEventViewer *v);

/* The frame of `e` this viewer gets, or NULL when it may not see it. */
const char *api_event_viewer_frame(ApiEventViewer *v, const ApiEvent *e, ApiEventFrames *f);
/* Re-reads the viewer's role and what it may see; FALSE when its session
 * or token is no longer valid or its user is gone: the stream ends. */
gboolean api_event_viewer_refresh(ApiEventViewer *v);
/* Only whether the session or token still lets it in (cheap: for pings). */
gboolean api_event_viewer_valid(ApiEventViewer *v);

gint64 api_event_viewer_user(const ApiEventViewer *v);
/* TRUE when both views come from the same session or API token. */
gboolean api_event_viewer_same_credential(const ApiEventViewer *a, const ApiEventViewer *b);
