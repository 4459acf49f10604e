"""Storage pools and volumes over HTTP on the real libvirtd: a dir pool in a
temporary directory under /var/lib/libvirt/images, every volume format
checked with qemu-img, qcow2 backing files, resize, wipe, delete, the error
statuses (400/404/409/412/501/507) and a viewer's 403. Everything made here
is named vireo-st-PID-... and removed even when a test fails."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

import harness

PREFIX = "vireo-st-%d-" % os.getpid()
IMAGES = "/var/lib/libvirt/images"
MIB = 1 << 20
TIB64 = 64 << 40
POOL_KEYS = {"name", "uuid", "type", "path", "source", "state", "autostart", "persistent", "capacity",
             "allocation", "available", "host"}
# An answer about one object carries the libvirt host it is on (docs/hosts.md).
VOLUME_KEYS = {"name", "pool", "path", "type", "format", "backing", "capacity", "allocation",
               "iso", "used_by", "host"}


def q(name):
    return urllib.parse.quote(name, safe="")


def pool_exists(name):
    p = subprocess.run(["virsh", "-q", "-c", harness.URI, "pool-uuid", name],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


def remove_pool(name):
    """Stops and undefines a pool if it exists; never raises."""
    try:
        if pool_exists(name):
            harness.virsh("pool-destroy", name, check=False)
            harness.virsh("pool-undefine", name, check=False)
    except Exception as e:  # clean-up must not hide the real failure
        harness.log("clean-up of pool %s failed: %r" % (name, e))


def umount_quietly(path):
    subprocess.run(["umount", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sweep_stale():
    """Pools and directories of earlier runs that died (vireo-st-PID-...)."""
    pat = re.compile(r"^vireo-st-(\d+)-")

    def dead(n):
        m = pat.match(n)
        return m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1))
    for p in harness.virsh("pool-list", "--all", "--name", check=False).split():
        if dead(p):
            remove_pool(p)
    for d in os.listdir(IMAGES) if os.path.isdir(IMAGES) else ():
        if dead(d):
            umount_quietly(os.path.join(IMAGES, d))
            shutil.rmtree(os.path.join(IMAGES, d), ignore_errors=True)


def qemu_img_info(path):
    out = subprocess.run(["qemu-img", "info", "--force-share", "--output=json", path],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout
    return json.loads(out)


class StorageTestCase(harness.ApiTestCase):
    """Gives each test class its own dir pool, made through the API."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sweep_stale()
        cls.dir = tempfile.mkdtemp(prefix=PREFIX, dir=IMAGES)
        os.chmod(cls.dir, 0o711)
        cls.pool = PREFIX + cls.__name__
        try:
            r = cls.api.post("/api/pools", json_body={"name": cls.pool, "type": "dir",
                                                      "path": cls.dir})
            if r.status != 201:
                raise AssertionError("creating pool %s failed: %r" % (cls.pool, r))
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        remove_pool(cls.pool)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def new_pool_name(self, tag):
        name = PREFIX + tag
        self.addCleanup(remove_pool, name)
        return name

    def new_dir(self, tag):
        path = os.path.join(IMAGES, PREFIX + tag)
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def vols(self, pool=None):
        return "/api/pools/%s/volumes" % q(pool or self.pool)

    def create_volume(self, name, capacity=MIB, fmt="raw", backing=None, pool=None, status=201):
        body = {"name": name, "capacity": capacity, "format": fmt}
        if backing is not None:
            body["backing"] = backing
        r = self.api.post(self.vols(pool), json_body=body)
        if status == 201:
            self.assertStatus(r, 201, "creating volume %s" % name)
            self.assertEqual(r.header("Location"), "%s/%s" % (self.vols(pool), q(name)))
            self.assertETag(r)
            self.assertEqual(set(r.json()), VOLUME_KEYS)
        return r


class PoolTest(StorageTestCase):
    def test_create_list_get_hostile_name(self):
        name = self.new_pool_name('a<b&"c d')
        path = self.new_dir("hostile")
        r = self.api.post("/api/pools", json_body={"name": name, "type": "dir", "path": path,
                                                   "autostart": True})
        self.assertStatus(r, 201)
        self.assertEqual(r.header("Location"), "/api/pools/" + q(name))
        self.assertETag(r)
        p = r.json()
        self.assertEqual(set(p), POOL_KEYS)
        self.assertEqual((p["name"], p["type"], p["path"], p["state"]), (name, "dir", path, "running"))
        self.assertTrue(p["autostart"])
        self.assertTrue(p["persistent"])
        self.assertGreater(p["capacity"], 0)
        self.assertTrue(os.path.isdir(path), "the pool's directory was not built")
        # libvirt got the name as it is: escaped in the XML, not injected.
        xml = harness.virsh("pool-dumpxml", name)
        self.assertIn("&lt;b&amp;", xml)
        self.assertRegex(harness.virsh("pool-info", name), r"State:\s+running")

        pools = self.api.get("/api/pools")
        self.assertStatus(pools, 200)
        listed = [x for x in pools.json()["pools"] if x["name"] == name]
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["uuid"], harness.virsh("pool-uuid", name).strip())
        one = self.api.get("/api/pools/" + q(name))
        self.assertStatus(one, 200)
        self.assertETag(one)
        self.assertEqual(one.json()["uuid"], p["uuid"])

    def test_lifecycle_and_delete(self):
        name = self.new_pool_name("life")
        path = self.new_dir("life")
        url = "/api/pools/" + q(name)
        self.assertStatus(self.api.post("/api/pools", json_body={
            "name": name, "type": "dir", "path": path}), 201)
        self.assertError(self.api.post(url + "/start"), 409)
        r = self.api.post(url + "/stop")
        self.assertStatus(r, 200)
        self.assertETag(r)
        self.assertEqual(r.json()["state"], "inactive")
        self.assertError(self.api.post(url + "/stop"), 409)
        self.assertError(self.api.post(url + "/refresh"), 409)
        self.assertError(self.api.get(url + "/volumes"), 409)
        self.assertEqual(self.api.post(url + "/start").json()["state"], "running")

        # A file made behind libvirt's back shows up after a refresh.
        with open(os.path.join(path, "outside.img"), "wb") as f:
            f.truncate(MIB)
        self.assertStatus(self.api.post(url + "/refresh"), 200)
        names = [v["name"] for v in self.api.get(url + "/volumes").json()["volumes"]]
        self.assertIn("outside.img", names)

        r = self.api.patch(url, {"autostart": True})
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["autostart"])
        self.assertIn("yes", harness.virsh("pool-info", name).split("Autostart:")[1].split("\n")[0])
        self.assertError(self.api.patch(url, {"autostart": "yes"}), 400)
        self.assertError(self.api.patch(url, {"path": "/tmp"}), 400)
        self.assertError(self.api.patch(url, {"autostart": False},
                                        headers={"If-Match": '"stale"'}), 412)

        # The storage is removed only when empty, and refused before anything stops.
        self.assertError(self.api.delete(url + "?delete_storage=true"), 409)
        self.assertEqual(self.api.get(url).json()["state"], "running")
        self.assertError(self.api.delete(url + "?delete_storage=maybe"), 400)
        self.assertError(self.api.delete(url, headers={"If-Match": '"stale"'}), 412)
        self.assertStatus(self.api.delete(url + "/volumes/outside.img"), 204)
        r = self.api.delete(url + "?delete_storage=true")
        self.assertStatus(r, 204)
        self.assertFalse(pool_exists(name))
        self.assertFalse(os.path.exists(path), "delete_storage=true left the directory")
        self.assertError(self.api.get(url), 404)

    def test_delete_keeps_directory_by_default(self):
        name = self.new_pool_name("keep")
        path = self.new_dir("keep")
        url = "/api/pools/" + q(name)
        self.assertStatus(self.api.post("/api/pools", json_body={
            "name": name, "type": "dir", "path": path}), 201)
        self.create_volume("stays.img", pool=name)
        # Stopped, the pool cannot count its volumes: the directory refuses.
        self.assertStatus(self.api.post(url + "/stop"), 200)
        self.assertError(self.api.delete(url + "?delete_storage=true"), 409)
        self.assertTrue(pool_exists(name))
        self.assertStatus(self.api.delete(url), 204)
        self.assertFalse(pool_exists(name))
        self.assertTrue(os.path.exists(os.path.join(path, "stays.img")))

    def test_errors(self):
        path = self.new_dir("errors")
        name = self.new_pool_name("errors")
        ok = {"name": name, "type": "dir", "path": path}
        for bad in ({"name": name, "type": "dir", "path": "relative/dir"},
                    {"name": name, "type": "dir", "path": path + "/../x"},
                    {"name": name, "type": "dir", "path": "/"},
                    {"name": name, "type": "logical", "path": path},
                    {"name": "a/b", "type": "dir", "path": path},
                    {"name": "..", "type": "dir", "path": path},
                    {"name": "", "type": "dir", "path": path},
                    {"name": name, "type": "dir"},
                    {"name": name, "path": path},
                    {"name": name, "type": "dir", "path": path, "autostart": "yes"},
                    {"name": name, "type": "dir", "path": path, "color": "red"},
                    {"name": 7, "type": "dir", "path": path}):
            with self.subTest(body=bad):
                self.assertError(self.api.post("/api/pools", json_body=bad), 400)
        self.assertFalse(pool_exists(name))
        self.assertError(self.api.post("/api/pools", json_body=dict(ok, name=self.pool)), 409)
        # A second pool on a directory that a pool already uses.
        self.assertError(self.api.post("/api/pools", json_body=dict(ok, path=self.dir)), 409)
        self.assertFalse(pool_exists(name))
        ghost = "/api/pools/" + q(PREFIX + "ghost")
        for method, path_ in (("GET", ghost), ("DELETE", ghost), ("POST", ghost + "/start"),
                              ("POST", ghost + "/stop"), ("POST", ghost + "/refresh"),
                              ("PATCH", ghost), ("GET", ghost + "/volumes"),
                              ("POST", ghost + "/volumes"), ("GET", ghost + "/volumes/x"),
                              ("DELETE", ghost + "/volumes/x"), ("POST", ghost + "/volumes/x/wipe")):
            with self.subTest(method=method, path=path_):
                body = {"name": "x", "capacity": MIB, "format": "raw"} \
                    if path_.endswith("/volumes") and method == "POST" else None
                r = self.api.request(method, path_, json_body=body)
                self.assertError(r, 404)
        self.assertError(self.api.get("/api/pools?x=1"), 400)


class VolumeTest(StorageTestCase):
    def test_each_format(self):
        for fmt, size in (("raw", 3 * MIB), ("qcow2", 5 * MIB), ("vdi", 7 * MIB),
                          ("vmdk", 9 * MIB)):
            with self.subTest(format=fmt):
                name = "fmt-%s.img" % fmt
                v = self.create_volume(name, size, fmt).json()
                self.assertEqual((v["name"], v["pool"], v["format"], v["capacity"], v["type"]),
                                 (name, self.pool, fmt, size, "file"))
                self.assertEqual(v["path"], os.path.join(self.dir, name))
                self.assertIsNone(v["backing"])
                info = qemu_img_info(v["path"])
                self.assertEqual(info["format"], fmt)
                self.assertEqual(info["virtual-size"], size)
                got = self.api.get("%s/%s" % (self.vols(), q(name)))
                self.assertStatus(got, 200)
                self.assertETag(got)
                self.assertEqual(got.json()["capacity"], size)
        listed = self.api.get(self.vols()).json()["volumes"]
        names = [v["name"] for v in listed]
        self.assertEqual(names, sorted(names))
        for fmt in ("raw", "qcow2", "vdi", "vmdk"):
            self.assertIn("fmt-%s.img" % fmt, names)

    def test_qcow2_backing(self):
        base = self.create_volume("base.qcow2", 4 * MIB, "qcow2").json()
        raw = self.create_volume("base.raw", 2 * MIB, "raw").json()
        child = self.create_volume("child.qcow2", 4 * MIB, "qcow2", backing="base.qcow2").json()
        self.assertEqual(child["backing"], base["path"])
        info = qemu_img_info(child["path"])
        self.assertEqual(info["format"], "qcow2")
        self.assertEqual(info["backing-filename"], base["path"])
        self.assertEqual(info.get("backing-filename-format"), "qcow2")
        # "pool/name" form, on a raw base.
        other = self.create_volume("child2.qcow2", 2 * MIB, "qcow2",
                                   backing="%s/base.raw" % self.pool).json()
        info = qemu_img_info(other["path"])
        self.assertEqual(info["backing-filename"], raw["path"])
        self.assertEqual(info.get("backing-filename-format"), "raw")
        # Only qcow2 has a backing file; the backing volume must exist.
        for fmt, backing in (("raw", "base.raw"), ("qcow2", "ghost"),
                             ("qcow2", PREFIX + "nopool/base.raw"), ("qcow2", "")):
            with self.subTest(format=fmt, backing=backing):
                r = self.create_volume("bad-child", MIB, fmt, backing=backing, status=400)
                self.assertError(r, 400)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "bad-child")))

    def test_resize(self):
        url = "%s/%s" % (self.vols(), "grow.raw")
        self.create_volume("grow.raw", 2 * MIB, "raw")
        path = os.path.join(self.dir, "grow.raw")
        self.assertEqual(os.stat(path).st_size, 2 * MIB)
        r = self.api.post(url + "/resize", json_body={"capacity": 6 * MIB})
        self.assertStatus(r, 200)
        self.assertETag(r)
        self.assertEqual(r.json()["capacity"], 6 * MIB)
        self.assertEqual(os.stat(path).st_size, 6 * MIB, "resize did not grow the file")
        r = self.api.post(url + "/resize", json_body={"capacity": MIB})
        self.assertError(r, 400)
        self.assertEqual(os.stat(path).st_size, 6 * MIB)
        r = self.api.post(url + "/resize?shrink=true", json_body={"capacity": MIB})
        self.assertStatus(r, 200)
        self.assertEqual(os.stat(path).st_size, MIB)
        self.create_volume("grow.qcow2", 2 * MIB, "qcow2")
        r = self.api.post("%s/grow.qcow2/resize" % self.vols(), json_body={"capacity": 8 * MIB})
        self.assertStatus(r, 200)
        self.assertEqual(qemu_img_info(os.path.join(self.dir, "grow.qcow2"))["virtual-size"],
                         8 * MIB)
        for bad in ({"capacity": 0}, {"capacity": -1}, {"capacity": 1.5}, {"capacity": "8M"},
                    {"capacity": True}, {"capacity": TIB64 + 1}, {}, {"capacity": MIB, "x": 1}):
            with self.subTest(body=bad):
                self.assertError(self.api.post(url + "/resize", json_body=bad), 400)
        self.assertError(self.api.post(url + "/resize?shrink=perhaps",
                                       json_body={"capacity": MIB}), 400)

    def test_wipe(self):
        self.create_volume("wipe.raw", MIB, "raw")
        path = os.path.join(self.dir, "wipe.raw")
        with open(path, "r+b") as f:
            f.write(b"\xaa" * 8192)
            f.seek(MIB - 4096)
            f.write(b"\x55" * 4096)
        r = self.api.post("%s/wipe.raw/wipe" % self.vols())
        self.assertStatus(r, 200)
        self.assertETag(r)
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), MIB)
        self.assertEqual(data.count(0), MIB, "the volume still holds data after the wipe")
        # A qcow2 would lose its header: refused, left intact.
        self.create_volume("keep.qcow2", MIB, "qcow2")
        self.assertError(self.api.post("%s/keep.qcow2/wipe" % self.vols()), 501, "unsupported")
        self.assertEqual(qemu_img_info(os.path.join(self.dir, "keep.qcow2"))["format"], "qcow2")
        self.assertError(self.api.post("%s/wipe.raw/wipe" % self.vols(), json_body={"x": 1}), 400)

    def test_delete(self):
        self.create_volume("gone.qcow2", MIB, "qcow2")
        path = os.path.join(self.dir, "gone.qcow2")
        url = "%s/gone.qcow2" % self.vols()
        self.assertTrue(os.path.exists(path))
        self.assertError(self.api.delete(url, headers={"If-Match": '"stale"'}), 412)
        etag = self.api.get(url).header("ETag")
        self.assertStatus(self.api.delete(url, headers={"If-Match": etag}), 204)
        self.assertFalse(os.path.exists(path), "DELETE left the file")
        self.assertError(self.api.get(url), 404)
        self.assertError(self.api.delete(url), 404)
        self.assertError(self.api.post(url + "/resize", json_body={"capacity": 2 * MIB}), 404)
        self.assertError(self.api.post(url + "/wipe"), 404)

    def test_create_errors(self):
        self.create_volume("taken.raw")
        r = self.create_volume("taken.raw", status=409)
        self.assertError(r, 409)
        for bad in ({"name": "v", "capacity": MIB, "format": "iso"},
                    {"name": "v", "capacity": MIB, "format": "QCOW2"},
                    {"name": "v", "capacity": 0, "format": "raw"},
                    {"name": "v", "capacity": -MIB, "format": "raw"},
                    {"name": "v", "capacity": 1.5, "format": "raw"},
                    {"name": "v", "capacity": "1048576", "format": "raw"},
                    {"name": "v", "capacity": TIB64 + 1, "format": "raw"},
                    {"name": "v", "capacity": 10 ** 30, "format": "raw"},
                    {"name": ".hidden", "capacity": MIB, "format": "raw"},
                    {"name": "../escape", "capacity": MIB, "format": "raw"},
                    {"name": "", "capacity": MIB, "format": "raw"},
                    {"name": "v", "format": "raw"},
                    {"capacity": MIB, "format": "raw"},
                    {"name": "v", "capacity": MIB},
                    {"name": "v", "capacity": MIB, "format": "raw", "size": 1}):
            with self.subTest(body=bad):
                self.assertError(self.api.post(self.vols(), json_body=bad), 400)
        self.assertFalse(os.path.exists(os.path.join(IMAGES, "escape")))
        self.assertError(self.api.get("%s/%s" % (self.vols(), q(PREFIX + "ghost"))), 404)
        # A hostile volume name is a file name like any other.
        v = self.create_volume('x<y&"z', MIB, "raw").json()
        self.assertEqual(v["path"], os.path.join(self.dir, 'x<y&"z'))
        self.assertTrue(os.path.exists(v["path"]))

    def test_volume_made_with_virsh_is_seen(self):
        harness.virsh("vol-create-as", self.pool, "virsh-made.qcow2", "1M", "--format", "qcow2")
        names = [v["name"] for v in self.api.get(self.vols()).json()["volumes"]]
        self.assertIn("virsh-made.qcow2", names)
        harness.virsh("vol-delete", "virsh-made.qcow2", "--pool", self.pool)
        self.assertError(self.api.get("%s/virsh-made.qcow2" % self.vols()), 404)

    def test_viewer_may_read_but_not_change(self):
        d = self.daemon
        viewer, pw = harness.make_user(d, "stviewer", "viewer")
        api, _ = harness.token_client(d, viewer, pw)
        self.create_volume("viewed.raw")
        # Pools are seen by those they are granted to (docs/access.md).
        self.assertError(api.get(self.vols()), 404)
        self.assertError(api.get("%s/viewed.raw" % self.vols()), 404)
        self.assertNotIn(self.pool, [p["name"] for p in api.get("/api/pools").json()["pools"]])
        r = self.api.post("/api/users/%s/grants" % viewer,
                          json_body={"pool": self.pool, "use": ["media"]})
        self.assertStatus(r, 201)
        self.assertIn(self.pool, [p["name"] for p in api.get("/api/pools").json()["pools"]])
        self.assertStatus(api.get(self.vols()), 200)
        self.assertStatus(api.get("%s/viewed.raw" % self.vols()), 200)
        name = PREFIX + "viewer-pool"
        self.addCleanup(remove_pool, name)
        changes = (
            ("POST", "/api/pools", {"name": name, "type": "dir", "path": self.dir + "-v"}),
            ("POST", self.vols(), {"name": "by-viewer", "capacity": MIB, "format": "raw"}),
            ("POST", "%s/viewed.raw/resize" % self.vols(), {"capacity": 2 * MIB}),
            ("POST", "%s/viewed.raw/wipe" % self.vols(), None),
            ("DELETE", "%s/viewed.raw" % self.vols(), None),
            ("PATCH", "/api/pools/" + q(self.pool), {"autostart": True}),
            ("POST", "/api/pools/%s/stop" % q(self.pool), None),
            ("DELETE", "/api/pools/" + q(self.pool), None),
        )
        for method, path, body in changes:
            with self.subTest(method=method, path=path):
                self.assertError(api.request(method, path, json_body=body), 403, "forbidden")
        self.assertFalse(pool_exists(name))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "by-viewer")))
        v = self.api.get("%s/viewed.raw" % self.vols()).json()
        self.assertEqual(v["capacity"], MIB)
        self.assertEqual(self.api.get("/api/pools/" + q(self.pool)).json()["state"], "running")


class FullStorageTest(harness.ApiTestCase):
    """A pool on a 64 KiB tmpfs: a volume that does not fit is 507."""

    def test_no_space_is_507(self):
        path = os.path.join(IMAGES, PREFIX + "full")
        os.makedirs(path)
        self.addCleanup(shutil.rmtree, path, True)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0711", "tmpfs", path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            raise unittest.SkipTest("cannot mount a tmpfs here: %s" % p.stdout.decode())
        self.addCleanup(umount_quietly, path)
        name = PREFIX + "full"
        self.addCleanup(remove_pool, name)   # runs before the umount
        r = self.api.post("/api/pools", json_body={"name": name, "type": "dir", "path": path})
        self.assertStatus(r, 201)
        r = self.api.post("/api/pools/%s/volumes" % q(name),
                          json_body={"name": "big.qcow2", "capacity": 1 << 30, "format": "qcow2"})
        err = self.assertError(r, 507, "insufficient_storage")
        self.assertIn("No space left on device", err["message"])


if __name__ == "__main__":
    unittest.main()
