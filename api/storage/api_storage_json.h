/* Helpers shared by the pool and volume resources: URLs and sizes in
 * bytes. */
#pragma once
#include <glib.h>
#include <jansson.h>

/* "/api/pools/NAME" or, with `volume`, ".../volumes/VOLUME", escaped. */
char *api_storage_location(const char *pool, const char *volume);
/* A required size in bytes: a JSON integer from 1 to 64 TiB, else 400. */
gboolean api_storage_size(json_t *obj, const char *name, guint64 *out, GError **error);
