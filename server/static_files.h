/* Serving the web UI folder: MIME types, ETag/Last-Modified revalidation,
 * gzip for clients that take it (compressed once per file version and
 * kept), versioned addresses browsers keep for good, no way out of the
 * folder, and a 404 page. */
#pragma once
#include <glib.h>
#include <microhttpd.h>

#include "server/static_version.h"

/* Path policy alone (for tests and fuzzing): TRUE when `path` (decoded,
 * starting with '/') may be looked up under the root at all. */
int static_path_allowed(const char *path);
const char *static_mime_type(const char *path);

/* Compressed files, kept while they do not change (at most `max_bytes`
 * of them). */
typedef struct StaticGzip StaticGzip;
StaticGzip *static_gzip_new(gsize max_bytes);
void static_gzip_free(StaticGzip *gz);

/* Queues the answer for GET/HEAD `path` on `conn`; *status gets the code.
 * `gz` may be NULL: then files always go out as they are. `ver` (may be
 * NULL: no versioned addresses) keeps the folder's version tag, which
 * pages name their files by (STATIC_VERSION_MARK): "/v/TAG/x" is the file
 * "/x", kept for good by browsers while TAG is current. */
enum MHD_Result static_serve(struct MHD_Connection *conn, const char *root, const char *path,
                             int tls, StaticGzip *gz, StaticVersion *ver, unsigned *status);
