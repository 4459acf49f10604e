"""GET /api/vms (list, filters, paging), GET /api/vms/{name|uuid}, and libvirt
as the source of truth (virsh define/undefine show up)."""

import re
import urllib.parse

import harness

SUMMARY_KEYS = {"name", "uuid", "state", "vcpus", "memory", "autostart", "persistent",
                "description", "tags", "created_at",
                # live, from the sampler's last sample (test_stats checks them)
                "started_at", "uptime", "uptime_source", "addresses", "stats",
                # the libvirt host it is on (docs/hosts.md)
                "host"}
DETAIL_KEYS = SUMMARY_KEYS | {"domain_type", "os", "disks", "nics", "graphics"}
STATES = {"running", "paused", "shutoff", "shutdown", "crashed", "pmsuspended", "blocked",
          "nostate"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class ListTest(harness.ApiTestCase):
    def list(self, query=""):
        r = self.api.get("/api/vms" + query)
        self.assertStatus(r, 200, "GET /api/vms" + query)
        doc = r.json()
        self.assertIsInstance(doc.get("vms"), list, repr(r))
        self.assertIn("next", doc, repr(r))
        return doc

    def find(self, doc, name):
        hits = [v for v in doc["vms"] if v.get("name") == name]
        self.assertLessEqual(len(hits), 1, "%s listed twice" % name)
        return hits[0] if hits else None

    def assertSummary(self, v):
        self.assertEqual(set(v), SUMMARY_KEYS, repr(v))
        self.assertIsInstance(v["name"], str)
        self.assertRegex(v["uuid"], UUID_RE)
        self.assertIn(v["state"], STATES)
        self.assertIsInstance(v["vcpus"], int)
        self.assertIsInstance(v["memory"], int)
        self.assertIsInstance(v["autostart"], bool)
        self.assertIsInstance(v["persistent"], bool)
        self.assertIsInstance(v["description"], str)
        self.assertIsInstance(v["tags"], list)
        self.assertIsInstance(v["created_at"], str)
        self.assertRegex(v["created_at"], TIME_RE)

    def test_virsh_define_and_undefine_are_seen(self):
        name = self.guest("seen")
        v = self.find(self.list(), name)
        self.assertIsNotNone(v, "a VM defined with virsh is missing from GET /api/vms")
        self.assertSummary(v)
        self.assertEqual(v["uuid"], harness.domain_uuid(name))
        self.assertEqual(v["state"], "shutoff")
        self.assertEqual(v["memory"], 128)
        self.assertEqual(v["vcpus"], 1)
        self.assertTrue(v["persistent"])
        self.assertFalse(v["autostart"])
        self.assertEqual(v["description"], "")
        self.assertEqual(v["tags"], [])
        harness.virsh("undefine", name)
        self.assertIsNone(self.find(self.list(), name),
                          "a VM undefined with virsh is still in GET /api/vms")
        self.assertError(self.api.get("/api/vms/" + name), 404)

    def test_metadata_does_not_survive_redefine(self):
        name = self.guest("redef")
        uuid1 = harness.domain_uuid(name)
        r = self.api.patch("/api/vms/" + name,
                           {"description": "old machine", "tags": ["old"]})
        self.assertStatus(r, 200)
        self.assertEqual(self.vm(name)["description"], "old machine")
        harness.virsh("undefine", name)
        harness.define_guest(name)
        uuid2 = harness.domain_uuid(name)
        self.assertNotEqual(uuid1, uuid2)
        v = self.vm(name)
        self.assertEqual(v["uuid"], uuid2)
        self.assertEqual(v["description"], "", "description of the old VM came back")
        self.assertEqual(v["tags"], [], "tags of the old VM came back")
        listed = self.find(self.list(), name)
        self.assertEqual(listed["description"], "")
        self.assertEqual(listed["tags"], [])

    def test_summary_shape_for_all(self):
        self.guest("shape")
        doc = self.list()
        self.assertGreaterEqual(len(doc["vms"]), 1)
        for v in doc["vms"]:
            self.assertSummary(v)
        names = [v["name"] for v in doc["vms"]]
        self.assertEqual(names, sorted(names), "list not sorted by name")
        self.assertIsNone(doc["next"], "next must be null without limit")

    def test_fields(self):
        name = self.guest("fields")
        doc = self.list("?fields=name,state")
        self.assertTrue(doc["vms"])
        for v in doc["vms"]:
            self.assertEqual(set(v), {"name", "state"}, repr(v))
        self.assertEqual(self.find(doc, name), {"name": name, "state": "shutoff"})
        doc = self.list("?fields=uuid")
        for v in doc["vms"]:
            self.assertEqual(set(v), {"uuid"}, repr(v))

    def test_paging(self):
        # Other test tiers may define VMs on this host meanwhile: check order,
        # uniqueness and that each of ours is seen exactly once, not equality.
        mine = [self.guest("page-%d" % i) for i in range(5)]
        full = [v["name"] for v in self.list("?fields=name")["vms"]]
        for n in mine:
            self.assertIn(n, full)
        for limit in (1, 2, 3):
            seen = []
            after = None
            pages = 0
            while True:
                q = "?fields=name&limit=%d" % limit
                if after is not None:
                    q += "&after=" + urllib.parse.quote(after, safe="")
                doc = self.list(q)
                names = [v["name"] for v in doc["vms"]]
                self.assertLessEqual(len(names), limit, q)
                if after is not None:
                    for n in names:
                        self.assertGreater(n, after, "%s: %s is not after %s" % (q, n, after))
                seen.extend(names)
                pages += 1
                self.assertLess(pages, len(full) + 20, "paging does not terminate")
                if doc["next"] is None:
                    break
                self.assertIsInstance(doc["next"], str)
                self.assertEqual(len(names), limit, "a page before the last is short (%s)" % q)
                self.assertEqual(doc["next"], names[-1],
                                 "next should be the last name of the page (%s)" % q)
                after = doc["next"]
            self.assertEqual(seen, sorted(set(seen)),
                             "paging with limit=%d: not sorted or duplicates" % limit)
            for n in mine:
                self.assertEqual(seen.count(n), 1, "limit=%d: %s seen %d times"
                                 % (limit, n, seen.count(n)))
        # after= one of ours starts strictly after it and keeps our order
        doc = self.list("?fields=name&limit=1000&after=" + mine[1])
        names = [v["name"] for v in doc["vms"]]
        self.assertTrue(all(n > mine[1] for n in names), names)
        self.assertEqual([n for n in names if n in mine], mine[2:])
        self.assertIsNone(doc["next"], "a page holding the rest must have next=null")
        doc = self.list("?fields=name&limit=1&after=" + mine[3])
        self.assertEqual([v["name"] for v in doc["vms"]], [mine[4]])
        # after= a name that does not exist is a position, not an error
        doc = self.list("?fields=name&limit=1000&after=" + mine[0] + "a")
        names = [v["name"] for v in doc["vms"]]
        self.assertNotIn(mine[0], names)
        self.assertIn(mine[1], names)

    def test_state_filter(self):
        name = self.guest("state")
        doc = self.list("?state=shutoff")
        self.assertIsNotNone(self.find(doc, name))
        for v in doc["vms"]:
            self.assertEqual(v["state"], "shutoff")
        doc = self.list("?state=running,paused")
        self.assertIsNone(self.find(doc, name))
        for v in doc["vms"]:
            self.assertIn(v["state"], ("running", "paused"))
        doc = self.list("?state=running,shutoff&fields=name")
        self.assertIsNotNone(self.find(doc, name))

    def test_bad_query_parameters(self):
        for q in ("?fields=bogus", "?fields=name,bogus", "?limit=0", "?limit=1001",
                  "?limit=-1", "?limit=abc", "?limit=2x", "?state=bogus",
                  "?state=running,bogus"):
            with self.subTest(query=q):
                self.assertError(self.api.get("/api/vms" + q), 400)


class DetailTest(harness.ApiTestCase):
    def assertDetail(self, d):
        self.assertEqual(set(d), DETAIL_KEYS, repr(d))
        self.assertIn(d["domain_type"], ("qemu", "kvm"))
        os_ = d["os"]
        for key in ("type", "arch", "machine", "boot", "kernel"):
            self.assertIn(key, os_)
        self.assertIsInstance(os_["boot"], list)
        self.assertIsInstance(d["disks"], list)
        self.assertIsInstance(d["nics"], list)
        self.assertIsInstance(d["graphics"], list)

    def test_by_name_and_uuid(self):
        name = self.guest("detail")
        uuid = harness.domain_uuid(name)
        r1 = self.api.get("/api/vms/" + name)
        self.assertStatus(r1, 200)
        etag1 = self.assertETag(r1)
        d = r1.json()
        self.assertDetail(d)
        self.assertEqual(d["name"], name)
        self.assertEqual(d["uuid"], uuid)
        self.assertEqual(d["state"], "shutoff")
        self.assertEqual(d["domain_type"], "qemu")
        self.assertEqual(d["os"]["type"], "hvm")
        self.assertEqual(d["os"]["arch"], "x86_64")
        self.assertTrue(d["os"]["machine"].startswith("pc"), d["os"]["machine"])
        self.assertEqual(d["os"]["kernel"], harness.GUEST_DIR + "/vmlinuz")
        self.assertEqual(d["disks"], [])
        self.assertEqual(d["nics"], [])
        self.assertEqual(d["graphics"], [])
        self.assertEqual(d["memory"], 128)
        self.assertEqual(d["vcpus"], 1)

        r2 = self.api.get("/api/vms/" + uuid)
        self.assertStatus(r2, 200)
        self.assertEqual(r2.json(), d)
        self.assertEqual(self.assertETag(r2), etag1, "same VM, same state, different ETag")

        r3 = self.api.get("/api/vms/" + uuid.upper())
        self.assertIn(r3.status, (200, 404), repr(r3))

    def test_disks_nics_graphics(self):
        name = self.new_name("devices")
        harness.define_xml(name, devices="""
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/%s-nonexistent.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
""" % name)
        d = self.vm(name)
        self.assertDetail(d)
        self.assertIsNone(d["os"]["kernel"])
        self.assertEqual(d["os"]["boot"], ["hd"])
        self.assertEqual(len(d["disks"]), 2, d["disks"])
        vda = [x for x in d["disks"] if x.get("target") == "vda"]
        self.assertEqual(vda, [{"target": "vda", "device": "disk",
                                "source": "/var/lib/libvirt/images/%s-nonexistent.qcow2" % name,
                                "format": "qcow2", "bus": "virtio"}])
        hdc = [x for x in d["disks"] if x.get("target") == "hdc"]
        self.assertEqual(len(hdc), 1, d["disks"])
        self.assertEqual(hdc[0]["device"], "cdrom")
        self.assertIsNone(hdc[0]["source"])
        self.assertEqual(hdc[0]["bus"], "ide")
        self.assertEqual(d["nics"], [{"mac": "52:54:00:12:34:56", "type": "network",
                                      "source": "default", "model": "virtio", "link": "up"}])
        self.assertEqual(len(d["graphics"]), 1, d["graphics"])
        g = d["graphics"][0]
        self.assertEqual(g["type"], "vnc")
        self.assertIsNone(g["port"], "a shut-off VM with autoport has no port")
        self.assertEqual(g["listen"], "127.0.0.1")

    def test_unknown_vm(self):
        self.assertError(self.api.get("/api/vms/%snope" % harness.PREFIX), 404)
        self.assertError(self.api.get("/api/vms/00000000-0000-4000-8000-00000000abcd"), 404)


if __name__ == "__main__":
    import unittest
    unittest.main()
