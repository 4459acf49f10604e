/* Which libvirt host a request is about, resolved once by the router
 * (docs/hosts.md): ?host= (id or name) when given; for a VM in the path,
 * the local host when it has that VM, else the only host that has it (an
 * ambiguous name is a 409 naming the hosts); else the local host.
 * Handlers then take their connection from api_conn. */
#pragma once
#include "api/core/api.h"
#include "virt/virt_hosts.h"

/* Sets req->virt_host (a reference, dropped by api_host_release). */
gboolean api_host_resolve(ApiContext *ctx, const ApiRoute *route, ApiRequest *req, GError **error);
void api_host_release(ApiRequest *req);

/* The request's host: its connection (a new reference, or NULL with
 * VIRT_ERROR_UNAVAILABLE while it is down), its VirtConn and its VM model. */
virConnectPtr api_conn(ApiContext *ctx, const ApiRequest *req, GError **error);
/* The same for host `h` (NULL: vireod's own, --connect). */
virConnectPtr api_host_conn(ApiContext *ctx, VirtHost *h, GError **error);
VirtConn *api_req_virt(ApiContext *ctx, const ApiRequest *req);
VirtModel *api_req_model(ApiContext *ctx, const ApiRequest *req);
/* A new reference to the request's host (NULL without a registry). */
VirtHost *api_req_host(ApiContext *ctx, const ApiRequest *req);
/* The inventory id of host `h` (NULL: the local host), as rows that
 * belong to a host keep it; DB_HOST_UNREGISTERED (0) without a registry. */
gint64 api_host_id(ApiContext *ctx, VirtHost *h);
/* Answers about a VM, pool, volume or network carry the host they are
 * on: "host" is added to such an answer's JSON object (not part of its
 * ETag: the request named the host). */
void api_host_mark_answer(ApiContext *ctx, const ApiRoute *route, const ApiRequest *req,
                          ApiResponse *resp);
/* {"id", "name"} of a host, as answers carry it; null for NULL. */
json_t *api_host_ref_json(VirtHost *h);

/* The rule for a VM path without ?host= (exposed for tests): one entry
 * per host, the local one flagged. Answers the index of the host to use,
 * -1 when none has the VM, -2 when several do (their names, comma-
 * separated, in `ambiguous`). */
typedef struct {
    const char *name;
    gboolean local;
    gboolean has_vm;
} ApiHostCandidate;
int api_host_pick(const ApiHostCandidate *hosts, guint n, GString *ambiguous);
