/* Shared by /api/vms/{vm}/disks and /api/vms/{vm}/nics. */
#pragma once
#include "api/core/api.h"

#include <libvirt/libvirt.h>

#include "virt/virt_domain_xml.h"

/* The VM of {vm} for a device change: 404 when unknown, 412 when
 * If-Match names another version of the VM (devices are part of it). */
gboolean api_vm_device_begin(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                             virDomainPtr *dom_out, GError **error);
/* The VM of {vm} for a read (400 for any query parameter). */
gboolean api_vm_device_read(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                            virDomainPtr *dom_out, GError **error);
/* The same, and the VM's devices as they are now. */
VirtDomainConfig *api_vm_devices_read(ApiContext *ctx, const ApiRequest *req,
                                      virConnectPtr *conn_out, virDomainPtr *dom_out,
                                      GError **error);

/* The volume "pool/name" named by body member `field`: 400 naming the
 * field when it is malformed or does not exist. */
virStorageVolPtr api_vm_volume_from_field(virConnectPtr conn, const char *field, const char *id,
                                          GError **error);

