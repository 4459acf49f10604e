/* The streaming tar reader (see virt_tar_read.h): a state machine over
 * 512-byte blocks. */
#include "virt/virt_tar_read.h"
#include "virt/virt_error.h"
#include "virt/virt_tar_write.h"

#include <string.h>

typedef enum {
    ST_HEADER, /* collecting a header block */
    ST_PAX,    /* collecting a pax extended header's records */
    ST_DATA,   /* a member's data */
    ST_PAD,    /* zeros to the end of its last block */
    ST_END,    /* one zero block seen: the second must follow */
    ST_DONE,   /* both seen: only zeros may follow (record padding) */
    ST_FAILED,
} State;

struct VirtTarReader {
    VirtTarReaderFns fns;
    gpointer data;
    State state;
    guint8 block[VIRT_TAR_BLOCK_SIZE];
    gsize have;        /* bytes in block */
    guint64 size;      /* of the current member's data */
    guint64 remaining; /* of data, padding or pax records */
    GString *pax;      /* records of a pending extended header */
    char *pax_path;    /* what it said for the next member */
    gint64 pax_size;   /* -1: nothing */
};

VirtTarReader *virt_tar_reader_new(const VirtTarReaderFns *fns, gpointer data)
{
    VirtTarReader *r = g_new0(VirtTarReader, 1);
    r->fns = *fns;
    r->data = data;
    r->pax = g_string_new(NULL);
    r->pax_size = -1;
    return r;
}

void virt_tar_reader_free(VirtTarReader *r)
{
    if (!r)
        return;
    g_string_free(r->pax, TRUE);
    g_free(r->pax_path);
    g_free(r);
}

static gboolean bad(VirtTarReader *r, GError **error, const char *fmt, const char *what)
{
    r->state = ST_FAILED;
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, fmt, what);
    return FALSE;
}

/* An octal field (digits, then NUL or spaces); FALSE for anything else,
 * including the base-256 form. */
static gboolean parse_octal(const guint8 *field, gsize len, guint64 *out)
{
    guint64 v = 0;
    gsize i = 0;
    while (i < len && field[i] == ' ')
        i++;
    gsize digits = 0;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; i++, digits++) {
        if (v >> 61)
            return FALSE;
        v = v * 8 + (guint64)(field[i] - '0');
    }
    for (; i < len; i++)
        if (field[i] != '\0' && field[i] != ' ')
            return FALSE;
    *out = v;
    return digits > 0;
}

static gboolean all_zero(const guint8 *b, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (b[i])
            return FALSE;
    return TRUE;
}

/* The records of a pax extended header: path and size are used, what
 * would change a member's meaning (links, sparse maps) is refused, the
 * rest (times, owners) ignored. */
static gboolean parse_pax(VirtTarReader *r, GError **error)
{
    const char *p = r->pax->str, *end = p + r->pax->len;
    while (p < end) {
        const char *after = memchr(p, ' ', (gsize)MIN(end - p, 20));
        g_autofree char *digits = after ? g_strndup(p, (gsize)(after - p)) : NULL;
        guint64 len = 0;
        if (!digits || !g_ascii_string_to_unsigned(digits, 10, 5, (guint64)(end - p), &len, NULL) ||
            p[len - 1] != '\n')
            return bad(r, error, "a pax extended header is malformed%s", "");
        g_autofree char *record = g_strndup(after + 1, (gsize)(p + len - 1 - (after + 1)));
        char *eq = strchr(record, '=');
        if (!eq)
            return bad(r, error, "a pax extended header is malformed%s", "");
        *eq = '\0';
        const char *value = eq + 1;
        if (strcmp(record, "path") == 0) {
            g_free(r->pax_path);
            r->pax_path = g_strdup(value);
        } else if (strcmp(record, "size") == 0) {
            guint64 size = 0;
            if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT64, &size, NULL))
                return bad(r, error, "a pax header's size '%s' is not a number", value);
            r->pax_size = (gint64)size;
        } else if (strcmp(record, "linkpath") == 0 || g_str_has_prefix(record, "GNU.")) {
            return bad(r, error, "pax record '%s' is not supported", record);
        }
        p += len;
    }
    return TRUE;
}

static gboolean header(VirtTarReader *r, GError **error)
{
    const guint8 *b = r->block;
    if (all_zero(b, VIRT_TAR_BLOCK_SIZE)) {
        r->state = ST_END;
        return TRUE;
    }
    guint64 sum = 0, size = 0;
    if (memcmp(b + 257, "ustar", 5) != 0)
        return bad(r, error, "not a POSIX tar archive (no ustar header)%s", "");
    if (!parse_octal(b + 148, 8, &sum) || sum != virt_tar_checksum(b))
        return bad(r, error, "a tar header's checksum is wrong%s", "");
    char type = (char)b[156];
    gboolean sized = parse_octal(b + 124, 12, &size);
    if (!sized && !(type != 'x' && r->pax_size >= 0))
        return bad(r, error, "a tar header's size is not an octal number%s", "");
    if (type == 'x') {
        if (size > VIRT_TAR_READ_PAX_MAX)
            return bad(r, error, "a pax extended header is larger than 64 KiB%s", "");
        g_string_truncate(r->pax, 0);
        r->remaining = size;
        r->state = size ? ST_PAX : ST_HEADER;
        return TRUE;
    }
    g_autofree char *name = NULL;
    if (r->pax_path)
        name = g_steal_pointer(&r->pax_path);
    else if (b[345])
        name = g_strdup_printf("%.155s/%.100s", (const char *)b + 345, (const char *)b);
    else
        name = g_strndup((const char *)b, 100);
    if (r->pax_size >= 0)
        size = (guint64)r->pax_size;
    r->pax_size = -1;
    if (type != '0' && type != '\0')
        return bad(r, error, "tar member '%s' is not a plain file", name);
    if (!virt_tar_member_name_ok(name))
        return bad(r, error, "tar member name '%s' is not allowed", name);
    if (!r->fns.begin(name, size, r->data, error)) {
        r->state = ST_FAILED;
        return FALSE;
    }
    r->size = size;
    r->remaining = size;
    r->state = size ? ST_DATA : ST_HEADER;
    if (!size && !r->fns.end(r->data, error)) {
        r->state = ST_FAILED;
        return FALSE;
    }
    return TRUE;
}

/* Takes what the current state needs from buf; how much it took, or -1. */
static gssize step(VirtTarReader *r, const guint8 *buf, gsize len, GError **error)
{
    switch (r->state) {
    case ST_HEADER:
    case ST_END:
    case ST_DONE: {
        gsize take = MIN(len, VIRT_TAR_BLOCK_SIZE - r->have);
        memcpy(r->block + r->have, buf, take);
        r->have += take;
        if (r->have < VIRT_TAR_BLOCK_SIZE)
            return (gssize)take;
        r->have = 0;
        gboolean zero = all_zero(r->block, VIRT_TAR_BLOCK_SIZE);
        if (r->state == ST_END && !zero) {
            bad(r, error, "the tar archive's end is malformed%s", "");
            return -1;
        }
        if (r->state == ST_DONE && !zero) {
            bad(r, error, "data follows the end of the tar archive%s", "");
            return -1;
        }
        if (r->state == ST_END)
            r->state = ST_DONE;
        else if (r->state == ST_HEADER && !header(r, error))
            return -1;
        return (gssize)take;
    }
    case ST_PAX: {
        gsize take = (gsize)MIN((guint64)len, r->remaining);
        g_string_append_len(r->pax, (const char *)buf, (gssize)take);
        r->remaining -= take;
        if (r->remaining == 0) {
            r->remaining = virt_tar_padding(r->pax->len);
            r->state = r->remaining ? ST_PAD : ST_HEADER;
            if (!parse_pax(r, error))
                return -1;
        }
        return (gssize)take;
    }
    case ST_DATA: {
        gsize take = (gsize)MIN((guint64)len, r->remaining);
        if (!r->fns.data(buf, take, r->data, error)) {
            r->state = ST_FAILED;
            return -1;
        }
        r->remaining -= take;
        if (r->remaining == 0) {
            r->remaining = virt_tar_padding(r->size);
            r->state = r->remaining ? ST_PAD : ST_HEADER;
            if (!r->fns.end(r->data, error)) {
                r->state = ST_FAILED;
                return -1;
            }
        }
        return (gssize)take;
    }
    case ST_PAD: {
        gsize take = (gsize)MIN((guint64)len, r->remaining);
        r->remaining -= take;
        if (r->remaining == 0)
            r->state = ST_HEADER;
        return (gssize)take;
    }
    case ST_FAILED:
    default:
        g_set_error_literal(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG,
                            "the tar reader stopped at an earlier error");
        return -1;
    }
}

gboolean virt_tar_reader_feed(VirtTarReader *r, const guint8 *buf, gsize len, GError **error)
{
    while (len > 0) {
        gssize n = step(r, buf, len, error);
        if (n < 0) {
            r->state = ST_FAILED;
            return FALSE;
        }
        buf += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gboolean virt_tar_reader_finish(VirtTarReader *r, GError **error)
{
    if (r->state == ST_DONE && r->have == 0)
        return TRUE;
    if (r->state == ST_FAILED)
        return bad(r, error, "the tar reader stopped at an earlier error%s", "");
    return bad(r, error, "the tar archive is cut short%s", "");
}
