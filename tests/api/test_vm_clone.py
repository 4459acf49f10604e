"""Cloning VMs over HTTP on the real libvirtd (POST /api/vms/{vm}/clone):
a full clone of the TCG test guest on a raw disk (a task) and a linked
clone of one on qcow2 both boot to the serial marker, with a new UUID, new
MACs, their own serial logs, the description and tags kept and the cloner
as owner; the linked clone's disk is an overlay on the source's old disk,
which the source no longer writes (it moved onto an overlay of its own and
still boots); a cancelled full clone leaves no volume, VM or inventory row;
a UEFI clone gets a copy of its source's NVRAM (byte for byte) and starts;
a running source, raw disks for a linked clone and a taken name are 409; an
operator may not clone a VM they may not see (404) nor into a pool they
were not granted (403)."""

import os

import harness
from test_snapshots import SnapshotTestCase
from test_storage import MIB, q, qemu_img_info

PID = os.getpid()


class CloneTest(SnapshotTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.network = "vst%d-clone" % PID
        r = cls.api.post("/api/networks", json_body={"name": cls.network, "mode": "isolated",
                                                     "start": True})
        if r.status != 201:
            cls.tearDownClass()
            raise AssertionError("network: %r" % r)

    @classmethod
    def tearDownClass(cls):
        harness.virsh("net-destroy", getattr(cls, "network", "-"), check=False)
        harness.virsh("net-undefine", getattr(cls, "network", "-"), check=False)
        super().tearDownClass()

    def source(self, tag, disk="base.img"):
        ext = os.path.splitext(disk)[1]
        name = self.make_vm(tag, self.own_volume(tag + "-src" + ext, disk),
                            nics=[{"network": self.network}])
        r = self.api.patch("/api/vms/" + name,
                           json_body={"description": "the source", "tags": ["web", "blue"]})
        self.assertStatus(r, 200)
        return name

    def clone(self, src, body, status):
        r = self.api.post("/api/vms/%s/clone" % src, json_body=body)
        self.assertStatus(r, status, "clone of %s" % src)
        self.addCleanup(harness.remove_domain, body["name"])
        return r

    def assertIsClone(self, src, clone):
        a, b = self.vm(src), self.vm(clone)
        self.assertNotEqual(a["uuid"], b["uuid"])
        self.assertNotEqual([n["mac"] for n in a["nics"]], [n["mac"] for n in b["nics"]])
        self.assertEqual([n["network"] if "network" in n else n.get("source")
                          for n in b["nics"]], [self.network])
        self.assertEqual(b["description"], "the source")
        self.assertEqual(b["tags"], ["web", "blue"])
        self.assertIn(b["uuid"], harness.serial_log(clone))
        self.assertNotEqual(harness.serial_log(src), harness.serial_log(clone))
        return b

    def test_full_clone_boots(self):
        src = self.source("full")
        name = harness.PREFIX + "full-copy"
        r = self.clone(src, {"name": name, "start": True}, 202)
        self.assertEqual((r.json()["kind"], r.json()["target"]), ("vm-clone", name))
        seen = []
        t = self.wait_task(self.api, r.json()["id"], seen=seen)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(t["result"], "/api/vms/" + name)
        self.assertEqual(seen, sorted(seen))
        vm = self.assertIsClone(src, name)
        self.assertEqual(vm["state"], "running")
        self.assertTrue(vm["disks"][0]["source"].endswith("/%s-disk0.img" % name), vm["disks"])
        self.wait_marker(name, timeout=90)
        self.assertEqual(self.vm(src)["disks"][0]["source"],
                         os.path.join(self.dir, "full-src.img"))
        # Taken name, running source.
        self.assertError(self.api.post("/api/vms/%s/clone" % src, json_body={"name": name}), 409)
        r = self.api.post("/api/vms/%s/clone" % name, json_body={"name": name + "-2"})
        self.assertIn("shut", self.assertError(r, 409)["message"])
        self.assertError(self.api.post("/api/vms/%s/clone" % src, json_body={"name": "a/b"}), 400)
        r = self.api.post("/api/vms/%s/clone" % src, json_body={"name": "x", "linked": True})
        self.assertIn("qcow2", self.assertError(r, 409)["message"])

    def test_linked_clone_boots_and_the_source_still_does(self):
        src = self.source("lnk", "base.qcow2")
        base = os.path.join(self.dir, "lnk-src.qcow2")
        name = harness.PREFIX + "lnk-copy"
        r = self.clone(src, {"name": name, "linked": True, "start": True}, 201)
        self.assertEqual(r.header("Location"), "/api/vms/" + name)
        self.assertEqual(r.json()["state"], "running")
        self.assertIsClone(src, name)
        overlay = os.path.join(self.dir, "%s-disk0.qcow2" % name)
        self.assertEqual(self.vm(name)["disks"][0]["source"], overlay)
        self.assertEqual(qemu_img_info(overlay)["backing-filename"], base)
        # The source moved onto an overlay of the same base: nobody writes it.
        moved = self.vm(src)["disks"][0]["source"]
        self.assertNotEqual(moved, base)
        self.assertEqual(qemu_img_info(moved)["backing-filename"], base)
        self.wait_marker(name, timeout=90)
        self.action(src, "start")
        self.wait_marker(src, timeout=90)
        # The base is in use (read-only by both): not deletable.
        r = self.api.delete("/api/pools/%s/volumes/lnk-src.qcow2" % q(self.pool))
        self.assertError(r, 409)

    def test_uefi_clone_gets_the_source_nvram(self):
        # The source runs OVMF once, which writes its boot entries into
        # the NVRAM libvirt made from the template.
        src, path, source_bytes, template = self.uefi_vm_run_once("uefi")
        name = harness.PREFIX + "uefi-copy"
        self.clone(src, {"name": name, "linked": True}, 201)
        copy = os.path.join(os.path.dirname(path), name + "_VARS.fd")
        with open(copy, "rb") as f:
            self.assertTrue(f.read() == source_bytes, "the clone's NVRAM is not the source's")
        # libvirt takes the file as the clone's own and starts it.
        self.action(name, "start")
        self.assertIn("<nvram template='%s'>%s</nvram>" % (template, copy),
                      harness.virsh("dumpxml", name))
        self.assertStatus(self.api.delete("/api/vms/%s?force=true" % name), 204)
        self.assertFalse(os.path.exists(copy), "deleting the clone left its NVRAM")

    def test_cancel_leaves_nothing(self):
        self.file_volume("big.img", 1024 * MIB, random_bytes=False)
        src = self.make_vm("cbig", "%s/big.img" % self.pool)
        before, meta = self.volumes(), self.meta_uuids()
        name = harness.PREFIX + "cbig-copy"
        tid = self.clone(src, {"name": name}, 202).json()["id"]
        t = self.wait_task(self.api, tid, states=("running",) + ("succeeded", "failed",
                                                                 "cancelled"))
        self.assertEqual(t["state"], "running", "the clone ended before it could be cancelled")
        self.assertTrue(t["cancellable"])
        self.assertStatus(self.api.post("/api/tasks/%d/cancel" % tid), 202)
        t = self.wait_task(self.api, tid)
        self.assertEqual(t["state"], "cancelled", repr(t))
        self.assertNothingLeft(name, before, meta)

    def test_scope(self):
        d = self.daemon
        users = {}
        for tag in ("a", "b"):
            user, pw = harness.make_user(d, "clone-" + tag, "operator")
            users[tag] = (user, harness.token_client(d, user, pw)[0])
        r = self.api.post("/api/users/%s/grants" % users["a"][0],
                          json_body={"pool": self.pool, "use": ["disks"]})
        self.assertStatus(r, 201)
        a, b = users["a"][1], users["b"][1]
        src = self.new_name("cscope")
        r = a.post("/api/vms", json_body={"name": src, "vcpus": 1, "memory": 32,
                                         "graphics": "none",
                                         "disks": [{"pool": self.pool, "size": MIB}]})
        self.assertStatus(r, 201)
        name = harness.PREFIX + "cscope-b"
        self.addCleanup(harness.remove_domain, name)
        self.assertError(b.post("/api/vms/%s/clone" % src, json_body={"name": name}), 404)
        harness.grant(d, users["b"][0], src)
        r = b.post("/api/vms/%s/clone" % src, json_body={"name": name, "linked": True})
        self.assertIn(self.pool, self.assertError(r, 403)["message"])
        self.assertFalse(harness.domain_exists(name))
        # A may: the clone is A's.
        name_a = harness.PREFIX + "cscope-a"
        r = self.clone_as(a, src, name_a)
        self.assertStatus(r, 201)
        self.assertIn(name_a, [v["name"] for v in a.get("/api/vms").json()["vms"]])
        self.assertError(b.get("/api/vms/" + name_a), 404)

    def clone_as(self, api, src, name):
        self.addCleanup(harness.remove_domain, name)
        return api.post("/api/vms/%s/clone" % src, json_body={"name": name, "linked": True})
