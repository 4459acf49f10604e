/* The one streaming reader of POSIX tar archives (ustar, with pax
 * extended headers), for what arrives as an HTTP body or a volume's
 * download: appliances (.ova) and Vireo's VM archives (virt_archive.h).
 * Bytes are fed as they come, members are handed on as they pass,
 * nothing is kept.
 * Only plain files are accepted; a name that could leave a directory,
 * links, devices, sparse files, GNU long names and pax global headers are
 * refused, each with its own message. Errors are VIRT_ERROR_INVALID_ARG. */
#pragma once
#include <glib.h>

#define VIRT_TAR_BLOCK 512
/* Longest member name read (from a pax "path") or written. */
#define VIRT_TAR_NAME_MAX 1024
/* Largest pax extended header read. */
#define VIRT_TAR_PAX_MAX (64 * 1024)
/* Most members one archive may hold. */
#define VIRT_TAR_MEMBERS_MAX 4096

typedef struct VirtTar VirtTar;

typedef struct {
    const char *name; /* UTF-8, relative, no "." or ".." parts; valid during `begin` */
    guint64 size;     /* bytes of data that follow */
} VirtTarMember;

/* What a reader calls as members pass; FALSE (with `error`) stops it. */
typedef struct {
    gboolean (*begin)(const VirtTarMember *member, gpointer data, GError **error);
    /* A piece of the current member's data (never empty). */
    gboolean (*data)(const guint8 *buf, gsize len, gpointer data, GError **error);
    /* The current member's data is complete. */
    gboolean (*end)(gpointer data, GError **error);
} VirtTarHandler;

/* A reader of an archive of `length` bytes (0: unknown); a member that
 * claims more than what is left of them is refused at its header. */
VirtTar *virt_tar_new(guint64 length, const VirtTarHandler *handler, gpointer data);
void virt_tar_free(VirtTar *tar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtTar, virt_tar_free)

/* The next `len` bytes of the archive. After a FALSE the reader is spent:
 * every later call fails too. */
gboolean virt_tar_feed(VirtTar *tar, const guint8 *buf, gsize len, GError **error);
/* The input ended: FALSE unless the archive ended with its two zero blocks
 * (a cut archive is refused, wherever it was cut). */
gboolean virt_tar_finish(VirtTar *tar, GError **error);

/* A member name as the reader accepts it: non-empty UTF-8 without control
 * characters, relative, no empty, "." or ".." parts. */
gboolean virt_tar_name_valid(const char *name, GError **error);
/* The checksum of a header block as ustar computes it: the sum of its
 * bytes with the checksum field counted as spaces. */
guint virt_tar_checksum(const guint8 block[VIRT_TAR_BLOCK]);
