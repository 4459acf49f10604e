/* PATCH /api/vms/{vm}: rename, vCPUs, memory and boot order. Everything is
 * checked before the first change (more vCPUs or memory against the
 * owner's quota too), and the definition is restored when a
 * later step fails, so a PATCH is done whole or not at all (live vCPU or
 * memory changes already made stay: they cannot be taken back safely). */
#include "api/vms/api_vm_edit.h"
#include "api/auth/api_quota.h"
#include "api/auth/api_quota_usage.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "api/vms/api_vm_json.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_edit.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"
#include "virt/virt_footprint.h"
#include "virt/virt_storage_xml.h"

#include <string.h>

#define NAME_MAX_BYTES 255
/* The JSON limit only; the real one comes from the hypervisor and host. */
#define VCPUS_JSON_MAX 4096
#define MEMORY_JSON_MAX_MIB ((json_int_t)1 << 32)

void api_vm_edit_clear(VmEdit *e)
{
    g_clear_pointer(&e->boot, g_strfreev);
}

void api_vm_edit_undo_clear(VmEditUndo *u)
{
    g_clear_pointer(&u->config, g_free);
    g_clear_pointer(&u->old_name, g_free);
}


gboolean api_vm_edit_parse(json_t *body, VmEdit *e, GError **error)
{
    json_t *boot = NULL;
    if (!api_json_opt_string(body, "name", NAME_MAX_BYTES, &e->name, error) ||
        !api_json_opt_int(body, "vcpus", 1, VCPUS_JSON_MAX, &e->vcpus, error) ||
        !api_json_opt_int(body, "memory", VIRT_MEMORY_MIN_MIB, MEMORY_JSON_MAX_MIB, &e->memory,
                          error) ||
        !api_json_opt_string_array(body, "boot", 4, &boot, error))
        return FALSE;
    if (e->name) {
        GError *cause = NULL;
        if (!virt_storage_name_valid(e->name, &cause))
            return api_field_error(error, "name", cause);
    }
    if (boot) {
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        size_t i;
        json_t *item;
        json_array_foreach (boot, i, item)
            g_strv_builder_add(b, json_string_value(item));
        e->boot = g_strv_builder_end(b);
        GError *cause = NULL;
        if (!virt_boot_order_valid((const char *const *)e->boot, &cause))
            return api_field_error(error, "boot", cause);
    }
    return TRUE;
}

/* Limits that need libvirt: the hypervisor's vCPU maximum, the host's
 * memory, and the state a rename needs. */
static gboolean check(virDomainPtr dom, const VmEdit *e, GError **error)
{
    if (e->vcpus) {
        unsigned max = virt_domain_vcpus_max(dom, error);
        if (!max)
            return FALSE;
        if ((unsigned)e->vcpus > max) {
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                        "field 'vcpus' must be "
                        "from 1 to %u (the hypervisor's maximum)",
                        max);
            return FALSE;
        }
    }
    if (e->memory) {
        guint64 host = virt_host_memory_mib(virDomainGetConnect(dom), error);
        if (!host)
            return FALSE;
        if ((guint64)e->memory > host) {
            g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                        "field 'memory' must be "
                        "from %d to %" G_GUINT64_FORMAT " MiB (the host's memory)",
                        VIRT_MEMORY_MIN_MIB, host);
            return FALSE;
        }
    }
    if (e->name && strcmp(e->name, virDomainGetName(dom)) != 0) {
        int active = virDomainIsActive(dom);
        if (active < 0) {
            virt_error_from_libvirt(error, "reading VM");
            return FALSE;
        }
        if (active) {
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                        "cannot rename VM '%s' "
                        "while it is running; shut it down first",
                        virDomainGetName(dom));
            return FALSE;
        }
        virDomainPtr other = virDomainLookupByName(virDomainGetConnect(dom), e->name);
        virResetLastError();
        if (other) {
            virDomainFree(other);
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_EXISTS, "a VM named '%s' exists", e->name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean api_vm_edit_apply(virDomainPtr dom, const VmEdit *e, json_t *applied, VmEditUndo *undo,
                           GError **error)
{
    gboolean any = e->name || e->vcpus || e->memory || e->boot;
    if (!any)
        return TRUE;
    if (!check(dom, e, error) || !(undo->config = virt_domain_saved_config(dom, error)))
        return FALSE;
    VirtApplied how;
    if (e->boot) {
        if (!virt_domain_set_boot(dom, (const char *const *)e->boot, error))
            goto fail;
        json_object_set_new(applied, "boot",
                            json_string(virt_applied_name(VIRT_APPLIED_NEXT_BOOT)));
    }
    if (e->vcpus) {
        if (!virt_domain_set_vcpus(dom, (unsigned)e->vcpus, &how, error))
            goto fail;
        json_object_set_new(applied, "vcpus", json_string(virt_applied_name(how)));
    }
    if (e->memory) {
        if (!virt_domain_set_memory(dom, (guint64)e->memory, &how, error))
            goto fail;
        json_object_set_new(applied, "memory", json_string(virt_applied_name(how)));
    }
    if (e->name && strcmp(e->name, virDomainGetName(dom)) != 0) {
        g_autofree char *old = g_strdup(virDomainGetName(dom));
        if (!virt_domain_rename(dom, e->name, error))
            goto fail;
        undo->old_name = g_steal_pointer(&old);
    }
    return TRUE;
fail:
    api_vm_edit_undo(dom, undo);
    return FALSE;
}

gboolean api_vm_edit_quota(ApiContext *ctx, const ApiRequest *req, virDomainPtr dom,
                           const char *uuid, const VmEdit *e, ApiQuotaHold **hold, GError **error)
{
    *hold = NULL;
    if (!e->vcpus && !e->memory)
        return TRUE;
    gint64 owner = 0;
    VirtFootprint fp;
    if (!db_vm_owner(ctx->db, uuid, &owner, error) || !virt_domain_footprint(dom, &fp, error))
        return FALSE;
    DbQuota now, more = {0};
    api_quota_amounts(&fp, 0, &now);
    if (e->vcpus)
        more.v[DB_QUOTA_VCPUS] = e->vcpus - now.v[DB_QUOTA_VCPUS];
    if (e->memory)
        more.v[DB_QUOTA_MEMORY] = e->memory - now.v[DB_QUOTA_MEMORY];
    return api_quota_check(ctx, req, owner, &more, hold, error);
}

void api_vm_edit_undo(virDomainPtr dom, VmEditUndo *undo)
{
    g_autoptr(GError) error = NULL;
    if (undo->old_name && !virt_domain_rename(dom, undo->old_name, &error)) {
        g_warning("undo: renaming VM back to '%s' failed: %s", undo->old_name, error->message);
        g_clear_error(&error);
    }
    if (undo->config && !virt_domain_restore_config(dom, undo->config, &error))
        g_warning("undo: restoring the definition of VM '%s' failed: %s", virDomainGetName(dom),
                  error->message);
}

void api_vm_add_next_boot(virDomainPtr dom, json_t *detail)
{
    g_autoptr(VirtDomainNextBoot) n = virt_domain_next_boot(dom);
    if (n)
        json_object_set_new(detail, "next_boot", api_vm_next_boot_json(n));
}
