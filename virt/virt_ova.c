/* OVA stream reader (see virt_ova.h): sorts each tar member into the
 * descriptor, the manifest, the certificate, a disk or a skipped file,
 * computes its digests as it passes, and checks them against the manifest
 * as soon as both are known, so a wrong disk is refused before the rest
 * of the body is read. */
#include "virt/virt_ova.h"
#include "virt/virt_error.h"
#include "virt/virt_tar.h"

#include <string.h>

/* Digests computed while the manifest is not yet known. */
static const GChecksumType all_types[] = {G_CHECKSUM_SHA1, G_CHECKSUM_SHA256, G_CHECKSUM_SHA512};
#define N_TYPES G_N_ELEMENTS(all_types)

typedef enum {
    KIND_OVF,
    KIND_MANIFEST,
    KIND_CERT,
    KIND_DISK,
    KIND_SKIP, /* a file of References that is no disk of the VM */
} Kind;

typedef struct {
    char *hex[N_TYPES]; /* per all_types; NULL: not computed */
} Digests;

struct VirtOva {
    VirtTar *tar;
    const VirtOvaSink *sink;
    gpointer data;
    VirtOvf *ovf;         /* once the descriptor is read */
    GHashTable *manifest; /* name -> VirtOvaDigest, once read */
    GHashTable *digests;  /* member name -> Digests*, of every member checked */
    gboolean *present;    /* per file of References: came */
    gboolean cert_seen;
    /* the current member */
    char *name;
    Kind kind;
    guint disk;
    GByteArray *buf;               /* descriptor or manifest text */
    GChecksum *checksums[N_TYPES]; /* NULL: not computed */
};

/* A refusal (INVALID_ARG) whose message says what was read; the format
 * is always a literal. */
#define bad(error, fmt, ...) virt_fail((error), VIRT_ERROR_INVALID_ARG, "OVA: " fmt, ##__VA_ARGS__)

static void digests_free(gpointer p)
{
    Digests *d = p;
    for (gsize i = 0; i < N_TYPES; i++)
        g_free(d->hex[i]);
    g_free(d);
}

static gsize type_index(GChecksumType type)
{
    for (gsize i = 0; i < N_TYPES; i++)
        if (all_types[i] == type)
            return i;
    return 0;
}

static void drop_checksums(VirtOva *ova)
{
    for (gsize i = 0; i < N_TYPES; i++)
        g_clear_pointer(&ova->checksums[i], g_checksum_free);
}

/* Checks one member's digest against the manifest (both known). */
static gboolean verify(VirtOva *ova, const char *name, GError **error)
{
    const VirtOvaDigest *want = g_hash_table_lookup(ova->manifest, name);
    const Digests *got = g_hash_table_lookup(ova->digests, name);
    if (!want)
        return bad(error, "the manifest does not list member '%s'", name);
    const char *hex = got ? got->hex[type_index(want->type)] : NULL;
    if (!hex || strcmp(hex, want->hex) != 0)
        return bad(error, "member '%s' does not match its %s digest in the manifest", name,
                   virt_ova_digest_name(want->type));
    return TRUE;
}

static gboolean ends_with(const char *name, const char *suffix)
{
    gsize n = strlen(name), m = strlen(suffix);
    return n > m && g_ascii_strcasecmp(name + n - m, suffix) == 0;
}

/* Which member this is, and whether its size is acceptable. */
static gboolean classify(VirtOva *ova, const VirtTarMember *m, GError **error)
{
    if (!ova->ovf) {
        if (!ends_with(m->name, ".ovf"))
            return bad(error, "an OVA begins with its OVF descriptor, but the first member is '%s'",
                       m->name);
        if (m->size > VIRT_OVF_MAX_BYTES)
            return bad(error, "the descriptor '%s' is over %d MiB", m->name,
                       VIRT_OVF_MAX_BYTES >> 20);
        ova->kind = KIND_OVF;
        return TRUE;
    }
    const VirtOvfFile *f = virt_ovf_file_by_href(ova->ovf, m->name);
    if (!f && ends_with(m->name, ".mf")) {
        if (ova->manifest)
            return bad(error, "a second manifest, '%s'", m->name);
        ova->kind = KIND_MANIFEST;
    } else if (!f && ends_with(m->name, ".cert")) {
        if (ova->cert_seen)
            return bad(error, "a second certificate, '%s'", m->name);
        ova->cert_seen = TRUE;
        ova->kind = KIND_CERT;
    } else if (!f) {
        return bad(error, "member '%s' is not referenced by the OVF descriptor", m->name);
    } else {
        if (f->size && m->size != f->size)
            return bad(error,
                       "member '%s' is %" G_GUINT64_FORMAT
                       " bytes; the descriptor declares %" G_GUINT64_FORMAT,
                       m->name, m->size, f->size);
        guint i;
        g_ptr_array_find(ova->ovf->files, f, &i);
        ova->present[i] = TRUE;
        ova->kind = f->disk_index >= 0 ? KIND_DISK : KIND_SKIP;
        ova->disk = f->disk_index >= 0 ? (guint)f->disk_index : 0;
        return TRUE;
    }
    if (m->size > VIRT_OVA_SMALL_MAX)
        return bad(error, "'%s' is over %d MiB", m->name, VIRT_OVA_SMALL_MAX >> 20);
    return TRUE;
}

static gboolean on_begin(const VirtTarMember *m, gpointer data, GError **error)
{
    VirtOva *ova = data;
    if (!classify(ova, m, error))
        return FALSE;
    g_free(ova->name);
    ova->name = g_strdup(m->name);
    g_byte_array_set_size(ova->buf, 0);
    if (ova->kind == KIND_MANIFEST || ova->kind == KIND_CERT)
        return TRUE; /* the manifest does not list itself or the certificate */
    if (ova->manifest) {
        /* Only the algorithm the manifest uses; and a member it lacks is
         * refused before its bytes are read. */
        const VirtOvaDigest *want = g_hash_table_lookup(ova->manifest, m->name);
        if (!want)
            return bad(error, "the manifest does not list member '%s'", m->name);
        ova->checksums[type_index(want->type)] = g_checksum_new(want->type);
    } else {
        for (gsize i = 0; i < N_TYPES; i++)
            ova->checksums[i] = g_checksum_new(all_types[i]);
    }
    if (ova->kind == KIND_DISK && ova->sink->disk_begin &&
        !ova->sink->disk_begin(ova->ovf, ova->disk, m->size, ova->data, error))
        return FALSE;
    return TRUE;
}

static gboolean on_data(const guint8 *buf, gsize len, gpointer data, GError **error)
{
    VirtOva *ova = data;
    for (gsize i = 0; i < N_TYPES; i++)
        if (ova->checksums[i])
            g_checksum_update(ova->checksums[i], buf, (gssize)len);
    switch (ova->kind) {
    case KIND_OVF:
    case KIND_MANIFEST: g_byte_array_append(ova->buf, buf, (guint)len); return TRUE;
    case KIND_DISK:
        return !ova->sink->disk_data || ova->sink->disk_data(ova->disk, buf, len, ova->data, error);
    default: return TRUE;
    }
}

/* The manifest arrived: what came before it is checked now. */
static gboolean read_manifest(VirtOva *ova, GError **error)
{
    ova->manifest = virt_ova_manifest_parse((const char *)ova->buf->data, ova->buf->len, error);
    if (!ova->manifest)
        return FALSE;
    GHashTableIter it;
    gpointer name;
    g_hash_table_iter_init(&it, ova->digests);
    while (g_hash_table_iter_next(&it, &name, NULL))
        if (!verify(ova, name, error))
            return FALSE;
    return TRUE;
}

static gboolean on_end(gpointer data, GError **error)
{
    VirtOva *ova = data;
    if (ova->kind != KIND_MANIFEST && ova->kind != KIND_CERT) {
        Digests *d = g_new0(Digests, 1);
        for (gsize i = 0; i < N_TYPES; i++)
            if (ova->checksums[i])
                d->hex[i] = g_strdup(g_checksum_get_string(ova->checksums[i]));
        g_hash_table_insert(ova->digests, g_strdup(ova->name), d);
        drop_checksums(ova);
        if (ova->manifest && !verify(ova, ova->name, error))
            return FALSE;
    }
    switch (ova->kind) {
    case KIND_OVF:
        ova->ovf = virt_ovf_parse((const char *)ova->buf->data, ova->buf->len, error);
        if (!ova->ovf)
            return FALSE;
        ova->present = g_new0(gboolean, ova->ovf->files->len);
        return TRUE;
    case KIND_MANIFEST: return read_manifest(ova, error);
    case KIND_DISK: return !ova->sink->disk_end || ova->sink->disk_end(ova->disk, ova->data, error);
    default: return TRUE;
    }
}

static const VirtTarHandler handler = {.begin = on_begin, .data = on_data, .end = on_end};

VirtOva *virt_ova_new(guint64 length, const VirtOvaSink *sink, gpointer data)
{
    VirtOva *ova = g_new0(VirtOva, 1);
    ova->tar = virt_tar_new(length, &handler, ova);
    ova->sink = sink;
    ova->data = data;
    ova->buf = g_byte_array_new();
    ova->digests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, digests_free);
    return ova;
}

void virt_ova_free(VirtOva *ova)
{
    if (!ova)
        return;
    virt_tar_free(ova->tar);
    virt_ovf_free(ova->ovf);
    if (ova->manifest)
        g_hash_table_unref(ova->manifest);
    g_hash_table_unref(ova->digests);
    g_free(ova->present);
    g_free(ova->name);
    g_byte_array_unref(ova->buf);
    drop_checksums(ova);
    g_free(ova);
}

gboolean virt_ova_feed(VirtOva *ova, const guint8 *buf, gsize len, GError **error)
{
    return virt_tar_feed(ova->tar, buf, len, error);
}

VirtOvf *virt_ova_finish(VirtOva *ova, GError **error)
{
    if (!virt_tar_finish(ova->tar, error))
        return NULL;
    if (!ova->ovf) {
        bad(error, "the archive holds no OVF descriptor");
        return NULL;
    }
    for (guint i = 0; i < ova->ovf->files->len; i++)
        if (!ova->present[i]) {
            const VirtOvfFile *f = g_ptr_array_index(ova->ovf->files, i);
            bad(error, "the descriptor references '%s', which the archive lacks", f->href);
            return NULL;
        }
    if (ova->manifest) {
        GHashTableIter it;
        gpointer name;
        g_hash_table_iter_init(&it, ova->manifest);
        while (g_hash_table_iter_next(&it, &name, NULL))
            if (!g_hash_table_contains(ova->digests, name)) {
                bad(error, "the manifest lists '%s', which the archive lacks", (const char *)name);
                return NULL;
            }
    }
    return g_steal_pointer(&ova->ovf);
}
