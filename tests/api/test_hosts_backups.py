"""Backups of VMs of another libvirt host (docs/backups.md, docs/hosts.md),
on the two-host lab (tests/hosts/lab.sh) through a vireod whose local host
is the system libvirtd: a job naming a shut-off VM of lab host B runs as a
task on B, reads B's disk over B's connection and writes the archive into
a pool of the local host; the backup lists host B; restored (by default
onto B) it is a new VM on B whose disk holds the same bytes; a restore
that fails inside its task (a damaged archive) leaves no volume on B, and
a taken name or a pool B lacks is refused before anything; ?host= restores
it onto the local host instead; a VM of one
name (and one UUID) on the local host and on B are two VMs to a job's
retention: keeping one backup each leaves one of each; two operators on B
never see or restore each other's backups; a running VM of B is copied
at one instant through scratch files in its disk's pool on B, none left;
an archive imports onto B (?host=); once B is removed its backups stay
(host null) and are restored by naming a host.

The lab is shared with other work on this machine: run under the lab's
lock (flock -o /tmp/vireo-lab.lock sh tests/api/run.sh test_hosts_backups);
it is brought up when it is down and never taken down here."""

import hashlib
import os
import re
import subprocess
import tempfile
import time
import unittest

import harness
import lab
import test_hosts

TAG = "backup-hosts-%d" % os.getpid()
FINAL = ("succeeded", "failed", "cancelled")
LOCAL_POOL = TAG
LOCAL_POOL_DIR = "/var/lib/libvirt/images/" + TAG


def setUpModule():
    global URI_A, URI_B
    test_hosts.setUpModule()
    URI_A, URI_B = test_hosts.URI_A, test_hosts.URI_B


def virsh_local(*args, check=True):
    return lab._run(["virsh", "-q", "-c", harness.URI] + list(args), check=check)


def volumes(uri, pool="default"):
    return sorted(l.split()[0] for l in lab.virsh(uri, "vol-list", pool).splitlines()
                  if l.strip())


def volume_sha256(uri, pool, name):
    with tempfile.NamedTemporaryFile() as f:
        lab._run(["virsh", "-q", "-c", uri, "vol-download", "--pool", pool, name, f.name])
        return hashlib.sha256(open(f.name, "rb").read()).hexdigest()


def disk_volume_of(uri, vm):
    """The volume (name) of the VM's vda, in B's default pool."""
    xml = lab.virsh(uri, "dumpxml", vm, "--inactive")
    path = re.search(r"<source file='([^']+)'", xml).group(1)
    return os.path.basename(path)


class HostsBackupsTest(test_hosts.HostsBase):
    DAEMON = "hostsbackups"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.b = cls.add_lab_host(TAG + "-b", URI_B)
            cls.local = [h for h in cls.api.get("/api/hosts").json()["hosts"] if h["local"]][0]
            os.makedirs(LOCAL_POOL_DIR, exist_ok=True)
            virsh_local("pool-create-as", LOCAL_POOL, "dir", "--target", LOCAL_POOL_DIR)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        virsh_local("pool-destroy", LOCAL_POOL, check=False)
        subprocess.run(["rm", "-rf", LOCAL_POOL_DIR])
        if hasattr(cls, "b"):
            cls.api.delete("/api/hosts/%d" % cls.b["id"])
        super().tearDownClass()

    # ---- helpers ----

    def on_b(self, path):
        return path + ("&" if "?" in path else "?") + "host=" + self.b["name"]

    def wait_task(self, t, api=None, timeout=240):
        api = api or self.api
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = api.get("/api/tasks/%d" % t["id"]).json()
            if t["state"] in FINAL:
                return t
            time.sleep(0.2)
        self.fail("task %d did not end: %r" % (t["id"], t))

    def guest_on(self, uri, tag, start=False, content=b""):
        """The test guest on host `uri` with a 1 MiB raw disk holding
        `content` (random bytes unless given) in its default pool."""
        name = "%s-%s" % (TAG, tag)
        vol = name + ".img"
        self.addCleanup(self.remove_guest, uri, name, vol)
        env = dict(os.environ, VIREO_CONNECT=uri)
        lab._run([os.path.join(lab.GUEST_SCRIPTS, "define-guest.sh"), name, "128"], env=env)
        self.put_disk(uri, name, vol, content or os.urandom(1024 * 1024))
        if start:
            lab._run(["virsh", "-q", "-c", uri, "start", name])
        return name

    def put_disk(self, uri, vm, vol, content):
        run = lambda *a: lab._run(["virsh", "-q", "-c", uri] + list(a))
        run("vol-create-as", "default", vol, "1M", "--format", "raw")
        with tempfile.NamedTemporaryFile() as f:
            f.write(content.ljust(1024 * 1024, b"\0"))
            f.flush()
            run("vol-upload", "--pool", "default", vol, f.name)
        path = run("vol-path", "--pool", "default", vol).strip()
        run("attach-disk", vm, path, "vdb", "--subdriver", "raw", "--targetbus", "virtio",
            "--config")

    def remove_guest(self, uri, name, vol=None):
        run = lambda *a: lab._run(["virsh", "-q", "-c", uri] + list(a), check=False)
        run("destroy", name)
        run("undefine", name, "--nvram")
        if vol:
            run("vol-delete", "--pool", "default", vol)

    def remove_restored(self, uri, name):
        vols = [v for v in volumes(uri) if v.startswith(name + "-disk")]
        self.remove_guest(uri, name)
        for v in vols:
            lab._run(["virsh", "-q", "-c", uri, "vol-delete", "--pool", "default", v], check=False)

    def job(self, name, vms, keep=2, api=None, query="", status=201):
        api = api or self.api
        r = api.post("/api/backups/jobs" + query, json_body={
            "name": name, "schedule": {"every": "day", "at": "03:00"}, "vms": vms,
            "pool": LOCAL_POOL, "keep": keep})
        self.assertStatus(r, status, "job %s" % name)
        if status == 201:
            self.addCleanup(self.api.delete, "/api/backups/jobs/" + name)
        return r.json()

    def run_job(self, name, api=None):
        api = api or self.api
        r = api.post("/api/backups/jobs/%s/run" % name)
        self.assertStatus(r, 202)
        t = self.wait_task(r.json(), api=api)
        self.addCleanup(self.delete_backups, name)
        return t

    def delete_backups(self, job):
        for b in self.api.get("/api/backups?job=" + job).json()["backups"]:
            self.api.delete("/api/backups/%d" % b["id"])

    def backups(self, query="", api=None):
        r = (api or self.api).get("/api/backups" + query)
        self.assertStatus(r, 200)
        return r.json()["backups"]

    # ---- tests ----

    def test_1_stopped_vm_on_b_backed_up_and_restored_onto_b(self):
        vm = self.guest_on(URI_B, "web")
        disk = vm + ".img"
        want = volume_sha256(URI_B, "default", disk)
        local_before = volumes(harness.URI, LOCAL_POOL)
        j = self.job(TAG + "-j1", [vm], query="?host=" + self.b["name"])
        self.assertEqual([(v["name"], v["host"]["name"]) for v in j["vms"]],
                         [(vm, self.b["name"])])
        t = self.run_job(j["name"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["host"]["name"], self.b["name"])
        [b] = self.backups("?job=" + j["name"])
        self.assertEqual((b["vm"], b["host"]["name"], b["pool"]), (vm, self.b["name"], LOCAL_POOL))
        # The archive is on the local host, nothing new on B.
        self.assertEqual(volumes(harness.URI, LOCAL_POOL), sorted(local_before + [b["volume"]]))
        self.assertNotIn(b["volume"], volumes(URI_B))
        self.assertEqual([x["id"] for x in self.backups("?host=" + self.b["name"])], [b["id"]])
        self.assertEqual(self.backups("?host=" + self.local["name"]), [])
        # Restored as a new VM: onto B, the backup's host, by default.
        new = vm + "-r"
        self.addCleanup(self.remove_restored, URI_B, new)
        r = self.api.post("/api/backups/%d/restore" % b["id"], json_body={"name": new})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["host"]["name"], self.b["name"])
        self.assertEqual(t["result"], "/api/vms/%s?host=%d" % (new, self.b["id"]))
        self.assertIn(new, lab.domain_names(URI_B))
        self.assertNotIn(new, virsh_local("list", "--all", "--name").split())
        self.assertStatus(self.api.get(t["result"]), 200)
        # Its disk is a new volume of B with the same bytes.
        xml = lab.virsh(URI_B, "dumpxml", new, "--inactive")
        paths = re.findall(r"<source file='([^']+)'", xml)
        restored = [os.path.basename(p) for p in paths if os.path.basename(p).startswith(new)]
        self.assertEqual(len(restored), 1, xml)
        self.assertEqual(volume_sha256(URI_B, "default", restored[0]), want)
        # The same name again: refused before anything (409), B unchanged.
        vols_b = volumes(URI_B)
        r = self.api.post("/api/backups/%d/restore" % b["id"], json_body={"name": new})
        self.assertIn("exists", self.assertError(r, 409)["message"])
        # A pool B lacks: 400 naming it.
        r = self.api.post("/api/backups/%d/restore" % b["id"],
                          json_body={"name": vm + "-x", "pool": TAG + "-nope"})
        self.assertIn("pool", self.assertError(r, 400)["message"])
        self.assertEqual(volumes(URI_B), vols_b)
        # Over the VM itself, on B: it keeps its UUID, its disk the bytes.
        uuid = lab.virsh(URI_B, "domuuid", vm).strip()
        self.put_zero(URI_B, disk)
        r = self.api.post("/api/backups/%d/restore" % b["id"], json_body={"replace": True})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(lab.virsh(URI_B, "domuuid", vm).strip(), uuid)
        now = disk_volume_of(URI_B, vm)
        self.addCleanup(lab._run, ["virsh", "-q", "-c", URI_B, "vol-delete", "--pool", "default",
                                   now], check=False)
        self.assertEqual(volume_sha256(URI_B, "default", now), want)

    def put_zero(self, uri, vol):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"\0" * 1024 * 1024)
            f.flush()
            lab._run(["virsh", "-q", "-c", uri, "vol-upload", "--pool", "default", vol, f.name])

    def test_2_failed_restore_leaves_nothing_on_b(self):
        vm = self.guest_on(URI_B, "dmg")
        j = self.job(TAG + "-j2", [vm], query="?host=" + self.b["name"])
        t = self.run_job(j["name"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        [b] = self.backups("?job=" + j["name"])
        # Damage the disk member: its digest no longer matches SHA256SUMS,
        # which is read only after the disk was written on B.
        path = os.path.join(LOCAL_POOL_DIR, b["volume"])
        with open(path, "r+b") as f:
            f.seek(b["size"] // 2)
            byte = f.read(1)
            f.seek(b["size"] // 2)
            f.write(bytes([byte[0] ^ 0xFF]))
        vols_b = volumes(URI_B)
        doms_b = lab.domain_names(URI_B)
        new = vm + "-r"
        self.addCleanup(self.remove_restored, URI_B, new)
        r = self.api.post("/api/backups/%d/restore" % b["id"], json_body={"name": new})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "failed", repr(t))
        self.assertIn("SHA-256", t["error"]["message"])
        self.assertEqual(volumes(URI_B), vols_b)
        self.assertEqual(lab.domain_names(URI_B), doms_b)

    def test_2b_backup_of_b_restored_onto_the_local_host(self):
        # ?host= names where a backup goes back: here vireod's own host.
        vm = self.guest_on(URI_B, "move")
        want = volume_sha256(URI_B, "default", vm + ".img")
        j = self.job(TAG + "-j2b", [vm], query="?host=" + self.b["name"])
        t = self.run_job(j["name"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        [b] = self.backups("?job=" + j["name"])
        new = vm + "-l"
        self.addCleanup(self.remove_local_restored, new)
        vols_b = volumes(URI_B)
        r = self.api.post("/api/backups/%d/restore?host=%s" % (b["id"], self.local["name"]),
                          json_body={"name": new, "pool": LOCAL_POOL})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["host"]["name"], self.local["name"])
        self.assertEqual(t["result"], "/api/vms/" + new)
        self.assertIn(new, virsh_local("list", "--all", "--name").split())
        self.assertNotIn(new, lab.domain_names(URI_B))
        self.assertEqual(volumes(URI_B), vols_b)
        [disk] = [v for v in volumes(harness.URI, LOCAL_POOL) if v.startswith(new + "-disk")]
        self.assertEqual(volume_sha256(harness.URI, LOCAL_POOL, disk), want)

    def remove_local_restored(self, name):
        virsh_local("undefine", name, check=False)
        for v in volumes(harness.URI, LOCAL_POOL):
            if v.startswith(name + "-disk"):
                virsh_local("vol-delete", "--pool", LOCAL_POOL, v, check=False)

    def test_3_same_vm_on_two_hosts_keeps_its_own_backups(self):
        # The same name and UUID on the local host and on B (a copy, as a
        # migration leaves behind): two VMs to a job.
        vm = self.guest_on(URI_B, "twin")
        xml = lab.virsh(URI_B, "dumpxml", vm, "--inactive")
        vol = vm + ".img"
        self.addCleanup(self.remove_local, vm, vol)
        virsh_local("vol-create-as", LOCAL_POOL, vol, "1M", "--format", "raw")
        path = virsh_local("vol-path", "--pool", LOCAL_POOL, vol).strip()
        xml = re.sub(r"<source file='[^']+%s'" % re.escape(vol), "<source file='%s'" % path, xml)
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
            f.write(xml)
            f.flush()
            virsh_local("define", f.name)
        uuid = lab.virsh(URI_B, "domuuid", vm).strip()
        self.assertEqual(virsh_local("domuuid", vm).strip(), uuid)
        j = self.job(TAG + "-j3", [{"vm": vm, "host": self.local["name"]},
                                   {"vm": vm, "host": self.b["name"]}], keep=1)
        self.assertEqual(sorted(v["host"]["name"] for v in j["vms"]),
                         sorted([self.local["name"], self.b["name"]]))
        # A job of two hosts' VMs is a task of the local host.
        first = self.run_job(j["name"])
        self.assertEqual(first["state"], "succeeded", repr(first))
        self.assertEqual(first["host"]["name"], self.local["name"])
        one = {b["host"]["name"]: b for b in self.backups("?job=" + j["name"])}
        self.assertEqual(sorted(one), sorted([self.local["name"], self.b["name"]]))
        time.sleep(1.1)  # the next archives' names differ by the second too
        second = self.run_job(j["name"])
        self.assertEqual(second["state"], "succeeded", repr(second))
        two = {b["host"]["name"]: b for b in self.backups("?job=" + j["name"])}
        # Each keeps its newest one: the other host's backup did not count.
        self.assertEqual(sorted(two), sorted(one))
        for h in two:
            self.assertNotEqual(two[h]["id"], one[h]["id"])
        kept = volumes(harness.URI, LOCAL_POOL)
        for h in one:
            self.assertNotIn(one[h]["volume"], kept)
            self.assertIn(two[h]["volume"], kept)

    def remove_local(self, vm, vol):
        virsh_local("undefine", vm, check=False)
        virsh_local("vol-delete", "--pool", LOCAL_POOL, vol, check=False)

    def test_4_two_operators_on_b(self):
        users = {}
        for t in ("1", "2"):
            user, pw = harness.make_user(self.d, "hb" + t, "operator")
            # The backup pool on the local host, B's default for restores.
            for path, pool in (("/api/users/%s/grants", LOCAL_POOL),
                               (self.on_b("/api/users/%s/grants"), "default")):
                r = self.api.post(path % user, json_body={"pool": pool, "use": ["disks"]})
                self.assertStatus(r, 201)
            users[t] = (user, harness.token_client(self.d, user, pw)[0])
        (u1, one), (u2, two) = users["1"], users["2"]
        vm = self.guest_on(URI_B, "op1")
        self.assertStatus(self.api.post(self.on_b("/api/users/%s/grants" % u1),
                                        json_body={"vm": vm}), 201)
        # The second operator may not name the first's VM on B.
        r = two.post(self.on_b("/api/backups/jobs"), json_body={
            "name": TAG + "-op2", "schedule": {"every": "day", "at": "03:00"}, "vms": [vm],
            "pool": LOCAL_POOL, "keep": 1})
        self.assertIn("no VM named", self.assertError(r, 400)["message"])
        # Nor through an item naming its host, from a request about the local host.
        r = two.post("/api/backups/jobs", json_body={
            "name": TAG + "-op2", "schedule": {"every": "day", "at": "03:00"},
            "vms": [{"vm": vm, "host": self.b["name"]}], "pool": LOCAL_POOL, "keep": 1})
        self.assertIn("no VM named", self.assertError(r, 400)["message"])
        j = self.job(TAG + "-op1", [vm], keep=1, api=one, query="?host=" + self.b["name"])
        t = self.run_job(j["name"], api=one)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["host"]["name"], self.b["name"])
        [b] = self.backups(api=one)
        self.assertEqual(b["host"]["name"], self.b["name"])
        # Two sees none of it, on B or anywhere.
        self.assertEqual(self.backups(api=two), [])
        self.assertEqual(self.backups("?host=" + self.b["name"], api=two), [])
        self.assertError(two.get("/api/backups/%d" % b["id"]), 404)
        self.assertError(two.post("/api/backups/%d/restore" % b["id"],
                                  json_body={"name": vm + "-2"}), 404)
        self.assertError(two.get("/api/backups/jobs/" + j["name"]), 404)
        self.assertError(two.post("/api/backups/jobs/%s/run" % j["name"]), 404)
        # One restores it onto B, as a VM of theirs, into a pool of theirs
        # only (a pool named in the body is checked as the gate checks one).
        new = vm + "-r"
        r = one.post(self.on_b("/api/backups/%d/restore" % b["id"]),
                     json_body={"name": new, "pool": TAG + "-not-granted"})
        self.assertIn(TAG + "-not-granted", self.assertError(r, 404)["message"])
        self.assertNotIn(new, lab.domain_names(URI_B))
        self.addCleanup(self.remove_restored, URI_B, new)
        r = one.post("/api/backups/%d/restore" % b["id"], json_body={"name": new})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json(), api=one)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertStatus(one.get(self.on_b("/api/vms/" + new)), 200)
        self.assertError(two.get(self.on_b("/api/vms/" + new)), 404)
        # Its disk is theirs on B (volume owners are per host).
        xml = lab.virsh(URI_B, "dumpxml", new, "--inactive")
        [disk] = [os.path.basename(p) for p in re.findall(r"<source file='([^']+)'", xml)
                  if os.path.basename(p).startswith(new)]
        path = "/api/pools/default/volumes/" + disk
        self.assertStatus(one.get(self.on_b(path)), 200)
        self.assertError(two.get(self.on_b(path)), 404)

    def test_5_running_vm_on_b_copied_at_one_instant(self):
        vm = self.guest_on(URI_B, "run", start=True)
        self.assertTrue(lab.wait_marker(URI_B, vm, timeout=120), "the guest did not boot")
        before = volumes(URI_B)
        j = self.job(TAG + "-j5", [vm], query="?host=" + self.b["name"])
        t = self.run_job(j["name"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(lab.domain_state(URI_B, vm), "running")
        [b] = self.backups("?job=" + j["name"])
        self.assertEqual(b["host"]["name"], self.b["name"])
        # No scratch copy is left on B, none was made on the local host.
        self.assertEqual(volumes(URI_B), before)
        self.assertEqual([v for v in volumes(harness.URI, LOCAL_POOL) if "scratch" in v], [])
        # The copy restores onto B and boots.
        new = vm + "-r"
        self.addCleanup(self.remove_restored, URI_B, new)
        r = self.api.post("/api/backups/%d/restore" % b["id"],
                          json_body={"name": new, "start": True})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertTrue(lab.wait_marker(URI_B, new, timeout=120), "the restored guest did not boot")

    def test_6_import_archive_onto_b(self):
        vm = self.guest_on(URI_B, "imp")
        want = volume_sha256(URI_B, "default", vm + ".img")
        r = self.api.get(self.on_b("/api/vms/%s/export" % vm), timeout=120)
        self.assertStatus(r, 200)
        new = vm + "-i"
        self.addCleanup(self.remove_restored, URI_B, new)
        doms_local = virsh_local("list", "--all", "--name").split()
        r = self.api.request("POST", self.on_b("/api/vms/import-archive?pool=default&name=" + new),
                             body=r.body, headers={"Content-Type": "application/x-tar"},
                             timeout=120)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["host"]["name"], self.b["name"])
        self.assertIn(new, lab.domain_names(URI_B))
        self.assertEqual(virsh_local("list", "--all", "--name").split(), doms_local)
        xml = lab.virsh(URI_B, "dumpxml", new, "--inactive")
        paths = [os.path.basename(p) for p in re.findall(r"<source file='([^']+)'", xml)]
        [disk] = [p for p in paths if p.startswith(new)]
        self.assertEqual(volume_sha256(URI_B, "default", disk), want)

    def test_7_host_removed(self):
        # Last: B is removed and added again (a new id). Its backups stay,
        # their host null; a restore then names where (409 without), and a
        # job's run fails for the VM whose host is gone.
        vm = self.guest_on(URI_B, "gone")
        j = self.job(TAG + "-j7", [vm], query="?host=" + self.b["name"])
        t = self.run_job(j["name"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        [b] = self.backups("?job=" + j["name"])
        self.assertStatus(self.api.delete("/api/hosts/%d" % self.b["id"]), 204)
        type(self).b = self.add_lab_host(TAG + "-b2", URI_B)
        self.assertIsNone(self.api.get("/api/backups/%d" % b["id"]).json()["host"])
        self.assertEqual(self.api.get("/api/backups/jobs/" + j["name"]).json()["vms"][0]["host"],
                         None)
        new = vm + "-r"
        r = self.api.post("/api/backups/%d/restore" % b["id"], json_body={"name": new})
        self.assertIn("?host=", self.assertError(r, 409)["message"])
        self.addCleanup(self.remove_restored, URI_B, new)
        r = self.api.post(self.on_b("/api/backups/%d/restore" % b["id"]), json_body={"name": new})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertIn(new, lab.domain_names(URI_B))
        t = self.run_job(j["name"])
        self.assertEqual(t["state"], "failed", repr(t))
        self.assertIn("removed", t["error"]["message"])


if __name__ == "__main__":
    unittest.main()
