/* Builds VM answers from engine structs and inventory rows. */
#include "api/vms/api_vm_json.h"

#include <time.h>

const char *const api_vm_summary_fields[] = {
    "name",
    "uuid",
    "state",
    "vcpus",
    "memory",
    "autostart",
    "persistent",
    "description",
    "tags",
    "created_at",
    /* from the sampler's latest sample (api_stats_json.h) */
    "started_at",
    "uptime",
    "uptime_source",
    "addresses",
    "stats",
    "next_boot",
    "host", /* {id, name} of its libvirt host (docs/hosts.md) */
    NULL,
};

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* ISO 8601 UTC; plain libc, as this runs for every VM of every list. */
static json_t *timestamp(int64_t unix_seconds)
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return json_null();
    return json_string(buf);
}

json_t *api_vm_next_boot_json(const VirtDomainNextBoot *n)
{
    json_t *obj = json_object();
    if (n->vcpus)
        json_object_set_new(obj, "vcpus", json_integer(n->vcpus));
    if (n->memory_kib)
        json_object_set_new(obj, "memory", json_integer((json_int_t)(n->memory_kib / 1024)));
    if (n->boot) {
        json_t *boot = json_array();
        for (int i = 0; n->boot[i]; i++)
            json_array_append_new(boot, json_string(n->boot[i]));
        json_object_set_new(obj, "boot", boot);
    }
    return obj;
}

json_t *api_vm_summary_json(const VirtDomainSummary *s, const DbVmMeta *meta)
{
    json_t *tags = json_array();
    for (int i = 0; meta && meta->tags && meta->tags[i]; i++)
        json_array_append_new(tags, json_string(meta->tags[i]));
    json_t *obj = json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:s,s:o,s:o}", "name", s->name, "uuid",
                            s->uuid, "state", virt_domain_state_name(s->state), "vcpus",
                            (json_int_t)s->vcpus, "memory", (json_int_t)(s->memory_kib / 1024),
                            "autostart", s->autostart, "persistent", s->persistent, "description",
                            s->description ? s->description : "", "tags", tags, "created_at",
                            meta ? timestamp(meta->created_at) : json_null());
    if (s->next_boot)
        json_object_set_new(obj, "next_boot", api_vm_next_boot_json(s->next_boot));
    return obj;
}

json_t *api_vm_disk_json(const VirtDisk *d)
{
    json_t *obj = json_pack("{s:o,s:o,s:o,s:o,s:o}", "target", string_or_null(d->target), "device",
                            string_or_null(d->device), "source", string_or_null(d->source),
                            "format", string_or_null(d->format), "bus", string_or_null(d->bus));
    /* Only where it is so: answers of other disks stay as they were. */
    if (virt_disk_owned(d))
        json_object_set_new(obj, "owned", json_true());
    return obj;
}

json_t *api_vm_nic_json(const VirtNic *n)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "mac", string_or_null(n->mac), "type",
                     string_or_null(n->type), "source", string_or_null(n->source), "model",
                     string_or_null(n->model), "link", string_or_null(n->link));
}

static json_t *disks_json(const GPtrArray *disks)
{
    json_t *a = json_array();
    for (guint i = 0; i < disks->len; i++)
        json_array_append_new(a, api_vm_disk_json(g_ptr_array_index(disks, i)));
    return a;
}

static json_t *nics_json(const GPtrArray *nics)
{
    json_t *a = json_array();
    for (guint i = 0; i < nics->len; i++)
        json_array_append_new(a, api_vm_nic_json(g_ptr_array_index(nics, i)));
    return a;
}

static json_t *graphics_json(const GPtrArray *graphics)
{
    json_t *a = json_array();
    for (guint i = 0; i < graphics->len; i++) {
        const VirtGraphics *g = g_ptr_array_index(graphics, i);
        json_array_append_new(a, json_pack("{s:o,s:o,s:o}", "type", string_or_null(g->type), "port",
                                           g->port > 0 ? json_integer(g->port) : json_null(),
                                           "listen", string_or_null(g->listen)));
    }
    return a;
}

json_t *api_vm_detail_json(const VirtDomainDetail *d, const DbVmMeta *meta)
{
    const VirtDomainConfig *c = d->config;
    json_t *obj = api_vm_summary_json(&d->summary, meta);
    json_t *boot = json_array();
    for (int i = 0; c->boot && c->boot[i]; i++)
        json_array_append_new(boot, json_string(c->boot[i]));
    json_object_set_new(obj, "domain_type", string_or_null(c->domain_type));
    /* "id" and "name" of the guest OS are filled from the catalogue by
     * the caller (api_vm_detail); the definition holds libosinfo's full id. */
    json_object_set_new(obj, "os",
                        json_pack("{s:o,s:o,s:o,s:o,s:o,s:n,s:n,s:o}", "type",
                                  string_or_null(c->os_type), "arch", string_or_null(c->arch),
                                  "machine", string_or_null(c->machine), "boot", boot, "kernel",
                                  string_or_null(c->kernel), "id", "name", "osinfo_id",
                                  string_or_null(c->osinfo_id)));
    json_object_set_new(obj, "disks", disks_json(c->disks));
    json_object_set_new(obj, "nics", nics_json(c->nics));
    json_object_set_new(obj, "graphics", graphics_json(c->graphics));
    return obj;
}
