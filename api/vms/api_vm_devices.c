/* The look-ups every VM device change starts with. */
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
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
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

gboolean api_vm_device_begin(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                             virDomainPtr *dom_out, GError **error)
{
    g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(json_t) current = conn ? api_vm_detail(ctx, conn, req->params[0], &dom, error) : NULL;
    if (!current || !api_check_if_match(req, current, "the VM", error))
        return FALSE;
    *conn_out = g_steal_pointer(&conn);
    *dom_out = g_steal_pointer(&dom);
    return TRUE;
}

virStorageVolPtr api_vm_volume_from_field(virConnectPtr conn, const char *field, const char *id,
                                          GError **error)
{
    GError *cause = NULL;
    virStorageVolPtr vol = virt_volume_lookup_ref(conn, id, NULL, &cause);
    /* A malformed or missing volume is a bad request (the body is wrong),
     * not a missing resource: the URL's VM exists. */
    if (!vol && (g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_NOT_FOUND) ||
                 g_error_matches(cause, VIRT_ERROR, VIRT_ERROR_INVALID_ARG)))
        api_field_error(error, field, cause);
    else if (!vol)
        g_propagate_error(error, cause);
    return vol;
}
