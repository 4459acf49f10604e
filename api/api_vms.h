/* Shared by the VM resources (api_vms.c, api_vm_create.c). */
#pragma once
#include "api/api.h"

/* Looks up the VM `id` (name or UUID) and builds its detail answer, making
 * its inventory row on first sight. `dom_out` (optional) receives the
 * domain. */
json_t *api_vm_detail(ApiContext *ctx, virConnectPtr conn, const char *id,
                      virDomainPtr *dom_out, GError **error);
