/* The one check handlers make before using a feature that some libvirt
 * drivers lack (snapshots on LXC, VNC on LXC or Xen...): a 409
 * not_supported naming the driver, never libvirt's internal error. */
#pragma once
#include "api/core/api.h"

typedef enum {
    API_FEATURE_VNC,
    API_FEATURE_SERIAL,
    API_FEATURE_SNAPSHOTS,
    API_FEATURE_STORAGE,
    API_FEATURE_NETWORKS,
    API_FEATURE_CLOUD_INIT,
    API_FEATURE_VMS,
    API_FEATURE_CONTAINERS,
} ApiFeature;

/* TRUE when the driver of the request's host (api_host_resolve.h) has
 * `feature`; else FALSE with the 409 (or the 503 of a host that is down). */
gboolean api_driver_has(ApiContext *ctx, const ApiRequest *req, ApiFeature feature, GError **error);
