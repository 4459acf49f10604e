/* Shared by the VM resources (api_vms.c, api_vm_create.c, and the device
 * and edit files). */
#pragma once
#include "api/core/api.h"

#include <libvirt/libvirt.h>

/* Looks up the VM `id` (name or UUID) and builds its detail answer, making
 * its inventory row on first sight. `dom_out` (optional) receives the
 * domain. */
json_t *api_vm_detail(ApiContext *ctx, virConnectPtr conn, const char *id,
                      virDomainPtr *dom_out, GError **error);

/* After a successful change: tells the event stream (`event`:
 * VIRT_DOMAIN_EVENT_DEVICES or _EDITED), as libvirt raises none for
 * changes to a definition. */
void api_vm_changed(ApiContext *ctx, virDomainPtr dom, int event);

/* Answers `detail` with its ETag; `extra` members (may be NULL, stolen)
 * are added after the ETag is computed, so that a GET of the same VM
 * gives the same ETag. */
void api_vm_answer(ApiResponse *resp, unsigned status, json_t *detail, json_t *extra);
