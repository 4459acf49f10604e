/* libFuzzer target: reading libvirt domain XML (virt_domain_config_parse).
 * The input is the document, as bytes with an explicit length. */
#include <stdint.h>
#include <string.h>

#include "fuzz_xml.h"
#include "virt/virt_domain_xml.h"
#include "virt/virt_domain_clone_xml.h"
#include "virt/virt_domain_xml_edit.h"
#include "virt/virt_error.h"

static void check_eject(const char *xml, const VirtDomainConfig *cfg);
static void check_clone(const char *xml, const VirtDomainConfig *cfg);

/* The edits of virt_domain_xml_edit.c on the same document: a new boot
 * order reads back as written, and every disk and NIC the parser saw can
 * be found by its target or MAC. */
static void check_edits(const char *data, size_t size, const VirtDomainConfig *cfg)
{
    if (memchr(data, '\0', size))
        return; /* the editors take C strings */
    g_autofree char *xml = g_strndup(data, size);
    static const char *const order[] = {"network", "hd", NULL};
    GError *error = NULL;
    char *edited = virt_domain_xml_set_boot(xml, order, &error);
    if (edited) {
        VirtDomainConfig *again = virt_domain_config_parse(edited, strlen(edited), NULL);
        FUZZ_CHECK(again != NULL, "the edited document does not parse");
        if (again->os_type || again->boot[0]) {
            FUZZ_CHECK(g_strv_length(again->boot) == 2 && strcmp(again->boot[0], "network") == 0,
                       "boot order not as written");
        }
        virt_domain_config_free(again);
        g_free(edited);
    } else {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR, "set_boot failed without an error");
        g_clear_error(&error);
    }
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        char *found = d->target ? virt_domain_xml_disk(xml, d->target, &error) : NULL;
        FUZZ_CHECK(found || error || !d->target, "disk lookup failed without an error");
        g_clear_error(&error);
        g_free(found);
    }
    for (guint i = 0; i < cfg->nics->len; i++) {
        const VirtNic *n = g_ptr_array_index(cfg->nics, i);
        char *found = n->mac ? virt_domain_xml_nic(xml, n->mac, &error) : NULL;
        FUZZ_CHECK(found || error || !n->mac, "NIC lookup failed without an error");
        g_clear_error(&error);
        g_free(found);
    }
    check_eject(xml, cfg);
    check_clone(xml, cfg);
}

/* A clone's definition (virt_domain_xml_clone) with every writable disk
 * moved: it parses, has the new name and UUID, no MAC, the same number of
 * disks and NICs, each moved disk on its new file. */
static void check_clone(const char *xml, const VirtDomainConfig *cfg)
{
    static const char uuid[] = "00000000-1111-2222-3333-444444444444";
    g_autoptr(GArray) moves = g_array_new(FALSE, TRUE, sizeof(VirtDiskMove));
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        /* A target named twice: the first disk of it is the one moved. */
        if (!virt_disk_writable(d) || !d->target || !g_hash_table_add(seen, d->target))
            continue;
        char *path = g_strdup_printf("/pool/clone-disk%u.qcow2", moves->len);
        g_ptr_array_add(paths, path);
        VirtDiskMove m = {d->target, path, "qcow2", i % 2 ? "/pool/base" : NULL, "qcow2"};
        g_array_append_val(moves, m);
    }
    GError *error = NULL;
    char *clone = virt_domain_xml_clone(xml, "clone-1", uuid, (const VirtDiskMove *)moves->data,
                                        moves->len, &error);
    if (!clone) {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR, "clone failed without an error");
        g_clear_error(&error);
        return;
    }
    VirtDomainConfig *c = virt_domain_config_parse(clone, strlen(clone), NULL);
    FUZZ_CHECK(c != NULL, "the clone's document does not parse");
    FUZZ_CHECK(g_strcmp0(c->name, "clone-1") == 0 && g_strcmp0(c->uuid, uuid) == 0,
               "the clone's name or UUID is not the new one");
    FUZZ_CHECK(c->disks->len == cfg->disks->len && c->nics->len == cfg->nics->len,
               "the clone lost or gained devices");
    for (guint i = 0; i < c->nics->len; i++)
        FUZZ_CHECK(((VirtNic *)c->nics->pdata[i])->mac == NULL, "the clone kept a MAC");
    virt_domain_config_free(c);
    g_free(clone);
}

/* Ejecting the installer: the result parses, no CD-ROM drive keeps a
 * medium, an <os><boot> list starts with "hd", and a second eject changes
 * nothing. */
static void check_eject(const char *xml, const VirtDomainConfig *cfg)
{
    GError *error = NULL;
    GStrv emptied = NULL;
    gboolean moved = FALSE;
    char *edited = virt_domain_xml_eject_installer(xml, &emptied, &moved, &error);
    if (!edited) {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR, "eject failed without an error");
        g_clear_error(&error);
        return;
    }
    VirtDomainConfig *after = virt_domain_config_parse(edited, strlen(edited), NULL);
    FUZZ_CHECK(after != NULL, "the ejected document does not parse");
    for (guint i = 0; i < after->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(after->disks, i);
        FUZZ_CHECK(strcmp(d->device, "cdrom") != 0 || !d->source, "a CD-ROM kept its medium");
    }
    if (cfg->boot[0] && g_strv_length(cfg->boot) <= 4)
        FUZZ_CHECK(after->boot[0] && strcmp(after->boot[0], "hd") == 0, "the disk is not first");
    gboolean again = TRUE;
    GStrv none = NULL;
    char *twice = virt_domain_xml_eject_installer(edited, &none, &again, NULL);
    FUZZ_CHECK(twice && !again && !none[0], "a second eject changed something");
    g_strfreev(none);
    g_free(twice);
    virt_domain_config_free(after);
    g_strfreev(emptied);
    g_free(edited);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copy so that reads past `size` are ASan reports. */
    char *xml = size ? g_memdup2(data, size) : NULL;
    GError *error = NULL;
    VirtDomainConfig *cfg = virt_domain_config_parse(xml, size, &error);
    if (!cfg) {
        FUZZ_CHECK(error != NULL, "NULL config without an error");
        FUZZ_CHECK(error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "parse error is not VIRT_ERROR_INVALID_ARG: %s", error->message);
        g_error_free(error);
        g_free(xml);
        return 0;
    }
    FUZZ_CHECK(error == NULL, "config returned with an error set: %s", error->message);
    FUZZ_CHECK(cfg->disks && cfg->nics && cfg->graphics && cfg->boot,
               "device arrays or boot order missing");
    check_str("name", cfg->name);
    check_str("uuid", cfg->uuid);
    check_str("domain_type", cfg->domain_type);
    check_str("os_type", cfg->os_type);
    check_str("arch", cfg->arch);
    check_str("machine", cfg->machine);
    check_str("kernel", cfg->kernel);
    for (char **b = cfg->boot; *b; b++)
        check_str("boot", *b);
    for (guint i = 0; i < cfg->disks->len; i++) {
        const VirtDisk *d = g_ptr_array_index(cfg->disks, i);
        FUZZ_CHECK(d && d->device && *d->device, "disk %u without a device kind", i);
        check_str("disk target", d->target);
        check_str("disk bus", d->bus);
        check_str("disk source", d->source);
        check_str("disk format", d->format);
    }
    for (guint i = 0; i < cfg->nics->len; i++) {
        const VirtNic *n = g_ptr_array_index(cfg->nics, i);
        FUZZ_CHECK(n != NULL, "NULL nic %u", i);
        check_str("nic type", n->type);
        check_str("nic mac", n->mac);
        check_str("nic source", n->source);
        check_str("nic model", n->model);
        FUZZ_CHECK(g_strcmp0(n->link, "up") == 0 || (n->link && g_utf8_validate(n->link, -1, NULL)),
                   "nic link missing or not UTF-8");
    }
    for (guint i = 0; i < cfg->graphics->len; i++) {
        const VirtGraphics *g = g_ptr_array_index(cfg->graphics, i);
        FUZZ_CHECK(g != NULL, "NULL graphics %u", i);
        FUZZ_CHECK(g->port == -1 || (g->port > 0 && g->port < 65536), "graphics port %d", g->port);
        check_str("graphics type", g->type);
        check_str("graphics listen", g->listen);
    }
    check_edits(xml, size, cfg);
    virt_domain_config_free(cfg);
    g_free(xml);
    return 0;
}
