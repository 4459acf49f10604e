"""--auth pam: a system account logs in through the PAM service `vireo`
with the role of its group; one in no Vireo group, a wrong password or an
unknown account is refused; its password cannot be changed through Vireo.
Creates (and removes) its own system user, group and /etc/pam.d/vireo."""

import os
import shutil
import subprocess
import unittest

import harness

PAM_FILE = "/etc/pam.d/vireo"


def run(*args):
    subprocess.run(args, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class PamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tag = os.getpid() % 100000
        cls.user = "vpam%d" % tag
        cls.outsider = "vpamx%d" % tag
        cls.group = "vireo-op-%d" % tag
        cls.password = harness.new_password()
        cls.made_pam_file = not os.path.exists(PAM_FILE)
        if cls.made_pam_file:
            shutil.copy(os.path.join(harness.REPO, "packaging", "pam.d", "vireo"), PAM_FILE)
        run("groupadd", cls.group)
        for name in (cls.user, cls.outsider):
            run("useradd", "-M", "-s", "/usr/sbin/nologin", name)
            subprocess.run(["chpasswd"], input=("%s:%s\n" % (name, cls.password)).encode(),
                           check=True)
        run("usermod", "-a", "-G", cls.group, cls.user)
        cls.d = harness.Daemon("pam", extra_args=["--auth", "pam", "--pam-operator-group",
                                                  cls.group])
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        for name in (cls.user, cls.outsider):
            subprocess.run(["userdel", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["groupdel", cls.group], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if cls.made_pam_file:
            os.unlink(PAM_FILE)

    def test_system_account_logs_in_with_group_role(self):
        r, session = harness.login(self.d, self.user, self.password, source=harness.fresh_source())
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["role"], "operator")
        self.assertEqual(r.json()["source"], "pam")
        me = session.get("/api/session").json()
        self.assertEqual(me["username"], self.user)
        users = self.d.client().get("/api/users").json()["users"]
        row = [u for u in users if u["username"] == self.user]
        self.assertEqual(len(row), 1)
        self.assertEqual(row[0]["source"], "pam")
        # Its password lives on the host.
        r = session.post("/api/session/password",
                         json_body={"current": self.password, "new": harness.new_password()})
        self.assertEqual(r.status, 409, r)
        r = self.d.client().patch("/api/users/%s" % self.user,
                                  json_body={"password": harness.new_password()})
        self.assertEqual(r.status, 409, r)

    def test_refusals_look_alike(self):
        src = harness.fresh_source()
        wrong, _ = harness.login(self.d, self.user, "not-the-password", source=src)
        outsider, _ = harness.login(self.d, self.outsider, self.password, source=harness.fresh_source())
        unknown, _ = harness.login(self.d, "nosuchuser%d" % os.getpid(), self.password,
                                   source=harness.fresh_source())
        for r in (wrong, outsider, unknown):
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json(), wrong.json())


if __name__ == "__main__":
    unittest.main()
