/* libFuzzer target: the streaming tar reader (virt_tar_feed) and, over it,
 * the OVA reader (virt_ova_feed: descriptor, manifest, digests), on any
 * bytes an upload could hold. The archive is read whole and in random
 * pieces: both readings must end the same way and report the same
 * members and data; every member name passes the name check; data never
 * exceeds what a member announced.
 *
 * Input layout: one byte seeding the piece sizes (0: the OVA reader over
 * the whole input instead), then the archive. */
#include <stdint.h>

#include "fuzz_xml.h"
#include "virt/virt_error.h"
#include "virt/virt_ova.h"
#include "virt/virt_tar.h"

typedef struct {
    GString *log; /* "name size\n" per member, then its data's checksum */
    GChecksum *data;
    guint64 announced, got;
} Trace;

static gboolean on_begin(const VirtTarMember *m, gpointer p, GError **error G_GNUC_UNUSED)
{
    Trace *t = p;
    FUZZ_CHECK(virt_tar_name_valid(m->name, NULL), "member name '%s' passed unchecked", m->name);
    g_string_append_printf(t->log, "%s %" G_GUINT64_FORMAT "\n", m->name, m->size);
    t->announced = m->size;
    t->got = 0;
    t->data = g_checksum_new(G_CHECKSUM_SHA1);
    return TRUE;
}

static gboolean on_data(const guint8 *buf, gsize len, gpointer p, GError **error G_GNUC_UNUSED)
{
    Trace *t = p;
    FUZZ_CHECK(len > 0 && t->data, "empty piece, or data outside a member");
    t->got += len;
    FUZZ_CHECK(t->got <= t->announced,
               "%" G_GUINT64_FORMAT " bytes of a %" G_GUINT64_FORMAT "-byte member", t->got,
               t->announced);
    g_checksum_update(t->data, buf, (gssize)len);
    return TRUE;
}

static gboolean on_end(gpointer p, GError **error G_GNUC_UNUSED)
{
    Trace *t = p;
    FUZZ_CHECK(t->data && t->got == t->announced,
               "member ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes", t->got,
               t->announced);
    g_string_append_printf(t->log, "%s\n", g_checksum_get_string(t->data));
    g_clear_pointer(&t->data, g_checksum_free);
    return TRUE;
}

static const VirtTarHandler handler = {on_begin, on_data, on_end};

/* The trace of one reading; `seed` 0 reads it whole. */
static char *read_tar(const uint8_t *data, size_t size, guint32 seed, gboolean *ok)
{
    Trace t = {.log = g_string_new(NULL)};
    VirtTar *tar = virt_tar_new(size, &handler, &t);
    GRand *rand = g_rand_new_with_seed(seed);
    GError *error = NULL;
    gboolean good = TRUE;
    for (size_t pos = 0; good && pos < size;) {
        size_t n = seed ? (size_t)g_rand_int_range(rand, 1, 1400) : size;
        n = MIN(n, size - pos);
        good = virt_tar_feed(tar, data + pos, n, &error);
        pos += n;
    }
    good = good && virt_tar_finish(tar, &error);
    if (!good) {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR && error->code == VIRT_ERROR_INVALID_ARG,
                   "refusal is not VIRT_ERROR_INVALID_ARG");
        g_string_append_printf(t.log, "ERROR %s\n", error->message);
        g_error_free(error);
    }
    if (t.data)
        g_checksum_free(t.data);
    g_rand_free(rand);
    virt_tar_free(tar);
    *ok = good;
    return g_string_free(t.log, FALSE);
}

static gboolean sink_data(guint disk G_GNUC_UNUSED, const guint8 *buf G_GNUC_UNUSED, gsize len,
                          gpointer p G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
    FUZZ_CHECK(len > 0, "empty disk piece");
    return TRUE;
}

static void read_ova(const uint8_t *data, size_t size)
{
    static const VirtOvaSink sink = {.disk_data = sink_data};
    VirtOva *ova = virt_ova_new(size, &sink, NULL);
    GError *error = NULL;
    VirtOvf *ovf = virt_ova_feed(ova, data, size, &error) ? virt_ova_finish(ova, &error) : NULL;
    if (ovf) {
        FUZZ_CHECK(ovf->disks->len > 0, "an OVA without disks was accepted");
        virt_ovf_free(ovf);
    } else {
        FUZZ_CHECK(error && error->domain == VIRT_ERROR, "OVA refusal is not a VIRT_ERROR");
        g_error_free(error);
    }
    virt_ova_free(ova);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    guint32 seed = data[0];
    data++;
    size--;
    if (seed == 0) {
        read_ova(data, size);
        return 0;
    }
    gboolean whole_ok, pieces_ok;
    char *whole = read_tar(data, size, 0, &whole_ok);
    char *pieces = read_tar(data, size, seed, &pieces_ok);
    FUZZ_CHECK(whole_ok == pieces_ok && strcmp(whole, pieces) == 0,
               "whole and pieces differ:\n--- whole\n%s--- pieces\n%s", whole, pieces);
    g_free(whole);
    g_free(pieces);
    return 0;
}
