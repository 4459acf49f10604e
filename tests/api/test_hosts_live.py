"""Live figures and quota usage of every host (docs/stats.md "Events",
docs/hosts.md), on the two-host lab (tests/hosts/lab.sh) with the sampler
running every second. Host B is reached through a relay this test holds.

- The event stream carries every host's samples: a VM running on host B
  comes in frames `from` host B (not local), the VM naming its host; an
  operator granted the VM gets it, another operator gets host B's frames
  with no VM in them.
- Disk quota usage counts the volumes a user owns on every host: a disk
  made on host B counts when the request's host is the local one, and
  still counts (as last read) while host B is down.

The lab is shared with other work on this machine: it is brought up when
it is down and never taken down here; every guest is removed after. One
guest boots (TCG)."""

import os
import time

import harness
import lab
import test_hosts
from test_events import EventStream
from test_hosts import HostsBase, Relay

TAG = "hlive-%d" % os.getpid()
MIB = 1024 * 1024


def setUpModule():
    global URI_B
    test_hosts.setUpModule()
    URI_B = test_hosts.URI_B


class HostsLiveTest(HostsBase):
    """One vireod sampling every second, with lab host B behind a relay."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon("hosts-live", extra_args=["--stats-interval-seconds", "1"])
        cls.d.start()
        cls.api = cls.d.client()
        cls.relay = Relay(URI_B)
        cls.b = cls.add_lab_host(TAG + "-b", cls.relay.uri)
        # The one booted guest, on host B.
        cls.running = "%s-run" % TAG
        lab.define_guest(cls.running, URI_B, disk_mib=0, start=True)

    @classmethod
    def tearDownClass(cls):
        lab.remove_guest(cls.running)
        cls.relay.resume()
        cls.api.delete("/api/hosts/%d" % cls.b["id"])
        code = cls.d.stop()
        cls.relay.close()
        assert code == 0, "vireod exited with %r" % code

    def on_b(self, path):
        return path + ("&" if "?" in path else "?") + "host=" + self.b["name"]

    def host_state(self):
        hosts = self.api.get("/api/hosts").json()["hosts"]
        return [h for h in hosts if h["id"] == self.b["id"]][0]["state"]

    def stream(self, token):
        s = EventStream(self.d, token)
        self.addCleanup(s.conn.close)
        return s

    @staticmethod
    def stats_from(stream, host_name, since=0):
        with stream.lock:
            return [f["data"] for f in stream.frames[since:]
                    if f["event"] == "stats" and (f["data"].get("from") or {}).get("name") == host_name]

    def test_stats_frames_of_another_host(self):
        name, b = self.running, self.b["name"]
        op1, pw1 = harness.make_user(self.d, "hl1", "operator")
        op2, pw2 = harness.make_user(self.d, "hl2", "operator")
        c1, _ = harness.token_client(self.d, op1, pw1)
        c2, _ = harness.token_client(self.d, op2, pw2)
        self.assertStatus(self.api.post(self.on_b("/api/users/%s/grants" % op1),
                                        json_body={"vm": name}), 201)
        admin, s1, s2 = (self.stream(c.token) for c in (self.api, c1, c2))

        def vm_frame(stream):
            def check(f):
                d = f["data"] if f["event"] == "stats" else None
                vms = [v for v in (d or {}).get("vms", []) if v["name"] == name and v["stats"]
                       and v["stats"]["cpu"] is not None]
                return d and d["from"] and d["from"]["name"] == b and vms
            f = stream.wait_frame(check, timeout=30, what="a frame of host B with " + name)
            return f["data"], [v for v in f["data"]["vms"] if v["name"] == name][0]

        frame, vm = vm_frame(s1)
        self.assertEqual(frame["from"], {"id": self.b["id"], "name": b})
        self.assertFalse(frame["local"])
        self.assertEqual(vm["host"], {"id": self.b["id"], "name": b})
        self.assertEqual(vm["state"], "running")
        self.assertTrue(0 <= vm["stats"]["cpu"] <= 100)
        self.assertGreater(frame["host"]["memory_used"], 0)
        # The UUID is the one the list gives the VM on host B.
        listed = [v for v in c1.get("/api/vms").json()["vms"] if v["name"] == name][0]
        self.assertEqual(vm["uuid"], listed["uuid"])
        self.assertEqual(listed["host"]["name"], b)
        # Admins see it too, beside the local host's own frames.
        vm_frame(admin)
        admin.wait_frame(lambda f: f["event"] == "stats" and f["data"]["local"],
                         what="a frame of the local host")
        # The other operator gets host B's frames, never with the VM in them.
        seen = len(s2.frames)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(self.stats_from(s2, b, seen)) < 2:
            time.sleep(0.1)
        frames = self.stats_from(s2, b)
        self.assertGreaterEqual(len(frames), 2, "host B's frames reach every user")
        for f in frames:
            self.assertEqual(f["vms"], [], "operator 2 must not see %s" % name)
        with s2.lock:
            text = repr(s2.frames)
        self.assertNotIn(name, text)
        self.assertNotIn(vm["uuid"], text)

    def test_disk_usage_counts_every_host(self):
        user, pw = harness.make_user(self.d, "hlq", "operator")
        op, _ = harness.token_client(self.d, user, pw)
        r = self.api.post(self.on_b("/api/users/%s/grants" % user),
                          json_body={"pool": "default", "use": ["disks"]})
        self.assertStatus(r, 201)
        name = "%s-q" % TAG
        self.addCleanup(lab.remove_guest, name)
        r = op.post(self.on_b("/api/vms"), json_body={
            "name": name, "vcpus": 1, "memory": 64, "graphics": "none", "nics": [],
            "disks": [{"pool": "default", "size": 3 * MIB}]})
        self.assertIn(r.status, (201, 202), r)
        self.wait_for("the VM on host B", lambda: name in lab.domain_names(URI_B))
        want = {"vms": 1, "vcpus": 1, "memory": 64, "disk": 3 * MIB}

        def usage():
            r = op.get("/api/session/quota")
            self.assertStatus(r, 200)
            return r.json()["usage"]
        # The request's host is the local one: the disk is on host B.
        self.wait_for("usage with the disk on host B", lambda: usage() == want)
        self.assertEqual(usage(), want)
        # Host B down: its VM and its disk count as last read there.
        self.relay.cut()
        self.addCleanup(self.relay.resume)
        self.wait_for("host B unreachable", lambda: self.host_state() != "connected")
        self.assertEqual(usage(), want)
        # An admin's view of the user says the same.
        self.assertEqual(self.api.get("/api/users/" + user).json()["usage"], want)
        self.relay.resume()
        self.wait_for("host B back", lambda: self.host_state() == "connected", timeout=30)
        # B's reconnect ran vireod's housekeeping, which forgets the owners of
        # volumes no host has: the disk on B is still known as the user's.
        self.assertEqual(usage(), want)
        self.assertIn(name, [v["name"] for v in op.get("/api/vms").json()["vms"]])
