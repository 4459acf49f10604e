/* The libvirt floor for GET /api/vms: the same bulk listing vireod does per
 * request (two ListAllDomains + one GetAllDomainStats), timed in a loop on
 * one connection, so the API's own cost can be told apart from libvirt's.
 * Also times the naive one-RPC-per-VM-per-field listing, for comparison.
 * With several hosts (-c given more than once) one list is that bulk
 * listing on every host, all hosts at once (a thread each; -s: one after
 * another), as a client that lists many hosts at best would.
 *
 * Usage: floor [-c URI]... [-n BULK_ITERS] [-m NAIVE_ITERS] [-w WARMUP] [-e]
 *              [-s] [-j CLIENTS]
 * -e: run libvirt's default event loop on a thread, with keepalive, as
 * vireod does (its remote client then updates the loop around every RPC).
 * -j: that many clients list at the same time, each with connections of
 * its own (lists_per_s is then theirs together).
 * Prints one "key=value" per line (times in ms) for tests/bench/run.sh and
 * tests/bench/hosts-list.sh. */
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
    int missing_stats; /* records without vcpu or balloon fields */
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

#define MAX_HOSTS 32
#define MAX_CLIENTS 64

/* One client of the floor: a connection to every host, and what it read
 * from each. */
typedef struct {
    virConnectPtr conns[MAX_HOSTS];
    Tally tally[MAX_HOSTS];
    int n;
    int sequential; /* the hosts one after another rather than at once */
} Client;

typedef struct {
    virConnectPtr conn;
    Tally *tally;
} HostJob;

static void *host_job(void *data)
{
    HostJob *j = data;
    bulk_once(j->conn, j->tally);
    return NULL;
}

/* One list of every host of the client. */
static void bulk_all(Client *c)
{
    if (c->n == 1 || c->sequential) {
        for (int i = 0; i < c->n; i++)
            bulk_once(c->conns[i], &c->tally[i]);
        return;
    }
    pthread_t threads[MAX_HOSTS];
    HostJob jobs[MAX_HOSTS];
    for (int i = 1; i < c->n; i++) {
        jobs[i] = (HostJob){c->conns[i], &c->tally[i]};
        if (pthread_create(&threads[i], NULL, host_job, &jobs[i]) != 0) {
            fprintf(stderr, "floor: cannot start a thread\n");
            exit(1);
        }
    }
    bulk_once(c->conns[0], &c->tally[0]);
    for (int i = 1; i < c->n; i++)
        pthread_join(threads[i], NULL);
}

static void naive_first(Client *c)
{
    naive_once(c->conns[0], &c->tally[0]);
}

static void *event_loop(void *data)
{
    (void)data;
    for (;;)
        if (virEventRunDefaultImpl() < 0)
            usleep(100 * 1000);
    return NULL;
}

/* One client's loop: warm-up, then (once every client is ready) the timed
 * lists. */
typedef struct {
    Client *client;
    void (*once)(Client *);
    int warmup, iters;
    double *samples;
    pthread_barrier_t *ready;
} Loop;

static void *loop_run(void *data)
{
    Loop *l = data;
    for (int i = 0; i < l->warmup; i++)
        l->once(l->client);
    pthread_barrier_wait(l->ready);
    for (int i = 0; i < l->iters; i++) {
        double start = now_ms();
        l->once(l->client);
        l->samples[i] = now_ms() - start;
    }
    return NULL;
}

static void run(const char *label, void (*once)(Client *), Client *clients, int nclients,
                int warmup, int iters)
{
    int total_n = iters * nclients;
    double *samples = calloc((size_t)total_n, sizeof(double));
    if (!samples) {
        fprintf(stderr, "floor: out of memory\n");
        exit(1);
    }
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)nclients + 1);
    pthread_t threads[MAX_CLIENTS];
    Loop loops[MAX_CLIENTS];
    for (int c = 0; c < nclients; c++) {
        loops[c] = (Loop){&clients[c], once, warmup, iters, samples + (size_t)c * iters, &ready};
        if (pthread_create(&threads[c], NULL, loop_run, &loops[c]) != 0) {
            fprintf(stderr, "floor: cannot start a thread\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&ready);
    double began = now_ms();
    for (int c = 0; c < nclients; c++)
        pthread_join(threads[c], NULL);
    double wall = now_ms() - began;
    pthread_barrier_destroy(&ready);
    double total = 0;
    for (int i = 0; i < total_n; i++)
        total += samples[i];
    qsort(samples, (size_t)total_n, sizeof(double), cmp_double);
    printf("%s_iters=%d\n", label, total_n);
    printf("%s_median_ms=%.3f\n", label, percentile(samples, total_n, 50));
    printf("%s_p95_ms=%.3f\n", label, percentile(samples, total_n, 95));
    printf("%s_p99_ms=%.3f\n", label, percentile(samples, total_n, 99));
    printf("%s_mean_ms=%.3f\n", label, total / total_n);
    printf("%s_min_ms=%.3f\n", label, samples[0]);
    printf("%s_p10_ms=%.3f\n", label, percentile(samples, total_n, 10));
    printf("%s_p90_ms=%.3f\n", label, percentile(samples, total_n, 90));
    printf("%s_lists_per_s=%.1f\n", label, wall > 0 ? total_n * 1000.0 / wall : 0);
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
    const char *uris[MAX_HOSTS];
    int nuris = 0;
    int bulk_iters = 300, naive_iters = 20, warmup = 10, with_loop = 0, sequential = 0;
    int nclients = 1;
    int opt;
    while ((opt = getopt(argc, argv, "c:n:m:w:esj:")) != -1) {
        switch (opt) {
        case 'c':
            if (nuris == MAX_HOSTS) {
                fprintf(stderr, "floor: at most %d hosts\n", MAX_HOSTS);
                return 2;
            }
            uris[nuris++] = optarg;
            break;
        case 'n': bulk_iters = count_arg(optarg); break;
        case 'm': naive_iters = count_arg(optarg); break;
        case 'w': warmup = count_arg(optarg); break;
        case 'e': with_loop = 1; break;
        case 's': sequential = 1; break;
        case 'j': nclients = count_arg(optarg); break;
        default:
            fprintf(stderr,
                    "usage: %s [-c URI]... [-n BULK_ITERS] [-m NAIVE_ITERS] [-w WARMUP] [-e] "
                    "[-s] [-j CLIENTS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (bulk_iters < 1 || naive_iters < 0 || warmup < 0) {
        fprintf(stderr, "floor: iteration counts must be positive\n");
        return 2;
    }
    if (nclients < 1 || nclients > MAX_CLIENTS) {
        fprintf(stderr, "floor: 1 to %d clients\n", MAX_CLIENTS);
        return 2;
    }
    if (nuris == 0)
        uris[nuris++] = "qemu:///system";
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
    static Client clients[MAX_CLIENTS];
    for (int c = 0; c < nclients; c++) {
        clients[c].n = nuris;
        clients[c].sequential = sequential;
        for (int i = 0; i < nuris; i++) {
            virConnectPtr conn = virConnectOpen(uris[i]);
            if (!conn)
                die(uris[i]);
            if (with_loop && virConnectSetKeepAlive(conn, 5, 3) < 0)
                die("virConnectSetKeepAlive");
            clients[c].conns[i] = conn;
        }
    }
    /* CPU time of the whole process (all threads) per bulk list. */
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);

    run("bulk", bulk_all, clients, nclients, warmup, bulk_iters);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("bulk_cpu_us=%.1f\n",
           ((double)(c1.tv_sec - c0.tv_sec) * 1e6 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e3) /
               ((bulk_iters + warmup) * nclients));
    unsigned long checksum = 0;
    int domains = 0, missing = 0;
    for (int c = 0; c < nclients; c++)
        for (int i = 0; i < nuris; i++) {
            checksum += clients[c].tally[i].checksum;
            if (c == 0) {
                domains += clients[c].tally[i].domains;
                missing += clients[c].tally[i].missing_stats;
            }
        }
    printf("hosts=%d\n", nuris);
    printf("clients=%d\n", nclients);
    printf("domains=%d\n", domains);
    printf("missing_stats=%d\n", missing);
    if (naive_iters > 0) {
        run("naive", naive_first, clients, 1, warmup > 2 ? 2 : warmup, naive_iters);
        checksum += clients[0].tally[0].checksum;
    }
    printf("checksum=%lu\n", checksum);
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
    for (int c = 0; c < nclients; c++)
        for (int i = 0; i < nuris; i++)
            virConnectClose(clients[c].conns[i]);
    return 0;
}
