/* The VM spec: the JSON that describes a VM to create, shared by
 * POST /api/vms and templates (a template is a spec without a name).
 * Parsing is pure (no host, fuzzed); checking against the host and turning
 * the spec into an engine plan are separate steps. */
#pragma once
#include <jansson.h>

#include "api/vms/api_cloud_init.h"
#include "virt/virt_host.h"
#include "virt/virt_vm_create.h"

#define API_VM_SPEC_MAX_DISKS 16
#define API_VM_SPEC_MAX_NICS 8
#define API_VM_SPEC_MIN_MEMORY_MIB 16

typedef struct {
    json_t *doc;          /* the parsed JSON; strings below point into it */
    const char *name;     /* NULL in templates */
    const char *os;       /* libosinfo short id, or NULL */
    char *osinfo_id;      /* its full id for the domain's <metadata>: set by the caller
                             * that looked `os` up in the catalogue (owned) */
    guint vcpus;          /* 0: not given */
    guint64 memory_mib;   /* 0: not given */
    const char *cpu_mode; /* "default", "host-model", "host-passthrough"; NULL: by host */
    const char *machine;  /* NULL: libvirt's default */
    gboolean uefi;
    gboolean vnc;
    GStrv boot;               /* NULL: cdrom first when there is one, then hd */
    GArray *volumes;          /* VirtVmVolume: the disks, then the CD-ROM */
    GArray *nics;             /* VirtNicSpec */
    GPtrArray *owned;         /* strings split out of "pool/name" values */
    ApiCloudInit *cloud_init; /* "cloud_init", or NULL; its seed volume is the
                               * last of `volumes` (VIRT_VM_VOL_DATA) */
    GBytes *seed;             /* the seed image, once built (api_cloud_seed_build) */
} ApiVmSpec;

void api_vm_spec_free(ApiVmSpec *spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiVmSpec, api_vm_spec_free)

typedef enum {
    API_VM_SPEC_CREATE,   /* "name", "vcpus" and "memory" are required */
    API_VM_SPEC_TEMPLATE, /* no "name"; everything optional */
} ApiVmSpecKind;

/* Strict: unknown members, wrong types and bad values are 400s naming the
 * field (e.g. "disks[1].size: ..."), and so is a boot order naming a
 * device the spec lacks (a CD-ROM without "cdrom", the network without a
 * NIC). A template holds no "cloud_init" (it may carry secrets). Takes a
 * reference on `obj`. */
ApiVmSpec *api_vm_spec_parse(json_t *obj, ApiVmSpecKind kind, GError **error);

/* What the host offers: vCPUs, memory, CPU modes (host-passthrough and
 * host-model need usable KVM), machine types, UEFI (needs OVMF). */
gboolean api_vm_spec_check_host(const ApiVmSpec *spec, const VirtHostInfo *host, GError **error);

/* The engine plan of a checked spec; it points into `spec` (and `serial_log`),
 * which must outlive it. */
void api_vm_spec_plan(const ApiVmSpec *spec, const VirtHostInfo *host, const char *serial_log,
                      VirtVmPlan *plan);
