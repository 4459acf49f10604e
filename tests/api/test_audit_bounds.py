"""A bounded audit log and a full disk. Unauthenticated garbage no longer
fills the log (a flood of bad logins folds into one entry, requests to
unknown routes are not recorded), the table keeps at most --audit-max-rows
entries, and with the inventory's disk full vireod keeps serving reads,
refuses changes with 507 before making them, and never answers success for
a write that did not commit (the database lives on a small tmpfs here)."""

import json
import os
import sqlite3
import subprocess
import tempfile

import harness


def audit_rows(d, where="1=1"):
    db = sqlite3.connect(os.path.join(d.tmp, "vireo.db"))
    try:
        return db.execute("SELECT COUNT(*), COALESCE(SUM(repeats), 0) FROM audit WHERE " + where
                          ).fetchone()
    finally:
        db.close()


class AuditFloodTest(harness.ApiTestCase):
    def test_unauthenticated_flood_costs_one_row(self):
        d = harness.Daemon("audit-flood", extra_args=["--audit-max-rows", "1000"])
        d.start()
        self.addCleanup(d.stop)
        src = harness.fresh_source()
        anon = d.client(token=None, source=src)
        for _ in range(300):
            r = anon.post("/api/session", body="x", headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 400)
        for _ in range(300):
            self.assertEqual(anon.post("/api/no/such/route", body="x").status, 404)
            self.assertEqual(anon.delete("/api/users/admin").status, 401)
        rows, repeats = audit_rows(d, "address = '%s'" % src)
        self.assertLessEqual(rows, 2, "the flood took %d rows" % rows)
        self.assertEqual(repeats, 300, "every login attempt is counted")

    def test_rows_are_bounded(self):
        d = harness.Daemon("audit-bound", extra_args=["--audit-max-rows", "1000"])
        d.start()
        self.addCleanup(d.stop)
        api = d.client()
        # Distinct failures by a logged-in user: nothing to fold.
        for i in range(1200):
            r = api.patch("/api/vms/%snone-%d" % (harness.PREFIX, i), {"description": "x"})
            self.assertEqual(r.status, 404)
        rows, _ = audit_rows(d)
        self.assertLessEqual(rows, 1000 + 64)
        newest = api.get("/api/audit?limit=1").json()["entries"][0]
        self.assertEqual(newest["target"], "%snone-1199" % harness.PREFIX)
        self.assertEqual(newest["action"], "vm.update")


class FullDiskTest(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mnt = tempfile.mkdtemp(prefix="vireo-full-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", cls.mnt],
                       check=True)
        cls.d = harness.Daemon("full-disk", extra_args=["--db", os.path.join(cls.mnt, "vireo.db")])
        cls.d.start()
        cls.vm = harness.unique_name("full")
        harness.define_xml(cls.vm)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        harness.remove_domain(cls.vm)
        subprocess.run(["umount", cls.mnt], check=False)
        os.rmdir(cls.mnt)

    def fill(self):
        path = os.path.join(self.mnt, "filler")
        with open(path, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        return path

    def test_reads_go_on_and_changes_are_refused(self):
        api = self.d.client()
        r = api.patch("/api/vms/" + self.vm, {"description": "before"})
        self.assertStatus(r, 200)
        filler = self.fill()
        try:
            for path in ("/api/host", "/api/vms", "/api/vms/" + self.vm, "/api/session",
                         "/api/tokens", "/api/audit"):
                with self.subTest(read=path):
                    self.assertStatus(api.get(path), 200)
            r = api.post("/api/tokens", json_body={"name": "never"})
            self.assertError(r, 507, "insufficient_storage")
            self.assertNotIn("token", r.json())
            r = api.patch("/api/vms/" + self.vm, {"description": "during"})
            self.assertError(r, 507)
            r = api.post("/api/vms/%s/start" % self.vm)
            self.assertError(r, 507)
            self.assertEqual(harness.domain_state(self.vm), "shut off",
                             "a change that could not be recorded was made")
            self.assertStatus(api.get("/api/vms"), 200)
        finally:
            os.unlink(filler)
        # Nothing half-done: no token, no description, and changes work again.
        names = [t["name"] for t in api.get("/api/tokens").json()["tokens"]]
        self.assertNotIn("never", names)
        self.assertEqual(api.get("/api/vms/" + self.vm).json()["description"], "before")
        r = api.post("/api/tokens", json_body={"name": "after"})
        self.assertStatus(r, 201)
        harness.remember_token(r.json()["token"])
        self.assertStatus(api.patch("/api/vms/" + self.vm, {"description": "after"}), 200)
        entries = api.get("/api/audit?limit=20").json()["entries"]
        self.assertEqual(entries[0]["action"], "vm.update")
        self.assertEqual(json.dumps(entries).count('"status": 507'), 0,
                         "refusals for a full disk cannot be in the log it could not write")
