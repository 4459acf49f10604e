/* The web UI folder's version tag: a hash of what `stat` says of each file
 * that may be served, read again for every page (about 150 files: a few
 * hundred microseconds), so an edit or an upgrade changes it without a
 * restart. Files themselves are
 * never hashed: their size and modification time already make the ETags. */
#include "server/static_version.h"

#include <string.h>
#include <sys/stat.h>

/* Folders deeper than this are not read (a symlink loop ends here too). */
#define MAX_DEPTH 12

/* A tag that is not the remembered one reads the folder again at most
 * this often: made-up tags cost a string compare, not a folder walk. */
#define REREAD_US (G_USEC_PER_SEC / 2)

struct StaticVersion {
    GMutex lock;
    char tag[STATIC_VERSION_LEN + 1]; /* "" until read once */
    gint64 read_at;                   /* monotonic, of the last reading */
};

StaticVersion *static_version_new(void)
{
    StaticVersion *v = g_new0(StaticVersion, 1);
    g_mutex_init(&v->lock);
    return v;
}

void static_version_free(StaticVersion *v)
{
    if (!v)
        return;
    g_mutex_clear(&v->lock);
    g_free(v);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feeds every file under `dir` (`rel` is its path inside the root) into
 * `sum`, in name order; hidden names are skipped, as they are never served. */
static gboolean walk(GChecksum *sum, const char *dir, const char *rel, int depth, time_t *newest)
{
    if (depth > MAX_DEPTH)
        return TRUE;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return FALSE;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        if (n[0] != '.')
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *full = g_build_filename(dir, name, NULL);
        g_autofree char *sub = rel[0] ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
        struct stat st;
        if (stat(full, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(sum, full, sub, depth + 1, newest);
        } else if (S_ISREG(st.st_mode)) {
            char line[96];
            g_snprintf(line, sizeof(line), "\n%" G_GINT64_FORMAT " %" G_GINT64_FORMAT ".%ld ",
                       (gint64)st.st_size, (gint64)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
            g_checksum_update(sum, (const guchar *)line, (gssize)strlen(line));
            g_checksum_update(sum, (const guchar *)sub, (gssize)strlen(sub));
            if (st.st_mtime > *newest)
                *newest = st.st_mtime;
        }
    }
    return TRUE;
}

gboolean static_version_read(StaticVersion *v, const char *root, char tag[STATIC_VERSION_LEN + 1],
                             time_t *newest)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    time_t latest = 0;
    if (!walk(sum, root, "", 0, &latest))
        return FALSE;
    g_strlcpy(tag, g_checksum_get_string(sum), STATIC_VERSION_LEN + 1);
    if (newest)
        *newest = latest;
    g_mutex_lock(&v->lock);
    g_strlcpy(v->tag, tag, sizeof(v->tag));
    v->read_at = g_get_monotonic_time();
    g_mutex_unlock(&v->lock);
    return TRUE;
}

gboolean static_version_current(StaticVersion *v, const char *root, const char *tag)
{
    g_mutex_lock(&v->lock);
    gboolean same = strcmp(v->tag, tag) == 0;
    gboolean fresh = v->read_at && g_get_monotonic_time() - v->read_at < REREAD_US;
    g_mutex_unlock(&v->lock);
    if (same || fresh)
        return same;
    char now[STATIC_VERSION_LEN + 1];
    return static_version_read(v, root, now, NULL) && strcmp(now, tag) == 0;
}

const char *static_version_strip(const char *path, char tag[STATIC_VERSION_LEN + 1])
{
    if (!g_str_has_prefix(path, "/v/"))
        return NULL;
    const char *t = path + 3;
    for (int i = 0; i < STATIC_VERSION_LEN; i++)
        if (!g_ascii_isxdigit(t[i]) || g_ascii_isupper(t[i]))
            return NULL;
    if (t[STATIC_VERSION_LEN] != '/')
        return NULL;
    memcpy(tag, t, STATIC_VERSION_LEN);
    tag[STATIC_VERSION_LEN] = '\0';
    return t + STATIC_VERSION_LEN;
}

GString *static_version_fill(const char *body, gsize len, const char *tag)
{
    g_autofree char *prefix = tag ? g_strconcat("v/", tag, NULL) : g_strdup(".");
    GString *out = g_string_new_len(body, (gssize)len);
    g_string_replace(out, STATIC_VERSION_MARK, prefix, 0);
    return out;
}
