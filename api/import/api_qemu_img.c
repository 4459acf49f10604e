/* Running qemu-img on uploaded images (see api_qemu_img.h). */
#include "api/import/api_qemu_img.h"
#include "api/core/api.h"
#include "api/core/api_error.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/resource.h>

/* Limits of the child, as QEMU's docs advise for images from outside. */
#define INFO_MEMORY_BYTES (G_GUINT64_CONSTANT(1) << 30)
#define INFO_CPU_SECONDS 30
#define CONVERT_MEMORY_BYTES (G_GUINT64_CONSTANT(2) << 30)
/* Largest `info` answer read (a vmdk may list many extents). */
#define INFO_MAX_BYTES (4 * 1024 * 1024)
/* How often a conversion looks at its progress and at a cancel. */
#define POLL_US (100 * 1000)

static const char *const formats[] = {"vmdk", "vdi", "qcow2", "raw", NULL};

void api_image_info_free(ApiImageInfo *info)
{
    if (!info)
        return;
    g_free(info->format);
    g_free(info->backing);
    g_free(info->data_file);
    if (info->extents)
        g_ptr_array_unref(info->extents);
    g_free(info);
}

typedef struct {
    guint64 memory;
    guint cpu_seconds; /* 0: none */
} Limits;

/* In the child, between fork and exec: only async-signal-safe calls. */
static void limit_child(gpointer data)
{
    const Limits *l = data;
    struct rlimit as = {.rlim_cur = l->memory, .rlim_max = l->memory};
    setrlimit(RLIMIT_AS, &as);
    if (l->cpu_seconds) {
        struct rlimit cpu = {.rlim_cur = l->cpu_seconds, .rlim_max = l->cpu_seconds};
        setrlimit(RLIMIT_CPU, &cpu);
    }
}

static GSubprocess *spawn(const char *const *argv, GSubprocessFlags flags, const Limits *limits,
                          GError **error)
{
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(flags);
    g_subprocess_launcher_setenv(l, "LC_ALL", "C", TRUE);
    g_subprocess_launcher_set_child_setup(l, limit_child, (gpointer)limits, NULL);
    GError *why = NULL;
    GSubprocess *p = g_subprocess_launcher_spawnv(l, argv, &why);
    if (!p) {
        g_set_error(error, API_ERROR, API_ERROR_UNAVAILABLE,
                    "cannot run qemu-img (Debian package qemu-utils): %s", why->message);
        g_error_free(why);
    }
    return p;
}

/* qemu-img's own message: its last non-empty line, without the program's
 * name (which says nothing) and without the carriage returns of -p. */
static char *last_words(const char *out)
{
    g_auto(GStrv) lines = g_strsplit_set(out ? out : "", "\r\n", -1);
    const char *last = NULL;
    for (char **l = lines; *l; l++)
        if (*g_strstrip(*l) && !strstr(*l, "/100%)"))
            last = *l;
    if (!last)
        return g_strdup("no message");
    return g_strdup(g_str_has_prefix(last, "qemu-img: ") ? last + strlen("qemu-img: ") : last);
}

static char *member_string(json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s && *s ? g_strdup(s) : NULL;
}

static ApiImageInfo *info_from_json(const char *text, GError **error)
{
    json_error_t jerr;
    g_autoptr(json_t) doc = json_loads(text, 0, &jerr);
    json_t *size = json_object_get(doc, "virtual-size");
    if (!json_is_object(doc) || !json_is_integer(size) || json_integer_value(size) < 0 ||
        !json_is_string(json_object_get(doc, "format"))) {
        g_set_error(error, API_ERROR, API_ERROR_INTERNAL, "qemu-img info answered no image");
        return NULL;
    }
    ApiImageInfo *info = g_new0(ApiImageInfo, 1);
    info->format = member_string(doc, "format");
    info->virtual_size = (guint64)json_integer_value(size);
    info->backing = member_string(doc, "full-backing-filename");
    if (!info->backing)
        info->backing = member_string(doc, "backing-filename");
    json_t *specific = json_object_get(json_object_get(doc, "format-specific"), "data");
    info->data_file = member_string(specific, "data-file");
    info->extents = g_ptr_array_new_with_free_func(g_free);
    size_t i;
    json_t *extent;
    json_array_foreach (json_object_get(specific, "extents"), i, extent) {
        char *file = member_string(extent, "filename");
        g_ptr_array_add(info->extents, file ? file : g_strdup("(unnamed)"));
    }
    return info;
}

ApiImageInfo *api_qemu_img_info(const char *path, GError **error)
{
    static const Limits limits = {INFO_MEMORY_BYTES, INFO_CPU_SECONDS};
    const char *const argv[] = {"qemu-img", "info", "--output=json", path, NULL};
    g_autoptr(GSubprocess) p = spawn(
        argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &limits, error);
    g_autofree char *out = NULL, *err = NULL;
    if (!p || !g_subprocess_communicate_utf8(p, NULL, NULL, &out, &err, error))
        return NULL;
    if (!g_subprocess_get_if_exited(p) || g_subprocess_get_exit_status(p) != 0) {
        g_autofree char *why = last_words(err);
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "qemu-img cannot read the image: %s", why);
        return NULL;
    }
    if (!out || strlen(out) > INFO_MAX_BYTES) {
        g_set_error(error, API_ERROR, API_ERROR_INVALID_ARGUMENT,
                    "qemu-img's description of the image is over %d MiB", INFO_MAX_BYTES >> 20);
        return NULL;
    }
    return info_from_json(out, error);
}

gboolean api_image_check(const ApiImageInfo *info, const char *path, const char *what,
                         const char *expected, GError **error)
{
    if (!g_strv_contains(formats, info->format))
        return api_invalid(error, "%s is a %s image; Vireo imports vmdk, vdi, qcow2 and raw", what,
                           info->format);
    if (expected && strcmp(info->format, expected) != 0)
        return api_invalid(error, "%s is a %s image, not the %s it is declared to be", what,
                           info->format, expected);
    if (info->backing)
        return api_invalid(
            error, "%s names a backing file: refused (it would read a file of the host)", what);
    if (info->data_file)
        return api_invalid(error,
                           "%s keeps its data in an external file: refused (it would read a "
                           "file of the host)",
                           what);
    for (guint i = 0; i < info->extents->len; i++)
        if (strcmp(g_ptr_array_index(info->extents, i), path) != 0)
            return api_invalid(error,
                               "%s has an extent in another file: refused (it would read a file "
                               "of the host)",
                               what);
    if (info->virtual_size == 0)
        return api_invalid(error, "%s is empty (a virtual size of 0 bytes)", what);
    return TRUE;
}

/* The whole percent of the last "(12.34/100%)" qemu-img -p wrote, or -1. */
static int last_percent(const GString *out)
{
    const char *end = g_strrstr(out->str, "/100%)");
    if (!end)
        return -1;
    const char *open = end;
    while (open > out->str && open[-1] != '(')
        open--;
    g_autofree char *num = g_strndup(open, strcspn(open, "./"));
    guint64 v;
    return g_ascii_string_to_unsigned(num, 10, 0, 100, &v, NULL) ? (int)v : -1;
}

/* Reads what the child wrote so far (stdout and stderr merged); FALSE at
 * its end. Never blocks. */
static gboolean drain(GPollableInputStream *in, GString *out)
{
    char buf[4096];
    for (;;) {
        g_autoptr(GError) e = NULL;
        gssize n = g_pollable_input_stream_read_nonblocking(in, buf, sizeof buf, NULL, &e);
        if (n > 0) {
            /* Only the tail matters: progress and the last message. */
            g_string_append_len(out, buf, n);
            if (out->len > 64 * 1024)
                g_string_erase(out, 0, (gssize)(out->len - 16 * 1024));
            continue;
        }
        return n < 0 && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    }
}

/* One `qemu-img convert` with progress, cancel and its message kept. */
static gboolean run_convert(const char *const *argv, ApiImageProgress progress, gpointer data,
                            GError **error)
{
    static const Limits limits = {CONVERT_MEMORY_BYTES, 0};
    g_autoptr(GSubprocess) p = spawn(
        argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &limits, error);
    if (!p)
        return FALSE;
    GPollableInputStream *in = G_POLLABLE_INPUT_STREAM(g_subprocess_get_stdout_pipe(p));
    g_autoptr(GString) out = g_string_new(NULL);
    gboolean stopped = FALSE;
    while (drain(in, out)) {
        int pct = last_percent(out);
        if (progress && !progress(pct < 0 ? 0 : pct, data)) {
            g_subprocess_force_exit(p);
            stopped = TRUE;
        }
        if (!stopped)
            g_usleep(POLL_US);
        else
            break;
    }
    if (!g_subprocess_wait(p, NULL, error))
        return FALSE;
    if (stopped)
        return api_fail(error, API_ERROR_CONFLICT, "cancelled");
    if (g_subprocess_get_if_exited(p) && g_subprocess_get_exit_status(p) == 0)
        return TRUE;
    g_autofree char *why = last_words(out->str);
    if (strstr(why, "No space left"))
        return api_fail(error, API_ERROR_INSUFFICIENT_STORAGE,
                        "the file system filled up while the disk was converted: %s", why);
    return api_fail(error, API_ERROR_INTERNAL, "qemu-img convert failed: %s", why);
}

gboolean api_qemu_img_convert(const char *src, const char *from, const char *dst, const char *to,
                              ApiImageProgress progress, gpointer data, GError **error)
{
    const char *const argv[] = {"qemu-img", "convert", "-p", "-n", "--target-is-zero",
                                "-f",       from,      "-O", to,   src,
                                dst,        NULL};
    return run_convert(argv, progress, data, error);
}

static gboolean until_cancelled(int percent G_GNUC_UNUSED, gpointer cancel)
{
    return !g_cancellable_is_cancelled(cancel);
}

gboolean api_qemu_img_to_stream_vmdk(const char *src, const char *from, const char *dst,
                                     GCancellable *cancel, GError **error)
{
    const char *const argv[] = {
        "qemu-img", "convert", "-p", "-f", from, "-O", "vmdk", "-o", "subformat=streamOptimized",
        src,        dst,       NULL};
    return run_convert(argv, cancel ? until_cancelled : NULL, cancel, error);
}
