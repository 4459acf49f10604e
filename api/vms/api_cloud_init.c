/* Parsing and checking the "cloud_init" member (see api_cloud_init.h). */
#include "api/vms/api_cloud_init.h"
#include "api/core/api_error.h"
#include "api/core/api_json.h"

#include <crypt.h>
#include <string.h>

void api_cloud_init_free(ApiCloudInit *ci)
{
    if (!ci)
        return;
    if (ci->keys)
        g_ptr_array_unref(ci->keys);
    json_decref(ci->doc);
    g_free(ci);
}

gboolean api_cloud_init_hostname_valid(const char *name)
{
    gsize len = strlen(name);
    if (len == 0 || len > 253)
        return FALSE;
    g_auto(GStrv) labels = g_strsplit(name, ".", -1);
    for (char **l = labels; *l; l++) {
        gsize n = strlen(*l);
        if (n == 0 || n > 63 || (*l)[0] == '-' || (*l)[n - 1] == '-')
            return FALSE;
        for (const char *c = *l; *c; c++)
            if (!g_ascii_isalnum(*c) && *c != '-')
                return FALSE;
    }
    return TRUE;
}

gboolean api_cloud_init_user_valid(const char *name)
{
    gsize len = strlen(name);
    if (len == 0 || len > 32 || strcmp(name, "root") == 0)
        return FALSE;
    if (!g_ascii_islower(name[0]) && name[0] != '_')
        return FALSE;
    for (const char *c = name; *c; c++)
        if (!g_ascii_islower(*c) && !g_ascii_isdigit(*c) && *c != '_' && *c != '-')
            return FALSE;
    return TRUE;
}

static gboolean base64_valid(const char *s, gsize len)
{
    gsize pad = 0;
    if (len < 16 || len % 4 != 0)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (s[i] == '=')
            pad++;
        else if (pad || (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/'))
            return FALSE;
    }
    return pad <= 2;
}

/* The blob of an SSH public key starts with its type as an SSH string
 * (a 32-bit big-endian length, then the bytes). */
static gboolean blob_names(const char *b64, gsize len, const char *type)
{
    g_autofree char *copy = g_strndup(b64, len);
    gsize n = 0;
    g_autofree guchar *blob = g_base64_decode(copy, &n);
    gsize tlen = strlen(type);
    if (n < 4 + tlen)
        return FALSE;
    guint32 l = ((guint32)blob[0] << 24) | ((guint32)blob[1] << 16) | ((guint32)blob[2] << 8) |
                blob[3];
    return l == tlen && memcmp(blob + 4, type, tlen) == 0;
}

gboolean api_cloud_init_key_valid(const char *line)
{
    static const char *const types[] = {"ssh-ed25519",
                                        "ssh-rsa",
                                        "ecdsa-sha2-nistp256",
                                        "ecdsa-sha2-nistp384",
                                        "ecdsa-sha2-nistp521",
                                        "sk-ssh-ed25519@openssh.com",
                                        "sk-ecdsa-sha2-nistp256@openssh.com",
                                        "ssh-dss",
                                        NULL};
    if (strlen(line) > API_CLOUD_INIT_MAX_KEY_LEN || !g_utf8_validate(line, -1, NULL))
        return FALSE;
    for (const char *c = line; *c; c++)
        if ((guchar)*c < 0x20 || *c == 0x7f)
            return FALSE;
    const char *sp = strchr(line, ' ');
    if (!sp)
        return FALSE;
    g_autofree char *type = g_strndup(line, (gsize)(sp - line));
    if (!g_strv_contains(types, type))
        return FALSE;
    const char *b64 = sp + 1;
    gsize len = strcspn(b64, " ");
    return base64_valid(b64, len) && blob_names(b64, len, type);
}

gboolean api_cloud_init_hash_valid(const char *hash)
{
    gsize len = strlen(hash);
    if (len < 8 || len > 512 || hash[0] != '$')
        return FALSE;
    for (const char *c = hash; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("./$=,", *c))
            return FALSE;
    return crypt_checksalt(hash) == CRYPT_SALT_OK;
}

static gboolean bad(GError **error, const char *field, const char *why)
{
    return api_invalid(error, "cloud_init.%s: %s", field, why);
}

static gboolean parse_keys(ApiCloudInit *ci, GError **error)
{
    json_t *list = NULL;
    if (!api_json_opt_string_array(ci->doc, "ssh_authorized_keys", API_CLOUD_INIT_MAX_KEYS, &list,
                                   error))
        return FALSE;
    size_t i;
    json_t *k;
    json_array_foreach (list, i, k) {
        const char *line = json_string_value(k);
        if (strlen(line) != json_string_length(k) || !api_cloud_init_key_valid(line))
            return api_invalid(error,
                               "cloud_init.ssh_authorized_keys[%zu]: not an SSH public key line "
                               "(type, base64 key and an optional comment, e.g. 'ssh-ed25519 "
                               "AAAA... me@host', at most %d bytes)",
                               i, API_CLOUD_INIT_MAX_KEY_LEN);
        g_ptr_array_add(ci->keys, (gpointer)line);
    }
    return TRUE;
}

static gboolean check_user_data(const char *text, GError **error)
{
    if (!g_str_has_prefix(text, "#!") && !(g_str_has_prefix(text, "#cloud-config") &&
                                           (text[13] == '\0' || g_ascii_isspace(text[13]))))
        return bad(error, "user_data", "must start with '#cloud-config' or '#!'");
    return TRUE;
}

static gboolean check_network_config(const char *text, GError **error)
{
    /* Version 1 and 2 documents both say which they are. */
    if (!strstr(text, "version"))
        return bad(error, "network_config",
                   "must be a cloud-init network-config document (version 1 or 2) with a "
                   "'version' key");
    return TRUE;
}

/* Which members go together: user_data replaces the user part whole. */
static gboolean check_combination(ApiCloudInit *ci, GError **error)
{
    if (ci->user_data) {
        if (ci->user || ci->password || ci->password_hash || ci->keys->len)
            return bad(error, "user_data",
                       "give either 'user_data' or 'user' with 'password', 'password_hash' "
                       "and 'ssh_authorized_keys', not both");
        return check_user_data(ci->user_data, error);
    }
    if (!ci->user)
        return bad(error, "user", "give a user (or your own 'user_data')");
    if (!api_cloud_init_user_valid(ci->user))
        return bad(error, "user",
                   "must be a login name: a lower-case letter or '_', then up to 31 lower-case "
                   "letters, digits, '_' or '-'; not root");
    if (ci->password && ci->password_hash)
        return bad(error, "password", "give 'password' or 'password_hash', not both");
    if (!ci->password && !ci->password_hash && !ci->keys->len)
        return bad(error, "user",
                   "give the user a 'password', a 'password_hash' or 'ssh_authorized_keys' "
                   "(else nobody can log in)");
    if (ci->password && !*ci->password)
        return bad(error, "password", "must not be empty");
    if (ci->password_hash && !api_cloud_init_hash_valid(ci->password_hash))
        return bad(error, "password_hash",
                   "must be a crypt(3) hash of a strong method, such as '$6$...' (SHA-512, "
                   "mkpasswd -m sha-512) or '$y$...' (yescrypt)");
    return TRUE;
}

ApiCloudInit *api_cloud_init_parse(json_t *obj, const char *vm_name, GError **error)
{
    static const char *const allowed[] = {
        "hostname",  "user",           "password", "password_hash", "ssh_authorized_keys",
        "user_data", "network_config", NULL};
    if (!json_is_object(obj)) {
        api_invalid(error, "field 'cloud_init' must be an object");
        return NULL;
    }
    g_autoptr(ApiCloudInit) ci = g_new0(ApiCloudInit, 1);
    ci->doc = json_incref(obj);
    ci->keys = g_ptr_array_new();
    if (!api_json_only_members(obj, allowed, error) ||
        !api_json_opt_string(obj, "hostname", 253, &ci->hostname, error) ||
        !api_json_opt_string(obj, "user", 32, &ci->user, error) ||
        !api_json_opt_string(obj, "password", API_CLOUD_INIT_MAX_PASSWORD, &ci->password, error) ||
        !api_json_opt_string(obj, "password_hash", 512, &ci->password_hash, error) ||
        !api_json_opt_string(obj, "user_data", API_CLOUD_INIT_MAX_TEXT, &ci->user_data, error) ||
        !api_json_opt_string(obj, "network_config", API_CLOUD_INIT_MAX_TEXT, &ci->network_config,
                             error) ||
        !parse_keys(ci, error)) {
        g_prefix_error(error, "cloud_init: ");
        return NULL;
    }
    if (ci->hostname && !api_cloud_init_hostname_valid(ci->hostname)) {
        bad(error, "hostname",
            "must be a host name: labels of letters, digits and '-' (not first or last), "
            "joined by '.'");
        return NULL;
    }
    if (!ci->hostname) {
        if (!vm_name || !api_cloud_init_hostname_valid(vm_name)) {
            bad(error, "hostname",
                "give one: the VM's name is not a host name (letters, digits and '-')");
            return NULL;
        }
        ci->hostname = vm_name;
    }
    if (!check_combination(ci, error) ||
        (ci->network_config && !check_network_config(ci->network_config, error)))
        return NULL;
    return g_steal_pointer(&ci);
}

static void scrub(json_t *doc, const char *member)
{
    json_t *v = json_object_get(doc, member);
    if (json_is_string(v))
        explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

void api_cloud_init_forget(ApiCloudInit *ci)
{
    if (!ci)
        return;
    scrub(ci->doc, "password");
    scrub(ci->doc, "password_hash");
    scrub(ci->doc, "user_data");
    scrub(ci->doc, "network_config");
    ci->password = ci->password_hash = ci->user_data = ci->network_config = NULL;
}
