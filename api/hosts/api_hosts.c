/* /api/hosts: the libvirt hosts this vireod drives, their health and
 * figures; admins add, rename, re-point and remove them (docs/hosts.md). */
#include "api/core/api_error.h"
#include "api/core/api_gate.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/core/api_locks.h"
#include "api/hosts/api_hosts.h"
#include "api/stats/api_stats_json.h"
#include "virt/virt_error.h"
#include "virt/virt_host_probe.h"
#include "virt/virt_hosts.h"

#include <string.h>

#define NAME_MAX_LEN 64
#define URI_MAX_LEN 1024
#define PATH_MAX_LEN 4096

static const char *const state_names[] = {"connected", "reconnecting", "unreachable"};
static const char *const credential_fields[] = {"ssh_key", "tls_cert", "tls_key", "tls_ca", NULL};

static char **credential(DbHost *h, const char *field)
{
    if (strcmp(field, "ssh_key") == 0)
        return &h->ssh_key;
    if (strcmp(field, "tls_cert") == 0)
        return &h->tls_cert;
    if (strcmp(field, "tls_key") == 0)
        return &h->tls_key;
    return &h->tls_ca;
}

/* The host's figures of the sampler's last sample (CPU %, memory in use
 * ...) with its time, or null before the first or while it is not
 * sampled: like GET /api/host/stats?host='s "latest". */
static json_t *live_json(ApiContext *ctx, VirtHost *h)
{
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest_of(ctx->sampler, h);
    if (!snap)
        return json_null();
    json_t *o = api_stats_figures_json(&snap->host, FALSE);
    json_object_set_new(o, "time", json_integer(snap->time));
    return o;
}

/* CPUs, memory, driver and versions as read when the host connected; VM
 * counts from its model's last snapshot; live figures from the sampler:
 * no call to libvirt, so a host that hangs never holds up the answer. */
static json_t *figures_json(ApiContext *ctx, VirtHost *h)
{
    json_t *f = json_object();
    VirtHostFigures known;
    virt_host_figures(h, &known);
    if (known.known) {
        json_object_set_new(f, "cpus", json_integer(known.cpus));
        json_object_set_new(f, "memory_mib", json_integer((json_int_t)(known.memory_kib / 1024)));
        json_object_set_new(f, "driver", json_string(known.driver));
        json_object_set_new(f, "driver_version", json_string(known.driver_version));
        json_object_set_new(f, "libvirt_version", json_string(known.libvirt_version));
        json_object_set_new(f, "hostname", json_string(known.hostname));
    }
    g_autoptr(VirtModelSnapshot) snap = virt_model_last(virt_host_model(h));
    guint running = 0;
    for (guint i = 0; snap && i < snap->domains->len; i++)
        running += ((VirtDomainSummary *)g_ptr_array_index(snap->domains, i))->state ==
                   VIR_DOMAIN_RUNNING;
    json_object_set_new(f, "vms", snap ? json_integer(snap->domains->len) : json_null());
    json_object_set_new(f, "vms_running", snap ? json_integer(running) : json_null());
    json_object_set_new(f, "live", live_json(ctx, h));
    return f;
}

static json_t *host_json(ApiContext *ctx, const ApiRequest *req, const DbHost *row)
{
    g_autoptr(VirtHost) h = virt_hosts_get(ctx->hosts, row->id);
    VirtConnHealth health = {VIRT_CONN_UNREACHABLE, NULL, 0};
    if (h)
        virt_host_health(h, &health);
    else
        health.reason = g_strdup("not connected: vireod could not start its connection");
    g_autofree char *reason = health.reason;
    json_t *o = json_pack(
        "{s:I,s:s,s:b,s:s*,s:s,s:o}", "id", (json_int_t)row->id, "name", row->name, "local",
        row->local, "uuid", row->uuid, "state", state_names[health.state], "since",
        health.since_us ? api_time_json(health.since_us / G_USEC_PER_SEC) : json_null());
    json_object_set_new(o, "figures", h ? figures_json(ctx, h) : json_object());
    /* Where it is and how it is reached are the admins'. */
    if (!api_is_admin(req))
        return o;
    json_object_set_new(o, "uri", json_string(row->uri));
    json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
    json_t *set = json_object();
    for (int i = 0; credential_fields[i]; i++)
        json_object_set_new(set, credential_fields[i],
                            json_boolean(*credential((DbHost *)row, credential_fields[i]) != NULL));
    json_object_set_new(o, "credentials", set);
    return o;
}

/* Health and figures move on their own; an edit is based on the rest. */
static const char *const observed[] = {"state", "since", "reason", "figures", NULL};

static void answer_host(ApiResponse *resp, unsigned status, json_t *o)
{
    g_autofree char *etag = api_etag_observed(o, observed);
    api_response_header(resp, "ETag", etag);
    api_response_json(resp, status, o);
}

static gboolean check_if_match(ApiContext *ctx, const ApiRequest *req, const DbHost *h,
                               GError **error)
{
    g_autoptr(json_t) o = host_json(ctx, req, h);
    g_autofree char *etag = api_etag_observed(o, observed);
    return api_check_if_match_etag(req, etag, "the host", error);
}

static DbHost *find_row(ApiContext *ctx, const char *key, GError **error)
{
    g_autoptr(GPtrArray) rows = db_host_list(ctx->db, error);
    if (!rows)
        return NULL;
    guint64 id = 0;
    gboolean numeric = g_ascii_string_to_unsigned(key, 10, 1, G_MAXINT64, &id, NULL);
    for (guint pass = 0; pass < 2; pass++)
        for (guint i = 0; i < rows->len; i++) {
            DbHost *h = g_ptr_array_index(rows, i);
            if (pass == 0 ? strcmp(h->name, key) == 0 : numeric && h->id == (gint64)id)
                return g_ptr_array_steal_index(rows, i);
        }
    api_fail(error, API_ERROR_NOT_FOUND, "no host '%s'", key);
    return NULL;
}

gboolean api_hosts_list(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(GPtrArray) rows = api_query_none(req, error) ? db_host_list(ctx->db, error) : NULL;
    if (!rows)
        return FALSE;
    json_t *items = json_array();
    for (guint i = 0; i < rows->len; i++)
        json_array_append_new(items, host_json(ctx, req, g_ptr_array_index(rows, i)));
    api_response_json(resp, 200, json_pack("{s:o}", "hosts", items));
    return TRUE;
}

gboolean api_hosts_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    g_autoptr(DbHost) row = api_query_none(req, error) ? find_row(ctx, req->params[0], error)
                                                       : NULL;
    if (!row)
        return FALSE;
    answer_host(resp, 200, host_json(ctx, req, row));
    return TRUE;
}

static gboolean valid_name(const char *name, GError **error)
{
    if (!*name)
        return api_invalid(error, "name must not be empty");
    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
            return api_invalid(error, "name may hold letters, digits, '.', '_' and '-' only");
    return TRUE;
}

/* Fills `h` from the body's members (those present); a credential given
 * as null is cleared. */
static gboolean read_body(json_t *body, DbHost *h, GError **error)
{
    const char *name = NULL, *uri = NULL;
    if (!api_json_opt_string(body, "name", NAME_MAX_LEN, &name, error) ||
        !api_json_opt_string(body, "uri", URI_MAX_LEN, &uri, error) ||
        (name && !valid_name(name, error)))
        return FALSE;
    if (name)
        g_free(h->name), h->name = g_strdup(name);
    if (uri && !*uri)
        return api_invalid(error, "uri must not be empty");
    if (uri)
        g_free(h->uri), h->uri = g_strdup(uri);
    for (int i = 0; credential_fields[i]; i++) {
        const char *f = credential_fields[i];
        json_t *v = json_object_get(body, f);
        if (!v)
            continue;
        const char *path = NULL;
        if (!json_is_null(v) && (!api_json_opt_string(body, f, PATH_MAX_LEN, &path, error) ||
                                 !api_host_check_credential(f, path, error)))
            return FALSE;
        g_free(*credential(h, f));
        *credential(h, f) = g_strdup(path);
    }
    if ((h->tls_cert != NULL) != (h->tls_key != NULL) ||
        (h->tls_cert != NULL) != (h->tls_ca != NULL))
        return api_invalid(error, "tls_cert, tls_key and tls_ca go together");
    return TRUE;
}

/* --host-open-timeout-seconds' default, for contexts made without it. */
#define OPEN_TIMEOUT_DEFAULT_S 15

/* Opens the host as it would be, once, and reads its libvirt UUID: a host
 * that cannot be reached in time is not registered. */
static char *probe_uuid(ApiContext *ctx, const DbHost *h, GError **error)
{
    g_autofree char *uri = api_host_connect_uri(ctx, h, error);
    if (!uri)
        return NULL;
    g_autoptr(GError) why = NULL;
    guint timeout_s = ctx->host_open_timeout_s ? ctx->host_open_timeout_s : OPEN_TIMEOUT_DEFAULT_S;
    char *uuid = virt_host_probe_uuid(uri, timeout_s, &why);
    if (!uuid)
        api_fail(error, API_ERROR_UNAVAILABLE, "cannot reach libvirt at %s: %s", h->uri,
                 why->message);
    return uuid;
}

/* 409 when `uuid` is already registered as another host. */
static gboolean uuid_free(ApiContext *ctx, const char *uuid, gint64 except, GError **error)
{
    g_autoptr(GPtrArray) rows = db_host_list(ctx->db, error);
    if (!rows)
        return FALSE;
    for (guint i = 0; i < rows->len; i++) {
        const DbHost *o = g_ptr_array_index(rows, i);
        if (o->id != except && g_strcmp0(o->uuid, uuid) == 0)
            return api_fail(error, API_ERROR_CONFLICT,
                            "that is host '%s' (%s), already registered: libvirt's host UUID %s",
                            o->name, o->uri, uuid);
    }
    return TRUE;
}

static void name_taken(GError **error, const char *name)
{
    if (*error && g_error_matches(*error, DB_ERROR, DB_ERROR_EXISTS)) {
        g_clear_error(error);
        api_fail(error, API_ERROR_CONFLICT, "a host named '%s' exists already", name);
    }
}

static gboolean register_host(ApiContext *ctx, const DbHost *row, GError **error)
{
    g_autofree char *connect_uri = api_host_connect_uri(ctx, row, error);
    if (!connect_uri)
        return FALSE;
    VirtHostSpec spec = {.id = row->id,
                         .name = row->name,
                         .uri = row->uri,
                         .connect_uri = strcmp(connect_uri, row->uri) ? connect_uri : NULL,
                         .uuid = row->uuid};
    g_autoptr(VirtHost) h = virt_hosts_add(ctx->hosts, &spec);
    virt_host_start(h);
    return TRUE;
}

gboolean api_hosts_create(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"name",    "uri",    "ssh_key", "tls_cert",
                                          "tls_key", "tls_ca", NULL};
    static const char *const required[] = {"name", "uri", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    g_autoptr(DbHost) h = g_new0(DbHost, 1);
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error) ||
        !api_json_require(body, required, error) || !read_body(body, h, error))
        return FALSE;
    /* Reaching it may take a while: no other registration waits for that. */
    g_autofree char *uuid = probe_uuid(ctx, h, error);
    if (!uuid)
        return FALSE;
    /* One registration at a time: two adding the same host both see it new. */
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "hosts");
    if (!uuid_free(ctx, uuid, 0, error))
        return FALSE;
    h->uuid = g_strdup(uuid);
    h->id = db_host_create(ctx->db, h, error);
    if (!h->id) {
        name_taken(error, h->name);
        return FALSE;
    }
    if (!register_host(ctx, h, error)) {
        db_host_delete(ctx->db, h->id, NULL);
        return FALSE;
    }
    g_autoptr(DbHost) made = db_host_get(ctx->db, h->id, error);
    if (!made)
        return FALSE;
    g_autofree char *location = g_strdup_printf("/api/hosts/%" G_GINT64_FORMAT, made->id);
    api_response_header(resp, "Location", location);
    answer_host(resp, 201, host_json(ctx, req, made));
    return TRUE;
}

/* How a host is reached: its URI and credentials, as one string. */
static char *reach_key(DbHost *h)
{
    GString *k = g_string_new(h->uri);
    for (int i = 0; credential_fields[i]; i++) {
        const char *v = *credential(h, credential_fields[i]);
        g_string_append_printf(k, "\n%s", v ? v : "");
    }
    return g_string_free(k, FALSE);
}

gboolean api_hosts_patch(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    static const char *const allowed[] = {"name",    "uri",    "ssh_key", "tls_cert",
                                          "tls_key", "tls_ca", NULL};
    g_autoptr(json_t) body = api_json_body(req, error);
    if (!body || !api_query_none(req, error) || !api_json_only_members(body, allowed, error))
        return FALSE;
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "hosts");
    g_autoptr(DbHost) h = find_row(ctx, req->params[0], error);
    if (!h || !check_if_match(ctx, req, h, error))
        return FALSE;
    g_autofree char *old_reach = reach_key(h);
    if (!read_body(body, h, error))
        return FALSE;
    g_autofree char *new_reach = reach_key(h);
    gboolean reach_changed = strcmp(old_reach, new_reach) != 0;
    if (reach_changed && h->local)
        return api_fail(error, API_ERROR_CONFLICT,
                        "the local host is reached as vireod's --connect says; only its name "
                        "can change here");
    if (reach_changed) {
        /* Another way to the same host, never to another one. */
        g_autofree char *uuid = probe_uuid(ctx, h, error);
        if (!uuid)
            return FALSE;
        if (h->uuid && strcmp(uuid, h->uuid) != 0)
            return api_fail(error, API_ERROR_CONFLICT,
                            "%s reaches another host (libvirt host UUID %s, not %s)", h->uri, uuid,
                            h->uuid);
        if (!uuid_free(ctx, uuid, h->id, error))
            return FALSE;
        g_free(h->uuid);
        h->uuid = g_strdup(uuid);
    }
    if (!db_host_update(ctx->db, h, error)) {
        name_taken(error, h->name);
        return FALSE;
    }
    g_autoptr(VirtHost) live = virt_hosts_get(ctx->hosts, h->id);
    if (reach_changed && !register_host(ctx, h, error))
        return FALSE;
    if (!reach_changed && live)
        virt_host_set_name(live, h->name);
    answer_host(resp, 200, host_json(ctx, req, h));
    return TRUE;
}

gboolean api_hosts_delete(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    g_autoptr(ApiLockSet) lock = api_lock(ctx->locks, "hosts");
    g_autoptr(DbHost) h = find_row(ctx, req->params[0], error);
    if (!h || !check_if_match(ctx, req, h, error))
        return FALSE;
    if (h->local)
        return api_fail(error, API_ERROR_CONFLICT,
                        "host '%s' is the one vireod starts with (--connect): it cannot be removed",
                        h->name);
    if (!db_host_delete(ctx->db, h->id, error))
        return FALSE;
    virt_hosts_remove(ctx->hosts, h->id);
    resp->status = 204;
    return TRUE;
}
