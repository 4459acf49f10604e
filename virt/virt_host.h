/* Facts about the hypervisor host: CPU, memory, versions, and whether
 * hardware virtualization is really usable for guests. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>

typedef struct {
    char *hostname;
    char *cpu_model;
    char *arch;
    unsigned sockets, cores, threads, cpus, mhz;
    unsigned long long memory_total_kib, memory_free_kib;
    char *hypervisor;                 /* QEMU, Test ... */
    unsigned long hypervisor_version; /* major * 1000000 + minor * 1000 + micro */
    unsigned long libvirt_version;
    char *cpu_flag;      /* "vmx", "svm" or NULL */
    gboolean kvm_device; /* /dev/kvm exists */
    gboolean kvm_pvm;    /* the nested-sandbox kvm_pvm module is loaded */
    gboolean kvm_usable;
    GStrv domain_types; /* what Vireo offers: {"kvm", "qemu"} or {"qemu"} */
    char *default_domain_type;
    GStrv machines;            /* machine types (and their aliases) for `arch`; may be NULL */
    GStrv driver_domain_types; /* <domain type> values of the capabilities; may be NULL */
} VirtHostInfo;

void virt_host_info_free(VirtHostInfo *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VirtHostInfo, virt_host_info_free)
VirtHostInfo *virt_host_info(virConnectPtr conn, GError **error);

/* The local probe behind kvm_usable: the CPU flags line of /proc/cpuinfo
 * (or its whole text), and whether kvm_pvm is loaded. Exposed for tests. */
const char *virt_host_cpu_flag(const char *cpuinfo);
gboolean virt_host_kvm_usable(const char *cpu_flag, gboolean kvm_device, gboolean kvm_pvm);

/* "9.0.0" from libvirt's packed version number. */
char *virt_version_string(unsigned long version);

/* TRUE when the host has a network bridge of that name (/sys/class/net). */
gboolean virt_host_bridge_exists(const char *name);
