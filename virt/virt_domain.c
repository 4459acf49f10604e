/* Domain operations on one libvirt connection. The list is built from bulk
 * calls only: one RPC per VM per field is 17-38x slower at 100 VMs. */
#include "virt/virt_domain.h"
#include "virt/virt_conn.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>
#include <string.h>

static const char *const state_names[] = {
    [VIR_DOMAIN_NOSTATE] = "nostate",   [VIR_DOMAIN_RUNNING] = "running",
    [VIR_DOMAIN_BLOCKED] = "blocked",   [VIR_DOMAIN_PAUSED] = "paused",
    [VIR_DOMAIN_SHUTDOWN] = "shutdown", [VIR_DOMAIN_SHUTOFF] = "shutoff",
    [VIR_DOMAIN_CRASHED] = "crashed",   [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
};

const char *virt_domain_state_name(int state)
{
    if (state < 0 || state >= (int)G_N_ELEMENTS(state_names))
        return "nostate";
    return state_names[state];
}

int virt_domain_state_from_name(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(state_names); i++)
        if (g_strcmp0(state_names[i], name) == 0)
            return (int)i;
    return -1;
}

void virt_domain_summary_free(VirtDomainSummary *s)
{
    if (!s)
        return;
    g_free(s->name);
    g_free(s->description);
    virt_domain_next_boot_free(s->next_boot);
    g_free(s);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    const VirtDomainSummary *x = *(VirtDomainSummary *const *)a;
    const VirtDomainSummary *y = *(VirtDomainSummary *const *)b;
    return strcmp(x->name, y->name);
}

/* UUIDs of the domains matching `flags` (one RPC). */
static GHashTable *uuid_set(virConnectPtr conn, unsigned flags, GError **error)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, flags);
    if (n < 0) {
        virt_error_from_libvirt(error, "listing domains");
        return NULL;
    }
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            g_hash_table_add(set, g_strdup(uuid));
        virDomainFree(doms[i]);
    }
    free(doms);
    return set;
}

static void read_stats(VirtDomainSummary *s, const virDomainStatsRecord *rec)
{
    for (int i = 0; i < rec->nparams; i++) {
        const virTypedParameter *p = &rec->params[i];
        if (strcmp(p->field, "state.state") == 0)
            s->state = p->value.i;
        else if (strcmp(p->field, "vcpu.current") == 0)
            s->vcpus = p->value.ui;
        else if (strcmp(p->field, "balloon.current") == 0)
            s->memory_kib = p->value.ul;
        else if (strcmp(p->field, "balloon.maximum") == 0 && !s->memory_kib)
            s->memory_kib = p->value.ul;
    }
}

/* Drivers that report no vcpu/balloon stats (the test driver) cost one
 * extra call per domain; qemu reports both in the bulk stats. */
static void fill_from_info(VirtDomainSummary *s, virDomainPtr dom)
{
    virDomainInfo info;
    if (virDomainGetInfo(dom, &info) < 0) {
        virResetLastError();
        return;
    }
    if (!s->vcpus)
        s->vcpus = info.nrVirtCpu;
    if (!s->memory_kib)
        s->memory_kib = info.memory;
}

char *virt_domain_description(virDomainPtr dom, GError **error)
{
    char *text = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_DESCRIPTION, NULL, 0);
    if (text)
        return text;
    if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN_METADATA) {
        virResetLastError();
        return g_strdup("");
    }
    virt_error_from_libvirt(error, "reading the VM's description");
    return NULL;
}

gboolean virt_domain_set_description(virDomainPtr dom, const char *text, GError **error)
{
    int persistent = virDomainIsPersistent(dom);
    int active = virDomainIsActive(dom);
    if (persistent < 0 || active < 0) {
        virt_error_from_libvirt(error, "setting the VM's description");
        return FALSE;
    }
    unsigned flags = (persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0) |
                     (active ? VIR_DOMAIN_AFFECT_LIVE : 0);
    /* An empty text removes the element. */
    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_DESCRIPTION, *text ? text : NULL, NULL, NULL,
                             flags) < 0) {
        virt_error_from_libvirt(error, "setting the VM's description");
        return FALSE;
    }
    return TRUE;
}

GPtrArray *virt_domain_list(virConnectPtr conn, GError **error)
{
    return virt_domain_list_described(conn, NULL, NULL, error);
}

GPtrArray *virt_domain_list_described(virConnectPtr conn,
                                      gboolean (*describe)(const char *uuid, gpointer data),
                                      gpointer data, GError **error)
{
    g_autoptr(GHashTable) autostart = uuid_set(conn, VIR_CONNECT_LIST_DOMAINS_AUTOSTART, error);
    if (!autostart)
        return NULL;
    g_autoptr(GHashTable) transient = uuid_set(conn, VIR_CONNECT_LIST_DOMAINS_TRANSIENT, error);
    if (!transient)
        return NULL;
    virDomainStatsRecordPtr *recs = NULL;
    unsigned stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BALLOON;
    /* NOWAIT: a domain busy with a long job (starting, migrating) gives
     * its definition's figures instead of holding up every other one. */
    int n = virConnectGetAllDomainStats(conn, stats, &recs,
                                        VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    virDomainPtr *doms = NULL;
    if (n < 0 && virGetLastErrorCode() == VIR_ERR_NO_SUPPORT) {
        /* Drivers without bulk stats (LXC): the domains, then one
         * virDomainGetInfo each. */
        virResetLastError();
        n = virConnectListAllDomains(conn, &doms, 0);
    }
    if (n < 0) {
        virt_error_from_libvirt(error, "reading domain stats");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_full(n, (GDestroyNotify)virt_domain_summary_free);
    for (int i = 0; i < n; i++) {
        virDomainPtr dom = doms ? doms[i] : recs[i]->dom;
        VirtDomainSummary *s = g_new0(VirtDomainSummary, 1);
        s->name = g_strdup(virDomainGetName(dom));
        virDomainGetUUIDString(dom, s->uuid);
        if (recs)
            read_stats(s, recs[i]);
        else if (virDomainGetState(dom, &s->state, NULL, 0) < 0)
            virResetLastError();
        if (!s->vcpus || !s->memory_kib)
            fill_from_info(s, dom);
        s->autostart = g_hash_table_contains(autostart, s->uuid);
        s->persistent = !g_hash_table_contains(transient, s->uuid);
        /* A domain undefined meanwhile has no description to give: its
         * next list leaves it out. */
        if (describe && describe(s->uuid, data)) {
            s->description = virt_domain_description(dom, NULL);
            virResetLastError();
            if (s->persistent && (s->state == VIR_DOMAIN_RUNNING || s->state == VIR_DOMAIN_PAUSED ||
                                  s->state == VIR_DOMAIN_BLOCKED))
                s->next_boot = virt_domain_next_boot(dom);
        }
        g_ptr_array_add(out, s);
    }
    if (recs)
        virDomainStatsRecordListFree(recs);
    for (int i = 0; doms && i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
    g_ptr_array_sort(out, by_name);
    return out;
}

GStrv virt_domain_list_uuids(virConnectPtr conn, GError **error)
{
    g_autoptr(GHashTable) all = uuid_set(conn, 0, error);
    if (!all)
        return NULL;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_strv_builder_add(b, key);
    return g_strv_builder_end(b);
}

virDomainPtr virt_domain_lookup(virConnectPtr conn, const char *id, GError **error)
{
    virDomainPtr dom = NULL;
    if (g_uuid_string_is_valid(id))
        dom = virDomainLookupByUUIDString(conn, id);
    if (!dom) {
        virResetLastError();
        dom = virDomainLookupByName(conn, id);
    }
    if (!dom) {
        virt_error_from_libvirt(error, "looking up VM");
        if (error && *error && (*error)->code == VIRT_ERROR_NOT_FOUND) {
            g_clear_error(error);
            g_set_error(error, VIRT_ERROR, VIRT_ERROR_NOT_FOUND, "no VM named '%s'", id);
        }
    }
    return dom;
}

void virt_domain_detail_free(VirtDomainDetail *d)
{
    if (!d)
        return;
    g_free(d->summary.name);
    g_free(d->summary.description);
    virt_domain_config_free(d->config);
    g_free(d);
}

VirtDomainDetail *virt_domain_detail(virDomainPtr dom, GError **error)
{
    g_autoptr(VirtDomainDetail) d = g_new0(VirtDomainDetail, 1);
    g_autofree char *xml = virDomainGetXMLDesc(dom, 0);
    int state = 0, reason = 0, autostart = 0;
    if (!xml || virDomainGetState(dom, &state, &reason, 0) < 0) {
        virt_error_from_libvirt(error, "reading VM");
        return NULL;
    }
    int persistent = virDomainIsPersistent(dom);
    if (persistent < 0 || (persistent && virDomainGetAutostart(dom, &autostart) < 0)) {
        virt_error_from_libvirt(error, "reading VM");
        return NULL;
    }
    d->config = virt_domain_config_parse(xml, strlen(xml), error);
    if (!d->config)
        return NULL;
    d->summary.name = g_strdup(virDomainGetName(dom));
    virDomainGetUUIDString(dom, d->summary.uuid);
    d->summary.state = state;
    d->summary.vcpus = d->config->vcpus;
    d->summary.memory_kib = d->config->memory_kib;
    d->summary.autostart = autostart != 0;
    d->summary.persistent = persistent != 0;
    d->summary.description = g_strdup(d->config->description ? d->config->description : "");
    return g_steal_pointer(&d);
}

static const char *const action_names[] = {
    [VIRT_ACTION_START] = "start",       [VIRT_ACTION_SHUTDOWN] = "shutdown",
    [VIRT_ACTION_POWEROFF] = "poweroff", [VIRT_ACTION_REBOOT] = "reboot",
    [VIRT_ACTION_RESET] = "reset",       [VIRT_ACTION_SUSPEND] = "suspend",
    [VIRT_ACTION_RESUME] = "resume",
};

gboolean virt_action_from_name(const char *name, VirtAction *out)
{
    for (gsize i = 0; i < G_N_ELEMENTS(action_names); i++)
        if (g_strcmp0(action_names[i], name) == 0) {
            *out = (VirtAction)i;
            return TRUE;
        }
    return FALSE;
}

/* Checked here rather than left to libvirt: drivers disagree on the error
 * code (qemu: operation invalid, test: internal error), and libvirt takes
 * suspend-when-paused and resume-when-running as silent no-ops. */
static gboolean check_state(virDomainPtr dom, VirtAction action, GError **error)
{
    int state = 0, reason = 0;
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        virt_error_from_libvirt(error, "reading VM state");
        return FALSE;
    }
    gboolean active = state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED &&
                      state != VIR_DOMAIN_NOSTATE;
    gboolean ok;
    switch (action) {
    case VIRT_ACTION_START: ok = !active; break;
    case VIRT_ACTION_SUSPEND: ok = state == VIR_DOMAIN_RUNNING; break;
    case VIRT_ACTION_RESUME: ok = state == VIR_DOMAIN_PAUSED; break;
    default: ok = active; break;
    }
    if (!ok)
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE, "cannot %s VM '%s': it is %s",
                    action_names[action], virDomainGetName(dom), virt_domain_state_name(state));
    return ok;
}

gboolean virt_domain_act(virDomainPtr dom, VirtAction action, GError **error)
{
    if (!check_state(dom, action, error))
        return FALSE;
    /* Every libvirt call resets the thread's last error, so the message is
     * made before the action runs. */
    g_autofree char *what = g_strdup_printf("%s of VM '%s'", action_names[action],
                                            virDomainGetName(dom));
    int rc = -1;
    switch (action) {
    case VIRT_ACTION_START: rc = virDomainCreate(dom); break;
    case VIRT_ACTION_SHUTDOWN:
        rc = virDomainShutdownFlags(dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
        break;
    case VIRT_ACTION_POWEROFF: rc = virDomainDestroy(dom); break;
    case VIRT_ACTION_REBOOT: rc = virDomainReboot(dom, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN); break;
    case VIRT_ACTION_RESET: rc = virDomainReset(dom, 0); break;
    case VIRT_ACTION_SUSPEND: rc = virDomainSuspend(dom); break;
    case VIRT_ACTION_RESUME: rc = virDomainResume(dom); break;
    }
    if (rc < 0) {
        virt_error_from_libvirt(error, what);
        return FALSE;
    }
    return TRUE;
}

gboolean virt_domain_set_autostart(virDomainPtr dom, gboolean on, GError **error)
{
    if (virDomainSetAutostart(dom, on ? 1 : 0) < 0) {
        virt_error_from_libvirt(error, "setting autostart");
        return FALSE;
    }
    return TRUE;
}

static void vol_free(gpointer vol)
{
    virStorageVolFree(vol);
}

/* Volumes behind the VM's disks, looked up before the definition is gone. */
GPtrArray *virt_domain_disk_volumes(virConnectPtr conn, virDomainPtr dom, GError **error)
{
    g_autoptr(VirtDomainDetail) d = virt_domain_detail(dom, error);
    if (!d)
        return NULL;
    GPtrArray *vols = g_ptr_array_new_with_free_func(vol_free);
    for (guint i = 0; i < d->config->disks->len; i++) {
        const VirtDisk *disk = g_ptr_array_index(d->config->disks, i);
        if ((g_strcmp0(disk->device, "disk") != 0 && !virt_disk_owned(disk)) || !disk->source)
            continue;
        virStorageVolPtr vol = virStorageVolLookupByPath(conn, disk->source);
        if (!vol && strchr(disk->source, '/') && disk->source[0] != '/') {
            /* "pool/volume" sources */
            g_auto(GStrv) parts = g_strsplit(disk->source, "/", 2);
            virStoragePoolPtr pool = virStoragePoolLookupByName(conn, parts[0]);
            if (pool) {
                vol = virStorageVolLookupByName(pool, parts[1]);
                virStoragePoolFree(pool);
            }
        }
        virResetLastError();
        if (vol)
            g_ptr_array_add(vols, vol);
    }
    return vols;
}

/* Undefines with everything libvirt keeps beside the definition (managed
 * save, snapshot and checkpoint metadata, NVRAM); drivers that reject some
 * of those flags get asked again with fewer. */
static gboolean undefine(virDomainPtr dom, GError **error)
{
    static const unsigned attempts[] = {
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
            VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM,
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
        0,
    };
    for (gsize i = 0; i < G_N_ELEMENTS(attempts); i++) {
        if (virDomainUndefineFlags(dom, attempts[i]) == 0)
            return TRUE;
        virErrorPtr e = virGetLastError();
        gboolean flags_refused = e &&
                                 (e->code == VIR_ERR_INVALID_ARG || e->code == VIR_ERR_NO_SUPPORT);
        if (!flags_refused || i + 1 == G_N_ELEMENTS(attempts))
            break;
    }
    virt_error_from_libvirt(error, "undefining VM");
    return FALSE;
}

gboolean virt_domain_delete(virDomainPtr dom, gboolean force, GPtrArray *vols, GError **error)
{
    int active = virDomainIsActive(dom);
    int persistent = virDomainIsPersistent(dom);
    if (active < 0 || persistent < 0) {
        virt_error_from_libvirt(error, "reading VM");
        return FALSE;
    }
    if (active && !force) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "VM '%s' is running; power it off first or delete with force",
                    virDomainGetName(dom));
        return FALSE;
    }
    if (active && virDomainDestroy(dom) < 0) {
        virt_error_from_libvirt(error, "powering off VM");
        return FALSE;
    }
    /* A transient VM is gone once it is off. */
    if (persistent && !undefine(dom, error))
        return FALSE;
    for (guint i = 0; vols && i < vols->len; i++) {
        if (virStorageVolDelete(g_ptr_array_index(vols, i), 0) < 0) {
            virt_error_from_libvirt(error, "deleting disk volume");
            return FALSE;
        }
    }
    return TRUE;
}
