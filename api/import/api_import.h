/* Importing an appliance (POST /api/vms/import): what one import makes and
 * owns, shared by its three files. api_import.c takes the upload (an OVA
 * read as it streams, or one disk image), api_import_disks.c writes each
 * disk to a scratch volume and converts it into the VM's volume, and
 * api_import_vm.c turns the descriptor and the query into a VM spec and
 * defines the VM through the create unit of POST /api/vms.
 *
 * Everything made is written down as the task's before it is made (a
 * crash leaves nothing), and an ImportJob freed before the VM was defined
 * removes what it made: every failure, cancel or abort ends in
 * import_job_free. */
#pragma once
#include "api/auth/api_quota.h"
#include "api/core/api.h"
#include "api/import/api_qemu_img.h"
#include "api/tasks/task_engine.h"
#include "api/vms/api_vm_spec.h"
#include "virt/virt_ovf.h"
#include "virt/virt_storage.h"

/* Defaults of a VM made from a single disk image (the query may say). */
#define IMPORT_DEFAULT_VCPUS 1
#define IMPORT_DEFAULT_MEMORY_MIB 1024

typedef struct {
    char *label;          /* "disk 1 ('deb-disk001.vmdk')", for messages */
    const char *expected; /* the format the descriptor declares; NULL: as qemu-img finds it */
    guint64 capacity;     /* the descriptor's capacity in bytes; 0: none */
    /* where its bytes are written as they arrive */
    virStorageVolPtr scratch;
    char *scratch_path;
    int fd; /* -1 once closed */
    guint64 size, written;
    ApiImageInfo *info; /* what qemu-img says it is */
    /* the volume it becomes */
    char *name;
    char *path;
    virStorageVolPtr vol;
} ImportDisk;

typedef struct {
    ApiContext *ctx;
    Task *task; /* borrowed: the task ends after the job is freed */
    virConnectPtr conn;
    virStoragePoolPtr pool;
    char *pool_name;
    char *name;      /* the VM's */
    char *format;    /* of its volumes: "qcow2" or "raw" */
    gint64 owner_id; /* the importer, who owns the VM and its volumes */
    ApiQuotaCaller caller;
    ApiQuotaHold *quota; /* what the owner's quota holds for the VM, once checked */
    guint vcpus;         /* from the query; 0: the descriptor's or the default */
    guint64 memory_mib;
    char *os;         /* libosinfo short id from the query, or NULL */
    char *firmware;   /* "bios" or "uefi" from the query, or NULL */
    char *network;    /* where the NICs go, or NULL: no NIC (notes say why) */
    VirtOvf *ovf;     /* an OVA's descriptor once read; NULL for a disk image */
    GPtrArray *disks; /* ImportDisk* */
    GPtrArray *notes; /* sentences for the task's last message */
    /* the VM, once planned */
    ApiVmSpec *spec;
    VirtHostInfo *host;
    char *uuid;
    char *serial_log;
    gboolean defined; /* the VM holds the volumes now: freeing keeps them */
} ImportJob;

/* Removes what the job made unless the VM was defined, and frees it. */
void import_job_free(ImportJob *job);

/* ---- api_import_disks.c ---- */

/* A new disk of the job; `label` is taken. */
ImportDisk *import_disk_add(ImportJob *job, char *label, const char *expected, guint64 capacity);
/* Makes the scratch volume for `size` bytes (written down first) and
 * opens it. */
gboolean import_disk_open(ImportJob *job, ImportDisk *d, guint64 size, GError **error);
gboolean import_disk_write(ImportDisk *d, const guint8 *buf, gsize len, GError **error);
gboolean import_disk_close(ImportDisk *d, GError **error);
/* Asks qemu-img what the uploaded bytes are and refuses what may not be
 * imported (api_image_check, a virtual size over the declared capacity). */
gboolean import_disk_inspect(ImportDisk *d, GError **error);
/* The name the disk's volume gets: "<vm>-disk<i>.qcow2" (".img" for raw),
 * as POST /api/vms names new disks. */
char *import_disk_name(const ImportJob *job, guint i);
/* Makes the VM's volume of disk `i` (written down first), converts the
 * scratch volume into it and removes the scratch. Progress 0-100 goes to
 * `progress`. */
gboolean import_disk_convert(ImportJob *job, guint i, ApiImageProgress progress, gpointer data,
                             GError **error);
/* Removes what the disk made: the scratch and, unless `keep`, its volume. */
void import_disk_undo(ImportDisk *d, gboolean keep);

/* ---- api_import_vm.c ---- */

/* The VM's spec from the descriptor and the query, checked against the
 * host; the VM's name and its volumes' names must be free. Before any
 * 202: failures are the caller's 400, 409 or 507. */
gboolean import_vm_plan(ImportJob *job, GError **error);
/* The owner's quota against the VM (its vCPUs, memory and the virtual
 * sizes of its disks), once the disks were inspected and before any 202:
 * a refusal is the caller's 403 and the upload is undone. */
gboolean import_vm_quota(ImportJob *job, GError **error);
/* Defines the VM on its converted volumes (on the task's worker). */
gboolean import_vm_define(ImportJob *job, GError **error);
