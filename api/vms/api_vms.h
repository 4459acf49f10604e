/* Shared by the VM resources (api_vms.c, api_vm_create.c, and the device
 * and edit files). */
#pragma once
#include "api/core/api.h"
#include "api/core/api_locks.h"

#include <libvirt/libvirt.h>

/* Looks up the VM `id` (name or UUID) and builds its detail answer, making
 * its inventory row on first sight. `dom_out` (optional) receives the
 * domain. */
json_t *api_vm_detail(ApiContext *ctx, virConnectPtr conn, const char *id, virDomainPtr *dom_out,
                      GError **error);

/* POST /api/vms for {"type": "container"} (api_container_create.c). */
gboolean api_container_create(ApiContext *ctx, const ApiRequest *req, json_t *body,
                              ApiResponse *resp, GError **error);

/* After a successful change of a VM on host `h` (the request's or the
 * task's; NULL: the local one): tells the event stream (`event`:
 * VIRT_DOMAIN_EVENT_DEVICES or _EDITED), as libvirt raises none for
 * changes to a definition. */
void api_vm_changed(ApiContext *ctx, VirtHost *h, virDomainPtr dom, int event);

/* Answers `detail` with its ETag; `extra` members (may be NULL, stolen)
 * are added after the ETag is computed, so that a GET of the same VM
 * gives the same ETag. */
void api_vm_answer(ApiResponse *resp, unsigned status, json_t *detail, json_t *extra);

/* A change of the VM in {vm} under way: its locks are held. */
typedef struct {
    virConnectPtr conn;
    virDomainPtr dom;
    char uuid[VIR_UUID_STRING_BUFLEN];
    json_t *current; /* the VM as it was once the locks were taken */
    ApiLockSet *locks;
} ApiVmChange;

void api_vm_change_clear(ApiVmChange *c);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ApiVmChange, api_vm_change_clear)

/* Begins a change of the VM in {vm}: takes its lock ("vm:UUID") with the
 * locks of `keys` (may be NULL), then reads the VM and checks If-Match
 * (412), all under the locks. */
gboolean api_vm_change_begin(ApiContext *ctx, const ApiRequest *req, const char *const *keys,
                             ApiVmChange *c, GError **error);
/* The key of the lock of volume "pool/name". */
char *api_volume_lock_key(const char *ref);
