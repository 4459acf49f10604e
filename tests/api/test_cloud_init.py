"""Cloud images with cloud-init (POST /api/vms with "cloud_init"): the test
guest's disk converted to qcow2 stands for a cloud image; a VM made as an
overlay on it, grown to the size asked, gets a NoCloud seed (an ISO 9660
volume labelled cidata, mode 0600, deleted with ?volumes=true) and the
guest prints the host name it read from the seed's meta-data; the password
arrives as a SHA-512 crypt hash, never in clear, and no secret reaches the
audit log, vireod's log or the task list; the caller's own user-data and
network-config go in as they are; bad values are 400s naming the field
without quoting secrets; a create that fails half-way leaves neither the
overlay nor the seed; an operator cannot put another's image under a VM."""

import base64
import os
import secrets
import struct
import subprocess
import time

import harness
from test_create import CreateTestCase
from test_storage import MIB

PID = os.getpid()


def ssh_key(comment="me@host"):
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + os.urandom(32)
    return "ssh-ed25519 %s %s" % (base64.b64encode(blob).decode(), comment)


def iso_file(path, name):
    """A file of the ISO, read through its Rock Ridge names."""
    p = subprocess.run(["isoinfo", "-R", "-i", path, "-x", "/" + name],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return p.stdout.decode()


def iso_label(path):
    p = subprocess.run(["isoinfo", "-d", "-i", path], stdout=subprocess.PIPE, check=True)
    for line in p.stdout.decode().splitlines():
        if line.startswith("Volume id:"):
            return line.split(":", 1)[1].strip()
    return None


class CloudInitCase(CreateTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            src = os.path.join(cls.dir, "base.img")
            dst = os.path.join(cls.dir, "cloud.qcow2")
            subprocess.run(["qemu-img", "convert", "-O", "qcow2", src, dst], check=True)
            os.chmod(dst, 0o644)
            r = cls.api.post("/api/pools/%s/refresh" % cls.pool)
            assert r.status == 200, r
        except Exception:
            cls.tearDownClass()
            raise

    def image(self):
        return "%s/cloud.qcow2" % self.pool

    def vol_path(self, name):
        return os.path.join(self.dir, name)

    def spec(self, name, cloud_init, **kw):
        body = {"name": name, "vcpus": 1, "memory": 128, "graphics": "none",
                "disks": [{"backing": self.image(), "size": 64 * MIB}],
                "cloud_init": cloud_init}
        body.update(kw)
        return body

    def assertSecretsAbsent(self, *secret_list):
        time.sleep(0.3)  # the request's log line is written after the answer
        texts = {"vireod log": self.daemon.log_text(),
                 "audit log": self.api.get("/api/audit?limit=1000").body.decode(),
                 "task list": self.api.get("/api/tasks").body.decode()}
        for where, text in texts.items():
            for s in secret_list:
                self.assertNotIn(s, text, "a secret in the %s" % where)


class SeedBootTest(CloudInitCase):
    def test_overlay_with_seed_boots_and_reads_hostname(self):
        name = self.new_name("ci")
        host = "ci-host-%d" % PID
        password = harness.new_password()
        key = ssh_key()
        r = self.api.post("/api/vms", json_body=self.spec(name, {
            "hostname": host, "user": "vireo", "password": password,
            "ssh_authorized_keys": [key]}, start=True))
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        vm = r.json()
        overlay, seed = "%s-disk0.qcow2" % name, "%s-cidata.iso" % name
        self.assertIn(overlay, self.volumes())
        self.assertIn(seed, self.volumes())
        cdroms = [d for d in vm["disks"] if d["device"] == "cdrom"]
        self.assertEqual(len(cdroms), 1, repr(vm["disks"]))
        self.assertEqual(cdroms[0]["bus"], "scsi")
        self.assertIs(cdroms[0].get("owned"), True)
        self.assertNotIn("owned", vm["disks"][0])
        # The overlay sits on the image, grown to the size asked.
        info = self.api.get("/api/pools/%s/volumes/%s" % (self.pool, overlay)).json()
        self.assertEqual(info["capacity"], 64 * MIB)
        p = subprocess.run(["qemu-img", "info", "-U", "--output=json", self.vol_path(overlay)],
                           stdout=subprocess.PIPE, check=True)
        self.assertIn("cloud.qcow2", p.stdout.decode())
        # The seed: labelled cidata, readable by root and QEMU only.
        path = self.vol_path(seed)
        self.assertEqual(iso_label(path), "cidata")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        meta = iso_file(path, "meta-data")
        self.assertIn('local-hostname: "%s"' % host, meta)
        self.assertIn('instance-id: "%s"' % vm["uuid"], meta)
        user_data = iso_file(path, "user-data")
        self.assertTrue(user_data.startswith("#cloud-config\n"), user_data)
        self.assertIn('name: "vireo"', user_data)
        self.assertIn('hashed_passwd: "$6$', user_data)
        self.assertIn(key, user_data)
        self.assertNotIn(password, user_data)
        hashed = user_data.split('hashed_passwd: "', 1)[1].split('"', 1)[0]
        # The guest reads the seed at boot.
        deadline = time.monotonic() + 120
        want = "VIREO-CIDATA hostname=%s" % host
        log = ""
        while time.monotonic() < deadline and want not in log:
            time.sleep(0.5)
            try:
                with open(harness.serial_log(name), "rb") as f:
                    log = f.read().decode("utf-8", "replace")
            except OSError:
                pass
        self.assertIn(want, log)
        self.assertSecretsAbsent(password, hashed)
        # The seed is no installer: eject-installer leaves it in.
        r = self.api.post("/api/vms/%s/eject-installer" % name)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["ejected"], [])
        self.assertTrue([d for d in r.json()["disks"] if d.get("owned") and d["source"]])
        # Deleting with its volumes takes the seed too, never the image.
        r = self.api.delete("/api/vms/%s?force=true&volumes=true" % name)
        self.assertStatus(r, 204)
        vols = self.volumes()
        self.assertNotIn(overlay, vols)
        self.assertNotIn(seed, vols)
        self.assertIn("cloud.qcow2", vols)


class SeedCloneTest(CloudInitCase):
    def test_a_clone_gets_its_own_seed(self):
        src = self.new_name("cisrc")
        r = self.api.post("/api/vms", json_body=self.spec(src, {
            "hostname": "cisrc-%d" % PID, "user": "vireo", "password": harness.new_password()}))
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % src)
        clone = self.new_name("ciclone")
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % clone)
        r = self.api.post("/api/vms/%s/clone" % src, json_body={"name": clone, "linked": True})
        self.assertStatus(r, 201)
        seeds = [d for d in r.json()["disks"] if d["device"] == "cdrom"]
        self.assertEqual([d["source"] for d in seeds], [self.vol_path("%s-cidata.iso" % clone)])
        self.assertIs(seeds[0].get("owned"), True)
        with open(self.vol_path("%s-cidata.iso" % src), "rb") as a, \
                open(seeds[0]["source"], "rb") as b:
            self.assertEqual(a.read(), b.read())
        # The source goes with its volumes (its seed too); the clone's stays.
        self.assertStatus(self.api.delete("/api/vms/%s?volumes=true" % src), 204)
        vols = self.volumes()
        self.assertNotIn("%s-cidata.iso" % src, vols)
        self.assertIn("%s-cidata.iso" % clone, vols)


class SeedContentTest(CloudInitCase):
    def test_own_user_data_and_network_config_in_a_copy_task(self):
        name = self.new_name("ud")
        token = "secret-" + secrets.token_hex(8)
        user_data = "#cloud-config\nruncmd:\n  - echo %s\n" % token
        net = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"
        body = self.spec(name, {"user_data": user_data, "network_config": net})
        body["disks"] = [{"clone": self.image()}]
        r = self.api.post("/api/vms", json_body=body)
        # A copy runs as a task.
        self.assertStatus(r, 202)
        task = self.wait_task(self.api, r.json()["id"])
        self.assertEqual(task["state"], "succeeded", repr(task))
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        path = self.vol_path("%s-cidata.iso" % name)
        self.assertEqual(iso_file(path, "user-data"), user_data)
        self.assertEqual(iso_file(path, "network-config"), net)
        # The VM's name is its host name when none is given.
        self.assertIn('local-hostname: "%s"' % name, iso_file(path, "meta-data"))
        self.assertSecretsAbsent(token)

    def test_yaml_cannot_be_injected_through_a_key_comment(self):
        name = self.new_name("inj")
        key = ssh_key('x" \\ ssh_pwauth: true')
        r = self.api.post("/api/vms", json_body=self.spec(name, {
            "user": "vireo", "ssh_authorized_keys": [key]}))
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?volumes=true" % name)
        user_data = iso_file(self.vol_path("%s-cidata.iso" % name), "user-data")
        self.assertIn('x\\" \\\\ ssh_pwauth: true"', user_data)
        self.assertIn("ssh_pwauth: false", user_data)
        self.assertIn("lock_passwd: true", user_data)


class SeedValidationTest(CloudInitCase):
    def test_bad_values_are_400_naming_the_field(self):
        before, meta = self.volumes(), self.meta_uuids()
        secret = "pw-" + secrets.token_hex(8)
        good_key = ssh_key()
        rsa_blob_as_ed = "ssh-ed25519 " + base64.b64encode(
            struct.pack(">I", 7) + b"ssh-rsa" + b"\0" * 40).decode()
        cases = [
            ({"user": "vireo", "password": secret, "hostname": "bad_host"}, "cloud_init.hostname"),
            ({"user": "vireo", "password": secret, "hostname": "-x"}, "cloud_init.hostname"),
            ({"user": "Root", "password": secret}, "cloud_init.user"),
            ({"user": "root", "password": secret}, "cloud_init.user"),
            ({"user": "vireo"}, "cloud_init.user"),
            ({"user": "vireo", "ssh_authorized_keys": ["not a key"]}, "ssh_authorized_keys[0]"),
            ({"user": "vireo", "ssh_authorized_keys": [good_key, rsa_blob_as_ed]},
             "ssh_authorized_keys[1]"),
            ({"user": "vireo", "ssh_authorized_keys": [good_key + "\nssh_pwauth: true"]},
             "ssh_authorized_keys[0]"),
            ({"user": "vireo", "password": secret, "password_hash": "$6$abc$def"},
             "cloud_init.password"),
            ({"user": "vireo", "password_hash": "$1$salt$" + secret}, "cloud_init.password_hash"),
            ({"user_data": "runcmd: [%s]" % secret}, "cloud_init.user_data"),
            ({"user_data": "#cloud-config\n", "user": "vireo"}, "cloud_init.user_data"),
            ({"user": "vireo", "password": secret, "network_config": "eth0: %s" % secret},
             "cloud_init.network_config"),
            ({"user": "vireo", "password": "x" * 2000}, "cloud_init"),
            ({"user": "vireo", "password": secret, "extra": 1}, "cloud_init"),
            ("nope", "cloud_init"),
        ]
        for ci, field in cases:
            name = self.new_name("bad")
            r = self.api.post("/api/vms", json_body=self.spec(name, ci))
            self.assertError(r, 400)
            msg = r.json()["error"]["message"]
            self.assertIn(field, msg, repr(ci))
            self.assertNotIn(secret, msg)
        # A VM name that is no host name needs "hostname".
        r = self.api.post("/api/vms", json_body=self.spec(
            "%sa_b" % harness.PREFIX, {"user": "vireo", "password": secret}))
        self.assertError(r, 400)
        self.assertIn("cloud_init.hostname", r.json()["error"]["message"])
        # No disk to put the seed beside.
        body = self.spec(self.new_name("nodisk"), {"user": "vireo", "password": secret})
        del body["disks"]
        r = self.api.post("/api/vms", json_body=body)
        self.assertError(r, 400)
        self.assertIn("cloud_init", r.json()["error"]["message"])
        # Templates hold no secrets.
        r = self.api.post("/api/templates", json_body={
            "name": harness.PREFIX + "citpl",
            "spec": {"vcpus": 1, "memory": 64, "cloud_init": {"user": "vireo"}}})
        self.assertError(r, 400)
        self.assertIn("cloud_init", r.json()["error"]["message"])
        self.assertNothingLeft(name, before, meta)
        self.assertSecretsAbsent(secret)

    def test_failed_create_leaves_neither_overlay_nor_seed(self):
        net = self.inactive_network("cidown")
        before, meta = self.volumes(), self.meta_uuids()
        name = self.new_name("cifail")
        password = harness.new_password()
        # Overlay and seed are made and the VM defined; the start on an
        # inactive network fails, and all of it is undone.
        r = self.api.post("/api/vms", json_body=self.spec(
            name, {"user": "vireo", "password": password}, start=True,
            nics=[{"network": net}]))
        self.assertGreaterEqual(r.status, 400, repr(r))
        self.assertIn("did not start", r.json()["error"]["message"])
        self.assertNothingLeft(name, before, meta)
        # A seed name that is taken is a 409 before anything is made.
        name = self.new_name("taken")
        r = self.api.post("/api/pools/%s/volumes" % self.pool, json_body={
            "name": "%s-cidata.iso" % name, "capacity": MIB, "format": "raw"})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/pools/%s/volumes/%s-cidata.iso" % (self.pool, name))
        before = self.volumes()
        r = self.api.post("/api/vms", json_body=self.spec(
            name, {"user": "vireo", "password": password}))
        self.assertError(r, 409)
        self.assertIn("cloud_init", r.json()["error"]["message"])
        self.assertNothingLeft(name, before, meta)
        self.assertSecretsAbsent(password)


class SeedScopeTest(CloudInitCase):
    def test_operator_cannot_use_another_operators_image(self):
        d = self.daemon
        clients = {}
        for tag in ("a", "b"):
            user, pw = harness.make_user(d, "ci-" + tag, "operator")
            self.addCleanup(self.api.delete, "/api/users/" + user)
            r = self.api.post("/api/users/%s/grants" % user,
                              json_body={"pool": self.pool, "use": ["disks"]})
            self.assertStatus(r, 201)
            clients[tag], _ = harness.token_client(d, user, pw)
        a, b = clients["a"], clients["b"]
        # A's image: the disk of a VM A made, kept when A deleted the VM.
        src = self.new_name("cisrc")
        r = a.post("/api/vms", json_body={"name": src, "vcpus": 1, "memory": 64,
                                          "disks": [{"pool": self.pool, "size": 4 * MIB}]})
        self.assertStatus(r, 201)
        self.assertStatus(a.delete("/api/vms/" + src), 204)
        image = "%s-disk0.qcow2" % src
        self.addCleanup(self.api.delete, "/api/pools/%s/volumes/%s" % (self.pool, image))
        ci = {"user": "vireo", "ssh_authorized_keys": [ssh_key()]}
        body = {"vcpus": 1, "memory": 64, "graphics": "none", "cloud_init": ci,
                "disks": [{"backing": "%s/%s" % (self.pool, image)}]}
        before = self.volumes()
        r = b.post("/api/vms", json_body=dict(body, name=self.new_name("cib")))
        self.assertError(r, 400)
        self.assertIn("disks[0].backing", r.json()["error"]["message"])
        self.assertEqual(self.volumes(), before)
        # A's own image is A's to use; the seed is A's, deleted with the VM.
        name = self.new_name("cia")
        r = a.post("/api/vms", json_body=dict(body, name=name))
        self.assertStatus(r, 201)
        self.assertIn("%s-cidata.iso" % name, self.volumes())
        r = a.delete("/api/vms/%s?volumes=true" % name)
        self.assertStatus(r, 204)
        self.assertEqual(self.volumes(), before)
