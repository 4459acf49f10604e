/* Push-mode backups of running VMs (see virt_backup.h). */
#include "virt/virt_backup.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <gio/gio.h>
#include <libxml/tree.h>

#define POLL_US (200 * 1000)

char *virt_backup_xml(const VirtBackupTarget *targets, guint n, GError **error)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "domainbackup");
    xmlDocSetRootElement(doc, root);
    xmlNode *disks = xmlNewChild(root, NULL, BAD_CAST "disks", NULL);
    for (guint i = 0; i < n; i++) {
        xmlNode *disk = xmlNewChild(disks, NULL, BAD_CAST "disk", NULL);
        xmlSetProp(disk, BAD_CAST "name", BAD_CAST targets[i].target);
        xmlSetProp(disk, BAD_CAST "backup", BAD_CAST "yes");
        xmlSetProp(disk, BAD_CAST "type", BAD_CAST "file");
        virt_xml_attr_child(disk, "target", "file", targets[i].path);
        virt_xml_attr_child(disk, "driver", "type", targets[i].format);
    }
    char *xml = virt_xml_dump(doc);
    if (!xml)
        virt_fail(error, VIRT_ERROR_FAILED, "writing the backup's definition failed");
    return xml;
}

/* The job ended: how it ended, from the completed job's statistics. */
static gboolean job_result(virDomainPtr dom, GError **error)
{
    int type = VIR_DOMAIN_JOB_NONE;
    virTypedParameterPtr params = NULL;
    int n = 0;
    if (virDomainGetJobStats(dom, &type, &params, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0) {
        virt_error_from_libvirt(error, "reading how the backup ended");
        return FALSE;
    }
    const char *why = NULL;
    virTypedParamsGetString(params, n, VIR_DOMAIN_JOB_ERRMSG, &why);
    g_autofree char *message = g_strdup(why);
    virTypedParamsFree(params, n);
    if (type == VIR_DOMAIN_JOB_COMPLETED)
        return TRUE;
    return virt_fail(error, VIRT_ERROR_FAILED, "the backup of the running VM failed%s%s",
                     message ? ": " : "", message ? message : "");
}

gboolean virt_backup_push(virDomainPtr dom, const VirtBackupTarget *targets, guint n,
                          VirtCopyProgressFn progress, gpointer data, GError **error)
{
    g_autofree char *xml = virt_backup_xml(targets, n, error);
    if (!xml)
        return FALSE;
    if (virDomainBackupBegin(dom, xml, NULL, 0) < 0) {
        virt_error_from_libvirt(error, "starting the backup of the running VM");
        return FALSE;
    }
    for (;;) {
        virDomainJobInfo info;
        if (virDomainGetJobInfo(dom, &info) < 0) {
            virt_error_from_libvirt(error, "following the backup");
            virDomainAbortJob(dom);
            return FALSE;
        }
        if (info.type == VIR_DOMAIN_JOB_NONE)
            return job_result(dom, error);
        if (progress && !progress(info.fileProcessed, info.fileTotal, data)) {
            virDomainAbortJob(dom);
            virResetLastError();
            g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
            return FALSE;
        }
        g_usleep(POLL_US);
    }
}
