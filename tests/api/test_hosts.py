"""Many hosts over HTTP (/api/hosts, docs/hosts.md), on the two-host lab
(tests/hosts/lab.sh): hosts added by URI and known by libvirt's host UUID
(the same host under another URI is a 409), credentials checked and never
answered, the local host listed and never removed; GET /api/vms across
hosts with each VM's host, ?host= filters; a VM path resolves to the local
host, else the only host that has it, and a name on two hosts is a 409
naming them; a host that stops answering (a relay this test holds) shows
its VMs as unreachable while the lists stay fast, one that goes away is
retried, and both come back by themselves; metadata of a VM on
another host is kept; two operators do not see each other's VMs there;
adding a host that never answers is a 503 after --host-open-timeout-seconds
that holds up no other registration.

The lab is shared with other work on this machine: it is brought up when
it is down and never taken down here; every guest is removed after."""

import os
import re
import socket
import tempfile
import threading
import time
import unittest

import harness
import lab

TAG = "hosts-core-%d" % os.getpid()


def setUpModule():
    global URI_A, URI_B
    try:
        URI_A, URI_B = lab.up()
    except lab.LabUnavailable as e:
        raise unittest.SkipTest(str(e))


class HostsBase(harness.ApiTestCase):
    DAEMON = "hosts"
    STATS_INTERVAL = "0"  # no sampler unless a class needs one
    EXTRA_ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon(cls.DAEMON, extra_args=["--stats-interval-seconds",
                                                       cls.STATS_INTERVAL] + cls.EXTRA_ARGS)
        cls.d.start()
        cls.api = cls.d.client()
        cls.anon = cls.d.client(token=None)

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def add_host(self, name, uri, status=201, **extra):
        r = self.api.post("/api/hosts", json_body=dict({"name": name, "uri": uri}, **extra))
        self.assertStatus(r, status)
        if status == 201:
            self.addCleanup(self.api.delete, "/api/hosts/%d" % r.json()["id"])
        return r

    @classmethod
    def add_lab_host(cls, name, uri):
        """Adds a host for the whole class and waits until vireod is
        connected to it (other hosts connect in the background)."""
        r = cls.api.post("/api/hosts", json_body={"name": name, "uri": uri})
        assert r.status == 201, r
        host = r.json()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            hosts = cls.api.get("/api/hosts").json()["hosts"]
            if [h for h in hosts if h["id"] == host["id"]][0]["state"] == "connected":
                break
            time.sleep(0.2)
        return host

    def lab_guest(self, tag, uri, start=False):
        name = "%s-%s" % (TAG, tag)
        self.addCleanup(lab.remove_guest, name)
        lab.define_guest(name, uri, disk_mib=0, start=start)
        return name

    def wait_for(self, what, check, timeout=30):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = check()
            if last:
                return last
            time.sleep(0.2)
        self.fail("%s: not within %ds (last: %r)" % (what, timeout, last))

    def vms(self, query=""):
        r = self.api.get("/api/vms" + query)
        self.assertStatus(r, 200)
        return {(v["name"], v["host"]["name"]): v for v in r.json()["vms"]}



class HostsTest(HostsBase):
    # ---- hosts ----

    def test_local_host_is_listed_and_kept(self):
        r = self.api.get("/api/hosts")
        self.assertStatus(r, 200)
        hosts = r.json()["hosts"]
        local = [h for h in hosts if h["local"]]
        self.assertEqual(len(local), 1, hosts)
        h = local[0]
        self.assertEqual(h["uri"], harness.URI)
        self.assertEqual(h["state"], "connected")
        self.assertGreater(h["figures"]["cpus"], 0)
        self.assertGreater(h["figures"]["memory_mib"], 0)
        self.assertEqual(h["credentials"], {"ssh_key": False, "tls_cert": False,
                                            "tls_key": False, "tls_ca": False})
        self.assertTrue(h["uuid"])
        self.assertError(self.api.delete("/api/hosts/%d" % h["id"]), 409, "conflict")
        self.assertError(self.api.patch("/api/hosts/%d" % h["id"], {"uri": URI_A}), 409,
                         "conflict")
        self.assertStatus(self.api.get("/api/hosts/%d" % h["id"]), 200)

    def test_add_rename_remove(self):
        r = self.add_host(TAG + "-a", URI_A)
        h = r.json()
        self.assertEqual(r.header("Location"), "/api/hosts/%d" % h["id"])
        self.assertFalse(h["local"])
        self.assertTrue(h["uuid"])
        got = self.wait_for("host A connects and is read",
                            lambda: (lambda g: g if g["state"] == "connected"
                                     and g["figures"].get("driver") else None)(
                                self.api.get("/api/hosts/" + TAG + "-a").json()))
        self.assertEqual(got["figures"]["driver"], "QEMU")
        self.assertIsNotNone(got["figures"]["libvirt_version"])
        # The same host under another URI is the same host.
        other = URI_A.replace("/system", "/system?no_tty=1")
        self.assertError(self.add_host(TAG + "-a2", other, status=409), 409, "conflict")
        self.assertError(self.add_host(TAG + "-a", URI_B, status=409), 409, "conflict")
        # Renamed: the list shows the new name.
        r = self.api.patch("/api/hosts/%d" % h["id"], {"name": TAG + "-renamed"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["name"], TAG + "-renamed")
        self.assertError(self.api.get("/api/hosts/" + TAG + "-a"), 404, "not_found")
        r = self.api.delete("/api/hosts/%d" % h["id"])
        self.assertStatus(r, 204)
        self.assertError(self.api.get("/api/hosts/%d" % h["id"]), 404, "not_found")

    def test_unreachable_uri_is_not_added(self):
        r = self.api.post("/api/hosts", json_body={"name": TAG + "-none",
                                                   "uri": "qemu+tcp://127.0.0.1:1/system"})
        self.assertError(r, 503, "unavailable")
        names = [h["name"] for h in self.api.get("/api/hosts").json()["hosts"]]
        self.assertNotIn(TAG + "-none", names)

    def test_bad_input(self):
        self.assertError(self.api.post("/api/hosts", json_body={"name": "x"}), 400)
        self.assertError(self.api.post("/api/hosts", json_body={"name": "a b", "uri": URI_A}),
                         400)
        self.assertError(self.api.post("/api/hosts", json_body={"name": "x", "uri": URI_A,
                                                                "port": 1}), 400)
        self.assertError(self.api.get("/api/vms?host=" + TAG + "-nohost"), 404, "not_found")

    def test_credentials_checked_and_never_answered(self):
        tmp = tempfile.mkdtemp(prefix=TAG)
        self.addCleanup(lambda: [os.unlink(os.path.join(tmp, f)) for f in os.listdir(tmp)]
                        and os.rmdir(tmp) or os.path.isdir(tmp) and os.rmdir(tmp))
        key = os.path.join(tmp, "id_hosts_core")
        with open(key, "w") as f:
            f.write("not really a key\n")
        os.chmod(key, 0o644)
        body = {"name": TAG + "-k", "uri": URI_A, "ssh_key": key}
        r = self.api.post("/api/hosts", json_body=body)
        self.assertError(r, 400, "invalid_argument")
        self.assertIn("ssh_key", r.json()["error"]["message"])
        r = self.api.post("/api/hosts", json_body=dict(body, ssh_key=key + ".missing"))
        self.assertError(r, 400, "invalid_argument")
        r = self.api.post("/api/hosts", json_body=dict(body, ssh_key="relative/key"))
        self.assertError(r, 400, "invalid_argument")
        r = self.api.post("/api/hosts", json_body={"name": TAG + "-t", "uri": URI_A,
                                                   "tls_cert": key})
        self.assertError(r, 400, "invalid_argument")
        os.chmod(key, 0o600)
        # qemu+tcp takes no key, but the file is fine: the host is added,
        # and answers say only that a key is set.
        r = self.add_host(TAG + "-k", URI_A, ssh_key=key)
        self.assertEqual(r.json()["credentials"]["ssh_key"], True)
        for resp in (r, self.api.get("/api/hosts"), self.api.get("/api/hosts/" + TAG + "-k")):
            self.assertNotIn(key, resp.body.decode())
            self.assertNotIn("id_hosts_core", resp.body.decode())

    def test_roles(self):
        op, pw = harness.make_user(self.d, "hcop", "operator")
        opc, _ = harness.token_client(self.d, op, pw)
        r = opc.get("/api/hosts")
        self.assertStatus(r, 200)
        for h in r.json()["hosts"]:
            self.assertNotIn("uri", h)
            self.assertNotIn("credentials", h)
            self.assertNotIn("reason", h)
        self.assertError(opc.post("/api/hosts", json_body={"name": "x", "uri": URI_A}), 403)
        local = [h for h in r.json()["hosts"] if h["local"]][0]
        self.assertError(opc.patch("/api/hosts/%d" % local["id"], {"name": "x"}), 403)
        self.assertError(opc.delete("/api/hosts/%d" % local["id"]), 403)
        self.assertError(self.anon.get("/api/hosts"), 401)

    # ---- every resource belongs to a host ----

    def test_list_and_resolution_across_hosts(self):
        a = self.add_host(TAG + "-la", URI_A).json()
        b = self.add_host(TAG + "-lb", URI_B).json()
        only_a = self.lab_guest("only-a", URI_A)
        twin = self.lab_guest("twin", URI_A)
        lab.define_guest(twin, URI_B, disk_mib=0, start=False)
        vms = self.wait_for("both hosts list",
                            lambda: (lambda v: v if (twin, b["name"]) in v else None)(self.vms()))
        self.assertEqual(vms[(only_a, a["name"])]["host"], {"id": a["id"], "name": a["name"]})
        self.assertEqual(vms[(only_a, a["name"])]["state"], "shutoff")
        self.assertIn((twin, a["name"]), vms)
        # ?host= filters, by name or by id.
        self.assertEqual({h for _, h in self.vms("?host=" + b["name"])}, {b["name"]})
        self.assertEqual({h for _, h in self.vms("?host=%d" % a["id"])}, {a["name"]})
        self.assertEqual(self.api.get("/api/vms?fields=name,host&host=%d" % b["id"]).json()
                         ["vms"][0]["host"]["name"], b["name"])
        # The only host that has it.
        r = self.api.get("/api/vms/" + only_a)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["host"]["name"], a["name"])
        # On two hosts: 409 naming both; ?host= picks one.
        r = self.api.get("/api/vms/" + twin)
        self.assertError(r, 409, "conflict")
        self.assertIn(a["name"], r.json()["error"]["message"])
        self.assertIn(b["name"], r.json()["error"]["message"])
        r = self.api.get("/api/vms/%s?host=%s" % (twin, b["name"]))
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["host"]["name"], b["name"])
        self.assertError(self.api.get("/api/vms/%s?host=%s" % (only_a, b["name"])), 404)
        # Acting on a VM of another host: started there, on B only.
        r = self.api.post("/api/vms/%s/start?host=%s" % (twin, b["name"]))
        self.assertStatus(r, 200)
        self.assertEqual(lab.domain_state(URI_B, twin), "running")
        self.assertEqual(lab.domain_state(URI_A, twin), "shut off")
        # The local host wins: a VM of that name here is the one meant.
        local_twin = twin
        harness.define_xml(local_twin)
        self.addCleanup(harness.remove_domain, local_twin)
        r = self.api.get("/api/vms/" + local_twin)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["host"]["name"],
                         [h for h in self.api.get("/api/hosts").json()["hosts"] if h["local"]][0]
                         ["name"])
        # Work that runs as a task runs on the VM's host (test_hosts_tasks has more).
        self.addCleanup(lab.remove_guest, only_a + "-c")
        r = self.api.post("/api/vms/%s/clone?host=%s" % (only_a, a["name"]),
                          json_body={"name": only_a + "-c"})
        self.assertIn(r.status, (201, 202), r.body[:300])
        self.assertEqual(r.json()["host"]["name"], a["name"])
        # Pools and networks of a host: ?host=, and answers carry it.
        r = self.api.get("/api/pools?host=" + a["name"])
        self.assertStatus(r, 200)
        pools = {p["name"]: p for p in r.json()["pools"]}
        self.assertEqual(pools["default"]["host"]["name"], a["name"])
        r = self.api.get("/api/networks?host=" + b["name"])
        self.assertStatus(r, 200)
        self.assertEqual({n["host"]["name"] for n in r.json()["networks"]} or {b["name"]},
                         {b["name"]})
        r = self.api.get("/api/pools/default?host=" + b["name"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["host"]["name"], b["name"])
        # Removed at run time: its VMs leave the list.
        self.assertStatus(self.api.delete("/api/hosts/%d" % b["id"]), 204)
        self.assertNotIn(b["name"], {h for _, h in self.vms()})

    def test_metadata_of_other_hosts_vms_is_kept(self):
        a = self.add_host(TAG + "-ma", URI_A).json()
        name = self.lab_guest("meta", URI_A)
        self.wait_for("the VM lists", lambda: (name, a["name"]) in self.vms())
        r = self.api.patch("/api/vms/" + name, {"tags": ["hosts-core"]})
        self.assertStatus(r, 200)
        # A VM undefined on the local host makes vireod prune metadata of
        # VMs no host has: the one on host A is kept.
        gone = harness.unique_name("hc-gone")
        harness.define_xml(gone)
        harness.virsh("undefine", gone)
        time.sleep(1.5)
        r = self.api.get("/api/vms/" + name)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["tags"], ["hosts-core"])

    def test_two_operators_on_another_host(self):
        a = self.add_host(TAG + "-oa", URI_A).json()
        name = self.lab_guest("op", URI_A)
        self.wait_for("the VM lists", lambda: (name, a["name"]) in self.vms())
        op1, pw1 = harness.make_user(self.d, "hco1", "operator")
        op2, pw2 = harness.make_user(self.d, "hco2", "operator")
        c1, _ = harness.token_client(self.d, op1, pw1)
        c2, _ = harness.token_client(self.d, op2, pw2)
        r = self.api.post("/api/users/%s/grants?host=%s" % (op1, a["name"]),
                          json_body={"vm": name})
        self.assertStatus(r, 201)
        self.assertIn(name, [v["name"] for v in c1.get("/api/vms").json()["vms"]])
        self.assertStatus(c1.get("/api/vms/" + name), 200)
        self.assertNotIn(name, [v["name"] for v in c2.get("/api/vms").json()["vms"]])
        self.assertError(c2.get("/api/vms/" + name), 404)
        self.assertError(c2.post("/api/vms/%s/start" % name), 404)

    def test_host_that_stops_answering(self):
        # Host B reached through a relay this test holds: pausing the relay
        # makes the host hang for this vireod alone (the lab is shared; a
        # stopped libvirtd would be rebuilt under other tests' feet).
        relay = Relay(URI_B)
        self.addCleanup(relay.close)
        b = self.add_host(TAG + "-sb", relay.uri).json()
        name = self.lab_guest("down", URI_B)
        here = harness.unique_name("hc-here")
        harness.define_xml(here)
        self.addCleanup(harness.remove_domain, here)
        self.wait_for("the VM lists", lambda: (name, b["name"]) in self.vms())
        relay.pause()
        try:
            # A list may answer from a snapshot younger than 0.5 s; after
            # that the host must answer, and it does not.
            time.sleep(1)
            # The list never waits long for it, and says what it last held.
            for _ in range(3):
                t0 = time.monotonic()
                vms = self.vms()
                took = time.monotonic() - t0
                self.assertLess(took, 4.0, "GET /api/vms took %.1fs with a host down" % took)
                self.assertEqual(vms[(name, b["name"])]["state"], "unreachable")
                self.assertIn(here, [n for n, h in vms if h != b["name"]],
                              "the local host still lists")
            h = self.wait_for(
                "host B reported down",
                lambda: (lambda h: h if h["state"] in ("reconnecting", "unreachable") else None)(
                    self.api.get("/api/hosts/%d" % b["id"], timeout=10).json()))
            self.assertTrue(h["reason"])
            t0 = time.monotonic()
            self.assertStatus(self.api.get("/api/hosts", timeout=10), 200)
            self.assertLess(time.monotonic() - t0, 2.0, "GET /api/hosts waited for the host")
            # Killed: every connection to it ends; it is tried again.
            relay.cut()
            self.wait_for("host B lost", lambda: self.api.get("/api/hosts/%d" % b["id"]).json()
                          ["state"] in ("reconnecting", "unreachable"))
            self.assertEqual(self.vms()[(name, b["name"])]["state"], "unreachable")
            self.assertError(self.api.get("/api/vms/%s?host=%d" % (name, b["id"])), 503,
                             "unavailable")
        finally:
            relay.resume()
        # It comes back by itself.
        self.wait_for("host B connected again",
                      lambda: self.api.get("/api/hosts/%d" % b["id"]).json()["state"]
                      == "connected", timeout=30)
        self.wait_for("its VM listed as it is",
                      lambda: self.vms().get((name, b["name"]), {}).get("state") == "shutoff")


class SilentHostTest(HostsBase):
    """Adding a host that accepts the connection and never answers: libvirt's
    open would wait for it as long as the socket stays open. The request
    answers 503 after --host-open-timeout-seconds and registers nothing,
    holds up no other registration meanwhile, and at most 4 opens are left
    waiting (virt/virt_host_probe.c)."""
    DAEMON = "hosts-silent"
    EXTRA_ARGS = ["--host-open-timeout-seconds", "2"]

    def post_host(self, name, uri, out):
        out[name] = self.d.client().post("/api/hosts", json_body={"name": name, "uri": uri},
                                         timeout=30)

    def host_names(self):
        return [h["name"] for h in self.api.get("/api/hosts").json()["hosts"]]

    def test_silent_host_is_given_up_and_holds_nothing(self):
        # A libvirtd's first connection may take seconds (it probes QEMU):
        # the hosts that must answer have answered once before.
        for uri in (URI_A, URI_B):
            lab.virsh(uri, "version", timeout=60)
        silent_host = SilentListener()
        self.addCleanup(silent_host.close)
        answers = {}
        silent = threading.Thread(target=self.post_host,
                                  args=(TAG + "-silent0", silent_host.uri, answers))
        silent.start()
        time.sleep(0.5)
        # Another host is added while the silent one is still being waited for.
        a = self.add_host(TAG + "-meanwhile", URI_A).json()
        self.assertTrue(silent.is_alive(), "the silent host was answered before host A")
        silent.join()
        r = answers[TAG + "-silent0"]
        self.assertError(r, 503, "unavailable")
        self.assertIn("no answer within 2 s", r.json()["error"]["message"])
        self.assertIn(silent_host.uri, r.json()["error"]["message"])
        # Three more left waiting: four in all, the most there may be.
        more = [threading.Thread(target=self.post_host,
                                 args=(TAG + "-silent%d" % i, silent_host.uri, answers))
                for i in (1, 2, 3)]
        for t in more:
            t.start()
        for t in more:
            t.join()
        for i in (1, 2, 3):
            self.assertError(answers[TAG + "-silent%d" % i], 503, "unavailable")
        # A fifth is refused at once, even to a host that would answer.
        r = self.api.post("/api/hosts", json_body={"name": TAG + "-fifth", "uri": URI_B})
        self.assertError(r, 503, "unavailable")
        self.assertIn("4 earlier attempts", r.json()["error"]["message"])
        names = self.host_names()
        self.assertEqual([n for n in names if n.startswith(TAG + "-silent")
                          or n == TAG + "-fifth"], [])
        # It hangs up at last: the opens left waiting end, and register
        # nothing; hosts may be added again.
        silent_host.close()
        self.wait_for("a host added after the waiting opens ended", lambda: self.api.post(
            "/api/hosts", json_body={"name": TAG + "-fifth", "uri": URI_B}).status == 201)
        b = self.api.get("/api/hosts/" + TAG + "-fifth").json()
        self.addCleanup(self.api.delete, "/api/hosts/%d" % b["id"])
        self.assertEqual([n for n in self.host_names() if n.startswith(TAG + "-silent")], [])
        self.assertIsNotNone(a["uuid"])
        self.assertIsNone(self.d.proc.poll(), "vireod died")


class MigrateTest(HostsBase):
    """POST /api/vms/{vm}/migrate between the lab's hosts, through vireod."""
    DAEMON = "migrate"

    def setUp(self):
        self.a = self.add_host(TAG + "-ma", URI_A).json()
        self.b = self.add_host(TAG + "-mb", URI_B).json()

    def wait_task(self, tid, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.api.get("/api/tasks/%d" % tid).json()
            if t["state"] in ("succeeded", "failed", "cancelled"):
                return t
            time.sleep(0.2)
        self.fail("task %d did not end in %ds" % (tid, timeout))

    def migrate(self, name, to, status=202, **opts):
        r = self.api.post("/api/vms/%s/migrate" % name, json_body=dict({"host": to}, **opts))
        self.assertStatus(r, status)
        return r

    def test_running_guest_there_and_back(self):
        name = "%s-live" % TAG
        self.addCleanup(lab.remove_guest, name)
        lab.define_guest(name, URI_A)
        self.assertTrue(lab.wait_marker(URI_A, name), "the guest did not boot")
        self.wait_for("the VM lists", lambda: (name, self.a["name"]) in self.vms())
        r = self.api.patch("/api/vms/" + name, {"description": "moves", "tags": ["hc-live"]})
        self.assertStatus(r, 200)
        op, pw = harness.make_user(self.d, "hcmig", "operator")
        opc, _ = harness.token_client(self.d, op, pw)
        self.assertStatus(self.api.post("/api/users/%s/grants?host=%s" % (op, self.a["name"]),
                                        json_body={"vm": name}), 201)
        for src, dst, uri_src, uri_dst in ((self.a, self.b, URI_A, URI_B),
                                           (self.b, self.a, URI_B, URI_A)):
            # The operator who may act on it moves it (with its disk).
            r = opc.post("/api/vms/%s/migrate" % name,
                         json_body={"host": dst["name"], "live": True, "copy_storage": True})
            self.assertStatus(r, 202)
            t = self.wait_task(r.json()["id"])
            self.assertEqual(t["state"], "succeeded", repr(t))
            self.assertEqual(t["progress"], 100)
            self.assertIn("/api/vms/%s?host=%d" % (name, dst["id"]), t["result"])
            self.assertEqual(lab.domain_state(uri_dst, name), "running")
            self.assertIsNone(lab.domain_state(uri_src, name))
            self.assertTrue(lab.serial_answers(uri_dst, name), "the guest stopped answering")
            v = self.api.get("/api/vms/" + name)
            self.assertStatus(v, 200)
            v = v.json()
            self.assertEqual(v["host"]["name"], dst["name"])
            self.assertEqual((v["description"], v["tags"]), ("moves", ["hc-live"]))
            # The operator's grant followed the VM (keyed by its UUID).
            self.assertStatus(opc.get("/api/vms/" + name), 200)

    def test_cancel_leaves_both_hosts_as_they_were(self):
        name = "%s-cancel" % TAG
        self.addCleanup(lab.remove_guest, name)
        lab.define_guest(name, URI_A, disk_mib=64)
        self.assertTrue(lab.wait_marker(URI_A, name), "the guest did not boot")
        self.wait_for("the VM lists", lambda: (name, self.a["name"]) in self.vms())
        r = self.migrate(name, self.b["name"], live=True, copy_storage=True)
        tid = r.json()["id"]
        t = self.wait_for("the move runs", lambda: (lambda t: t if t["state"] != "queued" else None)(
            self.api.get("/api/tasks/%d" % tid).json()))
        self.assertEqual(t["state"], "running", "the move ended before it could be cancelled")
        self.assertTrue(t["cancellable"])
        self.assertStatus(self.api.post("/api/tasks/%d/cancel" % tid), 202)
        t = self.wait_task(tid)
        self.assertEqual(t["state"], "cancelled", repr(t))
        self.assertEqual(lab.domain_state(URI_A, name), "running")
        self.assertIsNone(lab.domain_state(URI_B, name))
        self.assertNotIn(name + ".qcow2", lab.virsh(URI_B, "vol-list", "default"))
        self.assertTrue(lab.serial_answers(URI_A, name), "the guest stopped answering")
        self.assertEqual(self.api.get("/api/vms/" + name).json()["host"]["name"], self.a["name"])

    def test_stopped_vm_moves_offline(self):
        name = self.lab_guest("off", URI_A)
        self.wait_for("the VM lists", lambda: (name, self.a["name"]) in self.vms())
        r = self.migrate(name, self.b["name"])
        t = self.wait_task(r.json()["id"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual(lab.domain_state(URI_B, name), "shut off")
        self.assertIsNone(lab.domain_state(URI_A, name))
        self.wait_for("listed on B", lambda: (name, self.b["name"]) in self.vms())

    def test_refusals_leave_both_hosts_as_they_were(self):
        net = "hc%d" % (os.getpid() % 100000)
        lab.define_network(URI_A, net, bridge="vhc%d" % (os.getpid() % 10000))
        self.addCleanup(lab.virsh, URI_A, "net-undefine", net, check=False)
        lab.virsh(URI_A, "net-start", net)
        self.addCleanup(lab.virsh, URI_A, "net-destroy", net, check=False)
        name = self.lab_guest("nonet", URI_A)
        lab.virsh(URI_A, "attach-interface", name, "network", net, "--config")
        self.wait_for("the VM lists", lambda: (name, self.a["name"]) in self.vms())
        r = self.migrate(name, self.b["name"], status=409)
        self.assertError(r, 409, "conflict")
        self.assertIn("network_missing", r.json()["error"]["message"])
        self.assertEqual(lab.domain_state(URI_A, name), "shut off")
        self.assertIsNone(lab.domain_state(URI_B, name))
        # The same host, an unknown host, a bad body.
        self.assertError(self.migrate(name, self.a["name"], status=409), 409, "conflict")
        self.assertError(self.migrate(name, TAG + "-nowhere", status=400), 400)
        self.assertError(self.api.post("/api/vms/%s/migrate" % name, json_body={}), 400)
        self.assertError(self.api.post("/api/vms/%s/migrate" % name,
                                       json_body={"host": self.b["name"], "live": "yes"}), 400)
        # Viewers may not move VMs; operators only those they may act on.
        v, pw = harness.make_user(self.d, "hcmv", "viewer")
        vc, _ = harness.token_client(self.d, v, pw)
        self.assertError(vc.post("/api/vms/%s/migrate" % name,
                                 json_body={"host": self.b["name"]}), 403)
        o, pw = harness.make_user(self.d, "hcmo", "operator")
        oc, _ = harness.token_client(self.d, o, pw)
        self.assertError(oc.post("/api/vms/%s/migrate" % name,
                                 json_body={"host": self.b["name"]}), 404)
        self.assertIsNone(lab.domain_state(URI_B, name))


class SilentListener:
    """Accepts libvirt connections on 127.0.0.1 and never answers; close()
    hangs up on every one of them."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.uri = "qemu+tcp://127.0.0.1:%d/system" % self.listener.getsockname()[1]
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.socks.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self):
        for s in [self.listener] + self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class Relay:
    """A TCP relay to a lab host's libvirtd on 127.0.0.1, for one test:
    pause() stops moving bytes (the host hangs), cut() closes every
    connection and refuses new ones, resume() serves again."""

    def __init__(self, uri):
        m = re.match(r"qemu\+tcp://([^/:]+)(?::(\d+))?/(.*)", uri)
        self.target = (m.group(1), int(m.group(2) or 16509))
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.uri = "qemu+tcp://127.0.0.1:%d/%s" % (self.listener.getsockname()[1], m.group(3))
        self.running = threading.Event()
        self.running.set()
        self.refusing = False
        self.closed = False
        self.socks = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                c.close()
                continue
            try:
                u = socket.create_connection(self.target, timeout=5)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                self.running.wait()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def pause(self):
        self.running.clear()

    def resume(self):
        self.refusing = False
        self.running.set()

    def cut(self):
        self.refusing = True
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.running.set()

    def close(self):
        self.closed = True
        self.cut()
        self.listener.close()

if __name__ == "__main__":
    unittest.main()
