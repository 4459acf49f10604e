/* Streaming tar reader (see virt_tar.h): a small state machine over
 * 512-byte blocks. Every header field is checked before it is used: the
 * checksum, the ustar mark, numbers in octal or base-256 with overflow
 * checks, names, and sizes against what is left of the body. */
#include "virt/virt_tar.h"
#include "virt/virt_error.h"

#include <string.h>

typedef enum {
    STATE_HEADER, /* collecting a header block */
    STATE_PAX,    /* collecting a pax extended header's records */
    STATE_DATA,   /* passing a member's data on */
    STATE_PAD,    /* skipping the padding to the next block */
    STATE_END1,   /* one zero block seen */
    STATE_END,    /* two zero blocks seen: only zeros may follow */
    STATE_FAILED,
} State;

struct VirtTar {
    const VirtTarHandler *handler;
    gpointer data;
    State state;
    guint8 block[VIRT_TAR_BLOCK];
    gsize fill;       /* bytes in `block` */
    guint64 length;   /* the whole archive; 0 unknown */
    guint64 offset;   /* bytes consumed so far */
    guint64 left;     /* data or pax bytes still to come */
    guint64 pad;      /* padding bytes still to skip */
    GByteArray *pax;  /* the pax records being collected */
    gboolean pax_set; /* a pax header applies to the next member */
    char *pax_path;
    gboolean pax_has_size;
    guint64 pax_size;
    GHashTable *names; /* members seen */
};

static gboolean fail(VirtTar *tar, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(VirtTar *tar, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    tar->state = STATE_FAILED;
    g_set_error(error, VIRT_ERROR, VIRT_ERROR_INVALID_ARG, "archive: %s", msg);
    return FALSE;
}

VirtTar *virt_tar_new(guint64 length, const VirtTarHandler *handler, gpointer data)
{
    VirtTar *tar = g_new0(VirtTar, 1);
    tar->handler = handler;
    tar->data = data;
    tar->length = length;
    tar->pax = g_byte_array_new();
    tar->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return tar;
}

void virt_tar_free(VirtTar *tar)
{
    if (!tar)
        return;
    g_byte_array_unref(tar->pax);
    g_free(tar->pax_path);
    g_hash_table_unref(tar->names);
    g_free(tar);
}

gboolean virt_tar_name_valid(const char *name, GError **error)
{
    gsize n = strlen(name);
    if (n == 0 || n > VIRT_TAR_NAME_MAX)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "a member name must be 1 to %d bytes",
                         VIRT_TAR_NAME_MAX);
    if (!g_utf8_validate(name, (gssize)n, NULL))
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "a member name is not UTF-8");
    for (const char *c = name; *c; c++)
        if ((guchar)*c < 0x20 || *c == 0x7f) {
            g_autofree char *shown = g_strescape(name, NULL);
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "member '%s' has a control character in its name", shown);
        }
    if (name[0] == '/')
        return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                         "member '%s' has an absolute name: it would be written outside", name);
    g_auto(GStrv) parts = g_strsplit(name, "/", -1);
    for (char **p = parts; *p; p++) {
        if (strcmp(*p, "..") == 0)
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "member '%s' has '..' in its name: it would be written outside", name);
        if (!**p || strcmp(*p, ".") == 0)
            return virt_fail(error, VIRT_ERROR_INVALID_ARG,
                             "member '%s' has an empty or '.' part in its name", name);
    }
    return TRUE;
}

/* A numeric header field: octal digits (leading spaces, then NUL or space
 * to the end) or, when its first byte has the high bit, a base-256 number
 * (GNU and star write sizes of 8 GiB and more so). */
static gboolean header_number(const guint8 *f, gsize n, guint64 *out)
{
    guint64 v = 0;
    if (f[0] & 0x80) {
        if (f[0] & 0x40)
            return FALSE; /* negative */
        v = f[0] & 0x3f;
        for (gsize i = 1; i < n; i++) {
            if (v > (G_MAXUINT64 >> 8))
                return FALSE;
            v = (v << 8) | f[i];
        }
        *out = v;
        return TRUE;
    }
    gsize i = 0, digits = 0;
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v > (G_MAXUINT64 >> 3))
            return FALSE;
        v = (v << 3) | (guint64)(f[i] - '0');
    }
    if (digits == 0)
        return FALSE;
    for (; i < n; i++)
        if (f[i] != '\0' && f[i] != ' ')
            return FALSE;
    *out = v;
    return TRUE;
}

guint virt_tar_checksum(const guint8 block[VIRT_TAR_BLOCK])
{
    guint sum = 0;
    for (gsize i = 0; i < VIRT_TAR_BLOCK; i++)
        sum += i >= 148 && i < 156 ? ' ' : block[i];
    return sum;
}

/* The checksum as ustar computes it; old writers summed signed chars,
 * which is accepted too. */
static gboolean checksum_ok(const guint8 *b)
{
    guint64 want;
    if (!header_number(b + 148, 8, &want))
        return FALSE;
    gint64 ssum = 0;
    for (gsize i = 0; i < VIRT_TAR_BLOCK; i++)
        ssum += (gint8)(i >= 148 && i < 156 ? ' ' : b[i]);
    return virt_tar_checksum(b) == want || (ssum >= 0 && (guint64)ssum == want);
}

static char *field(const guint8 *f, gsize n)
{
    const guint8 *nul = memchr(f, '\0', n);
    return g_strndup((const char *)f, nul ? (gsize)(nul - f) : n);
}

static gboolean all_zero(const guint8 *b, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (b[i])
            return FALSE;
    return TRUE;
}

static void clear_pax(VirtTar *tar)
{
    tar->pax_set = FALSE;
    g_clear_pointer(&tar->pax_path, g_free);
    tar->pax_has_size = FALSE;
    tar->pax_size = 0;
}

/* What is left of the archive after the bytes consumed so far. */
static guint64 rest(const VirtTar *tar)
{
    return tar->length > tar->offset ? tar->length - tar->offset : 0;
}

/* Data of `size` bytes begins: its padding is known now. */
static void start_data(VirtTar *tar, State state, guint64 size)
{
    tar->state = state;
    tar->left = size;
    tar->pad = (VIRT_TAR_BLOCK - size % VIRT_TAR_BLOCK) % VIRT_TAR_BLOCK;
}

/* One record of a pax header: "key=value" (the length and the newline
 * taken off). Only "path" and "size" matter here; sparse files are
 * refused, every other key (times, owners, charsets) changes nothing. */
static gboolean pax_record(VirtTar *tar, const char *rec, gsize len, GError **error)
{
    const char *eq = memchr(rec, '=', len);
    if (!eq || eq == rec)
        return fail(tar, error, "a pax header record has no key");
    g_autofree char *key = g_strndup(rec, (gsize)(eq - rec));
    const char *value = eq + 1;
    gsize vlen = len - (gsize)(eq - rec) - 1;
    if (g_str_has_prefix(key, "GNU.sparse."))
        return fail(tar, error, "sparse members (pax GNU.sparse) are not supported");
    if (memchr(value, '\0', vlen))
        return fail(tar, error, "the pax record '%s' holds a NUL byte", key);
    if (strcmp(key, "path") == 0) {
        if (vlen > VIRT_TAR_NAME_MAX)
            return fail(tar, error, "a pax path is longer than %d bytes", VIRT_TAR_NAME_MAX);
        g_free(tar->pax_path);
        tar->pax_path = g_strndup(value, vlen);
    } else if (strcmp(key, "size") == 0) {
        g_autofree char *text = g_strndup(value, vlen);
        if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &tar->pax_size, NULL))
            return fail(tar, error, "the pax size '%s' is not a number of bytes", text);
        tar->pax_has_size = TRUE;
    }
    return TRUE;
}

/* Records are "LENGTH key=value\n", LENGTH counting the whole record. */
static gboolean parse_pax(VirtTar *tar, GError **error)
{
    const char *p = (const char *)tar->pax->data;
    gsize n = tar->pax->len, pos = 0;
    while (pos < n) {
        guint64 len = 0;
        gsize i = pos, digits = 0;
        for (; i < n && g_ascii_isdigit(p[i]) && digits < 20; i++, digits++)
            len = len * 10 + (guint64)(p[i] - '0');
        if (digits == 0 || i >= n || p[i] != ' ' || len <= digits + 1 || len > n - pos ||
            p[pos + len - 1] != '\n')
            return fail(tar, error, "a pax extended header is malformed");
        gsize start = i + 1, end = pos + (gsize)len - 1;
        if (!pax_record(tar, p + start, end - start, error))
            return FALSE;
        pos += (gsize)len;
    }
    tar->pax_set = TRUE;
    return TRUE;
}

static gboolean refuse_type(VirtTar *tar, char type, const char *name, GError **error)
{
    switch (type) {
    case '1':
    case '2': return fail(tar, error, "member '%s' is a link: only plain files are accepted", name);
    case '3':
    case '4':
    case '6':
        return fail(tar, error, "member '%s' is a device or FIFO: only plain files are accepted",
                    name);
    case '5':
        return fail(tar, error, "member '%s' is a directory: only plain files are accepted", name);
    case 'g': return fail(tar, error, "pax global headers are not supported (member '%s')", name);
    case 'L':
    case 'K':
        return fail(tar, error,
                    "GNU long-name entries are not supported: write the archive in POSIX "
                    "(ustar or pax) format");
    case 'S': return fail(tar, error, "member '%s' is a sparse file: not supported", name);
    default: {
        g_autofree char *shown = g_strescape(name, NULL);
        return fail(tar, error, "member '%s' has an unknown type (0x%02x)", shown, (guchar)type);
    }
    }
}

/* The name of the member a header starts: a pax "path", else ustar's
 * prefix and name (GNU headers keep other fields where the prefix is). */
static char *member_name(VirtTar *tar, const guint8 *b, gboolean gnu)
{
    if (tar->pax_path)
        return g_strdup(tar->pax_path);
    g_autofree char *name = field(b, 100);
    g_autofree char *prefix = gnu ? NULL : field(b + 345, 155);
    return prefix && *prefix ? g_strconcat(prefix, "/", name, NULL) : g_steal_pointer(&name);
}

static gboolean begin_member(VirtTar *tar, const char *name, guint64 size, GError **error)
{
    GError *why = NULL;
    if (!virt_tar_name_valid(name, &why)) {
        tar->state = STATE_FAILED;
        g_prefix_error(&why, "archive: ");
        g_propagate_error(error, why);
        return FALSE;
    }
    if (g_hash_table_contains(tar->names, name))
        return fail(tar, error, "member '%s' appears twice", name);
    if (g_hash_table_size(tar->names) >= VIRT_TAR_MEMBERS_MAX)
        return fail(tar, error, "more than %d members", VIRT_TAR_MEMBERS_MAX);
    if (tar->length && size > rest(tar))
        return fail(tar, error,
                    "member '%s' claims %" G_GUINT64_FORMAT
                    " bytes, more than the %" G_GUINT64_FORMAT " left of the body",
                    name, size, rest(tar));
    g_hash_table_add(tar->names, g_strdup(name));
    VirtTarMember m = {.name = name, .size = size};
    if (tar->handler->begin && !tar->handler->begin(&m, tar->data, error)) {
        tar->state = STATE_FAILED;
        return FALSE;
    }
    start_data(tar, STATE_DATA, size);
    return TRUE;
}

static gboolean header(VirtTar *tar, const guint8 *b, GError **error)
{
    if (!checksum_ok(b))
        return fail(tar, error, "a header's checksum is wrong (not a tar archive, or damaged)");
    gboolean posix = memcmp(b + 257, "ustar\0", 6) == 0;
    gboolean gnu = memcmp(b + 257, "ustar  \0", 8) == 0;
    if (!posix && !gnu)
        return fail(tar, error, "not a ustar archive (no 'ustar' mark in its header)");
    guint64 size;
    if (!header_number(b + 124, 12, &size))
        return fail(tar, error, "a header's size field is not a number");
    char type = (char)b[156];
    if (type == 'x') {
        if (tar->pax_set)
            return fail(tar, error, "two pax extended headers in a row");
        if (size > VIRT_TAR_PAX_MAX)
            return fail(tar, error,
                        "a pax extended header of %" G_GUINT64_FORMAT
                        " bytes is over the %d accepted",
                        size, VIRT_TAR_PAX_MAX);
        if (tar->length && size > rest(tar))
            return fail(tar, error, "a pax extended header is cut off by the body's end");
        g_byte_array_set_size(tar->pax, 0);
        start_data(tar, STATE_PAX, size);
        return TRUE;
    }
    g_autofree char *name = member_name(tar, b, gnu);
    if (type != '0' && type != '\0' && type != '7')
        return refuse_type(tar, type, name, error);
    if (tar->pax_has_size)
        size = tar->pax_size;
    clear_pax(tar);
    return begin_member(tar, name, size, error);
}

static gboolean block(VirtTar *tar, const guint8 *b, GError **error)
{
    gboolean zero = all_zero(b, VIRT_TAR_BLOCK);
    if (tar->state == STATE_END) {
        if (!zero)
            return fail(tar, error, "data follows the archive's end");
        return TRUE;
    }
    if (zero) {
        if (tar->pax_set)
            return fail(tar, error, "a pax extended header is followed by the archive's end");
        tar->state = tar->state == STATE_END1 ? STATE_END : STATE_END1;
        return TRUE;
    }
    if (tar->state == STATE_END1)
        return fail(tar, error, "a lone zero block in the middle of the archive");
    return header(tar, b, error);
}

/* The current member's data or pax records are complete. */
static gboolean data_done(VirtTar *tar, GError **error)
{
    if (tar->state == STATE_PAX) {
        if (!parse_pax(tar, error))
            return FALSE;
    } else if (tar->handler->end && !tar->handler->end(tar->data, error)) {
        tar->state = STATE_FAILED;
        return FALSE;
    }
    tar->state = tar->pad ? STATE_PAD : STATE_HEADER;
    return TRUE;
}

gboolean virt_tar_feed(VirtTar *tar, const guint8 *buf, gsize len, GError **error)
{
    if (tar->state == STATE_FAILED)
        return virt_fail(error, VIRT_ERROR_INVALID_ARG, "archive: already refused");
    while (len > 0 || ((tar->state == STATE_DATA || tar->state == STATE_PAX) && tar->left == 0)) {
        gsize n;
        switch (tar->state) {
        case STATE_DATA:
        case STATE_PAX:
            n = (gsize)MIN(tar->left, (guint64)len);
            if (n && tar->state == STATE_DATA && tar->handler->data &&
                !tar->handler->data(buf, n, tar->data, error)) {
                tar->state = STATE_FAILED;
                return FALSE;
            }
            if (n && tar->state == STATE_PAX)
                g_byte_array_append(tar->pax, buf, (guint)n);
            tar->left -= n;
            if (tar->left == 0 && !data_done(tar, error))
                return FALSE;
            break;
        case STATE_PAD:
            n = (gsize)MIN(tar->pad, (guint64)len);
            tar->pad -= n;
            if (tar->pad == 0)
                tar->state = STATE_HEADER;
            break;
        default:
            n = MIN(VIRT_TAR_BLOCK - tar->fill, len);
            memcpy(tar->block + tar->fill, buf, n);
            tar->fill += n;
            if (tar->fill == VIRT_TAR_BLOCK) {
                tar->fill = 0;
                tar->offset += n;
                buf += n;
                len -= n;
                if (!block(tar, tar->block, error))
                    return FALSE;
                continue;
            }
            break;
        }
        tar->offset += n;
        buf += n;
        len -= n;
    }
    return TRUE;
}

gboolean virt_tar_finish(VirtTar *tar, GError **error)
{
    switch (tar->state) {
    case STATE_END:
        if (tar->fill && !all_zero(tar->block, tar->fill))
            return fail(tar, error, "data follows the archive's end");
        return TRUE;
    case STATE_FAILED: return virt_fail(error, VIRT_ERROR_INVALID_ARG, "archive: already refused");
    case STATE_DATA: return fail(tar, error, "the archive is cut short in the middle of a member");
    case STATE_END1:
        return fail(tar, error, "the archive is cut short: it lacks its second end block");
    default:
        return fail(tar, error,
                    "the archive is cut short: it does not end with its two zero blocks");
    }
}
