"""PATCH /api/vms/{name}: rename (only when shut off), vCPUs and memory (live
where the hypervisor allows, else for the next boot, and the answer says
which), boot order, and the 400/404/409/412 answers. Real libvirtd, the tiny
TCG test guest."""

import re

import harness
from test_events import EventStream


def dumpxml(name, inactive=False):
    args = ["dumpxml", name] + (["--inactive"] if inactive else [])
    return harness.virsh(*args)


class EditOffTest(harness.ApiTestCase):
    def setUp(self):
        self.name = self.guest("edit")
        self.path = "/api/vms/" + self.name

    def test_rename_keeps_uuid_and_metadata(self):
        r = self.api.patch(self.path, {"description": "keep me", "tags": ["t1"]})
        self.assertStatus(r, 200)
        uuid = r.json()["uuid"]
        new = harness.unique_name("renamed")
        self.addCleanup(harness.remove_domain, new)
        r = self.api.patch(self.path, {"name": new})
        self.assertStatus(r, 200)
        d = r.json()
        self.assertEqual((d["name"], d["uuid"], d["description"], d["tags"]),
                         (new, uuid, "keep me", ["t1"]))
        self.assertNotIn("applied", d, "a rename alone applies nothing live or at boot")
        self.assertError(self.api.get(self.path), 404)
        self.assertEqual(harness.domain_uuid(new), uuid)
        self.assertFalse(harness.domain_exists(self.name))
        g = self.api.get("/api/vms/" + new)
        self.assertStatus(g, 200)
        self.assertEqual(self.assertETag(g), self.assertETag(r), "GET after rename: other ETag")
        # the same name again is a no-op
        self.assertStatus(self.api.patch("/api/vms/" + new, {"name": new}), 200)

    def test_rename_clash_and_bad_names(self):
        other = self.guest("edit-other")
        r = self.api.patch(self.path, {"name": other})
        self.assertError(r, 409)
        self.assertIn(other, r.json()["error"]["message"])
        for bad in ("", "a/b", ".hidden", "x" * 256, "tab\there"):
            with self.subTest(name=bad):
                r = self.api.patch(self.path, {"name": bad})
                self.assertError(r, 400)
                self.assertIn("name", r.json()["error"]["message"])
        self.assertTrue(harness.domain_exists(self.name))

    def test_vcpus_and_memory_next_boot_when_off(self):
        events = EventStream(self.daemon, self.daemon.token)
        self.addCleanup(events.close)
        r = self.api.patch(self.path, {"vcpus": 2, "memory": 192})
        self.assertStatus(r, 200)
        events.wait_for(self.name, "edited", timeout=10)
        d = r.json()
        self.assertEqual(d["applied"], {"vcpus": "next_boot", "memory": "next_boot"})
        self.assertEqual((d["vcpus"], d["memory"]), (2, 192))
        self.assertNotIn("next_boot", d, "a VM that is off has nothing pending")
        xml = dumpxml(self.name, inactive=True)
        self.assertRegex(xml, r"<vcpu[^>]*>2</vcpu>")
        self.assertRegex(xml, r"<memory unit='KiB'>196608</memory>")
        self.assertRegex(xml, r"<currentMemory unit='KiB'>196608</currentMemory>")
        g = self.api.get(self.path)
        self.assertEqual(self.assertETag(g), self.assertETag(r),
                         "the PATCH answer's ETag must be the VM's (without 'applied')")
        # fewer vCPUs than the maximum: current drops, the maximum stays
        r = self.api.patch(self.path, {"vcpus": 1})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["vcpus"], 1)
        self.assertRegex(dumpxml(self.name, inactive=True), r"<vcpu[^>]*current='1'[^>]*>2</vcpu>")

    def test_boot_order(self):
        r = self.api.patch(self.path, {"boot": ["cdrom", "hd", "network"]})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["os"]["boot"], ["cdrom", "hd", "network"])
        self.assertEqual(r.json()["applied"], {"boot": "next_boot"})
        xml = dumpxml(self.name, inactive=True)
        self.assertEqual(re.findall(r"<boot dev='(\w+)'/>", xml), ["cdrom", "hd", "network"])
        self.assertIn("<kernel>", xml, "the rest of <os> must stay")
        r = self.api.patch(self.path, {"boot": ["hd"]})
        self.assertEqual(r.json()["os"]["boot"], ["hd"])
        r = self.api.patch(self.path, {"boot": []})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["os"]["boot"], ["hd"], "libvirt's default")

    def test_invalid_values(self):
        cases = [
            ("vcpus zero", {"vcpus": 0}, "vcpus"),
            ("vcpus negative", {"vcpus": -1}, "vcpus"),
            ("vcpus fraction", {"vcpus": 1.5}, "vcpus"),
            ("vcpus string", {"vcpus": "2"}, "vcpus"),
            ("vcpus above the hypervisor", {"vcpus": 4000}, "vcpus"),
            ("vcpus absurd", {"vcpus": 2 ** 40}, "vcpus"),
            ("memory too small", {"memory": 8}, "memory"),
            ("memory above the host", {"memory": 1 << 30}, "memory"),
            ("memory null", {"memory": None}, "memory"),
            ("name not a string", {"name": 5}, "name"),
            ("boot not a list", {"boot": "hd"}, "boot"),
            ("boot unknown device", {"boot": ["floppy"]}, "boot"),
            ("boot twice", {"boot": ["hd", "hd"]}, "boot"),
            ("boot too long", {"boot": ["hd", "cdrom", "network", "fd", "hd"]}, "boot"),
            ("good and bad together", {"vcpus": 2, "memory": 1}, "memory"),
        ]
        before = dumpxml(self.name, inactive=True)
        for label, body, field in cases:
            with self.subTest(label):
                r = self.api.patch(self.path, body)
                self.assertError(r, 400)
                self.assertIn(field, r.json()["error"]["message"])
        self.assertEqual(dumpxml(self.name, inactive=True), before, "a rejected PATCH changed the VM")

    def test_if_match_stale_changes_nothing(self):
        etag = self.assertETag(self.api.get(self.path))
        self.assertStatus(self.api.patch(self.path, {"description": "moved on"}), 200)
        before = dumpxml(self.name, inactive=True)
        r = self.api.patch(self.path, {"vcpus": 2, "boot": ["cdrom"]}, headers={"If-Match": etag})
        self.assertError(r, 412)
        self.assertEqual(dumpxml(self.name, inactive=True), before)

    def test_operator_without_grant_sees_404(self):
        d = self.daemon
        user, pw = harness.make_user(d, "editop", "operator")
        op, _ = harness.token_client(d, user, pw)
        self.assertError(op.patch(self.path, {"vcpus": 2}), 404)
        viewer, vpw = harness.make_user(d, "editviewer", "viewer")
        harness.grant(d, viewer, self.name)
        v, _ = harness.token_client(d, viewer, vpw)
        self.assertError(v.patch(self.path, {"vcpus": 2}), 403)
        self.assertEqual(self.vm(self.name)["vcpus"], 1)


class EditRunningTest(harness.ApiTestCase):
    """One running guest for the live cases (TCG is slow: start it once)."""

    def test_running_guest(self):
        name = self.guest("live")
        path = "/api/vms/" + name
        # Room for a live vCPU: maximum 2, current 1.
        self.assertStatus(self.api.patch(path, {"vcpus": 2}), 200)
        self.assertStatus(self.api.patch(path, {"vcpus": 1}), 200)
        self.action(name, "start")
        self.wait_marker(name)

        with self.subTest("rename while running is 409"):
            r = self.api.patch(path, {"name": name + "-x"})
            self.assertError(r, 409)
            self.assertIn("running", r.json()["error"]["message"])
            self.assertTrue(harness.domain_exists(name))

        with self.subTest("vcpus within the maximum: live"):
            r = self.api.patch(path, {"vcpus": 2})
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["applied"], {"vcpus": "live"})
            self.assertEqual(r.json()["vcpus"], 2)
            self.assertIn("2", harness.virsh("vcpucount", name, "--live", "--current"))
            self.assertRegex(dumpxml(name, inactive=True), r"<vcpu[^>]*>2</vcpu>")

        with self.subTest("vcpus above the maximum: next boot"):
            r = self.api.patch(path, {"vcpus": 3})
            self.assertStatus(r, 200)
            d = r.json()
            self.assertEqual(d["applied"], {"vcpus": "next_boot"})
            self.assertEqual(d["vcpus"], 2, "the running guest keeps 2 vCPUs")
            self.assertEqual(d["next_boot"]["vcpus"], 3)

        with self.subTest("memory without a balloon: next boot"):
            r = self.api.patch(path, {"memory": 160})
            self.assertStatus(r, 200)
            d = r.json()
            self.assertEqual(d["applied"], {"memory": "next_boot"})
            self.assertEqual(d["memory"], 128)
            self.assertEqual(d["next_boot"], {"vcpus": 3, "memory": 160})
            g = self.api.get(path)
            self.assertEqual(g.json()["next_boot"], {"vcpus": 3, "memory": 160})
            self.assertEqual(self.assertETag(g), self.assertETag(r))

        with self.subTest("the list says so too, with no request per VM"):
            self.assertEqual(self.listed(name)["next_boot"], {"vcpus": 3, "memory": 160})
            self.assertEqual(self.listed(name, "?fields=name,next_boot"),
                             {"name": name, "next_boot": {"vcpus": 3, "memory": 160}})

        with self.subTest("boot order of a running VM: next boot"):
            r = self.api.patch(path, {"boot": ["network", "hd"]})
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["next_boot"]["boot"], ["network", "hd"])
            self.assertEqual(self.listed(name)["next_boot"]["boot"], ["network", "hd"])

        with self.subTest("the next boot uses them"):
            self.action(name, "poweroff")
            self.wait_state(name, "shutoff")
            d = self.vm(name)
            self.assertEqual((d["vcpus"], d["memory"], d["os"]["boot"]), (3, 160, ["network", "hd"]))
            self.assertNotIn("next_boot", d)
            self.assertNotIn("next_boot", self.listed(name))

    def listed(self, name, query=""):
        r = self.api.get("/api/vms" + query)
        self.assertStatus(r, 200)
        return next(v for v in r.json()["vms"] if v["name"] == name)


if __name__ == "__main__":
    import unittest
    unittest.main()
