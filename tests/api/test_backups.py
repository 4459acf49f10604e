"""Export, import-archive, backup jobs and restore over HTTP on the real
libvirtd, with the TCG test guest: a shut-off VM's export is a tar whose
SHA256SUMS holds, imported again under a new name it boots to the serial
marker, and a damaged archive is refused leaving nothing; a running VM's
export is 409 and another operator's is 404; a job with keep=2 run three
times keeps two backups of each VM (one shut off, one running, copied at
one instant with no scratch file left), a restore of the running one's
backup boots; a job due while vireod was stopped runs at its next start;
bad jobs are 400/409. Two operators each back up and restore their own VMs
into their own pools and never see the other's jobs, backups, VMs or pools;
a restore past the quota fails naming the limit."""

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
from test_storage import MIB, q
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
        # Operators see only their own jobs (none) and may not import archives.
        self.assertEqual(op.get("/api/backups/jobs").json()["jobs"], [])
        self.assertError(op.post("/api/backups/jobs", json_body={"name": "x"}), 400)
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

    def rewrite_archive(self, body, member, change):
        """The archive with `member` changed by `change` and SHA256SUMS made
        again to match: a well-formed archive saying something else."""
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            files = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
        files = [(n, change(d) if n == member else d) for n, d in files]
        sums = "".join("%s  %s\n" % (hashlib.sha256(d).hexdigest(), n)
                       for n, d in files if n != "SHA256SUMS")
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for n, d in files:
                info = tarfile.TarInfo(n)
                info.size = len(d if n != "SHA256SUMS" else sums.encode())
                tar.addfile(info, io.BytesIO(d if n != "SHA256SUMS" else sums.encode()))
        return out.getvalue()

    def test_4_imported_vm_gets_its_own_seed(self):
        src = self.new_name("seed")
        r = self.api.post("/api/vms", json_body={
            "name": src, "vcpus": 1, "memory": 64, "graphics": "none",
            "disks": [{"pool": self.pool, "size": MIB, "format": "raw"}],
            "cloud_init": {"hostname": "seed-host", "user": "vireo",
                           "password": harness.new_password()}})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % src)
        seed = "%s-cidata.iso" % src
        self.assertIn(seed, self.volumes())
        body = self.export(src).body
        copy = harness.PREFIX + "seed-copy"
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % copy)
        vm = self.import_archive(body, "pool=%s&name=%s" % (q(self.pool), copy), 201).json()
        cdroms = [d["source"] for d in vm["disks"] if d["device"] == "cdrom"]
        self.assertEqual(cdroms, [os.path.join(self.dir, "%s-cidata.iso" % copy)])
        with open(os.path.join(self.dir, seed), "rb") as a, \
                open(cdroms[0], "rb") as b:
            self.assertEqual(a.read(), b.read())
        # The original goes with its volumes; the copy's seed stays.
        self.assertStatus(self.api.delete("/api/vms/%s?volumes=true" % src), 204)
        self.assertNotIn(seed, self.volumes())
        self.assertIn("%s-cidata.iso" % copy, self.volumes())
        self.assertEqual([d["source"] for d in self.vm(copy)["disks"]
                          if d["device"] == "cdrom"], cdroms)
        # From an archive whose seed is not on this host, the drive is left out.
        gone = self.rewrite_archive(body, "domain.xml", lambda d: d.replace(
            seed.encode(), b"no-such-seed-%d.iso" % os.getpid()))
        other = harness.PREFIX + "seed-elsewhere"
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % other)
        vm = self.import_archive(gone, "pool=%s&name=%s" % (q(self.pool), other), 201).json()
        self.assertEqual([d for d in vm["disks"] if d["device"] == "cdrom"], [])
        self.assertNotIn("%s-cidata.iso" % other, self.volumes())

    def test_5_restore_over_the_vm(self):
        vm = self.vm_of("bkrep")
        uuid = self.vm(vm)["uuid"]
        disk = os.path.join(self.dir, "bkrep.img")
        name = "jr%d" % os.getpid()
        self.job(name, [vm])
        self.run_job(name)
        self.run_job(name)
        newest, older = self.api.get("/api/backups?job=" + name).json()["backups"]
        # After the backups: a new description and tags, and a disk the guest
        # can no longer boot from.
        r = self.api.patch("/api/vms/" + vm, {"description": "kept", "tags": ["keep-me"]})
        self.assertStatus(r, 200)
        with open(disk, "r+b") as f:
            f.write(b"\0" * (1024 * 1024))
        # A running VM is not restored over.
        self.action(vm, "start")
        r = self.api.post("/api/backups/%d/restore" % newest["id"], json_body={"replace": True})
        e = self.assertError(r, 409)
        self.assertIn("shut it off", e["message"])
        self.action(vm, "poweroff")
        self.assertError(self.api.post("/api/backups/%d/restore" % newest["id"],
                                       json_body={"replace": True, "name": "x"}), 400)
        # A damaged backup fails and leaves the VM as it was.
        path = os.path.join(self.dir, older["volume"])
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0xFF]))
        before, xml = self.volumes(), harness.virsh("dumpxml", "--inactive", vm)
        r = self.api.post("/api/backups/%d/restore" % older["id"], json_body={"replace": True})
        self.assertStatus(r, 202)
        t = self.wait_task(self.api, r.json()["id"], timeout=180)
        self.assertEqual(t["state"], "failed", repr(t))
        self.assertIn("SHA-256", t["error"]["message"])
        self.assertEqual(self.volumes(), before)
        self.assertEqual(harness.virsh("dumpxml", "--inactive", vm), xml)
        # The good one: the same VM (UUID, name, inventory) on the old disk content.
        r = self.api.post("/api/backups/%d/restore" % newest["id"],
                          json_body={"replace": True, "start": True})
        self.assertStatus(r, 202)
        t = self.wait_task(self.api, r.json()["id"], timeout=180)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["result"], "/api/vms/" + vm)
        self.wait_marker(vm, timeout=90)
        detail = self.vm(vm)
        self.assertEqual((detail["uuid"], detail["description"], detail["tags"]),
                         (uuid, "kept", ["keep-me"]))
        self.assertFalse(os.path.exists(disk), "the replaced disk stays")
        self.assertIn("-restored-", os.path.basename(detail["disks"][0]["source"]))
        self.action(vm, "poweroff")

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


class OperatorBackupTest(SnapshotTestCase):
    """Operators' backup jobs: their VMs, their pools, their backups."""

    def op(self, tag, pool):
        user, pw = harness.make_user(self.daemon, "bk-" + tag, "operator")
        self.addCleanup(self.api.delete, "/api/users/" + user)
        client, _ = harness.token_client(self.daemon, user, pw)
        r = self.api.post("/api/users/%s/grants" % user,
                          json_body={"pool": pool, "use": ["disks"]})
        self.assertStatus(r, 201)
        return user, client

    def vm_in(self, client, pool, tag, vcpus=1):
        name = self.new_name(tag)
        r = client.post("/api/vms", json_body={"name": name, "vcpus": vcpus, "memory": 32,
                                               "graphics": "none",
                                               "disks": [{"pool": pool, "size": MIB,
                                                          "format": "raw"}]})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        return name

    def job_of(self, client, name, vm, pool, status=201):
        r = client.post("/api/backups/jobs", json_body={
            "name": name, "schedule": {"every": "day", "at": "03:00"}, "vms": [vm],
            "pool": pool, "keep": 2})
        if status == 201:
            self.assertStatus(r, 201, "job %s" % name)
            self.addCleanup(self.api.delete, "/api/backups/jobs/" + name)
        return r

    def run_as(self, client, job):
        r = client.post("/api/backups/jobs/%s/run" % job)
        self.assertStatus(r, 202)
        t = self.wait_task(client, r.json()["id"], timeout=180)
        self.assertEqual(t["state"], "succeeded", repr(t))

    def restore_as(self, client, backup, body):
        r = client.post("/api/backups/%d/restore" % backup, json_body=body)
        self.assertStatus(r, 202)
        return self.wait_task(client, r.json()["id"], timeout=180)

    def test_two_operators_never_meet(self):
        pool_b = self.new_pool_name("bk-pool-b")
        r = self.api.post("/api/pools", json_body={"name": pool_b, "type": "dir",
                                                   "path": self.new_dir("bk-pool-b")})
        self.assertStatus(r, 201)
        a_user, a = self.op("a", self.pool)
        b_user, b = self.op("b", pool_b)
        va, vb = self.vm_in(a, self.pool, "bk-va", vcpus=2), self.vm_in(b, pool_b, "bk-vb")
        ja, jb = "ja%d" % os.getpid(), "jb%d" % os.getpid()
        # Another's VM is no VM; another's pool is no pool.
        e = self.assertError(self.job_of(a, ja, vb, self.pool, 400), 400)
        self.assertIn("no VM named '%s'" % vb, e["message"])
        self.assertError(self.job_of(a, ja, va, pool_b, 404), 404)
        self.job_of(a, ja, va, self.pool)
        self.job_of(b, jb, vb, pool_b)
        self.assertEqual([j["name"] for j in a.get("/api/backups/jobs").json()["jobs"]], [ja])
        self.assertEqual([j["name"] for j in b.get("/api/backups/jobs").json()["jobs"]], [jb])
        admin_sees = [j["name"] for j in self.api.get("/api/backups/jobs").json()["jobs"]]
        self.assertTrue({ja, jb} <= set(admin_sees), admin_sees)
        for method, path, body in (("GET", "", None), ("PATCH", "", {"keep": 1}),
                                   ("DELETE", "", None), ("POST", "/run", None)):
            self.assertError(a.request(method, "/api/backups/jobs/%s%s" % (jb, path),
                                       json_body=body), 404)
        # A's edit may not bring in B's VM.
        self.assertError(a.patch("/api/backups/jobs/" + ja, {"vms": [va, vb]}), 400)
        self.run_as(a, ja)
        self.run_as(b, jb)
        mine = a.get("/api/backups").json()["backups"]
        self.assertEqual([x["vm"] for x in mine], [va])
        theirs = b.get("/api/backups").json()["backups"]
        self.assertEqual([x["vm"] for x in theirs], [vb])
        every = {x["id"] for x in self.api.get("/api/backups").json()["backups"]}
        self.assertTrue({mine[0]["id"], theirs[0]["id"]} <= every)
        for method, path in (("GET", ""), ("DELETE", ""), ("POST", "/restore")):
            self.assertError(a.request(method, "/api/backups/%d%s" % (theirs[0]["id"], path),
                                       json_body={} if method == "POST" else None), 404)
        # Over A's VM, given fewer vCPUs since and a quota of them: the
        # backup's 2 vCPUs do not fit; the VM stays as it was.
        self.assertStatus(a.patch("/api/vms/" + va, {"vcpus": 1}), 200)
        self.assertStatus(self.api.patch("/api/users/" + a_user, {"quota": {"vcpus": 1}}), 200)
        disk_before = self.vm(va)["disks"][0]["source"]
        t = self.restore_as(a, mine[0]["id"], {"replace": True})
        self.assertEqual((t["state"], t["error"]["code"]), ("failed", "quota_exceeded"), repr(t))
        self.assertTrue(t["error"]["message"].startswith("quota 'vcpus': "), t["error"])
        self.assertEqual((self.vm(va)["vcpus"], self.vm(va)["disks"][0]["source"]),
                         (1, disk_before))
        # B may not restore over A's VM: B does not even see A's backup.
        self.assertError(b.post("/api/backups/%d/restore" % mine[0]["id"],
                                json_body={"replace": True}), 404)
        self.assertStatus(self.api.patch("/api/users/" + a_user, {"quota": {"vcpus": None}}), 200)
        t = self.restore_as(a, mine[0]["id"], {"replace": True})
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(self.vm(va)["vcpus"], 2)
        self.assertNotEqual(self.vm(va)["disks"][0]["source"], disk_before)
        # A restores into A's pool only, and owns the VM restored.
        self.assertError(a.post("/api/backups/%d/restore" % mine[0]["id"],
                                json_body={"name": self.new_name("bk-ra"), "pool": pool_b}), 404)
        restored = self.new_name("bk-ra")
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % restored)
        t = self.restore_as(a, mine[0]["id"], {"name": restored})
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertStatus(a.get("/api/vms/" + restored), 200)
        self.assertError(b.get("/api/vms/" + restored), 404)
        # A restore past A's quota fails naming the limit, leaving nothing.
        self.assertStatus(self.api.patch("/api/users/" + a_user, {"quota": {"vms": 2}}), 200)
        before = self.volumes()
        over = self.new_name("bk-over")
        t = self.restore_as(a, mine[0]["id"], {"name": over})
        self.assertEqual((t["state"], t["error"]["code"]), ("failed", "quota_exceeded"), repr(t))
        self.assertTrue(t["error"]["message"].startswith("quota 'vms': "), t["error"])
        self.assertFalse(harness.domain_exists(over))
        self.assertEqual(self.volumes(), before)
        # A grant taken back stops the job's next run for that VM.
        r = self.api.delete("/api/users/%s/grants/pools/%s" % (b_user, q(pool_b)))
        self.assertStatus(r, 204)
        r = b.post("/api/backups/jobs/%s/run" % jb)
        self.assertStatus(r, 202)
        t = self.wait_task(b, r.json()["id"], timeout=180)
        self.assertEqual(t["state"], "failed", repr(t))
        # Viewers have no backups at all.
        v_user, v_pw = harness.make_user(self.daemon, "bk-v", "viewer")
        v, _ = harness.token_client(self.daemon, v_user, v_pw)
        self.assertError(v.get("/api/backups"), 403)
        self.assertError(v.get("/api/backups/jobs"), 403)

