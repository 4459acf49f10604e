"""Export, import-archive, backup jobs and restore over HTTP on the real
libvirtd, with the TCG test guest: a shut-off VM's export is a tar whose
SHA256SUMS holds, imported again under a new name it boots to the serial
marker, and a damaged archive is refused leaving nothing; a running VM's
export is 409 and another operator's is 404; a job with keep=2 run three
times keeps two backups of each VM (one shut off, one running, copied at
one instant with no scratch file left), a restore of the running one's
backup boots; a job due while vireod was stopped runs at its next start;
bad jobs are 400/409 and operators may not use backups (403)."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import time

import harness
from test_snapshots import SnapshotTestCase
from test_storage import q
from test_tasks import RestartedDaemon


class BackupTest(SnapshotTestCase):
    def vm_of(self, tag, disk="base.img", start=False):
        ext = os.path.splitext(disk)[1]
        name = self.make_vm(tag, self.own_volume(tag + ext, disk))
        self.addCleanup(harness.remove_domain, name)
        if start:
            self.action(name, "start")
            self.wait_marker(name, timeout=90)
        return name

    def export(self, vm, api=None, status=200):
        r = (api or self.api).get("/api/vms/%s/export" % vm, timeout=120)
        self.assertStatus(r, status, "export of %s" % vm)
        return r

    def import_archive(self, body, query, status):
        r = self.api.request("POST", "/api/vms/import-archive?" + query, body=body,
                             headers={"Content-Type": "application/x-tar"}, timeout=120)
        self.assertStatus(r, status, "import-archive ?%s" % query)
        return r

    def job(self, name, vms, keep=2, at="03:00"):
        body = {"name": name, "schedule": {"every": "day", "at": at}, "vms": vms,
                "pool": self.pool, "keep": keep}
        r = self.api.post("/api/backups/jobs", json_body=body)
        self.assertStatus(r, 201, "job %s" % name)
        self.addCleanup(self.api.delete, "/api/backups/jobs/" + name)
        return r.json()

    def run_job(self, name):
        r = self.api.post("/api/backups/jobs/%s/run" % name)
        self.assertStatus(r, 202)
        self.assertEqual(r.json()["kind"], "backup")
        t = self.wait_task(self.api, r.json()["id"], timeout=180)
        self.assertEqual(t["state"], "succeeded", repr(t))
        return t

    def test_1_export_then_import_boots(self):
        src = self.vm_of("exp")
        r = self.export(src)
        self.assertEqual(r.header("Content-Disposition"),
                         'attachment; filename="%s.vireo.tar"' % src)
        self.assertEqual(int(r.header("Content-Length")), len(r.body))
        with tarfile.open(fileobj=io.BytesIO(r.body)) as tar:
            names = tar.getnames()
            self.assertEqual(names, ["vireo.json", "domain.xml", "disks/vda.raw", "SHA256SUMS"])
            files = {n: tar.extractfile(n).read() for n in names}
        sums = dict(reversed(line.split("  ", 1)) for line in
                    files["SHA256SUMS"].decode().splitlines())
        for n in names[:-1]:
            self.assertEqual(sums[n], hashlib.sha256(files[n]).hexdigest(), n)
        meta = json.loads(files["vireo.json"])
        self.assertEqual((meta["format"], meta["version"], meta["name"]),
                         ("vireo-vm-archive", 1, src))
        self.assertEqual(meta["disks"][0]["target"], "vda")
        self.assertEqual(meta["owner"], "admin")
        self.assertIn(b"<source file=\"disks/vda.raw\"/>", files["domain.xml"])
        with open(os.path.join(self.dir, "exp.img"), "rb") as f:
            self.assertEqual(f.read(), files["disks/vda.raw"])
        # A damaged archive is refused and leaves nothing.
        before = self.volumes()
        bad = bytearray(r.body)
        bad[len(bad) // 2] ^= 0xFF
        name = harness.PREFIX + "exp-bad"
        e = self.assertError(self.import_archive(bytes(bad), "pool=%s&name=%s" % (q(self.pool),
                                                                                    name), 400),
                             400)
        self.assertIn("SHA-256", e["message"])
        self.assertEqual(self.volumes(), before)
        self.assertFalse(harness.domain_exists(name))
        e = self.assertError(self.import_archive(r.body[:700000], "pool=%s&name=%s" % (
            q(self.pool), name), 400), 400)
        # Refused at the disk's header: it claims more than the body holds.
        self.assertIn("left of the body", e["message"])
        self.assertEqual(self.volumes(), before)
        # Imported under a new name, it boots.
        name = harness.PREFIX + "exp-copy"
        self.addCleanup(harness.remove_domain, name)
        r2 = self.import_archive(r.body, "pool=%s&name=%s&start=true" % (q(self.pool), name), 201)
        vm = r2.json()
        self.assertEqual(vm["name"], name)
        self.assertNotEqual(vm["uuid"], meta["uuid"])
        self.assertTrue(vm["disks"][0]["source"].endswith("/%s-disk0.img" % name))
        self.wait_marker(name, timeout=90)
        # The name is taken now; a running VM is not exported.
        self.assertError(self.import_archive(r.body, "pool=%s&name=%s" % (q(self.pool), name),
                                             409), 409)
        e = self.assertError(self.export(name, status=409), 409)
        self.assertIn("shut", e["message"])
        self.assertError(self.api.get("/api/vms/%s/export?format=zip" % src), 400)
        # An operator cannot export (nor back up) a VM they cannot see.
        user, pw = harness.make_user(self.daemon, "bkop", "operator")
        op, _ = harness.token_client(self.daemon, user, pw)
        self.assertError(self.export(src, api=op, status=404), 404)
        self.assertError(op.get("/api/backups/jobs"), 403)
        self.assertError(op.post("/api/backups/jobs", json_body={"name": "x"}), 403)
        self.assertError(op.request("POST", "/api/vms/import-archive?pool=x", body=b"x"), 403)
        r = self.api.get("/api/audit?action=vm.export&limit=5")
        self.assertIn(src, [a["target"] for a in r.json()["entries"]])

    def test_1b_uefi_archive_keeps_the_nvram(self):
        src, path, written, _ = self.uefi_vm_run_once("bkuefi")
        r = self.export(src)
        with tarfile.open(fileobj=io.BytesIO(r.body)) as tar:
            self.assertEqual(tar.getnames(), ["vireo.json", "domain.xml", "disks/vda.qcow2",
                                              "nvram.fd", "SHA256SUMS"])
            self.assertEqual(json.loads(tar.extractfile("vireo.json").read())["nvram"], True)
            self.assertTrue(tar.extractfile("nvram.fd").read() == written)
        name = harness.PREFIX + "bkuefi-copy"
        self.addCleanup(harness.remove_domain, name)
        self.import_archive(r.body, "pool=%s&name=%s" % (q(self.pool), name), 201)
        copy = os.path.join(os.path.dirname(path), name + "_VARS.fd")
        with open(copy, "rb") as f:
            self.assertTrue(f.read() == written, "the imported VM's NVRAM is not the archive's")
        self.action(name, "start")
        self.assertIn(copy, harness.virsh("dumpxml", name))

    def test_2_job_keeps_two_and_restore_boots(self):
        off = self.vm_of("bkoff")
        live = self.vm_of("bklive", "base.qcow2", start=True)
        name = "j%d" % os.getpid()
        # Bad jobs first.
        base = {"name": name, "schedule": {"every": "day", "at": "03:00"}, "vms": [off],
                "pool": self.pool, "keep": 2}
        for change in ({"schedule": {"every": "day", "at": "25:00"}},
                       {"schedule": {"every": "day", "at": "03:00", "weekday": "monday"}},
                       {"schedule": {"every": "week", "at": "03:00"}},
                       {"schedule": {"every": "month", "at": "03:00"}},
                       {"vms": ["no-such-vm-%d" % os.getpid()]}, {"vms": []},
                       {"pool": "no-such-pool"}, {"keep": 0}, {"name": "a/b"}, {"extra": 1}):
            self.assertError(self.api.post("/api/backups/jobs", json_body=dict(base, **change)),
                             400)
        job = self.job(name, [off, live])
        self.assertEqual([v["name"] for v in job["vms"]], [off, live])
        self.assertEqual(job["last_state"], None)
        self.assertError(self.api.post("/api/backups/jobs", json_body=base), 409)
        self.assertError(self.api.post("/api/backups/jobs/nope-%d/run" % os.getpid()), 404)
        for _ in range(3):
            self.run_job(name)
        job = self.api.get("/api/backups/jobs/" + name).json()
        self.assertEqual(job["last_state"], "succeeded", job)
        kept = self.api.get("/api/backups?job=" + name).json()["backups"]
        self.assertEqual(sorted(b["vm"] for b in kept), sorted([off, off, live, live]))
        archives = [v for v in self.volumes() if v.endswith(".vireo.tar")]
        self.assertEqual(sorted(archives), sorted(b["volume"] for b in kept))
        self.assertFalse([v for v in self.volumes() if "scratch" in v])
        self.assertEqual(self.vm(live)["state"], "running")
        # The running VM's backup, restored under a new name, boots.
        newest = [b for b in kept if b["vm"] == live][0]
        restored = harness.PREFIX + "bk-restored"
        self.addCleanup(harness.remove_domain, restored)
        self.assertError(self.api.post("/api/backups/%d/restore" % newest["id"]), 409)
        r = self.api.post("/api/backups/%d/restore" % newest["id"],
                          json_body={"name": restored, "start": True})
        self.assertStatus(r, 202)
        t = self.wait_task(self.api, r.json()["id"], timeout=180)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["result"], "/api/vms/" + restored)
        self.wait_marker(restored, timeout=90)
        # A deleted backup takes its volume along.
        oldest = kept[-1]
        self.assertStatus(self.api.delete("/api/backups/%d" % oldest["id"]), 204)
        self.assertNotIn(oldest["volume"], self.volumes())
        self.assertError(self.api.get("/api/backups/%d" % oldest["id"]), 404)
        actions = {a["action"] for a in
                   self.api.get("/api/audit?action=backup.&limit=50").json()["entries"]}
        self.assertTrue({"backup.job.create", "backup.job.run", "backup.restore",
                         "backup.delete"} <= actions, actions)

    def test_3_missed_run_runs_at_the_next_start(self):
        vm = self.vm_of("bkmiss")
        first = harness.Daemon("backups-missed")
        first.start()
        first.tmp_kept = first.tmp
        first.tmp = None   # keep its inventory for the next start
        self.addCleanup(shutil.rmtree, first.tmp_kept, True)
        later = time.localtime(time.time() + 12 * 3600)
        body = {"name": "missed", "schedule": {"every": "day",
                                               "at": "%02d:%02d" % (later.tm_hour, later.tm_min)},
                "vms": [vm], "pool": self.pool, "keep": 1}
        api = first.client()
        self.assertStatus(api.post("/api/backups/jobs", json_body=body), 201)
        time.sleep(1)
        self.assertEqual(api.get("/api/backups").json()["backups"], [])
        first.stop()
        # While vireod was down, three days went by.
        db = sqlite3.connect(os.path.join(first.tmp_kept, "vireo.db"))
        with db:
            db.execute("UPDATE backup_jobs SET created_at = created_at - 3 * 86400")
        db.close()
        second = RestartedDaemon(first)
        second.start()
        self.addCleanup(second.stop)
        api = second.client()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = api.get("/api/backups/jobs/missed").json()
            if job["last_state"] in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        self.assertEqual(job["last_state"], "succeeded", job)
        kept = api.get("/api/backups").json()["backups"]
        self.assertEqual([b["vm"] for b in kept], [vm])
        # Once run, the job waits for its next time.
        self.assertGreater(job["next_run_at"], job["last_run_at"])
        entries = api.get("/api/audit?action=backup.job.run").json()["entries"]
        self.assertEqual([e["user"] for e in entries], ["(scheduler)"])
