/* libFuzzer target: the capability readers of virt_driver_caps.h (a
 * remote host's libvirt writes these documents), the features derived
 * from them, and the URI classifier on the same bytes. */
#include <stdint.h>

#include "fuzz_xml.h"
#include "virt/virt_driver.h"
#include "virt/virt_error.h"

/* Lists are bounded and hold no empty values. */
static void check_list(const char *what, GStrv v)
{
    guint n = v ? g_strv_length(v) : 0;
    FUZZ_CHECK(n <= 64, "%s has %u values", what, n);
    for (guint i = 0; i < n; i++)
        FUZZ_CHECK(*v[i], "%s holds an empty value", what);
}

static void check_uri(const uint8_t *data, size_t size)
{
    char *uri = g_strndup((const char *)data, size);
    VirtUri u = {0};
    GError *error = NULL;
    if (virt_uri_parse(uri, &u, &error)) {
        FUZZ_CHECK(u.driver && *u.driver && u.transport, "accepted URI without driver/transport");
        FUZZ_CHECK(!u.remote || u.host, "remote URI without a host");
    } else {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "URI refusal is not VIRT_ERROR_INVALID_ARG");
        FUZZ_CHECK(!u.driver, "refused URI left a driver");
        g_error_free(error);
    }
    virt_uri_clear(&u);
    g_free(uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_uri(data, size);
    char *xml = size ? g_memdup2(data, size) : NULL;
    GError *error = NULL;
    VirtDriverCaps *c = virt_driver_caps_parse(xml, size, &error);
    if (!c) {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "capabilities refusal is not VIRT_ERROR_INVALID_ARG");
        g_clear_error(&error);
        /* The same bytes as a domain capabilities document. */
        c = g_new0(VirtDriverCaps, 1);
        if (!virt_driver_caps_add_domcaps(c, xml, size, &error)) {
            FUZZ_CHECK(!c->has_domcaps, "refused domcaps changed the caps");
            g_clear_error(&error);
        }
    }
    check_list("os_types", c->os_types);
    check_list("arches", c->arches);
    check_list("domain_types", c->domain_types);
    check_list("graphics", c->graphics);
    check_list("disk_devices", c->disk_devices);
    check_list("disk_buses", c->disk_buses);
    check_list("firmware", c->firmware);
    check_list("cpu_modes", c->cpu_modes);
    static const char *const types[] = {"QEMU", "LXC", "Test", "Xen", "VBOX", "ESX", NULL};
    VirtFeatures probed = {.snapshots = TRUE, .storage = TRUE, .networks = TRUE};
    for (const char *const *t = types; *t; t++) {
        VirtFeatures f;
        virt_driver_features(*t, c, &probed, &f);
        FUZZ_CHECK(f.disk_formats != NULL, "no disk format list");
        FUZZ_CHECK(!f.snapshots || f.vms, "snapshots without VMs");
        FUZZ_CHECK(!f.vnc || f.vms, "VNC without VMs");
        FUZZ_CHECK(!f.cloud_init || f.disk_formats[0], "cloud-init without disks");
        virt_features_clear(&f);
    }
    virt_driver_caps_free(c);
    g_free(xml);
    return 0;
}
