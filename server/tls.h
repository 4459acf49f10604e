/* TLS material for the HTTPS listener: PEM certificate and key read from
 * files, or a self-signed pair made at first start (as Cockpit does). */
#pragma once
#include <glib.h>

typedef struct {
    char *cert_pem;
    char *key_pem;
} TlsPair;

/* The HTTPS listener's default GnuTLS priority string (--tls-priority):
 * - TLS 1.3 and 1.2 only: 1.0 and 1.1 are deprecated (RFC 8996);
 * - AEAD ciphers only (AES-GCM, ChaCha20-Poly1305, AES-CCM), hence no CBC
 *   and no SHA-1 MACs, whose padding and MAC-then-encrypt gave Lucky13
 *   and POODLE-style attacks;
 * - for TLS 1.2, ECDHE key exchange only (forward secrecy), with an ECDSA
 *   or RSA certificate: no RSA key transport, no finite-field DHE;
 * - elliptic-curve groups only, and no SHA-1 signatures.
 * It starts from NORMAL so that what it does not name (signature
 * algorithms, curves' order, extensions) follows GnuTLS's defaults, and it
 * leaves the choice among these suites to the client, which knows whether
 * it has AES instructions (as Mozilla's "intermediate" profile does). */
#define TLS_DEFAULT_PRIORITY \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
    "-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:" \
    "+AES-256-CCM:+AES-128-CCM:-MAC-ALL:+AEAD:" \
    "-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:" \
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:" \
    "-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1"

void tls_pair_clear(TlsPair *p);
/* Reads `cert_path` and `key_path`; when both are missing and `generate`,
 * first writes a new self-signed pair there (key mode 0600) for this
 * host's name, localhost and 127.0.0.1. */
gboolean tls_load(const char *cert_path, const char *key_path, gboolean generate, TlsPair *out,
                  GError **error);
/* Checks `priority` the way the HTTPS listener will read it; the error
 * names the part GnuTLS stopped at. */
gboolean tls_check_priority(const char *priority, GError **error);
/* A self-signed ECDSA P-256 certificate for `hostname`, valid `days`. */
gboolean tls_make_self_signed(const char *hostname, unsigned days, TlsPair *out, GError **error);
