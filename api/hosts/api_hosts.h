/* Registered libvirt hosts: the inventory's rows (db_hosts.h) joined to the
 * engine's connections (virt_hosts.h). docs/hosts.md says why. */
#pragma once
#include "api/core/api.h"
#include "db/db_hosts.h"
#include "virt/virt_model.h"

/* At start-up, once ctx->hosts exists: makes sure the host vireod starts
 * with (`local_uri`, --connect) has its row (first start) and URI, adds
 * every host to the registry, and points ctx->virt and ctx->vm_model at
 * the local one. */
gboolean api_hosts_load(ApiContext *ctx, const char *local_uri, GError **error);
/* A host (re)connected: learns its libvirt UUID when it was not known. */
void api_hosts_connected(ApiContext *ctx, VirtHost *h);

/* The URI to open for a host: its URI with its credentials (keyfile= for
 * SSH; pkipath= a directory linking the TLS files under the names libvirt
 * looks for). NULL with `error` when that directory cannot be made. */
char *api_host_connect_uri(ApiContext *ctx, const DbHost *h, GError **error);
/* A credential file must exist, be a regular file owned by root and be
 * neither readable by others nor writable by group or others: libvirt
 * hands it to ssh/GnuTLS as vireod (root). 400 naming `field` otherwise. */
gboolean api_host_check_credential(const char *field, const char *path, GError **error);

/* The first host (the local one first) whose VM model last listed VM
 * `uuid`: a new reference, with that listing (`*snap`, a reference the
 * caller drops) and the VM in it (`*found`). NULL when none lists it. No
 * libvirt call: what a host that is down last held counts. */
VirtHost *api_hosts_find_vm(ApiContext *ctx, const char *uuid, VirtModelSnapshot **snap,
                            const VirtDomainSummary **found);
