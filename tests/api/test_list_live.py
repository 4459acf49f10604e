"""GET /api/vms is served from vireod's model of the host (virt_model.h):
a change made outside Vireo with virsh shows in the list within 1 s (the
issue's bound, a liveness bound: the list is polled until it shows, with
that deadline), whether libvirt raises an event for it (start, destroy,
define, undefine, desc) or not (setmem/setvcpus --config, autostart); and a
change made through Vireo shows in the very next list."""

import os
import tempfile
import time

import harness

DEADLINE_S = 1.0


def define(name, memory_mib=128, vcpus=1, max_vcpus=4):
    """A domain that starts at once and sits in its BIOS (nothing to boot)."""
    harness._names.append(name)
    doc = """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu current='%d'>%d</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <on_poweroff>destroy</on_poweroff>
  <devices/>
</domain>
""" % (name, memory_mib, vcpus, max_vcpus)
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(doc)
        path = f.name
    try:
        harness.virsh("define", path)
    finally:
        os.unlink(path)
    return name


class ListFollowsVirshTest(harness.ApiTestCase):
    def listed(self, name):
        r = self.api.get("/api/vms")
        self.assertStatus(r, 200)
        for vm in r.json()["vms"]:
            if vm["name"] == name:
                return vm
        return None

    def shows_within(self, name, check, what):
        """Lists until check(vm or None) holds; fails when a list asked for
        more than 1 s after the change still does not show it."""
        started = time.monotonic()
        while True:
            asked = time.monotonic() - started
            last = self.listed(name)
            if check(last):
                harness.log("%s showed in a list asked %.0f ms after it (answered after %.0f ms)"
                            % (what, asked * 1000, (time.monotonic() - started) * 1000))
                return last
            if asked > DEADLINE_S:
                self.fail("%s did not show in a list asked %.1f s after it; the list says %r"
                          % (what, asked, last))
            time.sleep(0.02)

    def vm(self, tag, **kw):
        name = self.new_name(tag)
        define(name, **kw)
        # Someone looks at the list, as the UI does.
        self.shows_within(name, lambda v: v is not None, "the new domain")
        return name

    def test_virsh_start(self):
        name = self.vm("lstart")
        harness.virsh("start", name)
        self.shows_within(name, lambda v: v["state"] == "running", "virsh start")

    def test_virsh_destroy(self):
        name = self.vm("ldestroy")
        harness.virsh("start", name)
        self.shows_within(name, lambda v: v["state"] == "running", "virsh start")
        harness.virsh("destroy", name)
        self.shows_within(name, lambda v: v["state"] == "shutoff", "virsh destroy")

    def test_virsh_define(self):
        self.listed("nothing")   # the list is in use
        name = self.new_name("ldefine")
        define(name)
        vm = self.shows_within(name, lambda v: v is not None, "virsh define")
        self.assertEqual(vm["uuid"], harness.domain_uuid(name))
        self.assertEqual(vm["state"], "shutoff")

    def test_virsh_undefine(self):
        name = self.vm("lundef")
        harness.virsh("undefine", name)
        self.shows_within(name, lambda v: v is None, "virsh undefine")

    def test_virsh_setmem_config(self):
        name = self.vm("lsetmem", memory_mib=128)
        self.assertEqual(self.listed(name)["memory"], 128)
        harness.virsh("setmem", name, "96M", "--config")
        self.shows_within(name, lambda v: v["memory"] == 96, "virsh setmem --config")

    def test_virsh_setvcpus_config(self):
        name = self.vm("lsetvcpus", vcpus=1, max_vcpus=4)
        self.assertEqual(self.listed(name)["vcpus"], 1)
        harness.virsh("setvcpus", name, "3", "--config")
        self.shows_within(name, lambda v: v["vcpus"] == 3, "virsh setvcpus --config")

    def test_virsh_autostart(self):
        name = self.vm("lauto")
        self.assertFalse(self.listed(name)["autostart"])
        harness.virsh("autostart", name)
        self.shows_within(name, lambda v: v["autostart"], "virsh autostart")
        harness.virsh("autostart", "--disable", name)
        self.shows_within(name, lambda v: not v["autostart"], "virsh autostart --disable")

    def test_virsh_desc(self):
        name = self.vm("ldesc")
        self.assertEqual(self.listed(name)["description"], "")
        harness.virsh("desc", name, "set with virsh")
        self.shows_within(name, lambda v: v["description"] == "set with virsh", "virsh desc")
        # And Vireo's own edits land in libvirt's description.
        r = self.api.patch("/api/vms/" + name, {"description": "set by Vireo"})
        self.assertStatus(r, 200)
        self.assertEqual(harness.virsh("desc", name).strip(), "set by Vireo")
        self.assertEqual(self.listed(name)["description"], "set by Vireo")

    def test_own_changes_show_in_the_next_list(self):
        name = self.vm("lown")
        self.assertStatus(self.api.post("/api/vms/%s/start" % name), 200)
        self.assertEqual(self.listed(name)["state"], "running")
        r = self.api.patch("/api/vms/" + name, {"autostart": True, "description": "mine",
                                                "tags": ["a"]})
        self.assertStatus(r, 200)
        vm = self.listed(name)
        self.assertEqual((vm["autostart"], vm["description"], vm["tags"]), (True, "mine", ["a"]))
        self.assertStatus(self.api.post("/api/vms/%s/poweroff" % name), 200)
        self.assertEqual(self.listed(name)["state"], "shutoff")
        self.assertStatus(self.api.delete("/api/vms/" + name), 204)
        self.assertIsNone(self.listed(name))

    def test_viewer_sees_only_granted(self):
        shown = self.vm("lshown")
        hidden = self.vm("lhidden")
        user, pw = harness.make_user(self.daemon, "lview", "viewer")
        viewer, _ = harness.token_client(self.daemon, user, pw)
        harness.grant(self.daemon, user, shown)
        names = [v["name"] for v in viewer.get("/api/vms").json()["vms"]]
        self.assertIn(shown, names)
        self.assertNotIn(hidden, names)
        # The admin's list, kept for reuse, is never what a viewer gets.
        self.assertIn(hidden, [v["name"] for v in self.api.get("/api/vms").json()["vms"]])
        names = [v["name"] for v in viewer.get("/api/vms").json()["vms"]]
        self.assertNotIn(hidden, names)


if __name__ == "__main__":
    import unittest
    unittest.main()
