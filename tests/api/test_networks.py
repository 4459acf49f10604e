"""Virtual networks on the real libvirtd: create (isolated, DHCP), list and
read, virsh agrees, autostart, stop/start, overlap and bad values, bridge
mode with a missing bridge, delete, and viewers may read but not create.
Only isolated networks (no <forward>) are started; subnets are 10.213.X.0/24
and names vst<PID>-..., so parallel runs do not clash; every network made
here is removed even when a test fails."""

import os
import re

import harness

PID = os.getpid()
NETWORK_KEYS = {"name", "uuid", "active", "persistent", "autostart", "mode", "bridge", "ips",
                "leases", "host"}  # host: the libvirt host it is on (docs/hosts.md)
_subnets = iter(range(0, 10_000))


def free_subnet():
    """A 10.213.X.0/24 that no existing libvirt network uses (X from the PID,
    so concurrent runs on this host start in different places)."""
    used = set(re.findall(r"address=['\"]10\.213\.(\d+)\.",
                          "".join(harness.virsh("net-dumpxml", n, check=False)
                                  for n in harness.virsh("net-list", "--all", "--name",
                                                         check=False).split())))
    while True:
        x = (PID + next(_subnets)) % 200 + 20
        if str(x) not in used:
            return x


class NetworkTest(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.counter = 0

    def net_name(self, tag):
        name = "vst%d-%s" % (PID, tag)
        self.addCleanup(self.remove, name)
        return name

    def bridge_name(self):
        NetworkTest.counter += 1
        return "vrb%d%d" % (PID % 100000, NetworkTest.counter)

    @staticmethod
    def remove(name):
        harness.virsh("net-destroy", name, check=False)
        harness.virsh("net-undefine", name, check=False)

    def create(self, tag, status=201, **body):
        """POSTs an isolated network with a fresh subnet unless given."""
        name = self.net_name(tag)
        doc = {"name": name, "mode": "isolated", "bridge": self.bridge_name()}
        if "ipv4" not in body:
            x = free_subnet()
            doc["ipv4"] = {"address": "10.213.%d.1/24" % x,
                           "dhcp": {"start": "10.213.%d.100" % x, "end": "10.213.%d.150" % x}}
        doc.update(body)
        r = self.api.post("/api/networks", json_body=doc)
        self.assertStatus(r, status, "POST /api/networks %r" % doc)
        return name, doc, r

    def get(self, name):
        r = self.api.get("/api/networks/" + name)
        self.assertStatus(r, 200)
        self.assertETag(r)
        return r.json()

    def listed(self, name):
        r = self.api.get("/api/networks")
        self.assertStatus(r, 200)
        hits = [n for n in r.json()["networks"] if n["name"] == name]
        self.assertLessEqual(len(hits), 1)
        return hits[0] if hits else None

    def virsh_info(self, name):
        out = harness.virsh("net-info", name)
        return {k.strip(): v.strip() for k, v in
                (line.split(":", 1) for line in out.splitlines() if ":" in line)}

    # ---- create and read ----

    def test_create_isolated_with_dhcp(self):
        name, doc, r = self.create("iso")
        self.assertEqual(r.header("Location"), "/api/networks/" + name)
        self.assertETag(r)
        created = r.json()
        self.assertEqual(set(created), NETWORK_KEYS)
        self.assertTrue(created["active"])
        self.assertTrue(created["persistent"])
        self.assertFalse(created["autostart"])
        self.assertEqual(created["mode"], "isolated")
        self.assertEqual(created["bridge"], doc["bridge"])
        want_ip = dict(doc["ipv4"], family="ipv4")
        self.assertEqual(created["ips"], [want_ip])
        self.assertEqual(created["leases"], [])

        n = self.listed(name)
        self.assertIsNotNone(n, "a created network is missing from GET /api/networks")
        self.assertTrue(n["active"])
        self.assertEqual(n["ips"], [want_ip])
        self.assertEqual(self.get(name), n)
        self.assertEqual(self.get(n["uuid"])["name"], name)

        xml = harness.virsh("net-dumpxml", name)
        self.assertNotIn("<forward", xml, "an isolated network must have no <forward>")
        self.assertIn("range start='%s' end='%s'" % (doc["ipv4"]["dhcp"]["start"],
                                                     doc["ipv4"]["dhcp"]["end"]), xml)
        self.assertEqual(self.virsh_info(name)["Active"], "yes")

    def test_ipv6_defined_not_started(self):
        name, doc, r = self.create("v6", start=False,
                                   ipv6={"address": "fd13:%x::1/64" % (PID % 0xffff),
                                         "dhcp": {"start": "fd13:%x::100" % (PID % 0xffff),
                                                  "end": "fd13:%x::1ff" % (PID % 0xffff)}})
        n = r.json()
        self.assertFalse(n["active"])
        self.assertEqual([ip["family"] for ip in n["ips"]], ["ipv4", "ipv6"])
        self.assertEqual(n["ips"][1]["address"], "fd13:%x::1/64" % (PID % 0xffff))
        self.assertEqual(self.virsh_info(name)["Active"], "no")

    def test_virsh_made_network_is_listed(self):
        name = self.net_name("virsh")
        x = free_subnet()
        path = os.path.join(self.daemon.tmp, "net.xml")
        with open(path, "w") as f:
            f.write("<network><name>%s</name><bridge name='%s'/>"
                    "<ip address='10.213.%d.1' netmask='255.255.255.0'/></network>"
                    % (name, self.bridge_name(), x))
        harness.virsh("net-define", path)
        n = self.listed(name)
        self.assertIsNotNone(n)
        self.assertFalse(n["active"])
        self.assertEqual(n["ips"], [{"family": "ipv4", "address": "10.213.%d.1/24" % x,
                                     "dhcp": None}])

    # ---- changes ----

    def test_autostart_and_stop_start(self):
        name, _, _ = self.create("life")
        r = self.api.patch("/api/networks/" + name, json_body={"autostart": True})
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["autostart"])
        self.assertEqual(self.virsh_info(name)["Autostart"], "yes")
        r = self.api.patch("/api/networks/" + name, json_body={"autostart": False})
        self.assertStatus(r, 200)
        self.assertFalse(r.json()["autostart"])
        self.assertEqual(self.virsh_info(name)["Autostart"], "no")

        r = self.api.post("/api/networks/%s/stop" % name)
        self.assertStatus(r, 200)
        self.assertFalse(r.json()["active"])
        self.assertEqual(self.virsh_info(name)["Active"], "no")
        self.assertError(self.api.post("/api/networks/%s/stop" % name), 409)
        r = self.api.post("/api/networks/%s/start" % name)
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["active"])
        self.assertError(self.api.post("/api/networks/%s/start" % name), 409)

    def test_if_match(self):
        name, _, r = self.create("etag")
        etag = self.assertETag(r)
        r = self.api.patch("/api/networks/" + name, json_body={"autostart": True},
                           headers={"If-Match": etag})
        self.assertStatus(r, 200)
        self.assertError(self.api.patch("/api/networks/" + name, json_body={"autostart": False},
                                        headers={"If-Match": etag}), 412)
        self.assertError(self.api.delete("/api/networks/" + name, headers={"If-Match": etag}), 412)
        self.assertIsNotNone(self.listed(name))

    def test_delete(self):
        name, _, _ = self.create("del")
        r = self.api.delete("/api/networks/" + name)
        self.assertStatus(r, 204)
        self.assertIsNone(self.listed(name))
        self.assertError(self.api.get("/api/networks/" + name), 404)
        self.assertError(self.api.delete("/api/networks/" + name), 404)
        self.assertNotIn(name, harness.virsh("net-list", "--all", "--name").split())

    # ---- refusals ----

    def test_overlap_and_name_clash_are_409(self):
        name, doc, _ = self.create("ova")
        x = doc["ipv4"]["address"].split(".")[2]
        _, _, r = self.create("ovb", status=409, ipv4={"address": "10.213.%s.129/25" % x})
        self.assertIn(name, self.assertError(r, 409)["message"])
        # a wider subnet holding ours (it may hit another run's network first)
        _, _, r = self.create("ovb", status=409, ipv4={"address": "10.213.0.1/16"})
        self.assertIn("overlaps", self.assertError(r, 409)["message"])
        _, _, r = self.create("ova", status=409)
        self.assertIn("exists", self.assertError(r, 409)["message"])
        _, _, r = self.create("ovc", status=409, bridge=doc["bridge"])
        self.assertIn("belongs to network '%s'" % name, self.assertError(r, 409)["message"])
        # a subnet of a host interface: libvirt would fail the start
        _, _, r = self.create("ove", status=409, ipv4={"address": "127.1.0.1/16"})
        self.assertIn("host interface lo", self.assertError(r, 409)["message"])
        _, _, r = self.create("ovd", status=409, bridge="lo")
        self.assertIn("already has an interface", self.assertError(r, 409)["message"])

    def test_bad_values_are_400(self):
        ok = {"address": "10.213.9.1/24"}
        cases = [
            {"ipv4": {"address": "10.213.9.1"}},
            {"ipv4": {"address": "10.213.9.300/24"}},
            {"ipv4": {"address": "10.213.9.1/33"}},
            {"ipv4": {"address": "10.213.9.1/31"}},
            {"ipv4": {"address": "10.213.9.0/24"}},
            {"ipv4": {"address": "10.213.9.255/24"}},
            {"ipv4": {"address": "10.213.9.1/24", "dhcp": {"start": "10.213.10.5",
                                                            "end": "10.213.10.9"}}},
            {"ipv4": {"address": "10.213.9.1/24", "dhcp": {"start": "10.213.9.200",
                                                            "end": "10.213.9.100"}}},
            {"ipv4": {"address": "10.213.9.1/24", "dhcp": {"start": "10.213.9.2"}}},
            {"ipv4": dict(ok, extra=1)},
            {"ipv4": "10.213.9.1/24"},
            {"ipv6": {"address": "10.213.9.1/24"}, "ipv4": ok},
            {"mode": "bogus", "ipv4": ok},
            {"mode": 3, "ipv4": ok},
            {"name": "a<b&\"c", "ipv4": ok},
            {"name": "", "ipv4": ok},
            {"autostart": "yes", "ipv4": ok},
            {"colour": "blue", "ipv4": ok},
            {"bridge": "way-too-long-bridge-name", "ipv4": ok},
        ]
        for extra in cases:
            with self.subTest(body=extra):
                name, doc, r = self.create("bad", status=400, **extra)
                self.assertError(r, 400)
                self.assertNotIn(doc["name"] if isinstance(doc["name"], str) else name,
                                 harness.virsh("net-list", "--all", "--name").split())
        r = self.api.post("/api/networks", json_body={"mode": "isolated"})
        self.assertError(r, 400)

    def test_bridge_mode_missing_bridge_is_400(self):
        missing = "vnob%d" % (PID % 100000)
        self.assertFalse(os.path.exists("/sys/class/net/" + missing))
        name = self.net_name("br")
        r = self.api.post("/api/networks", json_body={"name": name, "mode": "bridge",
                                                      "bridge": missing})
        err = self.assertError(r, 400)
        self.assertIn(missing, err["message"])
        r = self.api.post("/api/networks", json_body={"name": name, "mode": "bridge"})
        self.assertError(r, 400)
        self.assertNotIn(name, harness.virsh("net-list", "--all", "--name").split())

    def test_unknown_network_is_404(self):
        for method, path in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/start"),
                             ("post", "/stop")):
            url = "/api/networks/vst%d-nope%s" % (PID, path)
            kw = {"json_body": {}} if method == "patch" else {}
            self.assertError(getattr(self.api, method)(url, **kw), 404)

    def test_viewer_reads_but_cannot_change(self):
        name, _, _ = self.create("view")
        user, pw = harness.make_user(self.daemon, "netv", "viewer")
        viewer, _ = harness.token_client(self.daemon, user, pw)
        # A network not granted to the viewer is not there for them.
        listed = [n["name"] for n in viewer.get("/api/networks").json()["networks"]]
        self.assertNotIn(name, listed)
        self.assertError(viewer.get("/api/networks/" + name), 404)
        r = self.api.post("/api/users/%s/grants" % user, json_body={"network": name})
        self.assertStatus(r, 201)
        listed = [n["name"] for n in viewer.get("/api/networks").json()["networks"]]
        self.assertIn(name, listed)
        self.assertStatus(viewer.get("/api/networks/" + name), 200)
        other = self.net_name("viewer")
        r = viewer.post("/api/networks", json_body={"name": other, "mode": "isolated"})
        self.assertError(r, 403)
        self.assertError(viewer.post("/api/networks/%s/stop" % name), 403)
        self.assertError(viewer.patch("/api/networks/" + name, json_body={"autostart": True}), 403)
        self.assertError(viewer.delete("/api/networks/" + name), 403)
        self.assertNotIn(other, harness.virsh("net-list", "--all", "--name").split())
        self.assertError(self.anon.get("/api/networks"), 401)
