/* The OVF descriptor reader (virt/virt_ovf.c) on descriptors written as
 * VirtualBox and VMware write them, descriptors that lie, XXE and
 * billion-laughs attempts, an oversized one; the manifest parser; and the
 * OVA stream reader (virt/virt_ova.c) over archives made here: the disks
 * reach the sink, digests are checked, members the descriptor does not
 * reference, sizes that differ and missing files are refused. The
 * descriptor writer (virt/virt_ovf_write.c) read back by the reader, and
 * the manifest lines it writes parsed back. */
#include "unit.h"
#include "unit_tar.h"

#include "virt/virt_error.h"
#include "virt/virt_ova.h"
#include "virt/virt_ovf.h"
#include "virt/virt_ovf_write.h"

#define ENVELOPE_OPEN \
    "<?xml version=\"1.0\"?>\n" \
    "<Envelope ovf:version=\"1.0\" xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" " \
    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" " \
    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/" \
    "CIM_ResourceAllocationSettingData\" " \
    "xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/" \
    "CIM_VirtualSystemSettingData\" " \
    "xmlns:vbox=\"http://www.virtualbox.org/ovf/machine\" " \
    "xmlns:vmw=\"http://www.vmware.com/schema/ovf\">\n"

/* As VirtualBox 7 exports a Debian guest with EFI on. */
static const char vbox_ovf[] = ENVELOPE_OPEN
    "<References><File ovf:id=\"file1\" ovf:href=\"deb-disk001.vmdk\" ovf:size=\"1536\"/>"
    "</References>\n"
    "<DiskSection><Info>List of the virtual disks used in the package</Info>"
    "<Disk ovf:capacity=\"8589934592\" ovf:diskId=\"vmdisk1\" ovf:fileRef=\"file1\" "
    "ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\" "
    "vbox:uuid=\"6d3c1d2e-0000-4000-8000-000000000001\"/></DiskSection>\n"
    "<NetworkSection><Info>Logical networks</Info><Network ovf:name=\"NAT\"/></NetworkSection>\n"
    "<VirtualSystem ovf:id=\"deb\"><Info>A virtual machine</Info>"
    "<OperatingSystemSection ovf:id=\"96\"><Info>The kind of guest OS</Info>"
    "<Description>Debian_64</Description>"
    "<vbox:OSType ovf:required=\"false\">Debian_64</vbox:OSType></OperatingSystemSection>"
    "<VirtualHardwareSection><Info>Virtual hardware</Info>"
    "<System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName>"
    "<vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemIdentifier>deb"
    "</vssd:VirtualSystemIdentifier><vssd:VirtualSystemType>virtualbox-2.2"
    "</vssd:VirtualSystemType></System>"
    "<Item><rasd:Caption>2 virtual CPU</rasd:Caption><rasd:InstanceID>1</rasd:InstanceID>"
    "<rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity>"
    "</Item>"
    "<Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:InstanceID>2"
    "</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>"
    "<rasd:VirtualQuantity>2048</rasd:VirtualQuantity></Item>"
    "<Item><rasd:Address>0</rasd:Address><rasd:Caption>sataController0</rasd:Caption>"
    "<rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>AHCI</rasd:ResourceSubType>"
    "<rasd:ResourceType>20</rasd:ResourceType></Item>"
    "<Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>"
    "<rasd:Connection>NAT</rasd:Connection><rasd:InstanceID>5</rasd:InstanceID>"
    "<rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10"
    "</rasd:ResourceType></Item>"
    "<Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:Caption>disk1</rasd:Caption>"
    "<rasd:HostResource>/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>7</rasd:InstanceID>"
    "<rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>"
    "<Item><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:AutomaticAllocation>false"
    "</rasd:AutomaticAllocation><rasd:Caption>cdrom1</rasd:Caption><rasd:InstanceID>8"
    "</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>15</rasd:ResourceType>"
    "</Item>"
    "</VirtualHardwareSection>"
    "<vbox:Machine ovf:required=\"false\" version=\"1.19-linux\" name=\"deb\" "
    "OSType=\"Debian_64\"><ovf:Info>VirtualBox configuration</ovf:Info>"
    "<Hardware><CPU count=\"2\"/><Memory RAMSize=\"2048\"/><Firmware type=\"EFI\"/></Hardware>"
    "</vbox:Machine></VirtualSystem></Envelope>\n";

/* As VMware's ovftool writes a Windows 10 VM: two disks (the second
 * attached first), units as "byte * 2^N", a VMXNET3 and an E1000E NIC,
 * EFI as a vmw:Config. */
static const char vmware_ovf[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Envelope vmw:buildId=\"build-1\" xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\" "
    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
    "CIM_ResourceAllocationSettingData\" "
    "xmlns:vmw=\"http://www.vmware.com/schema/ovf\" "
    "xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
    "CIM_VirtualSystemSettingData\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
    "<References><File ovf:href=\"win-disk1.vmdk\" ovf:id=\"file1\" ovf:size=\"70000\"/>"
    "<File ovf:href=\"win-disk2.vmdk\" ovf:id=\"file2\" ovf:size=\"512\"/>"
    "<File ovf:href=\"win-nvram.nvram\" ovf:id=\"file3\" ovf:size=\"8684\"/></References>\n"
    "<DiskSection><Info>Virtual disk information</Info>"
    "<Disk ovf:capacity=\"40\" ovf:capacityAllocationUnits=\"byte * 2^30\" ovf:diskId=\"vmdisk1\" "
    "ovf:fileRef=\"file1\" ovf:format=\"http://www.vmware.com/interfaces/specifications/"
    "vmdk.html#streamOptimized\" ovf:populatedSize=\"0\"/>"
    "<Disk ovf:capacity=\"1024\" ovf:capacityAllocationUnits=\"byte * 2^20\" "
    "ovf:diskId=\"vmdisk2\" ovf:fileRef=\"file2\" ovf:format=\"http://www.vmware.com/interfaces/"
    "specifications/vmdk.html#streamOptimized\"/></DiskSection>\n"
    "<NetworkSection><Info>The list of logical networks</Info><Network ovf:name=\"VM Network\">"
    "<Description>The VM Network network</Description></Network></NetworkSection>\n"
    "<VirtualSystem ovf:id=\"win10\"><Info>A virtual machine</Info><Name>Windows 10 VM</Name>"
    "<OperatingSystemSection ovf:id=\"1\" vmw:osType=\"windows9_64Guest\">"
    "<Info>The kind of installed guest operating system</Info></OperatingSystemSection>"
    "<VirtualHardwareSection><Info>Virtual hardware requirements</Info>"
    "<System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName>"
    "<vssd:VirtualSystemType>vmx-19</vssd:VirtualSystemType></System>"
    "<Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>"
    "<rasd:ElementName>4 virtual CPU(s)</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID>"
    "<rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>4</rasd:VirtualQuantity>"
    "<vmw:CoresPerSocket ovf:required=\"false\">2</vmw:CoresPerSocket></Item>"
    "<Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>"
    "<rasd:ElementName>4096MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID>"
    "<rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>4096</rasd:VirtualQuantity>"
    "</Item>"
    "<Item><rasd:Address>0</rasd:Address><rasd:ElementName>SATA Controller 0</rasd:ElementName>"
    "<rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>vmware.sata.ahci"
    "</rasd:ResourceSubType><rasd:ResourceType>20</rasd:ResourceType></Item>"
    "<Item><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:ElementName>Hard Disk 2"
    "</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk2</rasd:HostResource>"
    "<rasd:InstanceID>9</rasd:InstanceID><rasd:Parent>3</rasd:Parent>"
    "<rasd:ResourceType>17</rasd:ResourceType></Item>"
    "<Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>Hard Disk 1"
    "</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>"
    "<rasd:InstanceID>8</rasd:InstanceID><rasd:Parent>3</rasd:Parent>"
    "<rasd:ResourceType>17</rasd:ResourceType></Item>"
    "<Item ovf:required=\"false\"><rasd:AutomaticAllocation>false</rasd:AutomaticAllocation>"
    "<rasd:ElementName>CD/DVD drive 1</rasd:ElementName><rasd:InstanceID>10</rasd:InstanceID>"
    "<rasd:ResourceType>16</rasd:ResourceType></Item>"
    "<Item><rasd:AddressOnParent>7</rasd:AddressOnParent><rasd:AutomaticAllocation>true"
    "</rasd:AutomaticAllocation><rasd:Connection>VM Network</rasd:Connection>"
    "<rasd:ElementName>Network adapter 1</rasd:ElementName><rasd:InstanceID>11"
    "</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>"
    "<rasd:ResourceType>10</rasd:ResourceType></Item>"
    "<Item><rasd:Connection>VM Network</rasd:Connection><rasd:InstanceID>12</rasd:InstanceID>"
    "<rasd:ResourceSubType>E1000e</rasd:ResourceSubType><rasd:ResourceType>10"
    "</rasd:ResourceType></Item>"
    "<vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"efi\"/>"
    "<vmw:Config ovf:required=\"false\" vmw:key=\"tools.syncTimeWithHost\" "
    "vmw:value=\"false\"/>"
    "</VirtualHardwareSection></VirtualSystem></Envelope>\n";

static VirtOvf *parse(const char *xml, GError **error)
{
    return virt_ovf_parse(xml, strlen(xml), error);
}

static void test_virtualbox_descriptor(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtOvf) ovf = parse(vbox_ovf, &error);
    assert_non_null(ovf);
    assert_string_equal(ovf->name, "deb");
    assert_int_equal(ovf->vcpus, 2);
    assert_int_equal(ovf->memory_mib, 2048);
    assert_true(ovf->uefi);
    assert_string_equal(ovf->os_type, "Debian_64");
    assert_string_equal(ovf->os_family, "linux");
    assert_null(ovf->os_id); /* "Debian" without a version */
    assert_int_equal(ovf->files->len, 1);
    assert_int_equal(ovf->disks->len, 1);
    const VirtOvfDisk *d = g_ptr_array_index(ovf->disks, 0);
    assert_string_equal(d->format, "vmdk");
    assert_int_equal(d->capacity, G_GUINT64_CONSTANT(8) << 30);
    const VirtOvfFile *f = virt_ovf_file_by_href(ovf, "deb-disk001.vmdk");
    assert_non_null(f);
    assert_int_equal(f->size, 1536);
    assert_int_equal(f->disk_index, 0);
    assert_int_equal(ovf->nic_models->len, 1);
    assert_string_equal(g_ptr_array_index(ovf->nic_models, 0), "e1000");
    assert_int_equal(ovf->notes->len, 1);
    assert_string_equal(g_ptr_array_index(ovf->notes, 0), "CD/DVD drives are left out");
}

static void test_vmware_descriptor(void **state)
{
    (void)state;
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtOvf) ovf = parse(vmware_ovf, &error);
    assert_non_null(ovf);
    assert_string_equal(ovf->name, "Windows 10 VM");
    assert_int_equal(ovf->vcpus, 4);
    assert_int_equal(ovf->memory_mib, 4096);
    assert_true(ovf->uefi);
    assert_string_equal(ovf->os_type, "windows9_64Guest");
    assert_string_equal(ovf->os_family, "windows");
    assert_string_equal(ovf->os_id, "win10");
    /* Disks in the order the hardware attaches them. */
    assert_int_equal(ovf->disks->len, 2);
    const VirtOvfDisk *d0 = g_ptr_array_index(ovf->disks, 0);
    const VirtOvfDisk *d1 = g_ptr_array_index(ovf->disks, 1);
    assert_string_equal(d0->id, "vmdisk2");
    assert_int_equal(d0->capacity, G_GUINT64_CONSTANT(1) << 30);
    assert_string_equal(d1->id, "vmdisk1");
    assert_int_equal(d1->capacity, G_GUINT64_CONSTANT(40) << 30);
    assert_int_equal(virt_ovf_file_by_href(ovf, "win-disk2.vmdk")->disk_index, 0);
    assert_int_equal(virt_ovf_file_by_href(ovf, "win-nvram.nvram")->disk_index, -1);
    assert_int_equal(ovf->nic_models->len, 2);
    assert_null(g_ptr_array_index(ovf->nic_models, 0)); /* VMXNET3: no such model here */
    assert_string_equal(g_ptr_array_index(ovf->nic_models, 1), "e1000e");
    assert_int_equal(ovf->notes->len, 2);
    assert_string_equal(g_ptr_array_index(ovf->notes, 0), "CD/DVD drives are left out");
    assert_string_equal(g_ptr_array_index(ovf->notes, 1),
                        "file 'win-nvram.nvram' is not a disk of the VM: skipped");
}

static void test_os_guesses(void **state)
{
    (void)state;
    static const struct {
        const char *vmw, *vbox, *cim, *family, *id;
    } cases[] = {
        {"debian11_64Guest", NULL, NULL, "linux", "debian11"},
        {"rhel8_64Guest", NULL, NULL, "linux", "rhel8.0"},
        {"ubuntu64Guest", NULL, NULL, "linux", NULL},
        {"other5xLinux64Guest", NULL, NULL, "linux", NULL},
        {"windows2019srv_64Guest", NULL, NULL, "windows", "win2k19"},
        {"winNetStandardGuest", NULL, NULL, "windows", NULL},
        {"freebsd13_64Guest", NULL, NULL, "bsd", NULL},
        {NULL, "Windows11_64", NULL, "windows", "win11"},
        {NULL, "Debian11_64", NULL, "linux", "debian11"},
        {NULL, "ArchLinux_64", NULL, "linux", NULL},
        {NULL, "Other", "1", "other", NULL},
        {NULL, NULL, "107", "linux", NULL},
        {NULL, NULL, "105", "windows", NULL},
        {NULL, NULL, "not-a-number", "other", NULL},
        {"darwin21_64Guest", NULL, "36", "linux", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *family, *id;
        virt_ovf_guess_os(cases[i].vmw, cases[i].vbox, cases[i].cim, &family, &id);
        assert_string_equal(family, cases[i].family);
        if (cases[i].id)
            assert_string_equal(id, cases[i].id);
        else
            assert_null(id);
    }
}

/* The VirtualBox descriptor with `from` replaced by `to`. */
static char *vbox_with(const char *from, const char *to)
{
    const char *at = strstr(vbox_ovf, from);
    assert_non_null(at);
    return g_strdup_printf("%.*s%s%s", (int)(at - vbox_ovf), vbox_ovf, to, at + strlen(from));
}

/* `xml` is refused with INVALID_ARG, in words that say `words`. */
static void assert_refused(const char *xml, const char *words)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(VirtOvf) ovf = parse(xml, &error);
    if (ovf)
        fail_msg("accepted; wanted '%s'", words);
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    if (!strstr(error->message, words))
        fail_msg("'%s' does not say '%s'", error->message, words);
}

static void assert_lie(const char *from, const char *to, const char *words)
{
    g_autofree char *xml = vbox_with(from, to);
    assert_refused(xml, words);
}

static void test_descriptors_that_lie(void **state)
{
    (void)state;
    assert_lie("ovf:fileRef=\"file1\"", "ovf:fileRef=\"file9\"", "which References lack");
    assert_lie("/disk/vmdisk1", "/disk/vmdisk7", "which DiskSection lacks");
    assert_lie("/disk/vmdisk1", "ovf:/file/file1", "names no disk");
    assert_lie("ovf:capacity=\"8589934592\"", "ovf:capacity=\"${disk.size}\"", "capacity");
    assert_lie("ovf:capacity=\"8589934592\"", "ovf:capacity=\"0\"", "capacity of 0");
    assert_lie("ovf:capacity=\"8589934592\"",
               "ovf:capacity=\"99999999\" ovf:capacityAllocationUnits=\"byte * 2^30\"",
               "over 64 TiB");
    assert_lie("ovf:capacity=\"8589934592\"",
               "ovf:capacity=\"1\" ovf:capacityAllocationUnits=\"furlongs\"", "units 'furlongs'");
    assert_lie("ovf:href=\"deb-disk001.vmdk\"", "ovf:href=\"../../etc/shadow\"", "'..'");
    assert_lie("ovf:href=\"deb-disk001.vmdk\"", "ovf:href=\"/etc/shadow\"", "absolute");
    assert_lie("ovf:href=\"deb-disk001.vmdk\"", "ovf:href=\"http://example.invalid/d.vmdk\"",
               "outside the archive");
    assert_lie("ovf:size=\"1536\"", "ovf:size=\"1536\" ovf:compression=\"gzip\"",
               "gzip-compressed");
    assert_lie("ovf:size=\"1536\"", "ovf:size=\"1536\" ovf:chunkSize=\"1024\"", "chunks");
    assert_lie("ovf:size=\"1536\"", "ovf:size=\"-5\"", "ovf:size");
    assert_lie("<rasd:VirtualQuantity>2048", "<rasd:VirtualQuantity>4", "memory");
    assert_lie("<rasd:VirtualQuantity>2</rasd:VirtualQuantity>",
               "<rasd:VirtualQuantity>0</rasd:VirtualQuantity>", "vCPUs");
}

static void test_lies_of_structure(void **state)
{
    (void)state;
    /* The extension decides when the format URL says nothing. */
    g_autofree char *ext = vbox_with("ovf:format=", "data-format=");
    g_autoptr(GError) e0 = NULL;
    g_autoptr(VirtOvf) ok = parse(ext, &e0);
    assert_non_null(ok);
    assert_string_equal(((VirtOvfDisk *)g_ptr_array_index(ok->disks, 0))->format, "vmdk");

    /* Neither the format nor the extension says what it is. */
    g_autofree char *vhd_uri = vbox_with("#streamOptimized", "-not-really");
    g_autofree char *vhd = g_strdup(vhd_uri);
    char *at = strstr(vhd, "vmdk.html");
    memcpy(at, "vhdx.html", 9);
    at = strstr(vhd, "deb-disk001.vmdk");
    memcpy(at + strlen("deb-disk001."), "vhdx", 4);
    assert_refused(vhd, "cannot import");

    /* Two drives on one disk. */
    g_autofree char *twice = vbox_with(
        "</VirtualHardwareSection>",
        "<Item><rasd:HostResource>/disk/vmdisk1</rasd:HostResource><rasd:ResourceType>17"
        "</rasd:ResourceType></Item></VirtualHardwareSection>");
    assert_refused(twice, "attached to two drives");

    /* Two disks on one file. */
    g_autofree char *shared = vbox_with("</DiskSection>",
                                        "<Disk ovf:capacity=\"1024\" ovf:diskId=\"vmdisk2\" "
                                        "ovf:fileRef=\"file1\"/></DiskSection>");
    g_autofree char *shared2 = g_strdup_printf(
        "%.*s<Item><rasd:HostResource>/disk/vmdisk2</rasd:HostResource><rasd:ResourceType>17"
        "</rasd:ResourceType></Item>%s",
        (int)(strstr(shared, "</VirtualHardwareSection>") - shared), shared,
        strstr(shared, "</VirtualHardwareSection>"));
    assert_refused(shared2, "backs two disks");

    g_autofree char *two_systems = vbox_with(
        "<VirtualSystem ovf:id=\"deb\">",
        "<VirtualSystem ovf:id=\"other\"><Info>x</Info></VirtualSystem>"
        "<VirtualSystem ovf:id=\"deb\">");
    assert_refused(two_systems, "several virtual systems");

    g_autofree char *no_disk = vbox_with("<rasd:ResourceType>17<", "<rasd:ResourceType>18<");
    assert_refused(no_disk, "no disk");

    static const char *const not_ovf[] = {
        "<Envelope/>",
        "<Envelope xmlns=\"http://example.invalid/\"/>",
        "<domain><name>x</name></domain>",
        "not xml at all",
        "",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(not_ovf); i++) {
        g_autoptr(GError) e = NULL;
        g_autoptr(VirtOvf) o = parse(not_ovf[i], &e);
        assert_null(o);
        assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    }
}

static void test_xxe_and_entities_refused(void **state)
{
    (void)state;
    static const char *const attacks[] = {
        /* An external entity reading a file. */
        "<?xml version=\"1.0\"?><!DOCTYPE Envelope [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&x;</Envelope>",
        /* One fetched from the network. */
        "<?xml version=\"1.0\"?><!DOCTYPE Envelope SYSTEM \"http://example.invalid/ovf.dtd\">"
        "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"/>",
        /* Billion laughs. */
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
        "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&lol3;</Envelope>",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(attacks); i++)
        assert_refused(attacks[i], "DTD");
    /* A DTD in UTF-16, which the byte scan cannot read, is refused once parsed. */
    const char *doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE Envelope [<!ENTITY "
                      "x SYSTEM \"file:///etc/passwd\">]><Envelope "
                      "xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&x;</Envelope>";
    g_autofree char *bom_doc = g_strconcat("\xef\xbb\xbf", doc, NULL);
    g_autofree gunichar2 *wide = g_utf8_to_utf16(bom_doc, -1, NULL, NULL, NULL);
    glong n = 0;
    while (wide[n])
        n++;
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtOvf) o = virt_ovf_parse((const char *)wide, (gsize)n * 2, &e);
    assert_null(o);
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    assert_non_null(strstr(e->message, "has a DTD: refused"));
}

static void test_oversized_descriptor(void **state)
{
    (void)state;
    gsize len = VIRT_OVF_MAX_BYTES + 1;
    g_autofree char *big = g_malloc(len);
    memset(big, ' ', len);
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtOvf) o = virt_ovf_parse(big, len, &e);
    assert_null(o);
    assert_non_null(strstr(e->message, "over 4 MiB"));
}

static void test_manifest(void **state)
{
    (void)state;
    const char *text = "SHA256(deb.ovf)= 0123456789ABCDEF0123456789abcdef0123456789abcdef01234567"
                       "89abcdef\r\n"
                       "SHA1(deb-disk001.vmdk) = da39a3ee5e6b4b0d3255bfef95601890afd80709\r\n\r\n";
    g_autoptr(GError) e = NULL;
    g_autoptr(GHashTable) m = virt_ova_manifest_parse(text, strlen(text), &e);
    assert_non_null(m);
    assert_int_equal(g_hash_table_size(m), 2);
    const VirtOvaDigest *d = g_hash_table_lookup(m, "deb.ovf");
    assert_int_equal(d->type, G_CHECKSUM_SHA256);
    assert_string_equal(d->hex, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    d = g_hash_table_lookup(m, "deb-disk001.vmdk");
    assert_int_equal(d->type, G_CHECKSUM_SHA1);
    static const char *const bad[] = {
        "MD5(a)= d41d8cd98f00b204e9800998ecf8427e",
        "SHA1(a)= da39a3ee",
        "SHA1(a)= zz39a3ee5e6b4b0d3255bfef95601890afd80709",
        "SHA1(a) da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "SHA1(a)= da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
        "SHA1(a)= da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "garbage",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) e2 = NULL;
        g_autoptr(GHashTable) m2 = virt_ova_manifest_parse(bad[i], strlen(bad[i]), &e2);
        assert_null(m2);
        assert_true(g_error_matches(e2, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    }
}

/* ---- OVA streams ---- */

typedef struct {
    GString *disk;
    guint64 announced;
    int begins, ends;
} Sink;

static gboolean sink_begin(const VirtOvf *ovf, guint disk, guint64 size, gpointer data,
                           GError **error)
{
    Sink *s = data;
    assert_int_equal(disk, 0);
    assert_non_null(ovf);
    s->announced = size;
    s->begins++;
    return TRUE;
}

static gboolean sink_data(guint disk, const guint8 *buf, gsize len, gpointer data, GError **error)
{
    g_string_append_len(((Sink *)data)->disk, (const char *)buf, (gssize)len);
    return TRUE;
}

static gboolean sink_end(guint disk, gpointer data, GError **error)
{
    ((Sink *)data)->ends++;
    return TRUE;
}

static const VirtOvaSink sink_calls = {sink_begin, sink_data, sink_end};

static char *sha(GChecksumType type, const void *data, gsize len)
{
    return g_compute_checksum_for_data(type, data, len);
}

/* An OVA of vbox_ovf: descriptor, a 1536-byte disk, and a manifest
 * (before or after the disk, or none) of `type`, whose disk line may lie. */
static GByteArray *make_ova(const char *ovf, int manifest_at, GChecksumType type,
                            gboolean wrong_digest)
{
    g_autofree guint8 *disk = g_malloc(1536);
    for (int i = 0; i < 1536; i++)
        disk[i] = (guint8)(i * 7);
    g_autofree char *ovf_sum = sha(type, ovf, strlen(ovf));
    g_autofree char *disk_sum = sha(type, disk, wrong_digest ? 1535 : 1536);
    const char *alg = virt_ova_digest_name(type);
    g_autofree char *mf = g_strdup_printf("%s(deb.ovf)= %s\n%s(deb-disk001.vmdk)= %s\n", alg,
                                          ovf_sum, alg, disk_sum);
    GByteArray *tar = g_byte_array_new();
    unit_tar_file(tar, "deb.ovf", ovf, strlen(ovf));
    if (manifest_at == 1)
        unit_tar_file(tar, "deb.mf", mf, strlen(mf));
    unit_tar_file(tar, "deb-disk001.vmdk", disk, 1536);
    if (manifest_at == 2)
        unit_tar_file(tar, "deb.mf", mf, strlen(mf));
    unit_tar_end(tar);
    return tar;
}

static VirtOvf *read_ova(const GByteArray *tar, gsize piece, Sink *s, GError **error)
{
    s->disk = g_string_new(NULL);
    s->begins = s->ends = 0;
    g_autoptr(VirtOva) ova = virt_ova_new(tar->len, &sink_calls, s);
    for (gsize pos = 0; pos < tar->len; pos += piece)
        if (!virt_ova_feed(ova, tar->data + pos, MIN(piece, tar->len - pos), error))
            return NULL;
    return virt_ova_finish(ova, error);
}

static void test_ova_streams_and_digests(void **state)
{
    (void)state;
    static const GChecksumType types[] = {G_CHECKSUM_SHA1, G_CHECKSUM_SHA256, G_CHECKSUM_SHA512};
    for (int at = 0; at <= 2; at++)
        for (gsize t = 0; t < G_N_ELEMENTS(types); t++) {
            g_autoptr(GByteArray) tar = make_ova(vbox_ovf, at, types[t], FALSE);
            Sink s;
            g_autoptr(GError) e = NULL;
            g_autoptr(VirtOvf) ovf = read_ova(tar, 333, &s, &e);
            if (!ovf)
                fail_msg("manifest at %d, %s: %s", at, virt_ova_digest_name(types[t]), e->message);
            assert_int_equal(s.begins, 1);
            assert_int_equal(s.ends, 1);
            assert_int_equal(s.announced, 1536);
            assert_int_equal(s.disk->len, 1536);
            assert_int_equal((guint8)s.disk->str[100], (100 * 7) & 0xff);
            g_string_free(s.disk, TRUE);
            if (at == 0)
                break;
        }
}

static void assert_ova_refused(const GByteArray *tar, const char *words)
{
    Sink s;
    g_autoptr(GError) e = NULL;
    g_autoptr(VirtOvf) ovf = read_ova(tar, 4096, &s, &e);
    g_string_free(s.disk, TRUE);
    if (ovf)
        fail_msg("accepted; wanted '%s'", words);
    assert_true(g_error_matches(e, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    if (!strstr(e->message, words))
        fail_msg("'%s' does not say '%s'", e->message, words);
}

static void test_ova_refusals(void **state)
{
    (void)state;
    for (int at = 1; at <= 2; at++) {
        g_autoptr(GByteArray) wrong = make_ova(vbox_ovf, at, G_CHECKSUM_SHA256, TRUE);
        assert_ova_refused(wrong, "does not match its SHA256 digest");
    }
    /* The descriptor changed after the manifest was made. */
    g_autoptr(GByteArray) edited = make_ova(vbox_ovf, 1, G_CHECKSUM_SHA1, FALSE);
    guint8 *info = memmem(edited->data, edited->len, "List of the virtual", 19);
    info[0] = 'l';
    assert_ova_refused(edited, "member 'deb.ovf' does not match");

    g_autofree char *big_decl = vbox_with("ovf:size=\"1536\"", "ovf:size=\"1024\"");
    g_autoptr(GByteArray) bigger = make_ova(big_decl, 0, G_CHECKSUM_SHA1, FALSE);
    assert_ova_refused(bigger, "is 1536 bytes; the descriptor declares 1024");

    g_autoptr(GByteArray) stray = g_byte_array_new();
    unit_tar_file(stray, "deb.ovf", vbox_ovf, strlen(vbox_ovf));
    unit_tar_file(stray, "backdoor.vmdk", "x", 1);
    unit_tar_end(stray);
    assert_ova_refused(stray, "'backdoor.vmdk' is not referenced");

    g_autoptr(GByteArray) missing = g_byte_array_new();
    unit_tar_file(missing, "deb.ovf", vbox_ovf, strlen(vbox_ovf));
    unit_tar_end(missing);
    assert_ova_refused(missing, "references 'deb-disk001.vmdk', which the archive lacks");

    g_autoptr(GByteArray) disk_first = g_byte_array_new();
    unit_tar_file(disk_first, "deb-disk001.vmdk", "x", 1);
    unit_tar_file(disk_first, "deb.ovf", vbox_ovf, strlen(vbox_ovf));
    unit_tar_end(disk_first);
    assert_ova_refused(disk_first, "begins with its OVF descriptor");

    g_autoptr(GByteArray) unlisted = make_ova(vbox_ovf, 0, G_CHECKSUM_SHA1, FALSE);
    g_byte_array_set_size(unlisted, unlisted->len - 1024);
    g_autofree char *ovf_only = sha(G_CHECKSUM_SHA1, vbox_ovf, strlen(vbox_ovf));
    g_autofree char *mf = g_strdup_printf("SHA1(deb.ovf)= %s\n", ovf_only);
    unit_tar_file(unlisted, "deb.mf", mf, strlen(mf));
    unit_tar_end(unlisted);
    assert_ova_refused(unlisted, "the manifest does not list member 'deb-disk001.vmdk'");

    /* A manifest naming a file that never comes. */
    g_autoptr(GByteArray) ghost = g_byte_array_new();
    g_autofree char *ovf_sum = sha(G_CHECKSUM_SHA1, vbox_ovf, strlen(vbox_ovf));
    g_autofree char *mf2 = g_strdup_printf("SHA1(deb.ovf)= %s\nSHA1(deb-disk001.vmdk)= "
                                           "da39a3ee5e6b4b0d3255bfef95601890afd80709\n",
                                           ovf_sum);
    unit_tar_file(ghost, "deb.ovf", vbox_ovf, strlen(vbox_ovf));
    unit_tar_file(ghost, "deb.mf", mf2, strlen(mf2));
    unit_tar_end(ghost);
    assert_ova_refused(ghost, "which the archive lacks");

    /* The descriptor is bounded before it is read. */
    g_autoptr(GByteArray) huge = g_byte_array_new();
    UnitTarHeader h = {.name = "deb.ovf", .type = '0', .size = VIRT_OVF_MAX_BYTES + 1};
    unit_tar_header(huge, &h);
    g_byte_array_set_size(huge, 512 + VIRT_OVF_MAX_BYTES + 512 + 1024);
    assert_ova_refused(huge, "over 4 MiB");
}

/* What Vireo exports, Vireo (and so VirtualBox's and VMware's words)
 * reads back: a name that needs escaping, two disks, two NICs on one
 * network, UEFI, a Debian guest. */
static void test_writer_round_trip(void **state)
{
    (void)state;
    const VirtOvfOutDisk disks[] = {{"a-disk1.vmdk", 1000, G_GUINT64_CONSTANT(1) << 30, 5000},
                                    {"a-disk2.vmdk", 2000, 8 << 20, 100}};
    const char *const nics[] = {"net<1>", "net<1>"};
    VirtOvfOut o = {.name = "a&b",
                    .vcpus = 2,
                    .memory_mib = 512,
                    .uefi = TRUE,
                    .os_id = "debian11",
                    .disks = disks,
                    .n_disks = 2,
                    .nics = nics,
                    .n_nics = 2};
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = virt_ovf_write(&o, &error);
    assert_non_null(xml);
    g_autoptr(VirtOvf) ovf = virt_ovf_parse(xml, strlen(xml), &error);
    if (!ovf)
        fail_msg("%s\n%s", error->message, xml);
    assert_string_equal(ovf->name, "a&b");
    assert_int_equal(ovf->vcpus, 2);
    assert_int_equal(ovf->memory_mib, 512);
    assert_true(ovf->uefi);
    assert_string_equal(ovf->os_id, "debian11");
    assert_int_equal(ovf->disks->len, 2);
    for (guint i = 0; i < 2; i++) {
        const VirtOvfDisk *d = g_ptr_array_index(ovf->disks, i);
        const VirtOvfFile *f = g_ptr_array_index(ovf->files, d->file_index);
        assert_int_equal(d->capacity, disks[i].capacity);
        assert_string_equal(d->format, "vmdk");
        assert_string_equal(f->href, disks[i].href);
        assert_int_equal(f->size, disks[i].file_size);
    }
    assert_int_equal(ovf->nic_models->len, 2);
    /* BIOS says nothing of firmware; too many disks is refused. */
    o.uefi = FALSE;
    g_free(xml);
    xml = virt_ovf_write(&o, &error);
    assert_null(strstr(xml, "firmware"));
    VirtOvfOutDisk many[VIRT_OVF_WRITE_MAX_DISKS + 1] = {0};
    o.disks = many;
    o.n_disks = G_N_ELEMENTS(many);
    assert_null(virt_ovf_write(&o, &error));
    assert_true(g_error_matches(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG));
    /* The manifest's lines are what the reader takes. */
    const char *hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    g_autofree char *line = virt_ova_manifest_line(hex, "a.ovf");
    assert_int_equal(strlen(line), virt_ova_manifest_line_len("a.ovf"));
    g_clear_error(&error);
    g_autoptr(GHashTable) mf = virt_ova_manifest_parse(line, strlen(line), &error);
    assert_non_null(mf);
    const VirtOvaDigest *dg = g_hash_table_lookup(mf, "a.ovf");
    assert_non_null(dg);
    assert_string_equal(dg->hex, hex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtualbox_descriptor),
        cmocka_unit_test(test_vmware_descriptor),
        cmocka_unit_test(test_os_guesses),
        cmocka_unit_test(test_descriptors_that_lie),
        cmocka_unit_test(test_lies_of_structure),
        cmocka_unit_test(test_xxe_and_entities_refused),
        cmocka_unit_test(test_oversized_descriptor),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_ova_streams_and_digests),
        cmocka_unit_test(test_ova_refusals),
        cmocka_unit_test(test_writer_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
