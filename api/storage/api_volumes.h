/* Volume helpers shared by the volume routes (api_volumes.c) and the
 * routes that move their data (api_volume_transfer.c). */
#pragma once
#include "api/core/api.h"

#include <libvirt/libvirt.h>

/* The volume as the API shows it, with the VMs that use it (named as
 * `scope` may see them; NULL: all named). */
json_t *api_volume_answer(ApiScope *scope, virStoragePoolPtr pool, virStorageVolPtr vol,
                          GError **error);
/* The pool of the request's {pool} and, when `vol_out`, its {volume}. */
virStoragePoolPtr api_volume_lookup(ApiContext *ctx, const ApiRequest *req, virConnectPtr *conn_out,
                                    virStorageVolPtr *vol_out, GError **error);
