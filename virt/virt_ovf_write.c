/* OVF 1.0 descriptors written with libxml2 (see virt_ovf_write.h). */
#include "virt/virt_ovf_write.h"
#include "virt/virt_error.h"
#include "virt/virt_ovf.h"
#include "virt/virt_xml.h"

#include <string.h>

#define NS_OVF "http://schemas.dmtf.org/ovf/envelope/1"
#define NS_RASD \
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
#define NS_VSSD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
#define NS_VMW "http://www.vmware.com/schema/ovf"
#define VMDK_STREAM "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
/* The SCSI unit the controller itself takes. */
#define SCSI_SELF 7

typedef struct {
    xmlNs *ovf, *rasd, *vssd, *vmw;
    guint instance; /* the last rasd:InstanceID given */
} Writer;

static xmlNode *element(xmlNode *parent, xmlNs *ns, const char *name, const char *text)
{
    if (text)
        return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
    return xmlNewChild(parent, ns, BAD_CAST name, NULL);
}

static void attr(xmlNode *n, xmlNs *ns, const char *name, const char *value)
{
    xmlNewNsProp(n, ns, BAD_CAST name, BAD_CAST value);
}

static void attr_u64(xmlNode *n, xmlNs *ns, const char *name, guint64 value)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, value);
    attr(n, ns, name, text);
}

static void info(xmlNode *section, const char *text)
{
    element(section, NULL, "Info", text);
}

/* One <Item> of the hardware: rasd elements must come in the schema's
 * (alphabetical) order, which the callers keep. Answers its InstanceID. */
static xmlNode *item(Writer *w, xmlNode *hw, guint *id)
{
    *id = ++w->instance;
    return element(hw, NULL, "Item", NULL);
}

static void rasd(Writer *w, xmlNode *item, const char *name, const char *text)
{
    element(item, w->rasd, name, text);
}

static void rasd_u(Writer *w, xmlNode *item, const char *name, guint64 value)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, value);
    rasd(w, item, name, text);
}

static void references_and_disks(Writer *w, xmlNode *env, const VirtOvfOut *o)
{
    xmlNode *refs = element(env, NULL, "References", NULL);
    xmlNode *disks = element(env, NULL, "DiskSection", NULL);
    info(disks, "The virtual disks");
    for (guint i = 0; i < o->n_disks; i++) {
        const VirtOvfOutDisk *d = &o->disks[i];
        g_autofree char *file_id = g_strdup_printf("file%u", i + 1);
        g_autofree char *disk_id = g_strdup_printf("vmdisk%u", i + 1);
        xmlNode *f = element(refs, NULL, "File", NULL);
        attr(f, w->ovf, "href", d->href);
        attr(f, w->ovf, "id", file_id);
        attr_u64(f, w->ovf, "size", d->file_size);
        xmlNode *k = element(disks, NULL, "Disk", NULL);
        attr_u64(k, w->ovf, "capacity", d->capacity);
        attr(k, w->ovf, "capacityAllocationUnits", "byte");
        attr(k, w->ovf, "diskId", disk_id);
        attr(k, w->ovf, "fileRef", file_id);
        attr(k, w->ovf, "format", VMDK_STREAM);
        attr_u64(k, w->ovf, "populatedSize", d->populated);
    }
}

/* Each network a NIC is on, once. */
static void networks(xmlNode *env, const VirtOvfOut *o, Writer *w)
{
    if (!o->n_nics)
        return;
    xmlNode *net = element(env, NULL, "NetworkSection", NULL);
    info(net, "The networks the VM's NICs are on");
    for (guint i = 0; i < o->n_nics; i++) {
        gboolean seen = FALSE;
        for (guint j = 0; j < i; j++)
            seen = seen || strcmp(o->nics[i], o->nics[j]) == 0;
        if (seen)
            continue;
        xmlNode *n = element(net, NULL, "Network", NULL);
        attr(n, w->ovf, "name", o->nics[i]);
        element(n, NULL, "Description", "A network of the exporting host");
    }
}

static void hardware(Writer *w, xmlNode *vs, const VirtOvfOut *o)
{
    xmlNode *hw = element(vs, NULL, "VirtualHardwareSection", NULL);
    info(hw, "Virtual hardware requirements");
    xmlNode *sys = element(hw, NULL, "System", NULL);
    element(sys, w->vssd, "ElementName", "Virtual Hardware Family");
    element(sys, w->vssd, "InstanceID", "0");
    element(sys, w->vssd, "VirtualSystemIdentifier", o->name);
    element(sys, w->vssd, "VirtualSystemType", "vmx-10 virtualbox-2.2");
    guint id;
    xmlNode *cpu = item(w, hw, &id);
    rasd(w, cpu, "AllocationUnits", "hertz * 10^6");
    rasd(w, cpu, "Description", "Number of virtual CPUs");
    g_autofree char *cpus = g_strdup_printf("%u virtual CPU(s)", o->vcpus);
    rasd(w, cpu, "ElementName", cpus);
    rasd_u(w, cpu, "InstanceID", id);
    rasd(w, cpu, "ResourceType", "3");
    rasd_u(w, cpu, "VirtualQuantity", o->vcpus);
    xmlNode *mem = item(w, hw, &id);
    rasd(w, mem, "AllocationUnits", "byte * 2^20");
    rasd(w, mem, "Description", "Memory size");
    g_autofree char *mib = g_strdup_printf("%" G_GUINT64_FORMAT " MB of memory", o->memory_mib);
    rasd(w, mem, "ElementName", mib);
    rasd_u(w, mem, "InstanceID", id);
    rasd(w, mem, "ResourceType", "4");
    rasd_u(w, mem, "VirtualQuantity", o->memory_mib);
    guint scsi = 0;
    if (o->n_disks) {
        xmlNode *c = item(w, hw, &scsi);
        rasd(w, c, "Address", "0");
        rasd(w, c, "Description", "SCSI Controller");
        rasd(w, c, "ElementName", "SCSI Controller 0");
        rasd_u(w, c, "InstanceID", scsi);
        rasd(w, c, "ResourceSubType", "lsilogic");
        rasd(w, c, "ResourceType", "6");
    }
    for (guint i = 0; i < o->n_disks; i++) {
        xmlNode *d = item(w, hw, &id);
        rasd_u(w, d, "AddressOnParent", i < SCSI_SELF ? i : i + 1);
        g_autofree char *name = g_strdup_printf("Hard Disk %u", i + 1);
        rasd(w, d, "ElementName", name);
        g_autofree char *host = g_strdup_printf("ovf:/disk/vmdisk%u", i + 1);
        rasd(w, d, "HostResource", host);
        rasd_u(w, d, "InstanceID", id);
        rasd_u(w, d, "Parent", scsi);
        rasd(w, d, "ResourceType", "17");
    }
    for (guint i = 0; i < o->n_nics; i++) {
        xmlNode *n = item(w, hw, &id);
        rasd_u(w, n, "AddressOnParent", i + 1);
        rasd(w, n, "AutomaticAllocation", "true");
        rasd(w, n, "Connection", o->nics[i]);
        g_autofree char *name = g_strdup_printf("Ethernet adapter %u", i + 1);
        rasd(w, n, "ElementName", name);
        rasd_u(w, n, "InstanceID", id);
        rasd(w, n, "ResourceSubType", "E1000");
        rasd(w, n, "ResourceType", "10");
    }
    if (o->uefi) {
        xmlNode *cfg = element(hw, w->vmw, "Config", NULL);
        attr(cfg, w->ovf, "required", "false");
        attr(cfg, w->vmw, "key", "firmware");
        attr(cfg, w->vmw, "value", "efi");
    }
}

char *virt_ovf_write(const VirtOvfOut *o, GError **error)
{
    if (o->n_disks > VIRT_OVF_WRITE_MAX_DISKS) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG,
                  "the VM has %u disks: an OVA holds at most %d (one SCSI controller)", o->n_disks,
                  VIRT_OVF_WRITE_MAX_DISKS);
        return NULL;
    }
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *env = xmlNewNode(NULL, BAD_CAST "Envelope");
    xmlDocSetRootElement(doc, env);
    xmlNewNs(env, BAD_CAST NS_OVF, NULL);
    Writer w = {
        .ovf = xmlNewNs(env, BAD_CAST NS_OVF, BAD_CAST "ovf"),
        .rasd = xmlNewNs(env, BAD_CAST NS_RASD, BAD_CAST "rasd"),
        .vssd = xmlNewNs(env, BAD_CAST NS_VSSD, BAD_CAST "vssd"),
        .vmw = xmlNewNs(env, BAD_CAST NS_VMW, BAD_CAST "vmw"),
    };
    xmlSetNs(env, xmlSearchNsByHref(doc, env, BAD_CAST NS_OVF));
    attr(env, w.ovf, "version", "1.0");
    references_and_disks(&w, env, o);
    networks(env, o, &w);
    xmlNode *vs = element(env, NULL, "VirtualSystem", NULL);
    attr(vs, w.ovf, "id", o->name);
    info(vs, "A virtual machine exported by Vireo");
    element(vs, NULL, "Name", o->name);
    xmlNode *os = element(vs, NULL, "OperatingSystemSection", NULL);
    guint cim = 1;
    g_autofree char *vmw_os = virt_ovf_vmw_os_type(o->os_id, &cim);
    attr_u64(os, w.ovf, "id", cim);
    attr(os, w.vmw, "osType", vmw_os);
    info(os, "The kind of installed guest operating system");
    hardware(&w, vs, o);
    return virt_xml_dump(doc);
}
