/* Passwords for a guest's own accounts: crypt(3) hashes that the guest's
 * shadow file takes (libxcrypt), never kept or sent in clear. */
#pragma once
#include <glib.h>

/* "$6$<16 random salt characters>$<hash>" (SHA-512 crypt, 5000 rounds: what
 * Debian's and most cloud images' libc accept), or NULL with an internal
 * error. */
char *api_guest_password_hash(const char *password, GError **error);
