"""Installing an OS (POST /api/vms with "cdrom", network boot, an imported
disk) and what follows it, on the real libvirtd with the TCG test guest.

An installer-like ISO of the test guest is built here (tests/guest/
build-iso.sh: genisoimage + Debian's ISOLINUX, the guest's kernel and
initramfs, an APPEND line carrying vireo.from=cdrom, labelled like a Debian
11 netinst so that libosinfo names it). A VM made from it gets a CD-ROM
drive, boots from it first (the guest prints its command line with the
marker), keeps its OS as libosinfo metadata; eject-installer then empties
the drive live and in the definition and puts the disk first. Network boot
and import build the right XML; the metadata of VMs defined elsewhere is
read; operators reach only the ISOs and pools granted to them."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
from test_create import CreateTestCase, build_disk
from test_storage import MIB, PREFIX, remove_pool

PID = os.getpid()
ISO_LABEL = "Debian 11.5.0 amd64 n"
LIBOSINFO_NS = "http://libosinfo.org/xmlns/libvirt/domain/1.0"


def build_iso(path):
    subprocess.run(["sh", os.path.join(harness.GUEST_SCRIPTS, "build-iso.sh"), path, ISO_LABEL],
                   check=True, stdout=subprocess.DEVNULL)
    os.chmod(path, 0o644)


def xml_of(name, inactive=False):
    return harness.virsh("dumpxml", *(["--inactive"] if inactive else []), name)


def boot_order(xml_text):
    os_el = re.search(r"<os[^>]*>(.*?)</os>", xml_text, re.S).group(1)
    return re.findall(r"<boot dev='([^']+)'/>", os_el)


def cdrom_sources(xml_text):
    """{target: source file or None} of the CD-ROM drives."""
    out = {}
    for disk in re.findall(r"<disk [^>]*device='cdrom'[^>]*>.*?</disk>", xml_text, re.S):
        target = re.search(r"<target dev='([^']+)'", disk).group(1)
        src = re.search(r"<source file='([^']+)'", disk)
        out[target] = src.group(1) if src else None
    return out


def cmdline_lines(name):
    try:
        with open(harness.serial_log(name), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [l for l in text.splitlines() if "VIREO-CMDLINE" in l]


class InstallTestCase(CreateTestCase):
    """The dir pool of CreateTestCase (base.img: the bootable test disk)
    with install.iso, the installer-like ISO, in it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            build_iso(os.path.join(cls.dir, "install.iso"))
            r = cls.api.post("/api/pools/%s/refresh" % cls.pool)
            assert r.status == 200, r
        except Exception:
            cls.tearDownClass()
            raise

    def wait_cmdline(self, name, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = cmdline_lines(name)
            if lines:
                return lines[-1]
            time.sleep(0.3)
        self.fail("%s printed no VIREO-CMDLINE in %ss" % (name, timeout))


class FromIsoTest(InstallTestCase):
    def test_iso_volume_is_named_and_flagged(self):
        r = self.api.get("/api/pools/%s/volumes/install.iso" % self.pool)
        self.assertStatus(r, 200)
        vol = r.json()
        self.assertTrue(vol["iso"])
        self.assertEqual(vol["os"], {"id": "debian11", "name": "Debian 11"})
        r = self.api.get("/api/os/debian11")
        self.assertEqual(r.json()["osinfo_id"], "http://debian.org/debian/11")

    def test_vm_from_iso_boots_the_cdrom_then_ejects_it(self):
        name = self.new_name("iso")
        iso = "%s/install.iso" % self.pool
        r = self.api.post("/api/vms", json_body={
            "name": name, "os": "debian11", "vcpus": 1, "memory": 128, "graphics": "none",
            "cdrom": iso, "disks": [{"pool": self.pool, "size": 4 * MIB}], "start": True})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true&volumes=true" % name)
        vm = r.json()
        # The CD-ROM drive comes with the VM and boots first, then the disk.
        self.assertEqual(vm["os"]["boot"], ["cdrom", "hd"])
        self.assertEqual([(d["device"], d["bus"]) for d in vm["disks"]],
                         [("disk", "virtio"), ("cdrom", "sata")])
        cd = [d for d in vm["disks"] if d["device"] == "cdrom"][0]
        self.assertEqual(cd["source"], os.path.join(self.dir, "install.iso"))
        # The OS is kept as virt-install keeps it, and shown by its names.
        self.assertEqual((vm["os"]["id"], vm["os"]["name"], vm["os"]["osinfo_id"]),
                         ("debian11", "Debian 11", "http://debian.org/debian/11"))
        defined = xml_of(name, inactive=True)
        self.assertIn(LIBOSINFO_NS, defined)
        self.assertRegex(defined, r"<libosinfo:os id=['\"]http://debian.org/debian/11['\"]")
        self.assertEqual(boot_order(defined), ["cdrom", "hd"])
        self.assertEqual(cdrom_sources(defined), {cd["target"]: cd["source"]})

        # The guest booted from the ISO: its command line is the ISO's APPEND.
        line = self.wait_cmdline(name)
        self.assertIn("vireo.from=cdrom", line)
        self.wait_marker(name, timeout=90)

        # Eject the installer: the drive empties live and in the definition,
        # and the disk goes first in the definition.
        etag = self.api.get("/api/vms/" + name).header("ETag")
        r = self.api.post("/api/vms/%s/eject-installer" % name, headers={"If-Match": etag})
        self.assertStatus(r, 200)
        out = r.json()
        self.assertEqual(out["ejected"], [cd["target"]])
        self.assertTrue(out["boot_changed"])
        self.assertEqual(out["next_boot"]["boot"], ["hd", "cdrom"])
        self.assertEqual([d["source"] for d in out["disks"] if d["device"] == "cdrom"], [None])
        self.assertETag(r)
        self.assertEqual(cdrom_sources(xml_of(name)), {cd["target"]: None})
        defined = xml_of(name, inactive=True)
        self.assertEqual(cdrom_sources(defined), {cd["target"]: None})
        self.assertEqual(boot_order(defined), ["hd", "cdrom"])
        # The OS survives the rewrite of the definition.
        self.assertIn("http://debian.org/debian/11", defined)
        self.assertEqual(self.vm(name)["os"]["id"], "debian11")
        # The ISO is free again for other VMs' writes... it is only read; and
        # the volume lists no user.
        r = self.api.get("/api/pools/%s/volumes/install.iso" % self.pool)
        self.assertEqual(r.json()["used_by"], [])

        # Again: nothing to do, and no error.
        r = self.api.post("/api/vms/%s/eject-installer" % name, json_body={})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["ejected"], r.json()["boot_changed"]), ([], False))

        # The stale ETag is refused; so is a body with members.
        r = self.api.post("/api/vms/%s/eject-installer" % name, headers={"If-Match": etag})
        self.assertError(r, 412)
        r = self.api.post("/api/vms/%s/eject-installer" % name, json_body={"now": True})
        self.assertError(r, 400)
        r = self.api.post("/api/vms/%s-nope/eject-installer" % name)
        self.assertError(r, 404)

        # The next boot comes from the disk (empty here, so the guest never
        # prints its command line again; the CD-ROM is not tried with media).
        self.action(name, "poweroff")
        self.wait_state(name, "shutoff")
        self.assertEqual(self.vm(name)["os"]["boot"], ["hd", "cdrom"])

    def test_eject_on_a_shut_off_vm_changes_the_definition(self):
        name = self.new_name("iso-off")
        r = self.api.post("/api/vms", json_body={
            "name": name, "vcpus": 1, "memory": 64, "graphics": "none",
            "cdrom": "%s/install.iso" % self.pool})
        self.assertStatus(r, 201)
        self.assertIsNone(r.json()["os"]["osinfo_id"])
        self.assertIsNone(r.json()["os"]["id"])
        r = self.api.post("/api/vms/%s/eject-installer" % name)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["os"]["boot"], ["hd", "cdrom"])
        self.assertNotIn("next_boot", r.json())
        self.assertEqual(list(cdrom_sources(xml_of(name, inactive=True)).values()), [None])
        # Audited under its own action.
        r = self.api.get("/api/audit?action=vm.eject_installer&object=%s" % name)
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["entries"], r.json())


class OtherWaysTest(InstallTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.network = "vst%d-install" % PID
        r = cls.api.post("/api/networks", json_body={"name": cls.network, "mode": "isolated",
                                                     "start": False})
        if r.status != 201:
            cls.tearDownClass()
            raise AssertionError("creating network %s failed: %r" % (cls.network, r))

    @classmethod
    def tearDownClass(cls):
        harness.virsh("net-undefine", getattr(cls, "network", "vst%d-install" % PID),
                      check=False)
        super().tearDownClass()

    def test_network_boot_needs_a_nic_and_boots_network_first(self):
        name = self.new_name("pxe")
        body = {"name": name, "vcpus": 1, "memory": 64, "boot": ["network", "hd"],
                "disks": [{"pool": self.pool, "size": MIB}]}
        r = self.api.post("/api/vms", json_body=body)
        self.assertError(r, 400)
        self.assertIn("'boot'", r.json()["error"]["message"])
        self.assertIn("NIC", r.json()["error"]["message"])
        self.assertFalse(harness.domain_exists(name))
        body["nics"] = [{"network": self.network}]
        r = self.api.post("/api/vms", json_body=body)
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?volumes=true" % name)
        self.assertEqual(r.json()["os"]["boot"], ["network", "hd"])
        defined = xml_of(name, inactive=True)
        self.assertEqual(boot_order(defined), ["network", "hd"])
        self.assertIn("<source network='%s'/>" % self.network, defined)
        self.assertNotIn("device='cdrom'", defined)
        # Once installed, eject-installer puts the disk first here too.
        r = self.api.post("/api/vms/%s/eject-installer" % name)
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["ejected"], r.json()["os"]["boot"]), ([], ["hd", "network"]))

    def test_imported_disk_is_used_as_it_is_and_boots(self):
        shutil.copyfile(build_disk(), os.path.join(self.dir, "imported.img"))
        os.chmod(os.path.join(self.dir, "imported.img"), 0o644)
        self.assertStatus(self.api.post("/api/pools/%s/refresh" % self.pool), 200)
        name = self.new_name("import")
        before = self.volumes()
        r = self.api.post("/api/vms", json_body={
            "name": name, "os": "debian11", "vcpus": 1, "memory": 128, "graphics": "none",
            "disks": [{"volume": "%s/imported.img" % self.pool}], "start": True})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?force=true" % name)
        vm = r.json()
        self.assertEqual(vm["os"]["boot"], ["hd"])
        self.assertEqual([(d["device"], d["source"]) for d in vm["disks"]],
                         [("disk", os.path.join(self.dir, "imported.img"))])
        self.assertEqual(self.volumes(), before, "an import makes no volume")
        self.assertNotIn("device='cdrom'", xml_of(name, inactive=True))
        line = self.wait_cmdline(name)
        self.assertNotIn("vireo.from=cdrom", line)
        self.wait_marker(name, timeout=90)


class MetadataTest(harness.ApiTestCase):
    def define_with_os(self, tag, osinfo_id, prefix="libosinfo"):
        name = self.new_name(tag)
        harness.define_xml(name)
        xml_text = xml_of(name, inactive=True).replace(
            "</domain>", "<metadata><%s:libosinfo xmlns:%s='%s'><%s:os id='%s'/></%s:libosinfo>"
            "</metadata></domain>" % (prefix, prefix, LIBOSINFO_NS, prefix, osinfo_id, prefix))
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write(xml_text)
        try:
            harness.virsh("define", f.name)
        finally:
            os.unlink(f.name)
        return name

    def test_os_of_vms_defined_elsewhere(self):
        # As virt-install writes it, under any prefix.
        name = self.define_with_os("meta", "http://fedoraproject.org/fedora/37", prefix="lo")
        os_ = self.vm(name)["os"]
        self.assertEqual((os_["id"], os_["name"], os_["osinfo_id"]),
                         ("fedora37", "Fedora Linux 37", "http://fedoraproject.org/fedora/37"))
        # An OS the catalogue does not know keeps its full id only.
        other = self.define_with_os("meta-unknown", "http://example.org/os/1")
        os_ = self.vm(other)["os"]
        self.assertEqual((os_["id"], os_["name"], os_["osinfo_id"]),
                         (None, None, "http://example.org/os/1"))
        # None at all.
        plain = self.new_name("meta-none")
        harness.define_xml(plain)
        os_ = self.vm(plain)["os"]
        self.assertEqual((os_["id"], os_["name"], os_["osinfo_id"]), (None, None, None))
        # Edits that rewrite the definition keep it.
        r = self.api.patch("/api/vms/" + name, json_body={"boot": ["cdrom", "hd"], "vcpus": 2})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["os"]["id"], "fedora37")
        self.assertIn("http://fedoraproject.org/fedora/37", xml_of(name, inactive=True))


class InstallScopeTest(InstallTestCase):
    """Operators reach only the ISOs and pools granted to them (docs/access.md):
    one holds this class's pool for media, one for new disks only, one has
    no grant at all; another operator's disk is nobody else's installer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        try:
            cls.ops = {}
            for tag, grant in (("media", {"pool": cls.pool, "use": ["media"]}),
                               ("disks", {"pool": cls.pool, "use": ["disks"]}),
                               ("none", None)):
                user, pw = harness.make_user(d, "inst-" + tag, "operator")
                client, _ = harness.token_client(d, user, pw)
                cls.ops[tag] = client
                if grant:
                    r = cls.api.post("/api/users/%s/grants" % user, json_body=grant)
                    assert r.status == 201, r
        except Exception:
            cls.tearDownClass()
            raise

    def create(self, client, tag, **spec):
        name = self.new_name(tag)
        body = dict({"name": name, "vcpus": 1, "memory": 32, "graphics": "none"}, **spec)
        return name, client.post("/api/vms", json_body=body)

    def test_iso_and_pool_reach(self):
        iso = "%s/install.iso" % self.pool
        # Granted for media: the ISO goes in a drive of the operator's own VM.
        name, r = self.create(self.ops["media"], "op-iso", cdrom=iso)
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["os"]["boot"], ["cdrom", "hd"])
        r = self.ops["media"].post("/api/vms/%s/eject-installer" % name)
        self.assertStatus(r, 200)
        # Another operator may not eject it: the VM is not theirs (404).
        r = self.ops["disks"].post("/api/vms/%s/eject-installer" % name)
        self.assertError(r, 404)
        # Held for media only: the pool's ISO, yes; a new disk in it, 403.
        other, r = self.create(self.ops["media"], "op-iso-newdisk", cdrom=iso,
                               disks=[{"pool": self.pool, "size": MIB}])
        err = self.assertError(r, 403)
        self.assertIn("disks[0].pool", err["message"])
        self.assertFalse(harness.domain_exists(other))
        # Held for new disks only: its volumes are not media to them, and
        # the ISO is answered as if it did not exist.
        other, r = self.create(self.ops["disks"], "op-iso-disks", cdrom=iso)
        err = self.assertError(r, 400)
        self.assertIn("cdrom", err["message"])
        self.assertFalse(harness.domain_exists(other))
        # No grant: the ISO is answered as if it did not exist.
        other, r = self.create(self.ops["none"], "op-iso-none", cdrom=iso)
        err = self.assertError(r, 400)
        self.assertIn("cdrom", err["message"])
        self.assertNotIn(self.dir, err["message"])
        self.assertFalse(harness.domain_exists(other))
        r = self.ops["none"].get("/api/pools/%s/volumes/install.iso" % self.pool)
        self.assertError(r, 404)
        # Another operator's disk is no installer for anyone else.
        owner, r = self.create(self.ops["disks"], "op-disk",
                               disks=[{"pool": self.pool, "size": MIB}])
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/vms/%s?volumes=true" % owner)
        disk = "%s/%s-disk0.qcow2" % (self.pool, owner)
        other, r = self.create(self.ops["none"], "op-steal", cdrom=disk)
        self.assertError(r, 400)
        other, r = self.create(self.ops["none"], "op-steal-import", disks=[{"volume": disk}])
        self.assertError(r, 400)
        self.assertFalse(harness.domain_exists(other))


if __name__ == "__main__":
    unittest.main()
