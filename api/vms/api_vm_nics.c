/* /api/vms/{vm}/nics: list, attach to a libvirt network or a host bridge
 * (hot-plugged into a running VM), read, move to another network, link
 * up/down (live), detach. MACs are unique across the host's VMs. */
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_scope.h"
#include "api/vms/api_vm_devices.h"
#include "api/vms/api_vm_json.h"
#include "api/vms/api_vms.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain_devices.h"
#include "virt/virt_error.h"
#include "virt/virt_host.h"
#include "virt/virt_network.h"

#include <string.h>

#define NAME_MAX_BYTES 255
#define MAC_TRIES 64

static gboolean invalid(GError **error, const char *msg)
{
    g_set_error_literal(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, msg);
    return FALSE;
}

static json_t *read_nic(virDomainPtr dom, const char *mac, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_devices(dom, error);
    for (guint i = 0; cfg && i < cfg->nics->len; i++) {
        const VirtNic *n = g_ptr_array_index(cfg->nics, i);
        if (n->mac && g_ascii_strcasecmp(n->mac, mac) == 0)
            return api_vm_nic_json(n);
    }
    if (cfg)
        g_set_error(error, API_ERROR, API_ERROR_NOT_FOUND, "VM '%s' has no NIC with MAC '%s'",
                    virDomainGetName(dom), mac);
    return NULL;
}

gboolean api_vm_nics_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(VirtDomainConfig) cfg = api_vm_devices_read(ctx, req, &conn, &dom, error);
    if (!cfg)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < cfg->nics->len; i++)
        json_array_append_new(items, api_vm_nic_json(g_ptr_array_index(cfg->nics, i)));
    api_response_json(resp, 200, json_pack("{s:o}", "nics", items));
    return TRUE;
}

gboolean api_vm_nic_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    json_t *obj = api_vm_device_read(ctx, req, &conn, &dom, error)
                      ? read_nic(dom, req->params[1], error)
                      : NULL;
    if (!obj)
        return FALSE;
    api_response_json(resp, 200, obj);
    return TRUE;
}

/* Where a NIC connects: "network" or "bridge", at most one of them. */
typedef struct {
    const char *type;
    const char *source;
    int link_down; /* -1 = leave */
} NicTarget;

static gboolean parse_target(json_t *body, NicTarget *t, GError **error)
{
    const char *network = NULL, *bridge = NULL, *link = NULL;
    t->link_down = -1;
    if (!api_json_opt_string(body, "network", NAME_MAX_BYTES, &network, error) ||
        !api_json_opt_string(body, "bridge", NAME_MAX_BYTES, &bridge, error) ||
        !api_json_opt_string(body, "link", 8, &link, error))
        return FALSE;
    if (network && bridge)
        return invalid(error, "give 'network' or 'bridge', not both");
    t->type = network ? "network" : bridge ? "bridge" : NULL;
    t->source = network ? network : bridge;
    if (link) {
        if (strcmp(link, "up") != 0 && strcmp(link, "down") != 0)
            return invalid(error, "field 'link' must be 'up' or 'down'");
        t->link_down = strcmp(link, "down") == 0;
    }
    return TRUE;
}

/* 400 naming the field when the network or bridge does not exist or is
 * not the caller's to use (docs/access.md). */
static gboolean check_source(const ApiRequest *req, virConnectPtr conn, const NicTarget *t,
                             GError **error)
{
    if (!t->type)
        return TRUE;
    GError *cause = NULL;
    if (strcmp(t->type, "bridge") == 0) {
        if (!api_scope_bridge(req->scope, t->source, &cause))
            return api_field_error(error, "bridge", cause);
        if (virt_host_bridge_exists(t->source))
            return TRUE;
        return api_invalid(error, "field 'bridge': the host has no bridge named '%s'", t->source);
    }
    if (!api_scope_network(req->scope, t->source, &cause))
        return api_field_error(error, "network", cause);
    virNetworkPtr net = virNetworkLookupByName(conn, t->source);
    if (net) {
        virNetworkFree(net);
        return TRUE;
    }
    virResetLastError();
    return api_invalid(error, "field 'network': no network named '%s'", t->source);
}

/* A MAC no VM uses: the one asked for (409 when taken) or a random one.
 * The VM that has it is named only when the caller may see it. */
static char *free_mac(const ApiRequest *req, virConnectPtr conn, const char *wanted, GError **error)
{
    for (int i = 0; i < MAC_TRIES; i++) {
        g_autofree char *mac = wanted ? g_ascii_strdown(wanted, -1) : virt_mac_random();
        g_autofree char *user = virt_mac_user(conn, mac, NULL, error);
        if (error && *error)
            return NULL;
        if (!user)
            return g_steal_pointer(&mac);
        if (wanted) {
            g_autoptr(virDomain) dom = virDomainLookupByName(conn, user);
            char uuid[VIR_UUID_STRING_BUFLEN] = "";
            if (dom)
                virDomainGetUUIDString(dom, uuid);
            virResetLastError();
            g_autofree char *who = api_scope_vm_label(req->scope, uuid, user);
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS, "MAC address %s is used by %s", mac,
                        who);
            return NULL;
        }
    }
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_FAILED, "no free MAC address found");
    return NULL;
}

gboolean api_vm_nics_attach(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    static const char *const allowed[] = {"network", "bridge", "model", "mac", "link", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    NicTarget t = {0};
    const char *model = NULL, *mac = NULL;
    GError *cause = NULL;
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !parse_target(body, &t, error) || !api_json_opt_string(body, "model", 16, &model, error) ||
        !api_json_opt_string(body, "mac", 32, &mac, error) ||
        (!t.type && !invalid(error, "give 'network' (a libvirt network) or 'bridge' (a host "
                                    "bridge)")) ||
        (model && !virt_nic_model_valid(model) &&
         !invalid(error, "field 'model' must be virtio, e1000e, e1000 or rtl8139")) ||
        (mac && !virt_mac_valid(mac, &cause) && !api_field_error(error, "mac", cause)))
        return FALSE;
    /* One lock for picking a MAC nobody has. */
    static const char *const keys[] = {"macs", NULL};
    g_auto(ApiVmChange) c = {0};
    g_autofree char *chosen = NULL;
    json_t *obj = NULL;
    if (api_vm_change_begin(ctx, req, keys, &c, error) && check_source(req, c.conn, &t, error) &&
        (chosen = free_mac(req, c.conn, mac, error))) {
        VirtNicSpec spec = {.type = t.type,
                            .source = t.source,
                            .model = model,
                            .mac = chosen,
                            .link_down = t.link_down == 1};
        if (virt_domain_nic_attach(c.dom, &spec, error))
            obj = read_nic(c.dom, chosen, error);
    }
    if (!obj)
        return FALSE;
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    g_autofree char *vm = g_uri_escape_string(virDomainGetName(c.dom), NULL, FALSE);
    g_autofree char *location = g_strdup_printf("/api/vms/%s/nics/%s", vm, chosen);
    api_response_header(resp, "Location", location);
    api_response_json(resp, 201, obj);
    return TRUE;
}

gboolean api_vm_nic_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"network", "bridge", "link", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    NicTarget t = {0};
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !parse_target(body, &t, error))
        return FALSE;
    g_auto(ApiVmChange) c = {0};
    json_t *obj = NULL;
    if (api_vm_change_begin(ctx, req, NULL, &c, error) && check_source(req, c.conn, &t, error) &&
        ((!t.type && t.link_down < 0) ||
         virt_domain_nic_update(c.dom, req->params[1], t.type, t.source, t.link_down, error)))
        obj = read_nic(c.dom, req->params[1], error);
    if (!obj)
        return FALSE;
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    api_response_json(resp, 200, obj);
    return TRUE;
}

gboolean api_vm_nic_detach(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                           GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_auto(ApiVmChange) c = {0};
    if (!api_vm_change_begin(ctx, req, NULL, &c, error) ||
        !virt_domain_nic_detach(c.dom, req->params[1], error))
        return FALSE;
    api_vm_changed(ctx, req->virt_host, c.dom, VIRT_DOMAIN_EVENT_DEVICES);
    resp->status = 204;
    return TRUE;
}
