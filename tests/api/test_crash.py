"""A vireod killed (SIGKILL) in the middle of long work leaves nothing
behind once it starts again: a create that copies a disk, an upload, and a
create cut between the definition and its end (the half-made VM is found by
the UUID the create wrote down). Also: the serial logs of VMs named X and
X-serial never collide, since logs are kept by UUID."""

import os
import socket
import sqlite3
import shutil
import time
import uuid

import harness
from test_create import CreateTestCase
from test_storage import MIB
from test_tasks import RestartedDaemon, write_file


class CrashTest(CreateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        write_file(os.path.join(cls.dir, "big.img"), 1024 * MIB, random_bytes=False)
        os.chmod(os.path.join(cls.dir, "big.img"), 0o644)
        cls.api.post("/api/pools/%s/refresh" % cls.pool)

    def first_daemon(self, tag):
        first = harness.Daemon(tag)
        first.start()
        first.tmp_kept = first.tmp
        first.tmp = None   # keep its inventory for the next start
        self.addCleanup(shutil.rmtree, first.tmp_kept, True)
        return first

    def kill(self, d):
        d.proc.kill()      # no clean-up: as a crash would
        d.proc.wait()
        d.stop()

    def restart(self, first):
        second = RestartedDaemon(first)
        second.start()
        self.addCleanup(second.stop)
        return second

    def task_note(self, api, tid, timeout=15):
        """The interrupted task's message, once the restart cleaned up."""
        deadline = time.monotonic() + timeout
        while True:
            t = api.get("/api/tasks/%d" % tid).json()
            if "removed" in t["error"]["message"] or time.monotonic() > deadline:
                return t

    def test_killed_create_leaves_no_volume(self):
        before = self.volumes()
        first = self.first_daemon("crash-create")
        name = self.new_name("crash-create")
        api = first.client()
        r = api.post("/api/vms", json_body={"name": name, "vcpus": 1, "memory": 32,
                                            "graphics": "none",
                                            "disks": [{"clone": self.pool + "/big.img"}]})
        self.assertStatus(r, 202)
        tid = r.json()["id"]
        disk = os.path.join(self.dir, name + "-disk0.img")
        try:
            deadline = time.monotonic() + 60
            while not (os.path.exists(disk) and os.path.getsize(disk) > 0):
                self.assertLess(time.monotonic(), deadline, "the copy never began")
                time.sleep(0.02)
        finally:
            self.kill(first)
        second = self.restart(first)
        t = self.task_note(second.client(), tid)
        self.assertEqual(t["error"]["code"], "interrupted")
        self.assertIn("removed the half-made volume %s/%s-disk0.img" % (self.pool, name),
                      t["error"]["message"])
        self.assertFalse(os.path.exists(disk))
        self.assertFalse(harness.domain_exists(name))
        self.assertEqual(self.volumes(), before)

    def test_killed_upload_leaves_no_volume(self):
        first = self.first_daemon("crash-upload")
        length = 200 * MIB
        s = socket.create_connection(("127.0.0.1", first.port))
        s.sendall(("PUT /api/pools/%s/volumes/up.img/content HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
                   "Content-Length: %d\r\n\r\n" % (self.pool, first.token, length)).encode())
        sent = 0
        try:
            while sent < 50 * MIB:
                s.sendall(b"\x55" * MIB)
                sent += MIB
            tasks = first.client().get("/api/tasks?state=running").json()["tasks"]
            self.assertEqual([t["kind"] for t in tasks], ["upload"])
            tid = tasks[0]["id"]
        finally:
            self.kill(first)
            s.close()
        second = self.restart(first)
        t = self.task_note(second.client(), tid)
        self.assertIn("removed the half-made volume %s/up.img" % self.pool, t["error"]["message"])
        self.api.post("/api/pools/%s/refresh" % self.pool)
        self.assertError(self.api.get("%s/up.img" % self.vols()), 404)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "up.img")))

    def test_vm_defined_by_a_killed_create_is_removed(self):
        # As if vireod died right after defining the VM: the create had
        # written down the UUID it chose before the definition.
        first = self.first_daemon("crash-define")
        first.stop()
        name = self.new_name("crash-define")
        made = str(uuid.uuid4())
        harness.define_xml(name)
        xml = harness.virsh("dumpxml", "--inactive", name).replace(
            harness.domain_uuid(name), made)
        harness.virsh("undefine", name)
        path = os.path.join(first.tmp_kept, "dom.xml")
        with open(path, "w") as f:
            f.write(xml)
        harness.virsh("define", path)
        db = sqlite3.connect(os.path.join(first.tmp_kept, "vireo.db"))
        with db:
            now = int(time.time())
            tid = db.execute("INSERT INTO tasks (kind, state, target, created_at) VALUES "
                             "('create', 'running', ?, ?)", (name, now)).lastrowid
            db.execute("INSERT INTO task_artifacts (task_id, kind, ref, made, created_at) "
                       "VALUES (?, 'domain', ?, 1, ?)", (tid, made, now))
        db.close()
        second = self.restart(first)
        t = self.task_note(second.client(), tid)
        self.assertIn("removed the half-made VM %s" % name, t["error"]["message"])
        self.assertFalse(harness.domain_exists(name))


class SerialLogTest(CreateTestCase):
    def test_x_and_x_serial_both_start(self):
        x = self.new_name("twin")
        for name in (x, x + "-serial"):
            if name != x:
                self.addCleanup(harness.remove_domain, name)
            r = self.api.post("/api/vms", json_body={
                "name": name, "vcpus": 1, "memory": 128, "graphics": "none", "start": True,
                "disks": [{"backing": self.pool + "/base.img"}]})
            self.assertStatus(r, 201, name)
        for name in (x, x + "-serial"):
            self.assertEqual(harness.domain_state(name), "running")
            log = harness.serial_log(name)
            self.assertIn(harness.domain_uuid(name), log)
            self.assertTrue(log.startswith(harness.VIREO_SERIAL_LOG_DIR + "/"))
        self.wait_marker(x)
        self.wait_marker(x + "-serial")
