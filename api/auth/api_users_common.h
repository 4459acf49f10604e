/* Rules shared by the user, session and bootstrap code: what a valid user
 * name and password are, and setting a password. */
#pragma once
#include "api/core/api.h"
#include "db/db_auth.h"

#define API_USERNAME_MAX 64
#define API_PASSWORD_MIN 8
#define API_PASSWORD_MAX 1024

gboolean api_check_username(const char *name, GError **error);
gboolean api_check_password(const char *password, GError **error);
/* Hashes and stores a new password and ends the user's sessions, except
 * `keep_session` (the caller's own, when changing their own password), and
 * unless `keep_tokens` revokes the user's API tokens. */
gboolean api_set_password(ApiContext *ctx, gint64 user_id, const char *password,
                          const char *keep_session, gboolean keep_tokens, GError **error);
/* The user named by a path segment (name, or numeric id); 404 if none. */
DbUser *api_user_from_path(ApiContext *ctx, const char *segment, GError **error);

/* Creates the first admin when there are no users. The password comes from
 * `password_file` when given; otherwise a random one is logged once and
 * written to `fallback_file` (mode 0600). */
gboolean api_bootstrap_admin(ApiContext *ctx, const char *password_file, const char *fallback_file,
                             GError **error);
