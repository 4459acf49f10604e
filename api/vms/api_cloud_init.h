/* The "cloud_init" member of a VM spec: what a cloud image's first boot
 * is told (host name, a user with a password and SSH keys, or the caller's
 * own user-data, and network-config). Parsing is pure and strict (fuzzed
 * with the spec); no message ever quotes a password, a hash, user-data or
 * network-config. Building the seed (hashing, the ISO) is a separate step. */
#pragma once
#include <glib.h>
#include <jansson.h>

#define API_CLOUD_INIT_MAX_KEYS 32
#define API_CLOUD_INIT_MAX_KEY_LEN 8192
#define API_CLOUD_INIT_MAX_TEXT (64 * 1024)
#define API_CLOUD_INIT_MAX_PASSWORD 1024

typedef struct {
    json_t *doc;                /* the member; strings below point into it */
    const char *hostname;       /* never NULL after parsing: given, or the VM's name */
    const char *user;           /* NULL when user_data is given */
    const char *password;       /* plaintext: hashed when the seed is built */
    const char *password_hash;  /* a crypt(3) string, used as it is */
    GPtrArray *keys;            /* SSH public key lines (const char *) */
    const char *user_data;      /* verbatim, or NULL */
    const char *network_config; /* verbatim, or NULL */
} ApiCloudInit;

void api_cloud_init_free(ApiCloudInit *ci);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApiCloudInit, api_cloud_init_free)

/* 400s name the field ("cloud_init.user: ..."). `vm_name` is the host
 * name when none is given (and must then be one). Takes a reference. */
ApiCloudInit *api_cloud_init_parse(json_t *obj, const char *vm_name, GError **error);

/* Host names as RFC 1123 has them: dot-separated labels of 1-63 letters,
 * digits and '-', not starting or ending with '-', 253 at most. */
gboolean api_cloud_init_hostname_valid(const char *name);
/* Login names: a lower-case letter or '_', then up to 31 of those, digits
 * and '-'; not root. */
gboolean api_cloud_init_user_valid(const char *name);
/* One authorized_keys line: a key type, its base64 blob (which must name
 * the same type) and an optional comment; no options, no control
 * characters. */
gboolean api_cloud_init_key_valid(const char *line);
/* A crypt(3) hash of a method libxcrypt calls strong ($6$, $5$, $y$,
 * $2b$, ...); never a legacy DES or MD5 one. */
gboolean api_cloud_init_hash_valid(const char *hash);

/* Overwrites the secrets (password, hash, user-data, network-config) in
 * the parsed JSON and forgets them: called once the seed is built. */
void api_cloud_init_forget(ApiCloudInit *ci);
