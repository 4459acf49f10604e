/* An OVA package read as a stream: the tar archive (virt_tar.h) whose
 * first member is the OVF descriptor (virt_ovf.h), then the files its
 * References list (the disks go to a sink as they pass; other files are
 * skipped), an optional manifest (.mf) of SHA-1/256/512 digests checked
 * against every member, and an optional certificate (.cert, not checked).
 * A member the descriptor does not reference, one whose size differs from
 * its ovf:size, a missing file and a wrong digest are refused. Errors are
 * VIRT_ERROR_INVALID_ARG (or the sink's own). */
#pragma once
#include <glib.h>

#include "virt/virt_ovf.h"

/* Largest manifest and certificate read. */
#define VIRT_OVA_SMALL_MAX (1024 * 1024)

typedef struct VirtOva VirtOva;

/* Where the disks' bytes go; each call names the disk by its index in
 * ovf->disks. FALSE (with `error`) stops the reader. */
typedef struct {
    gboolean (*disk_begin)(const VirtOvf *ovf, guint disk, guint64 size, gpointer data,
                           GError **error);
    gboolean (*disk_data)(guint disk, const guint8 *buf, gsize len, gpointer data, GError **error);
    gboolean (*disk_end)(guint disk, gpointer data, GError **error);
} VirtOvaSink;

/* A reader of an OVA of `length` bytes (0: unknown). */
VirtOva *virt_ova_new(guint64 length, const VirtOvaSink *sink, gpointer data);
void virt_ova_free(VirtOva *ova);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtOva, virt_ova_free)

gboolean virt_ova_feed(VirtOva *ova, const guint8 *buf, gsize len, GError **error);
/* The input ended: checks the archive's end, that every file of
 * References came and that the manifest covered every member; answers the
 * descriptor (the caller's), or NULL. */
VirtOvf *virt_ova_finish(VirtOva *ova, GError **error);

/* A manifest's lines, "SHA256(name)= hex" (SHA1, SHA256, SHA512), into a
 * table of member name -> VirtOvaDigest. */
typedef struct {
    GChecksumType type;
    char *hex; /* lower case */
} VirtOvaDigest;

GHashTable *virt_ova_manifest_parse(const char *text, gsize len, GError **error);
/* One SHA-256 line of a manifest written: "SHA256(name)= hex\n". */
char *virt_ova_manifest_line(const char *hex, const char *name);
/* Its bytes, known before the digest is. */
gsize virt_ova_manifest_line_len(const char *name);
/* The manifest's name of a checksum type ("SHA256"). */
const char *virt_ova_digest_name(GChecksumType type);
