"""Passwords and password hashes never leave vireod: not in any API answer
(every answer of the run is checked as it arrives, see harness.LEAKS), not in
its log; tokens and session ids never reach the log either. Runs last so that
it judges everything the tier did; it also does its own password work first
so that it means something when run alone."""

import os
import shutil
import stat
import subprocess
import tempfile
import time

import harness

FORBIDDEN_MEMBERS = {"password", "password_hash", "hash", "secret", "token", "token_hash",
                     "id_hash"}


def members(doc, path=""):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield path + "." + k, k
            yield from members(v, path + "." + k)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from members(v, "%s[%d]" % (path, i))


class SecretsTest(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        cls.user, pw = harness.make_user(d, "secrets", "operator")
        src = harness.fresh_source()
        wrong = harness.remember_password("wrong-" + pw[3:])   # a near miss
        harness.login(d, cls.user, wrong, source=src)
        r, c = harness.login(d, cls.user, pw, source=src)
        assert c is not None, r
        new = harness.new_password()
        r = c.post("/api/session/password", json_body={"current": pw, "new": new})
        assert r.status == 204, r
        newer = harness.new_password()
        r = cls.api.patch("/api/users/" + cls.user, {"password": newer})
        assert r.status == 200, r
        cls.session = harness.login(d, cls.user, newer)[1]
        r = cls.session.post("/api/tokens", json_body={"name": "secrets"})
        assert r.status == 201, r
        harness.remember_token(r.json()["token"])
        # bad input that carries a password
        cls.api.post("/api/users", json_body={"username": "Bad Name",
                                              "password": harness.new_password()})
        cls.api.post("/api/users", json_body={"username": cls.user,
                                              "password": harness.new_password()})
        harness.login(d, "nosuchuser", harness.new_password(), source=src)
        # reads of everything that describes users and credentials
        cls.reads = {p: cls.api.get(p) for p in ("/api/users", "/api/users/" + cls.user,
                                                 "/api/tokens", "/api/sessions",
                                                 "/api/audit?limit=1000", "/api/session")}
        cls.reads["own /api/sessions"] = cls.session.get("/api/sessions")
        cls.reads["own /api/tokens"] = cls.session.get("/api/tokens")

    def test_answers_have_no_secret_members(self):
        for label, r in self.reads.items():
            with self.subTest(label):
                self.assertStatus(r, 200)
                for where, key in members(r.json()):
                    self.assertNotIn(key.lower(), FORBIDDEN_MEMBERS, "%s: %s" % (label, where))

    def test_no_secret_in_any_answer(self):
        self.assertGreater(len(harness.ANSWER_SECRETS), 3)
        self.assertEqual(harness.LEAKS, [], "\n".join(harness.LEAKS[:10]))

    def test_no_secret_in_any_log(self):
        self.assertIn(self.daemon.log_path, harness.LOG_PATHS)
        for path in harness.LOG_PATHS:
            with self.subTest(log=os.path.basename(path)):
                try:
                    with open(path, "rb") as f:
                        text = f.read().decode("utf-8", "replace")
                except OSError:
                    continue
                for s in harness.LOG_SECRETS:
                    self.assertNotIn(s, text, "a password, token or session id (%s...) is in %s"
                                     % (s[:6], path))
                for m in harness.HASH_MARKERS:
                    self.assertNotIn(m, text, "a password hash is in %s" % path)

    def run_vireod(self, args, wait_for=None, timeout=20):
        tmp = tempfile.mkdtemp(prefix="vireo-secrets-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cmd = [harness.vireo_bin(), "--listen", "127.0.0.1:%d" % harness.free_port(),
               "--connect", harness.URI, "--db", os.path.join(tmp, "vireo.db"),
               "--webui", os.path.join(harness.REPO, "webui")] + [
            a.replace("{tmp}", tmp) for a in args]
        out = os.path.join(tmp, "out.log")
        with open(out, "wb") as f:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and p.poll() is None:
            if wait_for and wait_for in open(out, "rb").read().decode("utf-8", "replace"):
                break
            time.sleep(0.05)
        if p.poll() is None:
            p.terminate()
            p.wait(20)
        with open(out, "rb") as f:
            return p.returncode, f.read().decode("utf-8", "replace"), tmp

    def test_short_init_password_is_refused_without_echo(self):
        tmp = tempfile.mkdtemp(prefix="vireo-pwfile-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pwfile = os.path.join(tmp, "pw")
        with open(pwfile, "w") as f:
            f.write("Qz7#kx\n")
        code, text, _ = self.run_vireod(["--init-admin-password-file", pwfile])
        self.assertNotEqual(code, 0, "started with a 6-character admin password")
        self.assertIn(pwfile, text)
        self.assertNotIn("Qz7#kx", text)

    def test_generated_admin_password_file_is_private(self):
        code, text, tmp = self.run_vireod([], wait_for="listening on")
        note = os.path.join(tmp, "initial-admin-password")
        self.assertTrue(os.path.exists(note), "no %s; log:\n%s" % (note, text))
        self.assertEqual(stat.S_IMODE(os.stat(note).st_mode), 0o600)
        self.assertNotIn("$argon2", text)


if __name__ == "__main__":
    import unittest
    unittest.main()
