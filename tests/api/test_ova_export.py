"""OVA export (GET /api/vms/{vm}/export?format=ova) on the real libvirtd,
with the TCG test guest: a shut-off VM with two disks and a NIC exports as
a tar whose first member is an OVF 1.0 descriptor (read here with
xml.etree: the envelope's namespace, the disks' capacities equal the VM's,
vCPUs, memory, a NIC), then streamOptimized VMDKs (qemu-img says so) and a
SHA256 manifest that holds; imported back through POST /api/vms/import it
boots to the serial marker. No scratch file or open descriptor is left,
after a whole download and after a client that hangs up early. A UEFI
VM's descriptor says EFI; a running VM is 409, an unknown format 400, and
an operator gets 404 for another's VM."""

import glob
import hashlib
import http.client
import io
import os
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

import harness
from test_import import post_body
from test_snapshots import SnapshotTestCase
from test_storage import MIB, q, qemu_img_info

OVF = "{http://schemas.dmtf.org/ovf/envelope/1}"
RASD = "{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}"
VMW = "{http://www.vmware.com/schema/ovf}"
PID = os.getpid()


def ova_leftovers(pid):
    """Scratch directories in vireod's TMPDIR and the converted files the
    daemon still holds open."""
    left = glob.glob(os.path.join(tempfile.gettempdir(), "vireo-ova-*"))
    fd_dir = "/proc/%d/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if "vireo-ova-" in target:
            left.append(target)
    return left


def items(hw, resource_type):
    return [i for i in hw.findall(OVF + "Item")
            if i.findtext(RASD + "ResourceType") == str(resource_type)]


class OvaExportTest(SnapshotTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.network = "vst%d-ovaexp" % PID
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

    def export_ova(self, vm, api=None, status=200):
        r = (api or self.api).get("/api/vms/%s/export?format=ova" % q(vm), timeout=300)
        self.assertStatus(r, status, "OVA export of %s" % vm)
        return r

    def assertNothingLeft(self):
        deadline = time.monotonic() + 15
        while ova_leftovers(self.daemon.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(ova_leftovers(self.daemon.proc.pid), [])

    def test_1_ova_imports_back_and_boots(self):
        vol = self.own_volume("ovaexp.img", "base.img")
        src = self.make_vm("ovaexp", vol, vcpus=2, memory=160, nics=[{"network": self.network}],
                           disks=[{"volume": vol},
                                  {"pool": self.pool, "size": 8 * MIB, "format": "qcow2"}])
        sources = [d["source"] for d in self.vm(src)["disks"]]
        capacities = [qemu_img_info(s)["virtual-size"] for s in sources]
        r = self.export_ova(src)
        self.assertEqual(r.header("Content-Disposition"), 'attachment; filename="%s.ova"' % src)
        self.assertEqual(int(r.header("Content-Length")), len(r.body))
        self.assertNothingLeft()
        with tarfile.open(fileobj=io.BytesIO(r.body)) as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            files = {n: tar.extractfile(n).read() for n in names}
        disks = ["%s-disk1.vmdk" % src, "%s-disk2.vmdk" % src]
        self.assertEqual(names, [src + ".ovf"] + disks + [src + ".mf"])
        manifest = files[src + ".mf"].decode().splitlines()
        self.assertEqual(manifest, ["SHA256(%s)= %s" % (n, hashlib.sha256(files[n]).hexdigest())
                                    for n in names[:-1]])

        # The descriptor, read by a parser that is not Vireo's.
        env = ET.fromstring(files[src + ".ovf"])
        self.assertEqual(env.tag, OVF + "Envelope")
        self.assertEqual(env.get(OVF + "version"), "1.0")
        refs = {f.get(OVF + "id"): f for f in env.findall(OVF + "References/" + OVF + "File")}
        ovf_disks = env.findall(OVF + "DiskSection/" + OVF + "Disk")
        self.assertEqual([int(d.get(OVF + "capacity")) for d in ovf_disks], capacities)
        for d, member in zip(ovf_disks, disks):
            f = refs[d.get(OVF + "fileRef")]
            self.assertEqual(f.get(OVF + "href"), member)
            self.assertEqual(int(f.get(OVF + "size")), len(files[member]))
            self.assertTrue(d.get(OVF + "format").endswith("#streamOptimized"))
            self.assertGreater(int(d.get(OVF + "populatedSize")), 0)
        vs = env.find(OVF + "VirtualSystem")
        self.assertEqual(vs.findtext(OVF + "Name"), src)
        hw = vs.find(OVF + "VirtualHardwareSection")
        self.assertEqual(items(hw, 3)[0].findtext(RASD + "VirtualQuantity"), "2")
        self.assertEqual(items(hw, 4)[0].findtext(RASD + "VirtualQuantity"), "160")
        self.assertEqual([i.findtext(RASD + "HostResource") for i in items(hw, 17)],
                         ["ovf:/disk/" + d.get(OVF + "diskId") for d in ovf_disks])
        self.assertEqual([i.findtext(RASD + "Connection") for i in items(hw, 10)],
                         [self.network])
        self.assertEqual(hw.findall(VMW + "Config"), [], "a BIOS VM says no firmware")
        # The disks are what VirtualBox and VMware read: streamOptimized VMDKs.
        with tempfile.NamedTemporaryFile(suffix=".vmdk") as t:
            t.write(files[disks[0]])
            t.flush()
            info = qemu_img_info(t.name)
        self.assertEqual((info["format"], info["virtual-size"]), ("vmdk", capacities[0]))
        self.assertEqual(info["format-specific"]["data"]["create-type"], "streamOptimized")

        # Back in through Vireo's own OVA import, it boots.
        name = self.new_name("ovaback")
        path = "/api/vms/import?" + urllib.parse.urlencode(
            {"name": name, "pool": self.pool, "network": self.network})
        t = post_body(self.api, path, r.body, timeout=300)
        self.assertStatus(t, 202)
        t = self.wait_task(self.api, t.json()["id"], timeout=300)
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        vm = self.vm(name)
        self.assertEqual((vm["vcpus"], vm["memory"]), (2, 160))
        self.assertEqual([qemu_img_info(d["source"])["virtual-size"] for d in vm["disks"]],
                         capacities)
        self.assertEqual([n["source"] for n in vm["nics"]], [self.network])
        self.action(name, "start")
        self.wait_marker(name, timeout=90)

    def test_2_client_gone_leaves_nothing(self):
        src = self.make_vm("ovacut", self.own_volume("ovacut.img", "base.img"))
        conn = http.client.HTTPConnection("127.0.0.1", self.api.port, timeout=120)
        conn.request("GET", "/api/vms/%s/export?format=ova" % q(src),
                     headers={"Authorization": "Bearer " + self.api.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertGreater(int(resp.getheader("Content-Length")), 1024 * 1024)
        self.assertEqual(len(resp.read(4096)), 4096)
        conn.sock.close()
        conn.close()
        self.assertNothingLeft()
        # vireod goes on answering exports.
        self.assertEqual(len(self.export_ova(src).body) % 512, 0)
        self.assertNothingLeft()

    def test_3_uefi_refusals_and_access(self):
        uefi = self.make_vm("ovauefi", self.own_volume("ovauefi.qcow2"), firmware="uefi")
        env = None
        with tarfile.open(fileobj=io.BytesIO(self.export_ova(uefi).body)) as tar:
            env = ET.fromstring(tar.extractfile(tar.getmembers()[0]).read())
        cfg = env.findall(".//" + VMW + "Config")
        self.assertEqual([(c.get(VMW + "key"), c.get(VMW + "value")) for c in cfg],
                         [("firmware", "efi")])
        self.assertError(self.api.get("/api/vms/%s/export?format=zip" % q(uefi)), 400)
        live = self.make_vm("ovalive", self.own_volume("ovalive.img", "base.img"), start=True)
        e = self.assertError(self.export_ova(live, status=409), 409)
        self.assertIn("shut", e["message"])
        user, pw = harness.make_user(self.daemon, "ovaop", "operator")
        op, _ = harness.token_client(self.daemon, user, pw)
        self.assertError(self.export_ova(uefi, api=op, status=404), 404)
        self.assertNothingLeft()

    def test_4_conversion_holds_no_http_thread(self):
        """With one HTTP thread, that thread answers others while an OVA's
        disk converts (the conversion runs on a thread of its own); a
        SIGTERM meanwhile stops the conversion, and nothing is left."""
        big = "ovabig-%d.img" % PID
        with open(os.path.join(self.dir, big), "wb") as f:
            for _ in range(160):  # random bytes: slow to compress
                f.write(os.urandom(MIB))
        self.addCleanup(lambda: os.path.exists(os.path.join(self.dir, big))
                        and os.unlink(os.path.join(self.dir, big)))
        self.assertStatus(self.api.post("/api/pools/%s/refresh" % q(self.pool)), 200)
        src = self.make_vm("ovabig", "%s/%s" % (self.pool, big))
        d = harness.Daemon(name="ova-one-thread", extra_args=["--threads", "1"])
        d.start()
        self.addCleanup(d.stop)
        api = d.client()

        def converting():
            return subprocess.run(["pgrep", "-f", "streamOptimized.*%s" % big],
                                  stdout=subprocess.DEVNULL).returncode == 0

        def begin_export():
            conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=300)
            conn.request("GET", "/api/vms/%s/export?format=ova" % q(src),
                         headers={"Authorization": "Bearer " + d.token})
            deadline = time.monotonic() + 60
            while not converting() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(converting(), "no qemu-img conversion began")
            return conn

        conn = begin_export()
        self.assertStatus(api.get("/api/host"), 200)
        self.assertTrue(converting(), "the answer waited for the conversion")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.read()) % 512, 0)
        conn.close()
        # Stopped mid-conversion: vireod leaves at once, qemu-img with it.
        conn = begin_export()
        self.assertEqual(d.stop(), 0)
        conn.close()
        self.assertFalse(converting(), "qemu-img outlived vireod")
        self.assertEqual(glob.glob(os.path.join(tempfile.gettempdir(), "vireo-ova-*")), [])
