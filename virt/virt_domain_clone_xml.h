/* The definition of a VM's clone, made from its source's inactive XML with
 * libxml2 (no libvirt calls, so it is unit-tested without a hypervisor):
 * new name and UUID, no MACs (libvirt makes new ones), the writable disks
 * on their new volumes, per-VM files (serial log, NVRAM) renamed for the
 * clone; everything else (CD-ROM media, OS metadata, description) kept. */
#pragma once
#include <glib.h>

/* One disk put on another volume. */
typedef struct {
    const char *target;         /* the disk's <target dev='...'> */
    const char *path;           /* the new volume: a file, or a block device under /dev */
    const char *format;         /* its format (qcow2, raw ...) */
    const char *backing;        /* an overlay's backing file, written down in the definition
                                 * (<backingStore>) so that every reader knows the chain;
                                 * NULL for none */
    const char *backing_format; /* its format */
} VirtDiskMove;

/* The clone of domain XML `xml` named `name` with UUID `uuid`. Every disk
 * of `moves` must be there (NOT_FOUND otherwise). A per-VM file path
 * (<log file>, <nvram>) that names the source's UUID, or its name in the
 * file name, is renamed for the clone; one that names neither is left out
 * (libvirt makes a fresh NVRAM; two VMs never write one log). */
char *virt_domain_xml_clone(const char *xml, const char *name, const char *uuid,
                            const VirtDiskMove *moves, guint n_moves, GError **error);

/* `xml` with only the disks of `moves` on new volumes (a source VM moved
 * onto overlays so that nobody writes what its linked clones stand on). */
char *virt_domain_xml_move_disks(const char *xml, const VirtDiskMove *moves, guint n_moves,
                                 GError **error);

/* `path` with the VM's name or UUID replaced for its clone's (the UUID
 * anywhere in it, the name only in the file name and only as a whole
 * word: bounded by the start or end of the file name or by - _ .), or
 * NULL when it names neither. */
char *virt_clone_path(const char *path, const char *old_name, const char *old_uuid,
                      const char *name, const char *uuid);
