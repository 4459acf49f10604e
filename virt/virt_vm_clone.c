/* A linked clone's source moved onto overlays (see virt_vm_clone.h). */
#include "virt/virt_vm_clone.h"
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

#include <string.h>

struct VirtSourceMove {
    virDomainPtr src;
    char *old_xml;   /* the source's definition before the move */
    gboolean moved;  /* the source has been redefined */
    GPtrArray *made; /* virStorageVolPtr of the overlays made for it */
};

static void volume_unref(gpointer vol)
{
    virStorageVolFree(vol);
}

static void move_free(VirtSourceMove *m)
{
    virDomainFree(m->src);
    g_free(m->old_xml);
    g_ptr_array_unref(m->made);
    g_free(m);
}

void virt_source_move_commit(VirtSourceMove *m)
{
    if (m)
        move_free(m);
}

void virt_source_move_rollback(VirtSourceMove *m)
{
    if (!m)
        return;
    if (m->moved) {
        virDomainPtr back = virDomainDefineXML(virDomainGetConnect(m->src), m->old_xml);
        if (back)
            virDomainFree(back);
        else
            g_warning("rollback: the definition of %s was not put back", virDomainGetName(m->src));
    }
    for (guint i = m->made->len; i-- > 0;) {
        virStorageVolPtr vol = g_ptr_array_index(m->made, i);
        if (virStorageVolDelete(vol, 0) < 0)
            g_warning("rollback: deleting volume %s failed", virStorageVolGetName(vol));
    }
    virResetLastError();
    move_free(m);
}

static gboolean noted(const VirtVmPlan *plan, const char *ref, gboolean made, const char *path,
                      GError **error)
{
    if (!plan->note || plan->note("volume", ref, made, path, plan->note_data))
        return TRUE;
    return virt_fail(error, VIRT_ERROR_FAILED, "could not record the volume '%s'", ref);
}

/* The source's overlay for plan volume `i`, made and noted; fills `move`. */
static virStorageVolPtr make_overlay(virConnectPtr conn, const VirtVmPlan *plan, guint i,
                                     const char *src_name, GPtrArray *strings, VirtDiskMove *move,
                                     GError **error)
{
    const VirtVmVolume *v = &plan->volumes[i];
    g_autoptr(virStoragePool) pool = NULL;
    g_autoptr(virStorageVol) base = virt_volume_lookup_ref(conn, v->from, &pool, error);
    g_autoptr(VirtVolume) info = base ? virt_volume_info(base, error) : NULL;
    if (!info)
        return NULL;
    g_autofree char *name = g_strdup_printf("%s-disk%u.after-%s.qcow2", src_name, i,
                                            plan->domain.name);
    g_autofree char *ref = g_strdup_printf("%s/%s", virStoragePoolGetName(pool), name);
    if (!virt_volume_name_free(pool, name, error) || !noted(plan, ref, FALSE, NULL, error))
        return NULL;
    virStorageVolPtr vol = virt_volume_create(pool, name, info->capacity, "qcow2", v->from, error);
    char *path = vol ? virStorageVolGetPath(vol) : NULL;
    if (vol && (!path || !noted(plan, ref, TRUE, path, error))) {
        if (!path)
            virt_error_from_libvirt(error, "reading the new volume");
        virStorageVolDelete(vol, 0);
        virStorageVolFree(vol);
        g_free(path);
        return NULL;
    }
    if (!vol)
        return NULL;
    g_ptr_array_add(strings, path);
    g_ptr_array_add(strings, g_strdup(info->path));
    g_ptr_array_add(strings, g_strdup(info->format ? info->format : "raw"));
    *move = (VirtDiskMove){v->target, path, "qcow2", g_ptr_array_index(strings, strings->len - 2),
                           g_ptr_array_index(strings, strings->len - 1)};
    return vol;
}

VirtSourceMove *virt_vm_clone_move_source(virConnectPtr conn, virDomainPtr src,
                                          const VirtVmPlan *plan, GError **error)
{
    VirtSourceMove *m = g_new0(VirtSourceMove, 1);
    virDomainRef(src);
    m->src = src;
    m->old_xml = g_strdup(plan->clone_of);
    m->made = g_ptr_array_new_with_free_func(volume_unref);
    g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func(g_free);
    g_autofree VirtDiskMove *moves = g_new0(VirtDiskMove, plan->n_volumes + 1);
    guint n = 0;
    for (guint i = 0; i < plan->n_volumes; i++) {
        if (plan->volumes[i].kind != VIRT_VM_VOL_OVERLAY)
            continue;
        virStorageVolPtr vol = make_overlay(conn, plan, i, virDomainGetName(src), strings,
                                            &moves[n], error);
        if (!vol) {
            virt_source_move_rollback(m);
            return NULL;
        }
        g_ptr_array_add(m->made, vol);
        n++;
    }
    g_autofree char *xml = virt_domain_xml_move_disks(plan->clone_of, moves, n, error);
    virDomainPtr redefined = xml ? virDomainDefineXML(conn, xml) : NULL;
    if (!redefined) {
        if (xml)
            virt_error_from_libvirt(error, "moving the source VM onto its new overlays");
        virt_source_move_rollback(m);
        return NULL;
    }
    virDomainFree(redefined);
    m->moved = TRUE;
    return m;
}
