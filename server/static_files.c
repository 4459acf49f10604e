/* Static files from --webui. Paths are checked twice: no hidden or dot-dot
 * segment at all, then the resolved real path must stay inside the root. */
#include "server/static_files.h"
#include "api/core/api_encoding.h"
#include "api/core/api_json.h"
#include "server/http_headers.h"
#include "server/static_version.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int static_path_allowed(const char *path)
{
    if (!path || path[0] != '/' || strlen(path) > 1024)
        return 0;
    if (strchr(path, '\\') || strstr(path, "//"))
        return 0;
    g_auto(GStrv) segs = g_strsplit(path + 1, "/", -1);
    for (char **s = segs; *s; s++) {
        /* ".", "..", and hidden files such as .git are never served. */
        if ((*s)[0] == '.')
            return 0;
        for (const char *c = *s; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return 0;
    }
    return 1;
}

const char *static_mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".wasm", "application/wasm"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
        if (g_str_has_suffix(path, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

/* Opens `rel` under `root` if it resolves to a regular file inside it. */
static int open_inside(const char *root, const char *rel, struct stat *st)
{
    char real_root[PATH_MAX], real_file[PATH_MAX];
    g_autofree char *full = g_build_filename(root, rel, NULL);
    if (!realpath(root, real_root) || !realpath(full, real_file))
        return -1;
    gsize n = strlen(real_root);
    if (strncmp(real_file, real_root, n) != 0 || real_file[n] != '/')
        return -1;
    int fd = open(real_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static enum MHD_Result not_found(struct MHD_Connection *conn, const char *root, int tls,
                                 unsigned *status)
{
    struct stat st;
    int fd = open_inside(root, "404.html", &st);
    struct MHD_Response *r;
    if (fd >= 0) {
        r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
        MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    } else {
        static const char msg[] = "404 Not Found\n";
        r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    }
    http_add_security_headers(r, HTTP_BODY_PAGE, tls);
    *status = MHD_HTTP_NOT_FOUND;
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

static gboolean not_modified(struct MHD_Connection *conn, const char *etag, time_t mtime)
{
    const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    if (inm)
        return api_etag_matches(inm, etag);
    const char *ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Modified-Since");
    time_t since;
    return ims && http_parse_date(ims, &since) && mtime <= since;
}

struct StaticGzip {
    GMutex lock;
    GHashTable *files; /* path -> Packed* */
    gsize bytes;
    gsize max_bytes;
};

typedef struct {
    gint64 size;
    gint64 mtime_ns;
    GBytes *gz;
} Packed;

static void packed_free(Packed *p)
{
    g_bytes_unref(p->gz);
    g_free(p);
}

StaticGzip *static_gzip_new(gsize max_bytes)
{
    StaticGzip *gz = g_new0(StaticGzip, 1);
    g_mutex_init(&gz->lock);
    gz->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)packed_free);
    gz->max_bytes = max_bytes;
    return gz;
}

void static_gzip_free(StaticGzip *gz)
{
    if (!gz)
        return;
    g_hash_table_unref(gz->files);
    g_mutex_clear(&gz->lock);
    g_free(gz);
}

/* The file behind `fd` compressed, from the kept ones while it is the same
 * file version (size and modification time), else compressed now (level
 * 9: once per version). NULL when it cannot be read. */
static GBytes *packed(StaticGzip *gz, const char *path, int fd, const struct stat *st)
{
    gint64 mtime_ns = (gint64)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    g_mutex_lock(&gz->lock);
    Packed *p = g_hash_table_lookup(gz->files, path);
    GBytes *found = p && p->size == st->st_size && p->mtime_ns == mtime_ns ? g_bytes_ref(p->gz)
                                                                           : NULL;
    g_mutex_unlock(&gz->lock);
    if (found)
        return found;
    g_autofree char *data = g_malloc(st->st_size ? (gsize)st->st_size : 1);
    gsize have = 0;
    while (have < (gsize)st->st_size) {
        ssize_t n = pread(fd, data + have, (gsize)st->st_size - have, (off_t)have);
        if (n <= 0)
            return NULL;
        have += (gsize)n;
    }
    GBytes *out = api_gzip(data, have, 9);
    if (!out)
        return NULL;
    Packed *np = g_new0(Packed, 1);
    np->size = st->st_size;
    np->mtime_ns = mtime_ns;
    np->gz = g_bytes_ref(out);
    g_mutex_lock(&gz->lock);
    Packed *old = g_hash_table_lookup(gz->files, path);
    if (old)
        gz->bytes -= g_bytes_get_size(old->gz);
    /* The web UI is a few hundred KiB compressed; a folder that grows
     * beyond the bound starts over rather than growing without end. */
    if (gz->bytes + g_bytes_get_size(out) > gz->max_bytes) {
        g_hash_table_remove_all(gz->files);
        gz->bytes = 0;
    }
    g_hash_table_replace(gz->files, g_strdup(path), np);
    gz->bytes += g_bytes_get_size(out);
    g_mutex_unlock(&gz->lock);
    return out;
}

/* Pages are read whole to fill in the version tag; none is this big. */
#define STATIC_PAGE_MAX (1024 * 1024)

static HttpBodyKind body_kind(const char *path)
{
    if (strcmp(path, "/console.html") == 0)
        return HTTP_BODY_TERMINAL;
    return g_str_has_suffix(path, ".html") ? HTTP_BODY_PAGE : HTTP_BODY_DATA;
}

/* Reads all of `fd` (a page: small), or NULL. */
static GString *read_all(int fd, const struct stat *st)
{
    if (st->st_size > STATIC_PAGE_MAX)
        return NULL;
    GString *out = g_string_sized_new((gsize)st->st_size + 1);
    char buf[8192];
    for (ssize_t n; (n = read(fd, buf, sizeof(buf))) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || out->len + (gsize)n > STATIC_PAGE_MAX) {
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append_len(out, buf, n);
    }
    return out;
}

/* What one answer carries besides its body. */
typedef struct {
    const char *path; /* inside the root, e.g. "/js/app.js" */
    const char *type;
    char etag[96];
    time_t modified;
    gboolean varies;    /* has a gzip representation: Vary */
    gboolean immutable; /* named under the folder's current version tag */
} Answer;

/* The strong ETag of a file version (size, modification time), of the
 * folder's version tag `tag` for pages that name it, and of gzip. */
static void set_etag(Answer *a, const struct stat *st, const char *tag, gboolean gzip)
{
    g_snprintf(a->etag, sizeof(a->etag),
               "\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x%s%s%s\"", (gint64)st->st_size,
               (gint64)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000, tag[0] ? "-" : "",
               tag, gzip ? "-gzip" : "");
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct MHD_Response *r, const Answer *a,
                             int tls, unsigned status)
{
    char date[64];
    http_format_date(a->modified, date, sizeof(date));
    MHD_add_response_header(r, "ETag", a->etag);
    MHD_add_response_header(r, "Last-Modified", date);
    if (a->varies)
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
    /* Under a version tag the address changes with the file: browsers keep
     * it for good. Otherwise always revalidate: a cheap 304, and never a
     * stale UI after upgrades. */
    MHD_add_response_header(r, "Cache-Control",
                            a->immutable ? "max-age=31536000, immutable" : "no-cache");
    http_add_security_headers(r, body_kind(a->path), tls);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result not_modified_answer(struct MHD_Connection *conn, const Answer *a, int tls,
                                           unsigned *status)
{
    *status = MHD_HTTP_NOT_MODIFIED;
    return queue(conn, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT), a, tls,
                 *status);
}

/* An HTML page: read whole, with STATIC_VERSION_MARK filled in with the
 * folder's current tag, so the page names the other files by it. Its tag
 * is then part of the page's ETag and Last-Modified is the folder's. */
static enum MHD_Result serve_page(struct MHD_Connection *conn, const char *root, int fd,
                                  const struct stat *st, Answer *a, gboolean gzip_ok,
                                  StaticVersion *ver, int tls, unsigned *status)
{
    g_autoptr(GString) raw = read_all(fd, st);
    close(fd);
    if (!raw)
        return not_found(conn, root, tls, status);
    char tag[STATIC_VERSION_LEN + 1] = "";
    time_t newest = st->st_mtime;
    gboolean marked = strstr(raw->str, STATIC_VERSION_MARK) != NULL;
    if (marked && !(ver && static_version_read(ver, root, tag, &newest)))
        tag[0] = '\0';
    g_autoptr(GString) body = marked ? static_version_fill(raw->str, raw->len, tag[0] ? tag : NULL)
                                     : g_string_new_len(raw->str, (gssize)raw->len);
    a->varies = body->len >= API_GZIP_MIN && api_compressible(a->type);
    gboolean gzip = a->varies && gzip_ok;
    a->modified = MAX(newest, st->st_mtime);
    set_etag(a, st, tag, gzip);
    if (not_modified(conn, a->etag, a->modified))
        return not_modified_answer(conn, a, tls, status);
    g_autoptr(GBytes) packed_body = gzip ? api_gzip(body->str, body->len, 6) : NULL;
    struct MHD_Response *r;
    if (packed_body) {
        gsize len;
        const void *data = g_bytes_get_data(packed_body, &len);
        r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    } else {
        set_etag(a, st, tag, FALSE); /* could not compress it: the plain page, under its own tag */
        r = MHD_create_response_from_buffer(body->len, body->str, MHD_RESPMEM_MUST_COPY);
    }
    MHD_add_response_header(r, "Content-Type", a->type);
    *status = MHD_HTTP_OK;
    return queue(conn, r, a, tls, *status);
}

enum MHD_Result static_serve(struct MHD_Connection *conn, const char *root, const char *path,
                             int tls, StaticGzip *gz, StaticVersion *ver, unsigned *status)
{
    /* v/TAG/...: the same file, kept for good by browsers when TAG is the
     * folder's current one (an older page's lazy import still gets the
     * file, revalidated as before). */
    char tag[STATIC_VERSION_LEN + 1];
    const char *unversioned = static_version_strip(path, tag);
    gboolean current = unversioned && ver && static_version_current(ver, root, tag);
    if (unversioned)
        path = unversioned;
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    if (!static_path_allowed(path))
        return not_found(conn, root, tls, status);
    struct stat st;
    int fd = open_inside(root, path + 1, &st);
    if (fd < 0)
        return not_found(conn, root, tls, status);

    Answer a = {.path = path, .type = static_mime_type(path), .modified = st.st_mtime};
    gboolean gzip_ok = gz && api_accepts_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                          "Accept-Encoding"));
    if (body_kind(path) != HTTP_BODY_DATA)
        return serve_page(conn, root, fd, &st, &a, gzip_ok, ver, tls, status);
    a.immutable = current;
    /* Text of 1 KiB and more goes out compressed to clients that take it:
     * another representation, with its own ETag. */
    a.varies = gz && st.st_size >= API_GZIP_MIN && api_compressible(a.type);
    gboolean gzip = a.varies && gzip_ok;
    set_etag(&a, &st, "", gzip);
    if (not_modified(conn, a.etag, st.st_mtime)) {
        close(fd);
        return not_modified_answer(conn, &a, tls, status);
    }
    struct MHD_Response *r;
    g_autoptr(GBytes) packed_body = gzip ? packed(gz, path, fd, &st) : NULL;
    if (packed_body) {
        close(fd);
        gsize len;
        const void *data = g_bytes_get_data(packed_body, &len);
        r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    } else {
        set_etag(&a, &st, "", FALSE); /* not compressed: the plain file, under its own tag */
        r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    }
    MHD_add_response_header(r, "Content-Type", a.type);
    *status = MHD_HTTP_OK;
    return queue(conn, r, &a, tls, *status);
}
