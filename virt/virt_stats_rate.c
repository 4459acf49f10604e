/* Figures from two samples: rates of counters, shares of CPU time, and
 * memory in use. Pure arithmetic on virt_stats.h's structs, so that resets,
 * restarts and gaps are unit-tested with made-up samples. */
#include "virt/virt_stats.h"

#include <math.h>

static gboolean comparable(const VirtCounters *prev, const VirtCounters *cur, guint32 bits,
                           gint64 max_gap_us)
{
    if (!prev || (prev->have & bits) != bits || (cur->have & bits) != bits)
        return FALSE;
    gint64 dt = cur->mono_us - prev->mono_us;
    return prev->epoch == cur->epoch && dt > 0 && dt <= max_gap_us;
}

gboolean virt_counter_rate(const VirtCounters *prev, const VirtCounters *cur, VirtCounter c,
                           gint64 max_gap_us, double *per_s)
{
    if (!comparable(prev, cur, 1u << c, max_gap_us) || cur->v[c] < prev->v[c])
        return FALSE;
    double dt = (double)(cur->mono_us - prev->mono_us) / (double)G_USEC_PER_SEC;
    *per_s = (double)(cur->v[c] - prev->v[c]) / dt;
    return TRUE;
}

gboolean virt_counter_ratio(const VirtCounters *prev, const VirtCounters *cur, VirtCounter num,
                            VirtCounter den, gint64 max_gap_us, double *ratio)
{
    if (!comparable(prev, cur, (1u << num) | (1u << den), max_gap_us) ||
        cur->v[num] < prev->v[num] || cur->v[den] <= prev->v[den])
        return FALSE;
    *ratio = (double)(cur->v[num] - prev->v[num]) / (double)(cur->v[den] - prev->v[den]);
    return TRUE;
}

void virt_stats_vm_memory(const VirtStatsVm *vm, guint64 *used_kib, guint64 *total_kib,
                          gboolean *from_guest)
{
    *from_guest = TRUE;
    if (vm->mem_available_kib && vm->mem_usable_kib &&
        vm->mem_usable_kib <= vm->mem_available_kib) {
        /* "usable" counts reclaimable caches as free, as the guest's own
         * MemAvailable does. */
        *used_kib = vm->mem_available_kib - vm->mem_usable_kib;
        *total_kib = vm->mem_available_kib;
        return;
    }
    if (vm->mem_available_kib && vm->mem_unused_kib &&
        vm->mem_unused_kib <= vm->mem_available_kib) {
        *used_kib = vm->mem_available_kib - vm->mem_unused_kib;
        *total_kib = vm->mem_available_kib;
        return;
    }
    *from_guest = FALSE;
    *total_kib = vm->mem_current_kib;
    /* QEMU's own memory counts too: it may exceed what the guest has. */
    *used_kib = vm->mem_rss_kib ? vm->mem_rss_kib : vm->mem_current_kib;
}

static void clear(VirtStatsFigures *out)
{
    for (int i = 0; i < VIRT_FIG_COUNT; i++)
        out->v[i] = NAN;
    out->complete = FALSE;
    out->mem_from_guest = FALSE;
}

/* Rates of the disk and network counters into their figures; FALSE when
 * one of the counters `cur` has cannot be known yet. */
static gboolean io_rates(const VirtCounters *prev, const VirtCounters *cur, gint64 max_gap_us,
                         VirtStatsFigures *out)
{
    static const struct {
        VirtCounter c;
        VirtFigure f;
    } io[] = {{VIRT_COUNTER_DISK_READ, VIRT_FIG_DISK_READ},
              {VIRT_COUNTER_DISK_WRITE, VIRT_FIG_DISK_WRITE},
              {VIRT_COUNTER_NET_RX, VIRT_FIG_NET_RX},
              {VIRT_COUNTER_NET_TX, VIRT_FIG_NET_TX}};
    gboolean all = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(io); i++) {
        if (!(cur->have & (1u << io[i].c)))
            continue;
        double r;
        if (virt_counter_rate(prev, cur, io[i].c, max_gap_us, &r))
            out->v[io[i].f] = r;
        else
            all = FALSE;
    }
    return all;
}

void virt_stats_vm_figures(const VirtStatsVm *prev, const VirtStatsVm *cur, guint host_cpus,
                           gint64 max_gap_us, VirtStatsFigures *out)
{
    clear(out);
    guint64 used, total;
    virt_stats_vm_memory(cur, &used, &total, &out->mem_from_guest);
    out->v[VIRT_FIG_MEM_USED] = (double)used;
    out->v[VIRT_FIG_MEM_TOTAL] = (double)total;
    const VirtCounters *p = prev ? &prev->counters : NULL;
    const VirtCounters *c = &cur->counters;
    gboolean known = TRUE;
    gboolean have_cpu = (c->have & (1u << VIRT_COUNTER_CPU)) != 0;
    double cpu_ns;
    if (have_cpu && host_cpus) {
        if (virt_counter_rate(p, c, VIRT_COUNTER_CPU, max_gap_us, &cpu_ns))
            out->v[VIRT_FIG_CPU] = MIN(cpu_ns / 1e9 / host_cpus * 100.0, 100.0);
        else
            known = FALSE;
    }
    /* Of its vCPUs: their threads' time when libvirt gives it (the whole
     * process' time also counts QEMU's own threads), else the whole. */
    gboolean have_vcpu = (c->have & (1u << VIRT_COUNTER_VCPU)) && p &&
                         (p->have & (1u << VIRT_COUNTER_VCPU));
    double vcpu_ns;
    if (cur->vcpus && (have_cpu || have_vcpu)) {
        if (virt_counter_rate(p, c, have_vcpu ? VIRT_COUNTER_VCPU : VIRT_COUNTER_CPU, max_gap_us,
                              &vcpu_ns))
            out->v[VIRT_FIG_CPU_VCPUS] = MIN(vcpu_ns / 1e9 / cur->vcpus * 100.0, 100.0);
        else
            known = FALSE;
    }
    known = io_rates(p, c, max_gap_us, out) && known;
    out->complete = known;
}

void virt_stats_host_figures(const VirtStatsSample *prev, const VirtStatsSample *cur,
                             gint64 max_gap_us, VirtStatsFigures *out)
{
    clear(out);
    gboolean known = TRUE;
    /* What libvirt does not give at all (the test driver has no memory
     * figures) is not a figure of the series; what needs an earlier
     * sample is one not known yet. */
    if (cur->mem_ok) {
        guint64 free = cur->mem_free_kib + cur->mem_buffers_kib + cur->mem_cached_kib;
        out->v[VIRT_FIG_MEM_TOTAL] = (double)cur->mem_total_kib;
        out->v[VIRT_FIG_MEM_USED] = (double)(free < cur->mem_total_kib ? cur->mem_total_kib - free
                                                                       : 0);
    }
    const VirtCounters *p = prev ? &prev->counters : NULL;
    double busy;
    if (cur->counters.have & (1u << VIRT_COUNTER_CPU)) {
        if (virt_counter_ratio(p, &cur->counters, VIRT_COUNTER_CPU, VIRT_COUNTER_CPU_TOTAL,
                               max_gap_us, &busy))
            out->v[VIRT_FIG_CPU] = MIN(busy * 100.0, 100.0);
        else
            known = FALSE;
    }
    known = io_rates(p, &cur->counters, max_gap_us, out) && known;
    out->complete = known;
}
