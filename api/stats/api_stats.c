/* GET /api/host/stats and GET /api/vms/{vm}/stats: the metric history of
 * a range, shaped for charts: one array of times and one array per series
 * (uPlot's columnar data), a null point where samples are missing so that
 * lines break instead of bridging the gap, and the tier's step. */
#include "api/core/api_host_resolve.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/stats/api_sampler.h"
#include "api/stats/api_stats_json.h"
#include "db/db_stats.h"
#include "virt/virt_domain.h"

#include <string.h>

static const struct {
    const char *name;
    gint64 seconds;
} ranges[] = {
    {"1h", 3600},
    {"1d", 86400},
    {"30d", 30 * 86400},
    {"1y", 365 * 86400},
};

typedef enum { PERCENT, KIB, RATE } Unit;

static const struct {
    const char *name;
    DbStat stat;
    gboolean max;
    Unit unit;
    gboolean vm_only;
} series_defs[] = {
    {"cpu", DB_STAT_CPU, FALSE, PERCENT, FALSE},
    {"cpu_max", DB_STAT_CPU, TRUE, PERCENT, FALSE},
    {"cpu_vcpus", DB_STAT_CPU_VCPUS, FALSE, PERCENT, TRUE},
    {"cpu_vcpus_max", DB_STAT_CPU_VCPUS, TRUE, PERCENT, TRUE},
    {"memory_used", DB_STAT_MEM_USED, FALSE, KIB, FALSE},
    {"memory_used_max", DB_STAT_MEM_USED, TRUE, KIB, FALSE},
    {"memory_total", DB_STAT_MEM_TOTAL, FALSE, KIB, FALSE},
    {"disk_read", DB_STAT_DISK_READ, FALSE, RATE, FALSE},
    {"disk_read_max", DB_STAT_DISK_READ, TRUE, RATE, FALSE},
    {"disk_write", DB_STAT_DISK_WRITE, FALSE, RATE, FALSE},
    {"disk_write_max", DB_STAT_DISK_WRITE, TRUE, RATE, FALSE},
    {"net_rx", DB_STAT_NET_RX, FALSE, RATE, FALSE},
    {"net_rx_max", DB_STAT_NET_RX, TRUE, RATE, FALSE},
    {"net_tx", DB_STAT_NET_TX, FALSE, RATE, FALSE},
    {"net_tx_max", DB_STAT_NET_TX, TRUE, RATE, FALSE},
};

static const char *const unit_names[] = {
    [PERCENT] = "percent", [KIB] = "bytes", [RATE] = "bytes/s"};

static json_t *value_json(gint64 v, Unit unit)
{
    if (v == DB_STAT_NONE)
        return json_null();
    switch (unit) {
    case PERCENT: return json_real((double)v / 100.0);
    case KIB: return json_integer((json_int_t)v * 1024);
    case RATE: return json_integer((json_int_t)v);
    }
    return json_null();
}

typedef struct {
    const char *range;
    gint64 seconds;
    gboolean wanted[G_N_ELEMENTS(series_defs)];
} StatsQuery;

static gboolean parse_query(const ApiRequest *req, gboolean vm, StatsQuery *q, GError **error)
{
    static const char *const allowed[] = {"range", "series", NULL};
    if (!api_query_only(req, allowed, error))
        return FALSE;
    const char *range = api_query_get(req, "range");
    q->range = range ? range : "1h";
    q->seconds = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(ranges); i++)
        if (strcmp(q->range, ranges[i].name) == 0)
            q->seconds = ranges[i].seconds;
    if (!q->seconds)
        return api_invalid(error, "range must be 1h, 1d, 30d or 1y, not '%s'", q->range);
    const char *series = api_query_get(req, "series");
    for (gsize i = 0; i < G_N_ELEMENTS(series_defs); i++)
        q->wanted[i] = !series && (vm || !series_defs[i].vm_only);
    if (!series)
        return TRUE;
    g_auto(GStrv) names = g_strsplit(series, ",", -1);
    if (!names[0])
        return api_invalid(error, "series must name at least one series");
    for (char **n = names; *n; n++) {
        const char *name = g_strstrip(*n);
        gboolean found = FALSE;
        for (gsize i = 0; i < G_N_ELEMENTS(series_defs); i++)
            if (strcmp(series_defs[i].name, name) == 0 && (vm || !series_defs[i].vm_only))
                found = q->wanted[i] = TRUE;
        if (!found)
            return api_invalid(error, "unknown series '%s' in series", name);
    }
    return TRUE;
}

/* The history of `raw_key` of the request's host over the query's range,
 * as the answer's body. */
static json_t *history(ApiContext *ctx, const ApiRequest *req, const char *raw_key,
                       const StatsQuery *q, GError **error)
{
    VirtHost *h = req->virt_host;
    g_autofree char *key = db_stats_key(h && !virt_host_is_local(h) ? virt_host_id(h) : 0, raw_key);
    DbStatsPolicy fallback;
    const DbStatsPolicy *policy = ctx->sampler ? api_sampler_policy(ctx->sampler) : NULL;
    if (!policy) {
        db_stats_policy_init(&fallback, 0, 1);
        policy = &fallback;
    }
    int tier = db_stats_tier_for(policy, q->seconds);
    gint64 step = policy->tiers[tier].step;
    gint64 to = g_get_real_time() / G_USEC_PER_SEC;
    gint64 from = to - q->seconds;
    g_autoptr(GArray) rows = db_stats_read(ctx->db, key, tier, from - from % step, to, error);
    if (!rows)
        return NULL;
    json_t *time = json_array();
    json_t *series = json_object();
    json_t *units = json_object();
    json_t *cols[G_N_ELEMENTS(series_defs)] = {0};
    for (gsize i = 0; i < G_N_ELEMENTS(series_defs); i++) {
        if (!q->wanted[i])
            continue;
        cols[i] = json_array();
        json_object_set_new(series, series_defs[i].name, cols[i]);
        json_object_set_new(units, series_defs[i].name,
                            json_string(unit_names[series_defs[i].unit]));
    }
    for (guint r = 0; r < rows->len; r++) {
        const DbStatsRow *row = &g_array_index(rows, DbStatsRow, r);
        /* Missing buckets: one null point, where the line must break. */
        if (r > 0 && row->ts - g_array_index(rows, DbStatsRow, r - 1).ts > step) {
            json_array_append_new(time,
                                  json_integer(g_array_index(rows, DbStatsRow, r - 1).ts + step));
            for (gsize i = 0; i < G_N_ELEMENTS(series_defs); i++)
                if (cols[i])
                    json_array_append_new(cols[i], json_null());
        }
        json_array_append_new(time, json_integer(row->ts));
        for (gsize i = 0; i < G_N_ELEMENTS(series_defs); i++) {
            if (!cols[i])
                continue;
            DbStat st = series_defs[i].stat;
            json_array_append_new(
                cols[i],
                value_json(series_defs[i].max ? row->max[st] : row->avg[st], series_defs[i].unit));
        }
    }
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o}", "range", q->range, "step",
                     (json_int_t)step, "interval", (json_int_t)api_sampler_interval(ctx->sampler),
                     "from", (json_int_t)from, "to", (json_int_t)to, "time", time, "series", series,
                     "units", units);
}

static json_t *strv_json(GStrv v)
{
    json_t *a = json_array();
    for (int i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

gboolean api_host_stats_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp,
                            GError **error)
{
    StatsQuery q;
    if (!parse_query(req, FALSE, &q, error))
        return FALSE;
    json_t *body = history(ctx, req, "host", &q, error);
    if (!body)
        return FALSE;
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest_of(ctx->sampler, req->virt_host);
    json_t *latest = json_null(), *devices = json_null(), *cpus = json_null();
    if (snap) {
        latest = api_stats_figures_json(&snap->host, FALSE);
        json_object_set_new(latest, "time", json_integer(snap->time));
        if (snap->raw->cpus)
            cpus = json_integer(snap->raw->cpus);
        if (snap->raw->io_ok)
            devices = json_pack("{s:o,s:o}", "disks", strv_json(snap->raw->io.disks), "interfaces",
                                strv_json(snap->raw->io.interfaces));
    }
    json_object_set_new(body, "latest", latest);
    json_object_set_new(body, "cpus", cpus);
    json_object_set_new(body, "devices", devices);
    api_response_json(resp, 200, body);
    return TRUE;
}

gboolean api_vm_stats_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    StatsQuery q;
    if (!parse_query(req, TRUE, &q, error))
        return FALSE;
    g_autoptr(virConnect) conn = api_conn(ctx, req, error);
    g_autoptr(virDomain) dom = conn ? virt_domain_lookup(conn, req->params[0], error) : NULL;
    char uuid[VIR_UUID_STRING_BUFLEN] = "";
    if (!dom)
        return FALSE;
    if (virDomainGetUUIDString(dom, uuid) < 0)
        return api_fail(error, API_ERROR_INTERNAL, "reading the VM's UUID failed");
    json_t *body = history(ctx, req, uuid, &q, error);
    if (!body)
        return FALSE;
    g_autoptr(ApiStatsSnapshot) snap = api_sampler_latest_of(ctx->sampler, req->virt_host);
    const ApiVmLive *v = snap ? g_hash_table_lookup(snap->vms, uuid) : NULL;
    json_t *latest = json_null();
    if (v && v->active) {
        latest = api_stats_figures_json(&v->figures, TRUE);
        json_object_set_new(latest, "time", json_integer(snap->time));
    }
    json_object_set_new(body, "uuid", json_string(uuid));
    json_object_set_new(body, "name", json_string(virDomainGetName(dom)));
    json_object_set_new(body, "vcpus", v && v->vcpus ? json_integer(v->vcpus) : json_null());
    json_object_set_new(body, "latest", latest);
    api_response_json(resp, 200, body);
    return TRUE;
}
