/* GET /api/host: what the host is, what it can run, and which libvirt
 * driver serves it with the features Vireo offers there (virt_driver.h);
 * the web UI hides what `features` says is not there. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_handlers.h"
#include "virt/virt_driver.h"
#include "virt/virt_host.h"

static json_t *strv_json(GStrv v)
{
    json_t *a = json_array();
    for (int i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *driver_json(const VirtDriver *d)
{
    g_autofree char *version = virt_version_string(d->version);
    const VirtDriverCaps *c = d->caps;
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:b,s:{s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o}}",
                     "type", d->type, "name", d->parts.driver, "version", version, "uri", d->uri,
                     "transport", d->parts.transport, "remote_host", d->parts.host, "remote",
                     d->parts.remote, "capabilities", "os_types", strv_json(c->os_types), "arches",
                     strv_json(c->arches), "domain_types", strv_json(c->domain_types),
                     "domain_capabilities", c->has_domcaps, "graphics", strv_json(c->graphics),
                     "disk_devices", strv_json(c->disk_devices), "disk_buses",
                     strv_json(c->disk_buses), "firmware", strv_json(c->firmware), "cpu_modes",
                     strv_json(c->cpu_modes));
}

static json_t *features_json(const VirtFeatures *f)
{
    return json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:o}", "vms", f->vms, "containers",
                     f->containers, "vnc", f->vnc, "serial", f->serial, "snapshots", f->snapshots,
                     "storage", f->storage, "networks", f->networks, "cloud_init", f->cloud_init,
                     "disk_formats", strv_json(f->disk_formats));
}

gboolean api_host_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(VirtHostInfo) h = conn ? virt_host_info(conn, error) : NULL;
    VirtConn *vc = api_req_virt(ctx, req);
    g_autoptr(VirtDriver) d = h ? virt_driver_of(vc, error) : NULL;
    if (!d)
        return FALSE;
    g_autofree char *hv_version = virt_version_string(h->hypervisor_version);
    g_autofree char *lv_version = virt_version_string(h->libvirt_version);
    json_t *body = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I},s:{s:s,s:s},s:{s:s},"
        "s:{s:o,s:b,s:b,s:b},s:o,s:s,s:o,s:o}",
        "hostname", h->hostname, "uri", virt_conn_uri(vc), "cpu", "model",
        h->cpu_model ? h->cpu_model : h->arch, "arch", h->arch, "sockets", (json_int_t)h->sockets,
        "cores", (json_int_t)h->cores, "threads", (json_int_t)h->threads, "cpus",
        (json_int_t)h->cpus, "mhz", (json_int_t)h->mhz, "memory", "total",
        (json_int_t)(h->memory_total_kib / 1024), "free", (json_int_t)(h->memory_free_kib / 1024),
        "hypervisor", "type", h->hypervisor, "version", hv_version, "libvirt", "version",
        lv_version, "virtualization", "cpu_flag",
        h->cpu_flag ? json_string(h->cpu_flag) : json_null(), "kvm_device", h->kvm_device,
        "kvm_pvm", h->kvm_pvm, "kvm_usable", h->kvm_usable, "domain_types",
        strv_json(h->domain_types), "default_domain_type", h->default_domain_type, "driver",
        driver_json(d), "features", features_json(&d->features));
    api_response_json(resp, 200, body);
    return TRUE;
}
