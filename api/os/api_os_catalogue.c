/* Running vireo-osinfo and caching what it printed. */
#include "api/os/api_os_catalogue.h"
#include "api/core/api_error.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef VIREO_LIBEXEC_DIR
#define VIREO_LIBEXEC_DIR "/usr/local/libexec/vireo"
#endif
#define HELPER "vireo-osinfo"

/* Beside the running vireod (a build tree), else the installed one. */
static char *helper_path(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    if (self) {
        g_autofree char *dir = g_path_get_dirname(self);
        char *beside = g_build_filename(dir, HELPER, NULL);
        if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
            return beside;
        g_free(beside);
    }
    return g_build_filename(VIREO_LIBEXEC_DIR, HELPER, NULL);
}

static json_t *run_helper(const char *const *args, GError **error)
{
    g_autofree char *path = helper_path();
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, path);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_autoptr(GError) why = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                      &status, &why) ||
        !g_spawn_check_wait_status(status, &why)) {
        g_set_error(error, API_ERROR, API_ERROR_UNAVAILABLE,
                    "the OS catalogue is unavailable "
                    "(%s: %s%s%s)",
                    path, why->message, err && *err ? ": " : "", err ? g_strstrip(err) : "");
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "%s printed no JSON object: %s", path,
                    jerr.text);
        return NULL;
    }
    return doc;
}

json_t *api_os_catalogue(ApiContext *ctx, GError **error)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->os_lock);
    if (!ctx->os_catalogue) {
        static const char *const args[] = {"list", NULL};
        g_autoptr(json_t) doc = run_helper(args, error);
        json_t *list = doc ? json_object_get(doc, "os") : NULL;
        if (!json_is_array(list)) {
            if (doc)
                g_set_error(error, API_ERROR, API_ERROR_INTERNAL, HELPER " printed no OS list");
            return NULL;
        }
        ctx->os_catalogue = json_incref(list);
    }
    return ctx->os_catalogue;
}

static json_t *find_by(ApiContext *ctx, const char *member, const char *value, GError **error)
{
    json_t *list = api_os_catalogue(ctx, error);
    if (!list)
        return NULL;
    size_t i;
    json_t *os;
    json_array_foreach (list, i, os)
        if (g_strcmp0(json_string_value(json_object_get(os, member)), value) == 0)
            return os;
    g_set_error(error, API_ERROR, API_ERROR_NOT_FOUND, "no OS '%s' in the catalogue", value);
    return NULL;
}

json_t *api_os_find(ApiContext *ctx, const char *id, GError **error)
{
    return find_by(ctx, "id", id, error);
}

json_t *api_os_find_osinfo(ApiContext *ctx, const char *osinfo_id, GError **error)
{
    return find_by(ctx, "osinfo_id", osinfo_id, error);
}

json_t *api_os_of_medium(ApiContext *ctx, const char *path)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return json_null();
    g_autofree char *key = g_strdup_printf("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT, path,
                                           (gint64)st.st_size, (gint64)st.st_mtime);
    {
        g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->os_lock);
        json_t *known = ctx->os_media ? g_hash_table_lookup(ctx->os_media, key) : NULL;
        if (known)
            return json_incref(known);
    }
    /* Not under the lock: the helper may take seconds. */
    const char *args[] = {"identify", path, NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(json_t) doc = run_helper(args, &error);
    const char *id = doc ? json_string_value(json_object_get(doc, "os")) : NULL;
    const char *name = doc ? json_string_value(json_object_get(doc, "name")) : NULL;
    if (error)
        g_message("identifying the medium %s: %s", path, error->message);
    json_t *os = id ? json_pack("{s:s,s:s}", "id", id, "name", name ? name : id) : json_null();
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->os_lock);
    if (!ctx->os_media)
        ctx->os_media = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)json_decref);
    g_hash_table_replace(ctx->os_media, g_steal_pointer(&key), json_incref(os));
    return os;
}

static void default_member(json_t *obj, const char *name, json_t *value)
{
    if (!json_object_get(obj, name) && value && !json_is_null(value))
        json_object_set(obj, name, value);
}

/* Each object of the list `name` in `spec` gets member=value when it has
 * none (and is not an existing volume, whose bus is its own choice too). */
static void default_in_list(json_t *spec, const char *name, const char *member, const char *value)
{
    json_t *list = json_object_get(spec, name);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item)
        if (json_is_object(item) && !json_object_get(item, member))
            json_object_set_new(item, member, json_string(value));
}

gboolean api_os_apply_defaults(ApiContext *ctx, json_t *spec, GError **error)
{
    json_t *id = json_object_get(spec, "os");
    if (!json_is_string(id))
        return TRUE; /* absent, or the spec parser names the wrong type */
    json_t *os = api_os_find(ctx, json_string_value(id), error);
    if (!os) {
        if ((*error)->code == API_ERROR_NOT_FOUND) {
            (*error)->code = API_ERROR_INVALID_ARGUMENT;
            g_prefix_error(error, "field 'os': ");
        }
        return FALSE;
    }
    json_t *rec = json_object_get(os, "recommended");
    default_member(spec, "vcpus", json_object_get(rec, "vcpus"));
    default_member(spec, "memory", json_object_get(rec, "memory"));
    json_t *virtio = json_object_get(os, "virtio");
    if (!json_is_true(json_object_get(virtio, "disk")))
        default_in_list(spec, "disks", "bus", "sata");
    if (!json_is_true(json_object_get(virtio, "net")))
        default_in_list(spec, "nics", "model", "e1000e");
    return TRUE;
}
