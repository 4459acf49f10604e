/* Tar headers for archives written on the fly (see virt_tar_write.h). */
#include "virt/virt_tar_write.h"
#include "virt/virt_error.h"

#include <string.h>

#define NAME_LEN 100
#define PREFIX_LEN 155
/* The largest size an 11-digit octal field holds: 8 GiB - 1. */
#define USTAR_SIZE_MAX G_GUINT64_CONSTANT(077777777777)

static void octal(guint8 *field, gsize len, guint64 value)
{
    /* len - 1 digits, then NUL. */
    g_snprintf((char *)field, len, "%0*" G_GINT64_MODIFIER "o", (int)(len - 1), value);
}

static void block_append(GByteArray *out, const char *name, const char *prefix, guint64 size,
                         gint64 mtime, char type)
{
    guint8 b[VIRT_TAR_BLOCK] = {0};
    memcpy(b, name, MIN(strlen(name), (gsize)NAME_LEN));
    octal(b + 100, 8, 0644);
    octal(b + 108, 8, 0);
    octal(b + 116, 8, 0);
    octal(b + 124, 12, size);
    octal(b + 136, 12, (guint64)MAX(mtime, 0));
    b[156] = (guint8)type;
    memcpy(b + 257, "ustar", 6);
    memcpy(b + 263, "00", 2);
    memcpy(b + 265, "root", 4);
    memcpy(b + 297, "root", 4);
    if (prefix)
        memcpy(b + 345, prefix, MIN(strlen(prefix), (gsize)PREFIX_LEN));
    g_snprintf((char *)b + 148, 8, "%06o", virt_tar_checksum(b));
    b[155] = ' ';
    g_byte_array_append(out, b, sizeof b);
}

/* One pax record, "LEN key=value\n", where LEN counts itself. */
static void pax_record(GString *s, const char *key, const char *value)
{
    gsize body = 1 + strlen(key) + 1 + strlen(value) + 1;
    gsize len = body + 1;
    for (;;) {
        gsize with = body + (gsize)g_snprintf(NULL, 0, "%" G_GSIZE_FORMAT, len);
        if (with == len)
            break;
        len = with;
    }
    g_string_append_printf(s, "%" G_GSIZE_FORMAT " %s=%s\n", len, key, value);
}

gsize virt_tar_padding(guint64 size)
{
    return (gsize)((VIRT_TAR_BLOCK - size % VIRT_TAR_BLOCK) % VIRT_TAR_BLOCK);
}

/* Where ustar's prefix ends and its name begins ('/' between them), or -1
 * when the name does not fit that way. */
static gssize split_at(const char *name)
{
    gsize n = strlen(name);
    if (n <= NAME_LEN)
        return 0;
    for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
        gsize prefix = (gsize)(p - name);
        if (prefix <= PREFIX_LEN && n - prefix - 1 <= NAME_LEN && n - prefix - 1 > 0)
            return (gssize)prefix;
    }
    return -1;
}

gboolean virt_tar_write_header(GByteArray *out, const char *name, guint64 size, gint64 mtime,
                               GError **error)
{
    if (!virt_tar_name_valid(name, error))
        return FALSE;
    gssize split = split_at(name);
    gboolean big = size > USTAR_SIZE_MAX;
    if (split < 0 || big) {
        g_autoptr(GString) pax = g_string_new(NULL);
        if (split < 0)
            pax_record(pax, "path", name);
        if (big) {
            g_autofree char *n = g_strdup_printf("%" G_GUINT64_FORMAT, size);
            pax_record(pax, "size", n);
        }
        /* The extended header's own name only has to fit; readers that
         * know pax take the record's instead. */
        block_append(out, "PaxHeader", NULL, pax->len, mtime, 'x');
        g_byte_array_append(out, (const guint8 *)pax->str, (guint)pax->len);
        static const guint8 zeros[VIRT_TAR_BLOCK];
        g_byte_array_append(out, zeros, (guint)virt_tar_padding(pax->len));
    }
    g_autofree char *short_name = NULL;
    g_autofree char *prefix = NULL;
    if (split > 0) {
        prefix = g_strndup(name, (gsize)split);
        short_name = g_strdup(name + split + 1);
    } else if (split < 0) {
        /* Its last part, cut to fit: only pax-less readers see it. */
        const char *base = strrchr(name, '/');
        short_name = g_strndup(base ? base + 1 : name, NAME_LEN);
    } else {
        short_name = g_strdup(name);
    }
    block_append(out, short_name, prefix, big ? 0 : size, mtime, '0');
    return TRUE;
}
