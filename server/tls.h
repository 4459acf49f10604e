/* TLS material for the HTTPS listener: PEM certificate and key read from
 * files, or a self-signed pair made at first start (as Cockpit does). */
#pragma once
#include <glib.h>

typedef struct {
    char *cert_pem;
    char *key_pem;
} TlsPair;

void tls_pair_clear(TlsPair *p);
/* Reads `cert_path` and `key_path`; when both are missing and `generate`,
 * first writes a new self-signed pair there (key mode 0600) for this
 * host's name, localhost and 127.0.0.1. */
gboolean tls_load(const char *cert_path, const char *key_path, gboolean generate, TlsPair *out,
                  GError **error);
/* A self-signed ECDSA P-256 certificate for `hostname`, valid `days`. */
gboolean tls_make_self_signed(const char *hostname, unsigned days, TlsPair *out, GError **error);
