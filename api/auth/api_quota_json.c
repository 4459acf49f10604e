/* Quotas as JSON (see api_quota_json.h). */
#include "api/auth/api_quota_json.h"
#include "api/auth/api_quota.h"
#include "api/core/api_error.h"

/* The largest limit: what a JavaScript number holds exactly. */
#define LIMIT_MAX ((json_int_t)9007199254740991)

json_t *api_quota_limits_json(const DbQuota *limits)
{
    json_t *obj = json_object();
    for (int k = 0; k < DB_QUOTA_KINDS; k++)
        json_object_set_new(obj, api_quota_kind_name(k),
                            limits->v[k] < 0 ? json_null() : json_integer(limits->v[k]));
    return obj;
}

json_t *api_quota_usage_json(GHashTable *by_user, gint64 user_id)
{
    if (!by_user)
        return json_null();
    const DbQuota *usage = g_hash_table_lookup(by_user, &user_id);
    json_t *obj = json_object();
    for (int k = 0; k < DB_QUOTA_KINDS; k++)
        json_object_set_new(obj, api_quota_kind_name(k), json_integer(usage ? usage->v[k] : 0));
    return obj;
}

static gboolean known(const char *name)
{
    for (int k = 0; k < DB_QUOTA_KINDS; k++)
        if (g_strcmp0(name, api_quota_kind_name(k)) == 0)
            return TRUE;
    return FALSE;
}

gboolean api_quota_parse(json_t *value, const DbQuota *current, DbQuota *out, GError **error)
{
    if (!json_is_object(value))
        return api_invalid(error, "field 'quota' must be an object of vms, vcpus, memory (MiB) "
                                  "and disk (bytes)");
    const char *name;
    json_t *v;
    json_object_foreach (value, name, v)
        if (!known(name))
            return api_invalid(error, "field 'quota' takes vms, vcpus, memory and disk, not '%s'",
                               name);
    *out = *current;
    for (int k = 0; k < DB_QUOTA_KINDS; k++) {
        name = api_quota_kind_name(k);
        v = json_object_get(value, name);
        if (!v)
            continue;
        if (json_is_null(v)) {
            out->v[k] = DB_QUOTA_NONE;
            continue;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > LIMIT_MAX)
            return api_invalid(error,
                               "field 'quota.%s' must be null (no limit) or a whole number from 0 "
                               "to %" JSON_INTEGER_FORMAT,
                               name, LIMIT_MAX);
        out->v[k] = json_integer_value(v);
    }
    return TRUE;
}

static char *limit_text(gint64 v)
{
    return v < 0 ? g_strdup("unlimited") : g_strdup_printf("%" G_GINT64_FORMAT, v);
}

char *api_quota_change_text(const DbQuota *before, const DbQuota *after)
{
    GString *text = g_string_new(NULL);
    for (int k = 0; k < DB_QUOTA_KINDS; k++) {
        if (before->v[k] == after->v[k])
            continue;
        g_autofree char *from = limit_text(before->v[k]);
        g_autofree char *to = limit_text(after->v[k]);
        g_string_append_printf(text, "%s%s %s -> %s", text->len ? ", " : "quota ",
                               api_quota_kind_name(k), from, to);
    }
    if (!text->len) {
        g_string_free(text, TRUE);
        return NULL;
    }
    return g_string_free(text, FALSE);
}
