/* libFuzzer target: the tar reader (virt_tar.c) as the VM archive's
 * import drives it, and the archive's SHA256SUMS parser, on any bytes. The archive is read whole and in pieces
 * whose sizes the first input byte seeds: both readings must agree on the
 * members and the verdict, every member handed on must have a safe name,
 * and its data must be exactly the size announced before its end. */
#include <stdint.h>

#include "fuzz_common.h"
#include "virt/virt_archive.h"
#include "virt/virt_tar.h"

typedef struct {
    GString *log; /* "name:size|" per member that ended */
    guint64 announced, got;
    gboolean open;
} Reading;

static gboolean on_begin(const VirtTarMember *m, gpointer data, GError **error G_GNUC_UNUSED)
{
    Reading *r = data;
    const char *name = m->name;
    guint64 size = m->size;
    FUZZ_CHECK(!r->open, "a member began inside another");
    FUZZ_CHECK(virt_tar_name_valid(name, NULL), "unsafe name '%s' handed on", name);
    g_string_append_printf(r->log, "%s:%" G_GUINT64_FORMAT, name, size);
    r->announced = size;
    r->got = 0;
    r->open = TRUE;
    return TRUE;
}

static gboolean on_data(const guint8 *buf G_GNUC_UNUSED, gsize len, gpointer data,
                        GError **error G_GNUC_UNUSED)
{
    Reading *r = data;
    FUZZ_CHECK(r->open && len > 0, "data outside a member, or empty");
    r->got += len;
    FUZZ_CHECK(r->got <= r->announced, "more data than announced");
    return TRUE;
}

static gboolean on_end(gpointer data, GError **error G_GNUC_UNUSED)
{
    Reading *r = data;
    FUZZ_CHECK(r->open && r->got == r->announced,
               "a member ended with %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes", r->got,
               r->announced);
    r->open = FALSE;
    g_string_append_c(r->log, '|');
    return TRUE;
}

static gboolean read_archive(const uint8_t *data, size_t size, guint32 seed, GString *log)
{
    static const VirtTarHandler fns = {on_begin, on_data, on_end};
    Reading r = {.log = log};
    /* The length known, as an import's Content-Length is. */
    VirtTar *tar = virt_tar_new(size, &fns, &r);
    GRand *rand = seed ? g_rand_new_with_seed(seed) : NULL;
    gboolean ok = TRUE;
    for (size_t off = 0; ok && off < size;) {
        size_t n = rand ? (size_t)g_rand_int_range(rand, 1, 1100) : size;
        n = MIN(n, size - off);
        GError *error = NULL;
        ok = virt_tar_feed(tar, data + off, n, &error);
        FUZZ_CHECK(ok == (error == NULL), "feed's verdict and error disagree");
        g_clear_error(&error);
        off += n;
    }
    if (ok) {
        GError *error = NULL;
        ok = virt_tar_finish(tar, &error);
        FUZZ_CHECK(ok || error, "a refusal without a reason");
        g_clear_error(&error);
    }
    if (rand)
        g_rand_free(rand);
    virt_tar_free(tar);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    guint32 seed = (guint32)data[0] + 1;
    GString *whole = g_string_new(NULL), *pieces = g_string_new(NULL);
    gboolean a = read_archive(data + 1, size - 1, 0, whole);
    gboolean b = read_archive(data + 1, size - 1, seed, pieces);
    FUZZ_CHECK(a == b, "whole: %d, in pieces: %d", a, b);
    FUZZ_CHECK(g_str_equal(whole->str, pieces->str), "members differ: '%s' vs '%s'", whole->str,
               pieces->str);
    g_string_free(whole, TRUE);
    g_string_free(pieces, TRUE);
    GError *error = NULL;
    GHashTable *sums = virt_archive_sums_parse((const char *)data + 1, size - 1, &error);
    FUZZ_CHECK((sums == NULL) == (error != NULL), "sums verdict and error disagree");
    if (sums) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, sums);
        while (g_hash_table_iter_next(&it, &k, &v))
            FUZZ_CHECK(strlen(v) == 64, "a digest of %zu digits", strlen(v));
        g_hash_table_unref(sums);
    }
    g_clear_error(&error);
    return 0;
}
