"""Per-user quotas (docs/quotas.md) on the real libvirtd: an operator with a
1-VM / 2-vCPU / 256 MiB / 4 MiB-of-disk quota is refused (403
quota_exceeded, naming the limit) a second VM, an edit above a limit, a
clone and an attach of a new disk, and nothing is left behind; lifting the
quota lets the same requests through; usage shows what libvirt says (a VM
removed with virsh stops counting); creates sent at once by threads, quick
ones and ones that copy a disk as tasks, succeed exactly as many times as
the limit allows; admins are not limited; only admins change quotas, which
the audit log records; bad quotas are 400s that change nothing."""

import os
import subprocess
import threading

import harness
from test_create import CreateTestCase
from test_import import ImportTestCase, post_body
from test_snapshots import SnapshotTestCase
from test_storage import MIB

QUOTA = {"vms": 1, "vcpus": 2, "memory": 256, "disk": 4 * MIB}
UNLIMITED = {"vms": None, "vcpus": None, "memory": None, "disk": None}


class QuotaHelpers:
    """For test cases with a pool (CreateTestCase and its kin)."""

    def operator(self, tag, quota=None):
        """An operator who may make disks in the class's pool and copy its
        volumes (base.img), with `quota`."""
        user, pw = harness.make_user(self.daemon, "q-" + tag, "operator")
        client, _ = harness.token_client(self.daemon, user, pw)
        r = self.api.post("/api/users/%s/grants" % user,
                          json_body={"pool": self.pool, "use": ["disks", "media"]})
        self.assertStatus(r, 201)
        if quota is not None:
            self.set_quota(user, quota)
        return user, client

    def set_quota(self, user, quota):
        r = self.api.patch("/api/users/" + user, {"quota": quota})
        self.assertStatus(r, 200)
        return r.json()

    def assertQuotaRefusal(self, r, limit, *words):
        err = self.assertError(r, 403, "quota_exceeded")
        msg = err["message"]
        self.assertTrue(msg.startswith("quota '%s': this would use " % limit), msg)
        self.assertIn("quota set by an admin", msg)
        for w in words:
            self.assertIn(w, msg)
        return msg

    def my_quota(self, client):
        r = client.get("/api/session/quota")
        self.assertStatus(r, 200)
        return r.json()


class QuotaTest(QuotaHelpers, CreateTestCase):

    def create(self, client, tag, vcpus=1, memory=64, disk=None, clone=False, status=None):
        name = self.new_name(tag)
        body = {"name": name, "vcpus": vcpus, "memory": memory, "graphics": "none"}
        if clone:
            body["disks"] = [{"clone": "%s/base.img" % self.pool}]
        elif disk:
            body["disks"] = [{"pool": self.pool, "size": disk}]
        r = client.post("/api/vms", json_body=body)
        if status:
            self.assertStatus(r, status)
        return name, r

    def create_at_once(self, client, tag, n, **kw):
        """`n` creates sent at the same time by threads; their answers."""
        results = []

        def one(i):
            results.append(self.create(client, "%s-%d" % (tag, i), **kw)[1])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def test_each_limit_refuses_and_names_itself(self):
        user, op = self.operator("limits", QUOTA)
        first, r = self.create(op, "q-first", vcpus=1, memory=128, disk=2 * MIB, status=201)
        mine = self.my_quota(op)
        self.assertEqual(mine["quota"], QUOTA)
        self.assertEqual(mine["usage"], {"vms": 1, "vcpus": 1, "memory": 128, "disk": 2 * MIB})
        self.assertTrue(mine["limited"])

        # A second VM: over the VM count, nothing made.
        second, r = self.create(op, "q-second")
        self.assertQuotaRefusal(r, "vms", "this would use 2 of your 1 VMs", "1 in use")
        self.assertFalse(harness.domain_exists(second))

        # Edits: only the increase counts, and it is checked.
        path = "/api/vms/" + first
        r = op.patch(path, {"vcpus": 3})
        self.assertQuotaRefusal(r, "vcpus", "this would use 3 of your 2 vCPUs")
        self.assertEqual(self.vm(first)["vcpus"], 1, "a refused edit changes nothing")
        self.assertStatus(op.patch(path, {"vcpus": 2}), 200)
        r = op.patch(path, {"memory": 512})
        self.assertQuotaRefusal(r, "memory", "this would use 512 MiB of your 256 MiB of memory")
        r = op.patch(path, {"memory": 256, "vcpus": 1})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["vcpus"], r.json()["memory"]), (1, 256))
        self.assertStatus(op.patch(path, {"memory": 128}), 200, "lowering is always fine")

        # A clone is one more VM.
        clone = self.new_name("q-clone")
        r = op.post(path + "/clone", json_body={"name": clone})
        self.assertQuotaRefusal(r, "vms")
        self.assertFalse(harness.domain_exists(clone))

        # A new disk counts its size; an attach that fits exactly is fine.
        before = self.volumes()
        r = op.post(path + "/disks", json_body={"pool": self.pool, "size": 4 * MIB})
        self.assertQuotaRefusal(r, "disk", "of your 4.0 MiB of disk", "2.0 MiB in use")
        self.assertEqual(self.volumes(), before, "a refused attach makes no volume")
        r = op.post(path + "/disks", json_body={"pool": self.pool, "size": 2 * MIB})
        self.assertStatus(r, 201)
        self.assertEqual(self.my_quota(op)["usage"],
                         {"vms": 1, "vcpus": 1, "memory": 128, "disk": 4 * MIB})

        # The admin sees the same, in the user and in the list.
        r = self.api.get("/api/users/" + user)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["quota"], QUOTA)
        self.assertEqual(r.json()["usage"], {"vms": 1, "vcpus": 1, "memory": 128, "disk": 4 * MIB})
        listed = {u["username"]: u for u in self.api.get("/api/users").json()["users"]}
        self.assertEqual(listed[user]["usage"], r.json()["usage"])

        # Lifted, the same requests go through.
        self.assertEqual(self.set_quota(user, UNLIMITED)["quota"], UNLIMITED)
        self.create(op, "q-second-again", vcpus=2, memory=64, disk=2 * MIB, status=201)
        r = op.post(path + "/clone", json_body={"name": clone})
        self.assertIn(r.status, (201, 202), r)
        self.assertStatus(op.patch(path, {"vcpus": 3, "memory": 512}), 200)

    def test_usage_is_what_libvirt_says(self):
        user, op = self.operator("truth", {"vms": 2})
        name, _ = self.create(op, "q-truth", vcpus=2, memory=96, status=201)
        self.assertEqual(self.my_quota(op)["usage"], {"vms": 1, "vcpus": 2, "memory": 96, "disk": 0})
        # Changed and then removed behind Vireo's back.
        harness.virsh("setvcpus", name, "1", "--config")
        self.assertEqual(self.my_quota(op)["usage"]["vcpus"], 1)
        harness.virsh("undefine", name)
        self.assertEqual(self.my_quota(op)["usage"], {"vms": 0, "vcpus": 0, "memory": 0, "disk": 0})

    def test_parallel_creates_pass_exactly_what_fits(self):
        user, op = self.operator("race", {"vms": 3})
        results = self.create_at_once(op, "q-race", 6)
        made = [r for r in results if r.status == 201]
        refused = [r for r in results if r.status != 201]
        self.assertEqual(len(made), 3, results)
        for r in refused:
            self.assertQuotaRefusal(r, "vms")
        self.assertEqual(self.my_quota(op)["usage"]["vms"], 3)

    def test_parallel_creates_that_copy_hold_their_share(self):
        """Creates whose disk is a copy answer 202 and make the VM later: what
        they will take is held from the check on, so a third create sent
        while two copies run is refused at once."""
        base = self.api.get("/api/pools/%s/volumes/base.img" % self.pool).json()["capacity"]
        user, op = self.operator("race-copy", {"disk": 2 * base})
        results = self.create_at_once(op, "q-copy", 3, clone=True)
        started = [r for r in results if r.status == 202]
        self.assertEqual(len(started), 2, results)
        for r in results:
            if r.status != 202:
                self.assertQuotaRefusal(r, "disk")
        for r in started:
            self.assertEqual(self.wait_task(op, r.json()["id"])["state"], "succeeded")
        self.assertEqual(self.my_quota(op)["usage"]["disk"], 2 * base)
        self.assertQuotaRefusal(self.create(op, "q-copy-late", clone=True)[1], "disk")

    def test_admins_are_not_limited(self):
        r = self.api.get("/api/session")
        me = r.json()["username"]
        before = self.api.get("/api/users/" + me).json()["quota"]
        self.addCleanup(self.api.patch, "/api/users/" + me, {"quota": before})
        self.set_quota(me, {"vms": 0, "disk": 0})
        self.assertFalse(self.my_quota(self.api)["limited"])
        self.create(self.api, "q-admin", disk=MIB, status=201)
        r = self.api.post("/api/pools/%s/volumes" % self.pool,
                          json_body={"name": "q-admin.img", "capacity": MIB, "format": "raw"})
        self.assertStatus(r, 201)

    def test_only_admins_change_quotas(self):
        user, op = self.operator("who", QUOTA)
        viewer, pw = harness.make_user(self.daemon, "q-viewer", "viewer")
        view, _ = harness.token_client(self.daemon, viewer, pw)
        for client in (op, view):
            for target in (user, viewer):
                r = client.patch("/api/users/" + target, {"quota": UNLIMITED})
                self.assertError(r, 403)
        self.assertEqual(self.api.get("/api/users/" + user).json()["quota"], QUOTA)
        # Operators do not make volumes in pools directly: that is for admins.
        r = op.post("/api/pools/%s/volumes" % self.pool,
                    json_body={"name": "q-op.img", "capacity": MIB, "format": "raw"})
        self.assertError(r, 403)
        # Everyone reads their own.
        self.assertEqual(self.my_quota(view)["quota"], UNLIMITED)

    def test_bad_quotas_change_nothing_and_changes_are_audited(self):
        user, _ = self.operator("audit")
        path = "/api/users/" + user
        for bad, words in (({"quota": 5}, "field 'quota'"),
                           ({"quota": {"cpus": 1}}, "'cpus'"),
                           ({"quota": {"vcpus": -1}}, "quota.vcpus"),
                           ({"quota": {"memory": 1.5}}, "quota.memory"),
                           ({"quota": {"disk": "1G"}}, "quota.disk"),
                           ({"quota": {"vms": 1}, "role": "nobody"}, "role")):
            with self.subTest(body=bad):
                err = self.assertError(self.api.patch(path, bad), 400)
                self.assertIn(words, err["message"])
        r = self.api.get(path)
        self.assertEqual(r.json()["quota"], UNLIMITED)
        self.assertEqual(r.json()["role"], "operator")
        # Members left out keep their limit; null lifts one.
        self.assertEqual(self.set_quota(user, {"vcpus": 4, "disk": 10 * MIB})["quota"],
                         {"vms": None, "vcpus": 4, "memory": None, "disk": 10 * MIB})
        self.assertEqual(self.set_quota(user, {"vcpus": None, "vms": 0})["quota"],
                         {"vms": 0, "vcpus": None, "memory": None, "disk": 10 * MIB})
        r = self.api.get("/api/audit?action=user.update&object=%s" % user)
        self.assertStatus(r, 200)
        details = [e.get("detail") or "" for e in r.json()["entries"]]
        self.assertIn("quota vcpus unlimited -> 4, disk unlimited -> 10485760", details)
        self.assertIn("quota vms unlimited -> 0, vcpus 4 -> unlimited", details)


class QuotaImportTest(QuotaHelpers, ImportTestCase):
    """POST /api/vms/import checks the importer's quota once the upload is
    in (the disks' virtual sizes are known then), before the 202."""

    def image(self, size):
        path = os.path.join(self.work, "q-%s.qcow2" % size)
        subprocess.run(["qemu-img", "create", "-f", "qcow2", path, size], check=True,
                       stdout=subprocess.DEVNULL)
        with open(path, "rb") as f:
            return f.read()

    def test_import_refused_naming_the_limit_leaves_nothing(self):
        user, op = self.operator("imp", {"vms": 1, "vcpus": 1, "memory": 256, "disk": 4 * MIB})
        small, big = self.image("2M"), self.image("8M")
        for body, query, limit, words in (
                (small, {"vcpus": 2, "memory": 128}, "vcpus", "2 of your 1 vCPUs"),
                (small, {}, "memory", "1024 MiB more asked"),
                (big, {"memory": 128}, "disk", "8.0 MiB more asked")):
            before, meta, files = self.volumes(), self.meta_uuids(), self.files()
            name = self.new_name("qimp")
            r = post_body(op, self.import_path(name, network="none", **query), body)
            self.assertQuotaRefusal(r, limit, words)
            self.assertNothingLeft(name, before, meta)
            self.assertEqual(self.files(), files, "scratch files left behind")
            task = [t for t in op.get("/api/tasks?limit=5").json()["tasks"]
                    if t["target"] == name][0]
            self.assertEqual(task["state"], "failed", repr(task))
        # What fits is imported, and counts.
        name = self.new_name("qimp-ok")
        r = post_body(op, self.import_path(name, network="none", memory=128), small)
        self.assertStatus(r, 202)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        task = self.wait_task(op, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        usage = self.my_quota(op)["usage"]
        self.assertEqual((usage["vms"], usage["vcpus"], usage["memory"], usage["disk"]),
                         (1, 1, 128, 2 * MIB))
        # The one VM the quota allows is there: a second is refused.
        r = post_body(op, self.import_path(self.new_name("qimp-2"), network="none",
                                           memory=128), small)
        self.assertQuotaRefusal(r, "vms")

    def test_network_another_operator_may_use_is_refused(self):
        net = "vst%d-qimpnet" % os.getpid()
        r = self.api.post("/api/networks", json_body={"name": net, "mode": "isolated"})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/networks/" + net)
        a_user, a = self.operator("net-a")
        b_user, b = self.operator("net-b")
        r = self.api.post("/api/users/%s/grants" % a_user, json_body={"network": net})
        self.assertStatus(r, 201)
        small = self.image("1M")
        before, meta, files = self.volumes(), self.meta_uuids(), self.files()
        name = self.new_name("qnet-b")
        r = post_body(b, self.import_path(name, network=net), small)
        err = self.assertError(r, 400)
        self.assertIn("there is no network '%s' that you may use" % net, err["message"])
        self.assertNothingLeft(name, before, meta)
        self.assertEqual(self.files(), files)
        # Its grantee may.
        name = self.new_name("qnet-a")
        r = post_body(a, self.import_path(name, network=net), small)
        self.assertStatus(r, 202)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        task = self.wait_task(a, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.assertEqual([n["source"] for n in self.vm(name)["nics"]], [net])
        # B cannot see A's VM either.
        self.assertError(b.get("/api/vms/" + name), 404)


class QuotaRevertTest(QuotaHelpers, SnapshotTestCase):
    """A revert puts back the vCPUs and memory of the definition a snapshot
    kept: checked against the owner's quota like an edit's increase."""

    def test_revert_past_the_quota_is_refused(self):
        user, op = self.operator("rev")
        name = self.new_name("qrev")
        r = op.post("/api/vms", json_body={"name": name, "vcpus": 2, "memory": 64,
                                           "graphics": "none",
                                           "disks": [{"pool": self.pool, "size": MIB}]})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        self.snapshot(name, {"name": "wide"}, api=op)
        self.assertStatus(op.patch("/api/vms/" + name, {"vcpus": 1, "memory": 32}), 200)
        self.set_quota(user, {"vcpus": 1, "memory": 48})
        tasks = len(self.api.get("/api/tasks").json()["tasks"])
        r = op.post("/api/vms/%s/snapshots/wide/revert" % name)
        self.assertQuotaRefusal(r, "vcpus", "2 of your 1 vCPUs", "1 more asked")
        self.assertEqual(len(self.api.get("/api/tasks").json()["tasks"]), tasks, "no task")
        self.assertEqual((self.vm(name)["vcpus"], self.vm(name)["memory"]), (1, 32))
        self.set_quota(user, {"vcpus": 2})
        r = op.post("/api/vms/%s/snapshots/wide/revert" % name)
        self.assertQuotaRefusal(r, "memory", "64 MiB of your 48 MiB")
        # Within the quota the revert runs.
        self.set_quota(user, {"memory": 64})
        r = op.post("/api/vms/%s/snapshots/wide/revert" % name)
        self.assertStatus(r, 202)
        t = self.wait_task(op, r.json()["id"])
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertEqual((self.vm(name)["vcpus"], self.vm(name)["memory"]), (2, 64))
        # Admins are not limited.
        self.set_quota(user, {"vcpus": 0, "memory": 0})
        self.assertStatus(op.patch("/api/vms/" + name, {"vcpus": 1}), 200)
        r = self.api.post("/api/vms/%s/snapshots/wide/revert" % name)
        self.assertStatus(r, 202)
        self.assertEqual(self.wait_task(self.api, r.json()["id"])["state"], "succeeded")

