/* libFuzzer target: the VM spec parser shared by POST /api/vms and
 * templates (api/vms/api_vm_spec.h), then the host check against two made-up
 * hosts (with and without KVM) and the domain XML built from the plan.
 *
 * A "cloud_init" that parses must give seed files whose every value stays
 * on its own line: quoting lets nothing add a key.
 *
 * Input: one selector byte (bit 0: template kind, bit 1: KVM host), then
 * the JSON text. */
#include <stdint.h>

#include "api/core/api_error.h"
#include "api/vms/api_cidata.h"
#include "api/vms/api_vm_spec.h"
#include "fuzz_common.h"
#include "virt/virt_xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_object_seed(1);
    return 0;
}

static void check_failure(GError *error, const char *what)
{
    FUZZ_CHECK(error != NULL, "%s failed without an error", what);
    FUZZ_CHECK(api_error_status(error) == 400, "%s: status %u (%s)", what, api_error_status(error),
               error->message);
    FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "%s: message not UTF-8", what);
    g_error_free(error);
}

/* The XML of a plan with made-up volume paths must parse, and carry the
 * name unchanged (escaped by libxml2, never injected). */
static void check_build(const ApiVmSpec *spec, const VirtHostInfo *host)
{
    VirtVmPlan plan;
    api_vm_spec_plan(spec, host, "/var/log/x-serial.log", &plan);
    g_autofree VirtDiskSpec *disks = g_new0(VirtDiskSpec, plan.n_volumes + 1);
    g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < plan.n_volumes; i++) {
        const VirtVmVolume *v = &plan.volumes[i];
        g_ptr_array_add(targets, NULL);
        char *t = virt_disk_next_target(v->bus ? v->bus : "virtio",
                                        (const char *const *)targets->pdata);
        g_ptr_array_remove_index(targets, targets->len - 1);
        g_ptr_array_add(targets, t);
        disks[i] = (VirtDiskSpec){.device = v->device,
                                  .path = "/pool/a&b<c>.img",
                                  .format = v->format,
                                  .target = t,
                                  .bus = v->bus};
    }
    VirtDomainBuild b = plan.domain;
    /* Templates may leave these to the create request. */
    b.name = b.name ? b.name : "template";
    b.vcpus = b.vcpus ? b.vcpus : 1;
    b.memory_mib = b.memory_mib ? b.memory_mib : 16;
    b.disks = disks;
    b.n_disks = plan.n_volumes;
    GError *error = NULL;
    g_autofree char *xml = virt_domain_build_xml(&b, &error);
    if (!xml) {
        /* The parser lets through only what the builder accepts. */
        FUZZ_CHECK(FALSE, "build failed: %s", error ? error->message : "(no error)");
    }
    g_autoptr(xmlDoc) doc = virt_xml_parse(xml, strlen(xml), NULL);
    FUZZ_CHECK(doc != NULL, "built XML does not parse: %s", xml);
    g_autoptr(xmlXPathContext) ctx = xmlXPathNewContext(doc);
    g_autofree char *name = virt_xml_string(ctx, NULL, "/domain/name");
    FUZZ_CHECK(g_strcmp0(name, b.name) == 0, "name %s came back as %s", b.name, name);
}

static guint lines(const char *text)
{
    guint n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '\n' || *c == '\r';
    return n;
}

/* meta-data is two lines; Vireo's own user-data is 10 lines with a
 * password hash, plus the keys' header and one line per key. */
static void check_seed(const ApiCloudInit *ci)
{
    g_autofree char *meta = api_cidata_meta_data("uuid", ci->hostname);
    FUZZ_CHECK(lines(meta) == 2, "meta-data of %u lines: %s", lines(meta), meta);
    if (ci->user_data)
        return;
    g_autofree char *user = api_cidata_user_data(ci, "$6$salt$hash");
    guint want = 10 + (ci->keys->len ? 1 + ci->keys->len : 0);
    FUZZ_CHECK(lines(user) == want, "user-data of %u lines, not %u: %s", lines(user), want, user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ApiVmSpecKind kind = data[0] & 1 ? API_VM_SPEC_TEMPLATE : API_VM_SPEC_CREATE;
    json_t *obj = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!obj)
        return 0;
    char *machines[] = {"pc", "q35", "pc-i440fx-7.2", NULL};
    char *types[] = {"qemu", NULL};
    VirtHostInfo host = {.arch = "x86_64",
                         .cpus = 4,
                         .memory_total_kib = 8 << 20,
                         .kvm_usable = (data[0] & 2) != 0,
                         .domain_types = types,
                         .default_domain_type = "qemu",
                         .machines = machines};
    GError *error = NULL;
    ApiVmSpec *spec = api_vm_spec_parse(obj, kind, &error);
    json_decref(obj);
    if (!spec) {
        check_failure(error, "parse");
        return 0;
    }
    FUZZ_CHECK(!error, "parse: success with an error");
    if (kind == API_VM_SPEC_CREATE)
        FUZZ_CHECK(spec->name && spec->vcpus && spec->memory_mib,
                   "create spec without name/vcpus/memory");
    else
        FUZZ_CHECK(!spec->name, "template spec with a name");
    if (spec->cloud_init)
        check_seed(spec->cloud_init);
    if (api_vm_spec_check_host(spec, &host, &error))
        check_build(spec, &host);
    else
        check_failure(error, "check_host");
    api_vm_spec_free(spec);
    return 0;
}
