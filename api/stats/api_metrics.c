/* GET /metrics: the host's and every VM's figures, and vireod's own, in the
 * Prometheus text format. Counters are libvirt's own (Prometheus makes its
 * rates itself), taken from the sampler's latest sample while it is fresh,
 * else from a sample taken for this scrape. It shows every VM, so it is
 * for admins and for metrics-only tokens that admins make (docs/access.md). */
#include "api/core/api_counters.h"
#include "api/core/api_error.h"
#include "api/core/api_handlers.h"
#include "api/core/api_json.h"
#include "api/stats/api_prom.h"
#include "api/stats/api_sampler.h"
#include "db/db_tasks.h"
#include "virt/virt_domain.h"
#include "virt/virt_domain_started.h"

#include <string.h>

#define KIB 1024.0
#define NS 1e9

/* One host's part of a scrape. */
typedef struct {
    const VirtStatsSample *raw;
    ApiStatsSnapshot *snap; /* may be NULL (a sample of our own) */
    VirtStatsSample *own;   /* a sample taken for this scrape, or NULL */
    GString *host;          /* its host="NAME" label (empty without a registry) */
    GPtrArray *labels;      /* GString* per VM: host, name, uuid */
} HostScrape;

static void host_scrape_free(HostScrape *h)
{
    api_stats_snapshot_unref(h->snap);
    virt_stats_sample_free(h->own);
    g_string_free(h->host, TRUE);
    g_ptr_array_unref(h->labels);
    g_free(h);
}

typedef struct {
    GString *out;
    GPtrArray *hosts; /* HostScrape*: every family lists every host's samples */
} Scrape;

/* The family's HELP and TYPE before its first sample, once. */
static void family_once(GString *out, gboolean *done, const char *name, const char *type,
                        const char *help)
{
    if (!*done)
        api_prom_family(out, name, type, help);
    *done = TRUE;
}

static void host_cpu_metrics(Scrape *s)
{
    gboolean cpus = FALSE, seconds = FALSE;
    for (guint h = 0; h < s->hosts->len; h++) {
        const HostScrape *hs = g_ptr_array_index(s->hosts, h);
        if (!hs->raw->cpus)
            continue;
        family_once(s->out, &cpus, "vireo_host_cpus", "gauge", "Logical CPUs of the host.");
        api_prom_sample_u64(s->out, "vireo_host_cpus", hs->host, hs->raw->cpus);
    }
    for (guint h = 0; h < s->hosts->len; h++) {
        const HostScrape *hs = g_ptr_array_index(s->hosts, h);
        const VirtStatsSample *r = hs->raw;
        if (!r->cpu_ok)
            continue;
        family_once(s->out, &seconds, "vireo_host_cpu_seconds_total", "counter",
                    "CPU time of all the host's CPUs, by mode.");
        static const char *const modes[] = {"user", "kernel", "idle", "iowait"};
        const guint64 ns[] = {r->cpu_user_ns, r->cpu_kernel_ns, r->cpu_idle_ns, r->cpu_iowait_ns};
        for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
            g_autoptr(GString) l = g_string_new(hs->host->str);
            api_prom_label(l, "mode", modes[i]);
            api_prom_sample(s->out, "vireo_host_cpu_seconds_total", l, (double)ns[i] / NS);
        }
    }
}

typedef enum { HOST_MEM, HOST_IO } HostKind;

/* One family of the host's memory or I/O: `field` picks the figure. */
static void host_family(Scrape *s, HostKind kind, const char *name, const char *type,
                        const char *help, gsize field, double scale)
{
    gboolean header = FALSE;
    for (guint h = 0; h < s->hosts->len; h++) {
        const HostScrape *hs = g_ptr_array_index(s->hosts, h);
        const VirtStatsSample *r = hs->raw;
        if (kind == HOST_MEM ? !r->mem_ok : !r->io_ok)
            continue;
        guint64 v = G_STRUCT_MEMBER(guint64, r, field);
        family_once(s->out, &header, name, type, help);
        if (scale == 1)
            api_prom_sample_u64(s->out, name, hs->host, v);
        else
            api_prom_sample(s->out, name, hs->host, (double)v * scale);
    }
}

static void host_metrics(Scrape *s)
{
    host_cpu_metrics(s);
    const struct {
        const char *name, *help;
        gsize field;
    } mem[] = {
        {"vireo_host_memory_total_bytes", "Memory of the host.",
         G_STRUCT_OFFSET(VirtStatsSample, mem_total_kib)},
        {"vireo_host_memory_free_bytes", "Memory of the host nothing uses.",
         G_STRUCT_OFFSET(VirtStatsSample, mem_free_kib)},
        {"vireo_host_memory_buffers_bytes", "Memory of the host in block device buffers.",
         G_STRUCT_OFFSET(VirtStatsSample, mem_buffers_kib)},
        {"vireo_host_memory_cached_bytes", "Memory of the host in the page cache.",
         G_STRUCT_OFFSET(VirtStatsSample, mem_cached_kib)},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(mem); i++)
        host_family(s, HOST_MEM, mem[i].name, "gauge", mem[i].help, mem[i].field, KIB);
    const struct {
        const char *name, *help;
        gsize field;
    } io[] = {
        {"vireo_host_disk_read_bytes_total", "Bytes read from the host's physical disks.",
         G_STRUCT_OFFSET(VirtStatsSample, io.read_bytes)},
        {"vireo_host_disk_written_bytes_total", "Bytes written to the host's physical disks.",
         G_STRUCT_OFFSET(VirtStatsSample, io.write_bytes)},
        {"vireo_host_network_receive_bytes_total",
         "Bytes received by the host's physical network interfaces.",
         G_STRUCT_OFFSET(VirtStatsSample, io.rx_bytes)},
        {"vireo_host_network_transmit_bytes_total",
         "Bytes sent by the host's physical network interfaces.",
         G_STRUCT_OFFSET(VirtStatsSample, io.tx_bytes)},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(io); i++)
        host_family(s, HOST_IO, io[i].name, "counter", io[i].help, io[i].field, 1);
}

typedef enum { EVERY_VM, ACTIVE_VMS } Which;

typedef gboolean (*VmValue)(const VirtStatsVm *vm, const ApiVmLive *live, double *v);

/* One family over the VMs: each one's sample from `value` (FALSE: none),
 * or, without one, its libvirt counter `counter` times `scale`. */
typedef struct {
    const char *name, *type, *help;
    Which which;
    VmValue value;
    VirtCounter counter;
    double scale;
} VmFamily;

static gboolean counter_value(const VmFamily *f, const VirtStatsVm *vm, double *v)
{
    if (!(vm->counters.have & (1u << f->counter)))
        return FALSE;
    *v = (double)vm->counters.v[f->counter] * f->scale;
    return TRUE;
}

static void vm_family(Scrape *s, const VmFamily *f)
{
    gboolean header = FALSE;
    for (guint h = 0; h < s->hosts->len; h++) {
        const HostScrape *hs = g_ptr_array_index(s->hosts, h);
        for (guint i = 0; i < hs->raw->vms->len; i++) {
            const VirtStatsVm *vm = g_ptr_array_index(hs->raw->vms, i);
            const ApiVmLive *live = hs->snap ? g_hash_table_lookup(hs->snap->vms, vm->uuid) : NULL;
            double v;
            if (f->which == ACTIVE_VMS && vm->id <= 0)
                continue;
            if (!(f->value ? f->value(vm, live, &v) : counter_value(f, vm, &v)))
                continue;
            family_once(s->out, &header, f->name, f->type, f->help);
            api_prom_sample(s->out, f->name, g_ptr_array_index(hs->labels, i), v);
        }
    }
}

static gboolean v_state(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = vm->state;
    return TRUE;
}

static gboolean v_running(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = vm->state == VIR_DOMAIN_RUNNING;
    return TRUE;
}

static gboolean v_vcpus(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = vm->vcpus;
    return vm->vcpus > 0;
}

static gboolean v_memory(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->mem_current_kib * KIB;
    return vm->mem_current_kib > 0;
}

static gboolean v_memory_max(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->mem_max_kib * KIB;
    return vm->mem_max_kib > 0;
}

static gboolean v_memory_used(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    guint64 used, total;
    gboolean guest;
    virt_stats_vm_memory(vm, &used, &total, &guest);
    *v = (double)used * KIB;
    return TRUE;
}

static gboolean v_rss(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->mem_rss_kib * KIB;
    return vm->mem_rss_kib > 0;
}


static gboolean v_disk_reads(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->disk_read_reqs;
    return vm->counters.have & (1u << VIRT_COUNTER_DISK_READ);
}

static gboolean v_disk_writes(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->disk_write_reqs;
    return vm->counters.have & (1u << VIRT_COUNTER_DISK_WRITE);
}

static gboolean v_rx_packets(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->net_rx_packets;
    return vm->counters.have & (1u << VIRT_COUNTER_NET_RX);
}

static gboolean v_tx_packets(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    (void)l;
    *v = (double)vm->net_tx_packets;
    return vm->counters.have & (1u << VIRT_COUNTER_NET_TX);
}

static gboolean v_start_time(const VirtStatsVm *vm, const ApiVmLive *l, double *v)
{
    /* The same run of the VM as in the scrape's counters. */
    if (!l || !l->active || !l->started_at || l->id != vm->id)
        return FALSE;
    *v = (double)l->started_at;
    return TRUE;
}

static void vm_metrics(Scrape *s)
{
    static const VmFamily families[] = {
        {"vireo_vm_state", "gauge",
         "The VM's state as libvirt numbers it: 0 no state, 1 running, 2 blocked, "
         "3 paused, 4 shutting down, 5 shut off, 6 crashed, 7 suspended by the guest.",
         EVERY_VM, v_state, 0, 0},
        {"vireo_vm_running", "gauge", "1 while the VM runs, else 0.", EVERY_VM, v_running, 0, 0},
        {"vireo_vm_vcpus", "gauge", "vCPUs of the VM.", EVERY_VM, v_vcpus, 0, 0},
        {"vireo_vm_memory_bytes", "gauge", "Memory the VM has (its balloon's size).", EVERY_VM,
         v_memory, 0, 0},
        {"vireo_vm_memory_max_bytes", "gauge", "Memory the VM may have at most.", EVERY_VM,
         v_memory_max, 0, 0},
        {"vireo_vm_memory_used_bytes", "gauge",
         "Memory in use: the guest's own figure when its balloon driver reports one, else "
         "what the host charges for the VM (its QEMU process' resident memory).",
         ACTIVE_VMS, v_memory_used, 0, 0},
        {"vireo_vm_memory_resident_bytes", "gauge",
         "Resident memory of the VM's QEMU process on the host.", ACTIVE_VMS, v_rss, 0, 0},
        {"vireo_vm_cpu_seconds_total", "counter",
         "CPU time the VM used since it started (all its QEMU threads).", ACTIVE_VMS, NULL,
         VIRT_COUNTER_CPU, 1 / NS},
        {"vireo_vm_vcpu_seconds_total", "counter", "CPU time the VM's vCPUs ran since it started.",
         ACTIVE_VMS, NULL, VIRT_COUNTER_VCPU, 1 / NS},
        {"vireo_vm_disk_read_bytes_total", "counter", "Bytes the VM read from its disks.",
         ACTIVE_VMS, NULL, VIRT_COUNTER_DISK_READ, 1},
        {"vireo_vm_disk_written_bytes_total", "counter", "Bytes the VM wrote to its disks.",
         ACTIVE_VMS, NULL, VIRT_COUNTER_DISK_WRITE, 1},
        {"vireo_vm_disk_read_requests_total", "counter", "Read requests of the VM's disks.",
         ACTIVE_VMS, v_disk_reads, 0, 0},
        {"vireo_vm_disk_write_requests_total", "counter", "Write requests of the VM's disks.",
         ACTIVE_VMS, v_disk_writes, 0, 0},
        {"vireo_vm_network_receive_bytes_total", "counter",
         "Bytes the VM's network interfaces received.", ACTIVE_VMS, NULL, VIRT_COUNTER_NET_RX, 1},
        {"vireo_vm_network_transmit_bytes_total", "counter",
         "Bytes the VM's network interfaces sent.", ACTIVE_VMS, NULL, VIRT_COUNTER_NET_TX, 1},
        {"vireo_vm_network_receive_packets_total", "counter",
         "Packets the VM's network interfaces received.", ACTIVE_VMS, v_rx_packets, 0, 0},
        {"vireo_vm_network_transmit_packets_total", "counter",
         "Packets the VM's network interfaces sent.", ACTIVE_VMS, v_tx_packets, 0, 0},
        {"vireo_vm_start_time_seconds", "gauge",
         "When the VM started, in unix seconds (where vireod knows it).", ACTIVE_VMS, v_start_time,
         0, 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(families); i++)
        vm_family(s, &families[i]);
}

static void string_free(gpointer s)
{
    g_string_free(s, TRUE);
}

static void gauge(GString *out, const char *name, const char *help, double v)
{
    api_prom_family(out, name, "gauge", help);
    api_prom_sample(out, name, NULL, v);
}

static void daemon_metrics(ApiContext *ctx, GString *out)
{
    api_prom_family(out, "vireo_build_info", "gauge", "vireod's version (always 1).");
    g_autoptr(GString) version = g_string_new(NULL);
#ifdef VIREO_VERSION
    api_prom_label(version, "version", VIREO_VERSION);
#endif
    api_prom_sample(out, "vireo_build_info", version, 1);
    gauge(out, "vireo_libvirt_up", "1 while vireod's libvirt connection is up.",
          virt_conn_is_up(ctx->virt));

    api_prom_family(out, "vireo_http_requests_total", "counter",
                    "HTTP requests answered (API, web UI, streams), by status class.");
    static const char *const classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int k = 1; k <= 5; k++) {
        g_autoptr(GString) l = g_string_new(NULL);
        api_prom_label(l, "code", classes[k]);
        api_prom_sample_u64(out, "vireo_http_requests_total", l,
                            api_counters_requests(ctx->counters, k));
    }
    api_prom_family(out, "vireo_api_errors_total", "counter",
                    "API error answers, by their machine code.");
    for (int c = 0; c < API_ERROR_KINDS; c++) {
        g_autoptr(GString) l = g_string_new(NULL);
        api_prom_label(l, "code", api_error_code_name((ApiErrorCode)c));
        api_prom_sample_u64(out, "vireo_api_errors_total", l,
                            api_counters_errors(ctx->counters, (ApiErrorCode)c));
    }
    gint64 tasks[8] = {0};
    if (db_task_count_by_state(ctx->db, tasks, NULL)) {
        api_prom_family(out, "vireo_tasks", "gauge", "Tasks (clones, uploads ...) by state.");
        for (int i = 0; db_task_states[i]; i++) {
            g_autoptr(GString) l = g_string_new(NULL);
            api_prom_label(l, "state", db_task_states[i]);
            api_prom_sample_u64(out, "vireo_tasks", l, (guint64)tasks[i]);
        }
    }
    if (ctx->server_counts) {
        ApiServerCounts sc = {0};
        ctx->server_counts(&sc, ctx->server_counts_data);
        gauge(out, "vireo_event_subscribers", "Open event streams (GET /api/events).",
              sc.event_subscribers);
        gauge(out, "vireo_consoles_open", "Open consoles (screens and serial lines).", sc.consoles);
    }
    ApiSamplerCounts c;
    api_sampler_counts(ctx->sampler, &c);
    gauge(out, "vireo_sampler_interval_seconds", "Seconds between samples; 0: the sampler is off.",
          api_sampler_interval(ctx->sampler));
    api_prom_family(out, "vireo_sampler_samples_total", "counter", "Samples the sampler took.");
    api_prom_sample_u64(out, "vireo_sampler_samples_total", NULL, c.samples);
    api_prom_family(out, "vireo_sampler_failures_total", "counter",
                    "Samples that could not be taken (libvirt unreachable).");
    api_prom_sample_u64(out, "vireo_sampler_failures_total", NULL, c.failures);
    api_prom_family(out, "vireo_sampler_history_write_failures_total", "counter",
                    "Samples the metric history could not store (a full disk).");
    api_prom_sample_u64(out, "vireo_sampler_history_write_failures_total", NULL, c.write_failures);
    if (c.last_time) {
        gauge(out, "vireo_sampler_last_sample_timestamp_seconds",
              "When the last sample was taken, in unix seconds.", (double)c.last_time);
        gauge(out, "vireo_sampler_last_duration_seconds",
              "What the last sample took, its history write included.", c.last_duration_s);
    }
}

/* Whether a sample is current enough to be served: not older than three
 * intervals (libvirt was away, or samples are slow on a busy host). */
static gboolean fresh(const ApiStatsSnapshot *snap, guint interval, gint64 now)
{
    return snap && now - snap->time <= MAX(3 * (gint64)interval, 10);
}

/* One host's part: its sampler's last sample while fresh. The local host
 * (or the only one) is otherwise sampled for the scrape, or the scrape
 * fails as before; another host that is not fresh is left out: a host
 * that is down must not hold up or fail the scrape. */
static HostScrape *host_scrape(ApiContext *ctx, ApiStatsSnapshot *snap, gboolean local, gint64 now,
                               GError **error)
{
    HostScrape *hs = g_new0(HostScrape, 1);
    hs->snap = snap;
    hs->host = g_string_new(NULL);
    hs->labels = g_ptr_array_new_with_free_func(string_free);
    if (fresh(snap, api_sampler_interval(ctx->sampler), now)) {
        hs->raw = snap->raw;
    } else if (local) {
        /* Start times still come from the sampler (of the same runs). */
        g_autoptr(virConnect) conn = virt_conn_get(ctx->virt, error);
        hs->own = conn ? virt_stats_sample(conn, virt_uri_is_local(virt_conn_uri(ctx->virt)), error)
                       : NULL;
        hs->raw = hs->own;
    }
    if (!hs->raw) {
        host_scrape_free(hs);
        return NULL;
    }
    g_autoptr(VirtHost) h = snap && snap->vhost ? virt_host_ref(snap->vhost)
                            : ctx->hosts        ? virt_hosts_local(ctx->hosts)
                                                : NULL;
    if (h) {
        g_autofree char *name = virt_host_name(h);
        api_prom_label(hs->host, "host", name);
    }
    for (guint i = 0; i < hs->raw->vms->len; i++) {
        const VirtStatsVm *vm = g_ptr_array_index(hs->raw->vms, i);
        GString *l = g_string_new(hs->host->str);
        api_prom_label(l, "name", vm->name);
        api_prom_label(l, "uuid", vm->uuid);
        g_ptr_array_add(hs->labels, l);
    }
    return hs;
}

gboolean api_metrics_get(ApiContext *ctx, const ApiRequest *req, ApiResponse *resp, GError **error)
{
    if (!api_query_none(req, error))
        return FALSE;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func((GDestroyNotify)host_scrape_free);
    HostScrape *local = host_scrape(ctx, api_sampler_latest(ctx->sampler), TRUE, now, error);
    if (!local)
        return FALSE;
    g_ptr_array_add(hosts, local);
    g_autoptr(GPtrArray) all = api_sampler_all_latest(ctx->sampler);
    for (guint i = 0; i < all->len; i++) {
        ApiStatsSnapshot *snap = g_ptr_array_index(all, i);
        if (!snap->vhost || virt_host_is_local(snap->vhost))
            continue;
        HostScrape *hs = host_scrape(ctx, api_stats_snapshot_ref(snap), FALSE, now, NULL);
        if (hs)
            g_ptr_array_add(hosts, hs);
    }
    g_autoptr(GString) out = g_string_sized_new(64 * 1024);
    Scrape s = {.out = out, .hosts = hosts};
    host_metrics(&s);
    vm_metrics(&s);
    daemon_metrics(ctx, out);
    resp->raw = g_bytes_new(out->str, out->len);
    resp->raw_type = API_PROM_CONTENT_TYPE;
    resp->status = 200;
    return TRUE;
}
