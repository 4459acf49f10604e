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

gboolean virt_nvram_read(virConnectPtr conn, const char *xml, GBytes **out, GError **error)
{
    *out = NULL;
    GError *why = NULL;
    g_autofree char *path = virt_nvram_path(xml, &why);
    if (!path) {
        if (why)
            g_propagate_error(error, why);
        return why == NULL;
    }
    if (!virt_conn_is_local(conn)) {
        g_warning("the NVRAM %s is on libvirt's host, not this one: not read", path);
        return TRUE;
    }
    char *bytes = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &bytes, &len, &why)) {
        gboolean none = g_error_matches(why, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (!none)
            virt_fail(error, VIRT_ERROR_FAILED, "reading the NVRAM file: %s", why->message);
        g_error_free(why);
        return none;
    }
    if (len > VIRT_NVRAM_MAX) {
        g_free(bytes);
        return virt_fail(error, VIRT_ERROR_FAILED, "the NVRAM file %s is over 64 MiB", path);
    }
    *out = g_bytes_new_take(bytes, len);
    return TRUE;
}

gboolean virt_nvram_write(virConnectPtr conn, const char *xml, GBytes *bytes, GError **error)
{
    g_autofree char *path = virt_nvram_path(xml, error);
    if (!path)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "the VM has no UEFI NVRAM to write");
    if (!virt_conn_is_local(conn))
        return virt_fail(error, VIRT_ERROR_UNSUPPORTED,
                         "a UEFI VM's NVRAM is written only when libvirt runs on this host");
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    GError *why = NULL;
    /* Private like libvirt's own; libvirt labels it for QEMU at start. */
    if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                  &why)) {
        virt_fail(error, VIRT_ERROR_FAILED, "writing the NVRAM file: %s", why->message);
        g_error_free(why);
        return FALSE;
    }
    return TRUE;
}

gboolean virt_nvram_copy(virConnectPtr conn, const char *src_xml, const char *dst_xml,
                         gboolean *copied, GError **error)
{
    *copied = FALSE;
    g_autoptr(GBytes) bytes = NULL;
    if (!virt_nvram_read(conn, src_xml, &bytes, error))
        return FALSE;
    if (!bytes)
        return TRUE;
    g_autofree char *from = virt_nvram_path(src_xml, error);
    g_autofree char *to = from ? virt_nvram_path(dst_xml, error) : NULL;
    if (!to)
        return virt_fail(error, VIRT_ERROR_FAILED,
                         "the clone of a UEFI VM has no NVRAM file of its own");
    if (strcmp(from, to) == 0)
        return virt_fail(error, VIRT_ERROR_FAILED, "the clone would share the NVRAM file %s", from);
    if (!virt_nvram_write(conn, dst_xml, bytes, error))
        return FALSE;
    *copied = TRUE;
    return TRUE;
}
