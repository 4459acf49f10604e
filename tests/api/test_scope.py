"""Storage and network scope (docs/access.md) with two operators who must not
see each other: A and B each own a VM with a disk in a pool granted to both
for new disks; both hold a second pool as media. Every route that takes a
volume, pool, network or bridge in its body is tried by A against B's disk:
creating a VM around it, copying it, putting an overlay on it, inserting it
as a CD-ROM, attaching it, and deleting it with ?volumes=true or
?volume=true. Lists show each user only what they may use; volumes say which
VMs use them, naming only the VMs the caller may see; the hypervisor's own
words (host paths) reach admins only."""

import os
import subprocess

import harness
from test_create import CreateTestCase
from test_storage import MIB, PREFIX, remove_pool

PID = os.getpid()


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), check=check, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)


class ScopeTest(CreateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        try:
            cls.media_dir = os.path.join(cls.dir + "-media")
            os.makedirs(cls.media_dir, exist_ok=True)
            os.chmod(cls.media_dir, 0o711)
            cls.media = PREFIX + "ScopeMedia"
            r = cls.api.post("/api/pools", json_body={"name": cls.media, "type": "dir",
                                                      "path": cls.media_dir})
            assert r.status == 201, r
            r = cls.api.post("/api/pools/%s/volumes" % cls.media,
                             json_body={"name": "tools.iso", "capacity": MIB, "format": "raw"})
            assert r.status == 201, r
            cls.network = "vst%d-scope" % PID
            r = cls.api.post("/api/networks", json_body={"name": cls.network, "mode": "isolated",
                                                         "start": False})
            assert r.status == 201, r
            cls.users = {}
            for tag in ("a", "b"):
                user, pw = harness.make_user(d, "scope-" + tag, "operator")
                client, _ = harness.token_client(d, user, pw)
                cls.users[tag] = (user, client)
                for grant in ({"pool": cls.pool, "use": ["disks"]},
                              {"pool": cls.media, "use": ["media"]},
                              {"network": cls.network}):
                    r = cls.api.post("/api/users/%s/grants" % user, json_body=grant)
                    assert r.status == 201, r
            cls.vm_a, cls.disk_a = cls.own_vm("a")
            cls.vm_b, cls.disk_b = cls.own_vm("b")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def own_vm(cls, tag):
        """A VM the operator creates, with a new 2 MiB disk and a NIC."""
        name = harness.unique_name("scope-" + tag)
        r = cls.users[tag][1].post("/api/vms", json_body={
            "name": name, "vcpus": 1, "memory": 32, "graphics": "none",
            "disks": [{"pool": cls.pool, "size": 2 * MIB}],
            "nics": [{"network": cls.network}]})
        assert r.status == 201, r
        return name, "%s/%s-disk0.qcow2" % (cls.pool, name)

    @classmethod
    def tearDownClass(cls):
        for name in (getattr(cls, "vm_a", None), getattr(cls, "vm_b", None)):
            if name:
                harness.remove_domain(name)
        remove_pool(getattr(cls, "media", PREFIX + "ScopeMedia"))
        if getattr(cls, "network", None):
            harness.virsh("net-undefine", cls.network, check=False)
        super().tearDownClass()

    def client(self, tag):
        return self.users[tag][1]

    def volume_users(self, ref, api=None):
        pool, name = ref.split("/", 1)
        r = (api or self.api).get("/api/pools/%s/volumes/%s" % (pool, name))
        self.assertStatus(r, 200)
        return [u["name"] for u in r.json()["used_by"]]

    def assertUnknownVolume(self, r, field):
        """The answer for a volume the caller may not use is the answer for
        one that does not exist: its existence is not revealed."""
        err = self.assertError(r, 400)
        self.assertIn("field '%s'" % field, err["message"])
        self.assertIn("no volume named", err["message"])
        return err

    def create_as_a(self, tag, **spec):
        name = self.new_name(tag)
        body = {"name": name, "vcpus": 1, "memory": 32, "graphics": "none"}
        body.update(spec)
        return name, self.client("a").post("/api/vms", json_body=body)

    def test_create_with_another_users_disk_is_refused(self):
        for member in ("volume", "clone", "backing"):
            with self.subTest(member=member):
                name, r = self.create_as_a("steal-" + member,
                                           disks=[{member: self.disk_b}])
                self.assertUnknownVolume(r, "disks[0].%s" % member)
                # Worded exactly as for a volume that is not there at all.
                _, missing = self.create_as_a("missing-" + member,
                                              disks=[{member: self.pool + "/nope.qcow2"}])
                self.assertEqual(r.json()["error"]["message"].replace(
                    self.disk_b.split("/")[1], "X"), missing.json()["error"]["message"]
                    .replace("nope.qcow2", "X"))
                self.assertFalse(harness.domain_exists(name))
        name, r = self.create_as_a("steal-cdrom", cdrom=self.disk_b)
        self.assertUnknownVolume(r, "cdrom")
        self.assertFalse(harness.domain_exists(name))
        # B's disk is still B's alone.
        self.assertEqual(self.volume_users(self.disk_b), [self.vm_b])
        self.assertStatus(self.api.get("/api/vms/" + self.vm_b), 200)

    def test_attach_and_media_of_another_users_disk_are_refused(self):
        a = self.client("a")
        r = a.post("/api/vms/%s/disks" % self.vm_a, json_body={"volume": self.disk_b})
        self.assertUnknownVolume(r, "volume")
        r = a.post("/api/vms/%s/disks" % self.vm_a, json_body={"device": "cdrom",
                                                               "media": self.disk_b})
        self.assertUnknownVolume(r, "media")
        r = a.post("/api/vms/%s/disks" % self.vm_a, json_body={"device": "cdrom"})
        self.assertStatus(r, 201)
        target = r.json()["target"]
        self.addCleanup(self.api.delete, "/api/vms/%s/disks/%s" % (self.vm_a, target))
        r = a.patch("/api/vms/%s/disks/%s" % (self.vm_a, target), {"media": self.disk_b})
        self.assertUnknownVolume(r, "media")
        # Media of a pool granted for media are fine.
        r = a.patch("/api/vms/%s/disks/%s" % (self.vm_a, target),
                    {"media": self.media + "/tools.iso"})
        self.assertStatus(r, 200)
        self.assertEqual(self.volume_users(self.disk_b), [self.vm_b])

    def test_a_media_pool_is_read_only(self):
        name, r = self.create_as_a("in-media", disks=[{"pool": self.media, "size": MIB}])
        err = self.assertError(r, 403)
        self.assertIn("media only", err["message"])
        r = self.client("a").post("/api/vms/%s/disks" % self.vm_a,
                                  json_body={"volume": self.media + "/tools.iso"})
        self.assertUnknownVolume(r, "volume")
        # A copy of a medium into a pool for disks is the operator's own.
        name, r = self.create_as_a("from-media", disks=[
            {"clone": self.media + "/tools.iso", "pool": self.pool, "name": "copy-of-tools.img"}])
        self.assertStatus(r, 202)
        self.wait_task(self.client("a"), r.json()["id"], states=("succeeded",))
        self.addCleanup(self.api.delete, "%s/copy-of-tools.img" % self.vols())
        self.assertEqual(self.volume_users(self.pool + "/copy-of-tools.img",
                                           api=self.client("a")), [name])

    def test_delete_never_takes_a_volume_that_is_not_the_callers(self):
        # Behind Vireo's back, B's disk and a shared medium become disks of a
        # VM of A's.
        name, r = self.create_as_a("holder", disks=[{"pool": self.pool, "size": MIB}])
        self.assertStatus(r, 201)
        own = "%s/%s-disk0.qcow2" % (self.pool, name)
        b_path = os.path.join(self.dir, self.disk_b.split("/")[1])
        iso_path = os.path.join(self.media_dir, "tools.iso")
        harness.virsh("attach-disk", name, b_path, "vdb", "--config")
        harness.virsh("attach-disk", name, iso_path, "vdc", "--config")
        a = self.client("a")
        r = a.delete("/api/vms/%s?volumes=true" % name)
        self.assertEqual(r.status // 100, 4, repr(r))
        self.assertIn("nothing was", r.json()["error"]["message"])
        # Nothing at all was deleted: the VM, its own disk, B's disk, the medium.
        self.assertTrue(harness.domain_exists(name))
        for ref in (own, self.disk_b, self.media + "/tools.iso"):
            pool, vol = ref.split("/", 1)
            self.assertStatus(self.api.get("/api/pools/%s/volumes/%s" % (pool, vol)), 200, ref)
        # Detaching with ?volume=true refuses the same way and keeps the disk.
        r = a.delete("/api/vms/%s/disks/vdb?volume=true" % name)
        self.assertEqual(r.status // 100, 4, repr(r))
        r = a.delete("/api/vms/%s/disks/vdc?volume=true" % name)
        self.assertEqual(r.status // 100, 4, repr(r))
        disks = [d["target"] for d in a.get("/api/vms/%s/disks" % name).json()["disks"]]
        self.assertEqual(sorted(disks), ["vda", "vdb", "vdc"])
        self.assertEqual(self.volume_users(self.disk_b), sorted([self.vm_b, name]))
        # Without what is not A's, the delete takes A's own disk along.
        harness.virsh("detach-disk", name, "vdb", "--config")
        harness.virsh("detach-disk", name, "vdc", "--config")
        self.assertStatus(a.delete("/api/vms/%s?volumes=true" % name), 204)
        self.assertError(self.api.get("%s/%s" % (self.vols(), own.split("/")[1])), 404)
        self.assertEqual(self.volume_users(self.disk_b), [self.vm_b])

    def test_lists_show_only_what_is_granted(self):
        a = self.client("a")
        pools = sorted(p["name"] for p in a.get("/api/pools").json()["pools"])
        self.assertEqual(pools, sorted([self.pool, self.media]))
        names = [v["name"] for v in a.get(self.vols()).json()["volumes"]]
        self.assertIn(self.disk_a.split("/")[1], names)
        self.assertNotIn(self.disk_b.split("/")[1], names)
        self.assertNotIn("base.img", names)
        media = [v["name"] for v in a.get(self.vols(self.media)).json()["volumes"]]
        self.assertIn("tools.iso", media)
        self.assertError(a.get("%s/%s" % (self.vols(), self.disk_b.split("/")[1])), 404)
        nets = [n["name"] for n in a.get("/api/networks").json()["networks"]]
        self.assertEqual(nets, [self.network])
        # A viewer granted A's VM sees its disk, and no pool.
        user, pw = harness.make_user(self.daemon, "scope-viewer", "viewer")
        harness.grant(self.daemon, user, self.vm_a)
        viewer, _ = harness.token_client(self.daemon, user, pw)
        self.assertEqual(viewer.get("/api/pools").json()["pools"], [])
        self.assertError(viewer.get(self.vols()), 404)
        self.assertStatus(viewer.get("%s/%s" % (self.vols(), self.disk_a.split("/")[1])), 200)
        self.assertError(viewer.get("%s/%s" % (self.vols(), self.disk_b.split("/")[1])), 404)
        # The session says what the caller may use.
        me = a.get("/api/session").json()
        self.assertEqual(me["grants"]["networks"], [{"name": self.network}])
        self.assertIn({"name": self.pool, "use": ["disks"]}, me["grants"]["pools"])
        self.assertIsNone(self.api.get("/api/session").json()["grants"])

    def test_conflicts_name_only_visible_vms(self):
        a = self.client("a")
        # A volume A made, which an admin then gave to B's VM behind A's back.
        r = a.post("/api/vms/%s/disks" % self.vm_a, json_body={"pool": self.pool, "size": MIB})
        self.assertStatus(r, 201)
        made = r.json()["volume"]
        self.assertStatus(a.delete("/api/vms/%s/disks/%s" % (self.vm_a, r.json()["target"])), 204)
        path = os.path.join(self.dir, made.split("/")[1])
        harness.virsh("attach-disk", self.vm_b, path, "vdc", "--config")
        self.addCleanup(harness.virsh, "detach-disk", self.vm_b, "vdc", "--config", check=False)
        r = a.post("/api/vms/%s/disks" % self.vm_a, json_body={"volume": made})
        err = self.assertError(r, 409)
        self.assertIn("another VM", err["message"])
        self.assertNotIn(self.vm_b, err["message"])
        self.assertEqual(self.volume_users(made, api=a), [None])
        # The admin is told whose it is.
        r = self.api.post("/api/vms/%s/disks" % self.vm_a, json_body={"volume": made})
        self.assertIn(self.vm_b, self.assertError(r, 409)["message"])
        r = self.api.delete("/api/pools/%s/volumes/%s" % tuple(made.split("/", 1)))
        self.assertIn(self.vm_b, self.assertError(r, 409)["message"])
        # A MAC of B's VM.
        mac = self.api.get("/api/vms/%s/nics" % self.vm_b).json()["nics"][0]["mac"]
        r = a.post("/api/vms/%s/nics" % self.vm_a, json_body={"network": self.network, "mac": mac})
        err = self.assertError(r, 409)
        self.assertIn("another VM", err["message"])
        self.assertNotIn(self.vm_b, err["message"])

    def test_networks_and_bridges(self):
        bridge = "vbr%d" % (PID % 100000)
        ip("link", "add", "name", bridge, "type", "bridge")
        self.addCleanup(ip, "link", "del", bridge, check=False)
        user_a = self.users["a"][0]
        name, r = self.create_as_a("bridged", nics=[{"bridge": bridge}])
        err = self.assertError(r, 400)
        self.assertIn("nics[0].bridge", err["message"])
        self.assertStatus(self.api.post("/api/users/%s/grants" % user_a,
                                        json_body={"bridge": bridge}), 201)
        self.addCleanup(self.api.delete, "/api/users/%s/grants/bridges/%s" % (user_a, bridge))
        name, r = self.create_as_a("bridged-ok", nics=[{"bridge": bridge}])
        self.assertStatus(r, 201)
        other_net = "vst%d-scope2" % PID
        self.assertStatus(self.api.post("/api/networks", json_body={
            "name": other_net, "mode": "isolated", "start": False}), 201)
        self.addCleanup(harness.virsh, "net-undefine", other_net, check=False)
        name, r = self.create_as_a("other-net", nics=[{"network": other_net}])
        self.assertIn("nics[0].network", self.assertError(r, 400)["message"])
        r = self.client("a").post("/api/vms/%s/nics" % self.vm_a, json_body={"network": other_net})
        self.assertIn("field 'network'", self.assertError(r, 400)["message"])

    def test_hypervisor_words_reach_admins_only(self):
        name, r = self.create_as_a("broken", disks=[{"pool": self.pool, "size": MIB}])
        self.assertStatus(r, 201)
        path = os.path.join(self.dir, "%s-disk0.qcow2" % name)
        os.unlink(path)   # the disk file vanishes behind libvirt's back
        r = self.client("a").post("/api/vms/%s/start" % name)
        self.assertGreaterEqual(r.status, 400)
        brief = r.json()["error"]["message"]
        self.assertNotIn(path, brief)
        self.assertNotIn(self.dir, brief)
        self.assertIn("vireod's log", brief)
        r = self.api.post("/api/vms/%s/start" % name)
        self.assertGreaterEqual(r.status, 400)
        self.assertIn(path, r.json()["error"]["message"])
        self.assertIn(path, self.daemon.log_text())
