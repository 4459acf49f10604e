/* Helpers shared by the pool and volume resources: URLs, sizes in bytes,
 * and object answers with their ETag and If-Match checks. */
#pragma once
#include "api/api.h"

/* "/api/pools/NAME" or, with `volume`, ".../volumes/VOLUME", escaped. */
char *api_storage_location(const char *pool, const char *volume);
/* A required size in bytes: a JSON integer from 1 to 64 TiB, else 400. */
gboolean api_storage_size(json_t *obj, const char *name, guint64 *out, GError **error);
/* Answers `obj` (stolen) with its ETag. */
void api_storage_answer(ApiResponse *resp, unsigned status, json_t *obj);
/* 412 unless If-Match is absent or names `current`'s ETag. */
gboolean api_storage_check_if_match(const ApiRequest *req, json_t *current, GError **error);
