/* The sampler: for every host, a thread that every interval takes one
 * sample of every VM and of the host (virt_stats.h), turns counters into figures, writes them
 * to the metric history (db_stats.h) in one transaction, keeps the latest
 * sample for lists, /metrics and new subscribers, and hands it to the
 * event stream (the local host's). A second thread per host keeps each
 * running VM's IP addresses,
 * because the guest agent may take seconds to answer and nothing else
 * should wait for it. Design notes: docs/stats.md. */
#pragma once
#include "api/core/api.h"
#include "db/db_stats.h"
#include "virt/virt_hosts.h"
#include "virt/virt_stats.h"

/* How a running VM's start time is known. */
typedef enum {
    API_STARTED_UNKNOWN,  /* started before vireod, and its process cannot be read */
    API_STARTED_PROCESS,  /* its QEMU process' start time (this host's /proc) */
    API_STARTED_OBSERVED, /* vireod saw it start: its lifecycle event, or between two samples */
} ApiStartedSource;

/* One VM in the latest sample. */
typedef struct {
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    int state;       /* virDomainState */
    int id;          /* its domain id: which run of it this is */
    gboolean active; /* running, paused ...: it has a QEMU process */
    guint vcpus;
    VirtStatsFigures figures; /* active VMs only; NAN while not known */
    gint64 started_at;        /* unix seconds; 0: not known */
    ApiStartedSource started_source;
} ApiVmLive;

/* The latest sample of one host, shared read-only (reference counted). */
typedef struct {
    gint ref;
    VirtHost *vhost;      /* the host it is of; NULL without a host registry */
    gint64 time;          /* unix seconds */
    guint interval;       /* seconds between samples */
    VirtStatsSample *raw; /* the counters, for /metrics */
    VirtStatsFigures host;
    GHashTable *vms;   /* uuid -> ApiVmLive* (every VM) */
    GPtrArray *active; /* ApiVmLive* of active VMs, by name */
} ApiStatsSnapshot;

ApiStatsSnapshot *api_stats_snapshot_ref(ApiStatsSnapshot *s);
void api_stats_snapshot_unref(ApiStatsSnapshot *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiStatsSnapshot, api_stats_snapshot_unref)

typedef void (*ApiSampleFunc)(ApiStatsSnapshot *snapshot, gpointer data);

typedef struct {
    guint interval_s;        /* 0: no sampling, no history, no events */
    guint max_mib;           /* the history's size bound */
    ApiSampleFunc on_sample; /* after each sample, on the sampler's thread; may be NULL */
    gpointer data;
    const char *uri; /* the local host's URI; NULL: ctx->virt's */
} ApiSamplerSettings;

/* The sampler of every host of ctx->hosts (or of ctx->virt without a
 * registry) into ctx->db; nothing runs before api_sampler_start. Hosts
 * added and removed later are followed within a second. A host that is
 * not connected is not sampled, and a host that hangs holds up only its
 * own thread. */
ApiSampler *api_sampler_new(ApiContext *ctx, const ApiSamplerSettings *settings);
void api_sampler_start(ApiSampler *s);
/* Stops both threads (waiting for a sample or an agent call under way);
 * the rest answers as before (the last sample stays). */
void api_sampler_stop(ApiSampler *s);
void api_sampler_free(ApiSampler *s);

/* The local host's latest sample (a new reference), or NULL before the
 * first; _of: host `h`'s (NULL: the local host). */
ApiStatsSnapshot *api_sampler_latest(ApiSampler *s);
ApiStatsSnapshot *api_sampler_latest_of(ApiSampler *s, VirtHost *h);
/* The latest sample of the host where VM `uuid` runs, else the local
 * host's (for answers that know the VM's connection, not its host). */
ApiStatsSnapshot *api_sampler_latest_with_vm(ApiSampler *s, const char *uuid);
/* Every sampled host's latest sample (an array of new references). */
GPtrArray *api_sampler_all_latest(ApiSampler *s);
guint api_sampler_interval(ApiSampler *s);
const DbStatsPolicy *api_sampler_policy(ApiSampler *s);
/* A lifecycle event said the VM started now on host `h` (NULL: local): a
 * better start time than "between two samples". Any thread. */
void api_sampler_note_started(ApiSampler *s, VirtHost *h, const char *uuid);
/* The IP addresses of the VM on host `h` (NULL: local) as last read (a
 * JSON array, new reference; [] when none are known or it is not
 * running). */
json_t *api_sampler_addresses(ApiSampler *s, VirtHost *h, const char *uuid);

typedef struct {
    guint64 samples;        /* taken */
    guint64 failures;       /* libvirt unreachable or the sample failed */
    guint64 write_failures; /* the history could not be written */
    double last_duration_s; /* the last sample, history write included */
    gint64 last_time;       /* unix seconds of the last sample; 0: none */
} ApiSamplerCounts;

/* The local host's sampler's counts. */
void api_sampler_counts(ApiSampler *s, ApiSamplerCounts *out);
