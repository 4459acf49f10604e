/* Networks as JSON: addresses in CIDR form ("10.1.2.1/24"), as they are
 * given when a network is created. */
#include "api/networks/api_network_json.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"

#include <string.h>
#include <time.h>

#define VALUE_MAX_BYTES 128

static json_t *timestamp(gint64 unix_seconds)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    char buf[32];
    if (!unix_seconds || !gmtime_r(&t, &tm) ||
        !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return json_null();
    return json_string(buf);
}

static json_t *ip_json(const VirtNetIp *ip)
{
    g_autofree char *cidr = g_strdup_printf("%s/%u", ip->address, ip->prefix);
    json_t *dhcp = ip->dhcp_start && ip->dhcp_end
                       ? json_pack("{s:s,s:s}", "start", ip->dhcp_start, "end", ip->dhcp_end)
                       : json_null();
    return json_pack("{s:s,s:s,s:o}", "family", ip->ipv6 ? "ipv6" : "ipv4", "address", cidr, "dhcp",
                     dhcp);
}

static json_t *lease_json(const VirtNetLease *l)
{
    return json_pack("{s:s?,s:s?,s:s?,s:o}", "mac", l->mac, "ip", l->ip, "hostname", l->hostname,
                     "expires", timestamp(l->expires));
}

json_t *api_network_json(const VirtNetwork *n)
{
    json_t *ips = json_array();
    for (guint i = 0; i < n->config->ips->len; i++)
        json_array_append_new(ips, ip_json(g_ptr_array_index(n->config->ips, i)));
    json_t *leases = json_array();
    for (guint i = 0; i < n->leases->len; i++)
        json_array_append_new(leases, lease_json(g_ptr_array_index(n->leases, i)));
    return json_pack("{s:s,s:s,s:b,s:b,s:b,s:s,s:s?,s:o,s:o}", "name", n->name, "uuid", n->uuid,
                     "active", n->active, "persistent", n->persistent, "autostart", n->autostart,
                     "mode", n->config->mode, "bridge", n->config->bridge, "ips", ips, "leases",
                     leases);
}

void api_network_create_clear(ApiNetworkCreate *c)
{
    virt_network_config_free(c->config);
    c->config = NULL;
}

static gboolean invalid(GError **error, const char *fmt, const char *what)
{
    g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, fmt, what);
    return FALSE;
}

/* An optional member that must be an object; *out stays NULL when absent. */
static gboolean opt_object(json_t *obj, const char *name, json_t **out, GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (v && !json_is_object(v))
        return invalid(error, "field '%s' must be an object", name);
    *out = v;
    return TRUE;
}

static gboolean required_string(json_t *obj, const char *name, const char *where, const char **out,
                                GError **error)
{
    if (!api_json_opt_string(obj, name, VALUE_MAX_BYTES, out, error))
        return FALSE;
    if (!*out) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT, "%s needs '%s'", where, name);
        return FALSE;
    }
    return TRUE;
}

/* {"address": "A/P", "dhcp"?: {"start", "end"}} of one family. */
static gboolean parse_ip(json_t *body, const char *family, VirtNetworkConfig *cfg, GError **error)
{
    static const char *const ip_members[] = {"address", "dhcp", NULL};
    static const char *const dhcp_members[] = {"start", "end", NULL};
    json_t *obj = NULL, *dhcp = NULL;
    const char *address = NULL, *start = NULL, *end = NULL;
    if (!opt_object(body, family, &obj, error))
        return FALSE;
    if (!obj)
        return TRUE;
    g_autofree char *dhcp_where = g_strdup_printf("%s.dhcp", family);
    if (!api_json_only_members(obj, ip_members, error) ||
        !required_string(obj, "address", family, &address, error) ||
        !opt_object(obj, "dhcp", &dhcp, error))
        return FALSE;
    if (dhcp && (!api_json_only_members(dhcp, dhcp_members, error) ||
                 !required_string(dhcp, "start", dhcp_where, &start, error) ||
                 !required_string(dhcp, "end", dhcp_where, &end, error)))
        return FALSE;
    VirtNetIp *ip = virt_net_ip_parse(strcmp(family, "ipv6") == 0, address, start, end, error);
    if (!ip)
        return FALSE;
    g_ptr_array_add(cfg->ips, ip);
    return TRUE;
}

gboolean api_network_create_parse(json_t *body, ApiNetworkCreate *out, GError **error)
{
    static const char *const members[] = {"name",   "mode",      "ipv4",  "ipv6",
                                          "bridge", "autostart", "start", NULL};
    const char *name = NULL, *mode = NULL, *bridge = NULL;
    int start = 1, autostart = 0;
    if (!api_json_only_members(body, members, error) ||
        !required_string(body, "name", "a network", &name, error) ||
        !required_string(body, "mode", "a network", &mode, error) ||
        !api_json_opt_string(body, "bridge", VALUE_MAX_BYTES, &bridge, error) ||
        !api_json_opt_bool(body, "start", &start, error) ||
        !api_json_opt_bool(body, "autostart", &autostart, error))
        return FALSE;
    if (!virt_network_name_valid(name))
        return invalid(error,
                       "invalid network name '%s': use 1-64 letters, digits, _ - . "
                       "(not starting with . or -)",
                       name);
    g_autoptr(VirtNetworkConfig) cfg = virt_network_config_new();
    cfg->name = g_strdup(name);
    cfg->mode = g_strdup(mode);
    cfg->bridge = g_strdup(bridge);
    if (!parse_ip(body, "ipv4", cfg, error) || !parse_ip(body, "ipv6", cfg, error))
        return FALSE;
    out->config = g_steal_pointer(&cfg);
    out->start = start != 0;
    out->autostart = autostart != 0;
    return TRUE;
}
