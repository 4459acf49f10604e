/* The OS catalogue (libosinfo), asked of the vireo-osinfo helper process
 * so that vireod never holds the osinfo database (~50 MiB; see
 * docs/osinfo.md). */
#pragma once
#include "api/core/api.h"

/* The OS list (a JSON array, newest first), fetched on the first call and
 * kept; borrowed. UNAVAILABLE when the helper cannot run. */
json_t *api_os_catalogue(ApiContext *ctx, GError **error);
/* One OS by short id (borrowed), or NULL with NOT_FOUND. */
json_t *api_os_find(ApiContext *ctx, const char *id, GError **error);
/* One OS by libosinfo's full id ("http://debian.org/debian/12", what a
 * domain's <metadata> holds), or NULL with NOT_FOUND. */
json_t *api_os_find_osinfo(ApiContext *ctx, const char *osinfo_id, GError **error);
/* The OS on the install medium (ISO) in the local file `path` as
 * {"id", "name"}, or JSON null when libosinfo does not know it or the
 * helper fails; new reference. Kept per path, size and mtime, so the helper
 * (which loads the whole osinfo database) runs once per medium. */
json_t *api_os_of_medium(ApiContext *ctx, const char *path);

/* Fills what a VM spec leaves out from its "os" entry: vcpus and memory
 * (the recommendation), disk buses (sata) and NIC models (e1000e) when the
 * OS lacks virtio drivers. An unknown "os" is a 400; without "os" nothing
 * changes. */
gboolean api_os_apply_defaults(ApiContext *ctx, json_t *spec, GError **error);
