/* OVA export (see api_ova_out.h): the disks are converted with qemu-img
 * before the first byte, since a tar header needs each member's size and
 * a streamOptimized VMDK's size is known only once it is written. */
#include "api/backup/api_ova_out.h"
#include "api/backup/api_archive.h"
#include "api/backup/api_archive_watch.h"
#include "api/core/api_error.h"
#include "api/import/api_qemu_img.h"
#include "api/vms/api_vms.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_ova.h"
#include "virt/virt_ovf_write.h"
#include "virt/virt_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *source, *format; /* the volume's file and format */
    char *member;          /* NAME-diskN.vmdk */
    guint64 capacity, allocation;
    int fd; /* the converted file, unlinked; -1 before */
    guint64 size;
} OvaDisk;

static void ova_disk_clear(gpointer p)
{
    OvaDisk *d = p;
    g_free(d->source);
    g_free(d->format);
    g_free(d->member);
    if (d->fd >= 0)
        close(d->fd);
}

char *api_ova_file_name(const char *vm_name)
{
    g_autofree char *tar = api_archive_file_name(vm_name);
    /* "NAME.vireo.tar" -> "NAME.ova" */
    tar[strlen(tar) - strlen(".vireo.tar")] = '\0';
    return g_strconcat(tar, ".ova", NULL);
}

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

/* A writable disk as a volume of a pool, raw or qcow2 (an overlay is
 * fine: qemu-img reads its chain into one VMDK). */
static gboolean disk_volume(virConnectPtr conn, const VirtDisk *vd, OvaDisk *d, GPtrArray *volumes,
                            GError **error)
{
    virStorageVolPtr vol = vd->source ? virStorageVolLookupByPath(conn, vd->source) : NULL;
    virResetLastError();
    if (!vol)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is not a volume of a storage pool: Vireo exports only the "
                        "volumes of its pools",
                        vd->target);
    g_ptr_array_add(volumes, vol);
    g_autoptr(VirtVolume) info = virt_volume_info(vol, error);
    if (!info)
        return FALSE;
    const char *format = info->format ? info->format : "raw";
    if (strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0)
        return api_fail(error, API_ERROR_CONFLICT,
                        "disk %s is %s: OVAs are made of raw and qcow2 disks only", vd->target,
                        format);
    d->source = g_strdup(info->path ? info->path : vd->source);
    d->format = g_strdup(format);
    d->capacity = info->capacity;
    d->allocation = info->allocation;
    return TRUE;
}

/* Converts one disk into `dir` and keeps it open, unlinked. */
static gboolean convert(OvaDisk *d, const char *dir, guint index, GCancellable *cancel,
                        GError **error)
{
    g_autofree char *name = g_strdup_printf("disk%u.vmdk", index);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    gboolean ok = api_qemu_img_to_stream_vmdk(d->source, d->format, path, cancel, error);
    if (ok) {
        d->fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (d->fd < 0 || fstat(d->fd, &st) < 0)
            ok = api_fail(error, API_ERROR_INTERNAL, "opening the converted disk: %s",
                          g_strerror(errno));
        else
            d->size = (guint64)st.st_size;
    }
    /* Named no longer than it takes to open it. */
    unlink(path);
    return ok;
}

static gboolean convert_all(GArray *disks, GCancellable *cancel, GError **error)
{
    GError *why = NULL;
    g_autofree char *dir = g_dir_make_tmp("vireo-ova-XXXXXX", &why);
    if (!dir) {
        api_fail(error, API_ERROR_INTERNAL, "making a scratch directory: %s", why->message);
        g_error_free(why);
        return FALSE;
    }
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < disks->len; i++)
        ok = convert(&g_array_index(disks, OvaDisk, i), dir, i + 1, cancel, error);
    rmdir(dir);
    return ok;
}

static char *descriptor(ApiContext *ctx, virDomainPtr dom, const VirtDomainConfig *cfg,
                        GArray *disks, GError **error)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    g_autoptr(json_t) detail = api_archive_vm_detail(ctx, dom, uuid, error);
    if (!detail)
        return NULL;
    g_autofree VirtOvfOutDisk *out = g_new0(VirtOvfOutDisk, disks->len + 1);
    for (guint i = 0; i < disks->len; i++) {
        const OvaDisk *d = &g_array_index(disks, OvaDisk, i);
        out[i] = (VirtOvfOutDisk){.href = d->member,
                                  .file_size = d->size,
                                  .capacity = d->capacity,
                                  .populated = d->allocation};
    }
    g_autoptr(GPtrArray) nics = g_ptr_array_new();
    for (guint i = 0; i < cfg->nics->len; i++) {
        const VirtNic *n = g_ptr_array_index(cfg->nics, i);
        g_ptr_array_add(nics, n->source ? n->source : (char *)"VM Network");
    }
    VirtOvfOut o = {
        .name = virDomainGetName(dom),
        .vcpus = (guint)json_integer_value(json_object_get(detail, "vcpus")),
        .memory_mib = (guint64)json_integer_value(json_object_get(detail, "memory")),
        .uefi = cfg->uefi,
        .os_id = json_string_value(json_object_get(json_object_get(detail, "os"), "id")),
        .disks = out,
        .n_disks = disks->len,
        .nics = (const char *const *)nics->pdata,
        .n_nics = nics->len,
    };
    return virt_ovf_write(&o, error);
}

VirtArchiveOut *api_ova_out(ApiContext *ctx, virDomainPtr dom, GCancellable *cancel, GError **error)
{
    virConnectPtr conn = virDomainGetConnect(dom);
    if (!virt_conn_is_local(conn)) {
        api_fail(error, API_ERROR_UNSUPPORTED,
                 "OVA exports need libvirt on this host (qemu-img reads the disks' files)");
        return NULL;
    }
    g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml) {
        virt_error_from_libvirt(error, "reading the VM's definition");
        return NULL;
    }
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    g_autofree char *base = api_ova_file_name(virDomainGetName(dom));
    base[strlen(base) - strlen(".ova")] = '\0';
    g_autoptr(GArray) disks = g_array_new(FALSE, TRUE, sizeof(OvaDisk));
    g_array_set_clear_func(disks, ova_disk_clear);
    g_autoptr(GPtrArray) volumes = g_ptr_array_new_with_free_func(volume_unref);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *vd = g_ptr_array_index(cfg->disks, i);
        if (!virt_disk_writable(vd))
            continue;
        OvaDisk d = {.fd = -1, .member = g_strdup_printf("%s-disk%u.vmdk", base, disks->len + 1)};
        g_array_append_val(disks, d);
        if (!disk_volume(conn, vd, &g_array_index(disks, OvaDisk, disks->len - 1), volumes, error))
            return NULL;
    }
    if (disks->len > VIRT_OVF_WRITE_MAX_DISKS) {
        api_fail(error, API_ERROR_CONFLICT, "the VM has %u disks: an OVA holds at most %d",
                 disks->len, VIRT_OVF_WRITE_MAX_DISKS);
        return NULL;
    }
    /* A VM started during the conversion would make its copy torn. */
    g_autoptr(ApiArchiveWatch) watch = api_archive_watch_new(dom);
    if (!api_archive_watch_begin(watch, volumes, error) || !convert_all(disks, cancel, error) ||
        !api_archive_watch_check(0, watch, error))
        return NULL;
    g_autofree char *ovf = descriptor(ctx, dom, cfg, disks, error);
    if (!ovf)
        return NULL;
    g_autofree char *ovf_name = g_strconcat(base, ".ovf", NULL);
    g_autofree char *mf_name = g_strconcat(base, ".mf", NULL);
    VirtArchiveDigests mf = {mf_name, virt_ova_manifest_line, virt_ova_manifest_line_len};
    g_autoptr(VirtArchiveOut)
        a = virt_archive_out_new(g_get_real_time() / G_USEC_PER_SEC, NULL, NULL);
    if (!virt_archive_out_add_bytes(a, ovf_name, ovf, strlen(ovf), error))
        return NULL;
    for (guint i = 0; i < disks->len; i++) {
        OvaDisk *d = &g_array_index(disks, OvaDisk, i);
        int fd = d->fd;
        d->fd = -1; /* the archive's now */
        if (!virt_archive_out_add_fd(a, d->member, fd, d->size, error))
            return NULL;
    }
    return virt_archive_out_close_with(a, &mf, error) ? g_steal_pointer(&a) : NULL;
}
