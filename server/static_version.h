/* One version tag for the whole web UI folder, so that pages can name its
 * files under it (v/TAG/js/app.js) and browsers may keep those for good:
 * a changed file gives a new tag, hence new addresses (docs/vm-list.md). */
#pragma once
#include <glib.h>
#include <time.h>

#define STATIC_VERSION_LEN 16 /* hex digits */
/* What a page writes where the versioned prefix goes. */
#define STATIC_VERSION_MARK "{{static}}"

typedef struct StaticVersion StaticVersion;
StaticVersion *static_version_new(void);
void static_version_free(StaticVersion *v);

/* Reads the folder `root` again now (paths, sizes and modification times
 * of every file that may be served): its tag into `tag` (NUL-terminated)
 * and its newest modification time into *newest; remembered as the current
 * one. FALSE when the folder cannot be read. */
gboolean static_version_read(StaticVersion *v, const char *root, char tag[STATIC_VERSION_LEN + 1],
                             time_t *newest);

/* TRUE when `tag` is the folder's current tag: the remembered one, or,
 * when it differs, the one read again now (a file changed since; not more
 * than twice a second). */
gboolean static_version_current(StaticVersion *v, const char *root, const char *tag);

/* "/v/TAG/rest" -> "/rest" with `tag` filled; NULL when `path` has no
 * well-formed version prefix. */
const char *static_version_strip(const char *path, char tag[STATIC_VERSION_LEN + 1]);

/* `body` with each STATIC_VERSION_MARK replaced by "v/TAG" (or "." when
 * `tag` is NULL: the plain addresses). */
GString *static_version_fill(const char *body, gsize len, const char *tag);
