"""VM snapshots over HTTP on the real libvirtd, with the TCG test guest on a
qcow2 disk (its bootable raw image converted with qemu-img): a disk-only
snapshot of the shut-off VM, a disk attached afterwards is gone after the
revert; a memory snapshot of the running guest (a task) and its revert
ends running; the tree (parents, children, depth, current) and a delete
that keeps the children; raw disks and wrong memory choices are 409 with a
clear message; bad names 400; a VM with snapshots deletes; audit entries
name VM and snapshot; access: another operator gets 404, a viewer may list
but not change."""

import os
import re
import shutil
import subprocess
import time

import harness
from test_create import CreateTestCase, build_disk
from test_storage import MIB, q


def make_qcow2(raw, path):
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, path], check=True)
    os.chmod(path, 0o644)


class SnapshotTestCase(CreateTestCase):
    """A dir pool holding the bootable test disk raw (base.img) and as
    qcow2 (base.qcow2)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            make_qcow2(build_disk(), os.path.join(cls.dir, "base.qcow2"))
            assert cls.api.post("/api/pools/%s/refresh" % q(cls.pool)).status == 200
        except Exception:
            cls.tearDownClass()
            raise

    def own_volume(self, name, source="base.qcow2"):
        """A private copy of a test disk, as a volume of the pool."""
        shutil.copyfile(os.path.join(self.dir, source), os.path.join(self.dir, name))
        os.chmod(os.path.join(self.dir, name), 0o644)
        self.assertStatus(self.api.post("/api/pools/%s/refresh" % q(self.pool)), 200)
        return "%s/%s" % (self.pool, name)

    def make_vm(self, tag, volume, api=None, keep=False, **extra):
        name = harness.unique_name(tag) if keep else self.new_name(tag)
        body = {"name": name, "vcpus": 1, "memory": 128, "graphics": "none",
                "disks": [{"volume": volume}]}
        body.update(extra)
        r = (api or self.api).post("/api/vms", json_body=body)
        self.assertStatus(r, 201, "creating %s" % name)
        return name

    def uefi_vm_run_once(self, tag):
        """A shut-off UEFI VM on a qcow2 copy of the test disk whose NVRAM
        OVMF wrote once (its boot entries): (name, NVRAM path, its bytes,
        libvirt's template for it)."""
        src = self.make_vm(tag, self.own_volume(tag + "-src.qcow2"), firmware="uefi",
                           start=True)
        live = harness.virsh("dumpxml", src)
        nvram = re.search(r"<nvram template='([^']+)'>([^<]+)</nvram>", live)
        self.assertIsNotNone(nvram, live)
        template, path = nvram.group(1), nvram.group(2)
        with open(template, "rb") as f:
            fresh = f.read()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with open(path, "rb") as f:
                if f.read() != fresh:
                    break
            time.sleep(1)
        self.action(src, "poweroff")
        self.wait_state(src, "shutoff")
        with open(path, "rb") as f:
            written = f.read()
        self.assertNotEqual(written, fresh, "OVMF wrote nothing: the test shows nothing")
        return src, path, written, template

    def snaps(self, vm, api=None):
        r = (api or self.api).get("/api/vms/%s/snapshots" % vm)
        self.assertStatus(r, 200)
        return r.json()

    def snapshot(self, vm, body, status=201, api=None):
        r = (api or self.api).post("/api/vms/%s/snapshots" % vm, json_body=body)
        self.assertStatus(r, status, "snapshot %r of %s" % (body, vm))
        if status == 202:
            t = self.wait_task(self.api, r.json()["id"])
            self.assertEqual(t["state"], "succeeded", repr(t))
            return t
        return r.json()

    def revert(self, vm, snap):
        r = self.api.post("/api/vms/%s/snapshots/%s/revert" % (vm, snap))
        self.assertStatus(r, 202)
        self.assertEqual(r.json()["kind"], "revert")
        t = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["result"], "/api/vms/" + vm)
        return t


class SnapshotTest(SnapshotTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.the_vm = None

    def setUp(self):
        # One guest for the class's tests, made on first use.
        if SnapshotTest.the_vm is None:
            SnapshotTest.the_vm = self.make_vm("snap", self.own_volume("snap.qcow2"), keep=True)
            self.addClassCleanup(harness.remove_domain, SnapshotTest.the_vm)

    def test_1_disk_snapshot_revert_takes_the_change_back(self):
        vm = self.the_vm
        s = self.snapshot(vm, {"name": "clean", "description": "fresh <install> & all"})
        self.assertEqual(s["name"], "clean")
        self.assertEqual(s["description"], "fresh <install> & all")
        self.assertEqual((s["state"], s["memory"], s["parent"], s["current"]),
                         ("shutoff", False, None, True))
        self.assertRegex(s["created_at"], r"^\d{4}-\d\d-\d\dT")
        # A change after the snapshot: one more disk.
        r = self.api.post("/api/vms/%s/disks" % vm, json_body={"pool": self.pool, "size": MIB})
        self.assertStatus(r, 201)
        self.assertEqual(len(self.vm(vm)["disks"]), 2)
        self.revert(vm, "clean")
        after = self.vm(vm)
        self.assertEqual([d["target"] for d in after["disks"]], ["vda"])
        self.assertEqual(after["state"], "shutoff")
        # Audit: VM and snapshot named.
        r = self.api.get("/api/audit?action=vm.snapshot.&limit=5")
        self.assertStatus(r, 200)
        targets = {(e["action"], e["target"]) for e in r.json()["entries"]}
        self.assertIn(("vm.snapshot.revert", "%s/clean" % vm), targets)
        self.assertIn(("vm.snapshot.create", "%s/clean" % vm), targets)

    def test_2_memory_snapshot_of_a_running_guest(self):
        vm = self.the_vm
        self.action(vm, "start")
        self.wait_marker(vm, timeout=90)
        # A running VM's internal snapshot always holds its memory.
        r = self.api.post("/api/vms/%s/snapshots" % vm, json_body={"name": "x", "memory": False})
        self.assertIn("memory", self.assertError(r, 409)["message"])
        r = self.api.post("/api/vms/%s/snapshots" % vm, json_body={"name": "live"})
        self.assertStatus(r, 202)
        self.assertEqual((r.json()["kind"], r.json()["target"]), ("snapshot", "%s/live" % vm))
        t = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["result"], "/api/vms/%s/snapshots/live" % vm)
        s = self.api.get(t["result"]).json()
        self.assertEqual((s["state"], s["memory"], s["parent"]), ("running", True, "clean"))
        self.action(vm, "poweroff")
        self.wait_state(vm, "shutoff")
        # A revert to a snapshot with memory ends with the guest running.
        self.revert(vm, "live")
        self.assertEqual(self.vm(vm)["state"], "running")
        # ... and to one without, shut off.
        self.revert(vm, "clean")
        self.assertEqual(self.vm(vm)["state"], "shutoff")
        # A shut-off VM has no memory to keep.
        r = self.api.post("/api/vms/%s/snapshots" % vm, json_body={"name": "y", "memory": True})
        self.assertIn("no memory", self.assertError(r, 409)["message"])

    def test_3_tree_and_delete_keeps_children(self):
        vm = self.the_vm
        self.revert(vm, "live")
        self.action(vm, "poweroff")
        self.wait_state(vm, "shutoff")
        self.snapshot(vm, {"name": "mid"})
        self.snapshot(vm, {"name": "leaf"})
        doc = self.snaps(vm)
        self.assertEqual(doc["current"], "leaf")
        order = [(s["name"], s["depth"], s["parent"]) for s in doc["snapshots"]]
        self.assertEqual(order, [("clean", 0, None), ("live", 1, "clean"), ("mid", 2, "live"),
                                 ("leaf", 3, "mid")])
        self.assertEqual(doc["snapshots"][1]["children"], ["mid"])
        r = self.api.delete("/api/vms/%s/snapshots/mid" % vm)
        self.assertStatus(r, 204)
        self.assertError(self.api.get("/api/vms/%s/snapshots/mid" % vm), 404)
        live = self.api.get("/api/vms/%s/snapshots/live" % vm).json()
        self.assertEqual(live["children"], ["leaf"])
        leaf = self.api.get("/api/vms/%s/snapshots/leaf" % vm).json()
        self.assertEqual((leaf["parent"], leaf["current"]), ("live", True))
        self.assertError(self.api.delete("/api/vms/%s/snapshots/mid" % vm), 404)

    def test_4_bad_requests(self):
        vm = self.the_vm
        for name in ("", "-x", "a/b", "a b", "x" * 65):
            r = self.api.post("/api/vms/%s/snapshots" % vm, json_body={"name": name})
            self.assertIn("name", self.assertError(r, 400)["message"])
        self.assertError(self.api.post("/api/vms/%s/snapshots" % vm, json_body={}), 400)
        self.assertError(self.api.post("/api/vms/%s/snapshots" % vm,
                                       json_body={"name": "z", "extra": 1}), 400)
        r = self.api.post("/api/vms/%s/snapshots" % vm, json_body={"name": "clean"})
        self.assertIn("clean", self.assertError(r, 409)["message"])
        self.assertError(self.api.post("/api/vms/%s/snapshots/nope/revert" % vm), 404)
        self.assertError(self.api.get("/api/vms/%s-none/snapshots" % vm), 404)


class SnapshotRulesTest(SnapshotTestCase):
    def test_raw_disk_is_409_naming_it(self):
        vm = self.make_vm("raw", self.own_volume("raw.img", "base.img"))
        r = self.api.post("/api/vms/%s/snapshots" % vm, json_body={"name": "s"})
        msg = self.assertError(r, 409)["message"]
        self.assertIn("vda", msg)
        self.assertIn("raw", msg)
        self.assertIn("qcow2", msg)
        self.assertEqual(self.snaps(vm)["snapshots"], [])

    def test_delete_vm_with_snapshots(self):
        vm = self.make_vm("del", self.own_volume("del.qcow2"))
        self.snapshot(vm, {"name": "one"})
        self.snapshot(vm, {"name": "two"})
        r = self.api.delete("/api/vms/%s?volumes=true" % vm)
        self.assertStatus(r, 204)
        self.assertFalse(harness.domain_exists(vm))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "del.qcow2")))

    def test_access(self):
        d = self.daemon
        users = {}
        for tag, role in (("a", "operator"), ("b", "operator"), ("v", "viewer")):
            user, pw = harness.make_user(d, "snap-" + tag, role)
            users[tag] = (user, harness.token_client(d, user, pw)[0])
        r = self.api.post("/api/users/%s/grants" % users["a"][0],
                          json_body={"pool": self.pool, "use": ["disks"]})
        self.assertStatus(r, 201)
        a = users["a"][1]
        name = self.new_name("acc")
        r = a.post("/api/vms", json_body={"name": name, "vcpus": 1, "memory": 32,
                                          "graphics": "none",
                                          "disks": [{"pool": self.pool, "size": MIB}]})
        self.assertStatus(r, 201)
        self.snapshot(name, {"name": "mine"}, api=a)
        b = users["b"][1]
        for method, path in (("GET", "snapshots"), ("POST", "snapshots"),
                             ("GET", "snapshots/mine"), ("POST", "snapshots/mine/revert"),
                             ("DELETE", "snapshots/mine"), ("POST", "clone")):
            body = {"name": "b-try"} if method == "POST" and not path.endswith("revert") else None
            r = b.request(method, "/api/vms/%s/%s" % (name, path), json_body=body)
            self.assertError(r, 404)
        harness.grant(d, users["v"][0], name)
        v = users["v"][1]
        self.assertEqual([s["name"] for s in self.snaps(name, api=v)["snapshots"]], ["mine"])
        self.assertError(v.post("/api/vms/%s/snapshots" % name, json_body={"name": "v"}), 403)
        self.assertError(v.post("/api/vms/%s/snapshots/mine/revert" % name), 403)
        self.assertError(v.delete("/api/vms/%s/snapshots/mine" % name), 403)
        self.assertStatus(a.delete("/api/vms/%s/snapshots/mine" % name), 204)
        self.assertStatus(a.delete("/api/vms/%s?volumes=true" % name), 204)
