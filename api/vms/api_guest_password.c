/* SHA-512 crypt hashes of guest passwords (see api_guest_password.h). */
#include "api/vms/api_guest_password.h"
#include "api/core/api_error.h"

#include <crypt.h>
#include <string.h>

char *api_guest_password_hash(const char *password, GError **error)
{
    /* No random bytes given: libxcrypt takes them from the kernel. */
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof salt)) {
        api_fail(error, API_ERROR_INTERNAL, "making a password salt failed");
        return NULL;
    }
    g_autofree struct crypt_data *data = g_new0(struct crypt_data, 1);
    const char *hash = crypt_rn(password, salt, data, sizeof *data);
    char *out = hash && g_str_has_prefix(hash, "$6$") ? g_strdup(hash) : NULL;
    explicit_bzero(data, sizeof *data);
    if (!out)
        api_fail(error, API_ERROR_INTERNAL, "hashing the guest password failed");
    return out;
}
