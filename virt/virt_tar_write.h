/* Headers of a POSIX tar archive written on the fly: a ustar header per
 * regular file, preceded by a pax extended header when the name or the
 * size does not fit ustar's fields. The data and its padding are the
 * writer's; what a header takes is known before any data is read, so the
 * whole archive's length can be announced first. */
#pragma once
#include <glib.h>

#define VIRT_TAR_BLOCK_SIZE 512
/* Two zero blocks end an archive. */
#define VIRT_TAR_END_SIZE (2 * VIRT_TAR_BLOCK_SIZE)
/* Longest member name written. */
#define VIRT_TAR_WRITE_NAME_MAX 1024

/* Appends the header block(s) of a regular file member named `name`
 * (relative, no "." or ".." parts, UTF-8) of `size` bytes, modified at
 * `mtime` (unix seconds), mode 0644, owned by root. FALSE (INVALID_ARG)
 * for a name that cannot be a member. */
gboolean virt_tar_write_header(GByteArray *out, const char *name, guint64 size, gint64 mtime,
                               GError **error);
/* A name the writer and the reader accept for a member: non-empty UTF-8
 * without control characters, relative, no empty, "." or ".." parts. */
gboolean virt_tar_member_name_ok(const char *name);
/* Zero bytes that follow `size` bytes of data to fill their last block. */
gsize virt_tar_padding(guint64 size);
/* The checksum of a header block as ustar computes it: the sum of its
 * bytes with the checksum field counted as spaces. */
guint virt_tar_checksum(const guint8 block[VIRT_TAR_BLOCK_SIZE]);
