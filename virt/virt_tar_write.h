/* Headers of a POSIX tar archive written on the fly: a ustar header per
 * regular file, preceded by a pax extended header when the name or the
 * size does not fit ustar's fields. The data and its padding are the
 * writer's; what a header takes is known before any data is read, so the
 * whole archive's length can be announced first. */
#pragma once
#include "virt/virt_tar.h"

/* Two zero blocks end an archive. */
#define VIRT_TAR_END_SIZE (2 * VIRT_TAR_BLOCK)
/* Appends the header block(s) of a regular file member named `name`
 * (one virt_tar_name_valid accepts) of `size` bytes, modified at
 * `mtime` (unix seconds), mode 0644, owned by root. FALSE (INVALID_ARG)
 * for a name that cannot be a member. */
gboolean virt_tar_write_header(GByteArray *out, const char *name, guint64 size, gint64 mtime,
                               GError **error);
/* Zero bytes that follow `size` bytes of data to fill their last block. */
gsize virt_tar_padding(guint64 size);
