"""Disk volumes are owned per host (docs/hosts.md, docs/access.md), on the
two-host lab (tests/hosts/lab.sh): every host's default pool is
/var/lib/libvirt/images, so operator X's new disk on host A and operator
Y's of the same name on host B have the same path, and are still two
volumes. Each detaches theirs (keeping it): from then on only who made it
lets one use it. X cannot see, list or attach (nor so delete) Y's volume
on B, answered as for a volume that does not exist, nor Y X's on A; each
still sees theirs, attaches it again and deletes it; each one's quota usage
counts their own volume only. A disk moved with its VM to another host
(a migration that copies the storage) stays its maker's there.

The lab is shared with other work on this machine: run under the lab's
lock (flock /tmp/vireo-lab.lock sh tests/api/run.sh test_hosts_volumes); it
is brought up when it is down and never taken down here. No guest boots."""

import os
import time
import unittest

import harness
import lab
import test_hosts
from test_hosts import HostsBase
from test_storage import MIB

TAG = "vh-%d" % os.getpid()
# The new disk of VM TAG, on whichever host it is made.
VOLUME = TAG + "-disk0.qcow2"


def setUpModule():
    global URI_A, URI_B
    test_hosts.setUpModule()
    URI_A, URI_B = test_hosts.URI_A, test_hosts.URI_B


class HostsVolumesTest(HostsBase):
    """X made VOLUME (1 MiB) on A, Y made VOLUME (2 MiB) on B."""

    @classmethod
    def setUpClass(cls):
        cls.d = harness.Daemon("hosts-volumes", extra_args=["--stats-interval-seconds", "0"])
        cls.d.start()
        cls.api = cls.d.client()
        cls.users = []
        try:
            cls.a = cls.add_lab_host(TAG + "-a", URI_A)
            cls.b = cls.add_lab_host(TAG + "-b", URI_B)
            cls.x = cls.operator("x")
            cls.y = cls.operator("y")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for uri in (URI_A, URI_B):
            lab.virsh(uri, "vol-delete", "--pool", "default", VOLUME, check=False)
        for user in cls.users:
            cls.api.delete("/api/users/" + user)
        for h in ("b", "a"):
            if hasattr(cls, h):
                cls.api.delete("/api/hosts/%d" % getattr(cls, h)["id"])
        cls.d.stop()

    @classmethod
    def operator(cls, tag):
        """An operator who may make disks in pool `default`. A grant names
        the pool (checked on A: vireod's own libvirtd may have none of that
        name) and holds on every host."""
        user, pw = harness.make_user(cls.d, "%s-%s" % (TAG, tag), "operator")
        cls.users.append(user)
        r = cls.api.post("/api/users/%s/grants?host=%s" % (user, cls.a["name"]),
                         json_body={"pool": "default", "use": ["disks"]})
        assert r.status == 201, r
        return harness.token_client(cls.d, user, pw)[0]

    def on(self, host, path):
        sep = "&" if "?" in path else "?"
        return "%s%shost=%s" % (path, sep, host["name"])

    def volume_url(self, host, name=VOLUME):
        return self.on(host, "/api/pools/default/volumes/" + name)

    def vm(self, client, host, name, disk=None, status=201):
        """VM `name` on `host`, made (and owned) by `client`, with a new
        disk of `disk` bytes in pool default (none: no disk)."""
        self.addCleanup(lab.remove_guest, name)
        self.addCleanup(self.api.delete, self.on(host, "/api/vms/%s?force=true" % name))
        body = {"name": name, "vcpus": 1, "memory": 64, "graphics": "none"}
        if disk:
            body["disks"] = [{"pool": "default", "size": disk}]
        r = client.post(self.on(host, "/api/vms"), json_body=body)
        self.assertStatus(r, status)
        return r.json()

    def disks(self, client, host, vm):
        r = client.get(self.on(host, "/api/vms/%s/disks" % vm))
        self.assertStatus(r, 200)
        return r.json()["disks"]

    def attach(self, client, host, vm, volume):
        return client.post(self.on(host, "/api/vms/%s/disks" % vm),
                           json_body={"volume": "default/" + volume})

    def listed(self, client, host):
        r = client.get(self.on(host, "/api/pools/default/volumes"))
        self.assertStatus(r, 200)
        return [v["name"] for v in r.json()["volumes"]]

    def disk_usage(self, client):
        r = client.get("/api/session/quota")
        self.assertStatus(r, 200)
        return r.json()["usage"]["disk"]

    def exists_on(self, uri):
        return VOLUME in lab.virsh(uri, "vol-list", "default")

    def assertLikeMissing(self, r, missing):
        """`r` answers as `missing` (the same request naming a volume that
        does not exist) does."""
        self.assertError(r, missing.status)
        self.assertEqual(r.json()["error"]["code"], missing.json()["error"]["code"])
        self.assertEqual(r.json()["error"]["message"],
                         missing.json()["error"]["message"].replace(TAG + "-none.qcow2", VOLUME))

    def wait_task(self, client, task, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = client.get("/api/tasks/%d" % task["id"]).json()
            if t["state"] in ("succeeded", "failed", "cancelled"):
                return t
            time.sleep(0.1)
        self.fail("task %d did not end: %r" % (task["id"], t))

    def test_disk_moved_with_its_vm_stays_its_makers(self):
        x, y, a, b = self.x, self.y, self.a, self.b
        vm = TAG + "-m"
        disk = vm + "-disk0.qcow2"
        for uri in (URI_A, URI_B):
            self.addCleanup(lab.virsh, uri, "vol-delete", "--pool", "default", disk, check=False)
        self.vm(x, a, vm, disk=MIB)
        self.assertEqual(self.disk_usage(x), MIB)
        r = x.post(self.on(a, "/api/vms/%s/migrate" % vm),
                   json_body={"host": b["name"], "copy_storage": True})
        self.assertStatus(r, 202)
        t = self.wait_task(x, r.json())
        self.assertEqual(t["state"], "succeeded", repr(t))
        self.assertNotIn(disk, lab.virsh(URI_A, "vol-list", "default"))
        self.assertIn(disk, lab.virsh(URI_B, "vol-list", "default"))
        # The copy on B is X's: it counts, and X still has it once detached.
        self.assertEqual(self.disk_usage(x), MIB)
        target = self.disks(x, b, vm)[0]["target"]
        self.assertStatus(x.delete(self.on(b, "/api/vms/%s/disks/%s" % (vm, target))), 204)
        self.assertStatus(x.get(self.volume_url(b, disk)), 200)
        self.assertError(y.get(self.volume_url(b, disk)), 404)
        self.assertEqual(self.disk_usage(x), MIB)
        r = self.attach(x, b, vm, disk)
        self.assertStatus(r, 201)
        url = self.on(b, "/api/vms/%s/disks/%s?volume=true" % (vm, r.json()["target"]))
        self.assertStatus(x.delete(url), 204)
        self.assertNotIn(disk, lab.virsh(URI_B, "vol-list", "default"))
        self.assertEqual(self.disk_usage(x), 0)

    def test_same_path_on_two_hosts_is_two_owners(self):
        x, y, a, b = self.x, self.y, self.a, self.b
        for uri in (URI_A, URI_B):
            self.addCleanup(lab.virsh, uri, "vol-delete", "--pool", "default", VOLUME,
                            check=False)
        # The same VM name on both hosts: new disks of the same name.
        self.vm(x, a, TAG, disk=MIB)
        self.vm(y, b, TAG, disk=2 * MIB)
        paths = [self.api.get(self.volume_url(h)).json()["path"] for h in (a, b)]
        self.assertEqual(paths[0], paths[1])
        # Detached, kept: only who made it lets one use it now.
        for client, host in ((x, a), (y, b)):
            target = self.disks(client, host, TAG)[0]["target"]
            self.assertStatus(client.delete(self.on(host, "/api/vms/%s/disks/%s" % (TAG, target))),
                              204)
            self.assertEqual(self.disks(client, host, TAG), [])
        self.assertTrue(self.exists_on(URI_A) and self.exists_on(URI_B))

        # Usage counts one's own volume, on its own host.
        self.assertEqual(self.disk_usage(x), MIB)
        self.assertEqual(self.disk_usage(y), 2 * MIB)

        # Neither sees the other's, as if it did not exist; each sees theirs.
        for client, host in ((x, b), (y, a)):
            self.assertLikeMissing(client.get(self.volume_url(host)),
                                   client.get(self.volume_url(host, TAG + "-none.qcow2")))
            self.assertNotIn(VOLUME, self.listed(client, host))
        for client, host, size in ((x, a, MIB), (y, b, 2 * MIB)):
            r = client.get(self.volume_url(host))
            self.assertStatus(r, 200)
            self.assertEqual(r.json()["capacity"], size)
            self.assertIn(VOLUME, self.listed(client, host))

        # Neither may attach the other's to a VM of theirs on that host.
        for client, host, vm in ((x, b, TAG + "-x"), (y, a, TAG + "-y")):
            self.vm(client, host, vm)
            self.assertLikeMissing(self.attach(client, host, vm, VOLUME),
                                   self.attach(client, host, vm, TAG + "-none.qcow2"))
            self.assertEqual(self.disks(client, host, vm), [])
        self.assertTrue(self.exists_on(URI_A) and self.exists_on(URI_B))
        self.assertEqual(self.disk_usage(x), MIB)
        self.assertEqual(self.disk_usage(y), 2 * MIB)

        # Each attaches theirs again and deletes it; the other's stays.
        for client, host, uri, other in ((x, a, URI_A, URI_B), (y, b, URI_B, None)):
            r = self.attach(client, host, TAG, VOLUME)
            self.assertStatus(r, 201)
            url = self.on(host, "/api/vms/%s/disks/%s?volume=true" % (TAG, r.json()["target"]))
            self.assertStatus(client.delete(url), 204)
            self.assertFalse(self.exists_on(uri))
            self.assertEqual(self.disk_usage(client), 0)
            if other:
                self.assertTrue(self.exists_on(other))
                self.assertEqual(self.disk_usage(y), 2 * MIB)

if __name__ == "__main__":
    unittest.main()
