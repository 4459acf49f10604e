/* JSON shapes of users, sessions and tokens; never any secret or hash. */
#pragma once
#include <jansson.h>

#include "db/db_auth.h"

json_t *api_user_json(const DbUser *u);
json_t *api_session_json(const DbSession *s, gboolean current);
json_t *api_token_json(const DbToken *t, const char *owner);
