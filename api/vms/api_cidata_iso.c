/* Writing the cidata ISO with genisoimage (see api_cidata_iso.h). Why a
 * program and not libisofs: genisoimage is already one of the packages
 * Vireo's tests need, and one short-lived process per create keeps ISO
 * writing (and its parser of our own files) out of the daemon. */
#include "api/vms/api_cidata_iso.h"
#include "api/core/api_error.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define ISO_MAX_BYTES (16 * 1024 * 1024)

/* Removes the folder and the files of `files` (and the image) in it. */
static void remove_all(const char *dir, const ApiCidataFile *files, guint n)
{
    for (guint i = 0; i < n; i++) {
        g_autofree char *path = g_build_filename(dir, "in", files[i].name, NULL);
        g_remove(path);
    }
    g_autofree char *in = g_build_filename(dir, "in", NULL);
    g_autofree char *iso = g_build_filename(dir, "seed.iso", NULL);
    g_remove(in);
    g_remove(iso);
    g_remove(dir);
}

static gboolean write_files(const char *in, const ApiCidataFile *files, guint n, GPtrArray *argv,
                            GError **error)
{
    if (g_mkdir(in, 0700) < 0)
        return api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: making a folder failed: %s",
                        g_strerror(errno));
    for (guint i = 0; i < n; i++) {
        if (strchr(files[i].name, '/'))
            return api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: bad file name");
        char *path = g_build_filename(in, files[i].name, NULL);
        g_ptr_array_add(argv, path);
        g_autoptr(GError) why = NULL;
        if (!g_file_set_contents_full(path, files[i].text, -1, G_FILE_SET_CONTENTS_NONE, 0600,
                                      &why))
            return api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: writing %s failed: %s",
                            files[i].name, why->message);
    }
    return TRUE;
}

static gboolean run_genisoimage(GPtrArray *argv, GError **error)
{
    g_autoptr(GError) why = NULL;
    g_autoptr(GSubprocess) p = g_subprocess_newv(
        (const char *const *)argv->pdata,
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &why);
    g_autofree char *err = NULL;
    if (!p || !g_subprocess_communicate_utf8(p, NULL, NULL, NULL, &err, &why))
        return api_fail(error, API_ERROR_INTERNAL,
                        "cloud-init seed: running genisoimage (Debian package genisoimage) "
                        "failed: %s",
                        why->message);
    if (!g_subprocess_get_if_exited(p) || g_subprocess_get_exit_status(p) != 0)
        return api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: genisoimage failed: %.300s",
                        err ? g_strstrip(err) : "");
    return TRUE;
}

GBytes *api_cidata_iso(const ApiCidataFile *files, guint n_files, GError **error)
{
    g_autoptr(GError) why = NULL;
    g_autofree char *dir = g_dir_make_tmp("vireo-cidata-XXXXXX", &why);
    if (!dir) {
        api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: no temporary folder: %s",
                 why->message);
        return NULL;
    }
    g_autofree char *in = g_build_filename(dir, "in", NULL);
    g_autofree char *iso = g_build_filename(dir, "seed.iso", NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    const char *const head[] = {"genisoimage",    "-quiet",         "-output", iso,
                                "-volid",         API_CIDATA_LABEL, "-joliet", "-rock",
                                "-input-charset", "utf-8"};
    for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
        g_ptr_array_add(argv, g_strdup(head[i]));
    GBytes *out = NULL;
    gchar *bytes = NULL;
    gsize len = 0;
    if (write_files(in, files, n_files, argv, error)) {
        g_ptr_array_add(argv, NULL);
        if (run_genisoimage(argv, error)) {
            if (!g_file_get_contents(iso, &bytes, &len, &why))
                api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: reading the image failed: %s",
                         why->message);
            else if (len == 0 || len > ISO_MAX_BYTES)
                api_fail(error, API_ERROR_INTERNAL, "cloud-init seed: the image has %zu bytes",
                         len);
            else
                out = g_bytes_new_take(g_steal_pointer(&bytes), len);
        }
    }
    g_free(bytes);
    remove_all(dir, files, n_files);
    return out;
}
