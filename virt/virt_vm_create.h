/* Creating a VM as one unit: make or find its volumes, define the domain,
 * and undo all of it when any step fails. The volume copies are the long
 * part; they report progress through a callback so a task worker can run
 * virt_vm_create and show how far it got. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_domain_build.h"

typedef enum {
    VIRT_VM_VOL_EXISTING, /* use `pool`/`name` as it is */
    VIRT_VM_VOL_NEW,      /* a new empty volume of `size` bytes */
    VIRT_VM_VOL_CLONE,    /* a full copy of `from` ("pool/name") */
    VIRT_VM_VOL_OVERLAY,  /* a qcow2 volume backed by `from` */
    VIRT_VM_VOL_DATA,     /* a new raw volume in `pool` holding `data` (a seed ISO) */
} VirtVmVolKind;

typedef struct {
    VirtVmVolKind kind;
    const char *device; /* "disk" or "cdrom" */
    const char *pool;   /* existing: its pool; else where the new volume goes
                             * (NULL for clone/overlay: the source's pool) */
    const char *name;   /* existing: its name; else NULL = "<vm>-diskN.<ext>" */
    const char *from;   /* clone/overlay source, "pool/name" */
    const char *format; /* new volumes; NULL = qcow2 (clone: the source's) */
    guint64 size;       /* new: required; clone/overlay: 0 = the source's */
    const char *bus;    /* NULL: virtio for disks, sata for CD-ROMs */
    const char *target; /* a clone's: the source's disk this volume stands in for */
    const char *label;  /* how messages name it; NULL: "disks[i]" */
    const void *data;   /* data: the bytes, data_len of them (at least 1) */
    gsize data_len;
    const char *alias; /* the device's user alias (VirtDiskSpec.alias), or NULL */
} VirtVmVolume;

/* Told before the create makes something, and once it is made: a volume
 * (`kind` "volume", `ref` "pool/name"; once made, `path` is its path) or
 * the domain ("domain", its UUID; only when the plan names the UUID).
 * Answering FALSE stops the create, which is rolled back. It lets a caller
 * write down what it is about to make, so that a crash leaves nothing
 * behind, and who made which volume. */
typedef gboolean (*VirtVmNote)(const char *kind, const char *ref, gboolean made, const char *path,
                               gpointer data);

typedef struct {
    VirtDomainBuild domain;      /* disks are filled in from `volumes` */
    const VirtVmVolume *volumes; /* in target order; the first disk boots */
    guint n_volumes;
    VirtVmNote note; /* may be NULL */
    gpointer note_data;
    /* A clone: the source's inactive definition, made the clone's with
     * domain.name and domain.uuid and the volumes (each in place of the
     * disk at its `target`) by virt_domain_xml_clone; domain's other
     * members are then not used (its NICs only say what is checked). */
    const char *clone_of;
} VirtVmPlan;

/* Called before each step; `percent` 0-100. Returning FALSE cancels the
 * create (rolled back, error VIRT_ERROR_FAILED "cancelled"). */
typedef gboolean (*VirtVmProgress)(guint percent, const char *message, gpointer user_data);

/* What a create made, so the caller can undo it if a later step of its own
 * (inventory row, start) fails. */
typedef struct VirtVmCreated VirtVmCreated;

/* Everything that can be checked before making anything: the name is free,
 * pools, source volumes and networks exist, new volume names are free.
 * Unknown pools, volumes and networks named in the plan are INVALID_ARG
 * (the request body is wrong), clashes are EXISTS. */
gboolean virt_vm_plan_check(virConnectPtr conn, const VirtVmPlan *plan, GError **error);

/* Checks, makes the volumes (reporting progress), defines the domain. On
 * failure everything made is removed again and NULL is returned. */
VirtVmCreated *virt_vm_create(virConnectPtr conn, const VirtVmPlan *plan, VirtVmProgress progress,
                              gpointer user_data, GError **error);

virDomainPtr virt_vm_created_domain(VirtVmCreated *c);
/* Undoes the create: powers off and undefines the domain, deletes the
 * volumes it made (never the existing ones it used). Frees `c`. */
void virt_vm_created_rollback(VirtVmCreated *c);
/* Keeps what was made. Frees `c`. */
void virt_vm_created_commit(VirtVmCreated *c);
