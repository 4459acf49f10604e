/* Templates as the create path needs them. */
#pragma once
#include "api/core/api.h"

/* A copy of template `name`'s spec (JSON object); NOT_FOUND when there is
 * no such template. */
json_t *api_template_spec(ApiContext *ctx, const char *name, GError **error);
