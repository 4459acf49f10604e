"""Tasks over HTTP on the real libvirtd: a volume clone as a task (progress
up to 100, an identical copy, the task on the event stream), a cancelled
clone that leaves no volume, a format-converting clone, the clone's error
statuses, who may see a task (owner and admins; 404 to others), list
filters and paging, and tasks cut short by a vireod crash marked
"interrupted" at the next start."""

import hashlib
import shutil
import os
import subprocess
import time

import harness
from test_events import EventStream
from test_storage import MIB, StorageTestCase, q

TASK_KEYS = {"id", "kind", "state", "progress", "message", "target", "result", "error", "owner", "host",
             "cancellable", "cancel_requested", "created_at", "started_at", "finished_at"}
FINAL = ("succeeded", "failed", "cancelled")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_file(path, size, random_bytes=True):
    """A file of `size` bytes: random data, or zeros really written (no holes)."""
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 * MIB)
            f.write(os.urandom(n) if random_bytes else b"\0" * n)
            left -= n


class TaskHelpers:
    def wait_task(self, api, task_id, states=FINAL, timeout=120, seen=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = api.get("/api/tasks/%d" % task_id)
            self.assertStatus(r, 200)
            t = r.json()
            if seen is not None:
                seen.append(t["progress"])
            if t["state"] in states:
                return t
            time.sleep(0.05)
        self.fail("task %d did not reach %s within %ss: %r" % (task_id, states, timeout, t))

    def file_volume(self, name, size, random_bytes=True):
        """A volume made by writing its file in the pool's directory."""
        path = os.path.join(self.dir, name)
        write_file(path, size, random_bytes)
        os.chmod(path, 0o644)
        self.assertStatus(self.api.post("/api/pools/%s/refresh" % q(self.pool)), 200)
        return path

    def clone(self, source, body, api=None, status=202):
        r = (api or self.api).post("%s/%s/clone" % (self.vols(), q(source)), json_body=body)
        if status == 202:
            self.assertStatus(r, 202, "cloning %s" % source)
            t = r.json()
            self.assertEqual(set(t), TASK_KEYS)
            self.assertEqual(r.header("Location"), "/api/tasks/%d" % t["id"])
            self.assertEqual(t["kind"], "clone")
            self.assertIn(t["state"], ("queued", "running", "succeeded"))
        return r


class CloneTest(StorageTestCase, TaskHelpers):
    def test_clone_progress_identical_and_on_the_stream(self):
        src = self.file_volume("src.img", 96 * MIB)
        events = EventStream(self.daemon, self.daemon.token)
        self.addCleanup(events.close)
        r = self.clone("src.img", {"name": "copy.img"})
        tid = r.json()["id"]
        seen = []
        t = self.wait_task(self.api, tid, seen=seen)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["progress"], 100)
        self.assertIsNone(t["error"])
        self.assertEqual(t["result"], "%s/%s" % (self.vols(), "copy.img"))
        self.assertEqual(t["owner"], "admin")
        self.assertEqual(t["target"], "%s/src.img" % self.pool)
        self.assertFalse(t["cancellable"])
        self.assertEqual(seen, sorted(seen), "progress went backwards: %r" % seen)
        v = self.api.get(t["result"])
        self.assertStatus(v, 200)
        self.assertEqual(v.json()["capacity"], 96 * MIB)
        self.assertEqual(v.json()["format"], "raw")
        self.assertEqual(sha256_file(src), sha256_file(os.path.join(self.dir, "copy.img")))
        # The stream told the admin how it went, ending with success.
        deadline = time.monotonic() + 10
        states = []
        while time.monotonic() < deadline and "succeeded" not in states:
            for data in events.drain(0.5):
                if data.get("id") == tid:
                    states.append(data["state"])
        self.assertIn("succeeded", states)

    def test_cancel_removes_the_half_made_volume(self):
        # 1 GiB of zeros really written: streamed as data, which takes seconds.
        self.file_volume("big.img", 1024 * MIB, random_bytes=False)
        tid = self.clone("big.img", {"name": "big-copy.img"}).json()["id"]
        t = self.wait_task(self.api, tid, states=("running",) + FINAL)
        self.assertEqual(t["state"], "running", "the clone ended before it could be cancelled")
        r = self.api.post("/api/tasks/%d/cancel" % tid)
        self.assertStatus(r, 202)
        self.assertTrue(r.json()["cancel_requested"])
        t = self.wait_task(self.api, tid)
        self.assertEqual(t["state"], "cancelled", repr(t))
        self.assertEqual(t["error"]["code"], "cancelled")
        self.assertLess(t["progress"], 100)
        self.assertIsNone(t["result"])
        self.assertError(self.api.get("%s/big-copy.img" % self.vols()), 404)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "big-copy.img")))
        # Once ended, it cannot be cancelled again.
        self.assertError(self.api.post("/api/tasks/%d/cancel" % tid), 409)

    def test_clone_with_format_conversion(self):
        src = self.file_volume("conv.img", 8 * MIB)
        tid = self.clone("conv.img", {"name": "conv.qcow2", "format": "qcow2"}).json()["id"]
        t = self.wait_task(self.api, tid)
        self.assertEqual(t["state"], "succeeded", repr(t))
        dst = os.path.join(self.dir, "conv.qcow2")
        info = subprocess.run(["qemu-img", "info", "--force-share", dst], check=True,
                              stdout=subprocess.PIPE).stdout.decode()
        self.assertIn("file format: qcow2", info)
        subprocess.run(["qemu-img", "compare", "-q", "--force-share", "-f", "raw", "-F", "qcow2",
                        src, dst], check=True)

    def test_clone_errors(self):
        self.file_volume("e.img", MIB)
        self.create_volume("taken.img")
        cases = [
            ({"name": "taken.img"}, 409),
            ({"name": "x.img", "pool": harness.PREFIX + "no-such-pool"}, 400),
            ({"name": "x.img", "format": "iso"}, 400),
            ({"name": "x.img", "extra": 1}, 400),
            ({}, 400),
            ({"name": "../x"}, 400),
            ({"name": 5}, 400),
        ]
        for body, status in cases:
            with self.subTest(body=body):
                self.assertError(self.clone("e.img", body, status=None), status)
        r = self.api.post("%s/nope.img/clone" % self.vols(), json_body={"name": "y.img"})
        self.assertError(r, 404)
        r = self.api.post("/api/pools/%s/volumes/e.img/clone" % q(harness.PREFIX + "nopool"),
                          json_body={"name": "y.img"})
        self.assertError(r, 404)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.img")))


class VisibilityTest(StorageTestCase, TaskHelpers):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        cls.operator, op_pw = harness.make_user(d, "toperator", "operator")
        cls.operator_api, _ = harness.token_client(d, cls.operator, op_pw)
        cls.admin2, a2_pw = harness.make_user(d, "tadmin", "admin")
        cls.admin2_api, _ = harness.token_client(d, cls.admin2, a2_pw)

    @classmethod
    def tearDownClass(cls):
        # Other modules count the admins and users: leave none of ours.
        for name in (cls.admin2, cls.operator):
            cls.api.delete("/api/users/" + name)
        super().tearDownClass()

    def test_owner_and_admins_see_a_task_others_get_404(self):
        self.file_volume("vis.img", MIB)
        theirs = EventStream(self.daemon, self.operator_api.token)
        self.addCleanup(theirs.close)
        tid = self.clone("vis.img", {"name": "vis-copy.img"}).json()["id"]
        self.wait_task(self.api, tid)
        # Nor does the operator's event stream tell of it.
        self.assertEqual([e for e in theirs.drain(1.5) if e.get("id") == tid], [])
        path = "/api/tasks/%d" % tid
        self.assertStatus(self.api.get(path), 200)
        self.assertStatus(self.admin2_api.get(path), 200)
        self.assertIn(tid, [t["id"] for t in self.admin2_api.get("/api/tasks").json()["tasks"]])
        self.assertError(self.operator_api.get(path), 404)
        self.assertError(self.operator_api.post(path + "/cancel"), 404)
        self.assertNotIn(tid, [t["id"] for t in
                               self.operator_api.get("/api/tasks").json()["tasks"]])
        # A task that never existed looks the same to everyone.
        for bad in ("999999999", "0", "abc", "-1"):
            self.assertError(self.api.get("/api/tasks/" + bad), 404)

    def test_list_filters_and_paging(self):
        self.file_volume("page.img", MIB)
        ids = [self.clone("page.img", {"name": "page-%d.img" % i}).json()["id"] for i in range(3)]
        for tid in ids:
            self.wait_task(self.api, tid)
        r = self.api.get("/api/tasks?state=succeeded&limit=2")
        self.assertStatus(r, 200)
        page = r.json()
        self.assertEqual(len(page["tasks"]), 2)
        self.assertTrue(all(t["state"] == "succeeded" for t in page["tasks"]))
        self.assertEqual([t["id"] for t in page["tasks"]], sorted([t["id"] for t in page["tasks"]],
                                                                   reverse=True))
        older = self.api.get("/api/tasks?state=succeeded&limit=2&before=%d"
                             % page["next_before"]).json()
        self.assertTrue(all(t["id"] < page["next_before"] for t in older["tasks"]))
        self.assertEqual(self.api.get("/api/tasks?state=running&limit=1000").status, 200)
        for bad in ("state=done", "limit=0", "limit=1001", "before=x", "owner=admin"):
            with self.subTest(query=bad):
                self.assertError(self.api.get("/api/tasks?" + bad), 400)


class RestartedDaemon(harness.Daemon):
    """A second vireod on the inventory of a first one (that is gone)."""

    def __init__(self, first):
        super().__init__("tasks-restarted", extra_args=["--db", os.path.join(first.tmp_kept,
                                                                            "vireo.db")])
        self.first = first

    def command(self):
        cmd = super().command()
        self.admin_password = self.first.admin_password
        return cmd

    def login_admin(self):
        self.token = self.first.token   # the inventory still holds it


class InterruptedTest(StorageTestCase, TaskHelpers):
    def test_tasks_cut_by_a_crash_are_interrupted_at_start(self):
        self.file_volume("crash.img", 1024 * MIB, random_bytes=False)
        first = harness.Daemon("tasks-crash")
        first.start()
        first.tmp_kept = first.tmp
        first.tmp = None   # keep its inventory for the next start
        self.addCleanup(shutil.rmtree, first.tmp_kept, True)
        try:
            api = first.client()
            r = api.post("%s/crash.img/clone" % self.vols(), json_body={"name": "crash-copy.img"})
            self.assertStatus(r, 202)
            tid = r.json()["id"]
            # Killed while the copy runs (bytes already written).
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                t = self.wait_task(api, tid, states=("running",))
                if t["progress"] >= 1:
                    break
                time.sleep(0.02)
            self.assertGreaterEqual(t["progress"], 1, repr(t))
            self.assertTrue(os.path.exists(os.path.join(self.dir, "crash-copy.img")))
        finally:
            first.proc.kill()      # no clean-up: as a crash would
            first.proc.wait()
            first.stop()
        second = RestartedDaemon(first)
        second.start()
        try:
            t = second.client().get("/api/tasks/%d" % tid).json()
            self.assertEqual(t["state"], "failed", repr(t))
            self.assertEqual(t["error"]["code"], "interrupted")
            # The clone wrote down what it was making: once libvirt answers,
            # the next start removes the half-made copy, and the task says so.
            deadline = time.monotonic() + 15
            while "removed" not in t["error"]["message"] and time.monotonic() < deadline:
                time.sleep(0.2)
                t = second.client().get("/api/tasks/%d" % tid).json()
            self.assertEqual(t["error"]["message"], "vireod restarted; removed the half-made "
                             "volume %s/crash-copy.img" % self.pool)
            self.assertIsNotNone(t["finished_at"])
            self.api.post("/api/pools/%s/refresh" % q(self.pool))
            self.assertError(self.api.get("%s/crash-copy.img" % self.vols()), 404)
            self.assertTrue(os.path.exists(os.path.join(self.dir, "crash.img")),
                            "the clone's source was removed")
            self.assertEqual(second.stop(), 0)
        finally:
            second.stop()
