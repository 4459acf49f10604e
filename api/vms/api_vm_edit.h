/* The settings half of PATCH /api/vms/{vm}: name, vcpus, memory (MiB) and
 * boot order. api_vms.c parses the body and hands these members over. */
#pragma once
#include <glib.h>
#include <jansson.h>
#include <libvirt/libvirt.h>

#include "api/core/api.h"

typedef struct {
    const char *name;  /* NULL = leave */
    json_int_t vcpus;  /* 0 = leave */
    json_int_t memory; /* MiB; 0 = leave */
    GStrv boot;        /* NULL = leave */
} VmEdit;

void api_vm_edit_clear(VmEdit *e);

/* Reads name, vcpus, memory and boot from `body` (400 on a bad type). */
gboolean api_vm_edit_parse(json_t *body, VmEdit *e, GError **error);

/* What to restore when a later step of the same PATCH fails. */
typedef struct {
    char *config;   /* the definition before the edit ("" transient) */
    char *old_name; /* set once renamed */
} VmEditUndo;

void api_vm_edit_undo_clear(VmEditUndo *u);

/* Checks the values against the host and the VM's state, then applies
 * them; `applied` receives {"vcpus": "live"|"next_boot", ...}. On failure
 * the definition is restored. */
gboolean api_vm_edit_apply(virDomainPtr dom, const VmEdit *e, json_t *applied, VmEditUndo *undo,
                           GError **error);
typedef struct ApiQuotaHold ApiQuotaHold;
/* The quota of the VM's owner (api_quota_check) against the vCPUs and
 * memory the edit adds beyond what the VM takes now (lowering them checks
 * nothing); *hold is for the caller to settle before applying. */
gboolean api_vm_edit_quota(ApiContext *ctx, const ApiRequest *req, virDomainPtr dom,
                           const char *uuid, const VmEdit *e, ApiQuotaHold **hold, GError **error);
/* Puts the definition and name back after a later failure. */
void api_vm_edit_undo(virDomainPtr dom, VmEditUndo *undo);

/* For a running VM whose definition differs (changes waiting for the next
 * boot), adds "next_boot": {"vcpus", "memory", "boot"} with the differing
 * values to `detail`. */
void api_vm_add_next_boot(virDomainPtr dom, json_t *detail);
