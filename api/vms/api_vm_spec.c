/* Parsing and checking VM specs (see api_vm_spec.h). */
#include "api/vms/api_vm_spec.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "virt/virt_domain.h"
#include "virt/virt_storage.h"

#include <string.h>

#define REF_MAX 512
#define OS_ID_MAX 64

/* Engine validation errors become 400s naming the field. */
static gboolean in_field(GError **error, const char *field)
{
    if (error && *error) {
        if ((*error)->domain != API_ERROR) {
            (*error)->domain = API_ERROR;
            (*error)->code = API_ERROR_INVALID_ARGUMENT;
        }
        g_prefix_error(error, "%s: ", field);
    }
    return FALSE;
}

void api_vm_spec_free(ApiVmSpec *spec)
{
    if (!spec)
        return;
    json_decref(spec->doc);
    g_free(spec->osinfo_id);
    g_strfreev(spec->boot);
    if (spec->volumes)
        g_array_unref(spec->volumes);
    if (spec->nics)
        g_array_unref(spec->nics);
    if (spec->owned)
        g_ptr_array_unref(spec->owned);
    api_cloud_init_free(spec->cloud_init);
    if (spec->seed)
        g_bytes_unref(spec->seed);
    g_free(spec);
}

static gboolean opt_uint(json_t *obj, const char *name, guint64 min, guint64 max, guint64 *out,
                         GError **error)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        return TRUE;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (guint64)json_integer_value(v) < min ||
        (guint64)json_integer_value(v) > max)
        return api_invalid(error,
                           "field '%s' must be a whole number from %" G_GUINT64_FORMAT
                           " to %" G_GUINT64_FORMAT,
                           name, min, max);
    *out = (guint64)json_integer_value(v);
    return TRUE;
}

static gboolean one_of(const char *field, const char *value, const char *const *allowed,
                       GError **error)
{
    if (!value || g_strv_contains(allowed, value))
        return TRUE;
    g_autofree char *list = g_strjoinv(", ", (char **)allowed);
    return api_invalid(error, "field '%s' must be one of %s, not '%s'", field, list, value);
}

/* "pool/name" split into the spec's owned strings. */
static gboolean split_ref(ApiVmSpec *spec, const char *field, const char *ref, const char **pool,
                          const char **name, GError **error)
{
    const char *slash = strchr(ref, '/');
    if (!slash || slash == ref || !slash[1])
        return api_invalid(error, "field '%s' must name a volume as \"pool/name\", not '%s'", field,
                           ref);
    char *p = g_strndup(ref, (gsize)(slash - ref));
    g_ptr_array_add(spec->owned, p);
    g_autoptr(GError) why = NULL;
    if (!virt_storage_name_valid(p, &why) || !virt_storage_name_valid(slash + 1, &why))
        return api_invalid(error, "field '%s': %s", field, why->message);
    *pool = p;
    *name = slash + 1;
    return TRUE;
}

static gboolean valid_ref(const char *field, const char *ref, GError **error)
{
    const char *slash = strchr(ref, '/');
    g_autoptr(GError) why = NULL;
    if (!slash || slash == ref || !slash[1])
        return api_invalid(error, "field '%s' must name a volume as \"pool/name\", not '%s'", field,
                           ref);
    g_autofree char *pool = g_strndup(ref, (gsize)(slash - ref));
    if (!virt_storage_name_valid(pool, &why) || !virt_storage_name_valid(slash + 1, &why))
        return api_invalid(error, "field '%s': %s", field, why->message);
    return TRUE;
}

static gboolean parse_disk(ApiVmSpec *spec, json_t *d, GError **error)
{
    static const char *const allowed[] = {"pool",   "size",  "format",  "bus", "name",
                                          "volume", "clone", "backing", NULL};
    static const char *const formats[] = {"raw", "qcow2", "vdi", "vmdk", NULL};
    static const char *const buses[] = {"virtio", "sata", "scsi", "ide", "usb", NULL};
    if (!json_is_object(d))
        return api_invalid(error, "must be an object");
    VirtVmVolume v = {.device = "disk", .kind = VIRT_VM_VOL_NEW};
    const char *volume = NULL, *clone = NULL, *backing = NULL;
    if (!api_json_only_members(d, allowed, error) ||
        !api_json_opt_string(d, "pool", 255, &v.pool, error) ||
        !api_json_opt_string(d, "format", 16, &v.format, error) ||
        !api_json_opt_string(d, "bus", 16, &v.bus, error) ||
        !api_json_opt_string(d, "name", 255, &v.name, error) ||
        !api_json_opt_string(d, "volume", REF_MAX, &volume, error) ||
        !api_json_opt_string(d, "clone", REF_MAX, &clone, error) ||
        !api_json_opt_string(d, "backing", REF_MAX, &backing, error) ||
        !opt_uint(d, "size", 1, VIRT_STORAGE_MAX_BYTES, &v.size, error) ||
        !one_of("format", v.format, formats, error) || !one_of("bus", v.bus, buses, error))
        return FALSE;
    if ((volume != NULL) + (clone != NULL) + (backing != NULL) > 1)
        return api_invalid(error, "give one of 'volume', 'clone' and 'backing'");
    g_autoptr(GError) why = NULL;
    if (v.pool && !virt_storage_name_valid(v.pool, &why))
        return api_invalid(error, "field 'pool': %s", why->message);
    if (v.name && !virt_storage_name_valid(v.name, &why))
        return api_invalid(error, "field 'name': %s", why->message);
    if (volume) {
        if (v.pool || v.size || v.format || v.name)
            return api_invalid(error, "an existing 'volume' takes only 'bus'");
        v.kind = VIRT_VM_VOL_EXISTING;
        if (!split_ref(spec, "volume", volume, &v.pool, &v.name, error))
            return FALSE;
    } else if (clone || backing) {
        v.kind = clone ? VIRT_VM_VOL_CLONE : VIRT_VM_VOL_OVERLAY;
        v.from = clone ? clone : backing;
        if (!valid_ref(clone ? "clone" : "backing", v.from, error))
            return FALSE;
        if (backing && v.format && strcmp(v.format, "qcow2") != 0)
            return api_invalid(error, "a 'backing' overlay is always qcow2");
    } else {
        if (!v.pool)
            return api_invalid(error,
                               "a new disk needs 'pool' and 'size' (or give 'volume', 'clone' "
                               "or 'backing')");
        if (!v.size)
            return api_invalid(error, "a new disk needs 'size' in bytes");
    }
    g_array_append_val(spec->volumes, v);
    return TRUE;
}

static gboolean parse_nic(ApiVmSpec *spec, json_t *n, GError **error)
{
    static const char *const allowed[] = {"network", "bridge", "model", "mac", NULL};
    if (!json_is_object(n))
        return api_invalid(error, "must be an object");
    VirtNicSpec nic = {0};
    const char *network = NULL, *bridge = NULL;
    if (!api_json_only_members(n, allowed, error) ||
        !api_json_opt_string(n, "network", 255, &network, error) ||
        !api_json_opt_string(n, "bridge", 15, &bridge, error) ||
        !api_json_opt_string(n, "model", 16, &nic.model, error) ||
        !api_json_opt_string(n, "mac", 17, &nic.mac, error))
        return FALSE;
    if ((network != NULL) == (bridge != NULL))
        return api_invalid(error, "give one of 'network' and 'bridge'");
    nic.type = network ? "network" : "bridge";
    nic.source = network ? network : bridge;
    g_autoptr(GError) why = NULL;
    if (!virt_storage_name_valid(nic.source, &why))
        return api_invalid(error, "field '%s': %s", nic.type, why->message);
    if (nic.model && !virt_nic_model_valid(nic.model))
        return api_invalid(error,
                           "field 'model' must be one of virtio, e1000e, e1000, rtl8139, not '%s'",
                           nic.model);
    if (nic.mac && !virt_mac_valid(nic.mac, &why))
        return api_invalid(error, "field 'mac': %s", why->message);
    g_array_append_val(spec->nics, nic);
    return TRUE;
}

static gboolean parse_list(ApiVmSpec *spec, json_t *obj, const char *name, guint max,
                           gboolean (*one)(ApiVmSpec *, json_t *, GError **), GError **error)
{
    json_t *list = json_object_get(obj, name);
    if (!list)
        return TRUE;
    if (!json_is_array(list) || json_array_size(list) > max)
        return api_invalid(error, "field '%s' must be a list of at most %u objects", name, max);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        if (!one(spec, item, error)) {
            g_autofree char *field = g_strdup_printf("%s[%zu]", name, i);
            return in_field(error, field);
        }
    }
    return TRUE;
}

static gboolean parse_boot(ApiVmSpec *spec, json_t *obj, GError **error)
{
    static const char *const devs[] = {"hd", "cdrom", "network", NULL};
    json_t *list = NULL;
    if (!api_json_opt_string_array(obj, "boot", 3, &list, error))
        return FALSE;
    if (!list)
        return TRUE;
    if (json_array_size(list) == 0)
        return api_invalid(error, "field 'boot' needs at least one device (hd, cdrom, network)");
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    size_t i;
    json_t *d;
    json_array_foreach (list, i, d) {
        const char *s = json_string_value(d);
        if (!one_of("boot", s, devs, error))
            return FALSE;
        if (!g_hash_table_add(seen, (gpointer)s))
            return api_invalid(error, "field 'boot' names '%s' twice", s);
        g_strv_builder_add(b, s);
    }
    spec->boot = g_strv_builder_end(b);
    return TRUE;
}

static gboolean valid_os_id(const char *os)
{
    if (!*os)
        return FALSE;
    for (const char *c = os; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr(".+-_", *c))
            return FALSE;
    return TRUE;
}

/* The seed volume of "cloud_init": a CD-ROM made in the pool of the first
 * disk (the cloud image's), deleted with the VM (its alias says so). */
static gboolean parse_cloud_init(ApiVmSpec *spec, json_t *obj, ApiVmSpecKind kind, GError **error)
{
    json_t *ci = json_object_get(obj, "cloud_init");
    if (!ci)
        return TRUE;
    if (kind == API_VM_SPEC_TEMPLATE)
        return api_invalid(error, "a template cannot hold 'cloud_init' (it may carry "
                                  "passwords): give it when creating the VM");
    if (!(spec->cloud_init = api_cloud_init_parse(ci, spec->name, error)))
        return FALSE;
    const VirtVmVolume *disk = NULL;
    for (guint i = 0; i < spec->volumes->len && !disk; i++)
        if (strcmp(g_array_index(spec->volumes, VirtVmVolume, i).device, "disk") == 0)
            disk = &g_array_index(spec->volumes, VirtVmVolume, i);
    if (!disk)
        return api_invalid(error, "field 'cloud_init' needs a disk in 'disks' (e.g. an overlay "
                                  "on the cloud image: {\"backing\": \"pool/image.qcow2\"})");
    const char *pool = disk->pool;
    if (!pool) {
        /* A copy or an overlay without "pool" goes beside its source. */
        char *p = g_strndup(disk->from, strcspn(disk->from, "/"));
        g_ptr_array_add(spec->owned, p);
        pool = p;
    }
    char *name = g_strconcat(spec->name, "-cidata.iso", NULL);
    g_ptr_array_add(spec->owned, name);
    VirtVmVolume seed = {.kind = VIRT_VM_VOL_DATA,
                         .device = "cdrom",
                         .pool = pool,
                         .name = name,
                         .bus = "scsi",
                         .alias = VIRT_DISK_ALIAS_OWNED "cidata",
                         .label = "cloud_init"};
    g_array_append_val(spec->volumes, seed);
    return TRUE;
}

ApiVmSpec *api_vm_spec_parse(json_t *obj, ApiVmSpecKind kind, GError **error)
{
    static const char *const create_allowed[] = {
        "name",     "os",   "vcpus", "memory", "cpu_mode", "machine",    "firmware",
        "graphics", "boot", "disks", "cdrom",  "nics",     "cloud_init", NULL};
    static const char *const required[] = {"name", "vcpus", "memory", NULL};
    static const char *const cpu_modes[] = {"default", "host-model", "host-passthrough", NULL};
    static const char *const firmwares[] = {"bios", "uefi", NULL};
    static const char *const graphics_kinds[] = {"vnc", "none", NULL};
    if (!json_is_object(obj)) {
        api_invalid(error, "the VM spec must be a JSON object");
        return NULL;
    }
    g_autoptr(ApiVmSpec) spec = g_new0(ApiVmSpec, 1);
    spec->doc = json_incref(obj);
    spec->volumes = g_array_new(FALSE, TRUE, sizeof(VirtVmVolume));
    spec->nics = g_array_new(FALSE, TRUE, sizeof(VirtNicSpec));
    spec->owned = g_ptr_array_new_with_free_func(g_free);
    const char *firmware = NULL, *graphics = NULL, *cdrom = NULL;
    guint64 vcpus = 0, memory = 0;
    /* A template may not carry a name: it is the template's own. */
    const char *const *allowed = kind == API_VM_SPEC_TEMPLATE ? create_allowed + 1 : create_allowed;
    if (!api_json_only_members(obj, allowed, error) ||
        (kind == API_VM_SPEC_CREATE && !api_json_require(obj, required, error)) ||
        !api_json_opt_string(obj, "name", 64, &spec->name, error) ||
        !api_json_opt_string(obj, "os", OS_ID_MAX, &spec->os, error) ||
        !api_json_opt_string(obj, "cpu_mode", 32, &spec->cpu_mode, error) ||
        !api_json_opt_string(obj, "machine", 64, &spec->machine, error) ||
        !api_json_opt_string(obj, "firmware", 8, &firmware, error) ||
        !api_json_opt_string(obj, "graphics", 8, &graphics, error) ||
        !api_json_opt_string(obj, "cdrom", REF_MAX, &cdrom, error) ||
        !opt_uint(obj, "vcpus", 1, 4096, &vcpus, error) ||
        !opt_uint(obj, "memory", API_VM_SPEC_MIN_MEMORY_MIB, G_GUINT64_CONSTANT(1) << 32, &memory,
                  error) ||
        !one_of("cpu_mode", spec->cpu_mode, cpu_modes, error) ||
        !one_of("firmware", firmware, firmwares, error) ||
        !one_of("graphics", graphics, graphics_kinds, error) || !parse_boot(spec, obj, error) ||
        !parse_list(spec, obj, "disks", API_VM_SPEC_MAX_DISKS, parse_disk, error) ||
        !parse_list(spec, obj, "nics", API_VM_SPEC_MAX_NICS, parse_nic, error))
        return NULL;
    g_autoptr(GError) why = NULL;
    if (spec->name && !virt_domain_name_valid(spec->name, &why)) {
        api_invalid(error, "field 'name': %s", why->message);
        return NULL;
    }
    if (spec->os && !valid_os_id(spec->os)) {
        api_invalid(error, "field 'os' must be a libosinfo short id such as 'debian12', not '%s'",
                    spec->os);
        return NULL;
    }
    if (spec->machine && !valid_os_id(spec->machine)) {
        api_invalid(error, "field 'machine' must be a machine type such as 'pc' or 'q35'");
        return NULL;
    }
    if (cdrom) {
        VirtVmVolume v = {.device = "cdrom", .kind = VIRT_VM_VOL_EXISTING};
        if (!split_ref(spec, "cdrom", cdrom, &v.pool, &v.name, error))
            return NULL;
        g_array_append_val(spec->volumes, v);
    } else if (spec->boot && g_strv_contains((const char *const *)spec->boot, "cdrom")) {
        api_invalid(error, "field 'boot' names 'cdrom' but there is no 'cdrom'");
        return NULL;
    }
    /* Network boot (PXE) goes through a NIC. */
    if (spec->boot && g_strv_contains((const char *const *)spec->boot, "network") &&
        spec->nics->len == 0) {
        api_invalid(error, "field 'boot' names 'network' but there is no NIC in 'nics'");
        return NULL;
    }
    if (!parse_cloud_init(spec, obj, kind, error))
        return NULL;
    spec->vcpus = (guint)vcpus;
    spec->memory_mib = memory;
    spec->uefi = g_strcmp0(firmware, "uefi") == 0;
    spec->vnc = g_strcmp0(graphics, "none") != 0;
    return g_steal_pointer(&spec);
}

/* UEFI needs an OVMF build with a firmware descriptor, which is what
 * libvirt's firmware='efi' auto-selection reads. */
static gboolean uefi_available(void)
{
    static const char *const dirs[] = {"/usr/share/qemu/firmware", "/etc/qemu/firmware", NULL};
    for (const char *const *d = dirs; *d; d++) {
        g_autoptr(GDir) dir = g_dir_open(*d, 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir)))
            if (strstr(name, "ovmf") || strstr(name, "edk2"))
                return TRUE;
    }
    return FALSE;
}

gboolean api_vm_spec_check_host(const ApiVmSpec *spec, const VirtHostInfo *host, GError **error)
{
    if (spec->vcpus > host->cpus)
        return api_invalid(error, "field 'vcpus': the host has %u CPUs, not %u", host->cpus,
                           spec->vcpus);
    guint64 host_mib = host->memory_total_kib / 1024;
    if (spec->memory_mib > host_mib)
        return api_invalid(
            error, "field 'memory': the host has %" G_GUINT64_FORMAT " MiB, not %" G_GUINT64_FORMAT,
            host_mib, spec->memory_mib);
    if (spec->cpu_mode && strcmp(spec->cpu_mode, "default") != 0 && !host->kvm_usable)
        return api_invalid(error,
                           "field 'cpu_mode': '%s' needs KVM, which this host cannot use; "
                           "use 'default'",
                           spec->cpu_mode);
    if (spec->machine && host->machines &&
        !g_strv_contains((const char *const *)host->machines, spec->machine)) {
        g_autofree char *list = g_strjoinv(", ", host->machines);
        return api_invalid(error, "field 'machine': '%s' is not a machine type of this host (%s)",
                           spec->machine, list);
    }
    if (spec->uefi && !uefi_available())
        return api_invalid(error,
                           "field 'firmware': UEFI needs OVMF (Debian package ovmf), which is "
                           "not installed; use 'bios'");
    return TRUE;
}

void api_vm_spec_plan(const ApiVmSpec *spec, const VirtHostInfo *host, const char *serial_log,
                      VirtVmPlan *plan)
{
    static const char *const with_cdrom[] = {"cdrom", "hd", NULL};
    static const char *const disk_only[] = {"hd", NULL};
    gboolean has_cdrom = FALSE;
    /* The cloud-init seed is no boot medium. */
    for (guint i = 0; i < spec->volumes->len; i++)
        if (strcmp(g_array_index(spec->volumes, VirtVmVolume, i).device, "cdrom") == 0 &&
            g_array_index(spec->volumes, VirtVmVolume, i).kind != VIRT_VM_VOL_DATA)
            has_cdrom = TRUE;
    const char *cpu_mode = spec->cpu_mode;
    if (!cpu_mode)
        cpu_mode = host->kvm_usable ? "host-passthrough" : NULL;
    else if (strcmp(cpu_mode, "default") == 0)
        cpu_mode = NULL;
    *plan = (VirtVmPlan){
        .domain =
            {
                .name = spec->name,
                .domain_type = host->default_domain_type,
                .arch = host->arch,
                .machine = spec->machine,
                .vcpus = spec->vcpus,
                .memory_mib = spec->memory_mib,
                .cpu_mode = cpu_mode,
                .uefi = spec->uefi,
                .vnc = spec->vnc,
                .serial_log = serial_log,
                .osinfo_id = spec->osinfo_id,
                .boot = spec->boot  ? (const char *const *)spec->boot
                        : has_cdrom ? with_cdrom
                                    : disk_only,
                .nics = (const VirtNicSpec *)spec->nics->data,
                .n_nics = spec->nics->len,
            },
        .volumes = (const VirtVmVolume *)spec->volumes->data,
        .n_volumes = spec->volumes->len,
    };
}
