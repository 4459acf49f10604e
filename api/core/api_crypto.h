/* Secrets: Argon2id password hashes (libsodium), random session ids and
 * API tokens, their SHA-256 digests for storage, constant-time compares. */
#pragma once
#include <glib.h>

/* Must run once before the others. FALSE if libsodium cannot start.
 * `minimal_cost` makes password hashing as cheap as Argon2id allows: for
 * fuzzing only, where thousands of logins a second are wanted. */
gboolean api_crypto_init(gboolean minimal_cost);

/* "$argon2id$..." string, or NULL when out of memory. */
char *api_crypto_hash_password(const char *password);
/* Constant time in the password; a NULL or empty hash never matches but
 * costs the same, so unknown users cannot be told apart by timing. */
gboolean api_crypto_verify_password(const char *hash, const char *password);

/* 256 random bits, base64url without padding (43 characters). */
char *api_crypto_random_secret(void);
/* Lowercase hex SHA-256 of `text`. */
char *api_crypto_digest(const char *text);
/* Constant-time string equality. */
gboolean api_crypto_equal(const char *a, const char *b);
