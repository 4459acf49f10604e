/* Serving the web UI folder: MIME types, ETag/Last-Modified revalidation,
 * no way out of the folder, and a 404 page. */
#pragma once
#include <microhttpd.h>

/* Path policy alone (for tests and fuzzing): TRUE when `path` (decoded,
 * starting with '/') may be looked up under the root at all. */
int static_path_allowed(const char *path);
const char *static_mime_type(const char *path);

/* Queues the answer for GET/HEAD `path` on `conn`; *status gets the code. */
enum MHD_Result static_serve(struct MHD_Connection *conn, const char *root, const char *path,
                             int tls, unsigned *status);
