/* Metric history in sqlite (see db_stats.h and docs/stats.md). A bucket
 * keeps a running average rounded to the nearest whole unit, so a row's
 * size does not grow with the samples in it, and the largest sample. */
#include "db/db_stats.h"
#include "db/db_private.h"

#include <string.h>

static const char *const columns[DB_STAT_COUNT] = {
    [DB_STAT_CPU] = "cpu",
    [DB_STAT_CPU_VCPUS] = "cpu_vcpus",
    [DB_STAT_MEM_USED] = "mem_used",
    [DB_STAT_MEM_TOTAL] = "mem_total",
    [DB_STAT_DISK_READ] = "disk_read",
    [DB_STAT_DISK_WRITE] = "disk_write",
    [DB_STAT_NET_RX] = "net_rx",
    [DB_STAT_NET_TX] = "net_tx",
};

/* The fixed tiers: step and age; tier 0's step grows with the interval. */
static const DbStatsTier default_tiers[DB_STATS_TIERS] = {
    {5, 3600},
    {60, 86400},
    {600, 30 * 86400},
    {3600, 365 * 86400},
};

void db_stats_policy_init(DbStatsPolicy *p, guint interval_s, guint max_mib)
{
    memcpy(p->tiers, default_tiers, sizeof(default_tiers));
    /* A bucket finer than the samples would hold every other one empty. */
    if ((gint64)interval_s > p->tiers[0].step)
        p->tiers[0].step = MIN((gint64)interval_s, p->tiers[1].step);
    p->max_rows = (gint64)max_mib * 1024 * 1024 / DB_STATS_ROW_BYTES;
}

static gint64 full_cap(const DbStatsPolicy *p, int tier)
{
    const DbStatsTier *t = &p->tiers[tier];
    return t->keep / t->step + 1;
}

gint64 db_stats_tier_cap(const DbStatsPolicy *p, int tier, guint n_series)
{
    gint64 per_series = 0;
    for (int i = 0; i < DB_STATS_TIERS; i++)
        per_series += full_cap(p, i);
    gint64 want = per_series * MAX(n_series, 1);
    if (want <= p->max_rows)
        return full_cap(p, tier);
    /* The same fraction of every tier: each VM keeps its recent minutes
     * and a coarser, shorter past, rather than some VMs keeping nothing.
     * Rows are one per bucket, so this is also a span of time. */
    return (gint64)((double)full_cap(p, tier) * (double)p->max_rows / (double)want);
}

int db_stats_tier_for(const DbStatsPolicy *p, gint64 seconds)
{
    for (int i = 0; i < DB_STATS_TIERS; i++)
        if (seconds <= p->tiers[i].keep)
            return i;
    return DB_STATS_TIERS - 1;
}

struct DbStatsWriter {
    Db *db;
    gint64 host; /* the host whose series it writes; 0: the local host */
    DbStatsPolicy policy;
    sqlite3_stmt *upsert;
    sqlite3_stmt *trim;
    sqlite3_stmt *trim_ahead;
    GHashTable *ids;               /* stored key -> series id (gint64 in a pointer) */
    gint64 bucket[DB_STATS_TIERS]; /* the bucket each tier was last in; 0: none yet */
    gint64 n_series;               /* when last trimmed; -1: never */
    char *alive_sig;               /* the alive keys as last given, joined */
};

static char *upsert_sql(void)
{
    GString *s = g_string_new("INSERT INTO stats (series, tier, ts, n");
    for (int i = 0; i < DB_STAT_COUNT; i++)
        g_string_append_printf(s, ", %s, %s_max", columns[i], columns[i]);
    g_string_append(s, ") VALUES (?1, ?2, ?3, 1");
    for (int i = 0; i < DB_STAT_COUNT; i++)
        g_string_append_printf(s, ", ?%d, ?%d", i + 4, i + 4);
    g_string_append(s, ") ON CONFLICT (series, tier, ts) DO UPDATE SET n = n + 1");
    /* Columns on the right are the row's old values. A NULL is a figure
     * the series lacks: it stays NULL, and max() of NULL is NULL. */
    for (int i = 0; i < DB_STAT_COUNT; i++) {
        const char *c = columns[i];
        g_string_append_printf(
            s,
            ", %s = CASE WHEN %s IS NULL OR excluded.%s IS NULL THEN excluded.%s "
            "ELSE (%s * n + excluded.%s + (n + 1) / 2) / (n + 1) END"
            ", %s_max = max(coalesce(%s_max, excluded.%s), coalesce(excluded.%s, %s_max))",
            c, c, c, c, c, c, c, c, c, c, c);
    }
    return g_string_free(s, FALSE);
}

/* Drops what one tier of one series must not keep: rows older than its
 * cut (the tier's age, or less under the row bound) and rows ahead of now
 * (the clock was set back; they would never age out). Rows sit one per
 * bucket, so a cut of (cap - 1) buckets leaves at most `cap` rows: a time
 * cut, walking only the index entries it deletes. */
static const char trim_sql[] = "DELETE FROM stats WHERE series = ?1 AND tier = ?2 AND ts < ?3";
/* Apart: with an OR, sqlite walks every row of the tier instead of two
 * ranges of the key. */
static const char trim_ahead_sql[] =
    "DELETE FROM stats WHERE series = ?1 AND tier = ?2 AND ts > ?3";

char *db_stats_key(gint64 host, const char *key)
{
    /* The local host's keys are those of before there were hosts. */
    return host ? g_strdup_printf("%" G_GINT64_FORMAT "/%s", host, key) : g_strdup(key);
}

DbStatsWriter *db_stats_writer_new(Db *db, const DbStatsPolicy *p)
{
    return db_stats_writer_new_for_host(db, p, 0);
}

DbStatsWriter *db_stats_writer_new_for_host(Db *db, const DbStatsPolicy *p, gint64 host)
{
    DbStatsWriter *w = g_new0(DbStatsWriter, 1);
    w->db = db;
    w->host = host;
    w->policy = *p;
    w->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->n_series = -1;
    return w;
}

void db_stats_writer_free(DbStatsWriter *w)
{
    if (!w)
        return;
    DB_LOCK(w->db);
    sqlite3_finalize(w->upsert);
    sqlite3_finalize(w->trim);
    sqlite3_finalize(w->trim_ahead);
    g_hash_table_unref(w->ids);
    g_free(w->alive_sig);
    g_free(w);
}

static gboolean prepare(DbStatsWriter *w, GError **error)
{
    if (!w->upsert) {
        g_autofree char *sql = upsert_sql();
        w->upsert = db_prepare(w->db, error, sql, NULL);
        if (!w->upsert)
            return FALSE;
    }
    if (!w->trim && !(w->trim = db_prepare(w->db, error, trim_sql, NULL)))
        return FALSE;
    if (!w->trim_ahead)
        w->trim_ahead = db_prepare(w->db, error, trim_ahead_sql, NULL);
    return w->trim_ahead != NULL;
}

/* Binds the writer's host as the `host` column holds it (NULL: local). */
static void bind_host(const DbStatsWriter *w, sqlite3_stmt *st, int at)
{
    if (w->host)
        sqlite3_bind_int64(st, at, w->host);
    else
        sqlite3_bind_null(st, at);
}

static gint64 series_id(DbStatsWriter *w, const char *raw_key, GError **error)
{
    g_autofree char *key = db_stats_key(w->host, raw_key);
    gpointer id;
    if (g_hash_table_lookup_extended(w->ids, key, NULL, &id))
        return GPOINTER_TO_SIZE(id);
    g_autoptr(sqlite3_stmt) add = db_prepare(w->db, error,
                                             "INSERT INTO stats_series (key, host) VALUES (?1, ?2) "
                                             "ON CONFLICT (key) DO NOTHING",
                                             "t", key);
    if (!add)
        return 0;
    bind_host(w, add, 2);
    if (sqlite3_step(add) != SQLITE_DONE) {
        db_set_error(error, w->db, "adding a metric series");
        return 0;
    }
    g_autoptr(sqlite3_stmt)
        st = db_prepare(w->db, error, "SELECT id FROM stats_series WHERE key = ?1", "t", key);
    if (!st)
        return 0;
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_set_error(error, w->db, "reading metric series");
        return 0;
    }
    gint64 found = sqlite3_column_int64(st, 0);
    g_hash_table_insert(w->ids, g_strdup(key), GSIZE_TO_POINTER((gsize)found));
    return found;
}

static gboolean step_done(DbStatsWriter *w, sqlite3_stmt *st, const char *what, GError **error)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        db_set_error(error, w->db, what);
        return FALSE;
    }
    return TRUE;
}

static gboolean add_point(DbStatsWriter *w, gint64 ts, const DbStatsPoint *pt, GError **error)
{
    gint64 id = series_id(w, pt->key, error);
    if (!id)
        return FALSE;
    for (int t = 0; t < DB_STATS_TIERS; t++) {
        gint64 step = w->policy.tiers[t].step;
        sqlite3_bind_int64(w->upsert, 1, id);
        sqlite3_bind_int(w->upsert, 2, t);
        sqlite3_bind_int64(w->upsert, 3, ts - ts % step);
        for (int i = 0; i < DB_STAT_COUNT; i++) {
            if (pt->v[i] == DB_STAT_NONE)
                sqlite3_bind_null(w->upsert, i + 4);
            else
                sqlite3_bind_int64(w->upsert, i + 4, MAX(pt->v[i], 0));
        }
        if (!step_done(w, w->upsert, "writing metric history", error))
            return FALSE;
    }
    return TRUE;
}

/* The writer's own series: another host's are its writer's business. */
static sqlite3_stmt *own_series(DbStatsWriter *w, GError **error)
{
    sqlite3_stmt *st = db_prepare(w->db, error, "SELECT id, key FROM stats_series WHERE host IS ?1",
                                  NULL);
    if (st)
        bind_host(w, st, 1);
    return st;
}

/* Deletes the host's series whose key is not in `alive`, with their rows. */
static gboolean prune_gone(DbStatsWriter *w, const char *const *alive, GError **error)
{
    g_autoptr(GHashTable) keep = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (const char *const *k = alive; *k; k++)
        g_hash_table_add(keep, db_stats_key(w->host, *k));
    g_autoptr(sqlite3_stmt) st = own_series(w, error);
    if (!st)
        return FALSE;
    g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(gint64));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 1);
        if (!key || !g_hash_table_contains(keep, key)) {
            gint64 id = sqlite3_column_int64(st, 0);
            g_array_append_val(gone, id);
            if (key)
                g_hash_table_remove(w->ids, key);
        }
    }
    if (rc != SQLITE_DONE) {
        db_set_error(error, w->db, "reading metric series");
        return FALSE;
    }
    for (guint i = 0; i < gone->len; i++)
        if (!db_run(w->db, error, "DELETE FROM stats_series WHERE id = ?1", "i",
                    g_array_index(gone, gint64, i)))
            return FALSE;
    return TRUE;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static char *signature(const char *const *alive)
{
    guint n = g_strv_length((char **)alive);
    g_autofree const char **sorted = g_new0(const char *, n + 1);
    memcpy(sorted, alive, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    return g_strjoinv("\n", (char **)sorted);
}

/* Trims tier `tier` of every series to `cap` rows at most (see trim_sql). */
static gboolean trim_tier(DbStatsWriter *w, int tier, gint64 ts, GArray *ids, gint64 cap,
                          GError **error)
{
    const DbStatsTier *t = &w->policy.tiers[tier];
    gint64 newest = ts - ts % t->step;
    /* The oldest bucket kept; past `newest` when the cap keeps nothing. */
    gint64 oldest = cap > 0 ? newest - MIN(t->keep, (cap - 1) * t->step) : newest + 1;
    for (guint i = 0; i < ids->len; i++) {
        gint64 id = g_array_index(ids, gint64, i);
        sqlite3_bind_int64(w->trim, 1, id);
        sqlite3_bind_int(w->trim, 2, tier);
        sqlite3_bind_int64(w->trim, 3, oldest);
        sqlite3_bind_int64(w->trim_ahead, 1, id);
        sqlite3_bind_int(w->trim_ahead, 2, tier);
        sqlite3_bind_int64(w->trim_ahead, 3, newest);
        if (!step_done(w, w->trim, "trimming metric history", error) ||
            !step_done(w, w->trim_ahead, "trimming metric history", error))
            return FALSE;
    }
    return TRUE;
}

static GArray *all_series(DbStatsWriter *w, GError **error)
{
    g_autoptr(sqlite3_stmt) st = own_series(w, error);
    if (!st)
        return NULL;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(st, 0);
        g_array_append_val(ids, id);
    }
    if (rc != SQLITE_DONE) {
        db_set_error(error, w->db, "reading metric series");
        return NULL;
    }
    return g_steal_pointer(&ids);
}

/* One number from `sql`; the caller holds the lock. */
static gint64 count_locked(Db *db, const char *sql, GError **error)
{
    g_autoptr(sqlite3_stmt) st = db_prepare(db, error, sql, NULL);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        db_set_error(error, db, "counting metric history");
        return -1;
    }
    return sqlite3_column_int64(st, 0);
}

static gboolean add_locked(DbStatsWriter *w, gint64 ts, const DbStatsPoint *points, guint n,
                           const char *const *alive, gint64 *n_series, GError **error)
{
    if (alive) {
        g_autofree char *sig = signature(alive);
        if (g_strcmp0(sig, w->alive_sig) != 0) {
            if (!prune_gone(w, alive, error))
                return FALSE;
            g_free(w->alive_sig);
            w->alive_sig = g_steal_pointer(&sig);
        }
    }
    for (guint i = 0; i < n; i++)
        if (!add_point(w, ts, &points[i], error))
            return FALSE;
    /* Every host's series share the bound; each writer trims its own. */
    g_autoptr(GArray) ids = all_series(w, error);
    gint64 total = ids ? count_locked(w->db, "SELECT count(*) FROM stats_series", error) : -1;
    if (total < 0)
        return FALSE;
    gboolean resized = total != w->n_series;
    for (int t = 0; t < DB_STATS_TIERS; t++) {
        gint64 bucket = ts - ts % w->policy.tiers[t].step;
        if (!resized && bucket == w->bucket[t])
            continue;
        gint64 cap = db_stats_tier_cap(&w->policy, t, (guint)total);
        if (!trim_tier(w, t, ts, ids, cap, error))
            return FALSE;
    }
    *n_series = total;
    return TRUE;
}

gboolean db_stats_writer_add(DbStatsWriter *w, gint64 ts, const DbStatsPoint *points, guint n,
                             const char *const *alive, GError **error)
{
    DB_LOCK(w->db);
    if (!prepare(w, error) || !db_begin(w->db, error))
        return FALSE;
    gint64 n_series = -1;
    gboolean ok = add_locked(w, ts, points, n, alive, &n_series, error);
    if (!db_finish(w->db, ok, ok ? error : NULL)) {
        /* A rolled-back unit may have made series ids that do not exist. */
        g_hash_table_remove_all(w->ids);
        g_clear_pointer(&w->alive_sig, g_free);
        return FALSE;
    }
    w->n_series = n_series;
    for (int t = 0; t < DB_STATS_TIERS; t++)
        w->bucket[t] = ts - ts % w->policy.tiers[t].step;
    return TRUE;
}

GArray *db_stats_read(Db *db, const char *key, int tier, gint64 from, gint64 to, GError **error)
{
    DB_LOCK(db);
    GString *sql = g_string_new("SELECT s.ts, s.n");
    for (int i = 0; i < DB_STAT_COUNT; i++)
        g_string_append_printf(sql, ", s.%s, s.%s_max", columns[i], columns[i]);
    g_string_append(sql, " FROM stats s JOIN stats_series k ON k.id = s.series "
                         "WHERE k.key = ?1 AND s.tier = ?2 AND s.ts BETWEEN ?3 AND ?4 "
                         "ORDER BY s.ts");
    g_autoptr(sqlite3_stmt)
        st = db_prepare(db, error, sql->str, "tiii", key, (gint64)tier, from, to);
    g_string_free(sql, TRUE);
    if (!st)
        return NULL;
    g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(DbStatsRow));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        DbStatsRow r = {.ts = sqlite3_column_int64(st, 0), .n = sqlite3_column_int64(st, 1)};
        for (int i = 0; i < DB_STAT_COUNT; i++) {
            int a = 2 + 2 * i;
            r.avg[i] = sqlite3_column_type(st, a) == SQLITE_NULL ? DB_STAT_NONE
                                                                 : sqlite3_column_int64(st, a);
            r.max[i] = sqlite3_column_type(st, a + 1) == SQLITE_NULL
                           ? DB_STAT_NONE
                           : sqlite3_column_int64(st, a + 1);
        }
        g_array_append_val(rows, r);
    }
    if (rc != SQLITE_DONE) {
        db_set_error(error, db, "reading metric history");
        return NULL;
    }
    return g_steal_pointer(&rows);
}

static gint64 count(Db *db, const char *sql, GError **error)
{
    DB_LOCK(db);
    return count_locked(db, sql, error);
}

gint64 db_stats_row_count(Db *db, GError **error)
{
    return count(db, "SELECT count(*) FROM stats", error);
}

gint64 db_stats_series_count(Db *db, GError **error)
{
    return count(db, "SELECT count(*) FROM stats_series", error);
}
