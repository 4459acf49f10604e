"""Drivers other than qemu:///system (docs/drivers.md): GET /api/host's
`driver` and `features` read from libvirt's test driver, QEMU and LXC;
what a driver lacks answers 409 not_supported naming it; --connect refuses
a malformed URI; system containers on LXC (a private libvirtd, see
lxc_host.sh): defined from a root directory by an admin only, listed,
started, their serial console, stopped, removed."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
import wsclient

LXC_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lxc_host.sh")
LXC_DIR = "/run/vireo-test-lxc-%d" % os.getpid()
BUSYBOX = "/bin/busybox"


def own_daemon(case, name, uri):
    d = harness.Daemon(name=name, connect=uri)
    d.start()
    case.addCleanup(d.stop)
    return d


class TestDriver(harness.ApiTestCase):
    """libvirt's test:///default: VMs and snapshots, no console."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.test = harness.Daemon(name="drivers-test", connect="test:///default")
        cls.test.start()

    @classmethod
    def tearDownClass(cls):
        cls.test.stop()

    def test_host_driver_and_features(self):
        h = self.test.client().get("/api/host").json()
        self.assertEqual(h["driver"]["type"].lower(), "test")
        self.assertEqual(h["driver"]["name"], "test")
        self.assertEqual(h["driver"]["uri"], "test:///default")
        self.assertEqual(h["driver"]["transport"], "local")
        self.assertFalse(h["driver"]["remote"])
        self.assertEqual(h["driver"]["capabilities"]["domain_types"], ["test"])
        self.assertFalse(h["driver"]["capabilities"]["domain_capabilities"])
        f = h["features"]
        self.assertTrue(f["vms"])
        self.assertFalse(f["containers"])
        self.assertFalse(f["vnc"])        # no virDomainOpenGraphicsFD
        self.assertFalse(f["serial"])     # no virDomainOpenConsole
        self.assertTrue(f["snapshots"])
        self.assertFalse(f["cloud_init"])
        self.assertEqual(h["domain_types"], ["test"])

    def test_consoles_refused_naming_the_driver(self):
        c = self.test.client()
        for kind in ("vnc", "serial"):
            r = c.post("/api/vms/test/console", json_body={"type": kind})
            self.assertError(r, 409, "not_supported")
            self.assertIn("TEST", r.json()["error"]["message"].upper())
        # An unknown VM is still a 404 first.
        self.assertError(c.post("/api/vms/nope-%d/console" % os.getpid(),
                                json_body={"type": "vnc"}), 404)

    def test_snapshots_work_here(self):
        r = self.test.client().get("/api/vms/test/snapshots")
        self.assertStatus(r, 200)

    def test_container_refused(self):
        r = self.test.client().post("/api/vms", json_body={
            "type": "container", "name": "c1", "root_dir": "/tmp", "memory_mib": 64})
        self.assertError(r, 409, "not_supported")


class QemuFeatures(harness.ApiTestCase):
    def test_qemu_offers_everything(self):
        h = self.api.get("/api/host").json()
        if h["driver"]["type"] != "QEMU":
            self.skipTest("the shared daemon is not QEMU")
        f = h["features"]
        for key in ("vms", "vnc", "serial", "snapshots", "storage", "networks", "cloud_init"):
            self.assertTrue(f[key], key)
        self.assertFalse(f["containers"])
        self.assertEqual(f["disk_formats"], ["qcow2", "raw"])
        self.assertIn("vnc", h["driver"]["capabilities"]["graphics"])
        self.assertTrue(h["driver"]["capabilities"]["domain_capabilities"])

    def test_container_refused_on_qemu(self):
        r = self.api.post("/api/vms", json_body={
            "type": "container", "name": harness.unique_name("ct"), "root_dir": "/tmp",
            "memory_mib": 64})
        self.assertError(r, 409, "not_supported")
        self.assertIn("QEMU", r.json()["error"]["message"])


class ConnectOption(unittest.TestCase):
    def test_malformed_uris_are_refused_at_start(self):
        for bad in ("qemu", "qemu+carrier://host/system", "esx:///", "://x"):
            p = subprocess.run([harness.vireo_bin(), "--connect", bad, "--listen", "127.0.0.1:1"],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
            self.assertNotEqual(p.returncode, 0, bad)
            self.assertIn(b"not a libvirt URI", p.stderr, (bad, p.stderr))


def make_root(path):
    """A container root: busybox-static as /bin/sh and /sbin/init."""
    for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(path, "bin", "busybox"))
    os.symlink("busybox", os.path.join(path, "bin", "sh"))
    with open(os.path.join(path, "sbin", "init"), "w") as f:
        f.write("#!/bin/sh\necho container-up-$((6*7))\nexec /bin/sh\n")
    os.chmod(os.path.join(path, "sbin", "init"), 0o755)


@unittest.skipUnless(os.path.exists(BUSYBOX) and shutil.which("unshare"),
                     "needs busybox-static and unshare")
class LxcContainers(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = subprocess.run(["sh", LXC_SCRIPT, "start", LXC_DIR], capture_output=True, text=True,
                           timeout=60)
        if p.returncode != 0:
            raise unittest.SkipTest("no LXC libvirtd: %s" % p.stderr.strip())
        cls.uri = p.stdout.strip()
        cls.lxc = harness.Daemon(name="drivers-lxc", connect=cls.uri)
        cls.lxc.start()
        cls.root = tempfile.mkdtemp(prefix="vireo-lxc-root-", dir="/var/tmp")
        make_root(cls.root)

    @classmethod
    def tearDownClass(cls):
        cls.lxc.stop()
        for line in subprocess.run(["virsh", "-c", cls.uri, "list", "--all", "--name"],
                                   capture_output=True, text=True).stdout.split():
            if line.startswith(harness.PREFIX):
                subprocess.run(["virsh", "-c", cls.uri, "destroy", line], capture_output=True)
                subprocess.run(["virsh", "-c", cls.uri, "undefine", line], capture_output=True)
        subprocess.run(["sh", LXC_SCRIPT, "stop", LXC_DIR], capture_output=True)
        shutil.rmtree(cls.root, ignore_errors=True)
        shutil.rmtree(LXC_DIR, ignore_errors=True)

    def create(self, client, name, **kw):
        body = {"type": "container", "name": name, "root_dir": self.root, "memory_mib": 64}
        body.update(kw)
        return client.post("/api/vms", json_body=body)

    def test_features(self):
        h = self.lxc.client().get("/api/host").json()
        self.assertEqual(h["driver"]["type"], "LXC")
        self.assertEqual(h["driver"]["name"], "lxc")
        self.assertEqual(h["driver"]["capabilities"]["os_types"], ["exe"])
        f = h["features"]
        self.assertTrue(f["containers"])
        self.assertTrue(f["serial"])
        for key in ("vms", "vnc", "snapshots", "cloud_init"):
            self.assertFalse(f[key], key)
        self.assertEqual(f["disk_formats"], [])

    def test_container_life(self):
        c = self.lxc.client()
        name = harness.unique_name("ct")
        r = self.create(c, name, init="/sbin/init")
        self.assertStatus(r, 201)
        self.assertEqual(r.header("Location"), "/api/vms/" + name)
        self.assertEqual(r.json()["state"], "shutoff")
        r = c.get("/api/vms")
        self.assertStatus(r, 200, r.body[:300] if hasattr(r, "body") else None)
        names = [v["name"] for v in r.json()["vms"]]
        self.assertIn(name, names)
        self.assertError(self.create(c, name), 409)
        # What does not apply answers 409 naming the driver.
        r = c.post("/api/vms/%s/snapshots" % name, json_body={"name": "s1"})
        self.assertError(r, 409, "not_supported")
        self.assertIn("LXC", r.json()["error"]["message"])
        r = c.post("/api/vms/%s/start" % name)
        self.assertIn(r.status, (200, 202, 204), repr(r))
        deadline = time.monotonic() + 30
        while c.get("/api/vms/" + name).json()["state"] != "running":
            self.assertLess(time.monotonic(), deadline, "the container did not start")
            time.sleep(0.2)
        self.assertError(c.post("/api/vms/%s/console" % name, json_body={"type": "vnc"}),
                         409, "not_supported")
        t = c.post("/api/vms/%s/console" % name, json_body={"type": "serial"})
        self.assertStatus(t, 201)
        ws = wsclient.WebSocket(self.lxc.port, t.json()["url"], origin=self.lxc.origin())
        self.addCleanup(ws.sock.close)
        ws.send(b"echo lxc-serial-$((20+22))\n")
        ws.read_until(b"lxc-serial-42", timeout=20)
        r = c.post("/api/vms/%s/poweroff" % name)
        self.assertIn(r.status, (200, 202, 204), repr(r))
        deadline = time.monotonic() + 30
        while c.get("/api/vms/" + name).json()["state"] != "shutoff":
            self.assertLess(time.monotonic(), deadline, "the container did not stop")
            time.sleep(0.2)
        self.assertStatus(c.delete("/api/vms/" + name), 204)
        self.assertError(c.get("/api/vms/" + name), 404)

    def test_refusals(self):
        c = self.lxc.client()
        name = harness.unique_name("ctbad")
        self.assertError(self.create(c, name, root_dir="/"), 400)
        self.assertError(self.create(c, name, root_dir="/nonexistent-%d" % os.getpid()), 400)
        self.assertError(self.create(c, name, root_dir="relative/dir"), 400)
        self.assertError(self.create(c, name, init="/no/such/init"), 400)
        self.assertError(self.create(c, name, memory_mib=1), 400)
        self.assertError(self.create(c, "a<b"), 400)
        self.assertError(self.create(c, name, disks=[]), 400)
        # A root directory is host filesystem access: operators are refused.
        user, pw = harness.make_user(self.lxc, "ct-op", "operator")
        op = harness.token_client(self.lxc, user, pw)[0]
        self.assertError(self.create(op, name), 403)
        r = c.get("/api/vms")
        self.assertStatus(r, 200, r.body[:300] if hasattr(r, "body") else None)
        names = [v["name"] for v in r.json()["vms"]]
        self.assertNotIn(name, names)
