/* SHA256SUMS of Vireo's VM archives (see virt_archive.h): written as
 * sha256sum writes it, read back strictly. */
#include "virt/virt_archive.h"
#include "virt/virt_error.h"

#include <string.h>

#define HEX_LEN 64

char *virt_archive_sums_line(const char *hex, const char *name)
{
    return g_strdup_printf("%s  %s\n", hex, name);
}

gsize virt_archive_sums_line_len(const char *name)
{
    return HEX_LEN + 2 + strlen(name) + 1;
}

static gboolean is_hex(const char *s, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
            return FALSE;
    return TRUE;
}

GHashTable *virt_archive_sums_parse(const char *text, gsize len, GError **error)
{
    g_autoptr(GHashTable) sums = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    if (len == 0 || memchr(text, '\0', len) || text[len - 1] != '\n') {
        virt_fail(error, VIRT_ERROR_INVALID_ARG,
                  VIRT_ARCHIVE_SUMS " is empty or does not end with a new line");
        return NULL;
    }
    g_autofree char *copy = g_strndup(text, len - 1);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (strlen(l) < HEX_LEN + 3 || !is_hex(l, HEX_LEN) || strncmp(l + HEX_LEN, "  ", 2) != 0) {
            virt_fail(error, VIRT_ERROR_INVALID_ARG,
                      VIRT_ARCHIVE_SUMS " line %u is not \"SHA-256  name\"", i + 1);
            return NULL;
        }
        const char *name = l + HEX_LEN + 2;
        if (!g_hash_table_insert(sums, g_strdup(name), g_strndup(l, HEX_LEN))) {
            virt_fail(error, VIRT_ERROR_INVALID_ARG, VIRT_ARCHIVE_SUMS " lists '%s' twice", name);
            return NULL;
        }
    }
    return g_steal_pointer(&sums);
}
