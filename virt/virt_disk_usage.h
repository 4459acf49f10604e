/* Which VMs use which disk files: one pass over every domain's live XML
 * and definition, so that attaching, deleting and listing volumes can say
 * who else holds a file and whether they write to it. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

typedef struct {
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    gboolean active;   /* the VM runs */
    gboolean writable; /* some disk of it may write the file (not a CD-ROM, not
                          * <readonly/>, not a backing file) */
    gboolean disk;     /* some non-CD-ROM disk of it is the file itself */
} VirtDiskUser;

void virt_disk_user_free(VirtDiskUser *u);

/* path -> GPtrArray of VirtDiskUser (one per VM, sorted by name), for every
 * file a disk, CD-ROM or backing chain of any VM names. */
GHashTable *virt_disk_usage(virConnectPtr conn, GError **error);

/* The users of `path` in `usage` (not owned), or NULL when nobody uses it. */
const GPtrArray *virt_disk_users(GHashTable *usage, const char *path);
