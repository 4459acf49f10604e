/* OVA manifests (.mf): one "ALGORITHM(member)= hexdigest" line per file,
 * as ovftool and VirtualBox write them (see virt_ova.h). */
#include "virt/virt_error.h"
#include "virt/virt_ova.h"

#include <string.h>

static const struct {
    const char *name;
    GChecksumType type;
} algorithms[] = {
    {"SHA1", G_CHECKSUM_SHA1},
    {"SHA256", G_CHECKSUM_SHA256},
    {"SHA512", G_CHECKSUM_SHA512},
};

const char *virt_ova_digest_name(GChecksumType type)
{
    for (gsize i = 0; i < G_N_ELEMENTS(algorithms); i++)
        if (algorithms[i].type == type)
            return algorithms[i].name;
    return "?";
}

char *virt_ova_manifest_line(const char *hex, const char *name)
{
    return g_strdup_printf("SHA256(%s)= %s\n", name, hex);
}

gsize virt_ova_manifest_line_len(const char *name)
{
    return strlen("SHA256()= \n") + strlen(name) + 64;
}

static void digest_free(gpointer p)
{
    VirtOvaDigest *d = p;
    g_free(d->hex);
    g_free(d);
}

static gboolean bad_line(GError **error, guint line, const char *why)
{
    return virt_fail(error, VIRT_ERROR_INVALID_ARG, "manifest line %u: %s", line, why);
}

/* One line: "ALG(name)= hex", spaces allowed around '='. */
static gboolean parse_line(GHashTable *out, const char *line, guint number, GError **error)
{
    const char *open = strchr(line, '(');
    const char *close = strrchr(line, ')');
    if (!open || !close || close < open)
        return bad_line(error, number, "not of the form ALGORITHM(name)= digest");
    g_autofree char *alg = g_strndup(line, (gsize)(open - line));
    g_strstrip(alg);
    GChecksumType type = (GChecksumType)-1;
    for (gsize i = 0; i < G_N_ELEMENTS(algorithms); i++)
        if (g_ascii_strcasecmp(alg, algorithms[i].name) == 0)
            type = algorithms[i].type;
    if (type == (GChecksumType)-1)
        return bad_line(error, number, "the algorithm is not SHA1, SHA256 or SHA512");
    g_autofree char *name = g_strndup(open + 1, (gsize)(close - open - 1));
    const char *p = close + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '=')
        return bad_line(error, number, "no '=' after the name");
    g_autofree char *hex = g_ascii_strdown(p + 1, -1);
    g_strstrip(hex);
    gsize want = (gsize)g_checksum_type_get_length(type) * 2;
    if (strlen(hex) != want || strspn(hex, "0123456789abcdef") != want)
        return bad_line(error, number, "the digest is not hexadecimal of the algorithm's length");
    if (!*name || g_hash_table_contains(out, name))
        return bad_line(error, number, "an empty name, or a name listed twice");
    VirtOvaDigest *d = g_new0(VirtOvaDigest, 1);
    d->type = type;
    d->hex = g_steal_pointer(&hex);
    g_hash_table_insert(out, g_steal_pointer(&name), d);
    return TRUE;
}

GHashTable *virt_ova_manifest_parse(const char *text, gsize len, GError **error)
{
    if (len && (memchr(text, '\0', len) || !g_utf8_validate(text, (gssize)len, NULL))) {
        virt_fail(error, VIRT_ERROR_INVALID_ARG, "the manifest is not UTF-8 text");
        return NULL;
    }
    g_autoptr(GHashTable) out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, digest_free);
    g_autofree char *copy = len ? g_strndup(text, len) : g_strdup("");
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    guint number = 0;
    for (char **l = lines; *l; l++) {
        number++;
        g_strstrip(*l); /* also the '\r' of CRLF files */
        if (**l && !parse_line(out, *l, number, error))
            return NULL;
    }
    return g_steal_pointer(&out);
}
