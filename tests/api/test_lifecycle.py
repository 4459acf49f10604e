"""The full life of the real TCG test guest over HTTP: start, suspend, resume,
reboot, reset, ACPI shutdown, poweroff, and the 409 answers in between."""

import time

import harness


class LifecycleTest(harness.ApiTestCase):
    def act(self, name, act, want_state=None):
        r = self.action(name, act)
        d = r.json()
        self.assertEqual(d.get("name"), name, repr(r))
        self.assertIn("os", d, "actions answer the VM detail: %r" % r)
        self.assertETag(r)
        if want_state is not None:
            self.assertEqual(d["state"], want_state, "state after %s: %r" % (act, r))
        return d

    def conflict(self, name, act):
        self.assertError(self.api.post("/api/vms/%s/%s" % (name, act)), 409)

    def test_full_lifecycle(self):
        name = self.guest("life")
        timings = {}

        # shut off: only start is allowed
        for act in ("shutdown", "poweroff", "suspend", "resume", "reboot", "reset"):
            with self.subTest(shutoff_action=act):
                self.conflict(name, act)

        t0 = time.monotonic()
        self.act(name, "start", "running")
        timings["start call"] = time.monotonic() - t0
        self.assertEqual(harness.domain_state(name), "running")
        self.conflict(name, "start")
        self.conflict(name, "resume")
        self.wait_marker(name, 90)
        timings["start -> marker"] = time.monotonic() - t0

        self.act(name, "suspend", "paused")
        self.assertEqual(harness.domain_state(name), "paused")
        self.conflict(name, "suspend")
        self.conflict(name, "start")
        self.act(name, "resume", "running")
        self.assertEqual(harness.domain_state(name), "running")

        # action with an explicit empty JSON body
        t0 = time.monotonic()
        r = self.api.post("/api/vms/%s/reboot" % name, json_body={})
        self.assertStatus(r, 200)
        self.wait_marker(name, 90, count=2)
        timings["reboot -> marker"] = time.monotonic() - t0
        self.assertEqual(self.vm(name)["state"], "running")

        t0 = time.monotonic()
        self.act(name, "reset", "running")
        self.wait_marker(name, 90, count=3)
        timings["reset -> marker"] = time.monotonic() - t0

        # graceful ACPI shutdown, decided by the guest
        t0 = time.monotonic()
        self.act(name, "shutdown")
        self.wait_state(name, "shutoff", 60)
        timings["shutdown -> shutoff"] = time.monotonic() - t0
        self.assertEqual(harness.domain_state(name), "shut off")
        self.assertIn(b"VIREO-GUEST-POWEROFF", open(harness.serial_log(name), "rb").read(),
                      "guest did not see the ACPI power button")

        # forced power off of a running guest
        self.act(name, "start", "running")
        self.wait_marker(name, 90)
        t0 = time.monotonic()
        r = self.action(name, "poweroff")
        if r.json()["state"] != "shutoff":
            self.wait_state(name, "shutoff", 10)
        timings["poweroff -> shutoff"] = time.monotonic() - t0
        self.assertEqual(harness.domain_state(name), "shut off")
        self.conflict(name, "poweroff")
        self.conflict(name, "shutdown")
        harness.log("guest timings: " + ", ".join("%s %.1fs" % kv for kv in timings.items()))

    def test_list_shows_running_state(self):
        name = self.guest("liststate")
        self.act(name, "start", "running")
        doc = self.api.get("/api/vms?state=running&fields=name,state").json()
        self.assertIn({"name": name, "state": "running"}, doc["vms"])
        doc = self.api.get("/api/vms?state=shutoff&fields=name").json()
        self.assertNotIn({"name": name}, doc["vms"])
        self.act(name, "poweroff")
        self.wait_state(name, "shutoff", 10)


if __name__ == "__main__":
    import unittest
    unittest.main()
