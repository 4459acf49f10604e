/* Text of the NoCloud seed's files (see api_cidata.h). */
#include "api/vms/api_cidata.h"

#include <string.h>

/* Escapes for what YAML reads as a line break or a byte-order mark even
 * inside quotes (NEL, LS, PS, BOM), besides C0 controls and DEL. */
static gboolean unicode_escape(GString *out, gunichar c)
{
    if (c != 0x85 && c != 0x2028 && c != 0x2029 && c != 0xfeff)
        return FALSE;
    g_string_append_printf(out, "\\u%04X", c);
    return TRUE;
}

char *api_cidata_yaml_quote(const char *s)
{
    GString *out = g_string_new("\"");
    for (const char *p = s; *p;) {
        guchar c = (guchar)*p;
        if (c == '"' || c == '\\') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char)c);
        } else if (c < 0x20 || c == 0x7f) {
            g_string_append_printf(out, "\\x%02X", c);
        } else if (c >= 0x80) {
            gunichar u = g_utf8_get_char_validated(p, -1);
            const char *next = g_utf8_next_char(p);
            if (u == (gunichar)-1 || u == (gunichar)-2) {
                /* Not UTF-8: written as the bytes' escapes. */
                g_string_append_printf(out, "\\x%02X", c);
                p++;
                continue;
            }
            if (!unicode_escape(out, u))
                g_string_append_len(out, p, next - p);
            p = next;
            continue;
        } else {
            g_string_append_c(out, (char)c);
        }
        p++;
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

static void key_value(GString *out, const char *indent, const char *key, const char *value)
{
    g_autofree char *q = api_cidata_yaml_quote(value);
    g_string_append_printf(out, "%s%s: %s\n", indent, key, q);
}

char *api_cidata_meta_data(const char *instance_id, const char *hostname)
{
    GString *out = g_string_new(NULL);
    key_value(out, "", "instance-id", instance_id);
    key_value(out, "", "local-hostname", hostname);
    return g_string_free(out, FALSE);
}

char *api_cidata_user_data(const ApiCloudInit *ci, const char *password_hash)
{
    if (ci->user_data)
        return g_strdup(ci->user_data);
    GString *out = g_string_new("#cloud-config\n");
    g_string_append(out, "users:\n");
    key_value(out, "  - ", "name", ci->user);
    key_value(out, "    ", "sudo", "ALL=(ALL) NOPASSWD:ALL");
    key_value(out, "    ", "shell", "/bin/bash");
    g_string_append_printf(out, "    lock_passwd: %s\n", password_hash ? "false" : "true");
    if (password_hash)
        key_value(out, "    ", "hashed_passwd", password_hash);
    if (ci->keys && ci->keys->len) {
        g_string_append(out, "    ssh_authorized_keys:\n");
        for (guint i = 0; i < ci->keys->len; i++) {
            g_autofree char *q = api_cidata_yaml_quote(g_ptr_array_index(ci->keys, i));
            g_string_append_printf(out, "      - %s\n", q);
        }
    }
    /* A password given is meant for logging in, over SSH too. */
    g_string_append_printf(out, "ssh_pwauth: %s\n", password_hash ? "true" : "false");
    if (password_hash)
        g_string_append(out, "chpasswd:\n  expire: false\n");
    return g_string_free(out, FALSE);
}
