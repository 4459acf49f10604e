/* Metric history: one series per key (a host, each VM by UUID), kept in
 * downsampling tiers (each a bucket size and an age) under a hard bound on
 * rows. Every sample is averaged into its bucket of every tier at once, so
 * each range answers up to the last sample. Why it is built so:
 * docs/stats.md. */
#pragma once
#include "db/db.h"

/* The figures of a point, in the units they are stored in. */
typedef enum {
    DB_STAT_CPU,        /* hundredths of a percent of the host's CPUs */
    DB_STAT_CPU_VCPUS,  /* hundredths of a percent of the VM's vCPUs */
    DB_STAT_MEM_USED,   /* KiB */
    DB_STAT_MEM_TOTAL,  /* KiB */
    DB_STAT_DISK_READ,  /* bytes/s */
    DB_STAT_DISK_WRITE, /* bytes/s */
    DB_STAT_NET_RX,     /* bytes/s */
    DB_STAT_NET_TX,     /* bytes/s */
    DB_STAT_COUNT,
} DbStat;

/* A figure the series does not have (the host has no vCPUs; a remote
 * host's disks are not known). */
#define DB_STAT_NONE G_MININT64

/* One series' figures at one sample time. */
typedef struct {
    const char *key;
    gint64 v[DB_STAT_COUNT];
} DbStatsPoint;

#define DB_STATS_TIERS 4

typedef struct {
    gint64 step; /* bucket size, seconds */
    gint64 keep; /* age kept, seconds */
} DbStatsTier;

typedef struct {
    DbStatsTier tiers[DB_STATS_TIERS];
    gint64 max_rows; /* rows of the whole history at most (DB_STATS_ROW_BYTES each) */
} DbStatsPolicy;

/* Bytes a row is counted as when a size bound becomes a row bound. Rows
 * with real figures take 85-90 bytes in the file, B-tree pages included
 * (`make bench` and test_db_stats measure it with sqlite's dbstat); the
 * margin is for larger figures and emptier pages (docs/stats.md). */
#define DB_STATS_ROW_BYTES 128

/* 5 s (or the sample interval, when longer) for an hour, 1 min for a day,
 * 10 min for 30 days, 1 h for 365 days; `max_mib` of rows. */
void db_stats_policy_init(DbStatsPolicy *p, guint interval_s, guint max_mib);
/* The rows one series keeps in `tier` when `n_series` series share the
 * bound: every bucket of the tier's age while they fit, else the same
 * share of each tier for every series. */
gint64 db_stats_tier_cap(const DbStatsPolicy *p, int tier, guint n_series);
/* The tier that answers a range of `seconds`: the finest that keeps it. */
int db_stats_tier_for(const DbStatsPolicy *p, gint64 seconds);

/* Writes samples; holds prepared statements and what it last did (the
 * bucket each tier was in, the series alive), so it has one user. */
typedef struct DbStatsWriter DbStatsWriter;

/* The local host's writer; _for_host: host `host`'s (its inventory id; 0
 * is the local host). Each host's series are its own: pruning "gone" keys
 * and trimming touch only them, while the row bound counts every host's. */
DbStatsWriter *db_stats_writer_new(Db *db, const DbStatsPolicy *p);
DbStatsWriter *db_stats_writer_new_for_host(Db *db, const DbStatsPolicy *p, gint64 host);
/* The key a series of host `host` (0: local) is stored and read under:
 * the local host's are plain ("host", a VM's UUID), another's are
 * prefixed with its id, so the same UUID on two hosts (a VM between two)
 * is two series. */
char *db_stats_key(gint64 host, const char *key);
void db_stats_writer_free(DbStatsWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DbStatsWriter, db_stats_writer_free)

/* One sample at `ts` (unix seconds), in one transaction: each point is
 * averaged into its bucket of every tier (its maximum kept beside); when a
 * tier enters a new bucket, or the number of series changes, every
 * series' rows of that tier older than its age (or than its cap's worth
 * of buckets) or ahead of `ts` (a clock set back) are deleted. `alive` (may be NULL: unchanged)
 * lists every key that still exists: the other series go with their rows. */
gboolean db_stats_writer_add(DbStatsWriter *w, gint64 ts, const DbStatsPoint *points, guint n,
                             const char *const *alive, GError **error);

typedef struct {
    gint64 ts;                 /* the bucket's start */
    gint64 n;                  /* samples averaged into it */
    gint64 avg[DB_STAT_COUNT]; /* DB_STAT_NONE when the series lacks it */
    gint64 max[DB_STAT_COUNT];
} DbStatsRow;

/* The rows of `key` in `tier` with from <= ts <= to, oldest first
 * (GArray of DbStatsRow); empty for an unknown key. */
GArray *db_stats_read(Db *db, const char *key, int tier, gint64 from, gint64 to, GError **error);
/* Rows in the history (all series, all tiers), and series; -1 on error. */
gint64 db_stats_row_count(Db *db, GError **error);
gint64 db_stats_series_count(Db *db, GError **error);
