/* Ejecting the installer: the definition is rewritten in one define (all
 * drives emptied, the disk first), then each drive of the running guest is
 * emptied live. libvirt has no transaction over device updates, so a
 * failure half-way is undone step by step, as far as that is possible. */
#include "virt/virt_domain_installer.h"
#include "virt/virt_domain_edit.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>
#include <string.h>

/* The targets of the CD-ROM drives in `xml` that hold a medium. */
static GStrv loaded_drives(const char *xml, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        if (g_strcmp0(d->device, "cdrom") == 0 && d->source && d->target && !virt_disk_owned(d))
            g_strv_builder_add(b, d->target);
    }
    return g_strv_builder_end(b);
}

/* Undoes what a failed eject did. What it cannot undo: the guest saw its
 * tray open and a medium arrive again (two media-change events), so a
 * program in the guest that was reading the disc at that moment may have
 * failed its reads; and a put-back medium is a new insertion as far as
 * the guest knows. Both are harmless to the installed system, which is
 * why the definition goes first and the live drives after it. */
static void undo(virDomainPtr dom, const char *live_xml, char *const *targets, guint n_done,
                 const char *saved_config)
{
    for (guint i = 0; i < n_done; i++) {
        g_autoptr(GError) e = NULL;
        g_autofree char *dev = virt_domain_xml_disk(live_xml, targets[i], &e);
        if (!dev || virDomainUpdateDeviceFlags(dom, dev, VIR_DOMAIN_AFFECT_LIVE) < 0) {
            virErrorPtr le = virGetLastError();
            g_warning("eject-installer rollback: the medium of %s stays out of VM %s: %s",
                      targets[i], virDomainGetName(dom),
                      e                   ? e->message
                      : le && le->message ? le->message
                                          : "?");
            virResetLastError();
        }
    }
    g_autoptr(GError) e = NULL;
    if (saved_config && !virt_domain_restore_config(dom, saved_config, &e))
        g_warning("eject-installer rollback: VM %s's definition was not restored: %s",
                  virDomainGetName(dom), e->message);
}

gboolean virt_domain_eject_installer(virDomainPtr dom, GStrv *ejected, gboolean *boot_changed,
                                     GError **error)
{
    int active = virDomainIsActive(dom), persistent = virDomainIsPersistent(dom);
    if (active < 0 || persistent < 0) {
        virt_error_from_libvirt(error, "reading VM");
        return FALSE;
    }
    g_autofree char *live_xml = active ? virDomainGetXMLDesc(dom, 0) : NULL;
    if (active && !live_xml) {
        virt_error_from_libvirt(error, "reading VM");
        return FALSE;
    }
    /* With secrets (a VNC password): the definition is written back whole. */
    g_autofree char *saved = persistent ? virt_domain_saved_config(dom, error) : NULL;
    if (persistent && !saved)
        return FALSE;
    g_auto(GStrv) config_drives = NULL;
    gboolean changed = FALSE;
    g_autofree char *edited = virt_domain_xml_eject_installer(persistent ? saved : live_xml,
                                                              &config_drives, &changed, error);
    if (!edited)
        return FALSE;
    if (!persistent && changed) {
        g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_STATE,
                    "VM '%s' is transient: it has "
                    "no definition whose boot order could change",
                    virDomainGetName(dom));
        return FALSE;
    }
    g_auto(GStrv) live_drives = active ? loaded_drives(live_xml, error) : g_new0(char *, 1);
    if (!live_drives)
        return FALSE;

    gboolean defined = FALSE;
    if (persistent && (changed || config_drives[0])) {
        if (!virt_domain_restore_config(dom, edited, error)) {
            g_prefix_error(error, "nothing was changed: ");
            return FALSE;
        }
        defined = TRUE;
    }
    for (guint i = 0; live_drives[i]; i++) {
        g_autofree char *dev = virt_domain_xml_cdrom_emptied(live_xml, live_drives[i], error);
        if (!dev || virDomainUpdateDeviceFlags(dom, dev, VIR_DOMAIN_AFFECT_LIVE) < 0) {
            if (dev)
                virt_error_from_libvirt(error, "ejecting the CD-ROM medium");
            g_prefix_error(error, "%s: ", live_drives[i]);
            undo(dom, live_xml, live_drives, i, defined ? saved : NULL);
            return FALSE;
        }
    }

    g_autoptr(GStrvBuilder) all = g_strv_builder_new();
    g_strv_builder_addv(all, (const char **)live_drives);
    for (guint i = 0; config_drives[i]; i++)
        if (!g_strv_contains((const char *const *)live_drives, config_drives[i]))
            g_strv_builder_add(all, config_drives[i]);
    if (ejected)
        *ejected = g_strv_builder_end(all);
    if (boot_changed)
        *boot_changed = changed;
    return TRUE;
}
