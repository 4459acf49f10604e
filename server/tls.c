/* Certificate handling with GnuTLS. */
#include "server/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>
#include <unistd.h>

void tls_pair_clear(TlsPair *p)
{
    g_free(p->cert_pem);
    if (p->key_pem)
        memset(p->key_pem, 0, strlen(p->key_pem));
    g_free(p->key_pem);
    p->cert_pem = p->key_pem = NULL;
}

static gboolean gnutls_ok(int rc, const char *what, GError **error)
{
    if (rc >= 0)
        return TRUE;
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", what, gnutls_strerror(rc));
    return FALSE;
}

gboolean tls_check_priority(const char *priority, GError **error)
{
    gnutls_priority_t cache = NULL;
    const char *stop = NULL;
    int rc = gnutls_priority_init(&cache, priority, &stop);
    if (rc >= 0) {
        gnutls_priority_deinit(cache);
        return TRUE;
    }
    /* GnuTLS points into the string where it gave up; on a string that
     * parses but leaves nothing to use, it points at the start. */
    if (rc == GNUTLS_E_NO_PRIORITIES_WERE_SET || !stop || stop < priority ||
        stop > priority + strlen(priority)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "tls-priority '%s': %s (it must leave at least one TLS version and "
                    "cipher suite)",
                    priority, gnutls_strerror(rc));
        return FALSE;
    }
    g_autofree char *part = g_strndup(stop, strcspn(stop, ":"));
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "tls-priority: GnuTLS does not accept %s%s%s at character %d of '%s' (%s)",
                *part ? "'" : "", *part ? part : "an empty part", *part ? "'" : "",
                (int)(stop - priority) + 1, priority, gnutls_strerror(rc));
    return FALSE;
}

static char *export_pem(gnutls_datum_t *d)
{
    char *s = g_strndup((const char *)d->data, d->size);
    gnutls_free(d->data);
    return s;
}

gboolean tls_make_self_signed(const char *hostname, unsigned days, TlsPair *out, GError **error)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {0};
    unsigned char serial[16];
    const unsigned char loopback[4] = {127, 0, 0, 1};
    time_t now = time(NULL);
    gboolean ok =
        gnutls_ok(gnutls_x509_privkey_init(&key), "key", error) &&
        gnutls_ok(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                               GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                  "generating key", error) &&
        gnutls_ok(gnutls_x509_crt_init(&crt), "certificate", error) &&
        gnutls_ok(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)), "serial", error);
    serial[0] &= 0x7f; /* a positive serial number */
    ok = ok && gnutls_ok(gnutls_x509_crt_set_version(crt, 3), "version", error) &&
         gnutls_ok(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), "serial", error) &&
         gnutls_ok(gnutls_x509_crt_set_activation_time(crt, now - 3600), "validity", error) &&
         gnutls_ok(gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400), "validity",
                   error) &&
         gnutls_ok(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname,
                                                 strlen(hostname)),
                   "name", error) &&
         gnutls_ok(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, hostname,
                                                        strlen(hostname), GNUTLS_FSAN_APPEND),
                   "SAN", error) &&
         gnutls_ok(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                        GNUTLS_FSAN_APPEND),
                   "SAN", error) &&
         gnutls_ok(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, loopback, 4,
                                                        GNUTLS_FSAN_APPEND),
                   "SAN", error) &&
         gnutls_ok(gnutls_x509_crt_set_key(crt, key), "key", error) &&
         gnutls_ok(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), "constraints", error) &&
         gnutls_ok(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE), "usage",
                   error) &&
         gnutls_ok(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "purpose",
                   error) &&
         gnutls_ok(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), "signing", error) &&
         gnutls_ok(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), "export", error);
    if (ok) {
        out->cert_pem = export_pem(&d);
        ok = gnutls_ok(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d), "export", error);
        if (ok)
            out->key_pem = export_pem(&d);
    }
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return ok;
}

static gboolean write_file(const char *path, const char *text, mode_t mode, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0755);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    gboolean ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    if (!ok)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "writing %s: %s", path,
                    g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

gboolean tls_load(const char *cert_path, const char *key_path, gboolean generate, TlsPair *out,
                  GError **error)
{
    gboolean have_cert = g_file_test(cert_path, G_FILE_TEST_EXISTS);
    gboolean have_key = g_file_test(key_path, G_FILE_TEST_EXISTS);
    if (!have_cert && !have_key && generate) {
        TlsPair made = {0};
        const char *host = g_get_host_name();
        if (!tls_make_self_signed(host, 365, &made, error) ||
            !write_file(key_path, made.key_pem, 0600, error) ||
            !write_file(cert_path, made.cert_pem, 0644, error)) {
            tls_pair_clear(&made);
            return FALSE;
        }
        g_message("made a self-signed TLS certificate for %s in %s", host, cert_path);
        tls_pair_clear(&made);
    }
    if (!g_file_get_contents(cert_path, &out->cert_pem, NULL, error) ||
        !g_file_get_contents(key_path, &out->key_pem, NULL, error)) {
        tls_pair_clear(out);
        return FALSE;
    }
    return TRUE;
}
