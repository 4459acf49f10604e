/* One sample of every VM and of the host (see virt_stats.h): a fixed
 * number of RPCs whatever the number of VMs. */
#include "virt/virt_stats.h"
#include "virt/virt_error.h"

#include <libvirt/virterror.h>
#include <string.h>

static void vm_free(VirtStatsVm *vm)
{
    if (!vm)
        return;
    g_free(vm->name);
    g_free(vm);
}

void virt_stats_sample_free(VirtStatsSample *s)
{
    if (!s)
        return;
    if (s->vms)
        g_ptr_array_unref(s->vms);
    virt_host_io_clear(&s->io);
    g_free(s);
}

/* "prefix.N.suffix" with N a number: the per-device fields of the block,
 * net and vcpu groups. */
static gboolean indexed(const char *field, const char *prefix, const char *suffix)
{
    gsize p = strlen(prefix), s = strlen(suffix), f = strlen(field);
    if (f <= p + s || strncmp(field, prefix, p) != 0 || strcmp(field + f - s, suffix) != 0)
        return FALSE;
    for (const char *c = field + p; c < field + f - s; c++)
        if (!g_ascii_isdigit(*c))
            return FALSE;
    return TRUE;
}

static guint64 as_u64(const virTypedParameter *p)
{
    switch (p->type) {
    case VIR_TYPED_PARAM_INT: return p->value.i < 0 ? 0 : (guint64)p->value.i;
    case VIR_TYPED_PARAM_UINT: return p->value.ui;
    case VIR_TYPED_PARAM_LLONG: return p->value.l < 0 ? 0 : (guint64)p->value.l;
    case VIR_TYPED_PARAM_ULLONG: return p->value.ul;
    case VIR_TYPED_PARAM_DOUBLE: return p->value.d < 0 ? 0 : (guint64)p->value.d;
    default: return 0;
    }
}

void virt_stats_read_record(VirtStatsVm *vm, const virTypedParameter *params, int n)
{
    guint64 vcpu_ns = 0, rd = 0, wr = 0, rx = 0, tx = 0;
    gboolean have_vcpu = FALSE, have_block = FALSE, have_net = FALSE;
    for (int i = 0; i < n; i++) {
        const virTypedParameter *p = &params[i];
        const char *f = p->field;
        guint64 v = as_u64(p);
        if (strcmp(f, "state.state") == 0)
            vm->state = (int)v;
        else if (strcmp(f, "cpu.time") == 0)
            virt_counters_set(&vm->counters, VIRT_COUNTER_CPU, v);
        else if (strcmp(f, "vcpu.current") == 0)
            vm->vcpus = (guint)v;
        else if (strcmp(f, "balloon.current") == 0)
            vm->mem_current_kib = v;
        else if (strcmp(f, "balloon.maximum") == 0)
            vm->mem_max_kib = v;
        else if (strcmp(f, "balloon.available") == 0)
            vm->mem_available_kib = v;
        else if (strcmp(f, "balloon.usable") == 0)
            vm->mem_usable_kib = v;
        else if (strcmp(f, "balloon.unused") == 0)
            vm->mem_unused_kib = v;
        else if (strcmp(f, "balloon.rss") == 0)
            vm->mem_rss_kib = v;
        else if (strcmp(f, "block.count") == 0)
            have_block = TRUE;
        else if (strcmp(f, "net.count") == 0)
            have_net = TRUE;
        else if (indexed(f, "vcpu.", ".time")) {
            vcpu_ns += v;
            have_vcpu = TRUE;
        } else if (indexed(f, "block.", ".rd.bytes"))
            rd += v;
        else if (indexed(f, "block.", ".wr.bytes"))
            wr += v;
        else if (indexed(f, "block.", ".rd.reqs"))
            vm->disk_read_reqs += v;
        else if (indexed(f, "block.", ".wr.reqs"))
            vm->disk_write_reqs += v;
        else if (indexed(f, "net.", ".rx.bytes"))
            rx += v;
        else if (indexed(f, "net.", ".tx.bytes"))
            tx += v;
        else if (indexed(f, "net.", ".rx.pkts"))
            vm->net_rx_packets += v;
        else if (indexed(f, "net.", ".tx.pkts"))
            vm->net_tx_packets += v;
    }
    if (have_vcpu)
        virt_counters_set(&vm->counters, VIRT_COUNTER_VCPU, vcpu_ns);
    /* A VM without disks or NICs reads nothing, which is a figure: 0. */
    if (have_block) {
        virt_counters_set(&vm->counters, VIRT_COUNTER_DISK_READ, rd);
        virt_counters_set(&vm->counters, VIRT_COUNTER_DISK_WRITE, wr);
    }
    if (have_net) {
        virt_counters_set(&vm->counters, VIRT_COUNTER_NET_RX, rx);
        virt_counters_set(&vm->counters, VIRT_COUNTER_NET_TX, tx);
    }
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    const VirtStatsVm *x = *(VirtStatsVm *const *)a;
    const VirtStatsVm *y = *(VirtStatsVm *const *)b;
    return strcmp(x->name, y->name);
}

static GPtrArray *read_domains(virConnectPtr conn, gint64 mono_us, GError **error)
{
    unsigned groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                      VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                      VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
    /* NOWAIT: a VM whose QEMU is busy with a long job (or hung) gives what
     * it can at once instead of holding up every other VM's figures. */
    virDomainStatsRecordPtr *recs = NULL;
    int n = virConnectGetAllDomainStats(conn, groups, &recs,
                                        VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
    if (n < 0) {
        virt_error_from_libvirt(error, "reading domain stats");
        return NULL;
    }
    GPtrArray *vms = g_ptr_array_new_full((guint)n, (GDestroyNotify)vm_free);
    for (int i = 0; i < n; i++) {
        VirtStatsVm *vm = g_new0(VirtStatsVm, 1);
        vm->name = g_strdup(virDomainGetName(recs[i]->dom));
        virDomainGetUUIDString(recs[i]->dom, vm->uuid);
        vm->id = (int)virDomainGetID(recs[i]->dom);
        vm->counters.mono_us = mono_us;
        virt_stats_read_record(vm, recs[i]->params, recs[i]->nparams);
        /* The id is what tells one run of a VM from the next. */
        vm->counters.epoch = vm->id;
        g_ptr_array_add(vms, vm);
    }
    virDomainStatsRecordListFree(recs);
    g_ptr_array_sort(vms, by_name);
    return vms;
}

/* libvirt asks how many parameters there are, then fills them. */
static gboolean read_node_cpu(virConnectPtr conn, VirtStatsSample *s)
{
    int n = 0;
    if (virNodeGetCPUStats(conn, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) < 0 || n <= 0 || n > 64)
        return FALSE;
    g_autofree virNodeCPUStatsPtr params = g_new0(virNodeCPUStats, n);
    if (virNodeGetCPUStats(conn, VIR_NODE_CPU_STATS_ALL_CPUS, params, &n, 0) < 0)
        return FALSE;
    gboolean busy = FALSE, idle = FALSE;
    for (int i = 0; i < n; i++) {
        const char *f = params[i].field;
        if (strcmp(f, VIR_NODE_CPU_STATS_USER) == 0) {
            s->cpu_user_ns = params[i].value;
            busy = TRUE;
        } else if (strcmp(f, VIR_NODE_CPU_STATS_KERNEL) == 0) {
            s->cpu_kernel_ns = params[i].value;
        } else if (strcmp(f, VIR_NODE_CPU_STATS_IDLE) == 0) {
            s->cpu_idle_ns = params[i].value;
            idle = TRUE;
        } else if (strcmp(f, VIR_NODE_CPU_STATS_IOWAIT) == 0) {
            s->cpu_iowait_ns = params[i].value;
        }
    }
    return busy && idle;
}

static gboolean read_node_memory(virConnectPtr conn, VirtStatsSample *s)
{
    int n = 0;
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) < 0 || n <= 0 ||
        n > 64)
        return FALSE;
    g_autofree virNodeMemoryStatsPtr params = g_new0(virNodeMemoryStats, n);
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, params, &n, 0) < 0)
        return FALSE;
    for (int i = 0; i < n; i++) {
        const char *f = params[i].field;
        if (strcmp(f, VIR_NODE_MEMORY_STATS_TOTAL) == 0)
            s->mem_total_kib = params[i].value;
        else if (strcmp(f, VIR_NODE_MEMORY_STATS_FREE) == 0)
            s->mem_free_kib = params[i].value;
        else if (strcmp(f, VIR_NODE_MEMORY_STATS_BUFFERS) == 0)
            s->mem_buffers_kib = params[i].value;
        else if (strcmp(f, VIR_NODE_MEMORY_STATS_CACHED) == 0)
            s->mem_cached_kib = params[i].value;
    }
    return s->mem_total_kib > 0;
}

VirtStatsSample *virt_stats_sample(virConnectPtr conn, gboolean local, GError **error)
{
    gint64 began = g_get_monotonic_time();
    g_autoptr(VirtStatsSample) s = g_new0(VirtStatsSample, 1);
    s->time = g_get_real_time() / G_USEC_PER_SEC;
    s->mono_us = began;
    s->vms = read_domains(conn, began, error);
    if (!s->vms)
        return NULL;
    virNodeInfo info;
    if (virNodeGetInfo(conn, &info) == 0)
        s->cpus = info.cpus;
    s->cpu_ok = read_node_cpu(conn, s);
    s->mem_ok = read_node_memory(conn, s);
    /* What libvirt cannot tell is left out; its error is no failure. */
    virResetLastError();
    s->io_ok = local && virt_host_io_read(&s->io);

    VirtCounters *c = &s->counters;
    c->mono_us = began;
    if (s->cpu_ok) {
        guint64 busy = s->cpu_user_ns + s->cpu_kernel_ns;
        virt_counters_set(c, VIRT_COUNTER_CPU, busy);
        virt_counters_set(c, VIRT_COUNTER_CPU_TOTAL, busy + s->cpu_idle_ns + s->cpu_iowait_ns);
    }
    if (s->io_ok) {
        virt_counters_set(c, VIRT_COUNTER_DISK_READ, s->io.read_bytes);
        virt_counters_set(c, VIRT_COUNTER_DISK_WRITE, s->io.write_bytes);
        virt_counters_set(c, VIRT_COUNTER_NET_RX, s->io.rx_bytes);
        virt_counters_set(c, VIRT_COUNTER_NET_TX, s->io.tx_bytes);
    }
    s->duration_ms = (double)(g_get_monotonic_time() - began) / 1000.0;
    return g_steal_pointer(&s);
}
