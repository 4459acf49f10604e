/* vireo-osinfo: the libosinfo queries vireod needs, in a short-lived
 * process. Loading the osinfo database costs ~50 MiB of heap that glibc
 * does not give back after it is freed (measured: docs/osinfo.md), so
 * vireod runs this helper and keeps only the small JSON it prints.
 *
 *   vireo-osinfo list             every OS: {"os": [{...}, ...]}
 *   vireo-osinfo identify FILE    the OS of an install medium: {"os": "debian12" | null, ...}
 *
 * Output is one JSON document on stdout (written with jansson); errors go
 * to stderr with exit status 1. */
#include <jansson.h>
#include <osinfo/osinfo.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static OsinfoDb *load_db(void)
{
    OsinfoLoader *loader = osinfo_loader_new();
    GError *error = NULL;
    osinfo_loader_process_default_path(loader, &error);
    if (error) {
        fprintf(stderr, "vireo-osinfo: loading the osinfo database: %s\n", error->message);
        return NULL;
    }
    /* The loader owns the database: keep it alive for the process. */
    return osinfo_loader_get_db(loader);
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The resources of `os` for x86_64 (or "all" architectures), looked up
 * along the OSes it derives from when it declares none itself. */
static OsinfoResources *find_resources(OsinfoOs *os, gboolean recommended)
{
    for (int depth = 0; os && depth < 16; depth++) {
        OsinfoResourcesList *list = recommended ? osinfo_os_get_recommended_resources(os)
                                                : osinfo_os_get_minimum_resources(os);
        OsinfoResources *found = NULL;
        for (int i = 0; list && i < osinfo_list_get_length(OSINFO_LIST(list)); i++) {
            OsinfoResources *r = OSINFO_RESOURCES(osinfo_list_get_nth(OSINFO_LIST(list), i));
            const char *arch = osinfo_resources_get_architecture(r);
            if (g_strcmp0(arch, "x86_64") == 0 || (!found && g_strcmp0(arch, "all") == 0))
                found = r;
        }
        if (found)
            g_object_ref(found);
        g_clear_object(&list);
        if (found)
            return found;
        OsinfoProductList *parents = osinfo_product_get_related(
            OSINFO_PRODUCT(os), OSINFO_PRODUCT_RELATIONSHIP_DERIVES_FROM);
        os = osinfo_list_get_length(OSINFO_LIST(parents)) > 0
                 ? OSINFO_OS(osinfo_list_get_nth(OSINFO_LIST(parents), 0))
                 : NULL;
        g_object_unref(parents);
    }
    return NULL;
}

typedef struct {
    gint64 vcpus, memory_mib, disk; /* 0: unknown */
} Resources;

static Resources read_resources(OsinfoOs *os, gboolean recommended)
{
    Resources out = {0};
    OsinfoResources *r = find_resources(os, recommended);
    if (!r)
        return out;
    out.vcpus = MAX(osinfo_resources_get_n_cpus(r), 0);
    out.memory_mib = MAX(osinfo_resources_get_ram(r), 0) / MIB;
    out.disk = MAX(osinfo_resources_get_storage(r), 0);
    g_object_unref(r);
    return out;
}

static json_t *int_or_null(gint64 v)
{
    return v > 0 ? json_integer(v) : json_null();
}

/* {"vcpus", "memory" (MiB), "disk" (bytes)}; null members where unknown. */
static json_t *resources_json(Resources r)
{
    return json_pack("{s:o,s:o,s:o}", "vcpus", int_or_null(r.vcpus), "memory",
                     int_or_null(r.memory_mib), "disk", int_or_null(r.disk));
}

/* Whether the OS drives virtio block and net devices out of the box. */
static void virtio_support(OsinfoOs *os, gboolean *disk, gboolean *net)
{
    OsinfoDeviceList *devs = osinfo_os_get_all_devices(os, NULL);
    *disk = *net = FALSE;
    for (int i = 0; i < osinfo_list_get_length(OSINFO_LIST(devs)); i++) {
        OsinfoDevice *d = OSINFO_DEVICE(osinfo_list_get_nth(OSINFO_LIST(devs), i));
        const char *name = osinfo_device_get_name(d);
        const char *klass = osinfo_device_get_class(d);
        if (!name || !strstr(name, "virtio"))
            continue;
        if (g_strcmp0(klass, "block") == 0)
            *disk = TRUE;
        else if (g_strcmp0(klass, "net") == 0)
            *net = TRUE;
    }
    g_object_unref(devs);
}

static json_t *os_json(OsinfoOs *os)
{
    OsinfoProduct *p = OSINFO_PRODUCT(os);
    gboolean vdisk, vnet;
    virtio_support(os, &vdisk, &vnet);
    /* The database often recommends less than the minimum for one
     * architecture, or nothing: a recommendation is at least the minimum. */
    Resources min = read_resources(os, FALSE), rec = read_resources(os, TRUE);
    rec.vcpus = MAX(rec.vcpus, min.vcpus);
    rec.memory_mib = MAX(rec.memory_mib, min.memory_mib);
    rec.disk = MAX(rec.disk, min.disk);
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:b,s:b}}", "id",
                     osinfo_product_get_short_id(p),
                     /* what virt-install writes into a domain's <metadata> */
                     "osinfo_id", string_or_null(osinfo_entity_get_id(OSINFO_ENTITY(os))), "name",
                     string_or_null(osinfo_product_get_name(p)), "vendor",
                     string_or_null(osinfo_product_get_vendor(p)), "family",
                     string_or_null(osinfo_os_get_family(os)), "distro",
                     string_or_null(osinfo_os_get_distro(os)), "version",
                     string_or_null(osinfo_product_get_version(p)), "release_date",
                     string_or_null(osinfo_product_get_release_date_string(p)), "eol_date",
                     string_or_null(osinfo_product_get_eol_date_string(p)), "recommended",
                     resources_json(rec), "minimum", resources_json(min), "virtio", "disk", vdisk,
                     "net", vnet);
}

/* Newest release first (undated last), then by name. */
static gint newest_first(gconstpointer a, gconstpointer b)
{
    OsinfoProduct *pa = *(OsinfoProduct *const *)a, *pb = *(OsinfoProduct *const *)b;
    const char *da = osinfo_product_get_release_date_string(pa);
    const char *db = osinfo_product_get_release_date_string(pb);
    if (g_strcmp0(da, db) != 0)
        return !da ? 1 : !db ? -1 : -g_strcmp0(da, db);
    return g_strcmp0(osinfo_product_get_name(pa), osinfo_product_get_name(pb));
}

static int list(OsinfoDb *db)
{
    OsinfoOsList *oses = osinfo_db_get_os_list(db);
    GPtrArray *sorted = g_ptr_array_new();
    for (int i = 0; i < osinfo_list_get_length(OSINFO_LIST(oses)); i++) {
        OsinfoEntity *os = osinfo_list_get_nth(OSINFO_LIST(oses), i);
        if (osinfo_product_get_short_id(OSINFO_PRODUCT(os)))
            g_ptr_array_add(sorted, os);
    }
    g_ptr_array_sort(sorted, newest_first);
    json_t *items = json_array();
    for (guint i = 0; i < sorted->len; i++)
        json_array_append_new(items, os_json(OSINFO_OS(g_ptr_array_index(sorted, i))));
    g_ptr_array_unref(sorted);
    g_object_unref(oses);
    json_t *doc = json_pack("{s:o}", "os", items);
    json_dumpf(doc, stdout, JSON_COMPACT);
    json_decref(doc);
    return 0;
}

#define LIST_SECONDS 60
#define IDENTIFY_SECONDS 20

static int identify(OsinfoDb *db, const char *path)
{
    GError *error = NULL;
    /* Not only bootable media: driver and data discs are identified too. */
    OsinfoMedia *media = osinfo_media_create_from_location_with_flags(path, NULL, 0, &error);
    json_t *doc;
    if (!media) {
        /* Not an ISO 9660 medium (or unreadable): nothing to identify. */
        doc = json_pack("{s:n,s:s}", "os", "reason", error ? error->message : "not a medium");
        g_clear_error(&error);
    } else if (!osinfo_db_identify_media(db, media)) {
        doc = json_pack("{s:n,s:s}", "os", "reason", "unknown medium");
    } else {
        OsinfoOs *os = osinfo_media_get_os(media);
        doc = json_pack("{s:o,s:o}", "os",
                        string_or_null(os ? osinfo_product_get_short_id(OSINFO_PRODUCT(os)) : NULL),
                        "name",
                        string_or_null(os ? osinfo_product_get_name(OSINFO_PRODUCT(os)) : NULL));
    }
    g_clear_object(&media);
    json_dumpf(doc, stdout, JSON_COMPACT);
    json_decref(doc);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "list") == 0 && argc != 2) ||
        (strcmp(argv[1], "identify") == 0 && argc != 3) ||
        (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "identify") != 0)) {
        fprintf(stderr, "usage: vireo-osinfo list | vireo-osinfo identify FILE\n");
        return 2;
    }
    /* A malformed medium can leave libosinfo waiting forever (seen with a
     * root directory of length 0): the default SIGALRM action ends us. */
    alarm(strcmp(argv[1], "list") == 0 ? LIST_SECONDS : IDENTIFY_SECONDS);
    OsinfoDb *db = load_db();
    if (!db)
        return 1;
    return strcmp(argv[1], "list") == 0 ? list(db) : identify(db, argv[2]);
}
