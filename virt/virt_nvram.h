/* A UEFI VM's NVRAM variables file (boot entries, Secure Boot keys),
 * which libvirt keeps beside the definition but offers no API to read or
 * write: a clone copies its source's file so that it boots as the source
 * did, instead of starting from the firmware's empty template. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

/* Where libvirt (qemu:///system) keeps NVRAM files it names itself. */
#define VIRT_NVRAM_DIR "/var/lib/libvirt/qemu/nvram"
/* Largest NVRAM file copied (OVMF's are 128 KiB to 4 MiB). */
#define VIRT_NVRAM_MAX (64 * 1024 * 1024)

/* The NVRAM file of the VM whose inactive definition is `xml`: the one
 * its <nvram> names, else the one libvirt makes for a firmware it picks
 * itself (VIRT_NVRAM_DIR/NAME_VARS.fd); NULL for a VM without UEFI. */
char *virt_nvram_path(const char *xml, GError **error);

/* The NVRAM contents of the VM whose inactive definition is `xml`, when
 * libvirt runs on this host: *out NULL (and TRUE) when the VM is not
 * UEFI, never started (no file yet) or libvirt is on another host. */
gboolean virt_nvram_read(virConnectPtr conn, const char *xml, GBytes **out, GError **error);
/* Writes `bytes` as the NVRAM of the VM whose definition is `xml` (mode
 * 0600; libvirt labels it for QEMU at start). UNSUPPORTED when libvirt
 * is on another host, INVALID_ARG when the VM is not UEFI. */
gboolean virt_nvram_write(virConnectPtr conn, const char *xml, GBytes *bytes, GError **error);

/* Copies the NVRAM file of `src` (shut off) over the one of `dst`, whose
 * definitions are given. Nothing is copied (TRUE, *copied FALSE) when
 * `src` is not UEFI, has never started (no file yet: libvirt makes
 * `dst`'s from the template too) or libvirt runs on another host, whose
 * files are out of this process's reach. */
gboolean virt_nvram_copy(virConnectPtr conn, const char *src_xml, const char *dst_xml,
                         gboolean *copied, GError **error);
