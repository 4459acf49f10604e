/* Writing tar archives in memory for the tests of the tar and OVA readers:
 * headers are made field by field, so a test can write exactly the wrong
 * archive it needs (a bad name, a lying size, a link, a pax header). */
#pragma once
#include <glib.h>
#include <string.h>

typedef struct {
    const char *name;   /* the 100-byte name field */
    const char *prefix; /* ustar's 155-byte prefix, or NULL */
    char type;          /* '0' for a file */
    guint64 size;       /* the size field (may lie) */
    gboolean gnu;       /* GNU's "ustar  " mark instead of POSIX's */
    gboolean bad_sum;
} UnitTarHeader;

static inline void unit_tar_octal(guint8 *field, gsize n, guint64 v)
{
    g_autofree char *s = g_strdup_printf("%0*" G_GINT64_MODIFIER "o", (int)(n - 1), v);
    memcpy(field, s, n - 1);
    field[n - 1] = '\0';
}

static inline void unit_tar_header(GByteArray *out, const UnitTarHeader *h)
{
    guint8 b[512] = {0};
    memcpy(b, h->name, MIN(strlen(h->name), 100));
    unit_tar_octal(b + 100, 8, 0644);
    unit_tar_octal(b + 108, 8, 0);
    unit_tar_octal(b + 116, 8, 0);
    unit_tar_octal(b + 124, 12, h->size);
    unit_tar_octal(b + 136, 12, 1700000000);
    b[156] = (guint8)h->type;
    if (h->gnu) {
        memcpy(b + 257, "ustar  ", 8);
    } else {
        memcpy(b + 257, "ustar", 6);
        memcpy(b + 263, "00", 2);
    }
    if (h->prefix)
        memcpy(b + 345, h->prefix, MIN(strlen(h->prefix), 155));
    memset(b + 148, ' ', 8);
    guint sum = 0;
    for (int i = 0; i < 512; i++)
        sum += b[i];
    unit_tar_octal(b + 148, 7, sum + (h->bad_sum ? 1 : 0));
    b[155] = ' ';
    g_byte_array_append(out, b, 512);
}

static inline void unit_tar_data(GByteArray *out, const void *data, gsize len)
{
    static const guint8 zeros[512];
    g_byte_array_append(out, data, (guint)len);
    if (len % 512)
        g_byte_array_append(out, zeros, (guint)(512 - len % 512));
}

/* A plain file member. */
static inline void unit_tar_file(GByteArray *out, const char *name, const void *data, gsize len)
{
    UnitTarHeader h = {.name = name, .type = '0', .size = len};
    unit_tar_header(out, &h);
    unit_tar_data(out, data, len);
}

/* A pax extended header ('x') holding `records` ("path=..." lines without
 * their length prefix, each ending in '\n'). */
static inline void unit_tar_pax(GByteArray *out, const char *const *records)
{
    g_autoptr(GString) body = g_string_new(NULL);
    for (const char *const *r = records; *r; r++) {
        gsize len = strlen(*r) + 2; /* " " and at least one digit */
        for (;;) {
            g_autofree char *n = g_strdup_printf("%zu", len);
            if (strlen(n) + 1 + strlen(*r) == len)
                break;
            len = strlen(n) + 1 + strlen(*r);
        }
        g_string_append_printf(body, "%zu %s", len, *r);
    }
    UnitTarHeader h = {.name = "PaxHeaders/x", .type = 'x', .size = body->len};
    unit_tar_header(out, &h);
    unit_tar_data(out, body->str, body->len);
}

/* The two zero blocks that end an archive. */
static inline void unit_tar_end(GByteArray *out)
{
    static const guint8 zeros[1024];
    g_byte_array_append(out, zeros, sizeof zeros);
}
