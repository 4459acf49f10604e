"""Creating VMs over HTTP on the real libvirtd (POST /api/vms): the bootable
disk image of the test guest (tests/guest/build-disk.sh) copied into a dir
pool in a temporary folder, a template whose disk clones it, a VM made from
the template with start=true (a copy, so a task with progress) that reaches
the serial marker; a copy that cannot fit is a 507 before anything is made;
rollback when a step fails half-way (a start on an inactive network, inside
the task) leaves no volume, no domain and no inventory row; the
operator who creates a VM owns it; bad specs are 400s naming the field."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import harness
from test_storage import IMAGES, MIB, StorageTestCase, remove_pool
from test_tasks import TaskHelpers

PID = os.getpid()


def build_disk():
    subprocess.run(["sh", os.path.join(harness.GUEST_SCRIPTS, "build-disk.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(harness.GUEST_DIR, "disk.img")


def live_uuids():
    return set(harness.virsh("list", "--all", "--uuid", check=False).split())


class CreateTestCase(TaskHelpers, StorageTestCase):
    """A dir pool holding base.img, the bootable test disk."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            shutil.copyfile(build_disk(), os.path.join(cls.dir, "base.img"))
            os.chmod(os.path.join(cls.dir, "base.img"), 0o644)
            r = cls.api.post("/api/pools/%s/refresh" % cls.pool)
            if r.status != 200:
                raise AssertionError("refreshing pool %s failed: %r" % (cls.pool, r))
        except Exception:
            cls.tearDownClass()
            raise

    def volumes(self, pool=None):
        r = self.api.get("/api/pools/%s/volumes" % (pool or self.pool))
        self.assertStatus(r, 200)
        return sorted(v["name"] for v in r.json()["volumes"])

    def meta_uuids(self):
        db = sqlite3.connect(os.path.join(self.daemon.tmp, "vireo.db"))
        try:
            return {row[0] for row in db.execute("SELECT uuid FROM vm_meta")}
        finally:
            db.close()

    def assertNothingLeft(self, name, volumes_before, meta_before, pool=None):
        self.assertFalse(harness.domain_exists(name), "domain %s left behind" % name)
        self.assertEqual(self.volumes(pool), volumes_before, "volumes left behind")
        stray = self.meta_uuids() - meta_before - live_uuids()
        self.assertEqual(stray, set(), "inventory rows left behind")

    def inactive_network(self, tag):
        """An isolated network that is defined, never started (a start on it fails)."""
        net = "vst%d-%s" % (PID, tag)
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write("<network><name>%s</name></network>" % net)
        try:
            harness.virsh("net-define", f.name)
        finally:
            os.unlink(f.name)
        self.addCleanup(harness.virsh, "net-undefine", net, check=False)
        return net

    def template(self, tag, spec):
        name = "%s%s" % (harness.PREFIX, tag)
        r = self.api.post("/api/templates", json_body={"name": name, "spec": spec})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/templates/" + name)
        return name


class BootTest(CreateTestCase):
    def test_template_clone_boots_to_marker(self):
        tpl = self.template("tiny", {"vcpus": 1, "memory": 128, "graphics": "none",
                                     "disks": [{"clone": "%s/base.img" % self.pool}]})
        name = self.new_name("boot")
        # A copy is long work: the create answers 202 with a task.
        r = self.api.post("/api/vms", json_body={"name": name, "template": tpl, "start": True})
        self.assertStatus(r, 202)
        task = r.json()
        self.assertEqual(r.header("Location"), "/api/tasks/%d" % task["id"])
        self.assertEqual((task["kind"], task["target"]), ("create", name))
        seen = []
        task = self.wait_task(self.api, task["id"], seen=seen)
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.assertEqual(task["result"], "/api/vms/" + name)
        self.assertEqual(task["progress"], 100)
        self.assertEqual(seen, sorted(seen), "progress never goes back")
        r = self.api.get(task["result"])
        self.assertStatus(r, 200)
        self.assertETag(r)
        vm = r.json()
        self.assertEqual(vm["name"], name)
        self.assertEqual(vm["state"], "running")
        self.assertEqual(vm["memory"], 128)
        self.assertEqual(len(vm["disks"]), 1)
        self.assertEqual(vm["disks"][0]["bus"], "virtio")
        self.assertIn("%s-disk0.img" % name, self.volumes())
        self.wait_marker(name, timeout=90)
        r = self.api.delete("/api/vms/%s?force=true&volumes=true" % name)
        self.assertStatus(r, 204)
        self.assertNotIn("%s-disk0.img" % name, self.volumes())

    def test_overrides_overlay_and_existing_volume(self):
        tpl = self.template("ovl", {"vcpus": 1, "memory": 64, "graphics": "none",
                                    "disks": [{"pool": self.pool, "size": MIB}]})
        name = self.new_name("ovl")
        self.addCleanup(self.api.delete, "/api/pools/%s/volumes/%s-disk0.qcow2" % (self.pool, name))
        r = self.api.post("/api/vms", json_body={
            "name": name, "template": tpl, "memory": 96,
            "disks": [{"backing": "%s/base.img" % self.pool},
                      {"volume": "%s/base.img" % self.pool, "bus": "sata"}]})
        self.assertStatus(r, 201)
        vm = r.json()
        self.assertEqual(vm["memory"], 96)
        self.assertEqual(vm["state"], "shutoff")
        self.assertEqual([(d["target"], d["format"]) for d in vm["disks"]],
                         [("vda", "qcow2"), ("sda", "raw")])
        r = self.api.get("/api/pools/%s/volumes/%s-disk0.qcow2" % (self.pool, name))
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["backing"].endswith("/base.img"))
        # Deleting the VM with its volumes removes the overlay; base.img is
        # a disk of this VM too, so keep it by deleting without volumes.
        self.assertStatus(self.api.delete("/api/vms/" + name), 204)


    def test_uefi_firmware(self):
        # OVMF is installed by `make deps`: libvirt picks its firmware from
        # the descriptors in /usr/share/qemu/firmware.
        name = self.new_name("uefi")
        r = self.api.post("/api/vms", json_body={
            "name": name, "vcpus": 1, "memory": 128, "graphics": "none", "firmware": "uefi",
            "disks": [{"pool": self.pool, "size": MIB, "format": "raw"}], "start": True})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["state"], "running")
        live = harness.virsh("dumpxml", name)
        self.assertRegex(live, r"<loader[^>]*>[^<]*(OVMF|edk2)[^<]*</loader>")
        self.assertStatus(self.api.delete("/api/vms/%s?force=true&volumes=true" % name), 204)


class RollbackTest(CreateTestCase):
    def test_copy_that_cannot_fit_is_507_before_anything(self):
        small = tempfile.mkdtemp(prefix=harness.PREFIX + "crfull-", dir=IMAGES)
        self.addCleanup(shutil.rmtree, small, True)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0711", "tmpfs", small],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: %s" % p.stdout.decode())
        self.addCleanup(subprocess.run, ["umount", small])
        full = harness.PREFIX + "crfull"
        self.addCleanup(remove_pool, full)
        r = self.api.post("/api/pools", json_body={"name": full, "type": "dir", "path": small})
        self.assertStatus(r, 201)
        before, meta = self.volumes(), self.meta_uuids()
        name = self.new_name("full")
        # The copy needs more than the 4 MiB pool has: refused before
        # anything is made (and before a task would be queued).
        r = self.api.post("/api/vms", json_body={
            "name": name, "vcpus": 1, "memory": 64,
            "disks": [{"pool": self.pool, "size": MIB, "format": "raw"},
                      {"clone": "%s/base.img" % self.pool, "pool": full}]})
        self.assertError(r, 507)
        self.assertIn("disks[1]", r.json()["error"]["message"])
        self.assertNothingLeft(name, before, meta)
        self.assertEqual(self.volumes(full), [])

    def test_start_failure_rolls_back(self):
        net = self.inactive_network("crdown")
        before, meta = self.volumes(), self.meta_uuids()
        name = self.new_name("nostart")
        r = self.api.post("/api/vms", json_body={
            "name": name, "vcpus": 1, "memory": 64, "graphics": "none", "start": True,
            "disks": [{"clone": "%s/base.img" % self.pool}, {"pool": self.pool, "size": MIB}],
            "nics": [{"network": net}]})
        # The copy makes it a task; the start fails inside it, after the
        # volumes, the definition and the inventory row were made.
        self.assertStatus(r, 202)
        task = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(task["state"], "failed", repr(task))
        self.assertIn("did not start", task["error"]["message"])
        self.assertIsNone(task["result"])
        self.assertNothingLeft(name, before, meta)

    def test_clashes_are_409_before_anything_is_made(self):
        before = self.volumes()
        name = self.new_name("clash")
        r = self.api.post("/api/vms", json_body={
            "name": name, "vcpus": 1, "memory": 64,
            "disks": [{"pool": self.pool, "size": MIB}, {"pool": self.pool, "size": MIB,
                                                         "name": "base.img"}]})
        self.assertError(r, 409)
        self.assertIn("disks[1]", r.json()["error"]["message"])
        self.assertEqual(self.volumes(), before)
        harness.define_xml(name)
        r = self.api.post("/api/vms", json_body={"name": name, "vcpus": 1, "memory": 64})
        self.assertError(r, 409)


class SpecTest(CreateTestCase):
    def test_bad_values_name_the_field(self):
        name = self.new_name("bad")
        base = {"name": name, "vcpus": 1, "memory": 64}
        cases = [
            ({"vcpus": 0}, "vcpus"), ({"vcpus": 100000}, "vcpus"), ({"memory": 8}, "memory"),
            ({"memory": 1 << 31}, "memory"), ({"name": 'a<b&"c'}, "name"), ({"name": ""}, "name"),
            ({"cpu_mode": "host-passthrough"}, "cpu_mode"), ({"cpu_mode": "x"}, "cpu_mode"),
            ({"firmware": "coreboot"}, "firmware"), ({"machine": "nope-machine"}, "machine"),
            ({"graphics": "spice"}, "graphics"), ({"boot": ["floppy"]}, "boot"),
            ({"boot": ["cdrom"]}, "cdrom"), ({"disks": [{"pool": self.pool}]}, "disks[0]"),
            ({"disks": [{"pool": self.pool, "size": -1}]}, "disks[0]"),
            ({"disks": [{"pool": self.pool, "size": MIB, "format": "iso"}]}, "disks[0]"),
            ({"disks": [{"pool": "nope-pool", "size": MIB}]}, "disks[0].pool"),
            ({"disks": [{"volume": "%s/nope" % self.pool}]}, "disks[0]"),
            ({"disks": [{"clone": "nope"}]}, "disks[0]"),
            ({"disks": [{"volume": "a/b", "clone": "a/b"}]}, "disks[0]"),
            ({"cdrom": "%s/missing.iso" % self.pool}, "cdrom"),
            ({"nics": [{"network": "vst%d-none" % PID}]}, "nics[0].network"),
            ({"nics": [{"network": "default", "mac": "01:00:00:00:00:01"}]}, "nics[0]"),
            ({"nics": [{"network": "default", "model": "ne2k"}]}, "nics[0]"),
            ({"nics": [{}]}, "nics[0]"), ({"template": "nope-template"}, "template"),
            ({"extra": 1}, "extra"), ({"start": "yes"}, "start"),
        ]
        for change, field in cases:
            body = dict(base, **change)
            r = self.api.post("/api/vms", json_body=body)
            self.assertError(r, 400)
            self.assertIn(field, r.json()["error"]["message"], repr((change, r)))
        self.assertFalse(harness.domain_exists(name))
        r = self.api.post("/api/vms", json_body={"vcpus": 1, "memory": 64})
        self.assertError(r, 400)

    def test_operator_owns_what_they_create_viewer_cannot(self):
        user, pw = harness.make_user(self.daemon, "crop", "operator")
        op, _ = harness.token_client(self.daemon, user, pw)
        name = self.new_name("owned")
        r = op.post("/api/vms", json_body={"name": name, "vcpus": 1, "memory": 64})
        self.assertStatus(r, 201)
        r = op.get("/api/vms?fields=name")
        self.assertIn(name, [v["name"] for v in r.json()["vms"]])
        self.assertStatus(op.delete("/api/vms/" + name), 204)
        viewer, vpw = harness.make_user(self.daemon, "crview", "viewer")
        vc, _ = harness.token_client(self.daemon, viewer, vpw)
        r = vc.post("/api/vms", json_body={"name": name, "vcpus": 1, "memory": 64})
        self.assertError(r, 403)
        self.assertFalse(harness.domain_exists(name))


if __name__ == "__main__":
    unittest.main()
