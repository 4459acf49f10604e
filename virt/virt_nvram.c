/* NVRAM files of UEFI VMs copied for clones (see virt_nvram.h). */
#include "virt/virt_nvram.h"
#include "virt/virt_conn.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_error.h"

#include <string.h>

char *virt_nvram_path(const char *xml, GError **error)
{
    g_autoptr(VirtDomainConfig) cfg = virt_domain_config_parse(xml, strlen(xml), error);
    if (!cfg)
        return NULL;
    if (cfg->nvram)
        return g_strdup(cfg->nvram);
    if (!cfg->uefi)
        return NULL;
    g_autofree char *file = g_strconcat(cfg->name, "_VARS.fd", NULL);
    return g_build_filename(VIRT_NVRAM_DIR, file, NULL);
}

gboolean virt_nvram_copy(virConnectPtr conn, const char *src_xml, const char *dst_xml,
                         gboolean *copied, GError **error)
{
    *copied = FALSE;
    GError *why = NULL;
    g_autofree char *from = virt_nvram_path(src_xml, &why);
    if (!from) {
        if (why)
            g_propagate_error(error, why);
        return why == NULL;
    }
    g_autofree char *to = virt_nvram_path(dst_xml, error);
    if (!to)
        return virt_fail(error, VIRT_ERROR_FAILED,
                         "the clone of a UEFI VM has no NVRAM file of its own");
    if (strcmp(from, to) == 0)
        return virt_fail(error, VIRT_ERROR_FAILED, "the clone would share the NVRAM file %s", from);
    if (!virt_conn_is_local(conn)) {
        g_warning("the clone gets a fresh NVRAM: %s is on libvirt's host, not this one", from);
        return TRUE;
    }
    g_autofree char *bytes = NULL;
    gsize len = 0;
    if (!g_file_get_contents(from, &bytes, &len, &why)) {
        if (g_error_matches(why, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(why);
            return TRUE;
        }
        virt_fail(error, VIRT_ERROR_FAILED, "reading the NVRAM file: %s", why->message);
        g_error_free(why);
        return FALSE;
    }
    if (len > VIRT_NVRAM_MAX)
        return virt_fail(error, VIRT_ERROR_FAILED, "the NVRAM file %s is over 64 MiB", from);
    /* Private like libvirt's own; libvirt labels it for QEMU at start. */
    if (!g_file_set_contents_full(to, bytes, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  &why)) {
        virt_fail(error, VIRT_ERROR_FAILED, "writing the clone's NVRAM file: %s", why->message);
        g_error_free(why);
        return FALSE;
    }
    *copied = TRUE;
    return TRUE;
}
