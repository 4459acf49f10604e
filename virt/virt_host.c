/* Host facts from libvirt (node info, capabilities XML) plus local probes
 * of /proc/cpuinfo and /sys/module: a /dev/kvm node alone proves nothing in
 * nested sandboxes (kvm_pvm), where kvm guests start and then die. */
#include "virt/virt_host.h"
#include "virt/virt_driver_caps.h"
#include "virt/virt_error.h"
#include "virt/virt_xml.h"

#include <libvirt/virterror.h>

#include <string.h>
#include <unistd.h>

void virt_host_info_free(VirtHostInfo *h)
{
    if (!h)
        return;
    g_free(h->hostname);
    g_free(h->cpu_model);
    g_free(h->arch);
    g_free(h->hypervisor);
    g_free(h->cpu_flag);
    g_strfreev(h->domain_types);
    g_free(h->default_domain_type);
    g_strfreev(h->machines);
    g_strfreev(h->driver_domain_types);
    g_free(h);
}

char *virt_version_string(unsigned long v)
{
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, (v / 1000) % 1000, v % 1000);
}

const char *virt_host_cpu_flag(const char *cpuinfo)
{
    /* Look at "flags" lines only, word by word. */
    g_auto(GStrv) lines = g_strsplit(cpuinfo ? cpuinfo : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        if (!g_str_has_prefix(*l, "flags"))
            continue;
        const char *colon = strchr(*l, ':');
        if (!colon)
            continue;
        g_auto(GStrv) words = g_strsplit(colon + 1, " ", -1);
        for (char **w = words; *w; w++) {
            if (strcmp(*w, "vmx") == 0)
                return "vmx";
            if (strcmp(*w, "svm") == 0)
                return "svm";
        }
    }
    return NULL;
}

gboolean virt_host_kvm_usable(const char *cpu_flag, gboolean kvm_device, gboolean kvm_pvm)
{
    return cpu_flag && kvm_device && !kvm_pvm;
}

/* Machine types of the host's own architecture, with their aliases (pc,
 * q35) beside the versioned names they stand for. */
static void read_machines(xmlXPathContext *ctx, VirtHostInfo *h)
{
    if (!h->arch || strchr(h->arch, '\''))
        return;
    g_autofree char *expr = g_strdup_printf("/capabilities/guest/arch[@name='%s']/machine",
                                            h->arch);
    g_autoptr(xmlXPathObject) nodes = virt_xml_nodes(ctx, NULL, expr);
    g_autoptr(GStrvBuilder) b = g_strv_builder_new();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < virt_xml_count(nodes); i++) {
        xmlNode *m = nodes->nodesetval->nodeTab[i];
        g_autofree char *name = virt_xml_string(ctx, m, ".");
        g_autofree char *canonical = virt_xml_string(ctx, m, "@canonical");
        if (name && g_hash_table_add(seen, g_strdup(name)))
            g_strv_builder_add(b, name);
        if (canonical && g_hash_table_add(seen, g_strdup(canonical)))
            g_strv_builder_add(b, canonical);
    }
    if (g_hash_table_size(seen))
        h->machines = g_strv_builder_end(b);
}

static void read_capabilities(virConnectPtr conn, VirtHostInfo *h)
{
    g_autofree char *caps = virConnectGetCapabilities(conn);
    if (!caps) {
        virResetLastError();
        return;
    }
    g_autoptr(xmlDoc) doc = virt_xml_parse(caps, strlen(caps), NULL);
    if (!doc)
        return;
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    h->cpu_model = virt_xml_string(ctx, NULL, "/capabilities/host/cpu/model");
    g_autofree char *arch = virt_xml_string(ctx, NULL, "/capabilities/host/cpu/arch");
    if (arch) {
        g_free(h->arch);
        h->arch = g_steal_pointer(&arch);
    }
    read_machines(ctx, h);
    /* kvm/qemu below are QEMU's; other drivers name their own (lxc, test, vbox...). */
    g_autoptr(VirtDriverCaps) dc = virt_driver_caps_parse(caps, strlen(caps), NULL);
    if (dc && dc->domain_types && dc->domain_types[0])
        h->driver_domain_types = g_steal_pointer(&dc->domain_types);
}

/* Whole-host memory from the memory stats (what /proc/meminfo says); node
 * info and free-memory calls can report a single NUMA cell instead. */
static void read_memory(virConnectPtr conn, VirtHostInfo *h, const virNodeInfo *node)
{
    h->memory_total_kib = node->memory;
    h->memory_free_kib = virNodeGetFreeMemory(conn) / 1024;
    int n = 0;
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) < 0 || n <= 0) {
        virResetLastError();
        return;
    }
    g_autofree virNodeMemoryStatsPtr stats = g_new0(virNodeMemoryStats, n);
    if (virNodeGetMemoryStats(conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, stats, &n, 0) < 0) {
        virResetLastError();
        return;
    }
    unsigned long long total = 0, free_kib = 0, reclaimable = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_TOTAL) == 0)
            total = stats[i].value;
        else if (strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_FREE) == 0)
            free_kib = stats[i].value;
        else if (strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_BUFFERS) == 0 ||
                 strcmp(stats[i].field, VIR_NODE_MEMORY_STATS_CACHED) == 0)
            reclaimable += stats[i].value;
    }
    if (total) {
        h->memory_total_kib = total;
        /* Page cache is free for guests in practice. */
        h->memory_free_kib = free_kib + reclaimable;
    }
}

VirtHostInfo *virt_host_info(virConnectPtr conn, GError **error)
{
    virNodeInfo node;
    if (virNodeGetInfo(conn, &node) < 0) {
        virt_error_from_libvirt(error, "reading host info");
        return NULL;
    }
    g_autoptr(VirtHostInfo) h = g_new0(VirtHostInfo, 1);
    h->arch = g_strdup(node.model);
    h->sockets = node.sockets * node.nodes;
    h->cores = node.cores;
    h->threads = node.threads;
    h->cpus = node.cpus;
    h->mhz = node.mhz;
    read_memory(conn, h, &node);
    h->hostname = virConnectGetHostname(conn);
    const char *type = virConnectGetType(conn);
    h->hypervisor = g_strdup(type ? type : "unknown");
    if (virConnectGetVersion(conn, &h->hypervisor_version) < 0 ||
        virConnectGetLibVersion(conn, &h->libvirt_version) < 0 || !h->hostname) {
        virt_error_from_libvirt(error, "reading host versions");
        return NULL;
    }
    read_capabilities(conn, h);

    /* The kvm probes describe this machine, which is the host for local
     * URIs; a remote host would need its own agent to tell. */
    g_autofree char *cpuinfo = NULL;
    g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL);
    h->cpu_flag = g_strdup(virt_host_cpu_flag(cpuinfo));
    h->kvm_device = access("/dev/kvm", F_OK) == 0;
    h->kvm_pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
    h->kvm_usable = virt_host_kvm_usable(h->cpu_flag, h->kvm_device, h->kvm_pvm);
    if (strcmp(h->hypervisor, "QEMU") != 0 && h->driver_domain_types) {
        h->domain_types = g_strdupv(h->driver_domain_types);
    } else if (h->kvm_usable) {
        const char *types[] = {"kvm", "qemu", NULL};
        h->domain_types = g_strdupv((char **)types);
    } else {
        const char *types[] = {"qemu", NULL};
        h->domain_types = g_strdupv((char **)types);
    }
    h->default_domain_type = g_strdup(h->domain_types[0]);
    return g_steal_pointer(&h);
}

gboolean virt_host_bridge_exists(const char *name)
{
    if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return FALSE;
    g_autofree char *path = g_build_filename("/sys/class/net", name, "bridge", NULL);
    return g_file_test(path, G_FILE_TEST_IS_DIR);
}
