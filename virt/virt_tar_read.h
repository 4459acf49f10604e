/* A minimal streaming reader of the POSIX tar archives Vireo writes
 * (virt_tar_write.h): bytes are fed as they come, each member is handed
 * on as it passes, nothing is kept. Plain files only, ustar headers with
 * checked checksums, pax extended headers for long names and big sizes;
 * links, devices, directories, GNU extensions and unsafe names are
 * refused. Errors are VIRT_ERROR_INVALID_ARG (or the handler's own). */
#pragma once
#include <glib.h>

/* Largest pax extended header read. */
#define VIRT_TAR_READ_PAX_MAX (64 * 1024)

typedef struct VirtTarReader VirtTarReader;

/* What the reader calls as members pass; FALSE (with `error`) stops it. */
typedef struct {
    gboolean (*begin)(const char *name, guint64 size, gpointer data, GError **error);
    /* A piece of the current member's data (never empty). */
    gboolean (*data)(const guint8 *buf, gsize len, gpointer data, GError **error);
    /* The current member's data is complete. */
    gboolean (*end)(gpointer data, GError **error);
} VirtTarReaderFns;

VirtTarReader *virt_tar_reader_new(const VirtTarReaderFns *fns, gpointer data);
void virt_tar_reader_free(VirtTarReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtTarReader, virt_tar_reader_free)

/* The next `len` bytes. After a FALSE the reader is spent. */
gboolean virt_tar_reader_feed(VirtTarReader *r, const guint8 *buf, gsize len, GError **error);
/* The input ended: FALSE unless the archive ended with its two zero
 * blocks (a cut archive is refused wherever it was cut). */
gboolean virt_tar_reader_finish(VirtTarReader *r, GError **error);
