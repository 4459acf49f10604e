/* Feature checks against the host's driver (api_driver.h). */
#include "api/host/api_driver.h"
#include "api/core/api_host_resolve.h"
#include "virt/virt_driver.h"

gboolean api_driver_has(ApiContext *ctx, const ApiRequest *req, ApiFeature feature, GError **error)
{
    g_autoptr(VirtDriver) d = virt_driver_of(api_req_virt(ctx, req), error);
    if (!d)
        return FALSE;
    const VirtFeatures *f = &d->features;
    switch (feature) {
    case API_FEATURE_VNC: return virt_driver_require(d, f->vnc, "graphical (VNC) consoles", error);
    case API_FEATURE_SERIAL: return virt_driver_require(d, f->serial, "serial consoles", error);
    case API_FEATURE_SNAPSHOTS: return virt_driver_require(d, f->snapshots, "snapshots", error);
    case API_FEATURE_STORAGE: return virt_driver_require(d, f->storage, "storage pools", error);
    case API_FEATURE_NETWORKS:
        return virt_driver_require(d, f->networks, "virtual networks", error);
    case API_FEATURE_CLOUD_INIT: return virt_driver_require(d, f->cloud_init, "cloud-init", error);
    case API_FEATURE_VMS: return virt_driver_require(d, f->vms, "virtual machines", error);
    case API_FEATURE_CONTAINERS:
        return virt_driver_require(d, f->containers, "system containers", error);
    }
    return TRUE;
}
