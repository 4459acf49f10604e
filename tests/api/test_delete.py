"""DELETE /api/vms/{name}: plain, If-Match, running (409 / force) and
volumes=true against a real directory storage pool."""

import os
import shutil
import tempfile

import harness


class DeleteTest(harness.ApiTestCase):
    def test_delete_shutoff(self):
        name = self.guest("del")
        r = self.api.delete("/api/vms/" + name)
        self.assertStatus(r, 204)
        self.assertEqual(r.body, b"")
        self.assertFalse(harness.domain_exists(name), "domain still defined after DELETE")
        self.assertError(self.api.get("/api/vms/" + name), 404)
        self.assertError(self.api.delete("/api/vms/" + name), 404)

    def test_delete_by_uuid(self):
        name = self.guest("deluuid")
        uuid = harness.domain_uuid(name)
        self.assertStatus(self.api.delete("/api/vms/" + uuid), 204)
        self.assertFalse(harness.domain_exists(name))

    def test_if_match(self):
        name = self.guest("delmatch")
        r = self.api.get("/api/vms/" + name)
        etag0 = self.assertETag(r)
        r = self.api.patch("/api/vms/" + name, {"description": "changed"})
        self.assertStatus(r, 200)
        etag1 = self.assertETag(r)
        self.assertNotEqual(etag0, etag1)
        r = self.api.delete("/api/vms/" + name, headers={"If-Match": etag0})
        self.assertError(r, 412)
        self.assertTrue(harness.domain_exists(name), "a stale DELETE removed the VM")
        r = self.api.delete("/api/vms/" + name, headers={"If-Match": etag1})
        self.assertStatus(r, 204)
        self.assertFalse(harness.domain_exists(name))

    def test_running_needs_force(self):
        name = self.guest("delrun")
        self.action(name, "start")
        self.assertEqual(harness.domain_state(name), "running")
        self.assertError(self.api.delete("/api/vms/" + name), 409)
        self.assertError(self.api.delete("/api/vms/%s?force=false" % name), 409)
        self.assertEqual(harness.domain_state(name), "running", "a refused DELETE stopped the VM")
        r = self.api.delete("/api/vms/%s?force=true" % name)
        self.assertStatus(r, 204)
        self.assertFalse(harness.domain_exists(name), "domain still exists after forced DELETE")

    def test_bad_query(self):
        name = self.guest("delq")
        for q in ("?force=maybe", "?volumes=2"):
            with self.subTest(q):
                self.assertError(self.api.delete("/api/vms/%s%s" % (name, q)), 400)
        self.assertTrue(harness.domain_exists(name))

    def test_volumes(self):
        pool = harness.PREFIX + "pool"
        pooldir = tempfile.mkdtemp(prefix=pool + "-", dir="/var/lib/libvirt/images")
        os.chmod(pooldir, 0o755)
        self.addCleanup(shutil.rmtree, pooldir, True)
        harness.virsh("pool-create-as", pool, "dir", "--target", pooldir)
        self.addCleanup(harness.virsh, "pool-destroy", pool, check=False)
        harness.virsh("vol-create-as", pool, "kept.img", "1M", "--format", "raw")
        harness.virsh("vol-create-as", pool, "gone.img", "1M", "--format", "raw")
        kept = os.path.join(pooldir, "kept.img")
        gone = os.path.join(pooldir, "gone.img")
        self.assertEqual(os.path.getsize(gone), 1024 * 1024)

        def disk(path):
            return """
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='%s'/>
      <target dev='vda' bus='virtio'/>
    </disk>""" % path

        # without volumes=true the volume stays
        a = self.new_name("volkeep")
        harness.define_xml(a, devices=disk(kept))
        d = self.vm(a)
        self.assertEqual(d["disks"][0]["source"], kept)
        self.assertEqual(d["disks"][0]["format"], "raw")
        self.assertStatus(self.api.delete("/api/vms/" + a), 204)
        self.assertTrue(os.path.exists(kept), "DELETE without volumes=true removed the disk")

        b = self.new_name("volgone")
        harness.define_xml(b, devices=disk(gone))
        self.assertStatus(self.api.delete("/api/vms/%s?volumes=true" % b), 204)
        self.assertFalse(harness.domain_exists(b))
        self.assertFalse(os.path.exists(gone), "volumes=true left the volume file")
        harness.virsh("pool-refresh", pool)
        vols = harness.virsh("vol-list", pool)
        self.assertNotIn("gone.img", vols)
        self.assertIn("kept.img", vols)


if __name__ == "__main__":
    import unittest
    unittest.main()
