"""Pool types beyond dir on the real libvirtd, as far as this machine
allows: an fs pool on an ext4 loop device (mounted, used, unmounted,
removed), a logical pool whose volume group is built on a loop device, and
netfs/iscsi pools whose start fails, leaving nothing defined. The checks of
every type's members answer 400 before libvirt is asked. Loop devices and
pools are named vireo-pt-PID-... and removed even when a test fails."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from test_storage import IMAGES, MIB, POOL_KEYS, pool_exists, q, remove_pool, umount_quietly

PREFIX = "vireo-pt-%d-" % os.getpid()


def run(*cmd):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE).stdout.decode().strip()


class PoolTypesTest(harness.ApiTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix=PREFIX, dir=IMAGES)
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def new_pool_name(self, tag):
        name = PREFIX + tag
        self.addCleanup(remove_pool, name)
        return name

    def loop_device(self, tag, size=64 * MIB):
        """A sparse file attached to a free loop device, detached after."""
        image = os.path.join(self.tmp, tag + ".img")
        with open(image, "wb") as f:
            f.truncate(size)
        dev = run("losetup", "--find", "--show", image)
        self.addCleanup(subprocess.run, ["losetup", "-d", dev])
        return dev

    def create(self, body, status=201):
        r = self.api.post("/api/pools", json_body=body)
        if status == 201:
            self.assertStatus(r, 201, "creating %s pool" % body.get("type"))
            self.assertEqual(set(r.json()), POOL_KEYS)
        return r

    def test_fs_pool_on_an_ext4_loop_device(self):
        dev = self.loop_device("fs")
        run("mkfs.ext4", "-q", dev)
        mnt = os.path.join(self.tmp, "mnt")
        self.addCleanup(umount_quietly, mnt)
        name = self.new_pool_name("fs")
        pool = self.create({"name": name, "type": "fs", "path": mnt,
                            "source": {"devices": [dev], "format": "ext4"}}).json()
        self.assertEqual(pool["type"], "fs")
        self.assertEqual(pool["state"], "running")
        self.assertEqual(pool["source"], {"devices": [dev], "format": "ext4"})
        self.assertGreater(pool["capacity"], 40 * MIB)
        # libvirt mounted the file system on the target directory
        with open("/proc/self/mounts") as f:
            self.assertIn(" %s ext4 " % mnt, f.read())
        vols = "/api/pools/%s/volumes" % q(name)
        self.assertStatus(self.api.post(vols, json_body={"name": "d.qcow2", "capacity": MIB,
                                                         "format": "qcow2"}), 201)
        self.assertTrue(os.path.exists(os.path.join(mnt, "d.qcow2")))
        self.assertStatus(self.api.delete(vols + "/d.qcow2"), 204)
        self.assertStatus(self.api.post("/api/pools/%s/stop" % q(name)), 200)
        with open("/proc/self/mounts") as f:
            self.assertNotIn(" %s " % mnt, f.read())
        r = self.api.delete("/api/pools/%s?delete_storage=true" % q(name))
        self.assertStatus(r, 204)
        self.assertFalse(pool_exists(name))
        self.assertFalse(os.path.exists(mnt))

    def test_logical_pool_builds_a_volume_group(self):
        dev = self.loop_device("lvm")
        name = self.new_pool_name("lvm")
        vg = name.replace("-", "_")
        self.addCleanup(subprocess.run, ["vgremove", "-f", vg], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        pool = self.create({"name": name, "type": "logical",
                            "source": {"name": vg, "devices": [dev]}}).json()
        self.assertEqual(pool["path"], "/dev/" + vg)
        self.assertEqual(pool["state"], "running")
        self.assertEqual(pool["source"], {"devices": [dev], "name": vg, "format": "lvm2"})
        self.assertGreater(pool["capacity"], 32 * MIB)
        self.assertIn(vg, run("vgs", "--noheadings", "-o", "vg_name").split())
        # The volume group is never wiped through the API.
        self.assertError(self.api.delete("/api/pools/%s?delete_storage=true" % q(name)), 501)
        self.assertStatus(self.api.delete("/api/pools/%s" % q(name)), 204)
        self.assertFalse(pool_exists(name))
        self.assertIn(vg, run("vgs", "--noheadings", "-o", "vg_name").split())

    def test_failed_build_or_start_leaves_nothing(self):
        # Not a block device: pvcreate fails, nothing stays defined.
        name = self.new_pool_name("badlvm")
        r = self.create({"name": name, "type": "logical", "source": {"devices": ["/dev/null"]}},
                        status=None)
        self.assertGreaterEqual(r.status, 400, repr(r))
        self.assertFalse(pool_exists(name))
        # Nothing serves iSCSI or NFS here: the start fails, nothing stays.
        for body in ({"type": "iscsi", "source": {"host": "127.0.0.1", "port": 9,
                                                  "iqn": "iqn.2024-01.org.vireo:none"}},
                     {"type": "netfs", "path": os.path.join(self.tmp, "nfs"),
                      "source": {"host": "127.0.0.1", "dir": "/export"}}):
            name = self.new_pool_name(body["type"])
            with self.subTest(type=body["type"]):
                r = self.create(dict(body, name=name), status=None)
                self.assertGreaterEqual(r.status, 400, repr(r))
                self.assertFalse(pool_exists(name))
                self.assertError(self.api.get("/api/pools/" + q(name)), 404)

    def test_members_are_checked_per_type(self):
        name = self.new_pool_name("bad")
        path = os.path.join(self.tmp, "x")
        for bad in ({"type": "fs", "path": path},
                    {"type": "fs", "path": path, "source": {"devices": ["/tmp/x.img"]}},
                    {"type": "fs", "path": path, "source": {"devices": ["/dev/sdz"],
                                                            "format": "ntfs"}},
                    {"type": "fs", "path": path, "source": {"devices": "/dev/sdz"}},
                    {"type": "dir", "path": path, "source": {"host": "nas"}},
                    {"type": "netfs", "path": path, "source": {"host": "n$(id)", "dir": "/e"}},
                    {"type": "netfs", "path": path, "source": {"host": "nas", "dir": "e"}},
                    {"type": "netfs", "source": {"host": "nas", "dir": "/e"}},
                    {"type": "logical", "source": {"name": "-vg"}},
                    {"type": "logical", "path": path},
                    {"type": "iscsi", "source": {"host": "san", "iqn": "nope"}},
                    {"type": "iscsi", "source": {"host": "san", "iqn": "iqn.2024-01.x:y",
                                                 "port": 0}},
                    {"type": "iscsi", "source": {"host": "san", "iqn": "iqn.2024-01.x:y",
                                                 "port": "3260"}},
                    {"type": "iscsi", "source": {"host": "san", "iqn": "iqn.2024-01.x:y",
                                                 "dir": "/x"}},
                    {"type": "iscsi", "source": "san"},
                    {"type": "iscsi", "source": {"host": "san", "iqn": "iqn.2024-01.x:y",
                                                 "color": "red"}},
                    {"type": "zfs", "path": path}):
            with self.subTest(body=bad):
                self.assertError(self.api.post("/api/pools", json_body=dict(bad, name=name)), 400)
        self.assertFalse(pool_exists(name))


if __name__ == "__main__":
    unittest.main()
