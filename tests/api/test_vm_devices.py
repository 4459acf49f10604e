"""/api/vms/{name}/disks and /nics on the real libvirtd: attach a new or an
existing volume (cold, and hot-plugged into the running test guest, whose
kernel sees it), detach (optionally deleting the volume, never one another VM
uses), CD-ROM drive, media change and eject, NICs on isolated test networks
(attach, link down/up, move to another network, detach), and the 4xx cases.
Networks are isolated (no <forward>), and no traffic is ever sent."""

import os
import re
import shutil
import tempfile
import time

import harness
from test_events import EventStream

MIB = 1024 * 1024


def domblklist(name, inactive=False):
    out = harness.virsh("domblklist", name, *(["--inactive"] if inactive else []))
    return {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}


def domiflist(name, inactive=False):
    out = harness.virsh("domiflist", name, *(["--inactive"] if inactive else []))
    # Interface Type Source Model MAC
    return {line.split()[-1]: line.split()[2] for line in out.splitlines() if line.strip()}


def serial_text(name):
    try:
        with open(harness.serial_log(name), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def make_iso(path):
    """An ISO 9660 volume as far as libvirt's probe goes: the CD001 magic of
    the primary volume descriptor at 32769 (no genisoimage on this host)."""
    with open(path, "wb") as f:
        f.truncate(64 * 1024)
        f.seek(32768)
        f.write(b"\x01CD001\x01")
    os.chmod(path, 0o644)


class DevicesBase(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pool = harness.PREFIX + "devpool"
        cls.pool_dir = tempfile.mkdtemp(prefix=harness.PREFIX + "dev-", dir="/var/lib/libvirt/images")
        os.chmod(cls.pool_dir, 0o755)
        r = cls.api.post("/api/pools", json_body={"name": cls.pool, "type": "dir",
                                                  "path": cls.pool_dir})
        if r.status != 201:
            raise AssertionError("pool: %r" % r)
        cls.nets = []

    @classmethod
    def tearDownClass(cls):
        harness.virsh("pool-destroy", cls.pool, check=False)
        harness.virsh("pool-undefine", cls.pool, check=False)
        shutil.rmtree(cls.pool_dir, ignore_errors=True)
        for n in cls.nets:
            harness.virsh("net-destroy", n, check=False)
            harness.virsh("net-undefine", n, check=False)

    @classmethod
    def network(cls, tag):
        name = "vst%d-%s" % (os.getpid(), tag)
        r = cls.api.post("/api/networks", json_body={"name": name, "mode": "isolated", "start": True})
        if r.status != 201:
            raise AssertionError("network %s: %r" % (name, r))
        cls.nets.append(name)
        return name

    def volume(self, name, capacity=MIB, fmt="raw"):
        r = self.api.post("/api/pools/%s/volumes" % self.pool,
                          json_body={"name": name, "capacity": capacity, "format": fmt})
        self.assertStatus(r, 201)
        return "%s/%s" % (self.pool, name)

    def volumes(self):
        r = self.api.get("/api/pools/%s/volumes" % self.pool)
        self.assertStatus(r, 200)
        return sorted(v["name"] for v in r.json()["volumes"])

    def start_guest(self, name):
        self.action(name, "start")
        self.wait_marker(name)

    def wait_for(self, what, check, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.3)
        self.fail("timed out waiting for " + what)


class DiskTest(DevicesBase):
    def test_cold_attach_list_detach(self):
        name = self.guest("disks")
        base = "/api/vms/%s/disks" % name
        events = EventStream(self.daemon, self.daemon.token)
        self.addCleanup(events.close)
        r = self.api.post(base, json_body={"pool": self.pool, "size": MIB, "format": "qcow2"})
        self.assertStatus(r, 201)
        # libvirt raises no event for a definition change: vireod does.
        events.wait_for(name, "devices", timeout=10)
        d = r.json()
        self.assertEqual((d["target"], d["device"], d["bus"], d["format"]),
                         ("vda", "disk", "virtio", "qcow2"))
        self.assertEqual(d["volume"], "%s/%s-vda.qcow2" % (self.pool, name))
        self.assertEqual(r.header("Location"), "%s/vda" % base)
        self.assertIn("vda", domblklist(name, inactive=True))

        existing = self.volume("existing.img")
        r = self.api.post(base, json_body={"volume": existing, "bus": "sata"})
        self.assertStatus(r, 201)
        self.assertEqual((r.json()["target"], r.json()["bus"], r.json()["volume"]),
                         ("sda", "sata", existing))
        r = self.api.get(base)
        self.assertStatus(r, 200)
        self.assertEqual([x["target"] for x in r.json()["disks"]], ["vda", "sda"])
        self.assertEqual(self.api.get(base + "/sda").json()["volume"], existing)
        self.assertEqual([x["target"] for x in self.vm(name)["disks"]], ["vda", "sda"])

        with self.subTest("the same volume twice is 409"):
            r = self.api.post(base, json_body={"volume": existing})
            self.assertError(r, 409)
            self.assertIn("already", r.json()["error"]["message"])
        with self.subTest("a volume another VM uses is 409"):
            other = self.guest("disks-other")
            r = self.api.post("/api/vms/%s/disks" % other, json_body={"volume": existing})
            self.assertError(r, 409)
            self.assertIn(name, r.json()["error"]["message"])
            self.assertEqual(domblklist(other, inactive=True), {})

        self.assertStatus(self.api.delete(base + "/sda"), 204)
        self.assertNotIn("sda", domblklist(name, inactive=True))
        self.assertIn("existing.img", self.volumes(), "detach without volume=true deleted it")
        self.assertStatus(self.api.delete(base + "/vda?volume=true"), 204)
        self.assertEqual(domblklist(name, inactive=True), {})
        self.assertNotIn("%s-vda.qcow2" % name, self.volumes())
        self.assertError(self.api.delete(base + "/vda"), 404)
        self.assertError(self.api.get(base + "/vda"), 404)

        with self.subTest("every change is in the audit log"):
            entries = self.api.get("/api/audit?limit=1000").json()["entries"]
            done = {(e["method"], e["path"], e["status"]) for e in entries}
            for want in (("POST", base, 201), ("DELETE", base + "/sda", 204),
                         ("DELETE", base + "/vda", 204), ("POST", base, 409)):
                self.assertIn(want, done)

    def test_attach_errors_change_nothing(self):
        name = self.guest("diskerr")
        base = "/api/vms/%s/disks" % name
        vol = self.volume("err.img")
        self.assertStatus(self.api.post(base, json_body={"volume": vol}), 201)
        before_vols = self.volumes()
        before_xml = harness.virsh("dumpxml", name, "--inactive")
        cases = [
            ("unknown pool", {"pool": harness.PREFIX + "nopool", "size": MIB}, 400, "pool"),
            ("unknown volume", {"volume": self.pool + "/nope.img"}, 400, "volume"),
            ("volume without pool", {"volume": "nope.img"}, 400, "volume"),
            ("no source", {}, 400, "volume"),
            ("both sources", {"volume": vol, "pool": self.pool, "size": MIB}, 400, "volume"),
            ("pool without size", {"pool": self.pool}, 400, "size"),
            ("size zero", {"pool": self.pool, "size": 0}, 400, "size"),
            ("size string", {"pool": self.pool, "size": "1G"}, 400, "size"),
            ("bad format", {"pool": self.pool, "size": MIB, "format": "iso"}, 400, "format"),
            ("bad bus", {"pool": self.pool, "size": MIB, "bus": "floppy"}, 400, "bus"),
            ("bad device", {"device": "tape"}, 400, "device"),
            ("bad target", {"pool": self.pool, "size": MIB, "target": "xyz1"}, 400, "target"),
            ("taken target", {"pool": self.pool, "size": MIB, "target": "vda"}, 409, "vda"),
            ("unknown member", {"pool": self.pool, "size": MIB, "colour": 1}, 400, "colour"),
            ("cdrom with a size", {"device": "cdrom", "size": MIB}, 400, "CD-ROM"),
        ]
        for label, body, status, word in cases:
            with self.subTest(label):
                r = self.api.post(base, json_body=body)
                self.assertError(r, status)
                self.assertIn(word, r.json()["error"]["message"])
        self.assertEqual(self.volumes(), before_vols, "a failed attach left a volume behind")
        self.assertEqual(harness.virsh("dumpxml", name, "--inactive"), before_xml)
        self.assertError(self.api.post("/api/vms/%snope/disks" % harness.PREFIX,
                                       json_body={"volume": vol}), 404)
        self.assertError(self.api.get("/api/vms/%snope/disks" % harness.PREFIX), 404)
        self.assertError(self.api.delete(base + "/vda?volume=maybe"), 400)
        self.assertError(self.api.delete(base + "/vda?force=true"), 400)

        with self.subTest("volume=true never deletes a volume another VM uses"):
            other = harness.define_xml(harness.unique_name("diskerr-b"), devices=(
                "<disk type='file' device='disk'><source file='%s/err.img'/>"
                "<target dev='vdb' bus='virtio'/></disk>" % self.pool_dir))
            self.addCleanup(harness.remove_domain, other)
            r = self.api.delete(base + "/vda?volume=true")
            self.assertError(r, 409)
            self.assertIn(other, r.json()["error"]["message"])
            self.assertIn("vda", domblklist(name, inactive=True))
            self.assertIn("err.img", self.volumes())

    def test_if_match_and_access(self):
        name = self.guest("diskacl")
        base = "/api/vms/%s/disks" % name
        etag = self.assertETag(self.api.get("/api/vms/" + name))
        self.assertStatus(self.api.patch("/api/vms/" + name, {"description": "changed"}), 200)
        r = self.api.post(base, json_body={"pool": self.pool, "size": MIB},
                          headers={"If-Match": etag})
        self.assertError(r, 412)
        self.assertEqual(domblklist(name, inactive=True), {})
        etag = self.assertETag(self.api.get("/api/vms/" + name))
        r = self.api.post(base, json_body={"pool": self.pool, "size": MIB},
                          headers={"If-Match": etag})
        self.assertStatus(r, 201)
        user, pw = harness.make_user(self.daemon, "diskop", "operator")
        op, _ = harness.token_client(self.daemon, user, pw)
        self.assertError(op.get(base), 404)
        self.assertError(op.post(base, json_body={"pool": self.pool, "size": MIB}), 404)
        self.assertError(op.delete(base + "/vda"), 404)
        self.assertIn("vda", domblklist(name, inactive=True))

    def test_hotplug_into_running_guest(self):
        name = self.guest("hotplug")
        base = "/api/vms/%s/disks" % name
        self.start_guest(name)
        events = EventStream(self.daemon, self.daemon.token)
        self.addCleanup(events.close)
        r = self.api.post(base, json_body={"pool": self.pool, "size": 2 * MIB, "format": "raw"})
        self.assertStatus(r, 201)
        events.wait_for(name, "devices")
        self.assertEqual(r.json()["target"], "vda")
        self.assertIn("vda", domblklist(name), "not in the live XML")
        self.assertIn("vda", domblklist(name, inactive=True), "not in the definition")
        # The guest kernel's virtio-blk driver announces the new disk on ttyS0.
        self.wait_for("the guest kernel to see the disk",
                      lambda: re.search(r"\[vda\] \d+ 512-byte logical blocks", serial_text(name)))
        with self.subTest("sata cannot be hot-plugged"):
            r = self.api.post(base, json_body={"pool": self.pool, "size": MIB, "bus": "sata"})
            self.assertError(r, 409)
            self.assertNotIn("sda", domblklist(name))
        with self.subTest("a CD-ROM drive only while off"):
            self.assertError(self.api.post(base, json_body={"device": "cdrom"}), 409)
        with self.subTest("hot-unplug"):
            self.assertStatus(self.api.delete(base + "/vda?volume=true"), 204)
            events.wait_for(name, "devices")
            self.assertNotIn("vda", domblklist(name))
            self.assertNotIn("vda", domblklist(name, inactive=True))
            self.assertNotIn("%s-vda.img" % name, self.volumes())
        self.action(name, "poweroff")


class CdromTest(DevicesBase):
    def test_cdrom_drive_media_and_eject(self):
        name = self.guest("cdrom")
        base = "/api/vms/%s/disks" % name
        make_iso(os.path.join(self.pool_dir, "tiny.iso"))
        make_iso(os.path.join(self.pool_dir, "other.iso"))
        self.assertStatus(self.api.post("/api/pools/%s/refresh" % self.pool), 200)
        r = self.api.post(base, json_body={"device": "cdrom", "bus": "ide"})
        self.assertStatus(r, 201)
        cd = r.json()
        self.assertEqual((cd["device"], cd["target"], cd["source"], cd["volume"]),
                         ("cdrom", "hda", None, None))
        r = self.api.patch(base + "/hda", {"media": self.pool + "/tiny.iso"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["volume"], self.pool + "/tiny.iso")
        self.assertEqual(domblklist(name, inactive=True)["hda"],
                         os.path.join(self.pool_dir, "tiny.iso"))

        self.start_guest(name)
        r = self.api.patch(base + "/hda", {"media": None})
        self.assertStatus(r, 200)
        self.assertIsNone(r.json()["source"])
        self.assertEqual(domblklist(name)["hda"], "-")
        self.assertEqual(domblklist(name, inactive=True)["hda"], "-")
        r = self.api.patch(base + "/hda", {"media": self.pool + "/other.iso"})
        self.assertStatus(r, 200)
        self.assertEqual(domblklist(name)["hda"], os.path.join(self.pool_dir, "other.iso"))
        self.assertEqual(domblklist(name, inactive=True)["hda"],
                         os.path.join(self.pool_dir, "other.iso"))

        with self.subTest("bad media requests"):
            for body, status in (({"media": "nope"}, 400), ({"media": self.pool + "/none.iso"}, 400),
                                 ({"media": 5}, 400), ({}, 400), ({"media": None, "x": 1}, 400)):
                self.assertError(self.api.patch(base + "/hda", body), status)
            self.assertError(self.api.patch(base + "/hdz", {"media": None}), 404)
            self.assertError(self.api.delete(base + "/hda?volume=true"), 400)
            self.assertIn("other.iso", self.volumes())
        self.action(name, "poweroff")
        self.wait_state(name, "shutoff")
        self.assertStatus(self.api.delete(base + "/hda"), 204)
        self.assertEqual(domblklist(name, inactive=True), {})

    def test_media_on_a_disk_is_400(self):
        name = self.guest("cdrom-disk")
        base = "/api/vms/%s/disks" % name
        self.assertStatus(self.api.post(base, json_body={"pool": self.pool, "size": MIB}), 201)
        r = self.api.patch(base + "/vda", {"media": None})
        self.assertError(r, 400)
        self.assertIn("CD-ROM", r.json()["error"]["message"])


class NicTest(DevicesBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.net1 = cls.network("nic1")
        cls.net2 = cls.network("nic2")

    def test_nics_on_running_guest(self):
        name = self.guest("nics")
        base = "/api/vms/%s/nics" % name
        self.start_guest(name)
        r = self.api.post(base, json_body={"network": self.net1})
        self.assertStatus(r, 201)
        nic = r.json()
        mac = nic["mac"]
        self.assertRegex(mac, r"^52:54:00(:[0-9a-f]{2}){3}$")
        self.assertEqual((nic["type"], nic["source"], nic["model"], nic["link"]),
                         ("network", self.net1, "virtio", "up"))
        self.assertEqual(r.header("Location"), "%s/%s" % (base, mac))
        self.assertEqual(domiflist(name).get(mac), self.net1, "not hot-plugged")
        self.assertEqual(domiflist(name, inactive=True).get(mac), self.net1)

        r = self.api.patch(base + "/" + mac, {"link": "down"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["link"], "down")
        self.assertIn("down", harness.virsh("domif-getlink", name, mac))
        self.assertStatus(self.api.patch(base + "/" + mac.upper(), {"link": "up"}), 200)
        self.assertIn("up", harness.virsh("domif-getlink", name, mac))

        r = self.api.patch(base + "/" + mac, {"network": self.net2})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["source"], self.net2)
        self.assertEqual(domiflist(name).get(mac), self.net2)
        self.assertEqual(domiflist(name, inactive=True).get(mac), self.net2)

        with self.subTest("4xx"):
            cases = [
                ({"network": self.net1, "mac": mac}, 409, mac),
                ({"network": self.net1, "mac": "52:54:00:zz:00:01"}, 400, "mac"),
                ({"network": self.net1, "mac": "01:54:00:00:00:01"}, 400, "multicast"),
                ({"network": harness.PREFIX + "nonet"}, 400, "network"),
                ({"bridge": "vireo-no-br0"}, 400, "bridge"),
                ({"network": self.net1, "bridge": "br0"}, 400, "both"),
                ({}, 400, "network"),
                ({"network": self.net1, "model": "ne2k"}, 400, "model"),
                ({"network": self.net1, "link": "sideways"}, 400, "link"),
                ({"network": self.net1, "vlan": 5}, 400, "vlan"),
            ]
            for body, status, word in cases:
                r = self.api.post(base, json_body=body)
                self.assertError(r, status)
                self.assertIn(word, r.json()["error"]["message"])
            self.assertError(self.api.patch(base + "/" + mac, {"link": "off"}), 400)
            self.assertError(self.api.patch(base + "/" + mac, {"network": "nope-" + harness.PREFIX}), 400)
            self.assertError(self.api.patch(base + "/52:54:00:00:00:00", {"link": "up"}), 404)
            self.assertError(self.api.delete(base + "/52:54:00:00:00:00"), 404)
            self.assertEqual(len(self.api.get(base).json()["nics"]), 1)

        self.assertStatus(self.api.delete(base + "/" + mac), 204)
        self.wait_for("the NIC to leave the guest", lambda: mac not in domiflist(name))
        self.assertNotIn(mac, domiflist(name, inactive=True))
        self.action(name, "poweroff")

    def test_cold_nic_with_mac_and_model(self):
        name = self.guest("nics-cold")
        base = "/api/vms/%s/nics" % name
        mac = "52:54:00:%02x:%02x:7e" % (os.getpid() % 256, (os.getpid() >> 8) % 256)
        r = self.api.post(base, json_body={"network": self.net1, "mac": mac.upper(),
                                           "model": "e1000", "link": "down"})
        self.assertStatus(r, 201)
        self.assertEqual((r.json()["mac"], r.json()["model"], r.json()["link"]), (mac, "e1000", "down"))
        self.assertEqual(self.api.get(base + "/" + mac).json()["mac"], mac)
        other = self.guest("nics-cold-b")
        r = self.api.post("/api/vms/%s/nics" % other, json_body={"network": self.net1, "mac": mac})
        self.assertError(r, 409)
        self.assertIn(name, r.json()["error"]["message"])
        self.assertStatus(self.api.delete(base + "/" + mac), 204)
        self.assertEqual(self.api.get(base).json()["nics"], [])


if __name__ == "__main__":
    import unittest
    unittest.main()
