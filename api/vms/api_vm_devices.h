/* Shared by /api/vms/{vm}/disks and /api/vms/{vm}/nics. */
#pragma once
#include "api/core/api.h"
#include "api/core/api_scope.h"

#include <libvirt/libvirt.h>

#include "virt/virt_domain_xml.h"

/* The VM of {vm} for a read (400 for any query parameter). */
gboolean api_vm_device_read(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                            virDomainPtr *dom_out, GError **error);
/* The same, and the VM's devices as they are now. */
VirtDomainConfig *api_vm_devices_read(ApiContext *ctx, const ApiRequest *req,
                                      virConnectPtr *conn_out, virDomainPtr *dom_out,
                                      GError **error);

/* The volume "pool/name" named by body member `field`, when the caller may
 * use it for `use` (docs/access.md): 400 naming the field when it is
 * malformed, does not exist or is not the caller's to use. `path_out`
 * (may be NULL) receives its path. */
virStorageVolPtr api_vm_volume_from_field(const ApiRequest *req, virConnectPtr conn,
                                          const char *field, const char *id, ApiVolumeUse use,
                                          char **path_out, GError **error);
