/* GET /api/host: what the host is and what it can run. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "virt/virt_host.h"

static json_t *strv_json(GStrv v)
{
    json_t *a = json_array();
    for (int i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

gboolean api_host_get(ApiContext *ctx, const ApiRequest *req G_GNUC_UNUSED, ApiResponse *resp,
                      GError **error)
{
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(VirtHostInfo) h = conn ? virt_host_info(conn, error) : NULL;
    if (!h)
        return FALSE;
    g_autofree char *hv_version = virt_version_string(h->hypervisor_version);
    g_autofree char *lv_version = virt_version_string(h->libvirt_version);
    json_t *body = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I},s:{s:s,s:s},s:{s:s},"
        "s:{s:o,s:b,s:b,s:b},s:o,s:s}",
        "hostname", h->hostname, "uri", virt_conn_uri(ctx->virt), "cpu", "model",
        h->cpu_model ? h->cpu_model : h->arch, "arch", h->arch, "sockets", (json_int_t)h->sockets,
        "cores", (json_int_t)h->cores, "threads", (json_int_t)h->threads, "cpus",
        (json_int_t)h->cpus, "mhz", (json_int_t)h->mhz, "memory", "total",
        (json_int_t)(h->memory_total_kib / 1024), "free", (json_int_t)(h->memory_free_kib / 1024),
        "hypervisor", "type", h->hypervisor, "version", hv_version, "libvirt", "version",
        lv_version, "virtualization", "cpu_flag",
        h->cpu_flag ? json_string(h->cpu_flag) : json_null(), "kvm_device", h->kvm_device,
        "kvm_pvm", h->kvm_pvm, "kvm_usable", h->kvm_usable, "domain_types",
        strv_json(h->domain_types), "default_domain_type", h->default_domain_type);
    api_response_json(resp, 200, body);
    return TRUE;
}
