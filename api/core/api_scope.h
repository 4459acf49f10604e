/* Who may use which pool, network, bridge and volume a request names (the
 * rules are in docs/access.md). The gate checks the object in the URL;
 * every name in a body goes through here, with one set of rules for every
 * route. A scope belongs to one request: the caller's grants come from the
 * inventory, and what libvirt must say (which VMs use which files) is read
 * once, when first needed. Admins pass every permission check; usage
 * conflicts (another VM writes the file) apply to everyone. */
#pragma once
#include <libvirt/libvirt.h>

#include "api/core/api.h"
#include "virt/virt_disk_usage.h"

typedef struct ApiScope ApiScope;

ApiScope *api_scope_new(ApiContext *ctx, const ApiAuth *auth);
void api_scope_free(ApiScope *scope);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiScope, api_scope_free)

gboolean api_scope_is_admin(const ApiScope *scope);
/* Reads now what the VM, pool and network checks need from the inventory
 * (a scope otherwise reads it when first asked), so that a scope kept for
 * long (the event stream's) answers them without a query. */
void api_scope_preload(ApiScope *scope);

/* VMs the caller may see (admins: all); FALSE on an inventory error. */
gboolean api_scope_sees_vm(ApiScope *scope, const char *uuid, GError **error);
/* "VM 'name'" when the caller may see it, else "another VM", for messages
 * that must not reveal what the caller may not see. */
char *api_scope_vm_label(ApiScope *scope, const char *uuid, const char *name);

typedef enum {
    API_POOL_SEE,   /* list and read it: any grant */
    API_POOL_DISKS, /* make new volumes in it */
    API_POOL_MEDIA, /* use its volumes read-only */
} ApiPoolUse;

/* NOT_FOUND (worded as for a pool that does not exist) when the caller
 * holds no grant of `pool`; FORBIDDEN naming the use it has when it holds
 * it for another use. */
gboolean api_scope_pool(ApiScope *scope, const char *pool, ApiPoolUse use, GError **error);
/* NOT_FOUND when the caller may not use network `name` / host bridge
 * `name` (admins may use any bridge; others one granted to them). */
gboolean api_scope_network(ApiScope *scope, const char *name, GError **error);
gboolean api_scope_bridge(ApiScope *scope, const char *name, GError **error);
/* The libvirt host (id or name) a body names, e.g. a migration's target (a
 * new reference). Every user may use every host: what they may do there
 * is what their VM, pool and network grants allow (docs/hosts.md). 400
 * naming `field` when there is no such host. */
VirtHost *api_scope_host(ApiScope *scope, const char *field, const char *name, GError **error);

typedef enum {
    API_VOLUME_SEE,   /* list and read it */
    API_VOLUME_DISK,  /* a writable disk of a VM */
    API_VOLUME_MEDIA, /* a CD-ROM medium, a clone source, a backing file */
    API_VOLUME_DELETE,
} ApiVolumeUse;

/* May the caller use volume `pool`/`name` (at `path`) for `use`? When
 * not, NOT_FOUND worded as for a volume that does not exist, so other
 * users' volume names are not revealed. */
gboolean api_scope_volume(ApiScope *scope, virConnectPtr conn, const char *pool, const char *name,
                          const char *path, ApiVolumeUse use, GError **error);
/* TRUE when the caller may see the volume at all (for filtering lists). */
gboolean api_scope_volume_visible(ApiScope *scope, virConnectPtr conn, const char *pool,
                                  const char *path);

typedef enum {
    API_SHARE_NONE,    /* no other VM may use the file at all */
    API_SHARE_READERS, /* other VMs may only read it */
} ApiShare;

/* BUSY when a VM other than `self_uuid` (may be NULL) uses the file at
 * `path` beyond what `share` allows; `what` names the volume in the
 * message, and the VM is named only when the caller may see it. */
gboolean api_scope_volume_free(ApiScope *scope, virConnectPtr conn, const char *path,
                               const char *what, const char *self_uuid, ApiShare share,
                               GError **error);

/* Which VMs use which files (read once per scope), for "used by" answers. */
GHashTable *api_scope_disk_usage(ApiScope *scope, virConnectPtr conn, GError **error);
