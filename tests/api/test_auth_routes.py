"""Access control generated from the route table: api/core/api_routes.c is parsed
at test time (not the OpenAPI document, which may lag), and every route is
tried without credentials (401, except the public ones), by a viewer (403 for
every change and every admin route, on a VM granted to the viewer so that the
role and not visibility refuses) and by an operator (403 on admin routes, 404
on an admin's backup job)."""

import os
import re
import shutil
import tempfile

import harness

ROUTES_C = os.path.join(harness.REPO, "api", "core", "api_routes.c")
ROUTE_RE = re.compile(r'ROUTE\(\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"\s*,\s*(\w+)\s*,\s*(API_PERM_\w+)')
KNOWN_PERMS = {"API_PERM_PUBLIC", "API_PERM_USER", "API_PERM_VM_READ", "API_PERM_VM_OPERATE",
               "API_PERM_VM_CREATE", "API_PERM_POOL_READ", "API_PERM_VOLUME_READ",
               "API_PERM_NETWORK_READ", "API_PERM_ADMIN"}
# The console's WebSocket: its one-time ticket is the credential.
PUBLIC = {("GET", "/api/openapi.json"), ("POST", "/api/session"),
          ("GET", "/api/consoles/{ticket}")}
# Changes a viewer may make: their own session, password and tokens.
SELF_SERVICE = "API_PERM_USER"
# Answers that never end (Server-Sent Events): tested in test_events.
STREAMS = {("GET", "/api/events")}
# Reads whose right answer on the shut-off VM used here is not 200: a
# shut-off VM has no screen to show (tested in test_screenshot).
READ_ANSWERS = {("GET", "/api/vms/{vm}/screenshot"): (409, "conflict"),
                # The VM is seen; the snapshot the test names does not exist.
                ("GET", "/api/vms/{vm}/snapshots/{snapshot}"): (404, "not_found")}


def parse_routes():
    with open(ROUTES_C) as f:
        text = f.read()
    # Only the table itself; comments may quote routes too.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return [(m.group(1), m.group(2), m.group(4)) for m in ROUTE_RE.finditer(text)]


ROUTES = parse_routes()


class RouteTableTest(harness.ApiTestCase):
    """Sets up a viewer and an operator, each with an API token, a VM granted
    to both, a VM granted to nobody, and a user for the viewer to attack."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        cls.vm = harness.unique_name("routes")
        # A CD-ROM drive and a NIC, so that reads of /disks/{target} and
        # /nics/{mac} answer 200 for the viewer.
        cls.mac = "52:54:00:%02x:%02x:5e" % (os.getpid() % 256, (os.getpid() >> 8) % 256)
        harness.define_xml(cls.vm, devices=(
            "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"
            "<interface type='network'><mac address='%s'/><source network='vst%d-routes'/>"
            "</interface>" % (cls.mac, os.getpid())))
        cls.other_vm = harness.unique_name("routes-other")
        harness.define_xml(cls.other_vm)
        cls.viewer, cls.viewer_pw = harness.make_user(d, "rviewer", "viewer")
        cls.operator, op_pw = harness.make_user(d, "roperator", "operator")
        cls.victim, _ = harness.make_user(d, "rvictim", "operator")
        cls.viewer_api, _ = harness.token_client(d, cls.viewer, cls.viewer_pw)
        cls.operator_api, _ = harness.token_client(d, cls.operator, op_pw)
        harness.grant(d, cls.viewer, cls.vm)
        harness.grant(d, cls.operator, cls.vm)
        # A running pool with one volume, so that reads answer 200.
        cls.pool = "vireo-st-%d-routes" % os.getpid()
        cls.pool_dir = tempfile.mkdtemp(prefix="vireo-st-%d-" % os.getpid(),
                                        dir="/var/lib/libvirt/images")
        harness.virsh("pool-define-as", cls.pool, "dir", "--target", cls.pool_dir)
        harness.virsh("pool-start", cls.pool)
        harness.virsh("vol-create-as", cls.pool, "routes.img", "1M", "--format", "raw")
        # A defined, never started network without addresses: nothing to clash.
        cls.network = "vst%d-routes" % os.getpid()
        cls.evil_network = "vst%d-evil" % os.getpid()
        r = cls.api.post("/api/networks", json_body={"name": cls.network, "mode": "isolated",
                                                     "start": False})
        if r.status != 201:
            raise AssertionError("creating network %s failed: %r" % (cls.network, r))
        # Pools and networks are seen by those they are granted to.
        for user in (cls.viewer, cls.operator):
            for grant in ({"pool": cls.pool, "use": ["media"]}, {"network": cls.network}):
                r = cls.api.post("/api/users/%s/grants" % user, json_body=grant)
                if r.status != 201:
                    raise AssertionError("grant %r to %s failed: %r" % (grant, user, r))
        cls.template = "vireo-rt-%d" % os.getpid()
        cls.evil_vm = harness.unique_name("routes-evil")
        r = cls.api.post("/api/templates", json_body={"name": cls.template,
                                                      "spec": {"vcpus": 1, "memory": 64}})
        if r.status != 201:
            raise AssertionError("creating template %s failed: %r" % (cls.template, r))

    @classmethod
    def tearDownClass(cls):
        harness.remove_domain(cls.vm)
        harness.remove_domain(cls.other_vm)
        harness.remove_domain(cls.evil_vm)
        cls.api.delete("/api/templates/" + cls.template)
        cls.api.delete("/api/templates/" + cls.template + "-evil")
        harness.virsh("pool-destroy", cls.pool, check=False)
        harness.virsh("pool-undefine", cls.pool, check=False)
        shutil.rmtree(cls.pool_dir, ignore_errors=True)
        for n in (cls.network, cls.evil_network):
            harness.virsh("net-destroy", n, check=False)
            harness.virsh("net-undefine", n, check=False)

    def fill(self, pattern, user):
        params = {"vm": self.vm, "user": user, "session": "0" * 64, "token": "999999999",
                  "pool": self.pool, "volume": "routes.img",
                  "network": self.network, "template": self.template, "os": "debian11",
                  "task": "999999999", "target": "hdc", "mac": self.mac,
                  "kind": "pools", "name": self.pool, "ticket": "A" * 43,
                  "snapshot": "routes-nosuch", "backup": "999999999", "job": "routes-nosuch",
                  # the local host: the one the shared daemon starts with
                  "host": "1"}

        def sub(m):
            if m.group(1) not in params:
                self.fail("route %s has a parameter {%s} this test does not know; teach it"
                          % (pattern, m.group(1)))
            return params[m.group(1)]
        return re.sub(r"\{(\w+)\}", sub, pattern)

    def body(self, method, pattern):
        """A body that would do harm if the gate let it through."""
        bodies = {
            ("POST", "/api/users"): {"username": "evil%d" % os.getpid(),
                                     "password": "evil-password-1", "role": "admin"},
            ("PATCH", "/api/users/{user}"): {"role": "admin"},
            ("POST", "/api/users/{user}/grants"): {"vm": self.other_vm},
            ("PATCH", "/api/vms/{vm}"): {"description": "changed by the wrong person"},
            ("POST", "/api/session"): {},
            ("POST", "/api/session/password"): {},
            ("POST", "/api/tokens"): {},
            ("POST", "/api/pools"): {"name": self.pool + "-evil", "type": "dir",
                                     "path": self.pool_dir + "-evil"},
            ("PATCH", "/api/pools/{pool}"): {"autostart": True},
            ("POST", "/api/pools/{pool}/volumes"): {"name": "evil.img", "capacity": 1048576,
                                                    "format": "raw"},
            ("POST", "/api/pools/{pool}/volumes/{volume}/resize"): {"capacity": 2097152},
            ("POST", "/api/networks"): {"name": self.evil_network, "mode": "isolated",
                                        "start": False},
            ("PATCH", "/api/networks/{network}"): {"autostart": True},
            ("POST", "/api/vms/{vm}/disks"): {"pool": self.pool, "size": 1048576},
            ("PATCH", "/api/vms/{vm}/disks/{target}"): {"media": self.pool + "/routes.img"},
            ("POST", "/api/vms/{vm}/nics"): {"network": self.network},
            ("PATCH", "/api/vms/{vm}/nics/{mac}"): {"link": "down"},
            ("POST", "/api/vms"): {"name": self.evil_vm, "vcpus": 1, "memory": 16},
            ("POST", "/api/templates"): {"name": self.template + "-evil", "spec": {}},
            ("PATCH", "/api/templates/{template}"): {"description": "changed"},
            ("POST", "/api/vms/{vm}/console"): {"type": "vnc"},
            ("POST", "/api/vms/{vm}/keys"): {"keys": ["ctrl", "alt", "delete"]},
            ("POST", "/api/vms/{vm}/eject-installer"): {},
            ("POST", "/api/vms/{vm}/migrate"): {"host": "1"},
            ("POST", "/api/hosts"): {"name": "evil%d" % os.getpid(), "uri": "test:///default"},
            ("PATCH", "/api/hosts/{host}"): {"name": "evil%d" % os.getpid()},
        }
        return bodies.get((method, pattern))

    def call(self, client, method, pattern, user, headers=None):
        path = self.fill(pattern, user)
        body = self.body(method, pattern)
        return path, client.request(method, path, json_body=body, headers=headers)

    def assertNothingChanged(self):
        self.assertTrue(harness.domain_exists(self.vm), "%s was deleted" % self.vm)
        self.assertEqual(harness.domain_state(self.vm), "shut off")
        v = self.vm_detail()
        self.assertEqual(v["description"], "")
        self.assertEqual([(d["target"], d["source"]) for d in v["disks"]], [("hdc", None)])
        self.assertEqual([(n["mac"], n["link"]) for n in v["nics"]], [(self.mac, "up")])
        users = {u["username"]: u["role"] for u in self.api.get("/api/users").json()["users"]}
        self.assertEqual(users.get(self.viewer), "viewer")
        self.assertEqual(users.get(self.operator), "operator")
        self.assertEqual(users.get(self.victim), "operator")
        self.assertNotIn("evil%d" % os.getpid(), users)
        grants = self.api.get("/api/users/%s/grants" % self.viewer).json()["grants"]
        self.assertEqual([g["name"] for g in grants], [self.vm])
        info = harness.virsh("pool-info", self.pool)
        self.assertRegex(info, r"State:\s+running")
        self.assertRegex(info, r"Autostart:\s+no")
        self.assertEqual(harness.virsh("vol-list", self.pool).split().count("routes.img"), 1)
        self.assertEqual(os.path.getsize(os.path.join(self.pool_dir, "routes.img")), 1048576)
        self.assertFalse(os.path.exists(os.path.join(self.pool_dir, "evil.img")))
        self.assertFalse(os.path.exists(self.pool_dir + "-evil"))
        nets = {n["name"]: n for n in self.api.get("/api/networks").json()["networks"]}
        self.assertIn(self.network, nets)
        self.assertFalse(nets[self.network]["autostart"])
        self.assertFalse(nets[self.network]["active"])
        self.assertNotIn(self.evil_network, nets)
        self.assertFalse(harness.domain_exists(self.evil_vm), "%s was created" % self.evil_vm)
        hosts = self.api.get("/api/hosts").json()["hosts"]
        self.assertEqual([(h["id"], h["local"]) for h in hosts], [(1, True)])
        self.assertNotEqual(hosts[0]["name"], "evil%d" % os.getpid())
        tpls = {t["name"]: t for t in self.api.get("/api/templates").json()["templates"]}
        self.assertEqual(tpls[self.template]["description"], "")
        self.assertNotIn(self.template + "-evil", tpls)

    def vm_detail(self):
        r = self.api.get("/api/vms/" + self.vm)
        self.assertStatus(r, 200)
        return r.json()

    def test_route_table_parsed(self):
        self.assertGreaterEqual(len(ROUTES), 25, "parsed only %r from %s" % (ROUTES, ROUTES_C))
        for method, pattern, perm in ROUTES:
            self.assertIn(perm, KNOWN_PERMS, "%s %s: unknown permission; teach this test"
                          % (method, pattern))
        public = {(m, p) for m, p, perm in ROUTES if perm == "API_PERM_PUBLIC"}
        self.assertEqual(public, PUBLIC, "the public routes changed")

    def test_public_routes_answer_without_credentials(self):
        r = self.anon.get("/api/openapi.json")
        self.assertStatus(r, 200)
        r = self.anon.post("/api/session", json_body={})
        self.assertError(r, 400)
        r = self.anon.request("HEAD", "/api/openapi.json")
        self.assertStatus(r, 200)
        # Without a ticket that was handed out, a console is not found.
        r = self.anon.get("/api/consoles/" + "A" * 43)
        self.assertError(r, 404)

    def test_every_route_needs_credentials(self):
        d = self.daemon
        variants = {
            "none": d.client(token=None),
            "unknown token": d.client(token="vireo_" + "A" * 43),
            "unknown session cookie": d.client(token=None, cookie="B" * 43),
            "garbage Authorization": d.client(token=None),
        }
        for method, pattern, perm in ROUTES:
            if perm == "API_PERM_PUBLIC":
                continue
            for label, c in variants.items():
                hdrs = {"Authorization": 'Bearer x"y z'} if label == "garbage Authorization" else None
                with self.subTest(route="%s %s" % (method, pattern), credentials=label):
                    path, r = self.call(c, method, pattern, self.victim, headers=hdrs)
                    self.assertError(r, 401, "unauthorized")
                    www = r.header("WWW-Authenticate") or ""
                    self.assertTrue(www.lower().startswith("bearer"),
                                    "401 without WWW-Authenticate: Bearer: %r" % r)
            if method == "GET":
                with self.subTest(route="HEAD " + pattern):
                    r = d.client(token=None).request("HEAD", self.fill(pattern, self.victim))
                    self.assertStatus(r, 401)
                    self.assertEqual(r.body, b"")
        self.assertNothingChanged()

    def test_viewer_may_not_change_anything(self):
        checked = 0
        for method, pattern, perm in ROUTES:
            if perm == "API_PERM_PUBLIC":
                continue
            if (method, pattern) in STREAMS:
                continue
            # Aim user routes at the viewer itself (self-promotion, self-grants)
            # and deletions at another user.
            target = self.victim if method == "DELETE" and pattern == "/api/users/{user}" \
                else self.viewer
            with self.subTest(route="%s %s" % (method, pattern), perm=perm):
                path, r = self.call(self.viewer_api, method, pattern, target)
                # A GET that needs the right to act (an export: the disks'
                # bytes; backups) is an operator's, not a viewer's.
                if perm in ("API_PERM_ADMIN", "API_PERM_VM_OPERATE", "API_PERM_VM_CREATE") or \
                        (method != "GET" and perm != SELF_SERVICE):
                    self.assertError(r, 403, "forbidden")
                    checked += 1
                elif perm == SELF_SERVICE:
                    # Own session, password and tokens: allowed to a viewer, so
                    # the handler's own answer (200/201/204/400/404), never 401/403.
                    self.assertNotIn(r.status, (401, 403), "%s %s: %r" % (method, path, r))
                    self.assertLess(r.status, 500, repr(r))
                elif (method, pattern) in READ_ANSWERS:
                    self.assertError(r, *READ_ANSWERS[(method, pattern)])
                else:   # reads of a granted VM and of the collection
                    self.assertStatus(r, 200, "%s %s" % (method, path))
        self.assertGreaterEqual(checked, 15)
        self.assertNothingChanged()

    def test_operator_may_not_administer(self):
        for method, pattern, perm in ROUTES:
            if perm != "API_PERM_ADMIN":
                continue
            target = self.victim if method == "DELETE" else self.operator
            with self.subTest(route="%s %s" % (method, pattern)):
                path, r = self.call(self.operator_api, method, pattern, target)
                self.assertError(r, 403, "forbidden")
        self.assertNothingChanged()

    def test_operator_never_reaches_an_admins_backup_job(self):
        # Backup routes are open to operators, for their own jobs: an
        # admin's job answers as if it did not exist.
        job = "routes-admin-%d" % os.getpid()
        r = self.api.post("/api/backups/jobs", json_body={
            "name": job, "schedule": {"every": "day", "at": "03:00"}, "vms": [self.vm],
            "pool": self.pool, "keep": 1})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/backups/jobs/" + job)
        checked = 0
        for method, pattern, perm in ROUTES:
            if "{job}" not in pattern:
                continue
            with self.subTest(route="%s %s" % (method, pattern)):
                path = pattern.replace("{job}", job)
                body = {"keep": 2} if method == "PATCH" else None
                self.assertError(self.operator_api.request(method, path, json_body=body), 404)
                checked += 1
        self.assertGreaterEqual(checked, 4)
        self.assertEqual(self.operator_api.get("/api/backups/jobs").json()["jobs"], [])
        self.assertEqual(self.api.get("/api/backups/jobs/" + job).json()["keep"], 1)
        self.assertNothingChanged()

    def test_viewer_refused_by_role_even_on_invisible_vm(self):
        # A viewer's change is refused by role before visibility is looked at:
        # the same 403 for a VM they cannot see as for one they can, so the
        # answer reveals nothing either way.
        for act in ("start", "poweroff"):
            a = self.viewer_api.post("/api/vms/%s/%s" % (self.other_vm, act))
            b = self.viewer_api.post("/api/vms/%snope/%s" % (harness.PREFIX, act))
            self.assertError(a, 403)
            self.assertError(b, 403)
            self.assertEqual(a.body, b.body)
        self.assertError(self.viewer_api.get("/api/vms/" + self.other_vm), 404)


if __name__ == "__main__":
    import unittest
    unittest.main()
