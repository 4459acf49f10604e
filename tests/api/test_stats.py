"""Live figures with the sampler running (--stats-interval-seconds 1) and real
TCG guests: a booting guest's CPU series is above zero, the host's series are
sane, the history's ranges and parameters, the list and detail carry uptime
and addresses, /metrics passes `promtool check metrics` on a real scrape and
refuses those without the right token, and a viewer sees the figures of the
VMs it may see and of no other VM: not through /stats, not on its event
stream.

The guests run no DHCP client, so a NIC on an isolated network with DHCP
gets no lease: the addresses are checked to be an empty list of the right
shape, which is all this host can show honestly."""

import calendar
import json
import os
import re
import shutil
import subprocess
import time

import harness
from test_events import EventStream

PID = os.getpid()
SERIES = {"cpu", "cpu_max", "cpu_vcpus", "cpu_vcpus_max", "memory_used", "memory_used_max",
          "memory_total", "disk_read", "disk_read_max", "disk_write", "disk_write_max",
          "net_rx", "net_rx_max", "net_tx", "net_tx_max"}
HOST_SERIES = SERIES - {"cpu_vcpus", "cpu_vcpus_max"}
FIGURES = {"cpu", "memory_used", "memory_total", "disk_read", "disk_write", "net_rx", "net_tx"}
VM_FIGURES = FIGURES | {"cpu_vcpus", "memory_source"}


def free_subnet():
    """A 10.213.X.0/24 no libvirt network uses (as test_networks picks them)."""
    used = set(re.findall(r"address=['\"]10\.213\.(\d+)\.",
                          "".join(harness.virsh("net-dumpxml", n, check=False)
                                  for n in harness.virsh("net-list", "--all", "--name",
                                                         check=False).split())))
    for i in range(200):
        x = (PID + 97 + i) % 200 + 20
        if str(x) not in used:
            return x
    raise AssertionError("no free 10.213.X.0/24")


def promtool():
    """promtool (Debian's prometheus package), installed when missing."""
    path = shutil.which("promtool")
    if path:
        return path
    harness.log("promtool missing: installing the prometheus package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "prometheus"],
                   check=True, stdout=subprocess.DEVNULL, env=env, timeout=600)
    return shutil.which("promtool")


class StatsTest(harness.ApiTestCase):
    """One vireod sampling every second; two running guests: `shown`, granted
    to a viewer and with a NIC on an isolated network with DHCP, and
    `hidden`, granted to nobody."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d = harness.Daemon("stats", extra_args=["--stats-interval-seconds", "1"])
        cls.d.start()
        cls.admin = cls.d.client()
        cls.net = "vst%d-stats" % PID
        x = free_subnet()
        r = cls.admin.post("/api/networks", json_body={
            "name": cls.net, "mode": "isolated", "bridge": "vrbst%d" % (PID % 100000),
            "ipv4": {"address": "10.213.%d.1/24" % x,
                     "dhcp": {"start": "10.213.%d.100" % x, "end": "10.213.%d.150" % x}},
            "start": True})
        if r.status != 201:
            raise AssertionError("creating network %s failed: %r" % (cls.net, r))
        cls.shown = harness.unique_name("stats-shown")
        cls.hidden = harness.unique_name("stats-hidden")
        harness.define_guest(cls.shown)
        harness.define_guest(cls.hidden)
        r = cls.admin.post("/api/vms/%s/nics" % cls.shown, json_body={"network": cls.net})
        if r.status != 201:
            raise AssertionError("attaching a NIC failed: %r" % r)
        cls.viewer, pw = harness.make_user(cls.d, "sviewer", "viewer")
        cls.viewer_api, _ = harness.token_client(cls.d, cls.viewer, pw)
        harness.grant(cls.d, cls.viewer, cls.shown)
        cls.uuid = {n: harness.domain_uuid(n) for n in (cls.shown, cls.hidden)}
        cls.started = time.time()
        for n in (cls.shown, cls.hidden):
            r = cls.admin.post("/api/vms/%s/start" % n)
            if r.status != 200:
                raise AssertionError("starting %s failed: %r" % (n, r))

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        for n in (cls.shown, cls.hidden):
            harness.remove_domain(n)
        harness.virsh("net-destroy", cls.net, check=False)
        harness.virsh("net-undefine", cls.net, check=False)

    def until(self, what, fn, timeout=60):
        """fn()'s first true answer; fails after `timeout` s (a liveness bound
        for a busy machine, not a speed target)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = fn()
            if last:
                return last
            time.sleep(0.5)
        self.fail("%s: not seen within %ss" % (what, timeout))

    def stats(self, path, client=None, **query):
        q = "&".join("%s=%s" % kv for kv in query.items())
        r = (client or self.admin).get(path + ("?" + q if q else ""))
        self.assertStatus(r, 200, path)
        return r.json()

    def check_shape(self, doc, names):
        self.assertEqual(set(doc["series"]), names)
        self.assertEqual(set(doc["units"]), names)
        self.assertEqual(doc["time"], sorted(doc["time"]))
        for name, values in doc["series"].items():
            self.assertEqual(len(values), len(doc["time"]), name)
        for t in doc["time"]:
            self.assertEqual(t % doc["step"], 0)
            self.assertGreaterEqual(t, doc["from"] - doc["step"])
            self.assertLessEqual(t, doc["to"])
        for name in names:
            want = "percent" if name.startswith("cpu") else \
                "bytes" if name.startswith("memory") else "bytes/s"
            self.assertEqual(doc["units"][name], want)

    # ---- the sampler and the history ----

    def test_booting_guest_uses_cpu(self):
        booted = harness.wait_marker(self.shown, timeout=120)
        self.assertTrue(booted, "the guest did not boot")
        booted_at = time.time()
        path = "/api/vms/%s/stats" % self.shown

        def cpu_seen():
            doc = self.stats(path)
            points = [(t, c) for t, c in zip(doc["time"], doc["series"]["cpu"]) if c is not None]
            return doc if points else None
        doc = self.until("a CPU figure of the booting guest", cpu_seen)
        self.check_shape(doc, SERIES)
        self.assertEqual(doc["range"], "1h")
        self.assertEqual(doc["step"], 5)
        self.assertEqual(doc["interval"], 1)
        self.assertEqual(doc["uuid"], self.uuid[self.shown])
        self.assertEqual(doc["name"], self.shown)
        self.assertEqual(doc["vcpus"], 1)
        # The buckets of the boot (from the start to the marker) show CPU
        # work: TCG emulates every instruction of the kernel's boot.
        boot = [c for t, c in zip(doc["time"], doc["series"]["cpu"])
                if c is not None and self.started - 5 <= t <= booted_at + 5]
        self.assertTrue(boot, "no figure from the boot: %r" % doc)
        self.assertGreater(max(boot), 0.0, "CPU of the booting guest: %r" % doc)
        for name in ("cpu", "cpu_max", "cpu_vcpus", "cpu_vcpus_max"):
            for v in doc["series"][name]:
                self.assertTrue(v is None or 0.0 <= v <= 100.0, "%s: %r" % (name, v))
        for v, m in zip(doc["series"]["cpu"], doc["series"]["cpu_max"]):
            self.assertTrue(v is None or v <= m + 0.01)
        mem = [v for v in doc["series"]["memory_used"] if v is not None]
        self.assertTrue(mem and min(mem) > 0)
        latest = doc["latest"]
        self.assertEqual(set(latest), VM_FIGURES | {"time"})
        self.assertEqual(latest["memory_total"], 128 * 1024 * 1024)
        # No virtio balloon driver with a stats period in the test guest:
        # memory in use is what the host charges for it.
        self.assertEqual(latest["memory_source"], "host")

    def test_host_series_are_sane(self):
        host = self.admin.get("/api/host").json()
        total = host["memory"]["total"] * 1024 * 1024

        def filled():
            doc = self.stats("/api/host/stats")
            return doc if doc["latest"] and any(v is not None for v in doc["series"]["cpu"]) \
                else None
        doc = self.until("host figures", filled)
        self.check_shape(doc, HOST_SERIES)
        self.assertEqual(doc["cpus"], host["cpu"]["cpus"])
        for name in ("cpu", "cpu_max"):
            values = [v for v in doc["series"][name] if v is not None]
            self.assertTrue(values, name)
            for v in values:
                self.assertTrue(0.0 <= v <= 100.0, "%s: %r" % (name, v))
        used = [v for v in doc["series"]["memory_used"] if v is not None]
        totals = [v for v in doc["series"]["memory_total"] if v is not None]
        self.assertTrue(used and totals)
        for u, t in zip(doc["series"]["memory_used"], doc["series"]["memory_total"]):
            if u is not None:
                self.assertLess(u, t)
                # Both from libvirt, one from node info, one from node
                # memory stats: the same memory, within a MiB of rounding.
                self.assertLessEqual(abs(t - total), 1024 * 1024 * 2)
        latest = doc["latest"]
        self.assertEqual(set(latest), FIGURES | {"time"})
        self.assertTrue(0.0 <= latest["cpu"] <= 100.0)
        self.assertLess(latest["memory_used"], total + 1024 * 1024)
        # libvirt runs on this host: its physical disks and NICs are read
        # from /proc, with the devices named.
        if harness.URI.startswith("qemu:///"):
            self.assertIsInstance(doc["devices"]["disks"], list)
            self.assertIsInstance(doc["devices"]["interfaces"], list)
            for name in ("disk_read", "disk_write", "net_rx", "net_tx"):
                self.assertIsNotNone(latest[name], name)
                self.assertGreaterEqual(latest[name], 0)

    def test_ranges_and_parameters(self):
        for rng, step in (("1h", 5), ("1d", 60), ("30d", 600), ("1y", 3600)):
            with self.subTest(range=rng):
                doc = self.stats("/api/host/stats", range=rng)
                self.assertEqual(doc["range"], rng)
                self.assertEqual(doc["step"], step)
                self.assertEqual(doc["to"] - doc["from"],
                                 {"1h": 3600, "1d": 86400, "30d": 30 * 86400, "1y": 365 * 86400}[rng])
        doc = self.stats("/api/vms/%s/stats" % self.shown, range="1d", series="cpu,memory_used")
        self.check_shape(doc, {"cpu", "memory_used"})
        for bad in ("range=2h", "range=", "series=cpu,temperature", "series=", "since=5"):
            with self.subTest(query=bad):
                self.assertError(self.admin.get("/api/host/stats?" + bad), 400)
        # The host has no vCPUs of its own.
        self.assertError(self.admin.get("/api/host/stats?series=cpu_vcpus"), 400)
        self.assertError(self.admin.get("/api/vms/%snope/stats" % harness.PREFIX), 404)

    # ---- uptime and addresses ----

    def test_list_and_detail_carry_uptime_and_addresses(self):
        def listed():
            r = self.admin.get("/api/vms?fields=name,state,started_at,uptime,uptime_source,"
                               "addresses,stats")
            self.assertStatus(r, 200)
            vm = [v for v in r.json()["vms"] if v["name"] == self.shown]
            return vm[0] if vm and vm[0]["started_at"] and vm[0]["stats"] else None
        vm = self.until("the list's live members", listed)
        self.assertEqual(set(vm), {"name", "state", "started_at", "uptime", "uptime_source",
                                   "addresses", "stats"})
        self.assertEqual(vm["state"], "running")
        # On this host the QEMU process tells when the run began.
        if harness.URI == "qemu:///system":
            self.assertEqual(vm["uptime_source"], "process")
        else:
            self.assertIn(vm["uptime_source"], ("process", "observed"))
        started = harness_time(vm["started_at"])
        self.assertGreaterEqual(started, int(self.started) - 2)
        self.assertLessEqual(started, time.time() + 1)
        self.assertIsInstance(vm["uptime"], int)
        self.assertGreaterEqual(vm["uptime"], 0)
        self.assertEqual(set(vm["stats"]), VM_FIGURES)
        # Its NIC is on an isolated network with DHCP, but the guest runs
        # no DHCP client: no lease, and no guest agent to ask. The list is
        # empty; once the addresses were read (right after the start and
        # every 15 s) it stays so.
        self.assertEqual(vm["addresses"], [])

        r1 = self.admin.get("/api/vms/" + self.shown)
        self.assertStatus(r1, 200)
        detail = r1.json()
        self.assertEqual(detail["started_at"], vm["started_at"])
        self.assertEqual(detail["uptime_source"], vm["uptime_source"])
        self.assertEqual(detail["addresses"], [])
        self.assertGreaterEqual(detail["uptime"], vm["uptime"])
        self.assertEqual(set(detail["stats"]), VM_FIGURES)
        self.assertEqual(len(detail["nics"]), 1)
        # Uptime moves every second, the ETag does not: an edit with the
        # ETag read earlier still applies.
        etag = self.assertETag(r1)
        time.sleep(1.5)
        r2 = self.admin.get("/api/vms/" + self.shown)
        self.assertEqual(self.assertETag(r2), etag)
        r = self.admin.patch("/api/vms/" + self.shown, {"description": "sampled"},
                             headers={"If-Match": etag})
        self.assertStatus(r, 200)
        # What the sampler observes (start time, addresses) is the tag's
        # part after its dot: news to a cache, never a reason to refuse an
        # edit (the start time is often found a sample after the start).
        etag = self.assertETag(r)
        state, seen = etag.strip('"').split(".")
        self.assertEqual(len(seen), 8)
        other_seen = '"%s.%s"' % (state, "0" * 8 if seen != "0" * 8 else "1" * 8)
        r = self.admin.get("/api/vms/" + self.shown, headers={"If-None-Match": other_seen})
        self.assertStatus(r, 200)
        r = self.admin.patch("/api/vms/" + self.shown, {"description": "sampled again"},
                             headers={"If-Match": other_seen})
        self.assertStatus(r, 200)
        r = self.admin.patch("/api/vms/" + self.shown, {"description": "stale"},
                             headers={"If-Match": other_seen})
        self.assertStatus(r, 412)
        # The viewer's list carries the same members for the VM it may see.
        mine = self.viewer_api.get("/api/vms").json()["vms"]
        self.assertEqual([v["name"] for v in mine], [self.shown])
        self.assertEqual(mine[0]["started_at"], vm["started_at"])

    def test_stopped_vm_has_no_live_members(self):
        name = self.new_name("stats-off")
        harness.define_xml(name)
        doc = self.admin.get("/api/vms/" + name).json()
        self.assertIsNone(doc["started_at"])
        self.assertIsNone(doc["uptime"])
        self.assertIsNone(doc["uptime_source"])
        self.assertEqual(doc["addresses"], [])
        self.assertIsNone(doc["stats"])
        hist = self.stats("/api/vms/%s/stats" % name)
        self.assertIsNone(hist["latest"])
        self.assertEqual(hist["time"], [])

    # ---- who sees what ----

    def test_viewer_sees_only_granted_stats(self):
        ok = self.viewer_api.get("/api/vms/%s/stats" % self.shown)
        self.assertStatus(ok, 200)
        hidden = self.viewer_api.get("/api/vms/%s/stats" % self.hidden)
        nothing = self.viewer_api.get("/api/vms/%s-nope/stats" % self.hidden)
        self.assertError(hidden, 404)
        self.assertError(nothing, 404)
        # The same words as for a VM that does not exist, but for the name asked.
        self.assertEqual(hidden.json()["error"]["message"].replace(self.hidden, "X"),
                         nothing.json()["error"]["message"].replace(self.hidden + "-nope", "X"))
        by_uuid = self.viewer_api.get("/api/vms/%s/stats" % self.uuid[self.hidden])
        self.assertError(by_uuid, 404)
        # The host's figures are every user's, as GET /api/host is.
        self.assertStatus(self.viewer_api.get("/api/host/stats"), 200)

    def test_viewer_stream_carries_no_hidden_vm(self):
        viewer = EventStream(self.d, self.viewer_api.token)
        admin = EventStream(self.d, self.d.token)
        try:
            self.assertEqual(viewer.resp.status, 200)
            # Both guests run; the admin's stream shows both in its samples.
            deadline = time.monotonic() + 60
            admin_saw = set()
            while time.monotonic() < deadline and len(admin_saw) < 2:
                for data in admin.drain(1):
                    for vm in data.get("vms", []):
                        admin_saw.add(vm["uuid"])
            self.assertLessEqual({self.uuid[self.shown], self.uuid[self.hidden]}, admin_saw)
            got = [d for d in viewer.drain(4) if "host" in d and "vms" in d]
            self.assertGreaterEqual(len(got), 2, "no stats events on the viewer's stream")
            for data in got:
                text = json.dumps(data)
                self.assertNotIn(self.uuid[self.hidden], text)
                self.assertNotIn(self.hidden, text)
                self.assertEqual([v["name"] for v in data["vms"]], [self.shown])
                self.assertEqual(set(data["vms"][0]),
                                 {"uuid", "name", "state", "started_at", "uptime", "stats", "host"})
                # One host: every frame is the local host's, naming it.
                self.assertTrue(data["local"])
                self.assertEqual(data["vms"][0]["host"], data["from"])
                self.assertEqual(set(data["from"]), {"id", "name"})
                self.assertEqual(set(data["host"]), FIGURES)
                self.assertEqual(data["interval"], 1)
        finally:
            viewer.close()
            admin.close()

    # ---- Prometheus ----

    def scrape(self, client):
        r = client.get("/metrics")
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")
        return r.body.decode("utf-8")

    def test_metrics_pass_promtool(self):
        tool = promtool()
        self.assertIsNotNone(tool, "promtool could not be installed")
        # A name that needs escaping in a label value.
        odd = self.new_name('stats-q"uo\\te')
        harness.define_xml(odd)
        escaped = odd.replace("\\", "\\\\").replace('"', '\\"')
        text = self.until("the new VM and a running guest's counters in a scrape",
                          lambda: (lambda t: t if 'name="%s"' % escaped in t and
                                   "vireo_vm_cpu_seconds_total{" in t else None)(
                              self.scrape(self.admin)))
        p = subprocess.run([tool, "check", "metrics"], input=text.encode(), capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, "promtool: %s\n%s" % (p.stdout.decode() + p.stderr.decode(),
                                                                text[:3000]))
        uuid = self.uuid[self.shown]
        # Every host's gauges carry its name (docs/hosts.md): here the local host's.
        host = [h for h in self.admin.get("/api/hosts").json()["hosts"] if h["local"]][0]["name"]
        labels = 'host="%s",name="%s",uuid="%s"' % (host, self.shown, uuid)
        self.assertRegex(text, r'vireo_vm_cpu_seconds_total\{%s\} [0-9.e+]+\n' % re.escape(labels))
        self.assertIn('vireo_vm_running{%s} 1\n' % labels, text)
        self.assertIn('vireo_vm_running{host="%s",name="%s",' % (host, escaped), text)
        self.assertIn('vireo_host_memory_total_bytes{host="%s"} ' % host, text)
        for family in ("vireo_host_cpu_seconds_total", "vireo_host_memory_total_bytes",
                       "vireo_http_requests_total", "vireo_api_errors_total", "vireo_tasks",
                       "vireo_event_subscribers", "vireo_consoles_open",
                       "vireo_sampler_samples_total", "vireo_build_info", "vireo_vm_start_time_seconds"):
            self.assertIn("# TYPE %s " % family, text)
        self.assertRegex(text, r'vireo_http_requests_total\{code="2xx"\} [1-9]')

    def test_metrics_need_the_right_token(self):
        anon = self.d.client(token=None)
        r = anon.get("/metrics")
        self.assertError(r, 401, "unauthorized")
        self.assertTrue((r.header("WWW-Authenticate") or "").lower().startswith("bearer"))
        self.assertError(self.d.client(token="vireo_" + "A" * 43).get("/metrics"), 401)
        self.assertError(self.viewer_api.get("/metrics"), 403, "forbidden")
        op, pw = harness.make_user(self.d, "sop", "operator")
        op_api, _ = harness.token_client(self.d, op, pw)
        self.assertError(op_api.get("/metrics"), 403, "forbidden")
        # A metrics-only token: admins make them, it reads /metrics alone.
        self.assertError(op_api.post("/api/tokens", json_body={"name": "prom", "scope": "metrics"}),
                         403)
        self.assertError(self.admin.post("/api/tokens", json_body={"name": "p", "scope": "root"}),
                         400)
        r = self.admin.post("/api/tokens", json_body={"name": "prometheus", "scope": "metrics"})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["scope"], "metrics")
        prom = self.d.client(token=harness.remember_token(r.json()["token"]))
        self.scrape(prom)
        for path in ("/api/vms", "/api/host", "/api/host/stats", "/api/events", "/api/tokens",
                     "/api/vms/%s/stats" % self.shown):
            with self.subTest(path=path):
                self.assertError(prom.get(path), 403, "forbidden")
        self.assertError(prom.post("/api/tokens", json_body={"name": "more"}), 403)
        # The counters count what they say: the refusals above.
        text = self.scrape(self.admin)
        m = re.search(r'vireo_api_errors_total\{code="unauthorized"\} (\d+)', text)
        self.assertTrue(m and int(m.group(1)) >= 2, text[-2000:])


def harness_time(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


if __name__ == "__main__":
    import unittest
    unittest.main()
