/* Keeps the inventory's per-VM metadata in step with libvirt: rows of VMs
 * removed behind Vireo's back (virsh undefine) are pruned after libvirt
 * events, after each (re)connect, and periodically as a safety net. */
#pragma once
#include "api/core/api.h"

typedef struct ApiMetaSync ApiMetaSync;

ApiMetaSync *api_meta_sync_new(ApiContext *ctx);
void api_meta_sync_free(ApiMetaSync *sync);
/* Ends the thread (kicks after it do nothing); the hosts it holds while
 * it prunes are let go. Before the host registry and the event hub go. */
void api_meta_sync_stop(ApiMetaSync *sync);
/* Asks for a prune soon; safe from any thread, never blocks. */
void api_meta_sync_kick(ApiMetaSync *sync);
/* One prune now, in the caller's thread; returns rows removed or -1. */
int api_meta_sync_run(ApiContext *ctx, GError **error);
