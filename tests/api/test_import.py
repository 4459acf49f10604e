"""Importing appliances (POST /api/vms/import) on the real libvirtd: an OVA
built here (the test guest's disk converted to a streamOptimized vmdk with
qemu-img, an OVF written here, a SHA256 manifest, tar by Python's tarfile)
becomes a VM that boots to the guest's serial marker; a single disk image
imports too. Malicious OVAs ('../' names, a member larger than its ovf:size,
a capacity smaller than the disk, a vmdk naming a backing file) are 400s
that leave no volume, no scratch file, no definition and no inventory row.
An operator cannot import into a pool not granted to them."""

import hashlib
import http.client
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from test_create import CreateTestCase, build_disk
from test_storage import MIB, PREFIX, qemu_img_info
from test_tasks import RestartedDaemon

PID = os.getpid()

OVF = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:id="file1" ovf:href="{href}" ovf:size="{size}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="{capacity}" ovf:diskId="vmdisk1" ovf:fileRef="file1"
        ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="tiny-appliance">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="96" vmw:osType="debian11_64Guest">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>128</rasd:VirtualQuantity></Item>
      <Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType></Item>
      <Item><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceType>15</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""


def tar_member(tar, name, data, size=None):
    info = tarfile.TarInfo(name)
    info.size = len(data) if size is None else size
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


def build_ova(vmdk, capacity, href="tiny-disk1.vmdk", declared_size=None, members=None,
              manifest=True):
    """An OVA's bytes: descriptor, disk, SHA256 manifest. `members` replaces
    the list of (name, bytes) after the descriptor."""
    ovf = OVF.format(href=href, size=declared_size if declared_size is not None else len(vmdk),
                     capacity=capacity).encode()
    files = [("tiny.ovf", ovf)] + (members if members is not None else [(href, vmdk)])
    if manifest:
        mf = "".join("SHA256(%s)= %s\n" % (n, hashlib.sha256(d).hexdigest()) for n, d in files)
        files.append(("tiny.mf", mf.encode()))
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            tar_member(tar, name, data)
    return out.getvalue()


def post_body(client, path, body, timeout=180, pause=0.0):
    """POST of raw bytes (Content-Length set), `pause` seconds between
    256 KiB pieces; the answer, or None when the connection was cut."""
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=timeout)
    try:
        conn.putrequest("POST", path, skip_accept_encoding=True)
        conn.putheader("Authorization", "Bearer " + client.token)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        for i in range(0, len(body), 256 * 1024):
            conn.sock.sendall(body[i:i + 256 * 1024])
            if pause:
                time.sleep(pause)
        resp = conn.getresponse()
        return harness.Response(resp.status, resp.reason, resp.headers, resp.read())
    except (OSError, http.client.HTTPException):
        if not pause:
            raise
        return None
    finally:
        conn.close()


class ImportTestCase(CreateTestCase):
    """The create tests' pool, and the test guest's disk as a streamOptimized
    vmdk (the disk format of OVAs) and as a vmdk naming a backing file."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.work = tempfile.mkdtemp(prefix=PREFIX + "ova-")
            raw = build_disk()
            cls.capacity = qemu_img_info(raw)["virtual-size"]
            vmdk = os.path.join(cls.work, "guest.vmdk")
            subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
                            "subformat=streamOptimized", raw, vmdk], check=True)
            with open(vmdk, "rb") as f:
                cls.vmdk = f.read()
            # A vmdk whose parent is a file of the host: importing it would read that file.
            child = os.path.join(cls.work, "child.vmdk")
            subprocess.run(["qemu-img", "create", "-f", "vmdk", "-b", vmdk, "-F", "vmdk", child],
                           check=True, stdout=subprocess.DEVNULL)
            with open(child, "rb") as f:
                cls.backed_vmdk = f.read()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "work", "/nonexistent"), ignore_errors=True)
        super().tearDownClass()

    def import_path(self, vm_name, pool=None, **query):
        q = {"name": vm_name, "pool": pool or self.pool}
        q.update(query)
        return "/api/vms/import?" + urllib.parse.urlencode(q)

    def files(self):
        return sorted(os.listdir(self.dir))

    def assertRefused(self, body, words, **query):
        """400 naming `words`, the task failed, and nothing left behind."""
        before, meta, files = self.volumes(), self.meta_uuids(), self.files()
        name = self.new_name("bad")
        r = post_body(self.api, self.import_path(name, **query), body)
        err = self.assertError(r, 400)
        self.assertIn(words, err["message"])
        tasks = self.api.get("/api/tasks?limit=5").json()["tasks"]
        task = [t for t in tasks if t["kind"] == "import" and t["target"] == name][0]
        self.assertEqual(task["state"], "failed", repr(task))
        self.assertEqual(task["error"]["code"], "invalid_argument")
        self.assertNothingLeft(name, before, meta)
        self.assertEqual(self.files(), files, "scratch files left behind")


class ImportBootTest(ImportTestCase):
    def test_ova_imports_and_boots(self):
        net = "vst%d-import" % PID
        r = self.api.post("/api/networks", json_body={"name": net, "mode": "isolated"})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/networks/" + net)
        name = self.new_name("ova")
        body = build_ova(self.vmdk, self.capacity)
        r = post_body(self.api, self.import_path(name, network=net), body)
        self.assertStatus(r, 202)
        task = r.json()
        self.assertEqual((task["kind"], task["target"]), ("import", name))
        self.assertEqual(r.header("Location"), "/api/tasks/%d" % task["id"])
        seen = []
        task = self.wait_task(self.api, task["id"], seen=seen)
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.assertEqual(task["result"], "/api/vms/" + name)
        self.assertEqual(seen, sorted(seen), "progress never goes back")
        self.assertIn("imported as VM '%s'" % name, task["message"])
        self.assertIn("CD/DVD drives are left out", task["message"])
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)

        vm = self.vm(name)
        self.assertEqual((vm["vcpus"], vm["memory"]), (1, 128))
        # Debian 11 has virtio drivers: virtio disk and NIC, and the OS is kept.
        self.assertEqual([(d["bus"], d["format"]) for d in vm["disks"]], [("virtio", "qcow2")])
        self.assertEqual([(n["source"], n["model"]) for n in vm["nics"]], [(net, "virtio")])
        self.assertEqual(vm["os"]["id"], "debian11")
        vol = "%s-disk0.qcow2" % name
        self.assertEqual([v for v in self.volumes() if name in v], [vol])
        self.assertEqual([f for f in self.files() if ".import-" in f], [], "scratch left")
        info = qemu_img_info(os.path.join(self.dir, vol))
        self.assertEqual((info["format"], info["virtual-size"]), ("qcow2", self.capacity))
        r = self.api.get("/api/pools/%s/volumes/%s" % (self.pool, vol))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["used_by"][0]["name"], name)

        self.action(name, "start")
        self.wait_marker(name, timeout=90)

    def test_single_disk_image(self):
        name = self.new_name("disk")
        # No descriptor and no ?os=: an OS Vireo cannot know gets SATA and e1000.
        r = post_body(self.api, self.import_path(name, format="raw", memory=96, network="none"),
                      self.vmdk)
        self.assertStatus(r, 202)
        task = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        vm = self.vm(name)
        self.assertEqual((vm["vcpus"], vm["memory"]), (1, 96))
        self.assertEqual([(d["bus"], d["format"]) for d in vm["disks"]], [("sata", "raw")])
        self.assertEqual(vm["nics"], [])
        self.assertIn("%s-disk0.img" % name, self.volumes())
        # The query's OS decides instead of the defaults.
        name2 = self.new_name("disk2")
        r = post_body(self.api, self.import_path(name2, os="debian11", network="none"), self.vmdk)
        self.assertStatus(r, 202)
        task = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name2)
        self.assertEqual([d["bus"] for d in self.vm(name2)["disks"]], ["virtio"])


TWO_DISKS = """<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
    <File ovf:id="f1" ovf:href="data.vmdk" ovf:size="{size1}"/>
    <File ovf:id="f2" ovf:href="boot.vmdk" ovf:size="{size2}"/>
  </References>
  <DiskSection><Info>Disks</Info>
    <Disk ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="d1" ovf:fileRef="f1"
        ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
    <Disk ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="d2" ovf:fileRef="f2"
        ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="two">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="105"><Info>OS</Info><vbox:OSType>Windows10_64</vbox:OSType></OperatingSystemSection>
    <VirtualHardwareSection><Info>Hardware</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>64</rasd:VirtualQuantity></Item>
      <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>64</rasd:VirtualQuantity></Item>
      <Item><rasd:HostResource>/disk/d2</rasd:HostResource><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:HostResource>/disk/d1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""


class ImportTwoDisksTest(ImportTestCase):
    def test_two_disks_in_drive_order_manifest_first(self):
        vmdks = []
        for mib in (2, 1):
            raw = os.path.join(self.work, "d%d.raw" % mib)
            subprocess.run(["truncate", "-s", "%dM" % mib, raw], check=True)
            subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o",
                            "subformat=streamOptimized", raw, raw + ".vmdk"], check=True)
            with open(raw + ".vmdk", "rb") as f:
                vmdks.append(f.read())
        ovf = TWO_DISKS.format(size1=len(vmdks[0]), size2=len(vmdks[1])).encode()
        files = [("two.ovf", ovf), ("data.vmdk", vmdks[0]), ("boot.vmdk", vmdks[1])]
        mf = "".join("SHA1(%s)= %s\n" % (n, hashlib.sha1(d).hexdigest()) for n, d in files)
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, data in [files[0], ("two.mf", mf.encode())] + files[1:]:
                tar_member(tar, name, data)
        name = self.new_name("two")
        r = post_body(self.api, self.import_path(name, network="none"), out.getvalue())
        self.assertStatus(r, 202)
        task = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        # 64 vCPUs asked, the host's given; Windows 10 gets SATA.
        self.assertIn("the appliance asks for 64 vCPUs", task["message"])
        vm = self.vm(name)
        self.assertEqual(vm["vcpus"], harness.client().get("/api/host").json()["cpu"]["cpus"])
        self.assertEqual(vm["memory"], 64)
        self.assertEqual(vm["os"]["id"], "win10")
        # The boot disk (attached first) is disk0, whatever the file order.
        disks = self.api.get("/api/vms/%s/disks" % name).json()["disks"]
        self.assertEqual([(d["bus"], d["capacity"]) for d in disks],
                         [("sata", MIB), ("sata", 2 * MIB)])
        self.assertEqual([v for v in self.volumes() if name in v],
                         ["%s-disk0.qcow2" % name, "%s-disk1.qcow2" % name])


class ImportRefusalTest(ImportTestCase):
    def test_traversal_name(self):
        body = build_ova(self.vmdk, self.capacity, href="disk.vmdk",
                         members=[("../disk.vmdk", self.vmdk)], manifest=False)
        self.assertRefused(body, "'..'")

    def test_member_larger_than_declared_or_the_body(self):
        body = build_ova(self.vmdk, self.capacity, declared_size=len(self.vmdk) - 512)
        self.assertRefused(body, "the descriptor declares %d" % (len(self.vmdk) - 512))
        # Cut short: the disk's header claims more than the body holds.
        cut = build_ova(self.vmdk, self.capacity)[:len(self.vmdk) // 2]
        self.assertRefused(cut, "left of the body")

    def test_cancel_during_the_upload(self):
        before, meta, files = self.volumes(), self.meta_uuids(), self.files()
        name = self.new_name("cancel")
        body = build_ova(self.vmdk, self.capacity)
        result = {}
        th = threading.Thread(target=lambda: result.update(
            r=post_body(self.api, self.import_path(name), body, pause=0.1)), daemon=True)
        th.start()
        task = None
        deadline = time.monotonic() + 20
        # Once the disk's scratch volume exists, half-way through the body.
        while time.monotonic() < deadline and not any(".import-" in f for f in self.files()):
            time.sleep(0.05)
        for t in self.api.get("/api/tasks?state=running").json()["tasks"]:
            if t["kind"] == "import" and t["target"] == name:
                task = t
        self.assertIsNotNone(task, "no running import task with a scratch volume")
        self.assertRegex(task["message"], r"^received [0-9.]+ of [0-9.]+ MiB$")
        self.assertStatus(self.api.post("/api/tasks/%d/cancel" % task["id"]), 202)
        t = self.wait_task(self.api, task["id"], timeout=30)
        th.join(30)
        self.assertEqual(t["state"], "cancelled", repr(t))
        self.assertIsNone(result.get("r"), "the cancelled import got an answer")
        self.assertNothingLeft(name, before, meta)
        self.assertEqual(self.files(), files, "scratch files left behind")

    def test_capacity_smaller_than_the_disk(self):
        body = build_ova(self.vmdk, self.capacity // 2)
        self.assertRefused(body, "more than the %d its descriptor declares" % (self.capacity // 2))

    def test_vmdk_with_backing_file(self):
        body = build_ova(self.backed_vmdk, self.capacity)
        self.assertRefused(body, "backing file")
        # Also as a single disk image.
        self.assertRefused(self.backed_vmdk, "backing file", network="none")

    def test_wrong_digest_and_stray_member(self):
        good = build_ova(self.vmdk, self.capacity)
        bad = bytearray(good)
        at = bad.find(b"SHA256(tiny-disk1.vmdk)= ") + len("SHA256(tiny-disk1.vmdk)= ")
        bad[at] = ord("0") if bad[at] != ord("0") else ord("1")
        self.assertRefused(bytes(bad), "does not match its SHA256 digest")
        stray = build_ova(self.vmdk, self.capacity, members=[("tiny-disk1.vmdk", self.vmdk),
                                                            ("evil.sh", b"#!/bin/sh\n")])
        self.assertRefused(stray, "'evil.sh' is not referenced")

    def test_query_errors(self):
        # Refused on the headers alone (a short body: nothing is read).
        name = self.new_name("q")
        small = b"x" * 1024
        for query in ({"format": "vmdk"}, {"vcpus": "0"}, {"network": "no-such-net"},
                      {"bogus": "1"}, {"vm": "../x"}):
            with self.subTest(query=query):
                query = dict(query)
                r = post_body(self.api, self.import_path(query.pop("vm", name), **query), small)
                self.assertError(r, 400)
        r = post_body(self.api, "/api/vms/import?pool=%s" % self.pool, small)
        self.assertError(r, 400)
        r = post_body(self.api, self.import_path(name, pool="no-such-pool"), small)
        self.assertError(r, 404)
        # A name that is taken is a 409 before any byte is read.
        r = post_body(self.api, self.import_path(self.guest("taken"), network="none"), small)
        self.assertError(r, 409)
        # An OS the catalogue lacks is known once the body is in.
        self.assertRefused(build_ova(self.vmdk, self.capacity), "query 'os'", os="no-such-os")


class ImportCrashTest(ImportTestCase):
    def test_killed_import_leaves_no_scratch(self):
        before = self.volumes()
        first = harness.Daemon("import-crash")
        first.start()
        first.tmp_kept, first.tmp = first.tmp, None   # its inventory, for the next start
        self.addCleanup(shutil.rmtree, first.tmp_kept, True)
        name = self.new_name("crash")
        body = build_ova(self.vmdk, self.capacity)
        th = threading.Thread(target=post_body, args=(first.client(), self.import_path(name), body),
                              kwargs={"pause": 0.1}, daemon=True)
        th.start()
        deadline = time.monotonic() + 20
        while not any(".import-" in f for f in self.files()):
            self.assertLess(time.monotonic(), deadline, "no scratch volume appeared")
            time.sleep(0.05)
        first.proc.kill()   # no clean-up: as a crash would
        first.proc.wait()
        first.stop()
        second = RestartedDaemon(first)
        second.start()
        self.addCleanup(second.stop)
        api = second.client()
        deadline = time.monotonic() + 15
        while True:
            t = [t for t in api.get("/api/tasks").json()["tasks"] if t["target"] == name][0]
            if "removed" in (t["error"] or {}).get("message", "") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(t["error"]["code"], "interrupted", repr(t))
        self.assertIn("removed the half-made volume %s/%s-disk0.import-" % (self.pool, name),
                      t["error"]["message"])
        self.assertEqual([f for f in self.files() if ".import-" in f], [])
        self.assertEqual(self.volumes(), before)


class ImportScopeTest(ImportTestCase):
    def test_operator_needs_the_pool_granted(self):
        d = self.daemon
        user, pw = harness.make_user(d, "import-b", "operator")
        self.addCleanup(self.api.delete, "/api/users/" + user)
        b, _ = harness.token_client(d, user, pw)
        path = os.path.join(self.work, "small.qcow2")
        subprocess.run(["qemu-img", "create", "-f", "qcow2", path, "1M"], check=True,
                       stdout=subprocess.DEVNULL)
        with open(path, "rb") as f:
            small = f.read()
        name = self.new_name("scope")
        before = self.volumes()
        # Not granted: the pool is as good as absent.
        r = post_body(b, self.import_path(name), small)
        self.assertError(r, 404)
        # Granted as media only: 403 naming the use it has.
        r = self.api.post("/api/users/%s/grants" % user,
                          json_body={"pool": self.pool, "use": ["media"]})
        self.assertStatus(r, 201)
        r = post_body(b, self.import_path(name), small)
        self.assertError(r, 403)
        self.assertEqual(self.volumes(), before)
        # Granted for disks: B imports, owns the VM, and may not use "default".
        r = self.api.delete("/api/users/%s/grants/pools/%s" % (user, self.pool))
        self.assertStatus(r, 204)
        r = self.api.post("/api/users/%s/grants" % user,
                          json_body={"pool": self.pool, "use": ["disks"]})
        self.assertStatus(r, 201)
        r = post_body(b, self.import_path(name), small)
        self.assertStatus(r, 202)
        task = self.wait_task(b, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        self.assertIn("no NIC: there is no network 'default' that you may use", task["message"])
        self.assertStatus(b.get("/api/vms/" + name), 200)


if __name__ == "__main__":
    unittest.main()
