"""The OS catalogue (GET /api/os, /api/os/{os}) from the vireo-osinfo
helper, its search, and the defaults an "os" gives POST /api/vms:
recommended vCPUs and memory, SATA disks and e1000e NICs for an OS
without virtio drivers; an unknown OS is a 400 naming the field; the OS on
an ISO volume (a Debian-labelled image made with genisoimage) identified in
GET of the volume."""

import os
import subprocess
import tempfile
import unittest

import harness
from test_create import CreateTestCase

OS_KEYS = {"id", "osinfo_id", "name", "vendor", "family", "distro", "version", "release_date",
           "eol_date", "recommended", "minimum", "virtio"}


class OsTest(CreateTestCase):
    def test_list_and_search(self):
        r = self.api.get("/api/os")
        self.assertStatus(r, 200)
        oses = r.json()["os"]
        self.assertGreater(len(oses), 100)
        for o in oses:
            self.assertEqual(set(o), OS_KEYS)
        ids = {o["id"] for o in oses}
        self.assertIn("debian11", ids)
        r = self.api.get("/api/os?q=DEBIAN")
        self.assertStatus(r, 200)
        found = r.json()["os"]
        self.assertTrue(found and all("debian" in (o["id"] + (o["name"] or "")).lower() for o in found))
        r = self.api.get("/api/os?family=winnt")
        self.assertTrue(all(o["family"] == "winnt" for o in r.json()["os"]))
        self.assertError(self.api.get("/api/os?bogus=1"), 400)

    def test_one(self):
        r = self.api.get("/api/os/debian11")
        self.assertStatus(r, 200)
        self.assertETag(r)
        o = r.json()
        self.assertEqual(o["id"], "debian11")
        self.assertTrue(o["virtio"]["disk"] and o["virtio"]["net"])
        self.assertGreaterEqual(o["recommended"]["memory"], o["minimum"]["memory"])
        self.assertError(self.api.get("/api/os/no-such-os"), 404)

    def test_create_takes_defaults_from_the_os(self):
        name = self.new_name("osdef")
        r = self.api.post("/api/vms", json_body={"name": name, "os": "debian11", "graphics": "none"})
        self.assertStatus(r, 201)
        rec = self.api.get("/api/os/debian11").json()["recommended"]
        self.assertEqual((r.json()["vcpus"], r.json()["memory"]), (rec["vcpus"], rec["memory"]))
        self.assertStatus(self.api.delete("/api/vms/" + name), 204)
        # An OS without virtio drivers: SATA disks unless the body says otherwise.
        no_virtio = next(o for o in self.api.get("/api/os?family=winnt").json()["os"]
                         if not o["virtio"]["disk"])
        name = self.new_name("osdef2")
        r = self.api.post("/api/vms", json_body={
            "name": name, "os": no_virtio["id"], "vcpus": 1, "memory": 64, "graphics": "none",
            "disks": [{"volume": "%s/base.img" % self.pool}]})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["disks"][0]["bus"], "sata")
        self.assertStatus(self.api.delete("/api/vms/" + name), 204)
        r = self.api.post("/api/vms", json_body={"name": name, "os": "no-such-os", "vcpus": 1,
                                                 "memory": 64})
        self.assertError(r, 400)
        self.assertIn("os", r.json()["error"]["message"])


    def make_iso(self, name, label):
        """An ISO 9660 image with volume id `label`, put into the pool."""
        with tempfile.TemporaryDirectory() as tree:
            with open(os.path.join(tree, "README.txt"), "w") as f:
                f.write("vireo test medium\n")
            path = os.path.join(self.dir, name)
            subprocess.run(["genisoimage", "-quiet", "-V", label, "-o", path, tree], check=True)
        os.chmod(path, 0o644)
        self.assertStatus(self.api.post("/api/pools/%s/refresh" % self.pool), 200)
        return "/api/pools/%s/volumes/%s" % (self.pool, name)

    def test_iso_volume_shows_its_os(self):
        url = self.make_iso("netinst.iso", "Debian 11.5.0 amd64 n")
        r = self.api.get(url)
        self.assertStatus(r, 200)
        vol = r.json()
        self.assertTrue(vol["iso"])
        self.assertEqual(vol["os"], {"id": "debian11", "name": "Debian 11"})
        # Lists never run libosinfo.
        listed = [v for v in self.api.get("/api/pools/%s/volumes" % self.pool).json()["volumes"]
                  if v["name"] == "netinst.iso"]
        self.assertEqual(len(listed), 1)
        self.assertNotIn("os", listed[0])
        # A medium libosinfo does not know: null, not an error.
        r = self.api.get(self.make_iso("data.iso", "VIREO DATA"))
        self.assertStatus(r, 200)
        self.assertIsNone(r.json()["os"])
        # A disk image is no medium: no "os" member at all.
        self.assertNotIn("os", self.api.get("/api/pools/%s/volumes/base.img" % self.pool).json())


if __name__ == "__main__":
    unittest.main()
