/* A VM's archive as the API makes it (see api_archive.h): vireo.json from
 * the VM's detail and inventory row, its inactive definition with each
 * writable disk's source replaced by its member name, the disks, and a
 * UEFI VM's NVRAM. */
#include "api/backup/api_archive.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"
#include "api/vms/api_vms.h"
#include "db/db_auth.h"
#include "virt/virt_archive.h"
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_nvram.h"
#include "virt/virt_storage.h"
#include "virt/virt_volume_copy.h"

#include <string.h>

char *api_archive_file_name(const char *vm_name)
{
    char *safe = g_strconcat(vm_name, ".vireo.tar", NULL);
    for (char *p = safe; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-' && *p != '_')
            *p = '_';
    return safe;
}

/* One writable disk of the VM: its volume, checked. */
typedef struct {
    const char *target;
    char *member;
    char *format;
    virStorageVolPtr vol; /* the disk's own */
    guint64 capacity;
} Disk;

static void disk_clear(gpointer p)
{
    Disk *d = p;
    g_free(d->member);
    g_free(d->format);
    if (d->vol)
        virStorageVolFree(d->vol);
}

static gboolean disk_volume(virConnectPtr conn, const VirtDisk *vd, Disk *d, GError **error)
{
    d->target = vd->target;
    d->vol = vd->source ? virStorageVolLookupByPath(conn, vd->source) : NULL;
    virResetLastError();
    if (!d->vol)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is not a volume of a storage pool: Vireo archives only the "
                        "volumes of its pools",
                        vd->target);
    g_autoptr(VirtVolume) info = virt_volume_info(d->vol, error);
    if (!info)
        return FALSE;
    const char *format = info->format ? info->format : "raw";
    if (strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is %s: archives hold raw and qcow2 disks only", vd->target,
                        format);
    if (info->backing || (vd->backing && vd->backing[0]))
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is an overlay on a backing file, which the archive would not "
                        "hold; make a full clone of the VM and archive that",
                        vd->target);
    d->format = g_strdup(format);
    d->member = g_strdup_printf(VIRT_ARCHIVE_DISKS "%s.%s", vd->target, format);
    d->capacity = info->capacity;
    return TRUE;
}

json_t *api_archive_vm_detail(ApiContext *ctx, virDomainPtr dom, char uuid[VIR_UUID_STRING_BUFLEN],
                              GError **error)
{
    g_autoptr(virConnect) conn = virDomainGetConnect(dom);
    virConnectRef(conn);
    if (virDomainGetUUIDString(dom, uuid) < 0) {
        api_fail(error, API_ERROR_INTERNAL, "reading the VM's UUID failed");
        return NULL;
    }
    return api_vm_detail(ctx, conn, uuid, NULL, error);
}

static json_t *meta_json(ApiContext *ctx, virDomainPtr dom, GArray *disks, gboolean nvram,
                         GError **error)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autoptr(json_t) detail = api_archive_vm_detail(ctx, dom, uuid, error);
    if (!detail)
        return NULL;
    g_autoptr(GError) why = NULL;
    g_autofree char *owner = db_vm_owner_name(ctx->db, uuid, &why);
    json_t *os = json_object_get(detail, "os");
    json_t *list = json_array();
    for (guint i = 0; i < disks->len; i++) {
        const Disk *d = &g_array_index(disks, Disk, i);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:I}", "target", d->target, "member",
                                              d->member, "format", d->format, "capacity",
                                              (json_int_t)d->capacity));
    }
    json_t *m = json_pack(
        "{s:s,s:i,s:o,s:s,s:s,s:O,s:O,s:o,s:O,s:O,s:O,s:o,s:b}", "format", "vireo-vm-archive",
        "version", API_ARCHIVE_VERSION, "exported_at",
        api_time_json(g_get_real_time() / G_USEC_PER_SEC), "name", virDomainGetName(dom), "uuid",
        uuid, "description", json_object_get(detail, "description"), "tags",
        json_object_get(detail, "tags"), "owner", owner ? json_string(owner) : json_null(), "os",
        json_object_get(os, "osinfo_id") ? json_object_get(os, "osinfo_id") : json_null(), "vcpus",
        json_object_get(detail, "vcpus"), "memory", json_object_get(detail, "memory"), "disks",
        list, "nvram", nvram);
    if (!m)
        api_fail(error, API_ERROR_INTERNAL, "building " VIRT_ARCHIVE_META " failed");
    return m;
}

VirtArchiveOut *api_archive_out(const ApiArchiveFrom *from, GPtrArray *volumes, GError **error)
{
    virDomainPtr dom = from->dom;
    g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml) {
        virt_error_from_libvirt(error, "reading the VM's definition");
        return NULL;
    }
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    g_autoptr(GArray) disks = g_array_new(FALSE, TRUE, sizeof(Disk));
    g_array_set_clear_func(disks, disk_clear);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *vd = g_ptr_array_index(cfg->disks, i);
        if (!virt_disk_writable(vd))
            continue;
        g_array_set_size(disks, disks->len + 1);
        if (!disk_volume(virDomainGetConnect(dom), vd, &g_array_index(disks, Disk, disks->len - 1),
                         error))
            return NULL;
    }
    g_autofree VirtDiskMove *moves = g_new0(VirtDiskMove, disks->len + 1);
    for (guint i = 0; i < disks->len; i++) {
        const Disk *d = &g_array_index(disks, Disk, i);
        moves[i] = (VirtDiskMove){.target = d->target, .path = d->member, .format = d->format};
    }
    /* A UEFI VM's boot entries go along (read as they are: a running
     * VM's backup takes them as last written). */
    g_autoptr(GBytes) nvram = NULL;
    if (!virt_nvram_read(virDomainGetConnect(dom), xml, &nvram, error))
        return NULL;
    if (nvram && g_bytes_get_size(nvram) > VIRT_ARCHIVE_NVRAM_MAX) {
        api_fail(error, API_ERROR_CONFLICT,
                 "the VM's UEFI NVRAM is over the archive's 4 MiB for " VIRT_ARCHIVE_NVRAM);
        return NULL;
    }
    g_autofree char *normal = virt_domain_xml_move_disks(xml, moves, disks->len, error);
    g_autoptr(json_t) meta = normal ? meta_json(from->ctx, dom, disks, nvram != NULL, error) : NULL;
    g_autofree char *meta_text = meta ? json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!meta_text)
        return NULL;
    g_autoptr(VirtArchiveOut)
        a = virt_archive_out_new(g_get_real_time() / G_USEC_PER_SEC, from->check, from->check_data);
    if (!virt_archive_out_add_bytes(a, VIRT_ARCHIVE_META, meta_text, strlen(meta_text), error) ||
        !virt_archive_out_add_bytes(a, VIRT_ARCHIVE_DOMAIN, normal, strlen(normal), error))
        return NULL;
    for (guint i = 0; i < disks->len; i++) {
        const Disk *d = &g_array_index(disks, Disk, i);
        virStorageVolPtr src = from->sources ? g_hash_table_lookup(from->sources, d->target) : NULL;
        guint64 size = 0;
        if (from->sources && !src) {
            api_fail(error, API_ERROR_CONFLICT,
                     "disk %s has no copy: the VM's disks changed while it was backed up",
                     d->target);
            return NULL;
        }
        if (!src)
            src = d->vol;
        if (!virt_volume_physical(src, &size, error) ||
            !virt_archive_out_add_volume(a, d->member, src, size, error))
            return NULL;
        if (volumes) {
            virStorageVolRef(d->vol);
            g_ptr_array_add(volumes, d->vol);
        }
    }
    if (nvram && !virt_archive_out_add_bytes(a, VIRT_ARCHIVE_NVRAM, g_bytes_get_data(nvram, NULL),
                                             g_bytes_get_size(nvram), error))
        return NULL;
    return virt_archive_out_close(a, error) ? g_steal_pointer(&a) : NULL;
}
