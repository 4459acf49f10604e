/* libFuzzer target: the OVF descriptor reader (virt_ovf_parse) and the OVA
 * manifest reader (virt_ova_manifest_parse). A descriptor accepted keeps
 * the reader's promises: at least one disk and at most the bounds, every
 * disk on one file of References and that file pointing back at it,
 * capacities from 1 byte to 64 TiB, a known format, file names that pass
 * the archive's name check, memory and vCPUs in range.
 *
 * Input layout: one byte choosing the reader (even: descriptor, odd:
 * manifest), then the text. */
#include <stdint.h>

#include "fuzz_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_ova.h"
#include "virt/virt_ovf.h"
#include "virt/virt_storage.h"
#include "virt/virt_tar.h"

static void check_ovf(const VirtOvf *ovf)
{
    static const char *const formats[] = {"vmdk", "vdi", "qcow2", "raw", NULL};
    static const char *const families[] = {"linux", "windows", "bsd", "other", NULL};
    FUZZ_CHECK(ovf->disks->len >= 1 && ovf->disks->len <= VIRT_OVF_MAX_DISKS, "%u disks",
               ovf->disks->len);
    FUZZ_CHECK(ovf->files->len <= VIRT_OVF_MAX_FILES, "%u files", ovf->files->len);
    FUZZ_CHECK(ovf->nic_models->len <= VIRT_OVF_MAX_NICS, "%u NICs", ovf->nic_models->len);
    FUZZ_CHECK(ovf->vcpus <= 4096, "%u vCPUs", ovf->vcpus);
    FUZZ_CHECK(ovf->memory_mib == 0 || (ovf->memory_mib >= 16 && ovf->memory_mib <= (4u << 20)),
               "%" G_GUINT64_FORMAT " MiB", ovf->memory_mib);
    FUZZ_CHECK(g_strv_contains(families, ovf->os_family), "family '%s'", ovf->os_family);
    check_str("name", ovf->name);
    check_str("os type", ovf->os_type);
    for (guint i = 0; i < ovf->disks->len; i++) {
        const VirtOvfDisk *d = g_ptr_array_index(ovf->disks, i);
        FUZZ_CHECK(d->file_index < ovf->files->len, "disk %u on file %u of %u", i, d->file_index,
                   ovf->files->len);
        const VirtOvfFile *f = g_ptr_array_index(ovf->files, d->file_index);
        FUZZ_CHECK(f->disk_index == (int)i, "file of disk %u points at %d", i, f->disk_index);
        FUZZ_CHECK(d->capacity >= 1 && d->capacity <= VIRT_STORAGE_MAX_BYTES,
                   "capacity %" G_GUINT64_FORMAT, d->capacity);
        FUZZ_CHECK(g_strv_contains(formats, d->format), "format '%s'", d->format);
    }
    for (guint i = 0; i < ovf->files->len; i++) {
        const VirtOvfFile *f = g_ptr_array_index(ovf->files, i);
        FUZZ_CHECK(virt_tar_name_valid(f->href, NULL), "href '%s' unchecked", f->href);
        FUZZ_CHECK(virt_ovf_file_by_href(ovf, f->href) == f, "href '%s' twice", f->href);
        FUZZ_CHECK(f->size <= VIRT_STORAGE_MAX_BYTES, "size %" G_GUINT64_FORMAT, f->size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    gboolean manifest = data[0] & 1;
    char *text = g_memdup2(data + 1, size - 1);
    GError *error = NULL;
    if (manifest) {
        GHashTable *m = virt_ova_manifest_parse(text, size - 1, &error);
        if (m)
            g_hash_table_unref(m);
    } else {
        VirtOvf *ovf = virt_ovf_parse(text, size - 1, &error);
        if (ovf) {
            FUZZ_CHECK(!error, "accepted with an error set");
            check_ovf(ovf);
            virt_ovf_free(ovf);
        }
    }
    if (error) {
        FUZZ_CHECK(error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "refusal is not VIRT_ERROR_INVALID_ARG: %s", error->message);
        g_error_free(error);
    }
    g_free(text);
    return 0;
}
