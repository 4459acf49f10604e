/* The other half of a linked clone: the clone's disks are qcow2 overlays
 * whose backing files are the source's disks, so from then on nobody may
 * write those. The source is moved onto overlays of its own (its old disks
 * become a base both VMs read), and moved back when the clone fails. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_vm_create.h"

typedef struct VirtSourceMove VirtSourceMove;

/* For every overlay volume of `plan` (a linked clone of `src`, whose
 * inactive definition is plan->clone_of), makes a qcow2 overlay of the
 * same base for `src`, "<src>-diskN.after-<clone>.qcow2" beside it, and
 * redefines `src` on them. The plan's note is told of each volume as for
 * the clone's own. NULL with `error` once undone. */
VirtSourceMove *virt_vm_clone_move_source(virConnectPtr conn, virDomainPtr src,
                                          const VirtVmPlan *plan, GError **error);
/* Puts the source's definition back and deletes its new overlays. Frees. */
void virt_source_move_rollback(VirtSourceMove *m);
/* Keeps the move. Frees. */
void virt_source_move_commit(VirtSourceMove *m);
