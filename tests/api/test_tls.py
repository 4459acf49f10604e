"""HTTPS: vireod with a certificate made by openssl (HSTS, Secure cookie,
CSRF origin with https), with --tls-generate (the pair is made, the key is
private, it is reused), the protocol versions and cipher suites it takes
(default and --tls-priority, seen by openssl s_client), and the refusal of
plain HTTP on a non-loopback listen address. Each case runs its own vireod
on a loopback port; nothing is ever sent anywhere but 127.0.0.1."""

import http.client
import os
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
import time
import unittest

import harness
from harness import SESSION_COOKIE, CSRF_HEADER


def ensure_openssl():
    if shutil.which("openssl"):
        return True
    subprocess.run(["apt-get", "install", "-y", "-q", "openssl"], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("openssl") is not None


def make_cert(directory, rsa=False):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    kind = ["rsa:2048"] if rsa else ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    subprocess.run(["openssl", "req", "-x509", "-newkey"] + kind + ["-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return cert, key


def context_for(cert):
    ctx = ssl.create_default_context(cafile=cert)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def served_certificate(port, ctx, name="localhost"):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            return t.getpeercert(binary_form=True)


def pem_to_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def hsts_max_age(r):
    value = r.header("Strict-Transport-Security")
    if value is None:
        return None
    for part in value.split(";"):
        k, _, v = part.strip().partition("=")
        if k.lower() == "max-age":
            return int(v)
    return -1


class TlsTestCase(harness.ApiTestCase):
    def stop(self, d):
        code = d.stop()
        self.assertEqual(code, 0, "vireod (%s) did not exit cleanly on SIGTERM" % d.name)

    def assertLogClean(self, d):
        text = d.log_text()
        for s in harness.LOG_SECRETS:
            self.assertNotIn(s, text, "a secret (%s...) is in %s" % (s[:6], d.log_path))
        self.assertNotIn("$argon2", text)


# openssl's own floor (TLS 1.2, no SHA-1 signatures) is lifted in every
# handshake below, so that a refusal is the server's and not the client's.
ANY = "DEFAULT@SECLEVEL=0"


def handshake(port, *args):
    """One handshake by `openssl s_client` with vireod on 127.0.0.1:`port`;
    answers (protocol, cipher suite), or None when no session was made,
    and s_client's output."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                        "-servername", "localhost", "-brief"] + list(args),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    out = p.stdout.decode("utf-8", "replace")
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    if p.returncode != 0 or "CONNECTION ESTABLISHED" not in out:
        return None, out
    return (fields.get("Protocol version"), fields.get("Ciphersuite")), out


class HttpsDaemonTestCase(TlsTestCase):
    """One vireod for the class, serving HTTPS with a fresh certificate
    (ECDSA, or RSA when `rsa`) and `extra_args`; logged in when `login`."""
    rsa = False
    extra_args = ()
    login = False
    daemon_name = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not ensure_openssl():
            raise unittest.SkipTest("openssl is not installed and apt-get could not install it")
        cls.tmp = tempfile.mkdtemp(prefix="vireo-tls-")
        cls.cert, cls.key = make_cert(cls.tmp, rsa=cls.rsa)
        cls.tls = harness.Daemon(name=cls.daemon_name or "tls-" + cls.__name__,
                                 extra_args=["--tls-cert", cls.cert, "--tls-key", cls.key]
                                 + list(cls.extra_args),
                                 tls_context=context_for(cls.cert))
        try:
            cls.tls.start(login=cls.login)
        except Exception:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        cls.https = cls.tls.client()

    @classmethod
    def tearDownClass(cls):
        cls.tls.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertRefused(self, *args):
        session, out = handshake(self.tls.port, *args)
        self.assertIsNone(session, "vireod took a handshake with %s: %s\n%s"
                          % (" ".join(args), session, out))

    def assertAccepted(self, want_protocol, want_cipher, *args):
        session, out = handshake(self.tls.port, *args)
        self.assertIsNotNone(session, "vireod refused a handshake with %s:\n%s"
                             % (" ".join(args), out))
        self.assertEqual(session, (want_protocol, want_cipher), out)


class HttpsTest(HttpsDaemonTestCase):
    login = True
    daemon_name = "tls"

    def test_serves_our_certificate(self):
        der = served_certificate(self.tls.port, context_for(self.cert))
        self.assertEqual(der, pem_to_der(self.cert))
        r = self.https.get("/api/host")
        self.assertStatus(r, 200)

    def test_hsts_everywhere(self):
        for label, r in (("API", self.https.get("/api/vms")),
                         ("public API", self.tls.client(token=None).get("/api/openapi.json")),
                         ("401", self.tls.client(token=None).get("/api/vms")),
                         ("404", self.https.get("/api/nonexistent")),
                         ("web UI", self.tls.client(token=None).get("/")),
                         ("static 404", self.tls.client(token=None).get("/no-such-file.html"))):
            with self.subTest(label):
                age = hsts_max_age(r)
                self.assertIsNotNone(age, "no Strict-Transport-Security on %s: %r" % (label, r))
                self.assertGreaterEqual(age, 86400, repr(r))

    def test_no_hsts_on_plain_http(self):
        for r in (self.api.get("/api/vms"), self.anon.get("/"), self.anon.get("/api/vms")):
            self.assertIsNone(r.header("Strict-Transport-Security"),
                              "HSTS on plain HTTP: %r" % r)

    def test_secure_cookie_and_https_origin(self):
        user, pw = harness.make_user(self.tls, "tlsuser", "operator")
        r, c = harness.login(self.tls, user, pw)
        self.assertStatus(r, 200)
        value, attrs = r.set_cookies()[SESSION_COOKIE]
        lower = [a.lower() for a in attrs]
        for want in ("secure", "httponly", "samesite=strict"):
            self.assertIn(want, lower, "cookie attribute %s missing: %r" % (want, r))
        self.assertStatus(c.get("/api/session"), 200)
        self.assertEqual(c.origin, "https://127.0.0.1:%d" % self.tls.port)
        r = c.post("/api/tokens", json_body={"name": "over tls"})
        self.assertStatus(r, 201)
        harness.remember_token(r.json()["token"])
        # the http:// origin of the same host and port is another origin
        r = c.post("/api/tokens", json_body={"name": "plain origin"},
                   headers={"Origin": "http://127.0.0.1:%d" % self.tls.port})
        self.assertError(r, 403, "forbidden")
        r = c.post("/api/tokens", json_body={"name": "no header"}, headers={CSRF_HEADER: None})
        self.assertError(r, 403, "forbidden")
        # login from the plain-http origin is foreign too
        r = self.tls.client(token=None).post(
            "/api/session", json_body={"username": user, "password": pw},
            headers={"Origin": "http://127.0.0.1:%d" % self.tls.port})
        self.assertError(r, 403, "forbidden")
        r = c.delete("/api/session")
        self.assertStatus(r, 204)
        cleared = r.set_cookies().get(SESSION_COOKIE)
        self.assertIsNotNone(cleared)
        self.assertIn("secure", [a.lower() for a in cleared[1]], repr(r))
        self.assertError(c.get("/api/session"), 401)

    def test_plain_http_to_the_tls_port_gets_nothing(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.tls.port, timeout=10)
        try:
            conn.request("GET", "/api/openapi.json")
            resp = conn.getresponse()
            body = resp.read()
            self.assertNotEqual(resp.status, 200, "plain HTTP served on the TLS port")
            self.assertNotIn(b"openapi", body)
        except (OSError, http.client.HTTPException):
            pass   # the handshake fails and the connection is closed: fine
        finally:
            conn.close()
        self.assertStatus(self.https.get("/api/host"), 200)

    def test_log_has_no_secrets(self):
        self.assertLogClean(self.tls)


class TlsGenerateTest(TlsTestCase):
    def setUp(self):
        if not ensure_openssl():
            self.skipTest("openssl missing")
        self.tmp = tempfile.mkdtemp(prefix="vireo-tlsgen-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # a directory that does not exist yet
        self.cert = os.path.join(self.tmp, "tls", "cert.pem")
        self.key = os.path.join(self.tmp, "tls", "key.pem")

    def start_generating(self, name):
        # Until the pair exists there is nothing to trust: start without
        # verification, then check everything with the generated certificate.
        d = harness.Daemon(name=name, extra_args=["--tls-cert", self.cert, "--tls-key", self.key,
                                                  "--tls-generate", "true"],
                           tls_context=ssl._create_unverified_context())
        d.start(login=False)
        self.addCleanup(d.stop)
        return d

    def test_generates_a_private_pair_and_reuses_it(self):
        d = self.start_generating("tlsgen")
        self.assertTrue(os.path.exists(self.cert), "no certificate made at %s" % self.cert)
        self.assertTrue(os.path.exists(self.key), "no key made at %s" % self.key)
        mode = stat.S_IMODE(os.stat(self.key).st_mode)
        self.assertEqual(mode, 0o600, "key mode %o" % mode)
        self.assertFalse(stat.S_IMODE(os.stat(self.cert).st_mode) & 0o022,
                         "certificate writable by others")
        with open(self.key) as f:
            self.assertIn("PRIVATE KEY", f.read())
        ctx = context_for(self.cert)
        for name in ("localhost", "127.0.0.1"):
            with self.subTest(server_name=name):
                self.assertEqual(served_certificate(d.port, ctx, name), pem_to_der(self.cert))
        d.tls_context = ctx
        d.login_admin()
        r = d.client().get("/api/host")
        self.assertStatus(r, 200)
        self.assertIsNotNone(hsts_max_age(r))
        _, c = harness.login(d, "admin", d.admin_password)
        self.assertIsNotNone(c)
        self.assertStatus(c.get("/api/session"), 200)
        self.stop(d)
        self.assertLogClean(d)

        # a second start keeps the pair
        with open(self.cert, "rb") as f:
            before = f.read()
        mtime = os.stat(self.key).st_mtime_ns
        d2 = self.start_generating("tlsgen2")
        with open(self.cert, "rb") as f:
            self.assertEqual(f.read(), before, "the certificate was made again")
        self.assertEqual(os.stat(self.key).st_mtime_ns, mtime, "the key was made again")
        self.assertEqual(served_certificate(d2.port, ctx), pem_to_der(self.cert))
        self.stop(d2)

    def test_generate_without_paths_is_not_ignored(self):
        # --tls-generate true without --tls-cert/--tls-key must either make a
        # pair somewhere and serve HTTPS, or refuse to start; serving plain
        # HTTP as if the option were not there is wrong.
        tmp = tempfile.mkdtemp(prefix="vireo-tlsgen-alone-")
        self.addCleanup(shutil.rmtree, tmp, True)
        port = harness.free_port()
        pwfile = os.path.join(tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(harness.new_password() + "\n")
        cmd = [harness.vireo_bin(), "--listen", "127.0.0.1:%d" % port, "--connect", harness.URI,
               "--db", os.path.join(tmp, "vireo.db"), "--webui", os.path.join(harness.REPO, "webui"),
               "--init-admin-password-file", pwfile, "--tls-generate", "true"]
        out = os.path.join(tmp, "out.log")
        with open(out, "wb") as f:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (p.poll() is None and p.terminate(), p.wait(20)))
        deadline = time.monotonic() + 20
        plain = None
        while time.monotonic() < deadline and p.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/openapi.json")
                plain = conn.getresponse().status
                conn.close()
                break
            except (OSError, http.client.HTTPException):
                if plain is None and os.path.exists(out) and b"listening" in open(out, "rb").read():
                    plain = "not http"
                    break
                time.sleep(0.1)
        if p.poll() is not None:
            with open(out, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("--tls-cert", text)
            return
        self.assertNotEqual(plain, 200, "--tls-generate true was ignored: plain HTTP on port %d"
                            % port)

    def test_half_a_pair_is_an_error(self):
        os.makedirs(os.path.dirname(self.cert))
        make_cert(os.path.dirname(self.cert))
        os.unlink(self.key)
        with open(self.cert, "rb") as f:
            before = f.read()
        proc = run_briefly(["--tls-cert", self.cert, "--tls-key", self.key,
                            "--tls-generate", "true"])
        self.assertNotEqual(proc.returncode, 0, "started with a certificate and no key")
        self.assertIn(os.path.basename(self.key), proc.output)
        with open(self.cert, "rb") as f:
            self.assertEqual(f.read(), before, "an existing certificate was overwritten")


class DefaultTlsPolicyTest(HttpsDaemonTestCase):
    """The default priority string: TLS 1.3 and 1.2 only, AEAD suites only,
    ECDHE key exchange only (an outside review found TLS 1.0/1.1 and
    CBC-SHA1 suites taken when no priority string was set)."""

    def test_tls1_0_refused(self):
        self.assertRefused("-tls1", "-cipher", ANY)

    def test_tls1_1_refused(self):
        self.assertRefused("-tls1_1", "-cipher", ANY)

    def test_tls1_2_cbc_refused(self):
        for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"):
            with self.subTest(suite=suite):
                self.assertRefused("-tls1_2", "-cipher", suite + "@SECLEVEL=0")

    def test_tls1_2_aead_accepted(self):
        for suite in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                      "ECDHE-ECDSA-CHACHA20-POLY1305"):
            with self.subTest(suite=suite):
                self.assertAccepted("TLSv1.2", suite, "-tls1_2", "-cipher", suite)

    def test_tls1_3_accepted(self):
        for suite in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                      "TLS_CHACHA20_POLY1305_SHA256"):
            with self.subTest(suite=suite):
                self.assertAccepted("TLSv1.3", suite, "-tls1_3", "-ciphersuites", suite)

    def test_https_still_answers(self):
        self.assertStatus(self.tls.client(token=None).get("/api/openapi.json"), 200)


class DefaultTlsPolicyRsaTest(HttpsDaemonTestCase):
    """With an RSA certificate, TLS 1.2 takes ECDHE-RSA with AEAD, not RSA
    key transport (no forward secrecy) nor CBC. (Finite-field DHE is left
    out of the default too, but OpenSSL's client cannot offer the RFC 7919
    groups GnuTLS would need for it, so no test here can tell.)"""
    rsa = True

    def test_ecdhe_rsa_accepted(self):
        self.assertAccepted("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256",
                            "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")

    def test_rsa_key_transport_refused(self):
        for suite in ("AES128-GCM-SHA256", "AES256-GCM-SHA384"):
            with self.subTest(suite=suite):
                self.assertRefused("-tls1_2", "-cipher", suite + "@SECLEVEL=0")

    def test_ecdhe_rsa_cbc_refused(self):
        self.assertRefused("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA@SECLEVEL=0")


class CustomTlsPolicyTest(HttpsDaemonTestCase):
    """--tls-priority replaces the default: here TLS 1.3 alone."""
    extra_args = ("--tls-priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3")

    def test_tls1_2_refused(self):
        self.assertRefused("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")

    def test_tls1_3_accepted(self):
        self.assertAccepted("TLSv1.3", "TLS_AES_128_GCM_SHA256",
                            "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256")


class BadTlsPriorityTest(TlsTestCase):
    def test_bad_priority_stops_the_start(self):
        if not ensure_openssl():
            self.skipTest("openssl missing")
        tmp = tempfile.mkdtemp(prefix="vireo-badprio-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = make_cert(tmp)
        for priority, said in (("NORMAL:+BOGUS-THING:-VERS-TLS1.0", "'+BOGUS-THING'"),
                               ("NORMAL:-VERS-ALL", "at least one TLS version")):
            with self.subTest(priority=priority):
                p = run_briefly(["--tls-cert", cert, "--tls-key", key,
                                 "--tls-priority", priority])
                self.assertIsNotNone(p.returncode, "vireod started with --tls-priority %s"
                                     % priority)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("tls-priority", p.output)
                self.assertIn(said, p.output)
                self.assertNotIn("listening", p.output)


class Finished:
    def __init__(self, returncode, output, port):
        self.returncode = returncode
        self.output = output
        self.port = port


def run_briefly(args, listen=None, timeout=20):
    """Runs a vireod that is expected to refuse to start; kills it after
    `timeout` seconds otherwise. Nothing is sent to it."""
    tmp = tempfile.mkdtemp(prefix="vireo-refuse-")
    try:
        port = harness.free_port()
        pw = harness.new_password()
        pwfile = os.path.join(tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(pw + "\n")
        os.chmod(pwfile, 0o600)
        cmd = [harness.vireo_bin(), "--listen", (listen or "127.0.0.1:%d") % port,
               "--connect", harness.URI, "--db", os.path.join(tmp, "vireo.db"),
               "--webui", os.path.join(harness.REPO, "webui"),
               "--init-admin-password-file", pwfile] + args
        harness.log("running %s" % " ".join(cmd))
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        try:
            out, _ = p.communicate(timeout=timeout)
            code = p.returncode
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            code = None
        text = out.decode("utf-8", "replace")
        if pw in text:
            raise AssertionError("vireod printed the admin password:\n" + text)
        return Finished(code, text, port)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class PlainHttpRefusedTest(harness.ApiTestCase):
    def test_non_loopback_without_tls(self):
        for listen in ("0.0.0.0:%d", "[::]:%d", ":%d"):
            with self.subTest(listen=listen):
                t0 = time.monotonic()
                p = run_briefly([], listen=listen)
                self.assertIsNotNone(p.returncode, "vireod kept running on %s without TLS"
                                     % (listen % p.port))
                self.assertNotEqual(p.returncode, 0)
                self.assertLess(time.monotonic() - t0, 15)
                self.assertIn("refusing plain HTTP", p.output)
                self.assertIn("--tls-cert", p.output, "the message should say what to do")

    def test_loopback_addresses_stay_allowed(self):
        # 127.0.0.2 is loopback too: allowed without TLS (checked by starting
        # it and asking it over that address).
        d = harness.Daemon(name="loopback2", extra_args=[])
        cmd = d.command()
        i = cmd.index("--listen")
        cmd[i + 1] = "127.0.0.2:%d" % d.port
        log = open(os.path.join(harness.RESULTS_DIR, "vireod-loopback2.log"), "wb")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            status = None
            while time.monotonic() < deadline and p.poll() is None:
                try:
                    conn = http.client.HTTPConnection("127.0.0.2", d.port, timeout=5)
                    conn.request("GET", "/api/openapi.json")
                    status = conn.getresponse().status
                    conn.close()
                    break
                except OSError:
                    time.sleep(0.1)
            self.assertEqual(status, 200, "vireod on 127.0.0.2 (exit %r)" % p.poll())
        finally:
            p.terminate()
            p.wait(20)
            log.close()
            shutil.rmtree(d.tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
