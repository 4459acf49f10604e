/* The CD-ROM media an archive's VM owned (its cloud-init seed: a drive
 * whose alias begins VIRT_DISK_ALIAS_OWNED). Such a medium is the VM's
 * alone (a delete with ?volumes=true takes it along), so a VM made from
 * the archive must not share the original's: it gets its own copy, or
 * loses the drive when the medium is not on this host. Media that are not
 * the VM's own (installer ISOs) stay shared, as in a clone. */
#pragma once
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt/virt_vm_create.h"

typedef struct {
    char *target; /* the drive's */
    char *from;   /* the medium as "pool/volume"; NULL: not on this host */
    char *volume; /* the copy's name: "<vm>-<alias suffix>.iso" */
    guint64 capacity;
} ApiArchiveMedium;

/* The owned media of definition `xml`, for a new VM named `vm_name`
 * (ApiArchiveMedium*, freed with the array). */
GPtrArray *api_archive_media(virConnectPtr conn, const char *xml, const char *vm_name,
                             GError **error);
/* Their capacities: what the copies add to the owner's disk usage. */
guint64 api_archive_media_bytes(const GPtrArray *media);
/* `xml` without the drives whose medium is not here. */
char *api_archive_media_xml(const char *xml, const GPtrArray *media, GError **error);
/* Appends to `vols` a copy into `pool` of each medium that is here. */
void api_archive_media_plan(const GPtrArray *media, const char *pool, GArray *vols);
