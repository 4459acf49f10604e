/* A shut-off VM as an OVA for VirtualBox and VMware (docs/backups.md):
 * the OVF descriptor, each writable disk as a streamOptimized VMDK and a
 * SHA-256 manifest, in one tar written on the fly. */
#pragma once
#include "api/core/api.h"
#include "virt/virt_archive_out.h"

/* The OVA of `dom` (shut off), ready to be read. Every disk is converted
 * first, into a private directory of TMPDIR (/tmp), so that each size is
 * known; each file is unlinked as soon as it is opened, so that nothing
 * is left on any path (error, client gone, crash after the conversion):
 * the archive holds the open files. 409 when the VM started or a disk
 * changed meanwhile; 501 when libvirt is on another host (qemu-img reads
 * the volumes' files); 409 "cancelled" once `cancel` is. Slow: the
 * export calls it from its transfer's `prepare`, off the HTTP threads. */
VirtArchiveOut *api_ova_out(ApiContext *ctx, virDomainPtr dom, GCancellable *cancel,
                            GError **error);
/* "NAME.ova", with the letters of api_archive_file_name. */
char *api_ova_file_name(const char *vm_name);
