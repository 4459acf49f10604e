/* The look-ups every VM device change starts with. */
#include "api/core/api_host_resolve.h"
#include "api/vms/api_vm_devices.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "api/vms/api_vms.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_devices.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

gboolean api_vm_device_read(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                            virDomainPtr *dom_out, GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    if (!dom)
        return FALSE;
    *conn_out = g_steal_pointer(&conn);
    *dom_out = g_steal_pointer(&dom);
    return TRUE;
}

VirtDomainConfig *api_vm_devices_read(ApiContext *ctx, const ApiRequest *req,
                                      virConnectPtr *conn_out, virDomainPtr *dom_out,
                                      GError **error)
{
    if (!api_vm_device_read(ctx, req, conn_out, dom_out, error))
        return NULL;
    return virt_domain_devices(*dom_out, error);
}

virStorageVolPtr api_vm_volume_from_field(const ApiRequest *req, virConnectPtr conn,
                                          const char *field, const char *id, ApiVolumeUse use,
                                          char **path_out, GError **error)
{
    GError *cause = NULL;
    g_autoptr(virStoragePool) pool = NULL;
    g_autoptr(virStorageVol) vol = virt_volume_lookup_ref(conn, id, &pool, &cause);
    g_autofree char *path = vol ? virStorageVolGetPath(vol) : NULL;
    if (vol && !path)
        virt_error_from_libvirt(&cause, "reading volume");
    else if (vol)
        api_scope_volume(req->scope, conn, virStoragePoolGetName(pool), virStorageVolGetName(vol),
                         path, use, &cause);
    if (!cause) {
        if (path_out)
            *path_out = g_steal_pointer(&path);
        return g_steal_pointer(&vol);
    }
    /* A malformed, missing or forbidden volume is a bad request (the body
     * is wrong), not a missing resource: the URL's VM exists. */
    if (g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_NOT_FOUND) ||
        g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_INVALID_ARG))
        api_field_error(error, field, cause);
    else
        g_propagate_error(error, cause);
    return NULL;
}
