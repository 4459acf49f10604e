/* Live figures as JSON: what the event stream, the VM list and detail and
 * the history's "latest" say about a VM or the host. Units: CPU in percent,
 * memory in bytes, disk and network in bytes per second; null when a
 * figure is not known (yet). */
#pragma once
#include "api/core/api.h"
#include "api/stats/api_sampler.h"
#include "virt/virt_domain_addr.h"

/* {"cpu", ["cpu_vcpus" for VMs,] "memory_used", "memory_total",
 * "memory_source" (VMs: "guest" or "host"), "disk_read", "disk_write",
 * "net_rx", "net_tx"}. */
json_t *api_stats_figures_json(const VirtStatsFigures *f, gboolean vm);
/* {"address", "prefix", "family", "interface", "mac", "source"} */
json_t *api_stats_address_json(const VirtIfAddr *a);
const char *api_stats_started_source(ApiStartedSource s);

/* What the list and detail add to a VM from the latest sample, in two
 * parts: `stable` members change only when the VM starts, stops or gets
 * an address ("started_at", "uptime_source", "addresses"), so they may be
 * covered by the VM's ETag; `moving` ones change every second or sample
 * ("uptime", "stats"). Either may be NULL when not wanted. */
/* `state` is the VM's state as libvirt says it now: a VM that stopped
 * since the sample has no uptime, addresses or figures. */
void api_stats_vm_live(ApiSampler *sampler, ApiStatsSnapshot *snap, const char *uuid, int state,
                       gint64 now, json_t *stable, json_t *moving);
