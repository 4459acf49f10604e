/* A running VM's disks as they were at one instant: libvirt's push-mode
 * backup (virDomainBackupBegin, QEMU's copy-before-write) writes each
 * disk into a new file while the guest goes on running, and the job ends
 * once every file holds the disk as it was when the backup began. The
 * files stand alone (no backing file), in the disk's own format. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_volume_copy.h"

typedef struct {
    const char *target; /* the disk's <target dev> */
    const char *path;   /* the file to write (must not exist) */
    const char *format; /* raw or qcow2 */
} VirtBackupTarget;

/* The backup job's definition (<domainbackup>), built with libxml2. */
char *virt_backup_xml(const VirtBackupTarget *targets, guint n, GError **error);

/* Runs a push backup of the disks of `targets` and waits for its end,
 * telling `progress` the bytes done; a FALSE from it aborts the job
 * (G_IO_ERROR_CANCELLED). */
gboolean virt_backup_push(virDomainPtr dom, const VirtBackupTarget *targets, guint n,
                          VirtCopyProgressFn progress, gpointer data, GError **error);
