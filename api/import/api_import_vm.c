/* The VM of an import (see api_import.h): a VM spec like the body of
 * POST /api/vms, made from the query (which wins), the descriptor and
 * defaults, parsed and checked by the same code, and defined by the same
 * create unit. Buses and NIC models follow the guest OS: virtio when
 * libosinfo (or, for an OS it does not know, the Linux family) says the
 * guest has the drivers, else SATA disks and an emulated Intel NIC. */
#include "api/core/api_error.h"
#include "api/import/api_import.h"
#include "api/os/api_os_catalogue.h"
#include "api/vms/api_vm_plan.h"
#include "api/vms/api_vm_unit.h"
#include "db/db_auth.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"

#include <string.h>

static void note(ImportJob *job, char *sentence)
{
    g_ptr_array_add(job->notes, sentence);
}

/* The catalogue's entry of the guest OS (borrowed), or NULL when none is
 * named or known. An OS the query names must be known. */
static json_t *guest_os(ImportJob *job, gboolean *failed, GError **error)
{
    const char *id = job->os ? job->os : job->ovf ? job->ovf->os_id : NULL;
    *failed = FALSE;
    if (!id)
        return NULL;
    GError *why = NULL;
    json_t *os = api_os_find(job->ctx, id, &why);
    if (os)
        return os;
    if (job->os) {
        g_propagate_prefixed_error(error, why, "query 'os': ");
        if ((*error)->domain == API_ERROR && (*error)->code == API_ERROR_NOT_FOUND)
            (*error)->code = API_ERROR_INVALID_ARGUMENT;
        *failed = TRUE;
        return NULL;
    }
    g_error_free(why); /* a guess of ours the catalogue lacks: go by the family */
    return NULL;
}

/* A NIC model the descriptor asked for that Vireo offers, else e1000 (the
 * NIC of VirtualBox and of older VMware guests). */
static const char *emulated_nic(const ImportJob *job, guint i)
{
    const char *want = job->ovf && i < job->ovf->nic_models->len
                           ? g_ptr_array_index(job->ovf->nic_models, i)
                           : NULL;
    return want && strcmp(want, "virtio") != 0 ? want : "e1000";
}

static json_t *disks_json(const ImportJob *job, gboolean virtio)
{
    json_t *list = json_array();
    for (guint i = 0; i < job->disks->len; i++) {
        g_autofree char *name = import_disk_name(job, i);
        g_autofree char *ref = g_strdup_printf("%s/%s", job->pool_name, name);
        json_array_append_new(
            list, json_pack("{s:s,s:s}", "volume", ref, "bus", virtio ? "virtio" : "sata"));
    }
    return list;
}

static json_t *nics_json(const ImportJob *job, gboolean virtio)
{
    json_t *list = json_array();
    guint n = job->ovf ? job->ovf->nic_models->len : 1;
    for (guint i = 0; job->network && i < n; i++)
        json_array_append_new(list, json_pack("{s:s,s:s}", "network", job->network, "model",
                                              virtio ? "virtio" : emulated_nic(job, i)));
    return list;
}

/* vCPUs and memory: the query's, else the descriptor's, else defaults. A
 * descriptor asking for more vCPUs than the host has gets the host's
 * (said so); more memory than the host has is the caller's 400. */
static gboolean resources(ImportJob *job, guint *vcpus, guint64 *memory, GError **error)
{
    const VirtOvf *ovf = job->ovf;
    *vcpus = job->vcpus ? job->vcpus : ovf && ovf->vcpus ? ovf->vcpus : IMPORT_DEFAULT_VCPUS;
    *memory = job->memory_mib          ? job->memory_mib
              : ovf && ovf->memory_mib ? ovf->memory_mib
                                       : IMPORT_DEFAULT_MEMORY_MIB;
    if (!job->vcpus && *vcpus > job->host->cpus) {
        note(job, g_strdup_printf("the appliance asks for %u vCPUs; the host has %u, so the VM "
                                  "has %u",
                                  *vcpus, job->host->cpus, job->host->cpus));
        *vcpus = job->host->cpus;
    }
    guint64 host_mib = job->host->memory_total_kib / 1024;
    if (!job->memory_mib && *memory > host_mib)
        return api_invalid(error,
                           "the appliance asks for %" G_GUINT64_FORMAT
                           " MiB of memory; the host has %" G_GUINT64_FORMAT
                           " (give ?memory= in MiB)",
                           *memory, host_mib);
    return TRUE;
}

static json_t *spec_json(ImportJob *job, json_t *os, GError **error)
{
    const char *family = job->ovf ? job->ovf->os_family : "other";
    json_t *virtio = json_object_get(os, "virtio");
    gboolean linux_family = strcmp(family, "linux") == 0;
    gboolean virtio_disk = os ? json_is_true(json_object_get(virtio, "disk")) : linux_family;
    gboolean virtio_net = os ? json_is_true(json_object_get(virtio, "net")) : linux_family;
    guint vcpus;
    guint64 memory;
    if (!resources(job, &vcpus, &memory, error))
        return NULL;
    const char *firmware = job->firmware                ? job->firmware
                           : job->ovf && job->ovf->uefi ? "uefi"
                                                        : "bios";
    json_t *spec = json_pack("{s:s,s:i,s:I,s:s,s:o,s:o}", "name", job->name, "vcpus", (int)vcpus,
                             "memory", (json_int_t)memory, "firmware", firmware, "disks",
                             disks_json(job, virtio_disk), "nics", nics_json(job, virtio_net));
    if (os)
        json_object_set(spec, "os", json_object_get(os, "id"));
    return spec;
}

/* 409 before anything is made when the VM's name or a volume's is taken. */
static gboolean names_free(ImportJob *job, GError **error)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(job->conn, job->name);
    virResetLastError();
    if (dom)
        return api_fail(error, API_ERROR_CONFLICT, "a VM named '%s' exists", job->name);
    for (guint i = 0; i < job->disks->len; i++) {
        g_autofree char *name = import_disk_name(job, i);
        if (!virt_volume_name_free(job->pool, name, error))
            return FALSE;
    }
    return TRUE;
}

gboolean import_vm_plan(ImportJob *job, GError **error)
{
    gboolean failed;
    if (!(job->host = virt_host_info(job->conn, error)))
        return FALSE;
    json_t *os = guest_os(job, &failed, error);
    if (failed)
        return FALSE;
    g_autoptr(json_t) json = spec_json(job, os, error);
    if (!json || !(job->spec = api_vm_spec_parse(json, API_VM_SPEC_CREATE, error)) ||
        !api_vm_spec_check_host(job->spec, job->host, error) || !names_free(job, error))
        return FALSE;
    if (os)
        job->spec->osinfo_id = g_strdup(json_string_value(json_object_get(os, "osinfo_id")));
    job->uuid = g_uuid_string_random();
    job->serial_log = api_vm_serial_log(job->conn, job->uuid);
    return TRUE;
}

gboolean import_vm_quota(ImportJob *job, GError **error)
{
    VirtFootprint fp = {.vcpus = job->spec->vcpus, .memory_kib = job->spec->memory_mib * 1024};
    for (guint i = 0; i < job->disks->len; i++) {
        const ImportDisk *d = g_ptr_array_index(job->disks, i);
        fp.disk_bytes += d->info ? d->info->virtual_size : 0;
    }
    return api_quota_check_vm(job->ctx, job->caller, job->owner_id, &fp, NULL, &job->quota, error);
}

gboolean import_vm_define(ImportJob *job, GError **error)
{
    VirtVmPlan plan;
    api_vm_spec_plan(job->spec, job->host, job->serial_log, &plan);
    plan.domain.uuid = job->uuid;
    /* Written down first, as a create task does (the unit is run without
     * the task, whose progress it would start again from 0). */
    gint64 noted = task_will_make(job->task, "domain", job->uuid, error);
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autoptr(GPtrArray) adopt = g_ptr_array_new();
    for (guint i = 0; i < job->disks->len; i++)
        g_ptr_array_add(adopt, ((const ImportDisk *)g_ptr_array_index(job->disks, i))->path);
    g_ptr_array_add(adopt, NULL);
    ApiVmUnit unit = {.owner_id = job->owner_id,
                      .host = task_host(job->task),
                      .quota = job->quota,
                      .adopt = (const char *const *)adopt->pdata};
    if (!noted || !api_vm_unit_run(job->ctx, job->conn, &plan, &unit, NULL, uuid, error))
        return FALSE;
    task_made(job->task, noted);
    job->defined = TRUE;
    return TRUE;
}
