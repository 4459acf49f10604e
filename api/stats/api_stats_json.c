/* Live figures as JSON (see api_stats_json.h). */
#include "api/stats/api_stats_json.h"
#include "api/core/api_json.h"

#include <math.h>

static json_t *number(double v, gboolean whole)
{
    if (isnan(v))
        return json_null();
    if (whole)
        return json_integer((json_int_t)llround(v));
    /* Two decimals are all a chart or a gauge shows. */
    return json_real(round(v * 100.0) / 100.0);
}

json_t *api_stats_figures_json(const VirtStatsFigures *f, gboolean vm)
{
    json_t *o = json_object();
    json_object_set_new(o, "cpu", number(f->v[VIRT_FIG_CPU], FALSE));
    if (vm)
        json_object_set_new(o, "cpu_vcpus", number(f->v[VIRT_FIG_CPU_VCPUS], FALSE));
    json_object_set_new(o, "memory_used", number(f->v[VIRT_FIG_MEM_USED] * 1024.0, TRUE));
    json_object_set_new(o, "memory_total", number(f->v[VIRT_FIG_MEM_TOTAL] * 1024.0, TRUE));
    if (vm)
        json_object_set_new(o, "memory_source", json_string(f->mem_from_guest ? "guest" : "host"));
    json_object_set_new(o, "disk_read", number(f->v[VIRT_FIG_DISK_READ], TRUE));
    json_object_set_new(o, "disk_write", number(f->v[VIRT_FIG_DISK_WRITE], TRUE));
    json_object_set_new(o, "net_rx", number(f->v[VIRT_FIG_NET_RX], TRUE));
    json_object_set_new(o, "net_tx", number(f->v[VIRT_FIG_NET_TX], TRUE));
    return o;
}

json_t *api_stats_address_json(const VirtIfAddr *a)
{
    return json_pack("{s:s,s:I,s:s,s:o,s:o,s:s}", "address", a->address, "prefix",
                     (json_int_t)a->prefix, "family", a->ipv6 ? "ipv6" : "ipv4", "interface",
                     a->interface ? json_string(a->interface) : json_null(), "mac",
                     a->mac ? json_string(a->mac) : json_null(), "source", a->source);
}

const char *api_stats_started_source(ApiStartedSource s)
{
    switch (s) {
    case API_STARTED_PROCESS: return "process";
    case API_STARTED_OBSERVED: return "observed";
    case API_STARTED_UNKNOWN: break;
    }
    return NULL;
}

void api_stats_vm_live(ApiSampler *sampler, ApiStatsSnapshot *snap, const char *uuid, int state,
                       gint64 now, json_t *stable, json_t *moving)
{
    const ApiVmLive *v = snap ? g_hash_table_lookup(snap->vms, uuid) : NULL;
    gboolean stopped = state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_CRASHED ||
                       state == VIR_DOMAIN_NOSTATE;
    gboolean active = v && v->active && !stopped;
    gint64 started = active ? v->started_at : 0;
    if (stable) {
        const char *source = active ? api_stats_started_source(v->started_source) : NULL;
        json_object_set_new(stable, "started_at", started ? api_time_json(started) : json_null());
        json_object_set_new(stable, "uptime_source", source ? json_string(source) : json_null());
        json_object_set_new(stable, "addresses",
                            active ? api_sampler_addresses(sampler, snap->vhost, uuid)
                                   : json_array());
    }
    if (moving) {
        json_object_set_new(moving, "uptime",
                            started ? json_integer(MAX(now - started, 0)) : json_null());
        json_object_set_new(moving, "stats",
                            active ? api_stats_figures_json(&v->figures, TRUE) : json_null());
    }
}
