/* Sampling and figures: rates from counters with made-up samples (a first
 * sample, counter resets, a VM restart, gaps), CPU shares, memory in use,
 * the reading of libvirt's stats records and of /proc, the QEMU start
 * time, and one real sample on the test:///default driver. */
#include "unit.h"

#include "virt/virt_conn.h"
#include "virt/virt_domain_started.h"
#include "virt/virt_stats.h"

#include <math.h>

#define SEC G_USEC_PER_SEC
#define GAP (30 * SEC)

static VirtCounters counters(gint64 mono_us, gint64 epoch)
{
    return (VirtCounters){.mono_us = mono_us, .epoch = epoch};
}

static void test_rate_basic(void **state)
{
    (void)state;
    VirtCounters a = counters(10 * SEC, 3), b = counters(15 * SEC, 3);
    virt_counters_set(&a, VIRT_COUNTER_DISK_READ, 1000);
    virt_counters_set(&b, VIRT_COUNTER_DISK_READ, 6000);
    double r = -1;
    assert_true(virt_counter_rate(&a, &b, VIRT_COUNTER_DISK_READ, GAP, &r));
    assert_true(fabs(r - 1000.0) < 1e-9);
    /* Unchanged counters are a rate of 0, not unknown. */
    VirtCounters c = counters(20 * SEC, 3);
    virt_counters_set(&c, VIRT_COUNTER_DISK_READ, 6000);
    assert_true(virt_counter_rate(&b, &c, VIRT_COUNTER_DISK_READ, GAP, &r));
    assert_true(r == 0.0);
}

static void test_rate_unknown(void **state)
{
    (void)state;
    double r = 12345;
    VirtCounters a = counters(10 * SEC, 3), b = counters(15 * SEC, 3);
    virt_counters_set(&a, VIRT_COUNTER_NET_RX, 500);
    virt_counters_set(&b, VIRT_COUNTER_NET_RX, 400);
    /* The first sample has nothing to compare with. */
    assert_false(virt_counter_rate(NULL, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    /* A counter that went down was reset (a device unplugged). */
    assert_false(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    /* A restart: higher counter, but a new run of the VM. */
    virt_counters_set(&b, VIRT_COUNTER_NET_RX, 900);
    b.epoch = 4;
    assert_false(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    b.epoch = 3;
    assert_true(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    /* A gap longer than allowed may hide a reset. */
    b.mono_us = a.mono_us + GAP + 1;
    assert_false(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    b.mono_us = a.mono_us + GAP;
    assert_true(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    /* Readings at the same moment, or out of order. */
    b.mono_us = a.mono_us;
    assert_false(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    b.mono_us = a.mono_us - SEC;
    assert_false(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_RX, GAP, &r));
    /* A counter one of them lacks. */
    b.mono_us = a.mono_us + SEC;
    assert_false(virt_counter_rate(&a, &b, VIRT_COUNTER_NET_TX, GAP, &r));
}

static void test_ratio(void **state)
{
    (void)state;
    VirtCounters a = counters(SEC, 0), b = counters(2 * SEC, 0);
    virt_counters_set(&a, VIRT_COUNTER_CPU, 100);
    virt_counters_set(&a, VIRT_COUNTER_CPU_TOTAL, 1000);
    virt_counters_set(&b, VIRT_COUNTER_CPU, 400);
    virt_counters_set(&b, VIRT_COUNTER_CPU_TOTAL, 2000);
    double r;
    assert_true(virt_counter_ratio(&a, &b, VIRT_COUNTER_CPU, VIRT_COUNTER_CPU_TOTAL, GAP, &r));
    assert_true(fabs(r - 0.3) < 1e-9);
    /* No time passed on the denominator: unknown, never a division by 0. */
    virt_counters_set(&b, VIRT_COUNTER_CPU_TOTAL, 1000);
    assert_false(virt_counter_ratio(&a, &b, VIRT_COUNTER_CPU, VIRT_COUNTER_CPU_TOTAL, GAP, &r));
}

static VirtStatsVm vm_at(gint64 mono_us, int id, guint64 cpu_ns, guint64 vcpu_ns)
{
    VirtStatsVm vm = {.state = 1, .id = id, .vcpus = 2, .mem_current_kib = 1024 * 1024};
    vm.counters = counters(mono_us, id);
    virt_counters_set(&vm.counters, VIRT_COUNTER_CPU, cpu_ns);
    virt_counters_set(&vm.counters, VIRT_COUNTER_VCPU, vcpu_ns);
    virt_counters_set(&vm.counters, VIRT_COUNTER_DISK_READ, 0);
    virt_counters_set(&vm.counters, VIRT_COUNTER_DISK_WRITE, 0);
    return vm;
}

static void test_vm_figures(void **state)
{
    (void)state;
    VirtStatsFigures f;
    /* First sample after start: memory known, rates not. */
    VirtStatsVm a = vm_at(0, 7, 1000000000ULL, 800000000ULL);
    virt_stats_vm_figures(NULL, &a, 4, GAP, &f);
    assert_false(f.complete);
    assert_true(isnan(f.v[VIRT_FIG_CPU]));
    assert_true(f.v[VIRT_FIG_MEM_TOTAL] == 1024.0 * 1024);
    /* 2 s later: 2 s of CPU time on a 4-CPU host is 25 %; its 2 vCPUs ran
     * 1.6 s of the 4 s they had: 40 %. No NICs: no network figures. */
    VirtStatsVm b = vm_at(2 * SEC, 7, 3000000000ULL, 2400000000ULL);
    virt_counters_set(&b.counters, VIRT_COUNTER_DISK_READ, 4096);
    virt_stats_vm_figures(&a, &b, 4, GAP, &f);
    assert_true(f.complete);
    assert_true(fabs(f.v[VIRT_FIG_CPU] - 25.0) < 1e-9);
    assert_true(fabs(f.v[VIRT_FIG_CPU_VCPUS] - 40.0) < 1e-9);
    assert_true(fabs(f.v[VIRT_FIG_DISK_READ] - 2048.0) < 1e-9);
    assert_true(f.v[VIRT_FIG_DISK_WRITE] == 0.0);
    assert_true(isnan(f.v[VIRT_FIG_NET_RX]));
    /* More CPU time than the host has (clock noise): capped at 100 %. */
    VirtStatsVm c = vm_at(3 * SEC, 7, 30000000000ULL, 29000000000ULL);
    virt_stats_vm_figures(&b, &c, 1, GAP, &f);
    assert_true(f.v[VIRT_FIG_CPU] == 100.0 && f.v[VIRT_FIG_CPU_VCPUS] == 100.0);
    /* Restarted (a new domain id, counters from 0): not known, not negative. */
    VirtStatsVm d = vm_at(4 * SEC, 8, 10000000ULL, 5000000ULL);
    virt_stats_vm_figures(&c, &d, 4, GAP, &f);
    assert_false(f.complete);
    assert_true(isnan(f.v[VIRT_FIG_CPU]) && isnan(f.v[VIRT_FIG_CPU_VCPUS]));
    /* A disk detached: its bytes leave the sum, which goes down. */
    VirtStatsVm e = vm_at(5 * SEC, 8, 20000000ULL, 6000000ULL);
    virt_stats_vm_figures(&d, &e, 4, GAP, &f);
    assert_true(f.complete);
    VirtStatsVm g = vm_at(6 * SEC, 8, 30000000ULL, 7000000ULL);
    virt_counters_set(&e.counters, VIRT_COUNTER_DISK_READ, 1 << 20);
    virt_counters_set(&g.counters, VIRT_COUNTER_DISK_READ, 1 << 10);
    virt_stats_vm_figures(&e, &g, 4, GAP, &f);
    assert_false(f.complete);
    assert_true(isnan(f.v[VIRT_FIG_DISK_READ]));
    assert_false(isnan(f.v[VIRT_FIG_CPU]));
    /* Without vCPU thread times, the whole process' time stands in. */
    VirtStatsVm h = vm_at(7 * SEC, 8, 1030000000ULL, 0);
    h.counters.have &= ~(1u << VIRT_COUNTER_VCPU);
    virt_counters_set(&h.counters, VIRT_COUNTER_DISK_READ, 1 << 10);
    virt_stats_vm_figures(&g, &h, 4, GAP, &f);
    assert_true(f.complete);
    assert_true(fabs(f.v[VIRT_FIG_CPU_VCPUS] - 50.0) < 1e-9);
}

static void test_vm_memory(void **state)
{
    (void)state;
    VirtStatsVm vm = {.mem_current_kib = 4096};
    guint64 used, total;
    gboolean guest;
    /* Nothing but what it was given. */
    virt_stats_vm_memory(&vm, &used, &total, &guest);
    assert_false(guest);
    assert_int_equal(used, 4096);
    assert_int_equal(total, 4096);
    /* What the host charges: QEMU's resident memory, even above it. */
    vm.mem_rss_kib = 5000;
    virt_stats_vm_memory(&vm, &used, &total, &guest);
    assert_false(guest);
    assert_int_equal(used, 5000);
    assert_int_equal(total, 4096);
    /* The guest's balloon driver: free pages only, then usable memory. */
    vm.mem_available_kib = 4000;
    vm.mem_unused_kib = 3000;
    virt_stats_vm_memory(&vm, &used, &total, &guest);
    assert_true(guest);
    assert_int_equal(used, 1000);
    assert_int_equal(total, 4000);
    vm.mem_usable_kib = 3500;
    virt_stats_vm_memory(&vm, &used, &total, &guest);
    assert_true(guest);
    assert_int_equal(used, 500);
    /* Nonsense (usable above available) is not believed. */
    vm.mem_usable_kib = 9000;
    virt_stats_vm_memory(&vm, &used, &total, &guest);
    assert_int_equal(used, 1000);
}

static void test_host_figures(void **state)
{
    (void)state;
    VirtStatsSample a = {.cpu_ok = TRUE, .mem_ok = TRUE};
    a.counters = counters(0, 0);
    virt_counters_set(&a.counters, VIRT_COUNTER_CPU, 1000);
    virt_counters_set(&a.counters, VIRT_COUNTER_CPU_TOTAL, 10000);
    a.mem_total_kib = 1000;
    a.mem_free_kib = 100;
    a.mem_buffers_kib = 100;
    a.mem_cached_kib = 200;
    VirtStatsFigures f;
    virt_stats_host_figures(NULL, &a, GAP, &f);
    assert_false(f.complete);
    assert_true(f.v[VIRT_FIG_MEM_USED] == 600.0);
    VirtStatsSample b = a;
    b.counters.mono_us = SEC;
    virt_counters_set(&b.counters, VIRT_COUNTER_CPU, 1500);
    virt_counters_set(&b.counters, VIRT_COUNTER_CPU_TOTAL, 12000);
    virt_stats_host_figures(&a, &b, GAP, &f);
    /* Disks and network unknown on this host: not figures it has. */
    assert_true(f.complete);
    assert_true(fabs(f.v[VIRT_FIG_CPU] - 25.0) < 1e-9);
    assert_true(isnan(f.v[VIRT_FIG_DISK_READ]) && isnan(f.v[VIRT_FIG_CPU_VCPUS]));
    /* The counters went back (another host answered, or a wrap). */
    VirtStatsSample c = b;
    c.counters.mono_us = 2 * SEC;
    virt_counters_set(&c.counters, VIRT_COUNTER_CPU, 10);
    virt_counters_set(&c.counters, VIRT_COUNTER_CPU_TOTAL, 13000);
    virt_stats_host_figures(&b, &c, GAP, &f);
    assert_false(f.complete);
    assert_true(isnan(f.v[VIRT_FIG_CPU]));
}

static void test_read_record(void **state)
{
    (void)state;
    virTypedParameter p[] = {
        {.field = "state.state", .type = VIR_TYPED_PARAM_INT, .value.i = 1},
        {.field = "cpu.time", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 5000},
        {.field = "vcpu.current", .type = VIR_TYPED_PARAM_UINT, .value.ui = 2},
        {.field = "vcpu.maximum", .type = VIR_TYPED_PARAM_UINT, .value.ui = 4},
        {.field = "vcpu.0.time", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 100},
        {.field = "vcpu.0.wait", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 7777},
        {.field = "vcpu.1.time", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 200},
        {.field = "balloon.current", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 131072},
        {.field = "balloon.rss", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 219512},
        {.field = "block.count", .type = VIR_TYPED_PARAM_UINT, .value.ui = 2},
        {.field = "block.0.rd.bytes", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 10},
        {.field = "block.1.rd.bytes", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 20},
        {.field = "block.1.wr.bytes", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 5},
        {.field = "block.1.wr.reqs", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 3},
        {.field = "block.x.rd.bytes", .type = VIR_TYPED_PARAM_ULLONG, .value.ul = 1000},
        {.field = "net.count", .type = VIR_TYPED_PARAM_UINT, .value.ui = 0},
    };
    VirtStatsVm vm = {0};
    virt_stats_read_record(&vm, p, G_N_ELEMENTS(p));
    assert_int_equal(vm.state, 1);
    assert_int_equal(vm.vcpus, 2);
    assert_int_equal(vm.counters.v[VIRT_COUNTER_CPU], 5000);
    assert_int_equal(vm.counters.v[VIRT_COUNTER_VCPU], 300);
    assert_int_equal(vm.counters.v[VIRT_COUNTER_DISK_READ], 30);
    assert_int_equal(vm.counters.v[VIRT_COUNTER_DISK_WRITE], 5);
    assert_int_equal(vm.disk_write_reqs, 3);
    assert_int_equal(vm.mem_rss_kib, 219512);
    /* No NICs: nothing received, a known 0. */
    assert_true(vm.counters.have & (1u << VIRT_COUNTER_NET_RX));
    assert_int_equal(vm.counters.v[VIRT_COUNTER_NET_RX], 0);
    /* A shut-off VM's record has no block or net groups at all. */
    VirtStatsVm off = {0};
    virt_stats_read_record(&off, p, 2);
    assert_false(off.counters.have & (1u << VIRT_COUNTER_DISK_READ));
}

static const char DISKSTATS[] =
    "   7       0 loop0 13776 0 307208 1012 1618 10333 472441 1196 0 1844 3122\n"
    " 254       0 vda 248414 32829 9450522 1273751 332775 120703 25622768 307972 0 133184\n"
    " 254       1 vda1 100 0 200 0 50 0 400 0 0 0\n"
    "   8       0 sd a 1 2 3\n"
    " 259       0 nvme0n1 10 0 20 0 30 0 40 0 0 0 0 0 0 0 0 0 0\n"
    "garbage\n";

static gboolean only_whole_disks(const char *name, gconstpointer data)
{
    (void)data;
    return strcmp(name, "vda") == 0 || strcmp(name, "nvme0n1") == 0;
}

static void test_diskstats(void **state)
{
    (void)state;
    guint64 rd, wr;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    virt_host_io_parse_diskstats(DISKSTATS, only_whole_disks, NULL, &rd, &wr, names);
    assert_int_equal(rd, (9450522ULL + 20) * 512);
    assert_int_equal(wr, (25622768ULL + 40) * 512);
    assert_int_equal(names->len, 2);
    virt_host_io_parse_diskstats(DISKSTATS, NULL, NULL, &rd, &wr, NULL);
    assert_int_equal(rd, (307208ULL + 9450522 + 200 + 20) * 512);
    virt_host_io_parse_diskstats(NULL, NULL, NULL, &rd, &wr, NULL);
    assert_int_equal(rd, 0);
}

static const char NETDEV[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
    "    lo: 336024731291 16794477    0    0    0     0          0         0 336024731291 16794477    0    0    0     0       0          0\n"
    "  eth0: 566289992   38961    0    0    0     0          0         0  3059436   33298    0    0    0     0       0          0\n"
    "vnet12:1000 1 0 0 0 0 0 0 2000 2 0 0 0 0 0 0\n"
    "  bad: 1 2 3\n";

static gboolean not_lo(const char *name, gconstpointer data)
{
    (void)data;
    return strcmp(name, "lo") != 0;
}

static void test_netdev(void **state)
{
    (void)state;
    guint64 rx, tx;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    virt_host_io_parse_netdev(NETDEV, not_lo, NULL, &rx, &tx, names);
    /* "vnet12:1000" has no blank after the colon, as the kernel writes it
     * for long names. */
    assert_int_equal(rx, 566289992ULL + 1000);
    assert_int_equal(tx, 3059436ULL + 2000);
    assert_int_equal(names->len, 2);
    assert_string_equal(g_ptr_array_index(names, 0), "eth0");
}

static void test_process_start(void **state)
{
    (void)state;
    const char *stat = "4242 (qemu-system-x86) weird) S 1 4242 4242 0 -1 4194624 1 0 0 0 10 20 "
                       "0 0 20 0 3 0 12345 1000 200 18446744073709551615";
    const char *proc = "cpu  1 2 3\nbtime 1700000000\nprocesses 9\n";
    assert_int_equal(virt_proc_start_time(stat, proc, 100), 1700000000 + 123);
    assert_int_equal(virt_proc_start_time("4242 (x) S 1 2", proc, 100), 0);
    assert_int_equal(virt_proc_start_time(stat, "cpu 1\n", 100), 0);
    static const char cmd[] = "qemu\0-name\0guest=a\0-uuid\0ABCD-1\0-m\0128";
    assert_true(virt_cmdline_has_uuid(cmd, sizeof(cmd), "abcd-1"));
    assert_false(virt_cmdline_has_uuid(cmd, sizeof(cmd), "abcd-2"));
    static const char tail[] = "qemu\0-uuid";
    assert_false(virt_cmdline_has_uuid(tail, sizeof(tail), "abcd-1"));
    assert_true(virt_uri_is_local("qemu:///system"));
    assert_false(virt_uri_is_local("qemu+ssh://host/system"));
    assert_string_equal(virt_qemu_run_dir("qemu:///system"), "/run/libvirt/qemu");
    assert_null(virt_qemu_run_dir("qemu:///session"));
    assert_null(virt_qemu_run_dir("test:///default"));
    assert_null(virt_qemu_run_dir("qemu+tcp://127.0.0.1/system"));
    /* Our own process is no domain's. */
    assert_int_equal(virt_domain_process_start("/nonexistent", "x", "y"), 0);
}

static void test_sample_test_driver(void **state)
{
    (void)state;
    virt_init();
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtStatsSample) a = virt_stats_sample(conn, FALSE, &error);
    assert_non_null(a);
    assert_int_equal(a->vms->len, 1);
    const VirtStatsVm *vm = g_ptr_array_index(a->vms, 0);
    assert_string_equal(vm->name, "test");
    assert_int_equal(vm->state, VIR_DOMAIN_RUNNING);
    assert_true(vm->id > 0);
    assert_false(a->io_ok);
    VirtStatsFigures f;
    virt_stats_host_figures(NULL, a, GAP, &f);
    assert_false(f.complete);
    virConnectClose(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_basic),
        cmocka_unit_test(test_rate_unknown),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_vm_figures),
        cmocka_unit_test(test_vm_memory),
        cmocka_unit_test(test_host_figures),
        cmocka_unit_test(test_read_record),
        cmocka_unit_test(test_diskstats),
        cmocka_unit_test(test_netdev),
        cmocka_unit_test(test_process_start),
        cmocka_unit_test(test_sample_test_driver),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
