/* libsodium wrappers. Argon2id parameters follow current guidance for
 * interactive logins (t=2, m=19 MiB), which keeps a login's memory well
 * below the daemon's budget. */
#include "api/core/api_crypto.h"

#include <sodium.h>
#include <string.h>

static unsigned long long pwhash_opslimit = 2;
static size_t pwhash_memlimit = 19u * 1024 * 1024;
#define PWHASH_OPSLIMIT pwhash_opslimit
#define PWHASH_MEMLIMIT pwhash_memlimit

static char dummy_hash[crypto_pwhash_STRBYTES];

gboolean api_crypto_init(gboolean minimal_cost)
{
    if (sodium_init() < 0)
        return FALSE;
    if (minimal_cost) {
        pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
        pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
    }
    /* A real hash to verify against when the user does not exist. */
    g_autofree char *pw = api_crypto_random_secret();
    return crypto_pwhash_str(dummy_hash, pw, strlen(pw), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) == 0;
}

char *api_crypto_hash_password(const char *password)
{
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password, strlen(password), PWHASH_OPSLIMIT, PWHASH_MEMLIMIT) != 0)
        return NULL;
    return g_strdup(out);
}

gboolean api_crypto_verify_password(const char *hash, const char *password)
{
    gboolean usable = hash && g_str_has_prefix(hash, "$argon2");
    const char *h = usable ? hash : dummy_hash;
    gboolean ok = crypto_pwhash_str_verify(h, password, strlen(password)) == 0;
    return usable && ok;
}

char *api_crypto_random_secret(void)
{
    unsigned char raw[32];
    char out[sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, sizeof(out), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    return g_strdup(out);
}

char *api_crypto_digest(const char *text)
{
    unsigned char d[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
    return g_strdup(hex);
}

gboolean api_crypto_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return FALSE;
    return sodium_memcmp(a, b, la) == 0;
}
