"""Tasks on another libvirt host (docs/hosts.md), on the two-host lab
(tests/hosts/lab.sh): a task keeps the host of its request, works through
that host's connection, and says which host it is on (`host`, and
`GET /api/tasks?host=`). On lab host B, through a vireod whose local host is
the system libvirtd: a create (a copy: a task) lands on B only; a clone,
snapshots (create, revert as a task, delete) and a volume clone are done
on B; a create naming a pool or a network that only host A has is refused
and leaves B as it was; two operators on B do not see or touch each
other's VMs and tasks. No guest boots: every VM here stays shut off.

The lab is shared with other work on this machine: run under the lab's
lock (flock /tmp/vireo-lab.lock sh tests/api/run.sh test_hosts_tasks); it
is brought up when it is down and never taken down here."""

import os
import shutil
import sqlite3
import tempfile
import time
import unittest
import urllib.parse

import harness
import lab
import test_hosts
from test_events import EventStream

TAG = "hosts-tasks-%d" % os.getpid()
FINAL = ("succeeded", "failed", "cancelled")


def setUpModule():
    global URI_A, URI_B
    test_hosts.setUpModule()
    URI_A, URI_B = test_hosts.URI_A, test_hosts.URI_B


def volumes(uri, pool="default"):
    return sorted(l.split()[0] for l in lab.virsh(uri, "vol-list", pool).splitlines()
                  if l.strip())


class HostsTasksTest(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon("hoststasks", extra_args=["--stats-interval-seconds", "0"])
        cls.d.start()
        cls.api = cls.d.client()
        try:
            cls.a = cls.add_host(TAG + "-a", URI_A)
            cls.b = cls.add_host(TAG + "-b", URI_B)
            # The source every copy on B starts from.
            cls.base = TAG + "-base.qcow2"
            lab.virsh(URI_B, "vol-create-as", "default", cls.base, "1M", "--format", "qcow2")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        lab.virsh(URI_B, "vol-delete", "--pool", "default", TAG + "-base.qcow2", check=False)
        for h in ("b", "a"):
            if hasattr(cls, h):
                cls.api.delete("/api/hosts/%d" % getattr(cls, h)["id"])
        cls.d.stop()

    @classmethod
    def add_host(cls, name, uri):
        r = cls.api.post("/api/hosts", json_body={"name": name, "uri": uri})
        if r.status != 201:
            raise AssertionError("adding host %s failed: %r" % (name, r))
        host = r.json()
        # Connected in the background: wait until its VMs list.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if cls.api.get("/api/hosts/%d" % host["id"]).json()["state"] == "connected":
                return host
            time.sleep(0.1)
        raise AssertionError("host %s did not connect" % name)

    def on_b(self, path, api=None):
        sep = "&" if "?" in path else "?"
        return "%s%shost=%s" % (path, sep, self.b["name"])

    def wait_task(self, task, api=None, timeout=60):
        api = api or self.api
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = api.get("/api/tasks/%d" % task["id"])
            self.assertStatus(r, 200)
            t = r.json()
            if t["state"] in FINAL:
                return t
            time.sleep(0.05)
        self.fail("task %d did not end: %r" % (task["id"], t))

    def assertOnB(self, task):
        self.assertEqual(task["host"], {"id": self.b["id"], "name": self.b["name"]})

    def task_ids(self, api, query=""):
        r = api.get("/api/tasks" + query)
        self.assertStatus(r, 200)
        return [t["id"] for t in r.json()["tasks"]]

    def vm_on_b(self, tag):
        """A stopped guest defined on B with a 4 MiB qcow2 disk (removed after)."""
        name = "%s-%s" % (TAG, tag)
        self.addCleanup(lab.remove_guest, name)
        lab.define_guest(name, URI_B, disk_mib=4, start=False)
        self.wait_listed(name)
        return name

    def wait_listed(self, name, api=None):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = (api or self.api).get(self.on_b("/api/vms/" + name))
            if r.status == 200:
                return r.json()
            time.sleep(0.1)
        self.fail("%s never listed on B" % name)

    def remove_vm_on_b(self, name):
        """The VM and the volumes it has on B, by the API (as a user would)."""
        self.api.delete(self.on_b("/api/vms/%s?force=true&volumes=true" % name))
        lab.remove_guest(name)

    def test_create_on_b_is_a_task_on_b(self):
        name = TAG + "-made"
        self.addCleanup(self.remove_vm_on_b, name)
        vols_a = volumes(URI_A)
        r = self.api.post(self.on_b("/api/vms"), json_body={
            "name": name, "vcpus": 1, "memory": 64, "graphics": "none",
            "disks": [{"clone": "default/" + self.base}]})
        self.assertStatus(r, 202)
        self.assertOnB(r.json())
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertOnB(t)
        self.assertEqual(t["result"], "/api/vms/%s?host=%d" % (name, self.b["id"]))
        # On B, and nowhere else.
        self.assertEqual(lab.domain_state(URI_B, name), "shut off")
        self.assertNotIn(name, lab.domain_names(URI_A))
        self.assertFalse(harness.domain_exists(name))
        self.assertEqual(volumes(URI_A), vols_a)
        self.assertIn(name + "-disk0.qcow2", volumes(URI_B))
        vm = self.api.get(t["result"]).json()
        self.assertEqual(vm["host"]["name"], self.b["name"])
        # ?host= filters the list; every task carries its host.
        self.assertIn(t["id"], self.task_ids(self.api, "?host=" + self.b["name"]))
        self.assertNotIn(t["id"], self.task_ids(self.api, "?host=%d" % self.a["id"]))
        self.assertError(self.api.get("/api/tasks?host=" + TAG + "-none"), 404)

    def meta_uuids(self):
        db = sqlite3.connect(os.path.join(self.d.tmp, "vireo.db"))
        try:
            return {row[0] for row in db.execute("SELECT uuid FROM vm_meta")}
        finally:
            db.close()

    def test_failure_on_b_leaves_nothing(self):
        # A network B has but that is not started: the start at the end of
        # the create's task fails, after the copy, the definition and the
        # inventory row were made on B. All are undone there.
        net = TAG + "-down"
        lab.define_network(URI_B, net)
        self.addCleanup(lab.virsh, URI_B, "net-undefine", net, check=False)
        name = TAG + "-nostart"
        self.addCleanup(self.remove_vm_on_b, name)
        before, meta = (volumes(URI_B), lab.domain_names(URI_B)), self.meta_uuids()
        r = self.api.post(self.on_b("/api/vms"), json_body={
            "name": name, "vcpus": 1, "memory": 64, "graphics": "none", "start": True,
            "disks": [{"clone": "default/" + self.base}], "nics": [{"network": net}]})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "failed", repr(t))
        self.assertOnB(t)
        self.assertIn("did not start", t["error"]["message"])
        self.assertEqual((volumes(URI_B), lab.domain_names(URI_B)), before)
        # No inventory row of its own is left (others' may have gone meanwhile).
        self.assertEqual(self.meta_uuids() - meta, set())

    def test_refused_when_b_lacks_the_pool_or_network(self):
        # A pool and a network that host A has and host B does not.
        pool, net = TAG + "-pa", TAG + "-na"
        target = tempfile.mkdtemp(prefix=TAG + "-pa-")
        self.addCleanup(shutil.rmtree, target, True)
        lab.virsh(URI_A, "pool-create-as", pool, "dir", "--target", target)
        self.addCleanup(lab.virsh, URI_A, "pool-destroy", pool, check=False)
        lab.define_network(URI_A, net, how="net-create")
        self.addCleanup(lab.virsh, URI_A, "net-destroy", net, check=False)
        name = TAG + "-refused"
        self.addCleanup(self.remove_vm_on_b, name)
        before = volumes(URI_B), lab.domain_names(URI_B)
        spec = {"name": name, "vcpus": 1, "memory": 64, "graphics": "none"}
        # As on one host, a name in the body that the host lacks is a bad
        # request naming the field.
        for extra, words in (({"disks": [{"pool": pool, "size": 1 << 20}]},
                              "disks[0].pool: no storage pool named '%s'" % pool),
                             ({"disks": [{"clone": "default/" + self.base}],
                               "nics": [{"network": net}]},
                              "nics[0].network: no network named '%s'" % net)):
            r = self.api.post(self.on_b("/api/vms"), json_body=dict(spec, **extra))
            self.assertEqual(self.assertError(r, 400, "invalid_argument")["message"], words)
            self.assertEqual((volumes(URI_B), lab.domain_names(URI_B)), before)
        # The same names are fine on A.
        on_a = "/api/vms/%s?host=%d&volumes=true" % (name, self.a["id"])
        self.addCleanup(self.api.delete, on_a)
        r = self.api.post("/api/vms?host=%d" % self.a["id"], json_body=dict(
            spec, disks=[{"pool": pool, "size": 1 << 20}], nics=[{"network": net}]))
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["host"]["name"], self.a["name"])
        self.assertStatus(self.api.delete(on_a), 204)
        self.assertNotIn(name, lab.domain_names(URI_A))

    def test_clone_and_snapshots_on_b(self):
        src = self.vm_on_b("src")
        clone = TAG + "-copy"
        self.addCleanup(self.remove_vm_on_b, clone)
        r = self.api.post(self.on_b("/api/vms/%s/clone" % src), json_body={"name": clone})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertOnB(t)
        self.assertEqual(lab.domain_state(URI_B, clone), "shut off")
        self.assertNotIn(clone, lab.domain_names(URI_A))
        self.assertFalse(harness.domain_exists(clone))
        # An edit of it on B shows in B's list at once.
        r = self.api.patch(self.on_b("/api/vms/" + clone), {"description": "the copy"})
        self.assertStatus(r, 200)
        listed = {v["name"]: v for v in self.api.get(self.on_b("/api/vms")).json()["vms"]}
        self.assertEqual(listed[clone]["description"], "the copy")
        # Snapshots of the source, on B (a shut-off VM's is made at once; a
        # revert is a task). Their events, and the task's, name host B.
        stream = EventStream(self.d, self.d.token)
        self.addCleanup(stream.close)
        stream.opened()
        snaps = self.on_b("/api/vms/%s/snapshots" % src)
        r = self.api.post(snaps, json_body={"name": "s1"})
        self.assertStatus(r, 201)
        edited = stream.wait_for(src, "edited")
        self.assertEqual(edited["host"]["name"], self.b["name"])
        self.assertEqual(lab.virsh(URI_B, "snapshot-list", src, "--name").split(), ["s1"])
        r = self.api.post(self.on_b("/api/vms/%s/snapshots/s1/revert" % src))
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual((t["kind"], t["state"]), ("revert", "succeeded"), repr(t))
        self.assertOnB(t)
        ended = stream.wait_frame(lambda f: f["event"] == "task" and f["data"]["id"] == t["id"]
                                  and f["data"]["state"] == "succeeded", what="the revert's end")
        self.assertOnB(ended["data"])
        self.assertStatus(self.api.delete(self.on_b("/api/vms/%s/snapshots/s1" % src)), 204)
        self.assertEqual(lab.virsh(URI_B, "snapshot-list", src, "--name").split(), [])

    def test_volume_clone_on_b(self):
        name = TAG + "-vc.qcow2"
        self.addCleanup(lab.virsh, URI_B, "vol-delete", "--pool", "default", name, check=False)
        vols_a = volumes(URI_A)
        r = self.api.post(self.on_b("/api/pools/default/volumes/%s/clone" % self.base),
                          json_body={"name": name})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertOnB(t)
        self.assertEqual(t["result"], "/api/pools/default/volumes/%s?host=%d" % (
            urllib.parse.quote(name), self.b["id"]))
        self.assertIn(name, volumes(URI_B))
        self.assertEqual(volumes(URI_A), vols_a)
        self.assertStatus(self.api.get(t["result"]), 200)

    def test_backup_job_names_vms_of_b(self):
        # A job's VMs are looked up on the request's host and kept with it
        # (docs/backups.md; the runs are tested in test_hosts_backups). The
        # archives' pool is the local host's: one only B has is refused.
        src = self.vm_on_b("bk")
        body = {"name": TAG, "schedule": {"every": "day", "at": "03:00"}, "vms": [src],
                "pool": "default", "keep": 1}
        r = self.api.post(self.on_b("/api/backups/jobs"), json_body=body)
        self.assertIn("pool", self.assertError(r, 400)["message"])
        self.assertError(self.api.post("/api/backups/jobs", json_body=body), 400)
        self.assertEqual(self.api.get("/api/backups/jobs").json()["jobs"], [])

    def test_two_operators_on_b(self):
        users = {}
        for tag in ("1", "2"):
            user, pw = harness.make_user(self.d, "ht" + tag, "operator")
            # Both may make disks in B's default pool: only VM grants differ.
            r = self.api.post(self.on_b("/api/users/%s/grants" % user),
                              json_body={"pool": "default", "use": ["disks", "media"]})
            self.assertStatus(r, 201)
            users[tag] = harness.token_client(self.d, user, pw)[0]
        one, two = users["1"], users["2"]
        name = TAG + "-op1"
        self.addCleanup(self.remove_vm_on_b, name)
        r = one.post(self.on_b("/api/vms"), json_body={
            "name": name, "vcpus": 1, "memory": 64, "graphics": "none",
            "disks": [{"clone": "default/" + self.base}]})
        self.assertStatus(r, 202)
        made = self.wait_task(r.json(), api=one)
        self.assertEqual(made["state"], "succeeded", repr(made))
        self.assertOnB(made)
        # The second operator sees neither the VM nor the task.
        self.assertError(two.get(self.on_b("/api/vms/" + name)), 404)
        self.assertError(two.get("/api/tasks/%d" % made["id"]), 404)
        self.assertNotIn(made["id"], self.task_ids(two, "?host=" + self.b["name"]))
        self.assertIn(made["id"], self.task_ids(one, "?host=" + self.b["name"]))
        # ... and may not clone or snapshot it.
        other = TAG + "-op2"
        self.addCleanup(self.remove_vm_on_b, other)
        self.assertError(two.post(self.on_b("/api/vms/%s/clone" % name),
                                  json_body={"name": other}), 404)
        self.assertError(two.post(self.on_b("/api/vms/%s/snapshots" % name),
                                  json_body={"name": "s"}), 404)
        self.assertNotIn(other, lab.domain_names(URI_B))
        self.assertEqual(lab.virsh(URI_B, "snapshot-list", name, "--name").split(), [])
        # Its owner may, on B: the clone is a task of theirs.
        r = one.post(self.on_b("/api/vms/%s/clone" % name), json_body={"name": other})
        self.assertStatus(r, 202)
        t = self.wait_task(r.json(), api=one)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertOnB(t)
        self.assertNotIn(t["id"], self.task_ids(two))
        self.assertEqual(lab.domain_state(URI_B, other), "shut off")


if __name__ == "__main__":
    unittest.main()
