/* Figures of every VM and of the host in one sample: one bulk
 * virConnectGetAllDomainStats call for all VMs, the node's CPU and memory
 * from libvirt, and the host's disks and network from /proc when libvirt
 * runs on this very host. Rates come from two samples (virt_stats_rate.c). */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

#include "virt/virt_host_io.h"

/* Counters: they only grow while what they count keeps running. */
typedef enum {
    VIRT_COUNTER_CPU,       /* ns: VM: cpu.time; host: user + kernel time of all CPUs */
    VIRT_COUNTER_CPU_TOTAL, /* ns: host: all CPU time (busy, idle, iowait) */
    VIRT_COUNTER_VCPU,      /* ns: VM: the time of its vCPU threads, summed */
    VIRT_COUNTER_DISK_READ, /* bytes */
    VIRT_COUNTER_DISK_WRITE,
    VIRT_COUNTER_NET_RX,
    VIRT_COUNTER_NET_TX,
    VIRT_COUNTER_COUNT,
} VirtCounter;

typedef struct {
    guint64 v[VIRT_COUNTER_COUNT];
    guint32 have;   /* bit (1 << c): v[c] was read */
    gint64 epoch;   /* counters start again when it changes (a VM's domain id) */
    gint64 mono_us; /* when they were read, g_get_monotonic_time() */
} VirtCounters;

static inline void virt_counters_set(VirtCounters *c, VirtCounter which, guint64 value)
{
    c->v[which] = value;
    c->have |= 1u << which;
}

typedef struct {
    char uuid[VIR_UUID_STRING_BUFLEN];
    char *name;
    int state; /* virDomainState */
    int id;    /* the domain id while it runs, else -1 */
    guint vcpus;
    guint64 mem_current_kib; /* balloon.current: what the guest was given */
    guint64 mem_max_kib;
    /* The guest's own view through its balloon driver; 0 when not reported. */
    guint64 mem_available_kib, mem_usable_kib, mem_unused_kib;
    guint64 mem_rss_kib; /* what the QEMU process holds on the host; 0: unknown */
    guint64 disk_read_reqs, disk_write_reqs, net_rx_packets, net_tx_packets;
    VirtCounters counters;
} VirtStatsVm;

typedef struct {
    gint64 time; /* unix seconds */
    gint64 mono_us;
    guint cpus; /* the host's CPUs; 0: unknown */
    gboolean cpu_ok;
    guint64 cpu_user_ns, cpu_kernel_ns, cpu_idle_ns, cpu_iowait_ns;
    gboolean mem_ok;
    guint64 mem_total_kib, mem_free_kib, mem_buffers_kib, mem_cached_kib;
    gboolean io_ok; /* disks and network read from this host's /proc */
    VirtHostIo io;
    VirtCounters counters; /* the host's: CPU, CPU_TOTAL, disks, network */
    GPtrArray *vms;        /* VirtStatsVm*, every domain, sorted by name */
    double duration_ms;    /* what taking it took */
} VirtStatsSample;

void virt_stats_sample_free(VirtStatsSample *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtStatsSample, virt_stats_sample_free)

/* Takes one sample. `local` says libvirt runs on this host, so /proc
 * tells its disks and network. Only the domain list can fail it; a host
 * figure libvirt cannot give is left out (cpu_ok, mem_ok, io_ok). */
VirtStatsSample *virt_stats_sample(virConnectPtr conn, gboolean local, GError **error);
/* Fills `vm` from one domain's stats record (exposed for tests). */
void virt_stats_read_record(VirtStatsVm *vm, const virTypedParameter *params, int n);

/* ---- rates and figures (virt_stats_rate.c, no libvirt) ---- */

typedef enum {
    VIRT_FIG_CPU,       /* % of the host's CPUs */
    VIRT_FIG_CPU_VCPUS, /* % of the VM's vCPUs */
    VIRT_FIG_MEM_USED,  /* KiB */
    VIRT_FIG_MEM_TOTAL, /* KiB */
    VIRT_FIG_DISK_READ, /* bytes/s */
    VIRT_FIG_DISK_WRITE,
    VIRT_FIG_NET_RX,
    VIRT_FIG_NET_TX,
    VIRT_FIG_COUNT,
} VirtFigure;

typedef struct {
    double v[VIRT_FIG_COUNT]; /* NAN: not known (yet), or not a figure of this series */
    gboolean complete;        /* every figure this series has is known */
    gboolean mem_from_guest;  /* memory from the guest's balloon driver, not the host */
} VirtStatsFigures;

/* Per second rate of counter `c` between two readings. FALSE when it
 * cannot be known: no earlier reading, one of them lacks the counter, the
 * epoch changed (a restart), the counter went down (a reset, a device
 * removed), or the readings are not 0 < dt <= max_gap_us apart (a long
 * gap may hide a reset). */
gboolean virt_counter_rate(const VirtCounters *prev, const VirtCounters *cur, VirtCounter c,
                           gint64 max_gap_us, double *per_s);
/* The growth of `num` over the growth of `den` (host CPU busy / total),
 * under the same conditions; FALSE also when `den` did not grow. */
gboolean virt_counter_ratio(const VirtCounters *prev, const VirtCounters *cur, VirtCounter num,
                            VirtCounter den, gint64 max_gap_us, double *ratio);

/* Memory in use: the guest's own figures when its balloon driver reports
 * them (available - usable, else available - unused), else what the host
 * charges (QEMU's resident memory), else what the guest was given. */
void virt_stats_vm_memory(const VirtStatsVm *vm, guint64 *used_kib, guint64 *total_kib,
                          gboolean *from_guest);
/* A running VM's figures; `prev` (may be NULL) is the same VM's previous
 * reading; `host_cpus` turns CPU time into a share of the host. */
void virt_stats_vm_figures(const VirtStatsVm *prev, const VirtStatsVm *cur, guint host_cpus,
                           gint64 max_gap_us, VirtStatsFigures *out);
/* The host's figures (no CPU_VCPUS; disks and network only when io_ok). */
void virt_stats_host_figures(const VirtStatsSample *prev, const VirtStatsSample *cur,
                             gint64 max_gap_us, VirtStatsFigures *out);
