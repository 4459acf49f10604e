/* See api_archive_watch.h. */
#include "api/backup/api_archive_watch.h"
#include "api/core/api_error.h"
#include "virt/virt_domain.h"
#include "virt/virt_error.h"
#include "virt/virt_storage.h"

struct ApiArchiveWatch {
    virDomainPtr dom;
    GPtrArray *volumes; /* virStorageVolPtr */
    GArray *changed;    /* gint64, each one's change time at the beginning */
};

gboolean api_archive_shut_off(virDomainPtr dom, GError **error)
{
    int state = 0, reason = 0;
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        virt_error_from_libvirt(error, "reading the VM's state");
        return FALSE;
    }
    if (state != VIR_DOMAIN_SHUTOFF)
        return api_fail(error, API_ERROR_CONFLICT,
                        "VM '%s' is %s: only a shut-off VM is exported, since its disks must not "
                        "change while they are read; shut it down first, or back it up with a "
                        "backup job, which copies a running VM's disks as they were at one "
                        "instant",
                        virDomainGetName(dom), virt_domain_state_name(state));
    return TRUE;
}

ApiArchiveWatch *api_archive_watch_new(virDomainPtr dom)
{
    ApiArchiveWatch *w = g_new0(ApiArchiveWatch, 1);
    virDomainRef(dom);
    w->dom = dom;
    w->changed = g_array_new(FALSE, TRUE, sizeof(gint64));
    return w;
}

void api_archive_watch_free(ApiArchiveWatch *w)
{
    if (!w)
        return;
    virDomainFree(w->dom);
    if (w->volumes)
        g_ptr_array_unref(w->volumes);
    g_array_unref(w->changed);
    g_free(w);
}

static gint64 changed_at(virStorageVolPtr vol, GError **error)
{
    g_autoptr(VirtVolume) info = virt_volume_info(vol, error);
    return info ? info->changed_at : -1;
}

gboolean api_archive_watch_begin(ApiArchiveWatch *w, GPtrArray *volumes, GError **error)
{
    w->volumes = g_ptr_array_ref(volumes);
    g_array_set_size(w->changed, 0);
    for (guint i = 0; i < volumes->len; i++) {
        gint64 t = changed_at(g_ptr_array_index(volumes, i), error);
        if (t < 0)
            return FALSE;
        g_array_append_val(w->changed, t);
    }
    return TRUE;
}

gboolean api_archive_watch_check(guint member G_GNUC_UNUSED, gpointer data, GError **error)
{
    ApiArchiveWatch *w = data;
    if (!api_archive_shut_off(w->dom, error)) {
        g_prefix_error(error, "the archive was cut short: ");
        return FALSE;
    }
    for (guint i = 0; w->volumes && i < w->volumes->len; i++) {
        virStorageVolPtr vol = g_ptr_array_index(w->volumes, i);
        gint64 now = changed_at(vol, error);
        if (now < 0)
            return FALSE;
        if (now != g_array_index(w->changed, gint64, i))
            return api_fail(error, API_ERROR_CONFLICT,
                            "the archive was cut short: volume '%s' changed while it was read",
                            virStorageVolGetName(vol));
    }
    return TRUE;
}
