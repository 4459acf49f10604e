/* Metric history with synthetic samples: averages and maxima per bucket in
 * every tier, ages per tier, the hard row bound shared by all series, gone
 * series pruned, each host's series its own, a clock set back, figures a
 * series lacks, and the size the bound promises on disk. */
#include "unit_db.h"

#include "db/db_hosts.h"
#include "db/db_private.h"
#include "db/db_stats.h"

typedef struct {
    char *dir;
    char *path;
    Db *db;
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);
    f->db = unit_db_open(&f->dir, &f->path);
    g_autoptr(GError) error = NULL;
    /* Thousands of one-sample transactions: no need to wait for the disk. */
    assert_true(db_exec(f->db, "PRAGMA synchronous=OFF", &error));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    unit_db_close(f->db, f->dir, f->path);
    g_free(f);
    return 0;
}

static DbStatsPoint point(const char *key, gint64 cpu)
{
    DbStatsPoint p = {.key = key};
    for (int i = 0; i < DB_STAT_COUNT; i++)
        p.v[i] = cpu * (i + 1);
    p.v[DB_STAT_CPU] = cpu;
    return p;
}

static void add(DbStatsWriter *w, gint64 ts, const DbStatsPoint *pts, guint n,
                const char *const *alive)
{
    g_autoptr(GError) error = NULL;
    if (!db_stats_writer_add(w, ts, pts, n, alive, &error))
        fail_msg("add at %" G_GINT64_FORMAT ": %s", ts, error->message);
}

static gint64 rows_where(Db *db, const char *where)
{
    g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM stats WHERE %s", where);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db->handle, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    gint64 n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_bucket_average_and_max(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 1, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    /* Four samples a second apart: one 5 s bucket, one 1 min bucket ... */
    const gint64 cpu[] = {100, 200, 301, 400};
    for (int i = 0; i < 4; i++) {
        DbStatsPoint pt = point("vm-a", cpu[i]);
        add(w, 1000 + i, &pt, 1, NULL);
    }
    g_autoptr(GError) error = NULL;
    for (int t = 0; t < DB_STATS_TIERS; t++) {
        g_autoptr(GArray) rows = db_stats_read(f->db, "vm-a", t, 0, 2000, &error);
        assert_non_null(rows);
        assert_int_equal(rows->len, 1);
        const DbStatsRow *r = &g_array_index(rows, DbStatsRow, 0);
        assert_int_equal(r->ts, 1000 - 1000 % p.tiers[t].step);
        assert_int_equal(r->n, 4);
        /* 1001 / 4 = 250.25: the running average, rounded at each step. */
        assert_int_equal(r->avg[DB_STAT_CPU], 250);
        assert_int_equal(r->max[DB_STAT_CPU], 400);
        assert_int_equal(r->avg[DB_STAT_NET_TX], 2002);
        assert_int_equal(r->max[DB_STAT_NET_TX], 3200);
    }
    /* A fifth sample opens the next 5 s bucket only. */
    DbStatsPoint pt = point("vm-a", 10);
    add(w, 1005, &pt, 1, NULL);
    g_autoptr(GArray) fine = db_stats_read(f->db, "vm-a", 0, 0, 2000, &error);
    assert_int_equal(fine->len, 2);
    assert_int_equal(g_array_index(fine, DbStatsRow, 1).avg[DB_STAT_CPU], 10);
    g_autoptr(GArray) coarse = db_stats_read(f->db, "vm-a", 1, 0, 2000, &error);
    assert_int_equal(coarse->len, 1);
    assert_int_equal(g_array_index(coarse, DbStatsRow, 0).n, 5);
    assert_int_equal(g_array_index(coarse, DbStatsRow, 0).avg[DB_STAT_CPU], 202);
    /* Unknown keys and empty ranges answer no rows, not errors. */
    g_autoptr(GArray) none = db_stats_read(f->db, "nobody", 0, 0, 2000, &error);
    assert_non_null(none);
    assert_int_equal(none->len, 0);
}

static void test_long_run_stays_within_each_tier(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 5, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    const char *const alive[] = {"host", NULL};
    gint64 t0 = 1700000000, end = t0 + 3 * 3600;
    for (gint64 ts = t0; ts <= end; ts += 5) {
        DbStatsPoint pt = point("host", ts % 1000);
        add(w, ts, &pt, 1, alive);
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) t0rows = db_stats_read(f->db, "host", 0, 0, G_MAXINT64, &error);
    /* An hour of 5 s buckets, the current one included. */
    assert_int_equal(t0rows->len, 721);
    assert_true(g_array_index(t0rows, DbStatsRow, 0).ts >= end - end % 5 - 3600);
    g_autoptr(GArray) t1rows = db_stats_read(f->db, "host", 1, 0, G_MAXINT64, &error);
    assert_int_equal(t1rows->len, 3 * 60 + 1);
    g_autoptr(GArray) t3rows = db_stats_read(f->db, "host", 3, 0, G_MAXINT64, &error);
    assert_true(t3rows->len == 3 || t3rows->len == 4);
    for (guint i = 0; i < t3rows->len; i++)
        assert_true(g_array_index(t3rows, DbStatsRow, i).n <= 720);
    assert_int_equal(db_stats_tier_for(&p, 3600), 0);
    assert_int_equal(db_stats_tier_for(&p, 3601), 1);
    assert_int_equal(db_stats_tier_for(&p, 86400), 1);
    assert_int_equal(db_stats_tier_for(&p, 30 * 86400), 2);
    assert_int_equal(db_stats_tier_for(&p, 365 * 86400), 3);
    assert_int_equal(db_stats_tier_for(&p, 10 * 365 * 86400), 3);
}

static void test_interval_widens_the_first_tier(void **state)
{
    (void)state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 30, 1);
    assert_int_equal(p.tiers[0].step, 30);
    assert_int_equal(p.tiers[1].step, 60);
    db_stats_policy_init(&p, 3600, 1);
    assert_int_equal(p.tiers[0].step, 60);
    assert_int_equal(p.max_rows, 1024 * 1024 / DB_STATS_ROW_BYTES);
}

static void test_row_bound_is_shared(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 60, 256);
    p.max_rows = 2000;
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    const char *keys[] = {"host", "vm-1", "vm-2", "vm-3", "vm-4"};
    const char *const four[] = {"host", "vm-1", "vm-2", "vm-3", NULL};
    gint64 t0 = 1700000000;
    /* Two days of one sample a minute for four series: far more than
     * 2000 rows' worth. */
    for (gint64 ts = t0; ts < t0 + 2 * 86400; ts += 60) {
        DbStatsPoint pts[4];
        for (int i = 0; i < 4; i++)
            pts[i] = point(keys[i], i);
        add(w, ts, pts, 4, four);
        if ((ts - t0) % 3600 == 0)
            assert_true(rows_where(f->db, "1") <= p.max_rows);
    }
    assert_true(rows_where(f->db, "1") <= p.max_rows);
    for (int t = 0; t < DB_STATS_TIERS; t++) {
        gint64 cap = db_stats_tier_cap(&p, t, 4);
        assert_true(cap < db_stats_tier_cap(&p, t, 1) || t == 0);
        for (int i = 0; i < 4; i++) {
            g_autofree char *where = g_strdup_printf(
                "tier = %d AND series = (SELECT id FROM stats_series WHERE key = '%s')", t,
                keys[i]);
            assert_true(rows_where(f->db, where) <= cap);
        }
    }
    /* Every series got the same share: as many rows each. */
    g_autofree char *first = g_strdup("series = (SELECT id FROM stats_series WHERE key = 'host')");
    g_autofree char *last = g_strdup("series = (SELECT id FROM stats_series WHERE key = 'vm-3')");
    assert_int_equal(rows_where(f->db, first), rows_where(f->db, last));
    /* A fifth VM: everyone's share shrinks in the same transaction. */
    const char *const five[] = {"host", "vm-1", "vm-2", "vm-3", "vm-4", NULL};
    DbStatsPoint pts[5];
    for (int i = 0; i < 5; i++)
        pts[i] = point(keys[i], i);
    add(w, t0 + 2 * 86400, pts, 5, five);
    assert_true(rows_where(f->db, "1") <= p.max_rows);
    g_autoptr(GError) error = NULL;
    assert_int_equal(db_stats_series_count(f->db, &error), 5);
}

static void test_gone_series_pruned(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 5, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    const char *const all[] = {"host", "a", "b", NULL};
    DbStatsPoint pts[] = {point("host", 1), point("a", 2), point("b", 3)};
    add(w, 5000, pts, 3, all);
    assert_int_equal(rows_where(f->db, "1"), 3 * DB_STATS_TIERS);
    /* "b" stopped: no point, but it still exists, so its history stays. */
    add(w, 5005, pts, 2, all);
    assert_int_equal(rows_where(f->db, "1"), 3 * DB_STATS_TIERS + 2);
    /* "a" was undefined: gone with its rows; NULL alive changes nothing. */
    const char *const left[] = {"b", "host", NULL};
    add(w, 5010, pts, 1, left);
    add(w, 5015, pts, 1, NULL);
    g_autoptr(GError) error = NULL;
    assert_int_equal(db_stats_series_count(f->db, &error), 2);
    g_autoptr(GArray) a = db_stats_read(f->db, "a", 0, 0, G_MAXINT64, &error);
    assert_int_equal(a->len, 0);
    g_autoptr(GArray) b = db_stats_read(f->db, "b", 0, 0, G_MAXINT64, &error);
    assert_int_equal(b->len, 1);
    /* A VM that comes back under the same key starts a new series. */
    const char *const again[] = {"a", "b", "host", NULL};
    add(w, 5020, pts, 2, again);
    g_autoptr(GArray) a2 = db_stats_read(f->db, "a", 0, 0, G_MAXINT64, &error);
    assert_int_equal(a2->len, 1);
    assert_int_equal(g_array_index(a2, DbStatsRow, 0).n, 1);
}

static void test_hosts_keep_their_own_series(void **state)
{
    Fixture *f = *state;
    g_autoptr(GError) error = NULL;
    DbHost row = {.name = "b", .uri = "qemu+tcp://b/system"};
    gint64 b = db_host_create(f->db, &row, &error);
    assert_true(b > 0);
    DbStatsPolicy p;
    db_stats_policy_init(&p, 5, 256);
    g_autoptr(DbStatsWriter) local = db_stats_writer_new(f->db, &p);
    g_autoptr(DbStatsWriter) other = db_stats_writer_new_for_host(f->db, &p, b);
    /* The same keys on both (a VM between two hosts has one UUID). */
    const char *const all[] = {"host", "vm", NULL};
    DbStatsPoint pts[] = {point("host", 1), point("vm", 2)};
    DbStatsPoint there[] = {point("host", 30), point("vm", 40)};
    add(local, 5000, pts, 2, all);
    add(other, 5000, there, 2, all);
    assert_int_equal(db_stats_series_count(f->db, &error), 4);
    g_autofree char *b_host = db_stats_key(b, "host");
    g_autofree char *b_vm = db_stats_key(b, "vm");
    g_autofree char *plain = db_stats_key(0, "vm");
    assert_string_equal(plain, "vm");
    g_autoptr(GArray) h0 = db_stats_read(f->db, "host", 0, 0, G_MAXINT64, &error);
    g_autoptr(GArray) hb = db_stats_read(f->db, b_host, 0, 0, G_MAXINT64, &error);
    assert_int_equal(h0->len, 1);
    assert_int_equal(hb->len, 1);
    assert_int_equal(g_array_index(h0, DbStatsRow, 0).avg[DB_STAT_CPU], 1);
    assert_int_equal(g_array_index(hb, DbStatsRow, 0).avg[DB_STAT_CPU], 30);
    /* The VM left the local host: only the local host's series goes. */
    const char *const host_only[] = {"host", NULL};
    add(local, 5005, pts, 1, host_only);
    g_autoptr(GArray) vm0 = db_stats_read(f->db, "vm", 0, 0, G_MAXINT64, &error);
    g_autoptr(GArray) vmb = db_stats_read(f->db, b_vm, 0, 0, G_MAXINT64, &error);
    assert_int_equal(vm0->len, 0);
    assert_int_equal(vmb->len, 1);
    /* And another host's writer never prunes the local host's series. */
    add(other, 5005, there, 1, host_only);
    g_autoptr(GArray) h0_again = db_stats_read(f->db, "host", 0, 0, G_MAXINT64, &error);
    assert_int_equal(h0_again->len, 2);
    assert_int_equal(db_stats_series_count(f->db, &error), 2);
    /* A removed host's history goes with it. */
    assert_true(db_host_delete(f->db, b, &error));
    assert_int_equal(db_stats_series_count(f->db, &error), 1);
    /* Two samples in one bucket of every tier but the 5 s one. */
    assert_int_equal(rows_where(f->db, "1"), DB_STATS_TIERS + 1);
}

static void test_clock_set_back(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 5, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    DbStatsPoint pt = point("host", 50);
    for (gint64 ts = 200000; ts < 200100; ts += 5)
        add(w, ts, &pt, 1, NULL);
    /* The clock jumps back a day: what lies ahead of it would never age
     * out (and would crowd out the new rows under the caps). */
    add(w, 200000 - 86400, &pt, 1, NULL);
    assert_int_equal(rows_where(f->db, "ts > 200000 - 86400"), 0);
    assert_int_equal(rows_where(f->db, "1"), DB_STATS_TIERS);
}

static void test_missing_figures_stay_missing(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 5, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    DbStatsPoint pt = point("host", 7);
    pt.v[DB_STAT_CPU_VCPUS] = DB_STAT_NONE;
    pt.v[DB_STAT_DISK_READ] = DB_STAT_NONE;
    add(w, 100, &pt, 1, NULL);
    add(w, 101, &pt, 1, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) rows = db_stats_read(f->db, "host", 0, 0, 1000, &error);
    const DbStatsRow *r = &g_array_index(rows, DbStatsRow, 0);
    assert_int_equal(r->n, 2);
    assert_true(r->avg[DB_STAT_CPU_VCPUS] == DB_STAT_NONE &&
                r->max[DB_STAT_CPU_VCPUS] == DB_STAT_NONE);
    assert_true(r->avg[DB_STAT_DISK_READ] == DB_STAT_NONE);
    assert_int_equal(r->avg[DB_STAT_CPU], 7);
}

/* The bound in MiB holds on disk: the history's own pages, counted by
 * sqlite's dbstat table where this sqlite has it. */
static void test_size_bound_on_disk(void **state)
{
    Fixture *f = *state;
    DbStatsPolicy p;
    db_stats_policy_init(&p, 60, 1);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(f->db, &p);
    enum { VMS = 10 };
    g_auto(GStrv) keys = g_new0(char *, VMS + 1);
    for (int i = 0; i < VMS; i++)
        keys[i] = g_strdup_printf("%08x-0000-4000-8000-%012d", i, i);
    gint64 t0 = 1700000000;
    /* A month, a sample each 20 minutes: every tier but the minutes
     * reaches its share of the bound. */
    for (gint64 ts = t0; ts < t0 + 30 * 86400; ts += 1200) {
        DbStatsPoint pts[VMS];
        for (int i = 0; i < VMS; i++) {
            /* Realistic magnitudes: MiB of memory, MB/s of disk. */
            pts[i] = point(keys[i], (ts / 60 + i) % 10000);
            pts[i].v[DB_STAT_MEM_USED] = 3000000 + ts % 100000;
            pts[i].v[DB_STAT_MEM_TOTAL] = 4194304;
            pts[i].v[DB_STAT_DISK_READ] = 50000000 + ts % 1000000;
        }
        add(w, ts, pts, VMS, (const char *const *)keys);
    }
    g_autoptr(GError) error = NULL;
    gint64 rows = db_stats_row_count(f->db, &error);
    /* Near the bound (some buckets of the finer tiers got no sample), never
     * over it. */
    assert_true(rows > p.max_rows * 6 / 10 && rows <= p.max_rows);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(f->db->handle,
                           "SELECT sum(pgsize) FROM dbstat WHERE name IN ('stats', 'stats_series', "
                           "'sqlite_autoindex_stats_series_1')",
                           -1, &st, NULL) == SQLITE_OK) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        gint64 bytes = sqlite3_column_int64(st, 0);
        print_message("history: %" G_GINT64_FORMAT " rows in %" G_GINT64_FORMAT
                      " bytes (%.1f a row)\n",
                      rows, bytes, (double)bytes / (double)rows);
        assert_true(bytes <= 1024 * 1024);
    }
    sqlite3_finalize(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bucket_average_and_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_run_stays_within_each_tier, setup, teardown),
        cmocka_unit_test(test_interval_widens_the_first_tier),
        cmocka_unit_test_setup_teardown(test_row_bound_is_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_series_pruned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hosts_keep_their_own_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_set_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_figures_stay_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_bound_on_disk, setup, teardown),
    };
    return cmocka_run_group_tests_name("db_stats", tests, NULL, NULL);
}
