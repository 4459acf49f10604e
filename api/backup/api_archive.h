/* Vireo's VM archive (virt/virt_archive.h, docs/backups.md) as the API
 * makes it from a VM (export, backups) and reads it back into a new VM
 * (import-archive, restore). */
#pragma once
#include "api/auth/api_quota.h"
#include "api/core/api.h"
#include "api/tasks/task_engine.h"
#include "virt/virt_archive_out.h"
#include "virt/virt_domain_clone_xml.h"

/* The archive's format version in vireo.json. */
#define API_ARCHIVE_VERSION 1

/* What an archive is made from. */
typedef struct {
    ApiContext *ctx;
    virDomainPtr dom;
    /* target -> virStorageVolPtr read in place of that disk's own volume
     * (a running VM's point-in-time copy); NULL: the disks themselves. */
    GHashTable *sources;
    VirtArchiveCheck check; /* may be NULL */
    gpointer check_data;
} ApiArchiveFrom;

/* The archive of a VM, ready to be read (closed). Refuses (409) disks
 * that are not raw or qcow2 volumes of a pool or that sit on a backing
 * file. `volumes` (may be NULL) receives the disks' own volumes
 * (virStorageVolPtr, in member order), for the caller's checks. */
VirtArchiveOut *api_archive_out(const ApiArchiveFrom *from, GPtrArray *volumes, GError **error);
/* "NAME.vireo.tar" with anything but letters, digits and . - _ made '_'. */
char *api_archive_file_name(const char *vm_name);
/* What an export says of the VM beside its disks: its API detail
 * (description, tags, OS...), and its UUID into `uuid`. */
json_t *api_archive_vm_detail(ApiContext *ctx, virDomainPtr dom, char uuid[VIR_UUID_STRING_BUFLEN],
                              GError **error);

/* What an archive read back makes. */
typedef struct {
    ApiContext *ctx;
    const char *name;      /* the new VM's name; NULL: the archive's */
    const char *pool;      /* where its disks go */
    gint64 owner_id;       /* 0: the archive's owner when that user exists */
    ApiQuotaCaller caller; /* whose request it is: the owner's quota is checked for it */
    gboolean start;
    /* The UUID of the VM the archive is restored over (its disks and
     * definition replaced, see api_archive_replace); NULL: a new VM. */
    const char *replace;
    Task *task;     /* records what is made; progress by bytes */
    guint64 length; /* of the archive, for progress; 0 unknown */
} ApiArchiveTo;

typedef struct ApiArchiveIn ApiArchiveIn;

/* A reader that makes a VM of the archive fed to it: once domain.xml is
 * read, the owner's quota is checked against the VM (its vCPUs, memory,
 * the capacities vireo.json gives its disks and its own media's: a 403
 * before any disk is written; a disk larger than vireo.json said is a bad
 * archive). Each disk becomes a
 * volume of the pool as it passes (recorded in the task first), every
 * member's digest is checked against SHA256SUMS, and once the archive
 * ended the VM is defined with a new UUID and MACs (the create unit).
 * Any failure removes everything made. */
ApiArchiveIn *api_archive_in_new(const ApiArchiveTo *to, GError **error);
gboolean api_archive_in_feed(ApiArchiveIn *in, const guint8 *buf, gsize len, GError **error);
/* The archive ended: checks, defines; answers the new VM's name. */
char *api_archive_in_finish(ApiArchiveIn *in, GError **error);
/* Removes what was made unless the VM was defined. */
void api_archive_in_free(ApiArchiveIn *in);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiArchiveIn, api_archive_in_free)

/* ---- a restore over the VM it was taken from (api_archive_replace.c) ---- */

/* CONFLICT unless the VM may be restored over now: shut off, and without
 * snapshots (they live in the disks being replaced). */
gboolean api_archive_replace_ready(virDomainPtr dom, GError **error);

typedef struct {
    ApiContext *ctx;
    virConnectPtr conn;
    VirtHost *host;            /* conn's (NULL: the local host) */
    const char *uuid;          /* the VM's */
    const char *xml;           /* the archive's definition */
    const VirtDiskMove *moves; /* its writable disks onto the new volumes */
    guint n_moves;
    gint64 owner_id;     /* the VM's owner, who owns the new volumes */
    ApiQuotaHold *quota; /* settled at the swap */
    gboolean start;
} ApiArchiveReplace;

/* Under the VM's lock, checks it is still ready, defines the archive's
 * definition (its name the VM's current one, its disks moved, the VM's
 * description kept) and deletes the old disk volumes it no longer uses.
 * *swapped: the definition was replaced (from then on the new volumes
 * are the VM's, whatever fails after). */
gboolean api_archive_replace(const ApiArchiveReplace *r, gboolean *swapped, GError **error);
