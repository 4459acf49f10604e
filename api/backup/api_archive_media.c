/* Owned CD-ROM media of an archive's VM (see api_archive_media.h). */
#include "api/backup/api_archive_media.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_storage.h"

#include <string.h>

static void medium_free(gpointer p)
{
    ApiArchiveMedium *m = p;
    g_free(m->target);
    g_free(m->from);
    g_free(m->volume);
    g_free(m);
}

/* "pool/volume" and capacity of the volume at `path`, when a pool of this
 * host holds it. */
static char *volume_ref(virConnectPtr conn, const char *path, guint64 *capacity)
{
    g_autoptr(virStorageVol) vol = path ? virStorageVolLookupByPath(conn, path) : NULL;
    virResetLastError();
    g_autoptr(virStoragePool) pool = vol ? virStoragePoolLookupByVolume(vol) : NULL;
    virResetLastError();
    g_autoptr(VirtVolume) info = pool ? virt_volume_info(vol, NULL) : NULL;
    if (!info)
        return NULL;
    *capacity = info->capacity;
    return g_strdup_printf("%s/%s", virStoragePoolGetName(pool), virStorageVolGetName(vol));
}

GPtrArray *api_archive_media(virConnectPtr conn, const char *xml, const char *vm_name,
                             GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    GPtrArray *media = g_ptr_array_new_with_free_func(medium_free);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (!virt_disk_owned(d) || g_strcmp0(d->device, "cdrom") != 0 || !d->target)
            continue;
        ApiArchiveMedium *m = g_new0(ApiArchiveMedium, 1);
        m->target = g_strdup(d->target);
        m->from = d->source ? volume_ref(conn, d->source, &m->capacity) : NULL;
        const char *suffix = d->alias + strlen(VIRT_DISK_ALIAS_OWNED);
        gboolean plain = *suffix &&
                         strspn(suffix, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(suffix);
        m->volume = g_strdup_printf("%s-%s.iso", vm_name, plain ? suffix : d->target);
        g_ptr_array_add(media, m);
    }
    return media;
}

guint64 api_archive_media_bytes(const GPtrArray *media)
{
    guint64 sum = 0;
    for (guint i = 0; i < media->len; i++)
        sum += ((const ApiArchiveMedium *)g_ptr_array_index(media, i))->capacity;
    return sum;
}

char *api_archive_media_xml(const char *xml, const GPtrArray *media, GError **error)
{
    g_autofree char *out = g_strdup(xml);
    for (guint i = 0; i < media->len; i++) {
        const ApiArchiveMedium *m = g_ptr_array_index(media, i);
        if (m->from)
            continue;
        char *dropped = virt_domain_xml_drop_disk(out, m->target, error);
        if (!dropped)
            return NULL;
        g_free(out);
        out = dropped;
    }
    return g_steal_pointer(&out);
}

void api_archive_media_plan(const GPtrArray *media, const char *pool, GArray *vols)
{
    for (guint i = 0; i < media->len; i++) {
        const ApiArchiveMedium *m = g_ptr_array_index(media, i);
        if (!m->from)
            continue;
        VirtVmVolume v = {.kind = VIRT_VM_VOL_CLONE,
                          .device = "cdrom",
                          .pool = pool,
                          .name = m->volume,
                          .from = m->from,
                          .format = "raw",
                          .target = m->target,
                          .label = "the cloud-init seed"};
        g_array_append_val(vols, v);
    }
}
