/* The gate every request passes before its handler: who is asking (session
 * cookie or API token), whether a cookie-authenticated change comes from
 * our own pages (CSRF), and whether the route's permission holds. */
#pragma once
#include "api/core/api.h"

#define API_SESSION_COOKIE "vireo_session"
#define API_CSRF_HEADER "X-Vireo-CSRF"

/* FALSE with `error` set (401/403/404/503; `resp` may gain headers, e.g.
 * WWW-Authenticate) when the request may not go on; otherwise req->auth is
 * set for non-public routes. `error` must not be NULL. */
gboolean api_gate(ApiContext *ctx, const ApiRoute *route, ApiRequest *req, ApiResponse *resp,
                  GError **error);
void api_auth_free(ApiAuth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiAuth, api_auth_free)

ApiRole api_role_from_name(const char *name);
const char *api_role_name(ApiRole role);

/* The session cookie's value in a Cookie header, or NULL (newly allocated). */
char *api_cookie_value(const char *header, const char *name);
/* The token of an "Authorization: Bearer ..." header, or NULL. */
char *api_bearer_token(const char *header);
/* TRUE when the Origin header names this very server. */
gboolean api_origin_matches(const char *origin, const char *host, gboolean tls);

/* TRUE while the session or token behind `auth` still lets it in (not
 * revoked, expired or deleted): long-lived answers (the event stream)
 * check this as they go. */
gboolean api_auth_still_valid(ApiContext *ctx, const ApiAuth *auth);


/* After a change to what user `user_id` may do or see (0: any user):
 * long-lived answers re-check at once (ApiContext.auth_changed). */
void api_auth_changed(ApiContext *ctx, gint64 user_id);

/* TRUE when the request was made by an admin. */
gboolean api_is_admin(const ApiRequest *req);
