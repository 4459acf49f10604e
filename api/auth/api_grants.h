/* Grants of storage pools, networks and host bridges as the API shows
 * them (also in GET /api/session, so the web UI knows what the caller may
 * use). */
#pragma once
#include "api/core/api.h"

/* {"pools": [{"name", "use"}], "networks": [{"name"}], "bridges": [...]} */
json_t *api_resource_grants_json(Db *db, gint64 user_id, GError **error);
