"""Live figures of every host (docs/stats.md, docs/hosts.md), on the two-host
lab (tests/hosts/lab.sh) with the sampler running every second: host A's
figures and history through ?host=, its VMs' series, the Hosts list's
current figures, /metrics with a host label on every host's gauges (and
still valid for promtool), two operators who do not see each other's VM
series on host A; a host that hangs (a relay this test holds) never
delays the local host's samples; quota usage counts a user's VMs on every
host; paging of GET /api/vms with the same name on two hosts skips
nothing.

The lab is shared with other work on this machine: it is brought up when
it is down and never taken down here; every guest is removed after. One
guest boots (TCG); the others stay shut off."""

import os
import re
import subprocess
import time
import unittest

import harness
import lab
import test_hosts
from test_hosts import HostsBase, Relay
from test_stats import promtool

TAG = "hstats-%d" % os.getpid()


def setUpModule():
    global URI_A, URI_B
    test_hosts.setUpModule()
    URI_A, URI_B = test_hosts.URI_A, test_hosts.URI_B


class HostsStatsTest(HostsBase):
    """One vireod sampling every second, with lab hosts A and B."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon("hosts-stats", extra_args=["--stats-interval-seconds", "1"])
        cls.d.start()
        cls.api = cls.d.client()
        cls.a = cls.add_lab_host(TAG + "-a", URI_A)
        cls.b = cls.add_lab_host(TAG + "-b", URI_B)
        # The one booted guest, on host A.
        cls.running = "%s-run" % TAG
        lab.define_guest(cls.running, URI_A, disk_mib=0, start=True)

    @classmethod
    def tearDownClass(cls):
        lab.remove_guest(cls.running)
        for h in (cls.a, cls.b):
            cls.api.delete("/api/hosts/%d" % h["id"])
        # Every host's sampler threads end: a clean exit, in time.
        code = cls.d.stop()
        assert code == 0, "vireod exited with %r" % code

    def test_host_figures_and_history_by_host(self):
        a = self.a["name"]

        def sampled():
            r = self.api.get("/api/host/stats?range=1h&host=" + a)
            self.assertStatus(r, 200)
            body = r.json()
            return body if body["latest"] and body["latest"]["cpu"] is not None \
                and body["time"] else None
        body = self.wait_for("host A's history", sampled)
        # A remote host: no /proc of its own here, so disks and network are null.
        self.assertIsNone(body["devices"])
        self.assertGreater(body["series"]["memory_used"][-1], 0)
        self.assertTrue(0 <= body["latest"]["cpu"] <= 100)
        # GET /api/host?host= answers host A's facts.
        r = self.api.get("/api/host?host=" + a)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["uri"], URI_A)
        # The Hosts list carries each host's current figures.
        hosts = {h["name"]: h for h in self.api.get("/api/hosts").json()["hosts"]}
        live = self.wait_for("host B's figures in the list", lambda: (
            {h["name"]: h for h in self.api.get("/api/hosts").json()["hosts"]}
            [self.b["name"]]["figures"]["live"]))
        self.assertGreater(live["memory_used"], 0)
        local = [h for h in hosts.values() if h["local"]][0]
        self.assertIsNotNone(local["figures"]["live"])
        # The local host's history is still its own: A's is a separate series.
        r = self.api.get("/api/host/stats?range=1h")
        self.assertStatus(r, 200)
        self.assertIsNotNone(r.json()["devices"])

    def test_vm_series_on_another_host_and_two_operators(self):
        a = self.a["name"]
        name = self.running
        op1, pw1 = harness.make_user(self.d, "hs1", "operator")
        op2, pw2 = harness.make_user(self.d, "hs2", "operator")
        c1, _ = harness.token_client(self.d, op1, pw1)
        c2, _ = harness.token_client(self.d, op2, pw2)
        r = self.api.post("/api/users/%s/grants?host=%s" % (op1, a), json_body={"vm": name})
        self.assertStatus(r, 201)

        def series():
            r = c1.get("/api/vms/%s/stats?range=1h" % name)
            self.assertStatus(r, 200)
            body = r.json()
            return body if body["latest"] and body["time"] else None
        body = self.wait_for("the VM's series on host A", series, timeout=45)
        self.assertEqual(body["name"], name)
        self.assertIsNotNone(body["series"]["cpu"][-1])
        # ?host= names it the same; the list and the detail carry its figures.
        self.assertStatus(c1.get("/api/vms/%s/stats?host=%s" % (name, a)), 200)
        vm = [v for v in c1.get("/api/vms").json()["vms"] if v["name"] == name][0]
        self.assertEqual(vm["host"]["name"], a)
        self.assertIsNotNone(vm["stats"])
        self.assertIsNotNone(c1.get("/api/vms/" + name).json()["stats"])
        # The other operator sees neither the VM nor its series.
        self.assertError(c2.get("/api/vms/%s/stats" % name), 404)
        self.assertError(c2.get("/api/vms/%s/stats?host=%s" % (name, a)), 404)
        self.assertNotIn(name, [v["name"] for v in c2.get("/api/vms").json()["vms"]])
        # /metrics shows every VM: admins' and metrics tokens' only.
        self.assertError(c1.get("/metrics"), 403)

    def test_metrics_have_every_hosts_gauges(self):
        a, b = self.a["name"], self.b["name"]
        name = self.running

        def scrape():
            r = self.api.get("/metrics")
            self.assertStatus(r, 200)
            text = r.body.decode()
            return text if 'host="%s"' % a in text and 'host="%s"' % b in text \
                and re.search(r'vireo_vm_running\{host="%s",name="%s"' % (a, name), text) \
                else None
        text = self.wait_for("both hosts in /metrics", scrape)
        local = [h for h in self.api.get("/api/hosts").json()["hosts"] if h["local"]][0]["name"]
        for host in (local, a, b):
            self.assertRegex(text, r'\nvireo_host_memory_total_bytes\{host="%s"\} ' % host)
            self.assertRegex(text, r'\nvireo_host_cpus\{host="%s"\} ' % host)
        self.assertRegex(text, r'vireo_vm_running\{host="%s",name="%s",uuid="[0-9a-f-]{36}"\} 1'
                         % (a, name))
        # Every family's HELP and TYPE once, all its samples after.
        helps = re.findall(r"^# HELP (\S+)", text, re.M)
        self.assertEqual(len(helps), len(set(helps)))
        path = os.path.join(self.d.tmp, "metrics.txt")
        with open(path, "w") as f:
            f.write(text)
        with open(path) as f:
            p = subprocess.run([promtool(), "check", "metrics"], stdin=f, capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_quota_counts_vms_on_every_host(self):
        user, pw = harness.make_user(self.d, "hsq", "operator")
        op, _ = harness.token_client(self.d, user, pw)
        name = "%s-q" % TAG
        self.addCleanup(lab.remove_guest, name)
        self.addCleanup(harness.remove_domain, name)
        r = op.post("/api/vms", json_body={"name": name, "vcpus": 2, "memory": 64,
                                           "graphics": "none", "nics": []})
        self.assertStatus(r, 201)
        # Moved (shut off) to host A by an admin: still the operator's.
        r = self.api.post("/api/vms/%s/migrate" % name, json_body={"host": self.a["name"]})
        self.assertIn(r.status, (200, 202), r)
        self.wait_for("the VM on host A", lambda: name in lab.domain_names(URI_A)
                      and not harness.domain_exists(name))
        usage = op.get("/api/session/quota").json()["usage"]
        self.assertEqual(usage, {"vms": 1, "vcpus": 2, "memory": 64, "disk": 0})
        self.assertStatus(self.api.patch("/api/users/" + user, {"quota": {"vms": 1}}), 200)
        second = "%s-q2" % TAG
        self.addCleanup(harness.remove_domain, second)
        r = op.post("/api/vms", json_body={"name": second, "vcpus": 1, "memory": 64,
                                           "graphics": "none", "nics": []})
        err = self.assertError(r, 403, "quota_exceeded")
        self.assertTrue(err["message"].startswith("quota 'vms': "), err)

    def test_paging_keeps_the_same_name_on_two_hosts(self):
        twin = self.lab_guest("twin", URI_A)
        lab.define_guest(twin, URI_B, disk_mib=0, start=False)
        self.wait_for("both twins list", lambda: len(
            [v for v in self.api.get("/api/vms?fields=name").json()["vms"]
             if v["name"] == twin]) == 2)
        ids = sorted([self.a["id"], self.b["id"]])
        # A page that ends on the first twin: the next one begins with the second.
        r = self.api.get("/api/vms?limit=1&fields=name,host&after=" + twin[:-1])
        self.assertStatus(r, 200)
        page = r.json()
        self.assertEqual([(v["name"], v["host"]["id"]) for v in page["vms"]], [(twin, ids[0])])
        self.assertEqual((page["next"], page["next_host"]), (twin, ids[0]))
        r = self.api.get("/api/vms?limit=1&fields=name,host&after=%s&after_host=%d"
                         % (twin, page["next_host"]))
        self.assertStatus(r, 200)
        self.assertEqual([(v["name"], v["host"]["id"]) for v in r.json()["vms"]],
                         [(twin, ids[1])])
        # Without the host the cursor is the name, as before; a bad one is a 400.
        r = self.api.get("/api/vms?limit=1&fields=name&after=" + twin)
        self.assertNotIn(twin, [v["name"] for v in r.json()["vms"]])
        self.assertError(self.api.get("/api/vms?after=%s&after_host=x" % twin), 400)
        self.assertError(self.api.get("/api/vms?after_host=1"), 400)


class HungHostTest(HostsBase):
    """Host B reached through a relay this test holds: pausing it makes B
    hang for this vireod alone (the lab is shared)."""

    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(URI_B)
        cls.d = harness.Daemon("hosts-hung", extra_args=["--stats-interval-seconds", "1"])
        cls.d.start()
        cls.api = cls.d.client()

    @classmethod
    def tearDownClass(cls):
        cls.relay.resume()
        code = cls.d.stop()
        cls.relay.close()
        assert code == 0, "vireod exited with %r" % code

    def local_sample_time(self):
        r = self.api.get("/api/host/stats?range=1h&series=cpu", timeout=5)
        self.assertStatus(r, 200)
        latest = r.json()["latest"]
        return latest["time"] if latest else 0

    def test_hung_host_never_delays_local_samples(self):
        r = self.api.post("/api/hosts", json_body={"name": TAG + "-hung", "uri": self.relay.uri})
        self.assertStatus(r, 201)
        hung = r.json()

        def sampled():
            hosts = self.api.get("/api/hosts").json()["hosts"]
            return [h for h in hosts if h["id"] == hung["id"]][0]["figures"]["live"]
        self.wait_for("host B sampled", sampled)
        self.relay.pause()
        try:
            # B's sampler now hangs in its bulk call; the local host's goes on.
            time.sleep(1.5)
            first = self.local_sample_time()
            time.sleep(3.5)
            t0 = time.monotonic()
            last = self.local_sample_time()
            self.assertLess(time.monotonic() - t0, 2.0, "GET /api/host/stats waited")
            self.assertGreaterEqual(last - first, 2, "the local host's samples stalled")
            # B's history and /metrics answer without waiting for B.
            t0 = time.monotonic()
            self.assertStatus(self.api.get("/api/host/stats?host=%d" % hung["id"], timeout=5), 200)
            self.assertStatus(self.api.get("/metrics", timeout=5), 200)
            self.assertLess(time.monotonic() - t0, 2.0, "a hung host held up stats or /metrics")
        finally:
            self.relay.resume()
        # Removed: its sampler goes, and /metrics no longer shows it.
        self.wait_for("host B sampled again", sampled)
        self.assertIn('host="%s"' % hung["name"], self.api.get("/metrics").body.decode())
        self.assertStatus(self.api.delete("/api/hosts/%d" % hung["id"]), 204)
        self.wait_for("host B gone from /metrics",
                      lambda: 'host="%s"' % hung["name"] not in self.api.get("/metrics").body.decode())
        self.assertError(self.api.get("/api/host/stats?host=%d" % hung["id"]), 404)


if __name__ == "__main__":
    unittest.main()
