/* The libvirt floor for GET /api/vms: the same bulk listing vireod does per
 * request (two ListAllDomains + one GetAllDomainStats), timed in a loop on
 * one connection, so the API's own cost can be told apart from libvirt's.
 * Also times the naive one-RPC-per-VM-per-field listing, for comparison.
 *
 * Usage: floor [-c URI] [-n BULK_ITERS] [-m NAIVE_ITERS] [-w WARMUP] [-e]
 * -e: run libvirt's default event loop on a thread, with keepalive, as
 * vireod does (its remote client then updates the loop around every RPC).
 * Prints one "key=value" per line (times in ms) for tests/bench/run.sh. */
#define _GNU_SOURCE
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <glib.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted sample. */
static double percentile(const double *sorted, int n, double p)
{
    int rank = (int)(p / 100.0 * n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static void quiet(void *data, virErrorPtr e)
{
    (void)data;
    (void)e;
}

static void die(const char *what)
{
    const char *msg = virGetLastErrorMessage();
    fprintf(stderr, "floor: %s: %s\n", what, msg ? msg : "unknown error");
    exit(1);
}

/* Counts what vireod cares about, so the compiler cannot drop the reads. */
typedef struct {
    int domains;
    int missing_stats;   /* records without vcpu or balloon fields */
    unsigned long checksum;
} Tally;

/* Lists the UUIDs matching `flags`, reads each one and frees everything. */
static int list_uuids(virConnectPtr conn, unsigned flags, Tally *t)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, flags);
    if (n < 0)
        die("virConnectListAllDomains");
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDString(doms[i], uuid) == 0)
            t->checksum += (unsigned char)uuid[0];
        virDomainFree(doms[i]);
    }
    free(doms);
    return n;
}

static void bulk_once(virConnectPtr conn, Tally *t)
{
    list_uuids(conn, VIR_CONNECT_LIST_DOMAINS_AUTOSTART, t);
    list_uuids(conn, VIR_CONNECT_LIST_DOMAINS_TRANSIENT, t);
    virDomainStatsRecordPtr *recs = NULL;
    unsigned stats = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_VCPU | VIR_DOMAIN_STATS_BALLOON;
    int n = virConnectGetAllDomainStats(conn, stats, &recs,
                                        VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    if (n < 0)
        die("virConnectGetAllDomainStats");
    t->domains = n;
    t->missing_stats = 0;
    for (int i = 0; i < n; i++) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        const char *name = virDomainGetName(recs[i]->dom);
        if (virDomainGetUUIDString(recs[i]->dom, uuid) == 0 && name)
            t->checksum += (unsigned char)uuid[0] + (unsigned char)name[0];
        int have_vcpu = 0, have_balloon = 0;
        for (int p = 0; p < recs[i]->nparams; p++) {
            const char *f = recs[i]->params[p].field;
            if (strcmp(f, "vcpu.current") == 0)
                have_vcpu = 1;
            else if (strcmp(f, "balloon.current") == 0 || strcmp(f, "balloon.maximum") == 0)
                have_balloon = 1;
        }
        if (!have_vcpu || !have_balloon)
            t->missing_stats++;
    }
    virDomainStatsRecordListFree(recs);
}

/* Another client may undefine a domain between the list and the per-domain
 * calls (other test runs share this libvirtd): that domain is skipped. */
static int gone(void)
{
    return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN;
}

/* One RPC per VM per field: what the bulk calls replace. */
static void naive_once(virConnectPtr conn, Tally *t)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0)
        die("virConnectListAllDomains");
    for (int i = 0; i < n; i++) {
        virDomainInfo info;
        int autostart = 0, persistent = -1;
        char uuid[VIR_UUID_STRING_BUFLEN];
        char *xml = NULL;
        const char *name = virDomainGetName(doms[i]);
        if (virDomainGetUUIDString(doms[i], uuid) < 0 || !name)
            die("reading name/UUID");
        if (virDomainGetInfo(doms[i], &info) < 0)
            goto failed;
        persistent = virDomainIsPersistent(doms[i]);
        if (persistent < 0)
            goto failed;
        /* Transient domains have no autostart setting: libvirt refuses. */
        if (persistent && virDomainGetAutostart(doms[i], &autostart) < 0)
            goto failed;
        xml = virDomainGetXMLDesc(doms[i], 0);
        if (!xml)
            goto failed;
        t->checksum += info.nrVirtCpu + (unsigned)autostart + strlen(xml) + (unsigned char)uuid[0];
        free(xml);
        virDomainFree(doms[i]);
        continue;
    failed:
        if (!gone())
            die("reading a domain");
        virDomainFree(doms[i]);
    }
    free(doms);
    t->domains = n;
}

static void *event_loop(void *data)
{
    (void)data;
    for (;;)
        if (virEventRunDefaultImpl() < 0)
            usleep(100 * 1000);
    return NULL;
}

static void run(const char *label, void (*once)(virConnectPtr, Tally *), virConnectPtr conn,
                int warmup, int iters, Tally *t)
{
    double *samples = calloc((size_t)iters, sizeof(double));
    if (!samples) {
        fprintf(stderr, "floor: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < warmup; i++)
        once(conn, t);
    double total = 0;
    for (int i = 0; i < iters; i++) {
        double start = now_ms();
        once(conn, t);
        samples[i] = now_ms() - start;
        total += samples[i];
    }
    qsort(samples, (size_t)iters, sizeof(double), cmp_double);
    printf("%s_iters=%d\n", label, iters);
    printf("%s_median_ms=%.3f\n", label, percentile(samples, iters, 50));
    printf("%s_p99_ms=%.3f\n", label, percentile(samples, iters, 99));
    printf("%s_mean_ms=%.3f\n", label, total / iters);
    printf("%s_min_ms=%.3f\n", label, samples[0]);
    printf("%s_p10_ms=%.3f\n", label, percentile(samples, iters, 10));
    printf("%s_p90_ms=%.3f\n", label, percentile(samples, iters, 90));
    free(samples);
}

/* A count from the command line; -1 when it is not a whole number. */
static int count_arg(const char *text)
{
    guint64 n;
    return g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT, &n, NULL) ? (int)n : -1;
}

int main(int argc, char **argv)
{
    const char *uri = "qemu:///system";
    int bulk_iters = 300, naive_iters = 20, warmup = 10, with_loop = 0;
    int opt;
    while ((opt = getopt(argc, argv, "c:n:m:w:e")) != -1) {
        switch (opt) {
        case 'c': uri = optarg; break;
        case 'n': bulk_iters = count_arg(optarg); break;
        case 'm': naive_iters = count_arg(optarg); break;
        case 'w': warmup = count_arg(optarg); break;
        case 'e': with_loop = 1; break;
        default:
            fprintf(stderr, "usage: %s [-c URI] [-n BULK_ITERS] [-m NAIVE_ITERS] [-w WARMUP] [-e]\n",
                    argv[0]);
            return 2;
        }
    }
    if (bulk_iters < 1 || naive_iters < 0 || warmup < 0) {
        fprintf(stderr, "floor: iteration counts must be positive\n");
        return 2;
    }
    virSetErrorFunc(NULL, quiet);
    pthread_t loop;
    if (with_loop) {
        if (virEventRegisterDefaultImpl() < 0)
            die("virEventRegisterDefaultImpl");
        if (pthread_create(&loop, NULL, event_loop, NULL) != 0) {
            fprintf(stderr, "floor: cannot start the event loop thread\n");
            return 1;
        }
    }
    virConnectPtr conn = virConnectOpen(uri);
    if (!conn)
        die(uri);
    if (with_loop && virConnectSetKeepAlive(conn, 5, 3) < 0)
        die("virConnectSetKeepAlive");
    /* CPU time of the whole process (all threads) per bulk list. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);

    Tally t = {0};
    run("bulk", bulk_once, conn, warmup, bulk_iters, &t);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("bulk_cpu_us=%.1f\n", ((double)(c1.tv_sec - c0.tv_sec) * 1e6 +
                                  (double)(c1.tv_nsec - c0.tv_nsec) / 1e3) / (bulk_iters + warmup));
    printf("domains=%d\n", t.domains);
    printf("missing_stats=%d\n", t.missing_stats);
    if (naive_iters > 0) {
        Tally tn = {0};
        run("naive", naive_once, conn, warmup > 2 ? 2 : warmup, naive_iters, &tn);
        t.checksum += tn.checksum;
    }
    printf("checksum=%lu\n", t.checksum);
    /* What a libvirt client costs in memory on its own: the baseline for
     * vireod's RSS (most of it is libvirt's shared libraries). */
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long kib;
        if (sscanf(line, "VmRSS: %lu", &kib) == 1)
            printf("rss_kib=%lu\n", kib);
        else if (sscanf(line, "VmHWM: %lu", &kib) == 1)
            printf("hwm_kib=%lu\n", kib);
        else if (sscanf(line, "RssAnon: %lu", &kib) == 1)
            printf("rss_anon_kib=%lu\n", kib);
        else if (sscanf(line, "RssFile: %lu", &kib) == 1)
            printf("rss_file_kib=%lu\n", kib);
    }
    if (f)
        fclose(f);
    virConnectClose(conn);
    return 0;
}
