/* Users, sessions and tokens as JSON. Password hashes and secret digests
 * stay inside the inventory. */
#include "api/auth/api_auth_json.h"
#include "api/auth/api_quota_json.h"
#include "api/core/api_json.h"

json_t *api_user_json(const DbUser *u)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:o}", "id", (json_int_t)u->id, "username",
                     u->username, "role", u->role, "source", u->source, "created_at",
                     api_time_json(u->created_at), "updated_at", api_time_json(u->updated_at),
                     "quota", api_quota_limits_json(&u->quota));
}

json_t *api_session_json(const DbSession *s, gboolean current)
{
    /* The id is the digest of the secret: enough to revoke, useless to log in. */
    return json_pack("{s:s,s:o,s:o,s:s,s:s,s:b}", "id", s->id_hash, "created_at",
                     api_time_json(s->created_at), "last_seen", api_time_json(s->last_seen),
                     "address", s->address, "user_agent", s->user_agent, "current", current);
}

json_t *api_token_json(const DbToken *t, const char *owner)
{
    return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:s}", "id", (json_int_t)t->id, "name", t->name,
                     "owner", owner ? owner : "", "created_at", api_time_json(t->created_at),
                     "expires_at", api_time_json(t->expires_at), "last_used",
                     api_time_json(t->last_used), "scope",
                     t->scope && *t->scope ? t->scope : "full");
}
