/* Vireo's own VM archive (docs/backups.md): a POSIX tar holding, in this
 * order, vireo.json (what Vireo knows of the VM), domain.xml (its
 * definition with the disks' sources replaced by their member names),
 * one member per writable disk under disks/ (the volume's bytes as
 * stored: raw or qcow2), a UEFI VM's NVRAM variables (nvram.fd, when it
 * has a file and vireo.json says "nvram": true), and SHA256SUMS, the SHA-256 of every other
 * member in sha256sum's format (so `sha256sum -c` checks an unpacked
 * archive). */
#pragma once
#include <glib.h>

#define VIRT_ARCHIVE_META "vireo.json"
#define VIRT_ARCHIVE_DOMAIN "domain.xml"
#define VIRT_ARCHIVE_SUMS "SHA256SUMS"
#define VIRT_ARCHIVE_DISKS "disks/"
#define VIRT_ARCHIVE_NVRAM "nvram.fd"
/* Largest nvram.fd (x86 OVMF's are 128 KiB to 540 KiB). */
#define VIRT_ARCHIVE_NVRAM_MAX (4 * 1024 * 1024)
/* Largest vireo.json and domain.xml read back. */
#define VIRT_ARCHIVE_SMALL_MAX (1024 * 1024)

/* One line of SHA256SUMS: "HEX  NAME\n". */
char *virt_archive_sums_line(const char *hex, const char *name);
/* Bytes of that line, known before the digest is. */
gsize virt_archive_sums_line_len(const char *name);
/* SHA256SUMS read back: member name -> lower-case hex digest. Lines that
 * are not "64 hex digits, two spaces, a name" are INVALID_ARG, as is a
 * name listed twice. */
GHashTable *virt_archive_sums_parse(const char *text, gsize len, GError **error);
