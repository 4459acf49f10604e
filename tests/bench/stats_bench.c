/* Benchmarks of the sampler (a benchmark, not a test: nothing passes or
 * fails on a number). Built from the same objects as vireod.
 *
 *   stats-bench sample -c URI -n N   N samples of every VM and the host as
 *       the sampler takes them (virt_stats_sample, the figures, the history
 *       write into a scratch database): wall time and CPU per sample.
 *   stats-bench write -v VMS -n N    N history writes of VMS running VMs
 *       (synthetic figures) through db_stats_writer_add.
 *   stats-bench year -v VMS -d DIR   a simulated year of VMS running VMs
 *       written through db_stats_writer_add into DIR/year.db: its size.
 *
 * Output: key=value lines, for tests/bench/run.sh. */
#include "db/db_private.h"
#include "db/db_stats.h"
#include "virt/virt_conn.h"
#include "virt/virt_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static double cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    int i = (int)ceil(p * n) - 1;
    return v[CLAMP(i, 0, n - 1)];
}

static Db *scratch_db(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *wal = g_strconcat(path, "-wal", NULL);
    g_autofree char *shm = g_strconcat(path, "-shm", NULL);
    unlink(path);
    unlink(wal);
    unlink(shm);
    g_autoptr(GError) error = NULL;
    Db *db = db_open(path, &error);
    if (!db) {
        fprintf(stderr, "stats-bench: %s\n", error->message);
        exit(1);
    }
    return db;
}

/* What the sampler stores of a sample (api/stats/api_sampler.c's point_of). */
static DbStatsPoint point_of(const char *key, const VirtStatsFigures *f)
{
    DbStatsPoint p = {.key = key};
    for (int i = 0; i < DB_STAT_COUNT; i++) {
        double v = f->v[i];
        p.v[i] = isnan(v) ? DB_STAT_NONE
                          : (gint64)llround(i == DB_STAT_CPU || i == DB_STAT_CPU_VCPUS ? v * 100 : v);
    }
    return p;
}

static int bench_sample(const char *uri, int n, const char *dir)
{
    virt_init();
    virConnectPtr conn = virConnectOpen(uri);
    if (!conn) {
        fprintf(stderr, "stats-bench: cannot connect to %s\n", uri);
        return 1;
    }
    g_autoptr(Db) db = scratch_db(dir, "sample.db");
    DbStatsPolicy policy;
    db_stats_policy_init(&policy, 5, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(db, &policy);
    g_autofree double *wall = g_new0(double, n);
    g_autofree double *sample_only = g_new0(double, n);
    VirtStatsSample *prev = NULL;
    guint vms = 0, running = 0;
    double cpu0 = cpu_us();
    gint64 ts = g_get_real_time() / G_USEC_PER_SEC;
    for (int i = 0; i < n; i++) {
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(GError) error = NULL;
        VirtStatsSample *cur = virt_stats_sample(conn, TRUE, &error);
        if (!cur) {
            fprintf(stderr, "stats-bench: sample: %s\n", error->message);
            return 1;
        }
        gint64 t1 = g_get_monotonic_time();
        g_autoptr(GArray) points = g_array_new(FALSE, FALSE, sizeof(DbStatsPoint));
        g_autoptr(GPtrArray) alive = g_ptr_array_new();
        VirtStatsFigures host;
        virt_stats_host_figures(prev, cur, 30 * G_USEC_PER_SEC, &host);
        if (host.complete) {
            DbStatsPoint p = point_of("host", &host);
            g_array_append_val(points, p);
        }
        g_ptr_array_add(alive, (gpointer) "host");
        running = 0;
        for (guint j = 0; j < cur->vms->len; j++) {
            const VirtStatsVm *vm = g_ptr_array_index(cur->vms, j);
            g_ptr_array_add(alive, (gpointer)vm->uuid);
            if (vm->id <= 0)
                continue;
            running++;
            const VirtStatsVm *old = NULL;
            for (guint k = 0; prev && k < prev->vms->len && !old; k++)
                if (strcmp(((VirtStatsVm *)g_ptr_array_index(prev->vms, k))->uuid, vm->uuid) == 0)
                    old = g_ptr_array_index(prev->vms, k);
            VirtStatsFigures f;
            virt_stats_vm_figures(old, vm, cur->cpus, 30 * G_USEC_PER_SEC, &f);
            if (f.complete) {
                DbStatsPoint p = point_of(vm->uuid, &f);
                g_array_append_val(points, p);
            }
        }
        g_ptr_array_add(alive, NULL);
        /* A sample's time as the sampler would have it, 5 s apart. */
        if (!db_stats_writer_add(w, ts + 5 * i, (DbStatsPoint *)(void *)points->data,
                                 points->len, (const char *const *)alive->pdata, &error)) {
            fprintf(stderr, "stats-bench: write: %s\n", error->message);
            return 1;
        }
        wall[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
        sample_only[i] = (double)(t1 - t0) / 1000.0;
        vms = cur->vms->len;
        virt_stats_sample_free(prev);
        prev = cur;
    }
    double cpu = (cpu_us() - cpu0) / n;
    virt_stats_sample_free(prev);
    virConnectClose(conn);
    printf("vms=%u\nrunning=%u\nsamples=%d\n", vms, running, n);
    printf("sample_median_ms=%.3f\nsample_p99_ms=%.3f\n", percentile(sample_only, n, 0.5),
           percentile(sample_only, n, 0.99));
    printf("total_median_ms=%.3f\ntotal_p99_ms=%.3f\n", percentile(wall, n, 0.5),
           percentile(wall, n, 0.99));
    printf("cpu_us_per_sample=%.0f\n", cpu);
    return 0;
}

/* Synthetic but realistic figures: a few percent of CPU, GiBs of memory,
 * MB/s of disk, hundreds of kB/s of network, varying from sample to sample. */
static void synthetic(GRand *r, DbStatsPoint *p, const char *key)
{
    p->key = key;
    p->v[DB_STAT_CPU] = g_rand_int_range(r, 0, 5000);
    p->v[DB_STAT_CPU_VCPUS] = g_rand_int_range(r, 0, 10000);
    p->v[DB_STAT_MEM_TOTAL] = 4 * 1024 * 1024;
    p->v[DB_STAT_MEM_USED] = g_rand_int_range(r, 512 * 1024, 4 * 1024 * 1024);
    p->v[DB_STAT_DISK_READ] = g_rand_int_range(r, 0, 50 * 1000 * 1000);
    p->v[DB_STAT_DISK_WRITE] = g_rand_int_range(r, 0, 20 * 1000 * 1000);
    p->v[DB_STAT_NET_RX] = g_rand_int_range(r, 0, 1000 * 1000);
    p->v[DB_STAT_NET_TX] = g_rand_int_range(r, 0, 1000 * 1000);
}

typedef struct {
    int vms;
    char **keys;            /* the VMs' UUIDs, then "host", then NULL */
    DbStatsPoint *points;
    GRand *rand;
} Fleet;

static void fleet_init(Fleet *f, int vms)
{
    f->vms = vms;
    f->keys = g_new0(char *, vms + 2);
    for (int i = 0; i < vms; i++)
        f->keys[i] = g_strdup_printf("%08x-b00c-4000-8000-%012x", 0x5eed0000 + i, i);
    f->keys[vms] = g_strdup("host");
    f->points = g_new0(DbStatsPoint, vms + 1);
    f->rand = g_rand_new_with_seed(7);
}

static void fleet_clear(Fleet *f)
{
    g_strfreev(f->keys);
    g_free(f->points);
    g_rand_free(f->rand);
}

static gboolean fleet_sample(Fleet *f, DbStatsWriter *w, gint64 ts, GError **error)
{
    for (int i = 0; i <= f->vms; i++) {
        synthetic(f->rand, &f->points[i], f->keys[i]);
        if (i == f->vms)
            f->points[i].v[DB_STAT_CPU_VCPUS] = DB_STAT_NONE;
    }
    return db_stats_writer_add(w, ts, f->points, (guint)f->vms + 1, (const char *const *)f->keys,
                               error);
}

static int bench_write(int vms, int n, const char *dir)
{
    g_autoptr(Db) db = scratch_db(dir, "write.db");
    DbStatsPolicy policy;
    db_stats_policy_init(&policy, 5, 256);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(db, &policy);
    Fleet f;
    fleet_init(&f, vms);
    g_autofree double *wall = g_new0(double, n);
    gint64 ts = 1700000000;
    g_autoptr(GError) error = NULL;
    double cpu0 = 0;
    /* A first hour, so that the trims have rows to look at. */
    for (int i = 0; i < 720; i++, ts += 5)
        if (!fleet_sample(&f, w, ts, &error))
            goto fail;
    cpu0 = cpu_us();
    for (int i = 0; i < n; i++, ts += 5) {
        gint64 t0 = g_get_monotonic_time();
        if (!fleet_sample(&f, w, ts, &error))
            goto fail;
        wall[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
    }
    printf("vms=%d\nwrites=%d\nwrite_median_ms=%.3f\nwrite_p99_ms=%.3f\ncpu_us_per_write=%.0f\n",
           vms, n, percentile(wall, n, 0.5), percentile(wall, n, 0.99), (cpu_us() - cpu0) / n);
    fleet_clear(&f);
    return 0;
fail:
    fprintf(stderr, "stats-bench: write: %s\n", error->message);
    return 1;
}

static gint64 query_int(Db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    gint64 v = -1;
    if (sqlite3_prepare_v2(db->handle, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A year, fed in phases so that it runs in a minute, not in days: one
 * sample an hour for the first 335 days, then one every 10 min, one a
 * minute in the last day, one every 5 s in the last hour. Every tier ends
 * with every bucket a real year leaves it (an hour of 5 s buckets, a day
 * of minutes, 30 days of 10 min, a year of hours); only how many samples
 * each bucket averaged differs, which changes no stored value's size but
 * the sample count's (one byte at most). */
static int bench_year(int vms, const char *dir, guint max_mib)
{
    g_autoptr(Db) db = scratch_db(dir, "year.db");
    /* Only to run faster: neither changes what is stored. */
    db_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144", NULL);
    DbStatsPolicy policy;
    db_stats_policy_init(&policy, 5, max_mib);
    g_autoptr(DbStatsWriter) w = db_stats_writer_new(db, &policy);
    Fleet f;
    fleet_init(&f, vms);
    g_autoptr(GError) error = NULL;
    const gint64 end = 1735689600 + 365 * 86400;   /* 2026-01-01 */
    const gint64 start = end - 365 * 86400;
    const struct {
        gint64 until, every;
    } phases[] = {
        {end - 30 * 86400, 3600},
        {end - 86400, 600},
        {end - 3600, 60},
        {end, 5},
    };
    gint64 t0 = g_get_monotonic_time();
    int samples = 0;
    gint64 ts = start;
    for (gsize ph = 0; ph < G_N_ELEMENTS(phases); ph++)
        for (; ts < phases[ph].until; ts += phases[ph].every, samples++)
            if (!fleet_sample(&f, w, ts, &error)) {
                fprintf(stderr, "stats-bench: year: %s\n", error->message);
                return 1;
            }
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    /* A year in, with vireod's own settings again: what one more sample's
     * write costs when the history is full. */
    db_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-2000", NULL);
    enum { STEADY = 200 };
    double steady[STEADY];
    double cpu0 = cpu_us();
    for (int i = 0; i < STEADY; i++, ts += 5) {
        gint64 w0 = g_get_monotonic_time();
        if (!fleet_sample(&f, w, ts, &error)) {
            fprintf(stderr, "stats-bench: year: %s\n", error->message);
            return 1;
        }
        steady[i] = (double)(g_get_monotonic_time() - w0) / 1000.0;
    }
    double steady_cpu = (cpu_us() - cpu0) / STEADY;
    db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
    gint64 rows = db_stats_row_count(db, NULL);
    gint64 page = query_int(db, "PRAGMA page_size");
    gint64 pages = query_int(db, "PRAGMA page_count");
    gint64 free_pages = query_int(db, "PRAGMA freelist_count");
    gint64 table = query_int(db, "SELECT sum(pgsize) FROM dbstat WHERE name IN ('stats', "
                                 "'stats_series', 'sqlite_autoindex_stats_series_1')");
    g_autofree char *path = g_build_filename(dir, "year.db", NULL);
    printf("vms=%d\nmax_mib=%u\nsamples=%d\nseconds=%.1f\nrows=%" G_GINT64_FORMAT "\n", vms,
           max_mib, samples, secs, rows);
    printf("row_bound=%" G_GINT64_FORMAT "\n", policy.max_rows);
    printf("steady_write_median_ms=%.3f\nsteady_write_p99_ms=%.3f\nsteady_cpu_us_per_write=%.0f\n",
           percentile(steady, STEADY, 0.5), percentile(steady, STEADY, 0.99), steady_cpu);
    printf("file_bytes=%" G_GINT64_FORMAT "\nfree_bytes=%" G_GINT64_FORMAT "\n", page * pages,
           page * free_pages);
    printf("history_bytes=%" G_GINT64_FORMAT "\nbytes_per_row=%.1f\n", table,
           rows > 0 ? (double)table / (double)rows : 0.0);
    for (int t = 0; t < DB_STATS_TIERS; t++) {
        g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM stats WHERE tier = %d", t);
        printf("tier%d_rows=%" G_GINT64_FORMAT "\n", t, query_int(db, sql));
    }
    fleet_clear(&f);
    return 0;
}

/* A whole number from 1 to G_MAXINT, or exits naming it. */
static int count_arg(const char *text)
{
    guint64 v;
    g_autoptr(GError) error = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT, &v, &error)) {
        fprintf(stderr, "stats-bench: %s\n", error->message);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: stats-bench sample|write|year [-c URI] [-n N] [-v VMS] [-d DIR] [-m MIB]\n");
        return 2;
    }
    const char *mode = argv[1];
    const char *uri = "qemu:///system";
    const char *dir = "/tmp";
    int n = 50, vms = 100;
    guint mib = 256;
    int opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "c:n:v:d:m:")) != -1) {
        switch (opt) {
        case 'c': uri = optarg; break;
        case 'n': n = count_arg(optarg); break;
        case 'v': vms = count_arg(optarg); break;
        case 'd': dir = optarg; break;
        case 'm': mib = (guint)count_arg(optarg); break;
        default: return 2;
        }
    }
    if (n < 1 || vms < 1)
        return 2;
    if (strcmp(mode, "sample") == 0)
        return bench_sample(uri, n, dir);
    if (strcmp(mode, "write") == 0)
        return bench_write(vms, n, dir);
    if (strcmp(mode, "year") == 0)
        return bench_year(vms, dir, mib);
    fprintf(stderr, "stats-bench: unknown mode %s\n", mode);
    return 2;
}
